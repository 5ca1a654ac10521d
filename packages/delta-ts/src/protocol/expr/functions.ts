import { DeltaError } from '../../errors.js'
import {
  civilFromDays,
  type DecimalValue,
  decimalToString,
  formatDate,
  isDecimalValue,
  parsePartitionValue,
  type ScalarValue,
} from '../partition-values.js'
import { type DataType, decimalParams } from '../schema.js'
import type { FuncExpr, FuncName } from './types.js'

/*
 * The SQL functions of the expression language (the subset Spark's generation expressions and CHECK constraints
 * commonly use), on the ScalarValue model: integers up to int as number, long as bigint, decimals as
 * { unscaled, scale }, dates as days since the epoch, timestamps as µs since the epoch (UTC). Semantics are
 * Spark's with ANSI mode off (an impossible cast gives NULL) and session time zone UTC.
 */

const MICROS_PER_DAY = 86_400_000_000n
const MICROS_PER_HOUR = 3_600_000_000n

const INT_RANGE: Record<string, [bigint, bigint]> = {
  byte: [-128n, 127n],
  short: [-32768n, 32767n],
  integer: [-2147483648n, 2147483647n],
  long: [-(2n ** 63n), 2n ** 63n - 1n],
}

function typeName(t: DataType): string {
  return typeof t === 'string' ? t : t.type
}

function bad(message: string): DeltaError {
  return new DeltaError('INVALID_PREDICATE', message)
}

const isTemporal = (t: DataType) => t === 'date' || t === 'timestamp' || t === 'timestamp_ntz'
const isPrimitive = (t: DataType) => typeof t === 'string' && t !== 'variant'
const isNumeric = (t: DataType) =>
  ['byte', 'short', 'integer', 'long', 'float', 'double'].includes(t as string) || decimalParams(t) !== undefined

/**
 * The result type of `name(args)` given the argument types (`undefined` for an untyped NULL literal).
 *
 * @throws DeltaError `INVALID_PREDICATE` for a wrong argument count or type.
 */
export function funcResultType(f: FuncExpr, argTypes: readonly (DataType | undefined)[]): DataType {
  const n = argTypes.length
  const arity = (lo: number, hi = lo) => {
    if (n < lo || n > hi)
      throw bad(`${f.name.toUpperCase()} takes ${lo === hi ? lo : `${lo} to ${hi}`} argument(s), got ${n}`)
  }
  const argIs = (i: number, ok: (t: DataType) => boolean, what: string) => {
    const t = argTypes[i]
    if (t !== undefined && !ok(t)) throw bad(`${f.name.toUpperCase()} needs ${what}, got ${typeName(t)}`)
  }
  switch (f.name) {
    case 'cast':
      arity(1)
      if (f.castTo === undefined) throw bad('CAST without a target type')
      argIs(0, isPrimitive, 'a primitive value')
      return f.castTo
    case 'year':
    case 'month':
    case 'day':
      arity(1)
      argIs(0, (t) => isTemporal(t) || t === 'string', 'a date, timestamp or string')
      return 'integer'
    case 'hour':
      arity(1)
      argIs(0, (t) => t === 'timestamp' || t === 'timestamp_ntz' || t === 'string', 'a timestamp or string')
      return 'integer'
    case 'to_date':
      arity(1)
      argIs(0, (t) => isTemporal(t) || t === 'string', 'a date, timestamp or string')
      return 'date'
    case 'date_format':
      arity(2)
      argIs(0, (t) => isTemporal(t) || t === 'string', 'a date, timestamp or string')
      argIs(1, (t) => t === 'string', 'a string format')
      return 'string'
    case 'substring':
      arity(2, 3)
      argIs(0, isPrimitive, 'a primitive value')
      argIs(1, (t) => ['byte', 'short', 'integer'].includes(t as string), 'an integer position')
      argIs(2, (t) => ['byte', 'short', 'integer'].includes(t as string), 'an integer length')
      return 'string'
    case 'concat':
      if (n === 0) throw bad('CONCAT takes at least one argument')
      for (let i = 0; i < n; i++) argIs(i, isPrimitive, 'primitive values')
      return 'string'
    case 'upper':
    case 'lower':
      arity(1)
      argIs(0, isPrimitive, 'a primitive value')
      return 'string'
    case 'length':
      arity(1)
      argIs(0, (t) => t === 'string' || t === 'binary', 'a string or binary')
      return 'integer'
    case 'abs':
      arity(1)
      argIs(0, isNumeric, 'a number')
      return argTypes[0] ?? 'integer'
    case 'coalesce': {
      if (n === 0) throw bad('COALESCE takes at least one argument')
      const t = argTypes.find((x) => x !== undefined)
      if (t === undefined) return 'string'
      return t
    }
  }
}

/**
 * Evaluates a bound function call on its argument values (see the module comment for the value model).
 *
 * @throws DeltaError `ARITHMETIC_OVERFLOW` when `abs` overflows its integer type.
 */
export function evalFunc(f: FuncExpr, args: readonly ScalarValue[], argTypes: readonly DataType[]): ScalarValue {
  const name: FuncName = f.name
  if (name === 'coalesce') {
    for (let i = 0; i < args.length; i++) {
      const v = args[i]
      if (v !== null && v !== undefined) return castScalar(v, argTypes[i], f.dataType!)
    }
    return null
  }
  if (args.some((v) => v === null || v === undefined)) return null
  const a = args[0]
  const t = argTypes[0]
  switch (name) {
    case 'cast':
      return castScalar(a, t, f.castTo!)
    case 'year':
    case 'month':
    case 'day': {
      const days = castScalar(a, t, 'date')
      if (days === null) return null
      const c = civilFromDays(days as number)
      return name === 'year' ? c.year : name === 'month' ? c.month : c.day
    }
    case 'hour': {
      const us = castScalar(a, t, 'timestamp')
      if (us === null) return null
      const rem = (((us as bigint) % MICROS_PER_DAY) + MICROS_PER_DAY) % MICROS_PER_DAY
      return Number(rem / MICROS_PER_HOUR)
    }
    case 'to_date':
      return castScalar(a, t, 'date')
    case 'date_format': {
      const us = t === 'date' ? BigInt(a as number) * MICROS_PER_DAY : castScalar(a, t, 'timestamp')
      if (us === null) return null
      return formatPattern(us as bigint, args[1] as string)
    }
    case 'substring': {
      const s = [...(castScalar(a, t, 'string') as string)]
      let pos = args[1] as number
      const len = args.length > 2 ? (args[2] as number) : Number.MAX_SAFE_INTEGER
      // Spark: 1-based; 0 acts as 1; a negative position counts from the end.
      let start = pos > 0 ? pos - 1 : pos < 0 ? s.length + pos : 0
      let end = len < 0 ? start : start + len
      if (start < 0) {
        // A negative start before the string still consumes the length (Spark's UTF8String.substringSQL).
        start = 0
        pos = 0
      }
      end = Math.max(start, Math.min(s.length, end))
      return s.slice(start, end).join('')
    }
    case 'concat':
      return args.map((v, i) => castScalar(v, argTypes[i], 'string') as string).join('')
    case 'upper':
      return (castScalar(a, t, 'string') as string).toUpperCase()
    case 'lower':
      return (castScalar(a, t, 'string') as string).toLowerCase()
    case 'length':
      return a instanceof Uint8Array ? a.length : [...(a as string)].length
    case 'abs': {
      if (typeof a === 'number') {
        const r = Math.abs(a)
        const range = INT_RANGE[t as string]
        if (range && BigInt(r) > range[1]) throw new DeltaError('ARITHMETIC_OVERFLOW', `abs(${a}) overflows ${t}`)
        return r
      }
      if (typeof a === 'bigint') {
        const r = a < 0n ? -a : a
        if (r > INT_RANGE.long[1]) throw new DeltaError('ARITHMETIC_OVERFLOW', `abs(${a}) overflows long`)
        return r
      }
      if (isDecimalValue(a)) return { unscaled: a.unscaled < 0n ? -a.unscaled : a.unscaled, scale: a.scale }
      return a
    }
  }
  return null
}

function pow10(n: number): bigint {
  return 10n ** BigInt(n)
}

/** Integer division rounding half away from zero (Spark's HALF_UP on decimals). */
function divHalfUp(a: bigint, b: bigint): bigint {
  const q = a / b
  const r = a % b
  if (r === 0n) return q
  const twice = (r < 0n ? -r : r) * 2n
  if (twice >= (b < 0n ? -b : b)) return a < 0n !== b < 0n ? q - 1n : q + 1n
  return q
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q
}

function decimalFromNumber(x: number, scale: number): bigint | null {
  if (!Number.isFinite(x)) return null
  // Through the shortest decimal text of the double (what Spark's BigDecimal.valueOf gives), then rounded.
  const text = x.toFixed(Math.min(100, Math.max(scale + 1, 20)))
  const m = /^(-?)(\d+)\.?(\d*)$/.exec(text)
  if (!m) return null
  const digits = BigInt(m[2] + m[3])
  const unscaled = divHalfUp(digits * pow10(scale), pow10(m[3].length))
  return m[1] === '-' ? -unscaled : unscaled
}

function toBigIntTrunc(v: ScalarValue, from: DataType): bigint | null {
  if (typeof v === 'bigint') return v
  if (typeof v === 'number') return Number.isFinite(v) ? BigInt(Math.trunc(v)) : null
  if (isDecimalValue(v)) return v.unscaled / pow10(v.scale)
  if (typeof v === 'boolean') return v ? 1n : 0n
  if (typeof v === 'string') {
    const s = v.trim()
    if (/^[+-]?\d+$/.test(s)) return BigInt(s)
    if (/^[+-]?(\d+\.?\d*|\.\d+)$/.test(s)) return BigInt(s.split('.')[0].replace(/^([+-]?)$/, '$10') || '0')
    return null
  }
  if (from === 'timestamp' || from === 'timestamp_ntz') return null
  return null
}

function formatTimestampSpark(us: bigint): string {
  const days = floorDiv(us, MICROS_PER_DAY)
  const rem = Number(us - days * MICROS_PER_DAY)
  const secs = Math.floor(rem / 1e6)
  const frac = rem % 1e6
  const p = (n: number, w = 2) => String(n).padStart(w, '0')
  const base = `${formatDate(Number(days))} ${p(Math.floor(secs / 3600))}:${p(Math.floor((secs % 3600) / 60))}:${p(secs % 60)}`
  // Spark prints the fraction without trailing zeros, and none at all for whole seconds.
  return frac === 0 ? base : `${base}.${p(frac, 6).replace(/0+$/, '')}`
}

/**
 * `CAST(v AS to)` from type `from`, Spark's rules with ANSI mode off: a value that does not convert (an
 * unparseable string, an out-of-range number) gives NULL. Timestamps convert to and from dates in UTC.
 */
export function castScalar(v: ScalarValue, from: DataType, to: DataType): ScalarValue {
  if (v === null || v === undefined) return null
  if (from === to && !decimalParams(to)) return v
  switch (to) {
    case 'string':
      if (typeof v === 'string') return v
      if (from === 'date') return formatDate(v as number)
      if (from === 'timestamp' || from === 'timestamp_ntz') return formatTimestampSpark(v as bigint)
      if (isDecimalValue(v)) return decimalToString(v)
      if (v instanceof Uint8Array) return new TextDecoder().decode(v)
      if (typeof v === 'number' && (from === 'float' || from === 'double')) {
        if (Number.isNaN(v)) return 'NaN'
        if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity'
        return Number.isInteger(v) && Math.abs(v) < 1e7 ? v.toFixed(1) : String(v)
      }
      return String(v)
    case 'boolean':
      if (typeof v === 'boolean') return v
      if (typeof v === 'string') {
        const s = v.trim().toLowerCase()
        if (['true', 't', 'yes', 'y', '1'].includes(s)) return true
        if (['false', 'f', 'no', 'n', '0'].includes(s)) return false
        return null
      }
      if (typeof v === 'number') return v !== 0
      if (typeof v === 'bigint') return v !== 0n
      if (isDecimalValue(v)) return v.unscaled !== 0n
      return null
    case 'date':
      if (from === 'date') return v
      if (from === 'timestamp' || from === 'timestamp_ntz') return Number(floorDiv(v as bigint, MICROS_PER_DAY))
      if (typeof v === 'string') {
        const m = /^\s*([+-]?\d{4,})(?:-(\d{1,2})(?:-(\d{1,2}))?)?(?:[T ].*)?\s*$/.exec(v)
        if (!m) return null
        try {
          return parsePartitionValue(
            `${m[1]}-${(m[2] ?? '1').padStart(2, '0')}-${(m[3] ?? '1').padStart(2, '0')}`,
            'date',
          )
        } catch {
          return null
        }
      }
      return null
    case 'timestamp':
    case 'timestamp_ntz':
      if (from === 'timestamp' || from === 'timestamp_ntz') return v
      if (from === 'date') return BigInt(v as number) * MICROS_PER_DAY
      if (typeof v === 'string') {
        try {
          return parsePartitionValue(v.trim(), to)
        } catch {
          const d = castScalar(v, 'string', 'date')
          return d === null ? null : BigInt(d as number) * MICROS_PER_DAY
        }
      }
      if (typeof v === 'number' || typeof v === 'bigint') return BigInt(Math.trunc(Number(v) * 1e6))
      return null
    case 'float':
    case 'double': {
      let x: number
      if (typeof v === 'number') x = v
      else if (typeof v === 'bigint') x = Number(v)
      else if (isDecimalValue(v)) x = Number(decimalToString(v))
      else if (typeof v === 'boolean') x = v ? 1 : 0
      else if (typeof v === 'string') {
        const s = v.trim()
        if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?(NaN|Infinity)$/.test(s)) return null
        x = Number(s)
      } else return null
      return to === 'float' ? Math.fround(x) : x
    }
    case 'byte':
    case 'short':
    case 'integer':
    case 'long': {
      if (from === 'date' || from === 'binary') return null
      let b: bigint | null
      if (from === 'timestamp' || from === 'timestamp_ntz') b = floorDiv(v as bigint, 1_000_000n)
      else b = toBigIntTrunc(v, from)
      if (b === null) return null
      const [lo, hi] = INT_RANGE[to]
      if (b < lo || b > hi) return null
      return to === 'long' ? b : Number(b)
    }
    case 'binary':
      if (v instanceof Uint8Array) return v
      if (typeof v === 'string') return new TextEncoder().encode(v)
      return null
    default: {
      const dp = decimalParams(to)
      if (!dp) return null
      let unscaled: bigint | null
      if (isDecimalValue(v)) {
        const d = v as DecimalValue
        unscaled =
          d.scale <= dp.scale
            ? d.unscaled * pow10(dp.scale - d.scale)
            : divHalfUp(d.unscaled, pow10(d.scale - dp.scale))
      } else if (typeof v === 'bigint') unscaled = v * pow10(dp.scale)
      else if (typeof v === 'number') {
        unscaled =
          Number.isInteger(v) && from !== 'float' && from !== 'double'
            ? BigInt(v) * pow10(dp.scale)
            : decimalFromNumber(v, dp.scale)
      } else if (typeof v === 'string') {
        const m = /^\s*([+-]?)(\d*)\.?(\d*)\s*$/.exec(v)
        if (!m || (m[2] === '' && m[3] === '')) return null
        const digits = BigInt((m[2] || '0') + m[3])
        unscaled = divHalfUp(digits * pow10(dp.scale), pow10(m[3].length))
        if (m[1] === '-') unscaled = -unscaled
      } else if (typeof v === 'boolean') unscaled = (v ? 1n : 0n) * pow10(dp.scale)
      else return null
      if (unscaled === null) return null
      const limit = pow10(dp.precision)
      if (unscaled >= limit || unscaled <= -limit) return null
      return { unscaled, scale: dp.scale }
    }
  }
}

const FORMAT_TOKEN = /'([^']*)'|y{1,4}|M{1,2}|d{1,2}|H{1,2}|h{1,2}|m{1,2}|s{1,2}|S{1,6}|a|[^'yMdHhmsSa]+/g

/**
 * Spark's `date_format` on µs since the epoch (UTC) with the datetime pattern letters y, M, d, H, h, m, s, S, a
 * and quoted literals.
 *
 * @throws DeltaError `INVALID_PREDICATE` for a pattern letter outside that set.
 */
export function formatPattern(us: bigint, pattern: string): string {
  const days = floorDiv(us, MICROS_PER_DAY)
  const rem = Number(us - days * MICROS_PER_DAY)
  const { year, month, day } = civilFromDays(Number(days))
  const secs = Math.floor(rem / 1e6)
  const H = Math.floor(secs / 3600)
  const m = Math.floor((secs % 3600) / 60)
  const s = secs % 60
  const frac = String(rem % 1e6).padStart(6, '0')
  let out = ''
  for (const match of pattern.matchAll(FORMAT_TOKEN)) {
    const tok = match[0]
    if (match[1] !== undefined) {
      out += tok === "''" ? "'" : match[1]
      continue
    }
    const w = tok.length
    switch (tok[0]) {
      case 'y':
        out += w === 2 ? String(year % 100).padStart(2, '0') : String(year).padStart(w, '0')
        break
      case 'M':
        out += String(month).padStart(w, '0')
        break
      case 'd':
        out += String(day).padStart(w, '0')
        break
      case 'H':
        out += String(H).padStart(w, '0')
        break
      case 'h':
        out += String(H % 12 === 0 ? 12 : H % 12).padStart(w, '0')
        break
      case 'm':
        out += String(m).padStart(w, '0')
        break
      case 's':
        out += String(s).padStart(w, '0')
        break
      case 'S':
        out += frac.slice(0, w)
        break
      case 'a':
        out += H < 12 ? 'AM' : 'PM'
        break
      default:
        if (/[A-Za-z]/.test(tok)) throw bad(`date_format pattern letter(s) '${tok}' are not supported`)
        out += tok
    }
  }
  return out
}
