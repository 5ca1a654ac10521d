/**
 * Value conversions of `delta-ts/testing`: plain JavaScript input values → the exact value a Delta column
 * stores ({@link coerceValue}), stored values → the JSON-safe "plain form" that `readRows` returns
 * ({@link formatValue}), and the order of plain values ({@link comparePlain}).
 *
 * Only the public API of delta-ts is used (this module is part of a separate entry point).
 */
import { type DataType, DeltaError, decimalParams, isArray, isMap, isStruct, type StructType } from 'delta-ts'

/** A stored value: what {@link coerceValue} produces and the Arrow builder consumes. */
export type Stored =
  | null
  | number
  | bigint
  | string
  | boolean
  | Uint8Array
  | Stored[]
  | { [name: string]: Stored }
  | StoredMap

/** A map value as its entries, in input order. */
export interface StoredMap {
  readonly mapEntries: [Stored, Stored][]
}

/** How a variant column reads: its unshredded physical layout, two binary fields. */
export const VARIANT_AS_STRUCT: StructType = {
  type: 'struct',
  fields: [
    { name: 'value', type: 'binary', nullable: false },
    { name: 'metadata', type: 'binary', nullable: false },
  ],
}

const INT_RANGE: Record<string, [number, number]> = {
  byte: [-128, 127],
  short: [-32768, 32767],
  integer: [-2147483648, 2147483647],
}
const LONG_MIN = -(2n ** 63n)
const LONG_MAX = 2n ** 63n - 1n
const MICROS_PER_DAY = 86_400_000_000n

function bad(where: string, message: string): never {
  throw new DeltaError('INVALID_ARGUMENT', `${where}: ${message}`)
}

function describe(v: unknown): string {
  if (typeof v === 'bigint') return `${v}n`
  if (typeof v === 'string') return JSON.stringify(v)
  if (v instanceof Date) return `Date(${Number.isNaN(v.getTime()) ? 'invalid' : v.toISOString()})`
  if (v instanceof Uint8Array) return `Uint8Array(${v.byteLength})`
  if (v instanceof Map) return `Map(${v.size})`
  if (Array.isArray(v)) return `array(${v.length})`
  if (typeof v === 'object' && v !== null) return 'object'
  return String(v)
}

/** True for `{...}` literals and `Object.create(null)` objects (not arrays, Dates, Maps, typed arrays). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false
  const proto = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}

/**
 * Parses an ISO-8601 date-time keeping microseconds: `2024-01-31T12:00:00.123456Z`, a space instead of `T`,
 * offsets `+02:00`, or no zone. Returns microseconds since the epoch (wall clock as UTC when there is no zone)
 * and whether a zone was given.
 */
function parseDateTime(s: string, where: string): { micros: bigint; zoned: boolean } {
  const m =
    /^(-?\d{4,6})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i.exec(
      s,
    )
  if (!m) bad(where, `${JSON.stringify(s)} is not an ISO-8601 date-time`)
  const [, y, mo, d, h = '0', mi = '0', sec = '0', frac = '', zone] = m
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec))
  const check = new Date(ms)
  if (
    Number.isNaN(ms) ||
    check.getUTCMonth() !== Number(mo) - 1 ||
    check.getUTCDate() !== Number(d) ||
    Number(h) > 23 ||
    Number(mi) > 59 ||
    Number(sec) > 59
  )
    bad(where, `${JSON.stringify(s)} is not a valid date-time`)
  if (frac.length > 6 && /[1-9]/.test(frac.slice(6)))
    bad(where, `${JSON.stringify(s)} has more than microsecond precision`)
  let micros = BigInt(ms) * 1000n + BigInt(frac.slice(0, 6).padEnd(6, '0'))
  if (zone && zone.toUpperCase() !== 'Z') {
    const zm = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone)!
    const offsetMin = Number(zm[2]) * 60 + Number(zm[3] ?? '0')
    micros -= BigInt((zm[1] === '-' ? -1 : 1) * offsetMin) * 60_000_000n
  }
  return { micros, zoned: zone !== undefined }
}

function dateToMicros(v: Date, where: string): bigint {
  const ms = v.getTime()
  if (Number.isNaN(ms)) bad(where, 'invalid Date')
  return BigInt(ms) * 1000n
}

function integral(v: unknown, where: string, typeName: string): bigint {
  if (typeof v === 'bigint') return v
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) bad(where, `${describe(v)} is not an integer (column type ${typeName})`)
    if (!Number.isSafeInteger(v)) bad(where, `${v} is beyond 2^53: pass a bigint for ${typeName} values this large`)
    return BigInt(v)
  }
  if (typeof v === 'string' && /^[+-]?\d+$/.test(v.trim())) return BigInt(v.trim())
  return bad(where, `expected an integer for type ${typeName}, got ${describe(v)}`)
}

/** The unscaled value of a decimal given as a string, bigint or number, checked against precision and scale. */
function decimalUnscaled(v: unknown, precision: number, scale: number, where: string): bigint {
  let text: string
  if (typeof v === 'bigint') text = v.toString()
  else if (typeof v === 'number') {
    if (!Number.isFinite(v)) bad(where, `${v} is not a decimal`)
    text = String(v)
  } else if (typeof v === 'string') text = v.trim()
  else return bad(where, `expected a decimal as a string (e.g. "12.50"), got ${describe(v)}`)
  const m = /^([+-])?(\d*)(?:\.(\d*))?$/.exec(text)
  if (!m || (m[2] === '' && (m[3] ?? '') === ''))
    bad(where, `${JSON.stringify(text)} is not a decimal number (exponents are not accepted)`)
  const [, sign, intPart, fracPart = ''] = m
  if (fracPart.length > scale && /[1-9]/.test(fracPart.slice(scale)))
    bad(where, `${text} has more than ${scale} fraction digits (decimal(${precision},${scale})); it would be rounded`)
  const digits = (intPart.replace(/^0+/, '') || '0') + fracPart.slice(0, scale).padEnd(scale, '0')
  const unscaled = BigInt(digits)
  if (unscaled.toString().length > precision && unscaled !== 0n)
    bad(where, `${text} does not fit decimal(${precision},${scale})`)
  return sign === '-' ? -unscaled : unscaled
}

function base64ToBytes(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'base64'))
}

/** An object key (always a string) as a value of the map's key type: numbers and booleans are parsed. */
function keyFromString(k: string, keyType: DataType): unknown {
  switch (keyType) {
    case 'byte':
    case 'short':
    case 'integer':
    case 'float':
    case 'double':
      return /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$|^(NaN|-?Infinity)$/.test(k) ? Number(k) : k
    case 'boolean':
      return k === 'true' ? true : k === 'false' ? false : k
    default:
      return k
  }
}

/**
 * Converts one input value to the stored value of a column of type `type`. Accepted inputs per type:
 *
 * - byte / short / integer: number (integral, in range) or bigint;
 * - long: bigint, safe-integer number or a string of digits;
 * - float / double: number, or `'NaN'`, `'Infinity'`, `'-Infinity'`;
 * - decimal(p,s): string (`'12.50'`), bigint or number; more than `s` significant fraction digits or more
 *   than `p` digits is an error (never rounded);
 * - string: string; boolean: boolean; binary: Uint8Array (Buffer) or a base64 string;
 * - date: `'YYYY-MM-DD'` or a Date at midnight UTC;
 * - timestamp: Date, ISO-8601 string (microseconds kept; no zone = UTC), bigint (µs since the epoch) or
 *   number (ms since the epoch); timestamp_ntz: the same, a zone in a string is an error;
 * - struct: plain object (unknown keys are an error, missing keys are null); array: array;
 * - map: Map, plain object (keys converted from strings to the key type) or an array of `[key, value]`.
 *
 * @throws DeltaError `INVALID_ARGUMENT` naming `where` and the value when it does not fit the type.
 */
export function coerceValue(v: unknown, type: DataType, nullable: boolean, where: string): Stored {
  if (v === null || v === undefined) {
    if (!nullable) bad(where, 'null in a non-nullable field')
    return null
  }
  if (isStruct(type)) {
    if (!isPlainObject(v)) bad(where, `expected an object for a struct, got ${describe(v)}`)
    const names = new Set(type.fields.map((f) => f.name))
    for (const k of Object.keys(v)) if (!names.has(k)) bad(where, `unknown struct field '${k}'`)
    const out: Record<string, Stored> = {}
    for (const f of type.fields) out[f.name] = coerceValue(v[f.name], f.type, f.nullable, `${where}.${f.name}`)
    return out
  }
  if (isArray(type)) {
    if (!Array.isArray(v)) bad(where, `expected an array, got ${describe(v)}`)
    return v.map((e, i) => coerceValue(e, type.elementType, type.containsNull, `${where}[${i}]`))
  }
  if (isMap(type)) {
    let entries: [unknown, unknown][]
    if (v instanceof Map) entries = [...v.entries()]
    else if (Array.isArray(v)) {
      if (!v.every((e) => Array.isArray(e) && e.length === 2)) bad(where, 'a map as an array needs [key, value] pairs')
      entries = v as [unknown, unknown][]
    } else if (isPlainObject(v)) entries = Object.entries(v).map(([k, x]) => [keyFromString(k, type.keyType), x])
    else return bad(where, `expected a Map, an object or [key, value] pairs for a map, got ${describe(v)}`)
    return {
      mapEntries: entries.map(([k, val]) => {
        const key = coerceValue(k, type.keyType, false, `${where}{key ${String(k)}}`)
        return [key, coerceValue(val, type.valueType, type.valueContainsNull, `${where}[${String(k)}]`)]
      }),
    }
  }
  switch (type) {
    case 'byte':
    case 'short':
    case 'integer': {
      if (typeof v === 'string') bad(where, `expected a number for type ${type}, got ${describe(v)}`)
      const n = integral(v, where, type)
      const [lo, hi] = INT_RANGE[type]
      if (n < BigInt(lo) || n > BigInt(hi)) bad(where, `${n} is out of range for ${type}`)
      return Number(n)
    }
    case 'long': {
      const n = integral(v, where, type)
      if (n < LONG_MIN || n > LONG_MAX) bad(where, `${n} is out of range for long`)
      return n
    }
    case 'float':
    case 'double': {
      let x: number
      if (typeof v === 'number') x = v
      else if (v === 'NaN' || v === 'Infinity' || v === '-Infinity') x = Number(v)
      else return bad(where, `expected a number for type ${type}, got ${describe(v)}`)
      return type === 'float' ? Math.fround(x) : x
    }
    case 'string':
      if (typeof v !== 'string') bad(where, `expected a string, got ${describe(v)}`)
      return v
    case 'boolean':
      if (typeof v !== 'boolean') bad(where, `expected a boolean, got ${describe(v)}`)
      return v
    case 'binary':
      if (v instanceof Uint8Array) return v
      if (typeof v === 'string') return base64ToBytes(v)
      return bad(where, `expected a Uint8Array or a base64 string for binary, got ${describe(v)}`)
    case 'date': {
      let micros: bigint
      if (v instanceof Date) micros = dateToMicros(v, where)
      else if (typeof v === 'string' && /^-?\d{4,6}-\d{2}-\d{2}$/.test(v.trim())) {
        micros = parseDateTime(v.trim(), where).micros
      } else return bad(where, `expected 'YYYY-MM-DD' or a Date for a date, got ${describe(v)}`)
      if (micros % MICROS_PER_DAY !== 0n)
        bad(where, `${describe(v)} has a time of day; a date column takes midnight UTC (or 'YYYY-MM-DD')`)
      return Number(micros / MICROS_PER_DAY)
    }
    case 'timestamp':
    case 'timestamp_ntz': {
      if (v instanceof Date) return dateToMicros(v, where)
      if (typeof v === 'bigint') return v
      if (typeof v === 'number') {
        if (!Number.isFinite(v)) bad(where, `${v} is not a timestamp`)
        return BigInt(Math.round(v * 1000))
      }
      if (typeof v === 'string') {
        const { micros, zoned } = parseDateTime(v.trim(), where)
        if (zoned && type === 'timestamp_ntz') bad(where, `${JSON.stringify(v)} has a zone; timestamp_ntz takes none`)
        return micros
      }
      return bad(where, `expected a Date, an ISO-8601 string or a bigint of microseconds, got ${describe(v)}`)
    }
    case 'void':
      return bad(where, `a void column holds only null, got ${describe(v)}`)
    default: {
      const dp = decimalParams(type)
      if (dp) return decimalUnscaled(v, dp.precision, dp.scale, where)
      return bad(where, `type ${JSON.stringify(type)} is not supported by delta-ts/testing`)
    }
  }
}

/** `YYYY-MM-DDTHH:MM:SS.ffffff` of microseconds since the epoch (no zone suffix). */
function microsToIso(micros: bigint): string {
  let ms = micros / 1000n
  let rest = micros % 1000n
  if (rest < 0n) {
    rest += 1000n
    ms -= 1n
  }
  const iso = new Date(Number(ms)).toISOString() // ...SS.mmmZ
  return `${iso.slice(0, -1)}${rest.toString().padStart(3, '0')}`
}

/** Formats an unscaled decimal with exactly `scale` fraction digits. */
export function formatDecimal(unscaled: bigint, scale: number): string {
  const neg = unscaled < 0n
  let digits = (neg ? -unscaled : unscaled).toString()
  if (scale > 0) {
    digits = digits.padStart(scale + 1, '0')
    digits = `${digits.slice(0, -scale)}.${digits.slice(-scale)}`
  }
  return (neg ? '-' : '') + digits
}

function formatFloat(x: number): number | string {
  if (Number.isNaN(x)) return 'NaN'
  if (x === Number.POSITIVE_INFINITY) return 'Infinity'
  if (x === Number.NEGATIVE_INFINITY) return '-Infinity'
  return Object.is(x, -0) ? 0 : x
}

/**
 * The plain (JSON-safe) form of a stored value, as `readRows` returns it:
 *
 * | Delta type | plain form |
 * |---|---|
 * | byte, short, integer | number |
 * | long | string of digits (`"9007199254740993"`) |
 * | float, double | number; `"NaN"`, `"Infinity"`, `"-Infinity"`; -0 as 0 |
 * | decimal(p,s) | string with exactly s fraction digits (`"12.50"`) |
 * | string, boolean | as is |
 * | binary | base64 string |
 * | date | `"YYYY-MM-DD"` |
 * | timestamp | `"YYYY-MM-DDTHH:MM:SS.ffffffZ"` (UTC, always six fraction digits) |
 * | timestamp_ntz | `"YYYY-MM-DDTHH:MM:SS.ffffff"` |
 * | struct | object with the fields in schema order |
 * | array | array |
 * | map | object keyed by the plain form of each key (`String()` of it; JSON for struct/array keys) |
 * | null | null |
 */
export function formatValue(v: Stored, type: DataType): unknown {
  if (v === null) return null
  if (type === 'variant') return formatValue(v, VARIANT_AS_STRUCT)
  if (isStruct(type)) {
    const o = v as Record<string, Stored>
    return Object.fromEntries(type.fields.map((f) => [f.name, formatValue(o[f.name] ?? null, f.type)]))
  }
  if (isArray(type)) return (v as Stored[]).map((e) => formatValue(e, type.elementType))
  if (isMap(type)) {
    const entries = (v as StoredMap).mapEntries.map(([k, val]) => {
      const pk = formatValue(k, type.keyType)
      return [typeof pk === 'object' ? JSON.stringify(pk) : String(pk), formatValue(val, type.valueType)] as const
    })
    entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    return Object.fromEntries(entries)
  }
  switch (type) {
    case 'byte':
    case 'short':
    case 'integer':
    case 'boolean':
    case 'string':
      return v
    case 'long':
      return String(v)
    case 'float':
    case 'double':
      return formatFloat(v as number)
    case 'binary':
      return Buffer.from(v as Uint8Array).toString('base64')
    case 'date':
      return microsToIso(BigInt(v as number) * MICROS_PER_DAY).slice(0, 10)
    case 'timestamp':
      return `${microsToIso(v as bigint)}Z`
    case 'timestamp_ntz':
      return microsToIso(v as bigint)
    default: {
      const dp = decimalParams(type)
      if (dp) return formatDecimal(v as bigint, dp.scale)
      return v
    }
  }
}

/**
 * The plain form of a value whose column type is unknown (comparing two plain row arrays): bigint → string,
 * Date → ISO string with microseconds, Uint8Array → base64, Map → object, NaN/±Infinity → strings, -0 → 0,
 * `undefined` → null; objects and arrays recursively.
 */
export function plainUntyped(v: unknown): unknown {
  if (v === null || v === undefined) return null
  if (typeof v === 'bigint') return v.toString()
  if (typeof v === 'number') return formatFloat(v)
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? 'Invalid Date' : `${v.toISOString().slice(0, -1)}000Z`
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64')
  if (v instanceof Map) return Object.fromEntries([...v.entries()].map(([k, val]) => [String(k), plainUntyped(val)]))
  if (Array.isArray(v)) return v.map(plainUntyped)
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, val]) => [k, plainUntyped(val)]))
  return v
}

function cmp<T>(a: T, b: T): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function floatRank(v: unknown): [number, number] {
  if (v === 'NaN') return [3, 0]
  if (v === 'Infinity') return [2, 0]
  if (v === '-Infinity') return [0, 0]
  return [1, v as number]
}

/**
 * Orders two plain values of a column of type `type`: nulls first, numbers numerically (long and decimal
 * exactly; NaN after +Infinity, like Spark), strings, dates and timestamps by their text (chronological for
 * years 0000-9999), false before true, binary by bytes, nested values by their JSON.
 */
export function comparePlain(a: unknown, b: unknown, type: DataType | undefined): number {
  if (a === null || a === undefined) return b === null || b === undefined ? 0 : -1
  if (b === null || b === undefined) return 1
  if (type === undefined) {
    if (typeof a === 'number' && typeof b === 'number') return cmp(a, b)
    if (typeof a === 'string' && typeof b === 'string') return cmp(a, b)
    return cmp(JSON.stringify(a), JSON.stringify(b))
  }
  if (typeof type === 'object') return cmp(JSON.stringify(a), JSON.stringify(b))
  switch (type) {
    case 'byte':
    case 'short':
    case 'integer':
      return cmp(a as number, b as number)
    case 'float':
    case 'double': {
      const [ra, va] = floatRank(a)
      const [rb, vb] = floatRank(b)
      return ra !== rb ? ra - rb : cmp(va, vb)
    }
    case 'long':
      return cmp(BigInt(a as string), BigInt(b as string))
    case 'boolean':
      return cmp(a as boolean, b as boolean)
    case 'binary':
      return Buffer.compare(Buffer.from(a as string, 'base64'), Buffer.from(b as string, 'base64'))
    default: {
      if (decimalParams(type)) {
        return cmp(BigInt((a as string).replace('.', '')), BigInt((b as string).replace('.', '')))
      }
      return cmp(String(a), String(b))
    }
  }
}
