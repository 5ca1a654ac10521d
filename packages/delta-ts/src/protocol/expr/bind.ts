import { DeltaError } from '../../errors.js'
import {
  type DecimalValue,
  decimalToString,
  isDecimalValue,
  parsePartitionValue,
  type ScalarValue,
} from '../partition-values.js'
import { type DataType, decimalParams, findField, isStruct, type StructField, type StructType } from '../schema.js'
import { arithResultType, integerLiteralAsDecimal, isNumericType, numericLiteralType } from './arith.js'
import { funcResultType } from './functions.js'
import { exprToSql } from './sql.js'
import type { ColumnExpr, Expr, FuncExpr, LiteralExpr, Operand } from './types.js'

/**
 * An expression after {@link bindExpr}: every column has its exact schema path and `dataType`, every literal its
 * `dataType` and a {@link ScalarValue} of that type. Pruning and row filtering accept only bound expressions.
 */
export type BoundExpr = Expr

/** Options of {@link bindExpr}. */
export interface BindOptions {
  /**
   * Named relations for qualified column names (`{ target: targetSchema, source: sourceSchema }`). A column with a
   * `qualifier`, or an unqualified dotted name whose first part names a scope and does not resolve in the main
   * schema, is resolved in that scope's schema and keeps the qualifier.
   */
  scopes?: Record<string, StructType>
}

const MS_PER_DAY = 86_400_000
const MICROS_PER_DAY = 86_400_000_000n

type Family = 'numeric' | 'string' | 'boolean' | 'binary' | 'date' | 'timestamp' | 'nested'

function typeName(t: DataType): string {
  return typeof t === 'string' ? t : t.type
}

function family(t: DataType): Family {
  if (typeof t !== 'string') return 'nested'
  switch (t) {
    case 'byte':
    case 'short':
    case 'integer':
    case 'long':
    case 'float':
    case 'double':
      return 'numeric'
    case 'string':
      return 'string'
    case 'boolean':
      return 'boolean'
    case 'binary':
      return 'binary'
    case 'date':
      return 'date'
    case 'timestamp':
    case 'timestamp_ntz':
      return 'timestamp'
    case 'variant':
      return 'nested'
    default:
      return decimalParams(t) ? 'numeric' : 'nested'
  }
}

function invalid(message: string): DeltaError {
  return new DeltaError('INVALID_PREDICATE', message)
}

function colName(c: ColumnExpr): string {
  return [...(c.qualifier !== undefined ? [c.qualifier] : []), ...c.path].join('.')
}

function resolvePath(schema: StructType, path: readonly string[]): { names: string[]; field: StructField } | undefined {
  let current: StructType = schema
  const names: string[] = []
  let field: StructField | undefined
  for (let i = 0; i < path.length; i++) {
    field = findField(current, path[i])
    if (!field) return undefined
    names.push(field.name)
    if (i < path.length - 1) {
      if (!isStruct(field.type)) return undefined
      current = field.type
    }
  }
  return field ? { names, field } : undefined
}

function findScope(scopes: Record<string, StructType> | undefined, name: string): [string, StructType] | undefined {
  if (!scopes) return undefined
  if (scopes[name]) return [name, scopes[name]]
  const k = Object.keys(scopes).find((s) => s.toLowerCase() === name.toLowerCase())
  return k === undefined ? undefined : [k, scopes[k]]
}

function bindColumn(c: ColumnExpr, schema: StructType, options: BindOptions): ColumnExpr {
  if (c.qualifier !== undefined) {
    const scope = findScope(options.scopes, c.qualifier)
    if (!scope)
      throw invalid(
        `unknown qualifier '${c.qualifier}' in column '${colName(c)}' (known: ${Object.keys(options.scopes ?? {}).join(', ') || 'none'})`,
      )
    const r = resolvePath(scope[1], c.path)
    if (!r)
      throw invalid(
        `unknown column '${colName(c)}' in predicate; columns of ${scope[0]}: ${scope[1].fields.map((f) => f.name).join(', ')}`,
      )
    return { kind: 'column', path: r.names, qualifier: scope[0], dataType: r.field.type }
  }
  const r = resolvePath(schema, c.path)
  if (r) return { kind: 'column', path: r.names, dataType: r.field.type }
  if (c.path.length > 1) {
    const scope = findScope(options.scopes, c.path[0])
    if (scope) return bindColumn({ kind: 'column', path: c.path.slice(1), qualifier: scope[0] }, schema, options)
  }
  throw invalid(
    `unknown column '${colName(c)}' in predicate; available columns: ${schema.fields.map((f) => f.name).join(', ')}`,
  )
}

/** Exact reading of a SQL numeral or numeric string. */
type Numeric = { kind: 'int'; value: bigint } | { kind: 'dec'; value: DecimalValue } | { kind: 'float'; value: number }

function parseNumeric(text: string): Numeric | undefined {
  const s = text.trim()
  const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(s)
  if (m && (m[2] !== '' || (m[3] ?? '') !== '')) {
    const sign = m[1] === '-' ? -1n : 1n
    if (m[3] === undefined) return { kind: 'int', value: sign * BigInt(m[2]) }
    const frac = m[3]
    return { kind: 'dec', value: { unscaled: sign * BigInt((m[2] || '0') + frac || '0'), scale: frac.length } }
  }
  const e = /^([+-]?)(\d*)(?:\.(\d*))?[eE]([+-]?\d+)$/.exec(s)
  if (e && (e[2] !== '' || (e[3] ?? '') !== '')) {
    // Exponent numerals are exact decimals too (1e-50 is 1 / 10^50), so no double rounding sneaks in.
    const frac = e[3] ?? ''
    let unscaled = BigInt((e[2] || '0') + frac) * (e[1] === '-' ? -1n : 1n)
    let scale = frac.length - Number(e[4])
    if (scale < 0) {
      unscaled *= 10n ** BigInt(-scale)
      scale = 0
    }
    if (scale > 1000) return { kind: 'float', value: Number(s) }
    return scale === 0 ? { kind: 'int', value: unscaled } : { kind: 'dec', value: { unscaled, scale } }
  }
  if (/^[+-]?(Infinity|Inf)$/i.test(s)) return { kind: 'float', value: s.startsWith('-') ? -Infinity : Infinity }
  if (/^NaN$/i.test(s)) return { kind: 'float', value: NaN }
  return undefined
}

function numericOf(l: LiteralExpr): Numeric | undefined {
  const v = l.value
  if (l.text !== undefined) return parseNumeric(l.text)
  if (typeof v === 'bigint') return { kind: 'int', value: v }
  if (typeof v === 'number') {
    if (Number.isInteger(v)) return { kind: 'int', value: BigInt(v) }
    if (!Number.isFinite(v)) return { kind: 'float', value: v }
    // A JS number prints its shortest round-trip form, which is the decimal the caller most likely meant.
    return parseNumeric(String(v)) ?? { kind: 'float', value: v }
  }
  if (isDecimalValue(v)) return { kind: 'dec', value: v }
  if (typeof v === 'string') return parseNumeric(v)
  return undefined
}

function numericToNumber(n: Numeric): number {
  if (n.kind === 'float') return n.value
  if (n.kind === 'int') return Number(n.value)
  return Number(decimalToString(n.value))
}

function describeLiteral(l: LiteralExpr): string {
  return exprToSql(l)
}

function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s)
}

/** A literal's own type, used when no column fixes it (literal compared with literal, bare literal). */
function bindNatural(l: LiteralExpr): LiteralExpr {
  if (l.dataType !== undefined) return l
  const v = l.value
  if (v === null || v === undefined) return { kind: 'literal', value: null, dataType: 'string' }
  if (l.typeHint) return coerce(l, l.typeHint, 'literal')
  if (typeof v === 'boolean') return { kind: 'literal', value: v, dataType: 'boolean' }
  if (typeof v === 'string') return { kind: 'literal', value: v, dataType: 'string' }
  if (v instanceof Uint8Array) return { kind: 'literal', value: v, dataType: 'binary' }
  if (v instanceof Date) return coerce(l, 'timestamp', 'literal')
  const n = numericOf(l)
  if (n?.kind === 'int') return { kind: 'literal', value: n.value, dataType: 'long' }
  if (n?.kind === 'dec')
    return { kind: 'literal', value: n.value, dataType: `decimal(38,${n.value.scale})` as DataType }
  if (n?.kind === 'float') return { kind: 'literal', value: n.value, dataType: 'double' }
  throw invalid(`unsupported literal ${String(v)}`)
}

/**
 * Converts a literal to the Delta type `type` of the column it meets (`what` names that column in errors).
 * Numbers stay exact: an integer against long becomes a bigint, a decimal numeral against a decimal column an
 * exact DecimalValue; a numeral that does not fit the column's type keeps a wider exact form (1.5 against an
 * integer column compares as the decimal 1.5), which the comparison handles.
 */
function coerce(l: LiteralExpr, type: DataType, what: string): LiteralExpr {
  // Already bound to this very type (re-binding a bound tree): keep it.
  if (l.dataType !== undefined && typeName(l.dataType) === typeName(type) && l.dataType === type) return l
  let v = l.value
  const out = (value: ScalarValue): LiteralExpr => ({ kind: 'literal', value, dataType: type })
  if (v === null || v === undefined) return out(null)
  const fail = (why: string): never => {
    throw invalid(`cannot compare ${what} of type ${typeName(type)} with ${describeLiteral(l)}: ${why}`)
  }
  // Typed SQL literals first become their own type's value.
  if (l.typeHint && typeof v === 'string') {
    try {
      const own = parsePartitionValue(v, l.typeHint)
      if (l.typeHint === 'date') {
        v = new Date(Number(own) * MS_PER_DAY)
        if (type === 'date') return out(own)
      } else {
        if (type === 'timestamp' || type === 'timestamp_ntz') return out(own)
        if (type === 'date') {
          const us = own as bigint
          if (us % MICROS_PER_DAY !== 0n) fail('the timestamp is not at midnight')
          return out(Number(us / MICROS_PER_DAY))
        }
      }
    } catch (err) {
      if (err instanceof DeltaError && err.code === 'INVALID_PREDICATE') throw err
      fail(`not a valid ${l.typeHint.toUpperCase()} literal`)
    }
  }
  switch (family(type)) {
    case 'string':
      if (typeof v === 'string') return out(v)
      // Often a partition column of digits (year = 2024): say how to write it rather than guess an order.
      if (typeof v === 'number' || typeof v === 'bigint')
        return fail(`expected a string literal; quote it: '${l.text ?? String(v)}'`)
      return fail('expected a string literal')
    case 'boolean':
      if (typeof v === 'boolean') return out(v)
      if (typeof v === 'string' && /^(true|false)$/i.test(v.trim())) return out(v.trim().toLowerCase() === 'true')
      return fail('expected TRUE or FALSE')
    case 'binary':
      if (v instanceof Uint8Array) return out(v)
      if (typeof v === 'string') return out(utf8(v))
      return fail("expected a binary literal (X'..') or a string")
    case 'date': {
      if (v instanceof Date) {
        const ms = v.getTime()
        if (Number.isNaN(ms)) fail('invalid Date')
        return out(Math.floor(ms / MS_PER_DAY))
      }
      if (typeof v === 'string') {
        try {
          return out(parsePartitionValue(v, 'date'))
        } catch {
          return fail('not a date (YYYY-MM-DD)')
        }
      }
      return fail('expected a date string (YYYY-MM-DD) or a Date')
    }
    case 'timestamp': {
      if (v instanceof Date) {
        const ms = v.getTime()
        if (Number.isNaN(ms)) fail('invalid Date')
        return out(BigInt(ms) * 1000n)
      }
      if (typeof v === 'bigint') return out(v)
      if (typeof v === 'string') {
        if (type === 'timestamp_ntz' && /(Z|UTC|[+-]\d{2}:?\d{2})$/i.test(v.trim()) && /[ T]\d/.test(v)) {
          fail('a timestamp_ntz literal has no time zone')
        }
        try {
          return out(parsePartitionValue(v, type))
        } catch {
          return fail('not a timestamp (YYYY-MM-DD[ HH:MM:SS[.ffffff]][Z|±HH:MM])')
        }
      }
      return fail('expected a timestamp string, a Date or a bigint of microseconds')
    }
    case 'numeric': {
      if (typeof v === 'boolean' || v instanceof Uint8Array || v instanceof Date) return fail('expected a number')
      const n = numericOf({ ...l, value: v })
      if (!n) return fail('not a number')
      const t = type as string
      if (t === 'float' || t === 'double') return out(numericToNumber(n))
      const dp = decimalParams(type)
      if (dp) {
        if (n.kind === 'float') return out(n.value)
        const d = n.kind === 'int' ? { unscaled: n.value, scale: 0 } : n.value
        // Rescale to the column's scale when that is lossless, so bound literals look like column values.
        if (d.scale <= dp.scale)
          return out({ unscaled: d.unscaled * 10n ** BigInt(dp.scale - d.scale), scale: dp.scale })
        return out(d)
      }
      // byte / short / integer / long
      if (n.kind === 'int') {
        if (t === 'long') return out(n.value)
        const num = Number(n.value)
        return out(Number.isSafeInteger(num) ? num : n.value)
      }
      return out(n.value)
    }
    default:
      return fail('comparisons on nested or variant columns are not supported')
  }
}

function comparable(a: DataType, b: DataType): boolean {
  const fa = family(a)
  const fb = family(b)
  return fa === fb && fa !== 'nested'
}

/** How an error message names a non-literal operand. */
function describeOperand(o: Operand): string {
  return o.kind === 'column' ? `column '${colName(o)}'` : `expression ${exprToSql(o)}`
}

/** A literal operand of arithmetic, typed on its own (Spark: 1 is INT, 1.5 DECIMAL(2,1), 1e3 DOUBLE). */
function bindArithLiteral(l: LiteralExpr, other: DataType | undefined, describe: () => string): LiteralExpr {
  if (l.dataType !== undefined) return l
  if (l.value === null || l.value === undefined) return { kind: 'literal', value: null, dataType: other ?? 'integer' }
  const n = numericOf(l)
  const exponent = l.text !== undefined && /[eE]/.test(l.text)
  if (!n || typeof l.value === 'string' || typeof l.value === 'boolean' || l.typeHint)
    throw invalid(`arithmetic needs numeric operands: ${describe()}`)
  if (n.kind === 'float' || exponent || (typeof l.value === 'number' && !Number.isInteger(l.value) && !l.text)) {
    return { kind: 'literal', value: numericToNumber(n), dataType: 'double' }
  }
  if (n.kind === 'int') {
    const type = numericLiteralType(n.value)
    const value: ScalarValue =
      type === 'integer' ? Number(n.value) : type === 'long' ? n.value : { unscaled: n.value, scale: 0 }
    return { kind: 'literal', value, dataType: type }
  }
  return { kind: 'literal', value: n.value, dataType: numericLiteralType(n.value) }
}

/** Binds a value expression (column, literal, arithmetic); literals stay untyped unless inside arithmetic. */
function bindOperand(o: Operand, schema: StructType, options: BindOptions): Operand {
  switch (o.kind) {
    case 'column':
      return bindColumn(o, schema, options)
    case 'literal':
      return o
    case 'negate': {
      const describe = () => exprToSql(o)
      let operand = bindOperand(o.operand, schema, options)
      if (operand.kind === 'literal') operand = bindArithLiteral(operand, undefined, describe)
      if (!isNumericType(operand.dataType)) throw invalid(`arithmetic needs numeric operands: ${describe()}`)
      return { kind: 'negate', operand, dataType: operand.dataType }
    }
    case 'func':
      return bindFunc(o, schema, options)
    case 'arith': {
      const describe = () => exprToSql(o)
      let left = bindOperand(o.left, schema, options)
      let right = bindOperand(o.right, schema, options)
      if (left.kind === 'literal' && right.kind !== 'literal') left = bindArithLiteral(left, right.dataType, describe)
      right =
        right.kind === 'literal'
          ? bindArithLiteral(right, left.kind === 'literal' ? undefined : left.dataType, describe)
          : right
      if (left.kind === 'literal') left = bindArithLiteral(left, right.dataType, describe)
      // Spark's literal rule: an integer literal against a decimal takes only the digits it needs.
      const ruleType = (x: Operand, other: Operand): DataType =>
        x.kind === 'literal' &&
        (typeof x.value === 'number' || typeof x.value === 'bigint') &&
        decimalParams(other.dataType!) !== undefined &&
        ['byte', 'short', 'integer', 'long'].includes(x.dataType as string)
          ? integerLiteralAsDecimal(x.value)
          : x.dataType!
      const dataType = arithResultType(o.op, ruleType(left, right), ruleType(right, left), describe)
      return { kind: 'arith', op: o.op, left, right, dataType }
    }
  }
}

/** A literal argument of a function: Spark's natural type, integers that fit as `integer` (Spark's INT). */
function bindFuncLiteral(l: LiteralExpr): LiteralExpr {
  const n = l.dataType === undefined ? numericOf(l) : undefined
  if (n?.kind === 'int') {
    const v = BigInt(n.value as bigint | number)
    if (v >= -2147483648n && v <= 2147483647n) return { kind: 'literal', value: Number(v), dataType: 'integer' }
  }
  return bindNatural(l)
}

function bindFunc(f: FuncExpr, schema: StructType, options: BindOptions): FuncExpr {
  let args = f.args.map((a) => bindOperand(a, schema, options))
  if (f.name === 'coalesce') {
    // Literals take the type of the first non-literal argument (coalesce(x, 0) on a long column is a long).
    const typed = args.find((a) => a.kind !== 'literal')
    args = args.map((a) =>
      a.kind === 'literal' ? (typed ? coerce(a, typed.dataType!, describeOperand(typed)) : bindNatural(a)) : a,
    )
  } else {
    args = args.map((a) => (a.kind === 'literal' ? bindFuncLiteral(a) : a))
  }
  const argTypes = args.map((a) =>
    a.kind === 'literal' && (a.value === null || a.value === undefined) ? undefined : a.dataType,
  )
  const dataType = funcResultType(f, argTypes)
  return { ...f, args, dataType }
}

function bindPair(
  left: Operand,
  right: Operand,
  schema: StructType,
  options: BindOptions,
  opText: string,
): [Operand, Operand] {
  const l = bindOperand(left, schema, options)
  const r = bindOperand(right, schema, options)
  if (l.kind !== 'literal' && r.kind !== 'literal') {
    if (!comparable(l.dataType!, r.dataType!)) {
      throw invalid(
        `cannot compare ${describeOperand(l)} (${typeName(l.dataType!)}) ${opText} ${describeOperand(r)} (${typeName(r.dataType!)})`,
      )
    }
    return [l, r]
  }
  if (l.kind !== 'literal') return [l, coerce(r as LiteralExpr, l.dataType!, describeOperand(l))]
  if (r.kind !== 'literal') return [coerce(l, r.dataType!, describeOperand(r)), r]
  return [bindNatural(l), bindNatural(r)]
}

function bindPredicate(e: Expr, schema: StructType, options: BindOptions): Expr {
  switch (e.kind) {
    case 'column': {
      const c = bindColumn(e, schema, options)
      if (c.dataType !== 'boolean')
        throw invalid(
          `column '${colName(c)}' of type ${typeName(c.dataType!)} is not a predicate (only boolean columns are)`,
        )
      return c
    }
    case 'literal': {
      const l = bindNatural(e)
      if (l.value !== null && l.dataType !== 'boolean')
        throw invalid(`literal ${describeLiteral(e)} is not a predicate`)
      return { ...l, dataType: 'boolean' }
    }
    case 'compare': {
      const [left, right] = bindPair(e.left, e.right, schema, options, e.op)
      return { kind: 'compare', op: e.op, left, right }
    }
    case 'nullSafeEq': {
      const [left, right] = bindPair(e.left, e.right, schema, options, e.negated ? 'IS DISTINCT FROM' : '<=>')
      return { kind: 'nullSafeEq', left, right, negated: e.negated }
    }
    case 'in': {
      const value = bindOperand(e.value, schema, options)
      if (value.kind !== 'literal') {
        if (family(value.dataType!) === 'nested')
          throw invalid(`IN is not supported on ${describeOperand(value)} of type ${typeName(value.dataType!)}`)
        return {
          kind: 'in',
          value,
          negated: e.negated,
          list: e.list.map((x) => coerce(x, value.dataType!, describeOperand(value))),
        }
      }
      const bv = bindNatural(value)
      return {
        kind: 'in',
        value: bv,
        negated: e.negated,
        list: e.list.map((x) => (bv.value === null ? bindNatural(x) : coerce(x, bv.dataType!, 'literal'))),
      }
    }
    case 'isNull': {
      const bound = bindOperand(e.operand, schema, options)
      const operand = bound.kind === 'literal' ? bindNatural(bound) : bound
      return { kind: 'isNull', operand, negated: e.negated }
    }
    case 'like': {
      const bound = bindOperand(e.operand, schema, options)
      const operand = bound.kind === 'literal' ? bindNatural(bound) : bound
      if (operand.dataType !== 'string' && !(operand.kind === 'literal' && operand.value === null)) {
        throw invalid(
          `LIKE needs a string operand, got ${operand.kind === 'literal' ? 'a literal' : describeOperand(operand)} of type ${typeName(operand.dataType!)}`,
        )
      }
      if ([...e.escape].length !== 1)
        throw invalid(`LIKE escape must be one character, got ${JSON.stringify(e.escape)}`)
      return { kind: 'like', operand, pattern: e.pattern, escape: e.escape, negated: e.negated }
    }
    case 'func': {
      const b = bindFunc(e, schema, options)
      if (b.dataType !== 'boolean') throw invalid(`expression ${exprToSql(e)} is not a predicate (not boolean)`)
      return b
    }
    case 'arith':
    case 'negate':
      throw invalid(`expression ${exprToSql(e)} is a number, not a predicate`)
    case 'and':
    case 'or':
      if (e.children.length === 0) throw invalid(`${e.kind.toUpperCase()} without operands`)
      return { kind: e.kind, children: e.children.map((c) => bindPredicate(c, schema, options)) }
    case 'not':
      return { kind: 'not', child: bindPredicate(e.child, schema, options) }
    default:
      throw invalid(`unknown expression node ${JSON.stringify((e as { kind?: unknown }).kind)}`)
  }
}

/**
 * Types an expression against a table schema: resolves every column (case-sensitive first, then
 * case-insensitive like Spark; nested struct paths), and converts every literal to the type of the column it
 * is compared with — a string `'2024-01-01'` against a date column becomes days since the epoch, against a
 * timestamp column µs since the epoch (UTC when no zone is given; timestamp_ntz rejects a zone), an integer
 * against long a bigint, a numeral against decimal an exact DecimalValue. Returns a new tree; the input is not
 * changed. Binding an already bound expression is allowed and idempotent.
 *
 * @throws DeltaError `INVALID_PREDICATE` naming the column for an unknown column or qualifier, a literal that
 *   does not convert to the column's type, a comparison between incompatible columns, LIKE on a non-string, a
 *   non-boolean column or literal used as a predicate, or comparisons on nested / variant columns.
 */
export function bindExpr(expr: Expr, schema: StructType, options: BindOptions = {}): BoundExpr {
  return bindPredicate(expr, schema, options)
}

/**
 * Binds a value expression ({@link parseValue}, or built with {@link col}, {@link lit}, {@link arith}): columns
 * resolve as in {@link bindExpr} and arithmetic gets its Spark result type in `dataType`. A literal on its own
 * stays untyped (its target decides its type).
 *
 * @throws DeltaError `INVALID_PREDICATE` for an unknown column or arithmetic on non-numeric operands.
 */
export function bindValue(value: Operand, schema: StructType, options: BindOptions = {}): Operand {
  return bindOperand(value, schema, options)
}

/**
 * Types a value expression (a column, literal, arithmetic or function call; e.g. a generation expression)
 * against a table schema, with the rules of {@link bindExpr}. A bare literal gets its natural type.
 *
 * @throws DeltaError `INVALID_PREDICATE` for unknown columns, functions applied to the wrong types, or
 *   non-numeric arithmetic.
 */
export function bindValueExpr(expr: Operand, schema: StructType, options: BindOptions = {}): Operand {
  const b = bindOperand(expr, schema, options)
  return b.kind === 'literal' ? bindFuncLiteral(b) : b
}
