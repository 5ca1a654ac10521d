import type * as arrow from 'apache-arrow'
import { adoptTableOrBatch } from '../arrow/adopt.js'
import { DeltaError } from '../errors.js'
import { civilFromDays, decimalToString, formatDate } from './partition-values.js'
import {
  type ColumnMappingMode,
  type DataType,
  decimalParams,
  isStruct,
  physicalName,
  type StructField,
  type StructType,
} from './schema.js'

/**
 * Per-file statistics for `add.stats` (PROTOCOL.md §Per-file Statistics), computed from the Arrow data that
 * goes into one file. Pure: reads Arrow buffers, no IO.
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

/** Options of {@link computeFileStats}: the table schema and the configuration that selects stats columns. */
export interface FileStatsOptions {
  /** The table schema (logical). Arrow columns are looked up by logical name, then by physical name. */
  schema: StructType
  /** Partition columns (logical names): never in the file, never in stats. */
  partitionColumns?: readonly string[]
  /** Table configuration: `delta.dataSkippingNumIndexedCols`, `delta.dataSkippingStatsColumns`. */
  configuration?: Readonly<Record<string, string | null | undefined>>
  /** Stats keys use physical names under `name`/`id` mapping. Default `none`. */
  columnMappingMode?: ColumnMappingMode
  /** Default {@link DEFAULT_STRING_PREFIX_LENGTH}. */
  stringPrefixLength?: number
}

/** A JSON fragment written verbatim (exact bigints and decimals). */
class RawJson {
  constructor(readonly text: string) {}
}
type StatValue = RawJson | string | number | boolean | StatObject
interface StatObject {
  [key: string]: StatValue
}

/**
 * Computes the `add.stats` JSON string for the rows of `data` (one data file): `numRecords`, `minValues`,
 * `maxValues`, `nullCount` (empty objects are omitted). Throws `INVALID_ARGUMENT` when
 * `delta.dataSkippingNumIndexedCols` is not an integer >= -1 or `delta.dataSkippingStatsColumns` names a
 * column the schema lacks.
 */
export function computeFileStats(input: arrow.Table | arrow.RecordBatch, options: FileStatsOptions): string {
  const data = adoptTableOrBatch(input, 'computeFileStats data')
  const mode = options.columnMappingMode ?? 'none'
  const partition = new Set(options.partitionColumns ?? [])
  const dataFields = options.schema.fields.filter((f) => !partition.has(f.name))
  const selected = selectStatsLeaves(dataFields, options.configuration)
  const prefixLen = options.stringPrefixLength ?? DEFAULT_STRING_PREFIX_LENGTH
  const min: StatObject = {}
  const max: StatObject = {}
  const nulls: StatObject = {}
  const chunks = (name: string, phys: string): arrow.Data[] => {
    const child = data.getChild(name) ?? data.getChild(phys)
    return child ? (child.data as arrow.Data[]) : []
  }
  const walk = (
    fields: StructField[],
    parentPath: string[],
    getData: (f: StructField, phys: string) => LeafData[] | undefined,
    outMin: StatObject,
    outMax: StatObject,
    outNulls: StatObject,
  ) => {
    for (const field of fields) {
      const path = [...parentPath, field.name]
      if (!selected.has(path.join('\u0000')) && !hasSelectedDescendant(selected, path)) continue
      const phys = physicalName(field, mode)
      const parts = getData(field, phys)
      if (parts === undefined) continue // column absent from the data: no stats rather than wrong stats
      if (isStruct(field.type)) {
        const cMin: StatObject = {}
        const cMax: StatObject = {}
        const cNulls: StatObject = {}
        const structType = field.type
        walk(
          structType.fields,
          path,
          (child, childPhys) => {
            const out: LeafData[] = []
            for (const p of parts) {
              const t = p.data.type as arrow.DataType
              const idx = t.children.findIndex((c) => c.name === child.name)
              const j = idx >= 0 ? idx : t.children.findIndex((c) => c.name === childPhys)
              if (j < 0) return undefined
              const parentValid = p.valid
              const d = p.data
              out.push({
                data: d.children[j],
                valid: (i) => d.getValid(i) && (parentValid === undefined || parentValid(i)),
              })
            }
            return out
          },
          cMin,
          cMax,
          cNulls,
        )
        if (Object.keys(cMin).length) outMin[phys] = cMin
        if (Object.keys(cMax).length) outMax[phys] = cMax
        if (Object.keys(cNulls).length) outNulls[phys] = cNulls
        continue
      }
      const leaf = leafStats(field.type, parts, prefixLen)
      outNulls[phys] = leaf.nullCount
      if (leaf.min !== undefined) outMin[phys] = leaf.min
      if (leaf.max !== undefined) outMax[phys] = leaf.max
    }
  }
  walk(
    dataFields,
    [],
    (f, phys) => {
      const c = chunks(f.name, phys)
      return c.length || data.numRows === 0 ? c.map((d) => ({ data: d, valid: undefined })) : undefined
    },
    min,
    max,
    nulls,
  )
  const stats: StatObject = { numRecords: data.numRows }
  if (Object.keys(min).length) stats.minValues = min
  if (Object.keys(max).length) stats.maxValues = max
  if (Object.keys(nulls).length) stats.nullCount = nulls
  return toJson(stats)
}

interface LeafData {
  data: arrow.Data
  /** Whether every ancestor struct is valid at row i; undefined for top-level columns. */
  valid: ((i: number) => boolean) | undefined
}

function hasSelectedDescendant(selected: Set<string>, path: string[]): boolean {
  const prefix = path.join('\u0000') + '\u0000'
  for (const s of selected) if (s.startsWith(prefix)) return true
  return false
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

interface Leaf {
  nullCount: number
  min?: StatValue
  max?: StatValue
}

function forEachValid(parts: LeafData[], fn: (data: arrow.Data, i: number) => void): number {
  let nulls = 0
  for (const { data, valid } of parts) {
    for (let i = 0; i < data.length; i++) {
      if ((valid === undefined || valid(i)) && data.getValid(i)) fn(data, i)
      else nulls++
    }
  }
  return nulls
}

function leafStats(type: DataType, parts: LeafData[], prefixLen: number): Leaf {
  if (typeof type !== 'string') return { nullCount: forEachValid(parts, () => {}) }
  switch (type) {
    case 'byte':
    case 'short':
    case 'integer':
    case 'long': {
      let lo: bigint | number | undefined
      let hi: bigint | number | undefined
      const nullCount = forEachValid(parts, (d, i) => {
        const v = (d.values as ArrayLike<number | bigint>)[i]
        if (lo === undefined || v < lo) lo = v
        if (hi === undefined || v > hi) hi = v
      })
      return {
        nullCount,
        min: lo === undefined ? undefined : new RawJson(String(lo)),
        max: hi === undefined ? undefined : new RawJson(String(hi)),
      }
    }
    case 'float':
    case 'double': {
      let lo: number | undefined
      let hi: number | undefined
      let sawNaN = false
      const nullCount = forEachValid(parts, (d, i) => {
        const v = (d.values as Float64Array | Float32Array)[i]
        if (Number.isNaN(v)) {
          sawNaN = true
          return
        }
        if (lo === undefined || v < lo) lo = v
        if (hi === undefined || v > hi) hi = v
      })
      const finite = (v: number | undefined) =>
        v !== undefined && Number.isFinite(v) ? new RawJson(floatJson(v, type)) : undefined
      return { nullCount, min: finite(lo), max: sawNaN ? undefined : finite(hi) }
    }
    case 'boolean':
      // Spark collects no min/max for booleans (two values prune almost nothing); only nullCount.
      return { nullCount: forEachValid(parts, () => {}) }
    case 'date': {
      let lo: number | undefined
      let hi: number | undefined
      const nullCount = forEachValid(parts, (d, i) => {
        const v = dateDays(d, i)
        if (lo === undefined || v < lo) lo = v
        if (hi === undefined || v > hi) hi = v
      })
      const fmt = (v: number | undefined) =>
        v !== undefined && inYearRange(civilFromDays(v).year) ? formatDate(v) : undefined
      return { nullCount, min: fmt(lo), max: fmt(hi) }
    }
    case 'timestamp':
    case 'timestamp_ntz': {
      let lo: bigint | undefined
      let hi: bigint | undefined
      const nullCount = forEachValid(parts, (d, i) => {
        const v = timestampMicros(d, i)
        if (lo === undefined || v < lo) lo = v
        if (hi === undefined || v > hi) hi = v
      })
      const z = type === 'timestamp'
      return {
        nullCount,
        min: lo === undefined ? undefined : formatIsoMillis(floorDiv(lo, 1000n), z),
        max: hi === undefined ? undefined : formatIsoMillis(-floorDiv(-hi, 1000n), z),
      }
    }
    case 'string': {
      let lo: Uint8Array | undefined
      let hi: Uint8Array | undefined
      const nullCount = forEachValid(parts, (d, i) => {
        const offs = d.valueOffsets as Int32Array | BigInt64Array
        const start = Number(offs[i])
        const end = Number(offs[i + 1])
        const bytes = (d.values as Uint8Array).subarray(start, end)
        if (lo === undefined || compareBytes(bytes, lo) < 0) lo = bytes
        if (hi === undefined || compareBytes(bytes, hi) > 0) hi = bytes
      })
      // Only a prefix can matter: truncateMax looks at up to 2n+1 code points of at most 4 bytes each. Decoding
      // just that keeps stats of a huge value (hundreds of MB) cheap; a code point cut at the end of the prefix
      // lies beyond every position the truncation reads.
      const limit = 4 * (2 * prefixLen + 2)
      const dec = new TextDecoder()
      const text = (b: Uint8Array) => dec.decode(b.length > limit ? b.subarray(0, limit) : b)
      return {
        nullCount,
        min: lo === undefined ? undefined : truncateMin(text(lo), prefixLen),
        max: hi === undefined ? undefined : truncateMax(text(hi), prefixLen),
      }
    }
    default: {
      const dp = decimalParams(type)
      if (!dp) return { nullCount: forEachValid(parts, () => {}) } // binary, variant
      let lo: bigint | undefined
      let hi: bigint | undefined
      const nullCount = forEachValid(parts, (d, i) => {
        const v = decimalUnscaled(d, i)
        if (lo === undefined || v < lo) lo = v
        if (hi === undefined || v > hi) hi = v
      })
      const fmt = (v: bigint | undefined) =>
        v === undefined ? undefined : new RawJson(decimalToString({ unscaled: v, scale: dp.scale }))
      return { nullCount, min: fmt(lo), max: fmt(hi) }
    }
  }
}

function floatJson(v: number, type: 'float' | 'double'): string {
  if (Object.is(v, -0)) return '-0.0'
  // A float32 printed as a double has noise digits (0.1f → 0.10000000149011612); that is its exact value, so
  // keep it: a shorter decimal could round below the true min or above the true max.
  void type
  return String(v)
}

function inYearRange(year: number): boolean {
  return year >= 1 && year <= 9999
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q
}

const MS_PER_DAY = 86_400_000n

function formatIsoMillis(ms: bigint, zulu: boolean): string | undefined {
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

/** Exact µs of a timestamp value, whatever its Arrow unit (the raw int64 buffer, not lossy `get()`). */
function timestampMicros(d: arrow.Data, i: number): bigint {
  const raw = BigInt((d.values as BigInt64Array | Int32Array)[i])
  const unit = (d.type as arrow.Timestamp).unit as number
  // TimeUnit: 0 s, 1 ms, 2 µs, 3 ns. Floor ns so that min stays <= value; max is rounded up to ms anyway.
  return unit === 0 ? raw * 1_000_000n : unit === 1 ? raw * 1000n : unit === 2 ? raw : floorDiv(raw, 1000n)
}

/** Days since the epoch of a Date32 (days) or Date64 (ms) value. */
function dateDays(d: arrow.Data, i: number): number {
  const unit = (d.type as arrow.Date_).unit as number
  const v = (d.values as Int32Array | BigInt64Array)[i]
  return unit === 0 ? Number(v) : Math.floor(Number(v) / 86_400_000)
}

/** The unscaled value of a 128-bit (or 256-bit) little-endian two's-complement decimal. */
function decimalUnscaled(d: arrow.Data, i: number): bigint {
  const words = d.values as Uint32Array
  const stride = ((d.type as arrow.Decimal).bitWidth ?? 128) / 32
  let v = 0n
  for (let w = stride - 1; w >= 0; w--) v = (v << 32n) | BigInt(words[i * stride + w])
  const bits = BigInt(stride * 32)
  return v >= 1n << (bits - 1n) ? v - (1n << bits) : v
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i]
  return a.length - b.length
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

function toJson(v: StatValue): string {
  if (v instanceof RawJson) return v.text
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return JSON.stringify(v)
  return `{${Object.entries(v)
    .map(([k, x]) => `${JSON.stringify(k)}:${toJson(x)}`)
    .join(',')}}`
}
