/** The predicate expression module: model, builder, SQL parser and printer, binder. */

export { type BindOptions, type BoundExpr, bindExpr, bindValueExpr } from './bind.js'
export { parsePredicate } from './parse.js'
export { exprToSql, quoteIdentifier, type SqlOptions } from './sql.js'
export * from './types.js'
