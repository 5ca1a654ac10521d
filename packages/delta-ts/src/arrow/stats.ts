/**
 * The stats kernel: per-file statistics for `add.stats` computed from the Arrow buffers of the rows of one
 * file, in one tight loop per leaf column (no per-value closures or allocations). The rules — which columns,
 * truncation, formatting — are protocol/stats.ts; see its module comment for the bounds guaranteed.
 */
import type * as arrow from 'apache-arrow'
import { civilFromDays, decimalToString, formatDate } from '../protocol/partition-values.js'
import {
  type ColumnMappingMode,
  type DataType,
  decimalParams,
  isStruct,
  physicalName,
  type StructField,
  type StructType,
} from '../protocol/schema.js'
import {
  DEFAULT_STRING_PREFIX_LENGTH,
  floatJson,
  floorDiv,
  formatIsoMillis,
  inYearRange,
  RawJson,
  type StatObject,
  type StatValue,
  selectStatsLeaves,
  toJson,
  truncateMax,
  truncateMin,
} from '../protocol/stats.js'
import { adoptTableOrBatch } from './adopt.js'
import { decimalUnscaledAt, timestampToMicros } from './scalar.js'

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

/** One chunk of a leaf column with the rows where it and every ancestor struct are valid. */
interface LeafPart {
  data: arrow.Data
  /** 1 where the leaf and all its ancestors are valid; undefined when every row is. */
  mask: Uint8Array | undefined
}

/** Row validity of `d` (own bitmap) as bytes, ANDed with `parent`; undefined when all rows are valid. */
function validMask(d: arrow.Data, parent: Uint8Array | undefined): Uint8Array | undefined {
  if (d.nullCount === 0) return parent
  const n = d.length
  const out = parent ? parent.slice() : new Uint8Array(n).fill(1)
  const bits = d.nullBitmap
  if (!bits || bits.length === 0) {
    // Nulls without a bitmap: the whole Data is null (a Null-typed column).
    out.fill(0)
    return out
  }
  const off = d.offset
  for (let i = 0; i < n; i++) {
    const p = off + i
    if (((bits[p >> 3] >> (p & 7)) & 1) === 0) out[i] = 0
  }
  return out
}

function countNulls(parts: LeafPart[]): number {
  let nulls = 0
  for (const { data, mask } of parts) {
    if (!mask) continue
    for (let i = 0; i < data.length; i++) if (mask[i] === 0) nulls++
  }
  return nulls
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
  const walk = (
    fields: readonly StructField[],
    parentPath: string[],
    getParts: (f: StructField, phys: string) => LeafPart[] | undefined,
    outMin: StatObject,
    outMax: StatObject,
    outNulls: StatObject,
  ) => {
    for (const field of fields) {
      const path = [...parentPath, field.name]
      if (!selected.has(path.join('\u0000')) && !hasSelectedDescendant(selected, path)) continue
      const phys = physicalName(field, mode)
      const parts = getParts(field, phys)
      if (parts === undefined) continue // column absent from the data: no stats rather than wrong stats
      if (isStruct(field.type)) {
        const cMin: StatObject = {}
        const cMax: StatObject = {}
        const cNulls: StatObject = {}
        // The struct's own validity (with its ancestors') is the parent mask of its children.
        const structParts = parts.map((p) => ({ data: p.data, mask: validMask(p.data, p.mask) }))
        walk(
          field.type.fields,
          path,
          (child, childPhys) => {
            const out: LeafPart[] = []
            for (const p of structParts) {
              const t = p.data.type as arrow.DataType
              const idx = t.children.findIndex((c) => c.name === child.name)
              const j = idx >= 0 ? idx : t.children.findIndex((c) => c.name === childPhys)
              if (j < 0) return undefined
              out.push({ data: p.data.children[j], mask: p.mask })
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
      const leaf = leafStats(
        field.type,
        parts.map((p) => ({ data: p.data, mask: validMask(p.data, p.mask) })),
        prefixLen,
      )
      outNulls[phys] = leaf.nullCount
      if (leaf.min !== undefined) outMin[phys] = leaf.min
      if (leaf.max !== undefined) outMax[phys] = leaf.max
    }
  }
  walk(
    dataFields,
    [],
    (f, phys) => {
      const child = data.getChild(f.name) ?? data.getChild(phys)
      const c = child ? (child.data as arrow.Data[]) : []
      return c.length || data.numRows === 0 ? c.map((d) => ({ data: d, mask: undefined })) : undefined
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

function hasSelectedDescendant(selected: Set<string>, path: string[]): boolean {
  const prefix = path.join('\u0000') + '\u0000'
  for (const s of selected) if (s.startsWith(prefix)) return true
  return false
}

interface Leaf {
  nullCount: number
  min?: StatValue
  max?: StatValue
}

/**
 * Rows of the smallest and largest int64 of `words` (little-endian low / high 32-bit words per value), rows with
 * `mask[i] === 0` skipped; -1 when there is none. Compares words, so no BigInt is made per value.
 */
function int64Range(words: Int32Array, n: number, mask: Uint8Array | undefined): [number, number] {
  let lo = -1
  let hi = -1
  let loH = 0
  let loL = 0
  let hiH = 0
  let hiL = 0
  for (let i = 0; i < n; i++) {
    if (mask && mask[i] === 0) continue
    const h = words[2 * i + 1]
    const l = words[2 * i] >>> 0
    if (lo < 0) {
      lo = hi = i
      loH = hiH = h
      loL = hiL = l
    } else if (h < loH || (h === loH && l < loL)) {
      lo = i
      loH = h
      loL = l
    } else if (h > hiH || (h === hiH && l > hiL)) {
      hi = i
      hiH = h
      hiL = l
    }
  }
  return [lo, hi]
}

/** Min and max of numeric values (numbers or bigints; NaN skipped and reported). */
function numericRange(parts: LeafPart[]): { lo?: number | bigint; hi?: number | bigint; sawNaN: boolean } {
  if (parts.every((p) => p.data.values instanceof BigInt64Array)) {
    let lo: bigint | undefined
    let hi: bigint | undefined
    for (const { data, mask } of parts) {
      const v = data.values as BigInt64Array
      const [a, b] = int64Range(new Int32Array(v.buffer, v.byteOffset, data.length * 2), data.length, mask)
      if (a < 0) continue
      if (lo === undefined || v[a] < lo) lo = v[a]
      if (hi === undefined || v[b] > (hi as bigint)) hi = v[b]
    }
    return { lo, hi, sawNaN: false }
  }
  let lo: number | bigint | undefined
  let hi: number | bigint | undefined
  let sawNaN = false
  for (const { data, mask } of parts) {
    const v = data.values as ArrayLike<number | bigint>
    const n = data.length
    // Row indexes from a loop over one typed-array kind, values read once at the end: a generic loop over
    // `number | bigint` boxed every double it read (~32 MB of heap numbers per 2M-row float column).
    let r: [number, number, boolean]
    if (v instanceof Float64Array || v instanceof Float32Array) r = floatRange(v, n, mask)
    else if (v instanceof Int32Array || v instanceof Int16Array || v instanceof Int8Array) r = intRange(v, n, mask)
    else r = genericRange(v, n, mask)
    const [a, b, nan] = r
    sawNaN ||= nan
    if (a < 0) continue
    if (lo === undefined || v[a] < lo) lo = v[a]
    if (hi === undefined || v[b] > (hi as number | bigint)) hi = v[b]
  }
  return { lo, hi, sawNaN }
}

/** Rows of the smallest and largest non-NaN float (-1 when none; mask[i] === 0 skipped), and whether a NaN was seen. */
function floatRange(
  v: Float64Array | Float32Array,
  n: number,
  mask: Uint8Array | undefined,
): [number, number, boolean] {
  let lo = -1
  let hi = -1
  let a = 0
  let b = 0
  let sawNaN = false
  for (let i = 0; i < n; i++) {
    if (mask && mask[i] === 0) continue
    const x = v[i]
    if (Number.isNaN(x)) {
      sawNaN = true
      continue
    }
    if (lo < 0) {
      lo = hi = i
      a = b = x
    } else if (x < a) {
      lo = i
      a = x
    } else if (x > b) {
      hi = i
      b = x
    }
  }
  return [lo, hi, sawNaN]
}

/** Rows of the smallest and largest of up-to-32-bit integers (-1 when none; mask[i] === 0 skipped). */
function intRange(
  v: Int32Array | Int16Array | Int8Array,
  n: number,
  mask: Uint8Array | undefined,
): [number, number, boolean] {
  let lo = -1
  let hi = -1
  let a = 0
  let b = 0
  for (let i = 0; i < n; i++) {
    if (mask && mask[i] === 0) continue
    const x = v[i]
    if (lo < 0) {
      lo = hi = i
      a = b = x
    } else if (x < a) {
      lo = i
      a = x
    } else if (x > b) {
      hi = i
      b = x
    }
  }
  return [lo, hi, false]
}

/** {@link floatRange} for any other array of numbers or bigints (NaN skipped and reported). */
function genericRange(
  v: ArrayLike<number | bigint>,
  n: number,
  mask: Uint8Array | undefined,
): [number, number, boolean] {
  let lo = -1
  let hi = -1
  let sawNaN = false
  for (let i = 0; i < n; i++) {
    if (mask && mask[i] === 0) continue
    const x = v[i]
    if (typeof x === 'number' && Number.isNaN(x)) {
      sawNaN = true
      continue
    }
    if (lo < 0) lo = hi = i
    else if (x < v[lo]) lo = i
    else if (x > v[hi]) hi = i
  }
  return [lo, hi, sawNaN]
}

function leafStats(type: DataType, parts: LeafPart[], prefixLen: number): Leaf {
  const nullCount = countNulls(parts)
  if (typeof type !== 'string') return { nullCount }
  switch (type) {
    case 'byte':
    case 'short':
    case 'integer':
    case 'long': {
      const { lo, hi } = numericRange(parts)
      return {
        nullCount,
        min: lo === undefined ? undefined : new RawJson(String(lo)),
        max: hi === undefined ? undefined : new RawJson(String(hi)),
      }
    }
    case 'float':
    case 'double': {
      const { lo, hi, sawNaN } = numericRange(parts)
      const finite = (v: number | bigint | undefined) =>
        v !== undefined && Number.isFinite(v) ? new RawJson(floatJson(v as number, type)) : undefined
      return { nullCount, min: finite(lo), max: sawNaN ? undefined : finite(hi) }
    }
    case 'boolean':
      // Spark collects no min/max for booleans (two values prune almost nothing); only nullCount.
      return { nullCount }
    case 'date': {
      // Date32 holds days, Date64 ms: floor to days (monotone, so the bounds convert after the range).
      const ms = parts.length > 0 && (parts[0].data.type as unknown as { unit: number }).unit !== 0
      const { lo, hi } = numericRange(parts)
      const toDays = (v: number | bigint | undefined) =>
        v === undefined ? undefined : ms ? Math.floor(Number(v) / 86_400_000) : Number(v)
      const fmt = (v: number | undefined) =>
        v !== undefined && inYearRange(civilFromDays(v).year) ? formatDate(v) : undefined
      return { nullCount, min: fmt(toDays(lo)), max: fmt(toDays(hi)) }
    }
    case 'timestamp':
    case 'timestamp_ntz': {
      // The unit conversion is monotone: take the range on raw values per unit, convert the bounds.
      let lo: bigint | undefined
      let hi: bigint | undefined
      for (const p of parts) {
        const r = numericRange([p])
        if (r.lo === undefined) continue
        const unit = (p.data.type as unknown as { unit: number }).unit
        const a = timestampToMicros(BigInt(r.lo), unit)
        const b = timestampToMicros(BigInt(r.hi as bigint), unit)
        if (lo === undefined || a < lo) lo = a
        if (hi === undefined || b > hi) hi = b
      }
      const z = type === 'timestamp'
      return {
        nullCount,
        min: lo === undefined ? undefined : formatIsoMillis(floorDiv(lo, 1000n), z),
        max: hi === undefined ? undefined : formatIsoMillis(-floorDiv(-hi, 1000n), z),
      }
    }
    case 'string':
      return { nullCount, ...stringRange(parts, prefixLen) }
    default: {
      const dp = decimalParams(type)
      if (!dp) return { nullCount } // binary, variant
      let lo: bigint | undefined
      let hi: bigint | undefined
      for (const { data, mask } of parts) {
        const words = data.values as Uint32Array
        const stride = ((data.type as unknown as { bitWidth?: number }).bitWidth ?? 128) / 32
        for (let i = 0; i < data.length; i++) {
          if (mask && mask[i] === 0) continue
          const v = decimalUnscaledAt(words, i, stride)
          if (lo === undefined || v < lo) lo = v
          if (hi === undefined || v > hi) hi = v
        }
      }
      const fmt = (v: bigint | undefined) =>
        v === undefined ? undefined : new RawJson(decimalToString({ unscaled: v, scale: dp.scale }))
      return { nullCount, min: fmt(lo), max: fmt(hi) }
    }
  }
}

/** `a[a0..a1)` vs `b[b0..b1)` in byte order. */
function compareRange(a: Uint8Array, a0: number, a1: number, b: Uint8Array, b0: number, b1: number): number {
  const n = Math.min(a1 - a0, b1 - b0)
  for (let k = 0; k < n; k++) {
    const d = a[a0 + k] - b[b0 + k]
    if (d !== 0) return d
  }
  return a1 - a0 - (b1 - b0)
}

/**
 * Byte ranges `[min start, min end, max start, max end]` of the byte-order smallest and largest value of a
 * string / binary Data with 32-bit offsets (rows with `mask[i] === 0` skipped), or undefined when there is none.
 * The first byte decides most comparisons, so it is compared before the full range.
 */
function utf8Range(
  offs: Int32Array,
  bytes: Uint8Array,
  n: number,
  mask: Uint8Array | undefined,
): [number, number, number, number] | undefined {
  let lo0 = -1
  let lo1 = 0
  let hi0 = 0
  let hi1 = 0
  // First byte of the current min / max, or -1 for an empty value (below every byte).
  let loFirst = 0
  let hiFirst = 0
  for (let i = 0; i < n; i++) {
    if (mask && mask[i] === 0) continue
    const s = offs[i]
    const e = offs[i + 1]
    const first = e > s ? bytes[s] : -1
    if (lo0 < 0) {
      lo0 = hi0 = s
      lo1 = hi1 = e
      loFirst = hiFirst = first
      continue
    }
    if (first < loFirst || (first === loFirst && compareRange(bytes, s, e, bytes, lo0, lo1) < 0)) {
      lo0 = s
      lo1 = e
      loFirst = first
    } else if (first > hiFirst || (first === hiFirst && compareRange(bytes, s, e, bytes, hi0, hi1) > 0)) {
      hi0 = s
      hi1 = e
      hiFirst = first
    }
  }
  return lo0 < 0 ? undefined : [lo0, lo1, hi0, hi1]
}

/** Byte-order min / max of UTF-8 values in place (no per-value subarray), then truncated as Spark does. */
function stringRange(parts: LeafPart[], prefixLen: number): { min?: string; max?: string } {
  let loBytes: Uint8Array | undefined
  let lo0 = 0
  let lo1 = 0
  let hiBytes: Uint8Array | undefined
  let hi0 = 0
  let hi1 = 0
  for (const { data, mask } of parts) {
    const offs = data.valueOffsets as Int32Array | BigInt64Array
    const bytes = data.values as Uint8Array
    const big = offs instanceof BigInt64Array
    if (!big) {
      // 32-bit offsets (every string Arrow JS and parquet-wasm make below 2 GiB): the monomorphic loop.
      const r = utf8Range(offs, bytes, data.length, mask)
      if (r === undefined) continue
      if (loBytes === undefined || compareRange(bytes, r[0], r[1], loBytes, lo0, lo1) < 0) {
        loBytes = bytes
        lo0 = r[0]
        lo1 = r[1]
      }
      if (hiBytes === undefined || compareRange(bytes, r[2], r[3], hiBytes, hi0, hi1) > 0) {
        hiBytes = bytes
        hi0 = r[2]
        hi1 = r[3]
      }
      continue
    }
    for (let i = 0; i < data.length; i++) {
      if (mask && mask[i] === 0) continue
      const s = big ? Number(offs[i]) : (offs[i] as number)
      const e = big ? Number(offs[i + 1]) : (offs[i + 1] as number)
      if (loBytes === undefined) {
        loBytes = hiBytes = bytes
        lo0 = hi0 = s
        lo1 = hi1 = e
        continue
      }
      if (compareRange(bytes, s, e, loBytes, lo0, lo1) < 0) {
        loBytes = bytes
        lo0 = s
        lo1 = e
      } else if (compareRange(bytes, s, e, hiBytes as Uint8Array, hi0, hi1) > 0) {
        hiBytes = bytes
        hi0 = s
        hi1 = e
      }
    }
  }
  if (loBytes === undefined) return {}
  // Only a prefix can matter: truncateMax looks at up to 2n+1 code points of at most 4 bytes each. Decoding
  // just that keeps stats of a huge value (hundreds of MB) cheap; a code point cut at the end of the prefix
  // lies beyond every position the truncation reads.
  const limit = 4 * (2 * prefixLen + 2)
  const dec = new TextDecoder()
  const text = (b: Uint8Array, s: number, e: number) => dec.decode(b.subarray(s, Math.min(e, s + limit)))
  return {
    min: truncateMin(text(loBytes, lo0, lo1), prefixLen),
    max: truncateMax(text(hiBytes as Uint8Array, hi0, hi1), prefixLen),
  }
}
