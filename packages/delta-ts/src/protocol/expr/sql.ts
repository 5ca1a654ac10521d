import { decimalToString, formatDate, formatTimestamp, isDecimalValue } from '../partition-values.js'
import { type DataType, decimalParams } from '../schema.js'
import type { ColumnExpr, Expr, LiteralExpr, Operand } from './types.js'

const SIMPLE_IDENT = /^[\p{L}_][\p{L}\p{M}\p{N}_]*$/u
const RESERVED = new Set(['and', 'or', 'not', 'in', 'is', 'null', 'like', 'between', 'true', 'false', 'escape'])

/** Quotes one identifier part with backticks unless it is a plain, non-reserved word. */
export function quoteIdentifier(part: string): string {
  if (SIMPLE_IDENT.test(part) && !RESERVED.has(part.toLowerCase())) return part
  return '`' + part.replaceAll('`', '``') + '`'
}

/** Quotes a string literal the way {@link parsePredicate} reads it: single quotes, a quote doubled. */
export function quoteString(s: string): string {
  return "'" + s.replaceAll("'", "''") + "'"
}

/** Options of {@link exprToSql}. */
export interface SqlOptions {
  /**
   * `'delta'` (default): the text {@link parsePredicate} reads (Spark style: backtick identifiers when needed).
   * `'datafusion'`: for DataFusion (delta-rs predicates, QueryBuilder): every identifier double-quoted (keeps
   * case), decimals as `CAST('…' AS DECIMAL(p,s))` because DataFusion reads a bare `1.5` as a lossy Float64.
   */
  dialect?: 'delta' | 'datafusion'
}

function columnToSql(c: ColumnExpr, o: SqlOptions): string {
  const parts = c.qualifier !== undefined ? [c.qualifier, ...c.path] : c.path
  if (o.dialect === 'datafusion') return parts.map((p) => `"${p.replaceAll('"', '""')}"`).join('.')
  return parts.map(quoteIdentifier).join('.')
}

function hex(bytes: Uint8Array): string {
  let s = ''
  for (const b of bytes) s += b.toString(16).padStart(2, '0').toUpperCase()
  return s
}

function literalToSql(l: LiteralExpr, o: SqlOptions = {}): string {
  const v = l.value
  if (v === null || v === undefined) return 'NULL'
  const t = l.dataType ?? l.typeHint
  if (t === 'date' && typeof v === 'number') return `DATE '${formatDate(v)}'`
  if (t === 'timestamp' && typeof v === 'bigint') return `TIMESTAMP '${formatTimestamp(v)}Z'`
  if (t === 'timestamp_ntz' && typeof v === 'bigint') {
    return o.dialect === 'datafusion' ? `TIMESTAMP '${formatTimestamp(v)}'` : `TIMESTAMP_NTZ '${formatTimestamp(v)}'`
  }
  if (l.typeHint && typeof v === 'string') return `${l.typeHint.toUpperCase()} ${quoteString(v)}`
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE'
  if (typeof v === 'bigint') return v.toString()
  if (typeof v === 'number') {
    if (l.text !== undefined) return l.text
    // NaN and infinities have no numeral; the binder reads these strings back for float/double columns.
    if (!Number.isFinite(v)) return quoteString(String(v))
    return String(v)
  }
  if (typeof v === 'string') return quoteString(v)
  if (v instanceof Date) return `TIMESTAMP '${v.toISOString()}'`
  if (v instanceof Uint8Array) return `X'${hex(v)}'`
  if (isDecimalValue(v)) {
    if (o.dialect !== 'datafusion') return decimalToString(v)
    const dp = l.dataType === undefined ? undefined : decimalParams(l.dataType)
    const digits = (v.unscaled < 0n ? -v.unscaled : v.unscaled).toString().length
    const precision = Math.min(38, Math.max(dp?.precision ?? 0, digits, v.scale + 1))
    return `CAST('${decimalToString(v)}' AS DECIMAL(${precision},${v.scale}))`
  }
  return quoteString(String(v))
}

function operandToSql(x: Operand, o: SqlOptions): string {
  switch (x.kind) {
    case 'column':
      return columnToSql(x, o)
    case 'literal':
      return literalToSql(x, o)
    case 'arith': {
      // Nested arithmetic is parenthesized, so the printed text keeps the tree's grouping.
      const side = (y: Operand) =>
        y.kind === 'arith' || y.kind === 'negate' ? `(${operandToSql(y, o)})` : operandToSql(y, o)
      return `${side(x.left)} ${x.op} ${side(x.right)}`
    }
    case 'negate':
      return x.operand.kind === 'column' ? `-${columnToSql(x.operand, o)}` : `-(${operandToSql(x.operand, o)})`
    case 'func':
      if (x.name === 'cast') return `CAST(${operandToSql(x.args[0], o)} AS ${castTypeSql(x.castTo)})`
      return `${x.name.toUpperCase()}(${x.args.map((a) => operandToSql(a, o)).join(', ')})`
  }
}

/**
 * Renders an expression as a SQL predicate that {@link parsePredicate} parses back to an equivalent tree
 * (used for `commitInfo.operationParameters.predicate`). Every AND / OR / NOT operand is parenthesized when it
 * is itself a compound, so precedence never changes meaning. `dialect: 'datafusion'` renders for DataFusion
 * instead (then the text is not meant for parsePredicate). Never throws.
 */
export function exprToSql(e: Expr, options: SqlOptions = {}): string {
  const o = options
  switch (e.kind) {
    case 'column':
      return columnToSql(e, o)
    case 'literal':
      return literalToSql(e, o)
    case 'arith':
    case 'negate':
    case 'func':
      return operandToSql(e, o)
    case 'compare':
      return `${operandToSql(e.left, o)} ${e.op} ${operandToSql(e.right, o)}`
    case 'nullSafeEq':
      return `${operandToSql(e.left, o)} ${e.negated ? 'IS DISTINCT FROM' : '<=>'} ${operandToSql(e.right, o)}`
    case 'in':
      return `${operandToSql(e.value, o)} ${e.negated ? 'NOT IN' : 'IN'} (${e.list.map((l) => literalToSql(l, o)).join(', ')})`
    case 'isNull':
      return `${operandToSql(e.operand, o)} IS ${e.negated ? 'NOT NULL' : 'NULL'}`
    case 'like': {
      const esc = e.escape === '\\' ? '' : ` ESCAPE ${quoteString(e.escape)}`
      return `${operandToSql(e.operand, o)} ${e.negated ? 'NOT LIKE' : 'LIKE'} ${quoteString(e.pattern)}${esc}`
    }
    case 'and':
    case 'or':
      return e.children
        .map((c) => (c.kind === 'and' || c.kind === 'or' ? `(${exprToSql(c, o)})` : exprToSql(c, o)))
        .join(e.kind === 'and' ? ' AND ' : ' OR ')
    case 'not': {
      const inner = exprToSql(e.child, o)
      return e.child.kind === 'column' || e.child.kind === 'literal' ? `NOT ${inner}` : `NOT (${inner})`
    }
  }
}

function castTypeSql(t: DataType | undefined): string {
  if (t === undefined) return 'STRING'
  const name = typeof t === 'string' ? t : t.type
  const m = /^decimal\((\d+),(\d+)\)$/.exec(name)
  if (m) return `DECIMAL(${m[1]}, ${m[2]})`
  const sql: Record<string, string> = { byte: 'TINYINT', short: 'SMALLINT', integer: 'INT', long: 'BIGINT' }
  return sql[name] ?? name.toUpperCase()
}
