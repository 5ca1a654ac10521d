/** The predicate expression module: model, builder, SQL parser and printer, binder. */
export * from './types.js'
export { parsePredicate } from './parse.js'
export { exprToSql, quoteIdentifier, type SqlOptions } from './sql.js'
export { bindExpr, type BindOptions, type BoundExpr } from './bind.js'
