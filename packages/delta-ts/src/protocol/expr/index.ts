/** The predicate expression module: model, builder, SQL parser and printer, binder. */

export { type BindOptions, type BoundExpr, bindExpr, bindValue, bindValueExpr } from './bind.js'
export { parsePredicate, parseValue } from './parse.js'
export { exprToSql, quoteIdentifier, type SqlOptions } from './sql.js'
export * from './types.js'
