import { DeltaError } from '../errors.js'
import { civilFromDays } from './partition-values.js'
import { isStruct, type StructField } from './schema.js'

/**
 * The rules of per-file statistics for `add.stats` (PROTOCOL.md §Per-file Statistics): which columns, how bounds
 * are truncated and formatted. Pure, no Arrow buffers: the kernel that computes them from a file's Arrow data is
 * `arrow/stats.ts` (`computeFileStats`).
 *
 * Which columns: the first `delta.dataSkippingNumIndexedCols` (default 32, `-1` = all) leaf columns of the
 * data schema (partition columns excluded) in schema order, nested structs counted leaf by leaf; or exactly
 * the columns listed in `delta.dataSkippingStatsColumns` when that is set (as Spark does).
 *
 * Bounds are always safe for data skipping (min <= every value <= max):
 * - strings: compared in UTF-8 byte order (= code point order, what Spark and parquet use, not JS UTF-16
 *   order); min is the 32-code-point prefix (a prefix never exceeds the string); a longer max is cut to the
 *   prefix plus the tie-breaker U+10FFFF (Spark's approach), and dropped if no such bound exists;
 * - timestamps: ISO-8601 with milliseconds; min truncated down, max rounded *up* to the next ms when it has
 *   sub-ms digits (Spark truncates max too and compensates when reading; rounding up is correct for readers
 *   that do not compensate); `timestamp` gets a `Z`, `timestamp_ntz` none;
 * - floats: NaN is ignored for min; a column holding NaN gets no max (NaN sorts above +Infinity in Spark, so
 *   any finite max would be a lie); infinite bounds are omitted (JSON cannot carry them);
 * - decimals are exact JSON numbers; dates `YYYY-MM-DD`; longs exact JSON integers (never rounded doubles);
 * - boolean, binary, array, map and variant columns get only `nullCount` (booleans as in Spark).
 * `nullCount` of a leaf counts rows where the leaf or any parent struct is null. Keys are physical names.
 */

/** Spark's default for `delta.dataSkippingNumIndexedCols`. */
export const DEFAULT_NUM_INDEXED_COLS = 32
/** Prefix length of string bounds in code points (Spark `spark.databricks.delta.stats.stringPrefixLength`). */
export const DEFAULT_STRING_PREFIX_LENGTH = 32

/** A JSON fragment written verbatim (exact bigints and decimals). */
export class RawJson {
  constructor(readonly text: string) {}
}
/** A value of the stats JSON tree. */
export type StatValue = RawJson | string | number | boolean | StatObject
/** An object of the stats JSON tree (keys in insertion order). */
export interface StatObject {
  [key: string]: StatValue
}

/**
 * The leaf column paths (joined with U+0000) that get stats, per `delta.dataSkippingStatsColumns` or
 * `delta.dataSkippingNumIndexedCols`. Arrays, maps and other non-struct types count as one leaf.
 */
export function selectStatsLeaves(
  fields: readonly StructField[],
  configuration: Readonly<Record<string, string | null | undefined>> | undefined,
): Set<string> {
  const leaves: string[][] = []
  const collect = (fs: readonly StructField[], prefix: string[]) => {
    for (const f of fs) {
      const p = [...prefix, f.name]
      if (isStruct(f.type)) collect(f.type.fields, p)
      else leaves.push(p)
    }
  }
  collect(fields, [])
  const statsColumns = configuration?.['delta.dataSkippingStatsColumns']
  if (statsColumns !== undefined && statsColumns !== null && statsColumns.trim() !== '') {
    const out = new Set<string>()
    for (const spec of splitColumnList(statsColumns)) {
      const matched = leaves.filter(
        (l) => l.length >= spec.length && spec.every((s, i) => s.toLowerCase() === l[i].toLowerCase()),
      )
      if (matched.length === 0) {
        throw new DeltaError(
          'INVALID_ARGUMENT',
          `delta.dataSkippingStatsColumns names unknown column '${spec.join('.')}'`,
        )
      }
      for (const l of matched) out.add(l.join('\u0000'))
    }
    return out
  }
  const raw = configuration?.['delta.dataSkippingNumIndexedCols']
  const n = raw === undefined || raw === null || raw === '' ? DEFAULT_NUM_INDEXED_COLS : Number(raw)
  if (!Number.isInteger(n) || n < -1) {
    throw new DeltaError('INVALID_ARGUMENT', `delta.dataSkippingNumIndexedCols must be an integer >= -1, got '${raw}'`)
  }
  return new Set((n === -1 ? leaves : leaves.slice(0, n)).map((l) => l.join('\u0000')))
}

// `a, b.c, \`we.ird\`.x` → [['a'], ['b','c'], ['we.ird','x']]
function splitColumnList(s: string): string[][] {
  const out: string[][] = []
  let parts: string[] = []
  let cur = ''
  let quoted = false
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]
    if (ch === '`') {
      if (quoted && s[i + 1] === '`') {
        cur += '`'
        i++
      } else quoted = !quoted
    } else if (!quoted && ch === '.') {
      parts.push(cur.trim())
      cur = ''
    } else if (!quoted && ch === ',') {
      parts.push(cur.trim())
      if (parts.some((p) => p !== '')) out.push(parts)
      parts = []
      cur = ''
    } else cur += ch
  }
  parts.push(cur.trim())
  if (parts.some((p) => p !== '')) out.push(parts)
  return out
}

/** JSON of a float bound: its exact double value (`-0.0` for negative zero). */
export function floatJson(v: number, type: 'float' | 'double'): string {
  if (Object.is(v, -0)) return '-0.0'
  // A float32 printed as a double has noise digits (0.1f → 0.10000000149011612); that is its exact value, so
  // keep it: a shorter decimal could round below the true min or above the true max.
  void type
  return String(v)
}

/** Whether a year is in the range stats carry (1..9999, what Spark's formatters accept). */
export function inYearRange(year: number): boolean {
  return year >= 1 && year <= 9999
}

/** `floor(a / b)` for bigints. */
export function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q
}

const MS_PER_DAY = 86_400_000n

/** ISO-8601 with milliseconds of `ms` since the epoch (`Z` when `zulu`); undefined outside years 1..9999. */
export function formatIsoMillis(ms: bigint, zulu: boolean): string | undefined {
  const days = floorDiv(ms, MS_PER_DAY)
  const rem = Number(ms - days * MS_PER_DAY)
  const { year, month, day } = civilFromDays(Number(days))
  if (!inYearRange(year)) return undefined
  const p = (n: number, w = 2) => String(n).padStart(w, '0')
  const hh = Math.floor(rem / 3_600_000)
  const mm = Math.floor((rem % 3_600_000) / 60_000)
  const ss = Math.floor((rem % 60_000) / 1000)
  const fff = rem % 1000
  return `${p(year, 4)}-${p(month)}-${p(day)}T${p(hh)}:${p(mm)}:${p(ss)}.${p(fff, 3)}${zulu ? 'Z' : ''}`
}

const MAX_CODE_POINT = String.fromCodePoint(0x10ffff)

/**
 * The UTF-16 index just after the first `n` code points of `s` starting at index `from`, or `s.length` when
 * fewer remain. Reads only those code points (never the whole string).
 */
function afterCodePoints(s: string, n: number, from = 0): number {
  let i = from
  for (let k = 0; k < n && i < s.length; k++) {
    const c = s.charCodeAt(i)
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00 ? 2 : 1
  }
  return i
}

/**
 * A lower bound of `s` of at most `n` code points: its prefix (a prefix never sorts after the string). Work is
 * bounded by `n`, whatever the length of `s`.
 */
export function truncateMin(s: string, n: number): string {
  const cut = afterCodePoints(s, n)
  return cut >= s.length ? s : s.slice(0, cut)
}

/**
 * An upper bound of `s` of about `n` code points, or undefined when none is cheap to find. Longer strings
 * become their prefix plus U+10FFFF, which sorts after every continuation of the prefix — unless the next code
 * point is itself U+10FFFF, in which case the prefix grows over those (up to 2n) before giving up. Work is
 * bounded by `n`, whatever the length of `s`.
 */
export function truncateMax(s: string, n: number): string | undefined {
  let cut = afterCodePoints(s, n)
  if (cut >= s.length) return s
  let count = n
  while (cut < s.length && s.codePointAt(cut) === 0x10ffff) {
    cut += 2
    count++
    if (count > 2 * n) return undefined
  }
  if (cut >= s.length) return s
  return s.slice(0, cut) + MAX_CODE_POINT
}

/** The JSON text of a stats tree ({@link RawJson} fragments verbatim). */
export function toJson(v: StatValue): string {
  if (v instanceof RawJson) return v.text
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return JSON.stringify(v)
  return `{${Object.entries(v)
    .map(([k, x]) => `${JSON.stringify(k)}:${toJson(x)}`)
    .join(',')}}`
}
