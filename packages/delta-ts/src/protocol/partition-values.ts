import { DeltaError } from '../errors.js'
import { type DataType, decimalParams, isArray, isMap, isStruct } from './schema.js'

/**
 * An exact decimal: the value is `unscaled * 10^-scale`. Kept as a bigint so that decimal(38,s) values survive
 * without float rounding.
 */
export interface DecimalValue {
  unscaled: bigint
  scale: number
}

/**
 * The JS representation of one Delta value, used across delta-ts (partition values, statistics, predicates,
 * row values):
 * - long → bigint; integer / short / byte / float / double → number;
 * - decimal(p,s) → {@link DecimalValue} `{ unscaled, scale }`;
 * - string → string; binary → Uint8Array; boolean → boolean;
 * - date → number (days since 1970-01-01);
 * - timestamp / timestamp_ntz → bigint microseconds since the epoch (UTC for `timestamp`, wall clock for `_ntz`);
 * - null → null; struct → plain object by field name; array → array; map → Map.
 */
export type ScalarValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | DecimalValue
  | ScalarValue[]
  | Map<ScalarValue, ScalarValue>
  | { [field: string]: ScalarValue }

/** True when `v` is a {@link DecimalValue}. */
export function isDecimalValue(v: unknown): v is DecimalValue {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as DecimalValue).unscaled === 'bigint' &&
    typeof (v as DecimalValue).scale === 'number' &&
    Object.keys(v).length === 2
  )
}

const MICROS_PER_DAY = 86_400_000_000n
const TEXT_ENCODER = new TextEncoder()
const UTF8_STRICT = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

// Days from civil date (proleptic Gregorian), H. Hinnant's algorithm: exact for every year, unlike Date.UTC,
// which maps years 0..99 to 1900..1999.
/** Days since 1970-01-01 of a proleptic Gregorian date (month 1-12). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const mp = (month + 9) % 12
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
}

/** The proleptic Gregorian date of a day number (inverse of {@link daysFromCivil}). */
export function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719468
  const era = Math.floor(z / 146097)
  const doe = z - era * 146097
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365)
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1
  const month = mp < 10 ? mp + 3 : mp - 9
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day }
}

function bad(raw: string, type: DataType, why?: string): DeltaError {
  const t = typeof type === 'string' ? type : type.type
  return new DeltaError(
    'INVALID_LOG',
    `invalid partition value ${JSON.stringify(raw)} for type ${t}${why ? `: ${why}` : ''}`,
  )
}

function parseDays(raw: string, type: DataType, y: string, m: string, d: string): number {
  const year = Number(y)
  const month = Number(m)
  const day = Number(d)
  if (month < 1 || month > 12 || day < 1 || day > 31) throw bad(raw, type, 'date out of range')
  const days = daysFromCivil(year, month, day)
  const back = civilFromDays(days)
  // Round-tripping catches Feb 30 and friends without a month-length table.
  if (back.month !== month || back.day !== day) throw bad(raw, type, 'no such date')
  return days
}

const DATE_RE = /^([+-]?\d{4,})-(\d{1,2})-(\d{1,2})$/
// Both spec forms: 'YYYY-MM-DD HH:MM:SS[.f{1,9}]' and ISO-8601 'YYYY-MM-DDTHH:MM:SS[.f]Z' (or an offset).
const TS_RE =
  /^([+-]?\d{4,})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?\s*(Z|UTC|[+-]\d{2}:?\d{2})?$/

/** Parses a timestamp string into µs since the epoch; `ntz` ignores nothing but rejects no zone suffix. */
function parseTimestamp(raw: string, type: DataType): bigint {
  const m = TS_RE.exec(raw.trim())
  if (!m) {
    // Also accept a date alone (midnight), which some writers produce for timestamp partitions.
    const d = DATE_RE.exec(raw.trim())
    if (d) return BigInt(parseDays(raw, type, d[1], d[2], d[3])) * MICROS_PER_DAY
    throw bad(raw, type)
  }
  const days = parseDays(raw, type, m[1], m[2], m[3])
  const hh = Number(m[4])
  const mm = Number(m[5])
  const ss = m[6] === undefined ? 0 : Number(m[6])
  if (hh > 23 || mm > 59 || ss > 59) throw bad(raw, type, 'time out of range')
  const frac = m[7] === undefined ? 0n : BigInt((m[7] + '000000').slice(0, 6))
  let micros = BigInt(days) * MICROS_PER_DAY + BigInt((hh * 3600 + mm * 60 + ss) * 1_000_000) + frac
  const zone = m[8]
  if (zone && zone !== 'Z' && zone !== 'UTC') {
    const sign = zone[0] === '-' ? -1n : 1n
    const digits = zone.slice(1).replace(':', '')
    const offsetMinutes = BigInt(Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4)))
    // Local time = UTC + offset, so UTC = local - offset.
    micros -= sign * offsetMinutes * 60_000_000n
  }
  return micros
}

const DECIMAL_RE = /^([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/

/**
 * Parses a plain or exponent decimal string to exactly `scale` fractional digits. Throws INVALID_LOG when the
 * string is not a number, has more non-zero fractional digits than `scale`, or exceeds `precision` digits.
 */
export function parseDecimalString(raw: string, precision: number, scale: number): DecimalValue {
  const m = DECIMAL_RE.exec(raw.trim())
  if (!m || (m[2] === '' && (m[3] === undefined || m[3] === ''))) throw bad(raw, `decimal(${precision},${scale})`)
  let digits = (m[2] ?? '') + (m[3] ?? '')
  // The number is digits * 10^exp.
  let exp = -(m[3] ?? '').length + (m[4] ? Number(m[4]) : 0)
  const shift = exp + scale
  if (shift >= 0) {
    digits += '0'.repeat(shift)
  } else {
    const drop = digits.slice(digits.length + shift)
    if (/[1-9]/.test(drop)) throw bad(raw, `decimal(${precision},${scale})`, 'more fractional digits than the scale')
    digits = digits.slice(0, digits.length + shift)
  }
  exp = -scale
  let unscaled = BigInt(digits === '' ? '0' : digits)
  if (unscaled.toString().length > precision && unscaled !== 0n) {
    throw bad(raw, `decimal(${precision},${scale})`, 'exceeds precision')
  }
  if (m[1] === '-') unscaled = -unscaled
  return { unscaled, scale: -exp }
}

/** Formats a decimal exactly, without exponent: `{unscaled: -12345n, scale: 2}` → `-123.45`. */
export function decimalToString(v: DecimalValue): string {
  const neg = v.unscaled < 0n
  let digits = (neg ? -v.unscaled : v.unscaled).toString()
  if (v.scale <= 0) return (neg ? '-' : '') + digits + '0'.repeat(-v.scale)
  digits = digits.padStart(v.scale + 1, '0')
  return `${neg ? '-' : ''}${digits.slice(0, digits.length - v.scale)}.${digits.slice(digits.length - v.scale)}`
}

const INT_RANGES: Record<string, [number, number]> = {
  byte: [-128, 127],
  short: [-32768, 32767],
  integer: [-2147483648, 2147483647],
}

/**
 * Parses one serialized partition value (PROTOCOL.md §Partition Value Serialization) into its
 * {@link ScalarValue} for the column's Delta type.
 *
 * - `null`, `undefined` (key missing) → null; the empty string → null for every type except `string`.
 * - timestamp / timestamp_ntz accept `YYYY-MM-DD HH:MM:SS[.ffffff]` and ISO-8601 (`...T...Z` or with an
 *   offset); `timestamp` is read as UTC, `timestamp_ntz` as wall clock.
 * - binary is the value's bytes as UTF-8 text (what Spark writes; ASCII bytes match the spec's `\u0001` form).
 *
 * @throws DeltaError `INVALID_LOG` when the string does not parse as the type (or is out of its range), and
 *   `UNSUPPORTED_FEATURE` for a partition column of a non-primitive type.
 */
export function parsePartitionValue(raw: string | null | undefined, type: DataType): ScalarValue {
  if (raw === null || raw === undefined) return null
  if (typeof type !== 'string') {
    throw new DeltaError('UNSUPPORTED_FEATURE', `partition column of nested type ${type.type} is not supported`)
  }
  if (type === 'string') return raw
  if (raw === '') return null
  switch (type) {
    case 'byte':
    case 'short':
    case 'integer': {
      if (!/^[+-]?\d+$/.test(raw.trim())) throw bad(raw, type)
      const n = Number(raw)
      const [lo, hi] = INT_RANGES[type]
      if (n < lo || n > hi) throw bad(raw, type, 'out of range')
      return n
    }
    case 'long': {
      if (!/^[+-]?\d+$/.test(raw.trim())) throw bad(raw, type)
      const n = BigInt(raw.trim())
      if (n < -(2n ** 63n) || n >= 2n ** 63n) throw bad(raw, type, 'out of range')
      return n
    }
    case 'float':
    case 'double': {
      const s = raw.trim()
      if (s === 'NaN') return NaN
      if (s === 'Infinity' || s === '+Infinity' || s === 'Inf') return Infinity
      if (s === '-Infinity' || s === '-Inf') return -Infinity
      if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[dDfF]?$/.test(s)) throw bad(raw, type)
      const n = Number(s.replace(/[dDfF]$/, ''))
      return type === 'float' ? Math.fround(n) : n
    }
    case 'boolean': {
      const s = raw.trim().toLowerCase()
      if (s === 'true') return true
      if (s === 'false') return false
      throw bad(raw, type)
    }
    case 'date': {
      const m = DATE_RE.exec(raw.trim())
      if (!m) {
        // A timestamp-shaped value for a date column: keep the date part when the time is midnight.
        const t = TS_RE.exec(raw.trim())
        if (
          t &&
          !t[8] &&
          Number(t[4]) === 0 &&
          Number(t[5]) === 0 &&
          Number(t[6] ?? 0) === 0 &&
          !/[1-9]/.test(t[7] ?? '')
        ) {
          return parseDays(raw, type, t[1], t[2], t[3])
        }
        throw bad(raw, type)
      }
      return parseDays(raw, type, m[1], m[2], m[3])
    }
    case 'timestamp':
    case 'timestamp_ntz':
      return parseTimestamp(raw, type)
    case 'binary':
      // Spark casts the bytes to a string (UTF-8) to write the value; ASCII bytes look like the spec's
      // "\u0001\u0002" example.
      return TEXT_ENCODER.encode(raw)
    case 'variant':
      throw new DeltaError('UNSUPPORTED_FEATURE', 'partition column of type variant is not supported')
    default: {
      const dp = decimalParams(type)
      if (dp) return parseDecimalString(raw, dp.precision, dp.scale)
      throw bad(raw, type, 'unknown type')
    }
  }
}

const pad = (n: number, w: number) => String(n).padStart(w, '0')

/** Formats days since the epoch as `YYYY-MM-DD` (years before 1 or after 9999 keep their sign / width). */
export function formatDate(days: number): string {
  const { year, month, day } = civilFromDays(days)
  const y = year < 0 ? `-${pad(-year, 4)}` : pad(year, 4)
  return `${y}-${pad(month, 2)}-${pad(day, 2)}`
}

/** Formats µs since the epoch as `YYYY-MM-DD HH:MM:SS.ffffff` (no zone suffix; the caller knows it is UTC). */
export function formatTimestamp(micros: bigint): string {
  let days = micros / MICROS_PER_DAY
  let rem = micros % MICROS_PER_DAY
  if (rem < 0n) {
    rem += MICROS_PER_DAY
    days -= 1n
  }
  const secs = Number(rem / 1_000_000n)
  const frac = Number(rem % 1_000_000n)
  const hh = Math.floor(secs / 3600)
  const mm = Math.floor((secs % 3600) / 60)
  const ss = secs % 60
  return `${formatDate(Number(days))} ${pad(hh, 2)}:${pad(mm, 2)}:${pad(ss, 2)}.${pad(frac, 6)}`
}

function typeError(v: ScalarValue, type: DataType): DeltaError {
  const t = typeof type === 'string' ? type : type.type
  return new DeltaError('INVALID_ARGUMENT', `value ${String(v)} (${typeof v}) does not fit partition type ${t}`)
}

/**
 * Serializes a value for `add.partitionValues` (the inverse of {@link parsePartitionValue}): null → null;
 * dates `YYYY-MM-DD`; timestamp in UTC ISO-8601 `YYYY-MM-DDTHH:MM:SS.ffffffZ`; timestamp_ntz (wall clock, no
 * zone) `YYYY-MM-DD HH:MM:SS.ffffff`; decimals
 * plain (`-123.45`, never an exponent, scale digits kept); binary as UTF-8 text (Spark's form); floats as JS
 * prints them (`NaN`, `Infinity`).
 *
 * @throws DeltaError `INVALID_ARGUMENT` when `v` is not the JS representation of `type`, or is binary that
 *   is not valid UTF-8.
 */
export function serializePartitionValue(v: ScalarValue, type: DataType): string | null {
  if (v === null || v === undefined) return null
  if (typeof type !== 'string') throw typeError(v, type)
  switch (type) {
    case 'string':
      if (typeof v !== 'string') throw typeError(v, type)
      return v
    case 'byte':
    case 'short':
    case 'integer':
      if (typeof v === 'bigint') return v.toString()
      if (typeof v !== 'number' || !Number.isInteger(v)) throw typeError(v, type)
      return String(v)
    case 'long':
      if (typeof v === 'bigint') return v.toString()
      if (typeof v !== 'number' || !Number.isInteger(v)) throw typeError(v, type)
      return String(v)
    case 'float':
    case 'double':
      if (typeof v !== 'number') throw typeError(v, type)
      return String(v)
    case 'boolean':
      if (typeof v !== 'boolean') throw typeError(v, type)
      return v ? 'true' : 'false'
    case 'date':
      if (typeof v !== 'number' || !Number.isInteger(v)) throw typeError(v, type)
      return formatDate(v)
    case 'timestamp':
      if (typeof v !== 'bigint') throw typeError(v, type)
      // The spec's UTC ISO-8601 form: readers must not take it in a session time zone (Spark reads the
      // zone-less form in its session zone).
      return `${formatTimestamp(v).replace(' ', 'T')}Z`
    case 'timestamp_ntz':
      if (typeof v !== 'bigint') throw typeError(v, type)
      return formatTimestamp(v)
    case 'binary': {
      if (!(v instanceof Uint8Array)) throw typeError(v, type)
      try {
        return UTF8_STRICT.decode(v)
      } catch (err) {
        // Spark reads binary partition values as UTF-8 text: other bytes cannot be written faithfully.
        throw new DeltaError('INVALID_ARGUMENT', 'binary partition value is not valid UTF-8 and cannot be serialized', {
          cause: err,
        })
      }
    }
    default: {
      const dp = decimalParams(type)
      if (!dp) throw typeError(v, type)
      if (isDecimalValue(v)) return decimalToString(rescale(v, dp.scale, type))
      if (typeof v === 'bigint') return decimalToString({ unscaled: v * 10n ** BigInt(dp.scale), scale: dp.scale })
      if (typeof v === 'number' || typeof v === 'string')
        return decimalToString(parseDecimalString(String(v), dp.precision, dp.scale))
      throw typeError(v, type)
    }
  }
}

function rescale(v: DecimalValue, scale: number, type: DataType): DecimalValue {
  if (v.scale === scale) return v
  if (v.scale < scale) return { unscaled: v.unscaled * 10n ** BigInt(scale - v.scale), scale }
  const f = 10n ** BigInt(v.scale - scale)
  if (v.unscaled % f !== 0n) throw typeError(decimalToString(v), type)
  return { unscaled: v.unscaled / f, scale }
}

function typeRank(v: ScalarValue): number {
  if (v === null || v === undefined) return 0
  if (typeof v === 'boolean') return 1
  if (typeof v === 'number' || typeof v === 'bigint' || isDecimalValue(v)) return 2
  if (typeof v === 'string') return 3
  if (v instanceof Uint8Array) return 4
  if (Array.isArray(v)) return 5
  if (v instanceof Map) return 6
  return 7
}

function cmpNum(a: number | bigint, b: number | bigint): number {
  // NaN sorts above everything and equals itself (Spark's ordering), so the order is total.
  const an = typeof a === 'number' && Number.isNaN(a)
  const bn = typeof b === 'number' && Number.isNaN(b)
  if (an || bn) return an && bn ? 0 : an ? 1 : -1
  if (typeof a === typeof b) return a < b ? -1 : a > b ? 1 : 0
  // Mixed number/bigint: compare exactly when the number is integral, else through the float.
  if (typeof a === 'number' && !Number.isInteger(a)) return a < Number(b) ? -1 : a > Number(b) ? 1 : 0
  if (typeof b === 'number' && !Number.isInteger(b)) return Number(a) < b ? -1 : Number(a) > b ? 1 : 0
  const x = BigInt(a)
  const y = BigInt(b)
  return x < y ? -1 : x > y ? 1 : 0
}

function toDecimal(v: number | bigint | DecimalValue): DecimalValue | undefined {
  if (isDecimalValue(v)) return v
  if (typeof v === 'bigint') return { unscaled: v, scale: 0 }
  if (!Number.isFinite(v)) return undefined
  return parseDecimalString(String(v), 400, 40)
}

function cmpDecimal(a: DecimalValue, b: DecimalValue): number {
  const s = Math.max(a.scale, b.scale)
  const x = a.unscaled * 10n ** BigInt(s - a.scale)
  const y = b.unscaled * 10n ** BigInt(s - b.scale)
  return x < y ? -1 : x > y ? 1 : 0
}

/** Compares strings by Unicode code point, which is UTF-8 byte order (how Spark and parquet order strings). */
function cmpString(a: string, b: string): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!
    const y = b.codePointAt(i)!
    if (x !== y) return x < y ? -1 : 1
    if (x > 0xffff) i++
  }
  return a.length - b.length < 0 ? -1 : a.length > b.length ? 1 : 0
}

/**
 * A total order over values of one Delta type: numbers, bigints and decimals numerically (NaN greatest and
 * equal to itself, -0 equal to 0), strings by UTF-8 bytes, binary by unsigned bytes, false < true, structs
 * field by field, arrays and maps lexicographically. null sorts before every non-null value. Values of
 * different kinds are ordered by kind so the result stays a total order. Returns a negative number, 0 or a
 * positive number. Never throws.
 */
export function compareScalars(a: ScalarValue, b: ScalarValue): number {
  const ra = typeRank(a)
  const rb = typeRank(b)
  if (ra !== rb) return ra < rb ? -1 : 1
  switch (ra) {
    case 0:
      return 0
    case 1:
      return a === b ? 0 : a ? 1 : -1
    case 2: {
      if (isDecimalValue(a) || isDecimalValue(b)) {
        const x = toDecimal(a as number | bigint | DecimalValue)
        const y = toDecimal(b as number | bigint | DecimalValue)
        if (x && y) return cmpDecimal(x, y)
        const fx = x ? Number(decimalToString(x)) : (a as number)
        const fy = y ? Number(decimalToString(y)) : (b as number)
        return cmpNum(fx, fy)
      }
      return cmpNum(a as number | bigint, b as number | bigint)
    }
    case 3:
      return cmpString(a as string, b as string)
    case 4: {
      const x = a as Uint8Array
      const y = b as Uint8Array
      const n = Math.min(x.length, y.length)
      for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1
      return x.length === y.length ? 0 : x.length < y.length ? -1 : 1
    }
    case 5: {
      const x = a as ScalarValue[]
      const y = b as ScalarValue[]
      const n = Math.min(x.length, y.length)
      for (let i = 0; i < n; i++) {
        const c = compareScalars(x[i], y[i])
        if (c !== 0) return c
      }
      return x.length === y.length ? 0 : x.length < y.length ? -1 : 1
    }
    case 6: {
      const sortEntries = (m: Map<ScalarValue, ScalarValue>) =>
        [...m.entries()].sort((p, q) => compareScalars(p[0], q[0]) || compareScalars(p[1], q[1])).flat()
      return compareScalars(
        sortEntries(a as Map<ScalarValue, ScalarValue>),
        sortEntries(b as Map<ScalarValue, ScalarValue>),
      )
    }
    default: {
      const x = a as Record<string, ScalarValue>
      const y = b as Record<string, ScalarValue>
      const keys = [...new Set([...Object.keys(x), ...Object.keys(y)])]
      for (const k of keys) {
        const c = compareScalars(x[k] ?? null, y[k] ?? null)
        if (c !== 0) return c
      }
      return 0
    }
  }
}

/** True when `type` can be a partition column type (a primitive other than variant). */
export function isPartitionableType(type: DataType): boolean {
  return !isStruct(type) && !isArray(type) && !isMap(type) && type !== 'variant'
}
