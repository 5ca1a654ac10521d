import { DeltaError } from '../../errors.js'
import { compareScalars, type ScalarValue } from '../partition-values.js'
import type { DataType } from '../schema.js'
import { evalArith, evalNegate } from './arith.js'
import { evalFunc } from './functions.js'
import type { ArithExpr, ColumnExpr, CompareOp, Expr, NegateExpr, Operand } from './types.js'

/**
 * Row-at-a-time evaluation of a bound expression with SQL three-valued logic. This is the reference semantics:
 * pruning must never contradict it and the vectorized row filter must agree with it.
 *
 * Ordering is {@link compareScalars}: numbers exactly across number / bigint / decimal, NaN equal to itself
 * and above every other number (Spark), strings by code point (UTF-8 byte order), binary by unsigned bytes.
 */

/** `a op b` with SQL null semantics: null when either side is null. */
export function compareOp(op: CompareOp, a: ScalarValue, b: ScalarValue): boolean | null {
  if (a === null || a === undefined || b === null || b === undefined) return null
  const c = compareScalars(a, b)
  switch (op) {
    case '=':
      return c === 0
    case '!=':
      return c !== 0
    case '<':
      return c < 0
    case '<=':
      return c <= 0
    case '>':
      return c > 0
    case '>=':
      return c >= 0
  }
}

/** `a <=> b`: true when both are null or both are non-null and equal (NaN equals NaN); never null. */
export function nullSafeEquals(a: ScalarValue, b: ScalarValue): boolean {
  const an = a === null || a === undefined
  const bn = b === null || b === undefined
  if (an || bn) return an && bn
  return compareScalars(a, b) === 0
}

/** The comparison with its operands swapped: `a op b` ⟺ `b flip(op) a`. */
export function flipOp(op: CompareOp): CompareOp {
  switch (op) {
    case '<':
      return '>'
    case '<=':
      return '>='
    case '>':
      return '<'
    case '>=':
      return '<='
    default:
      return op
  }
}

/** The complement over non-null values: NOT (a op b) ⟺ a negateOp(op) b (the order is total). */
export function negateOp(op: CompareOp): CompareOp {
  switch (op) {
    case '=':
      return '!='
    case '!=':
      return '='
    case '<':
      return '>='
    case '<=':
      return '>'
    case '>':
      return '<='
    case '>=':
      return '<'
  }
}

/** The literal text a LIKE pattern must start with (everything before its first unescaped wildcard). */
export function likePrefix(pattern: string, escapeChar: string): string {
  let out = ''
  const chars = [...pattern]
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]
    if (ch === escapeChar && i + 1 < chars.length) {
      out += chars[++i]
      continue
    }
    if (ch === '%' || ch === '_') return out
    out += ch
  }
  return out
}

const likeCache = new Map<string, RegExp>()

// In 'u' mode only syntax characters may be escaped ('\-' is an error), so escape exactly those.
const REGEXP_SYNTAX = /[\^$\\.*+?()[\]{}|/]/g
function escapeRegExpChar(ch: string): string {
  return ch.replace(REGEXP_SYNTAX, '\\$&')
}

/**
 * Compiles a LIKE pattern to an anchored RegExp: `%` any run, `_` one code point, escape + char a literal char.
 *
 * @throws DeltaError `INVALID_PREDICATE` when the pattern ends with a lone escape character.
 */
export function likeToRegExp(pattern: string, escapeChar: string): RegExp {
  const key = `${escapeChar}\u0000${pattern}`
  const cached = likeCache.get(key)
  if (cached) return cached
  let src = '^'
  const chars = [...pattern]
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]
    if (ch === escapeChar) {
      if (i + 1 >= chars.length)
        throw new DeltaError(
          'INVALID_PREDICATE',
          `LIKE pattern ${JSON.stringify(pattern)} ends with the escape character`,
        )
      src += escapeRegExpChar(chars[++i])
    } else if (ch === '%') src += '[\\s\\S]*'
    else if (ch === '_') src += '[\\s\\S]'
    else src += escapeRegExpChar(ch)
  }
  const re = new RegExp(src + '$', 'u')
  if (likeCache.size > 1000) likeCache.clear()
  likeCache.set(key, re)
  return re
}

/** Reads a column's value for the current row. */
export type ColumnValueReader = (c: ColumnExpr) => ScalarValue

/**
 * The value of a bound value expression for one row (arithmetic with {@link evalArith}).
 *
 * @throws DeltaError `ARITHMETIC_OVERFLOW` when integer or decimal arithmetic overflows its result type.
 */
export function operandValue(o: Operand, read: ColumnValueReader): ScalarValue {
  switch (o.kind) {
    case 'column':
      return read(o)
    case 'literal':
      return (o.value ?? null) as ScalarValue
    case 'arith':
      return evalArith(o.op, operandValue(o.left, read), operandValue(o.right, read), boundType(o))
    case 'negate':
      return evalNegate(operandValue(o.operand, read), boundType(o))
    case 'func':
      return evalFunc(
        o,
        o.args.map((a) => operandValue(a, read)),
        o.args.map((a) => a.dataType ?? 'string'),
      )
  }
}

function boundType(o: ArithExpr | NegateExpr): DataType {
  if (o.dataType === undefined) throw new DeltaError('INVALID_ARGUMENT', 'arithmetic is not bound; call bindExpr first')
  return o.dataType
}

/**
 * Evaluates a bound predicate for one row: true, false or null (unknown). A filter keeps the row only when the
 * result is true.
 *
 * @throws DeltaError `INVALID_PREDICATE` for a malformed LIKE pattern.
 */
export function evaluateRow(e: Expr, read: ColumnValueReader): boolean | null {
  switch (e.kind) {
    case 'column': {
      const v = read(e)
      return v === null || v === undefined ? null : v === true
    }
    case 'func': {
      const v = operandValue(e, read)
      return v === null || v === undefined ? null : v === true
    }
    case 'arith':
    case 'negate':
      throw new DeltaError('INVALID_PREDICATE', 'a number is not a predicate')
    case 'literal':
      return e.value === null || e.value === undefined ? null : e.value === true
    case 'compare':
      return compareOp(e.op, operandValue(e.left, read), operandValue(e.right, read))
    case 'nullSafeEq':
      return nullSafeEquals(operandValue(e.left, read), operandValue(e.right, read)) !== e.negated
    case 'in': {
      const v = operandValue(e.value, read)
      if (v === null || v === undefined) return null
      let sawNull = false
      for (const item of e.list) {
        const r = compareOp('=', v, (item.value ?? null) as ScalarValue)
        if (r === true) return !e.negated
        if (r === null) sawNull = true
      }
      return sawNull ? null : e.negated
    }
    case 'isNull': {
      const v = operandValue(e.operand, read)
      const isNull = v === null || v === undefined
      return e.negated ? !isNull : isNull
    }
    case 'like': {
      const v = operandValue(e.operand, read)
      if (v === null || v === undefined) return null
      const m = likeToRegExp(e.pattern, e.escape).test(String(v))
      return e.negated ? !m : m
    }
    case 'and': {
      let sawNull = false
      for (const c of e.children) {
        const r = evaluateRow(c, read)
        if (r === false) return false
        if (r === null) sawNull = true
      }
      return sawNull ? null : true
    }
    case 'or': {
      let sawNull = false
      for (const c of e.children) {
        const r = evaluateRow(c, read)
        if (r === true) return true
        if (r === null) sawNull = true
      }
      return sawNull ? null : false
    }
    case 'not': {
      const r = evaluateRow(e.child, read)
      return r === null ? null : !r
    }
  }
}
