/**
 * Strict parsers for the text values found in CSV cells. Each returns `undefined` for an empty cell and
 * `null` for a value that is present but does not parse, so callers can tell "missing" from "bad".
 */

const MICROS_PER_DAY = 86_400_000_000n
const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

/** True when a cell is absent or only whitespace. */
export function isBlank(v: string | undefined | null): boolean {
  return v === undefined || v === null || v.trim() === ''
}

/**
 * Parses a 64-bit integer. Accepts an optional sign and a `.0…` fraction (Excel writes whole numbers that way
 * sometimes); anything else (letters, other fractions, overflow) is `null`.
 */
export function parseLong(v: string | undefined): bigint | null | undefined {
  // Fast path (almost every cell): up to 15 plain digits, exact as a double, no regex.
  if (v !== undefined && v.length > 0 && v.length <= 15) {
    let n = 0
    let k = 0
    for (; k < v.length; k++) {
      const d = v.charCodeAt(k) - 48
      if (d < 0 || d > 9) break
      n = n * 10 + d
    }
    if (k === v.length) return BigInt(n)
  }
  if (isBlank(v)) return undefined
  const m = /^\s*([+-]?\d+)(?:\.0*)?\s*$/.exec(v as string)
  if (!m) return null
  const n = BigInt(m[1])
  return n < INT64_MIN || n > INT64_MAX ? null : n
}

/** Parses a 32-bit integer under the same rules as {@link parseLong}. */
export function parseInt32(v: string | undefined): number | null | undefined {
  const n = parseLong(v)
  if (n === undefined || n === null) return n
  return n < -2147483648n || n > 2147483647n ? null : Number(n)
}

/**
 * Parses a decimal into its unscaled integer at `scale` (e.g. "12.5" at scale 2 → 1250n). More fraction
 * digits than `scale` (other than trailing zeros) or more than `precision` digits in all is `null`: a money
 * amount is never rounded silently.
 */
export function parseDecimal(v: string | undefined, precision: number, scale: number): bigint | null | undefined {
  if (isBlank(v)) return undefined
  const m = /^\s*([+-]?)(\d*)(?:\.(\d*))?\s*$/.exec(v as string)
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return null
  const frac = (m[3] ?? '').replace(/0+$/, '')
  if (frac.length > scale) return null
  const digits = (m[2] || '0') + frac.padEnd(scale, '0')
  const unscaled = BigInt(digits)
  if (unscaled.toString().length > precision) return null
  return m[1] === '-' ? -unscaled : unscaled
}

/** Parses 0/1/true/false (any case, also yes/no). */
export function parseBoolean(v: string | undefined): boolean | null | undefined {
  if (isBlank(v)) return undefined
  const s = (v as string).trim().toLowerCase()
  if (s === '1' || s === 'true' || s === 'yes' || s === '1.0') return true
  if (s === '0' || s === 'false' || s === 'no' || s === '0.0') return false
  return null
}

/**
 * Days since 1970-01-01 of a calendar date, null for an impossible one (month 13, February 30, ...). Years
 * 0-99 are refused, as `Date.UTC` (which maps them to 1900-1999) made the original parser refuse them.
 * Arithmetic only (Howard Hinnant's days_from_civil), no Date object per cell.
 */
export function daysFromCivil(y: number, m: number, d: number): number | null {
  if (m < 1 || m > 12 || d < 1 || d > 31 || y < 100) return null
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0
  const dim = m === 2 ? (leap ? 29 : 28) : m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31
  if (d > dim) return null
  const yy = m <= 2 ? y - 1 : y
  const era = Math.floor(yy / 400)
  const yoe = yy - era * 400
  const mp = (m + 9) % 12
  const doy = Math.floor((153 * mp + 2) / 5) + d - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146_097 + doe - 719_468
}

/** Parses a `YYYY-MM-DD` calendar date into days since 1970-01-01; other shapes and impossible dates are `null`. */
export function parseDate(v: string | undefined): number | null | undefined {
  if (isBlank(v)) return undefined
  const m = /^\s*(\d{4})-(\d{2})-(\d{2})\s*$/.exec(v as string)
  if (!m) return null
  return daysFromCivil(Number(m[1]), Number(m[2]), Number(m[3]))
}

/** Digits `from..to` of `v` as a number, -1 when one is not a digit. */
export function digitsAt(v: string, from: number, to: number): number {
  let n = 0
  for (let k = from; k < to; k++) {
    const d = v.charCodeAt(k) - 48
    if (d < 0 || d > 9) return -1
    n = n * 10 + d
  }
  return n
}

/**
 * Seconds since the epoch of `YYYY-MM-DDTHH:MM:SSZ` (the shape the xlsx conversion writes), by arithmetic on char
 * codes: NaN for any other shape (the caller falls back to the strict parser), +Infinity for that shape with an
 * impossible calendar day (a value that does not parse).
 */
export function isoZSeconds(v: string): number {
  if (v.length !== 20 || v.charCodeAt(19) !== 90 /* Z */ || v.charCodeAt(10) !== 84 /* T */) return Number.NaN
  if (v.charCodeAt(4) !== 45 || v.charCodeAt(7) !== 45 || v.charCodeAt(13) !== 58 || v.charCodeAt(16) !== 58)
    return Number.NaN
  const y = digitsAt(v, 0, 4)
  const mo = digitsAt(v, 5, 7)
  const d = digitsAt(v, 8, 10)
  const hh = digitsAt(v, 11, 13)
  const mm = digitsAt(v, 14, 16)
  const ss = digitsAt(v, 17, 19)
  if (y < 0 || mo < 0 || d < 0 || hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 59) return Number.NaN
  const days = daysFromCivil(y, mo, d)
  // An impossible calendar day is a value that does not parse (the strict parser says null too).
  if (days === null) return Number.POSITIVE_INFINITY
  return days * 86_400 + hh * 3600 + mm * 60 + ss
}

/**
 * Parses a timestamp into microseconds since the epoch (UTC). Accepts `YYYY-MM-DD[T ]HH:MM[:SS[.ffffff]]`
 * with an optional `Z` or `±HH[:MM]` offset (no offset means UTC), and a bare `YYYY-MM-DD` (midnight UTC).
 */
export function parseTimestamp(v: string | undefined): bigint | null | undefined {
  // Fast path for the shape the xlsx conversion writes: arithmetic, no regex.
  if (v !== undefined) {
    const secs = isoZSeconds(v)
    if (secs === Number.POSITIVE_INFINITY) return null
    if (!Number.isNaN(secs)) return BigInt(secs) * 1_000_000n
  }
  if (isBlank(v)) return undefined
  const m =
    /^\s*(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?)?\s*$/i.exec(
      v as string,
    )
  if (!m) return null
  const days = daysFromCivil(Number(m[1]), Number(m[2]), Number(m[3]))
  if (days === null) return null
  const hh = Number(m[4] ?? 0)
  const mm = Number(m[5] ?? 0)
  const ss = Number(m[6] ?? 0)
  if (hh > 23 || mm > 59 || ss > 59) return null
  const micros = BigInt((m[7] ?? '').padEnd(6, '0').slice(0, 6) || '0')
  let offsetMin = 0
  const tz = m[8]
  if (tz && tz.toUpperCase() !== 'Z') {
    const t = /^([+-])(\d{2}):?(\d{2})?$/.exec(tz)
    if (!t) return null
    const oh = Number(t[2])
    const om = Number(t[3] ?? 0)
    if (oh > 23 || om > 59) return null
    offsetMin = (t[1] === '-' ? -1 : 1) * (oh * 60 + om)
  }
  const secs = BigInt(days) * 86_400n + BigInt(hh * 3600 + mm * 60 + ss) - BigInt(offsetMin * 60)
  return secs * 1_000_000n + micros
}

/** The UTC calendar day (days since epoch) of a microsecond timestamp. */
export function utcDayOfMicros(micros: bigint): number {
  let d = micros / MICROS_PER_DAY
  if (micros % MICROS_PER_DAY < 0n) d -= 1n
  return Number(d)
}

/** Formats days since epoch as `YYYY-MM-DD`. */
export function formatDate(days: number): string {
  return new Date(days * 86_400_000).toISOString().slice(0, 10)
}

/** Formats a microsecond timestamp as ISO-8601 UTC with microseconds (`2025-01-02T03:04:05.000006Z`). */
export function formatTimestamp(micros: bigint): string {
  const ms = micros / 1000n - (micros % 1000n < 0n ? 1n : 0n)
  const rest = micros - ms * 1000n
  const iso = new Date(Number(ms)).toISOString() // ...sss Z
  return `${iso.slice(0, 23)}${rest.toString().padStart(3, '0')}Z`
}

/** Formats an unscaled decimal at `scale` (1250n, 2 → "12.50"). */
export function formatDecimal(unscaled: bigint, scale: number): string {
  const neg = unscaled < 0n
  const s = (neg ? -unscaled : unscaled).toString().padStart(scale + 1, '0')
  const out = scale > 0 ? `${s.slice(0, -scale)}.${s.slice(-scale)}` : s
  return neg ? `-${out}` : out
}
