import { DeltaError } from '../../errors.js'
import { type DecimalValue, decimalToString, isDecimalValue, type ScalarValue } from '../partition-values.js'
import { type DataType, decimalParams } from '../schema.js'
import type { ArithOp } from './types.js'

/*
 * Arithmetic on values (ArithExpr / NegateExpr), with Spark's typing:
 * - integers (byte < short < integer < long): the wider operand type; `/` on integers gives double.
 * - float / double: double when either side is double (or a decimal meets a float), else float; `/` on float
 *   gives double (Spark divides in double).
 * - decimal (integers join as decimal(3,0), (5,0), (10,0), (20,0)): Spark's result precision and scale
 *   (DecimalPrecision, precision loss allowed): + − max(s1,s2) scale, max(p1−s1,p2−s2)+s+1 precision; ×
 *   p1+p2+1, s1+s2; ÷ scale max(6, s1+p2+1), precision p1−s1+s2+s; % min(p1−s1,p2−s2)+max(s1,s2),
 *   max(s1,s2); above 38 digits the precision is 38 and the scale shrinks to keep the integer digits (not
 *   below min(s, 6)). An integer literal meeting a decimal counts as decimal(digits, 0). Results round half up
 *   to their scale.
 * Nulls propagate. A zero divisor of `/` or `%` gives NULL (Spark with spark.sql.ansi.enabled=false, and
 * its try_divide). An integer or decimal result outside its type is an error, never a wrapped value.
 */

const INT_RANK: Record<string, number> = { byte: 1, short: 2, integer: 3, long: 4 }
const INT_NAMES: DataType[] = ['byte', 'byte', 'short', 'integer', 'long']
const INT_AS_DECIMAL: Record<string, [number, number]> = {
  byte: [3, 0],
  short: [5, 0],
  integer: [10, 0],
  long: [20, 0],
}
const INT_RANGE: Record<string, [bigint, bigint]> = {
  byte: [-128n, 127n],
  short: [-32768n, 32767n],
  integer: [-2147483648n, 2147483647n],
  long: [-(2n ** 63n), 2n ** 63n - 1n],
}
const MAX_PRECISION = 38

/** True for the Delta types arithmetic accepts. */
export function isNumericType(t: DataType | undefined): boolean {
  if (t === undefined || typeof t !== 'string') return false
  return INT_RANK[t] !== undefined || t === 'float' || t === 'double' || decimalParams(t) !== undefined
}

function decimalType(p: number, s: number): DataType {
  if (p <= MAX_PRECISION) return `decimal(${p},${s})` as DataType
  const intDigits = p - s
  const scale = Math.max(MAX_PRECISION - intDigits, Math.min(s, 6))
  return `decimal(${MAX_PRECISION},${scale})` as DataType
}

function asDecimal(t: DataType): [number, number] {
  const d = decimalParams(t)
  if (d) return [d.precision, d.scale]
  return INT_AS_DECIMAL[t as string]
}

/**
 * The result type of `a op b` under Spark's rules (module comment).
 *
 * @throws DeltaError `INVALID_PREDICATE` when an operand is not numeric.
 */
export function arithResultType(op: ArithOp, a: DataType, b: DataType, describe: () => string): DataType {
  if (!isNumericType(a) || !isNumericType(b)) {
    throw new DeltaError('INVALID_PREDICATE', `arithmetic needs numeric operands: ${describe()}`)
  }
  const isFloat = (t: DataType) => t === 'float' || t === 'double'
  const isDec = (t: DataType) => decimalParams(t) !== undefined
  if (a === 'double' || b === 'double') return 'double'
  if (isFloat(a) || isFloat(b)) {
    if (isDec(a) || isDec(b) || op === '/') return 'double'
    return 'float'
  }
  if (isDec(a) || isDec(b)) {
    const [p1, s1] = asDecimal(a)
    const [p2, s2] = asDecimal(b)
    switch (op) {
      case '+':
      case '-': {
        const s = Math.max(s1, s2)
        return decimalType(Math.max(p1 - s1, p2 - s2) + s + 1, s)
      }
      case '*':
        return decimalType(p1 + p2 + 1, s1 + s2)
      case '/': {
        const s = Math.max(6, s1 + p2 + 1)
        return decimalType(p1 - s1 + s2 + s, s)
      }
      case '%':
        return decimalType(Math.min(p1 - s1, p2 - s2) + Math.max(s1, s2), Math.max(s1, s2))
    }
  }
  if (op === '/') return 'double'
  return INT_NAMES[Math.max(INT_RANK[a as string], INT_RANK[b as string])]
}

/**
 * The type an integer literal takes when it meets a decimal (Spark's literal rule: the fewest digits that hold
 * it, so `d / 3` divides by a decimal(1,0), not a decimal(10,0)).
 */
export function integerLiteralAsDecimal(v: number | bigint): DataType {
  return `decimal(${Math.max(1, digits(BigInt(v)))},0)` as DataType
}

/** The natural type of a numeric literal in arithmetic (Spark: INT, else BIGINT, else DECIMAL; 1.5 is DECIMAL(2,1)). */
export function numericLiteralType(v: bigint | DecimalValue | number): DataType {
  if (typeof v === 'number') return 'double'
  if (typeof v === 'bigint') {
    if (v >= INT_RANGE.integer[0] && v <= INT_RANGE.integer[1]) return 'integer'
    if (v >= INT_RANGE.long[0] && v <= INT_RANGE.long[1]) return 'long'
    return decimalType(digits(v), 0)
  }
  return decimalType(Math.max(digits(v.unscaled), v.scale, 1), v.scale)
}

function digits(v: bigint): number {
  return (v < 0n ? -v : v).toString().length
}

function overflow(value: string, type: DataType): DeltaError {
  return new DeltaError(
    'ARITHMETIC_OVERFLOW',
    `arithmetic overflow: ${value} does not fit ${typeof type === 'string' ? type : type.type}`,
  )
}

function toNumber(v: ScalarValue): number {
  if (typeof v === 'number') return v
  if (typeof v === 'bigint') return Number(v)
  if (isDecimalValue(v)) return Number(decimalToString(v))
  throw new DeltaError('INTERNAL', `not a number: ${String(v)}`)
}

function toBig(v: ScalarValue): bigint {
  if (typeof v === 'bigint') return v
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v)
  throw new DeltaError('INTERNAL', `not an integer: ${String(v)}`)
}

function toDec(v: ScalarValue): DecimalValue {
  if (isDecimalValue(v)) return v
  return { unscaled: toBig(v), scale: 0 }
}

/** num / den rounded half up (ties away from zero), as Java's BigDecimal ROUND_HALF_UP. */
function roundDiv(num: bigint, den: bigint): bigint {
  const q = num / den
  const r = num % den
  const twice = (r < 0n ? -r : r) * 2n
  if (twice >= (den < 0n ? -den : den)) return q + (num < 0n !== den < 0n ? -1n : 1n)
  return q
}

function rescale(d: DecimalValue, scale: number): bigint {
  if (scale >= d.scale) return d.unscaled * 10n ** BigInt(scale - d.scale)
  return roundDiv(d.unscaled, 10n ** BigInt(d.scale - scale))
}

function intResult(v: bigint, type: DataType): ScalarValue {
  const [lo, hi] = INT_RANGE[type as string]
  if (v < lo || v > hi) throw overflow(v.toString(), type)
  return type === 'long' ? v : Number(v)
}

function decResult(unscaled: bigint, type: DataType): ScalarValue {
  const { precision, scale } = decimalParams(type)!
  if (digits(unscaled) > precision) throw overflow(decimalToString({ unscaled, scale }), type)
  return { unscaled, scale }
}

/**
 * `a op b` of result type `type` ({@link arithResultType}); null when either is null or a divisor is zero.
 *
 * @throws DeltaError `ARITHMETIC_OVERFLOW` when an integer or decimal result does not fit `type`.
 */
export function evalArith(op: ArithOp, a: ScalarValue, b: ScalarValue, type: DataType): ScalarValue {
  if (a === null || a === undefined || b === null || b === undefined) return null
  if (type === 'double' || type === 'float') {
    const x = toNumber(a)
    const y = toNumber(b)
    if ((op === '/' || op === '%') && y === 0) return null
    const r = op === '+' ? x + y : op === '-' ? x - y : op === '*' ? x * y : op === '/' ? x / y : x % y
    return type === 'float' ? Math.fround(r) : r
  }
  const dp = decimalParams(type)
  if (!dp) {
    const x = toBig(a)
    const y = toBig(b)
    if (op === '%' && y === 0n) return null
    const r = op === '+' ? x + y : op === '-' ? x - y : op === '*' ? x * y : x % y
    return intResult(r, type)
  }
  const x = toDec(a)
  const y = toDec(b)
  const s = dp.scale
  switch (op) {
    case '+':
    case '-': {
      const m = Math.max(x.scale, y.scale)
      const ux = rescale(x, m)
      const uy = rescale(y, m)
      return decResult(rescale({ unscaled: op === '+' ? ux + uy : ux - uy, scale: m }, s), type)
    }
    case '*':
      return decResult(rescale({ unscaled: x.unscaled * y.unscaled, scale: x.scale + y.scale }, s), type)
    case '/': {
      if (y.unscaled === 0n) return null
      // (ux / 10^sx) / (uy / 10^sy) at scale s: ux * 10^(sy + s) / (uy * 10^sx).
      return decResult(roundDiv(x.unscaled * 10n ** BigInt(y.scale + s), y.unscaled * 10n ** BigInt(x.scale)), type)
    }
    case '%': {
      if (y.unscaled === 0n) return null
      const m = Math.max(x.scale, y.scale)
      return decResult(rescale({ unscaled: rescale(x, m) % rescale(y, m), scale: m }, s), type)
    }
  }
}

/**
 * `-v` of type `type`; null for null.
 *
 * @throws DeltaError `ARITHMETIC_OVERFLOW` for the most negative integer of its type.
 */
export function evalNegate(v: ScalarValue, type: DataType): ScalarValue {
  if (v === null || v === undefined) return null
  if (type === 'double' || type === 'float') return -toNumber(v)
  if (decimalParams(type)) {
    const d = toDec(v)
    return { unscaled: -d.unscaled, scale: d.scale }
  }
  return intResult(-toBig(v), type)
}
