import {
  type DataType as ArrowType,
  type Data,
  makeData,
  makeVector,
  RecordBatch,
  Struct,
  Type,
  vectorFromArray,
} from 'apache-arrow'
import { adoptRecordBatch } from './adopt.js'

/**
 * Row gathers on Arrow buffers (Arrow JS has no take kernel): {@link takeData} for one column, {@link takeRows}
 * for a record batch. Every layout is copied buffer-exactly, so values keep their exact bits (µs timestamps,
 * decimals, int64, nested structs / lists / maps, dictionaries).
 */

// ---------------------------------------------------------------------------------------------------------
// take: a new Data holding the rows at `idx`, for every Arrow layout, buffers copied exactly.

// Every gather loop below reads and writes one concrete typed-array class (views of the same bytes: exact bits,
// no float canonicalisation), so V8 compiles each loop monomorphic; a loop over `ArrayLike<number | bigint>`
// shared by every column type runs several times slower.

function takeValidity(data: Data, idx: Int32Array): { nullBitmap?: Uint8Array; nullCount: number } {
  if (data.nullCount === 0) return { nullCount: 0 }
  const n = idx.length
  const bitmap = new Uint8Array(((n + 63) & ~63) >> 3)
  const src = data.nullBitmap as Uint8Array
  const off = data.offset
  let valid = 0
  for (let j = 0; j < n; j++) {
    const p = off + idx[j]
    if ((src[p >> 3] >> (p & 7)) & 1) {
      bitmap[j >> 3] |= 1 << (j & 7)
      valid++
    }
  }
  return valid === n ? { nullCount: 0 } : { nullBitmap: bitmap, nullCount: n - valid }
}

function gather8(src: Uint8Array, idx: Int32Array): Uint8Array {
  const out = new Uint8Array(idx.length)
  for (let j = 0; j < idx.length; j++) out[j] = src[idx[j]]
  return out
}

function gather16(src: Uint16Array, idx: Int32Array): Uint16Array {
  const out = new Uint16Array(idx.length)
  for (let j = 0; j < idx.length; j++) out[j] = src[idx[j]]
  return out
}

function gather32(src: Int32Array, idx: Int32Array): Int32Array {
  const out = new Int32Array(idx.length)
  for (let j = 0; j < idx.length; j++) out[j] = src[idx[j]]
  return out
}

function gather64(src: Int32Array, idx: Int32Array): Int32Array {
  const out = new Int32Array(idx.length * 2)
  for (let j = 0; j < idx.length; j++) {
    const i = idx[j] << 1
    out[j << 1] = src[i]
    out[(j << 1) + 1] = src[i + 1]
  }
  return out
}

function gatherWords(src: Int32Array, words: number, idx: Int32Array): Int32Array {
  const out = new Int32Array(idx.length * words)
  for (let j = 0; j < idx.length; j++) {
    const i = idx[j] * words
    for (let w = 0; w < words; w++) out[j * words + w] = src[i + w]
  }
  return out
}

function gatherBytes(src: Uint8Array, width: number, idx: Int32Array): Uint8Array {
  const out = new Uint8Array(idx.length * width)
  for (let j = 0; j < idx.length; j++) {
    const i = idx[j] * width
    for (let w = 0; w < width; w++) out[j * width + w] = src[i + w]
  }
  return out
}

/**
 * The fixed-width values of rows `idx` (row i = bytes `[i * width, (i + 1) * width)` of `values`), copied bit
 * for bit into a new array of the same class as `values`.
 */
function takeFixed(values: ArrayBufferView, width: number, idx: Int32Array): ArrayBufferView {
  const { buffer, byteOffset } = values
  const rows = Math.floor(values.byteLength / width)
  let out: ArrayBufferView
  if (width === 1) out = gather8(new Uint8Array(buffer, byteOffset, rows), idx)
  else if (width === 2 && byteOffset % 2 === 0) out = gather16(new Uint16Array(buffer, byteOffset, rows), idx)
  else if (width % 4 === 0 && byteOffset % 4 === 0) {
    const words = new Int32Array(buffer, byteOffset, rows * (width / 4))
    out = width === 4 ? gather32(words, idx) : width === 8 ? gather64(words, idx) : gatherWords(words, width / 4, idx)
  } else out = gatherBytes(new Uint8Array(buffer, byteOffset, rows * width), width, idx)
  const Ctor = values.constructor as new (b: ArrayBuffer, o: number, n: number) => ArrayBufferView
  const perElement = (values as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT
  return new Ctor(out.buffer as ArrayBuffer, 0, out.byteLength / perElement)
}

interface Ranges {
  newOffsets: Int32Array
  starts: Int32Array
  total: number
}

/** New offsets and the child / byte start of each row, for variable-width layouts with 32-bit offsets. */
function takeRanges32(offsets: Int32Array, idx: Int32Array): Ranges {
  const n = idx.length
  const newOffsets = new Int32Array(n + 1)
  const starts = new Int32Array(n)
  let total = 0
  for (let j = 0; j < n; j++) {
    const i = idx[j]
    const a = offsets[i]
    starts[j] = a
    total += offsets[i + 1] - a
    newOffsets[j + 1] = total
  }
  return { newOffsets, starts, total }
}

/** {@link takeRanges32} for 64-bit offsets (values past 2^31 are not supported by Arrow JS anyway). */
function takeRanges(offsets: ArrayLike<number | bigint>, idx: Int32Array): Ranges {
  if (offsets instanceof Int32Array) return takeRanges32(offsets, idx)
  const n = idx.length
  const newOffsets = new Int32Array(n + 1)
  const starts = new Int32Array(n)
  let total = 0
  for (let j = 0; j < n; j++) {
    const a = Number(offsets[idx[j]])
    starts[j] = a
    total += Number(offsets[idx[j] + 1]) - a
    newOffsets[j + 1] = total
  }
  return { newOffsets, starts, total }
}

function rangeIndices({ newOffsets, starts, total }: Ranges): Int32Array {
  const out = new Int32Array(total)
  let k = 0
  for (let r = 0; r < starts.length; r++) {
    const a = starts[r]
    const len = newOffsets[r + 1] - newOffsets[r]
    for (let p = 0; p < len; p++) out[k++] = a + p
  }
  return out
}

/** The bytes of the gathered rows, in order: runs of consecutive source rows are copied with one `set`. */
function gatherRanges(src: Uint8Array, { newOffsets, starts, total }: Ranges): Uint8Array {
  const bytes = new Uint8Array(total)
  const n = starts.length
  for (let r = 0; r < n; ) {
    const a = starts[r]
    const k = newOffsets[r]
    let b = a + newOffsets[r + 1] - k
    r++
    while (r < n && starts[r] === b) {
      b += newOffsets[r + 1] - newOffsets[r]
      r++
    }
    if (b - a > 32) bytes.set(src.subarray(a, b), k)
    else for (let p = a; p < b; p++) bytes[k + p - a] = src[p]
  }
  return bytes
}

/**
 * Gathers rows `idx` (any order, repeats allowed) of `data` into a new offset-0 Data with buffers copied
 * exactly, for every Arrow layout (Arrow JS has no take kernel).
 */
export function takeData(data: Data, idx: Int32Array): Data {
  const type = data.type as ArrowType
  const n = idx.length
  const validity = takeValidity(data, idx)
  const base = { type, length: n, ...validity } as Record<string, unknown>
  const make = (props: Record<string, unknown>) => makeData({ ...base, ...props } as never) as Data
  switch (type.typeId) {
    case Type.Null:
      return makeData({ type, length: n, nullCount: n } as never) as Data
    case Type.Bool: {
      const bits = new Uint8Array(((n + 63) & ~63) >> 3)
      const src = data.values as Uint8Array
      for (let j = 0; j < n; j++) {
        const p = data.offset + idx[j]
        if ((src[p >> 3] >> (p & 7)) & 1) bits[j >> 3] |= 1 << (j & 7)
      }
      return make({ data: bits })
    }
    case Type.Int:
    case Type.Float:
    case Type.Decimal:
    case Type.Date:
    case Type.Time:
    case Type.Timestamp:
    case Type.Interval:
    case Type.Duration:
    case Type.FixedSizeBinary:
      return make({ data: takeFixed(data.values as ArrayBufferView, fixedWidth(data), idx) })
    case Type.Dictionary: {
      const keys = data.values as ArrayBufferView & { BYTES_PER_ELEMENT: number }
      return make({ data: takeFixed(keys, keys.BYTES_PER_ELEMENT, idx), dictionary: data.dictionary })
    }
    case Type.Utf8:
    case Type.Binary:
    case Type.LargeUtf8:
    case Type.LargeBinary: {
      const ranges = takeRanges(data.valueOffsets as ArrayLike<number | bigint>, idx)
      const newOffsets = ranges.newOffsets
      const bytes = gatherRanges(data.values as Uint8Array, ranges)
      const large = type.typeId === Type.LargeUtf8 || type.typeId === Type.LargeBinary
      return make({ valueOffsets: large ? BigInt64Array.from(newOffsets, (x) => BigInt(x)) : newOffsets, data: bytes })
    }
    case Type.List:
    case Type.LargeList:
    case Type.Map: {
      const ranges = takeRanges(data.valueOffsets as ArrayLike<number | bigint>, idx)
      const newOffsets = ranges.newOffsets
      const child = takeData(data.children[0], rangeIndices(ranges))
      const offsets = type.typeId === Type.LargeList ? BigInt64Array.from(newOffsets, (x) => BigInt(x)) : newOffsets
      return make({ valueOffsets: offsets, child })
    }
    case Type.FixedSizeList: {
      const size = (type as unknown as { listSize: number }).listSize
      const childIdx = new Int32Array(n * size)
      for (let j = 0; j < n; j++) for (let s = 0; s < size; s++) childIdx[j * size + s] = idx[j] * size + s
      return make({ child: takeData(data.children[0], childIdx) })
    }
    case Type.Struct:
      return make({ children: data.children.map((c) => takeData(c, idx)) })
    default: {
      // Unions and view layouts (never produced by parquet-wasm for Delta types): rebuild through values.
      const vec = makeVector(data)
      return vectorFromArray(
        Array.from(idx, (i) => vec.get(i)),
        type as never,
      ).data[0] as Data
    }
  }
}

/** Bytes per row of a fixed-width Data: `stride` counts elements of its `values` array. */
function fixedWidth(data: Data): number {
  return data.stride * (data.values as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT
}

/**
 * The rows of `batch` at the given (ascending or not) positions, as a new batch with the same schema. Every
 * Arrow layout is copied buffer-exactly (µs timestamps, decimals, int64, nested structs / lists / maps,
 * dictionaries).
 */
export function takeRows(input: RecordBatch, indices: Int32Array): RecordBatch {
  const batch = adoptRecordBatch(input, 'takeRows batch')
  const children = batch.data.children.map((c) => takeData(c, indices))
  const data = makeData({ type: new Struct(batch.schema.fields), length: indices.length, nullCount: 0, children })
  return new RecordBatch(batch.schema, data)
}

// ---------------------------------------------------------------------------------------------------------
// split: every group's rows at once, one sequential pass over the source per buffer (a gather per group reads
// the whole column once per group, at a stride: with 30 partitions that is 30 passes over memory).

function scatterBits(
  src: Uint8Array,
  offset: number,
  gid: Int32Array,
  outs: Uint8Array[],
  setCounts: Int32Array | undefined,
): void {
  const fill = new Int32Array(outs.length)
  for (let i = 0; i < gid.length; i++) {
    const g = gid[i]
    const j = fill[g]++
    const p = offset + i
    if ((src[p >> 3] >> (p & 7)) & 1) {
      outs[g][j >> 3] |= 1 << (j & 7)
      if (setCounts) setCounts[g]++
    }
  }
}

function scatter8(src: Uint8Array, gid: Int32Array, outs: Uint8Array[]): void {
  const fill = new Int32Array(outs.length)
  for (let i = 0; i < gid.length; i++) {
    const g = gid[i]
    outs[g][fill[g]++] = src[i]
  }
}

function scatter16(src: Uint16Array, gid: Int32Array, outs: Uint16Array[]): void {
  const fill = new Int32Array(outs.length)
  for (let i = 0; i < gid.length; i++) {
    const g = gid[i]
    outs[g][fill[g]++] = src[i]
  }
}

function scatter32(src: Int32Array, gid: Int32Array, outs: Int32Array[]): void {
  const fill = new Int32Array(outs.length)
  for (let i = 0; i < gid.length; i++) {
    const g = gid[i]
    outs[g][fill[g]++] = src[i]
  }
}

function scatter64(src: Int32Array, gid: Int32Array, outs: Int32Array[]): void {
  const fill = new Int32Array(outs.length)
  for (let i = 0; i < gid.length; i++) {
    const g = gid[i]
    const k = fill[g]
    fill[g] = k + 2
    const out = outs[g]
    out[k] = src[i << 1]
    out[k + 1] = src[(i << 1) + 1]
  }
}

function scatterWidth(src: Uint8Array, width: number, gid: Int32Array, outs: Uint8Array[]): void {
  const fill = new Int32Array(outs.length)
  for (let i = 0; i < gid.length; i++) {
    const g = gid[i]
    const k = fill[g]
    fill[g] = k + width
    const out = outs[g]
    for (let w = 0; w < width; w++) out[k + w] = src[i * width + w]
  }
}

/** Splits fixed-width values (`width` bytes per row) by group, bit for bit, into arrays of `values`' class. */
function splitFixed(values: ArrayBufferView, width: number, gid: Int32Array, counts: Int32Array): ArrayBufferView[] {
  const { buffer, byteOffset } = values
  const n = gid.length
  const Ctor = values.constructor as new (b: ArrayBuffer, o: number, n: number) => ArrayBufferView
  const perElement = (values as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT
  let outs: ArrayBufferView[]
  if (width === 1) {
    const o = Array.from(counts, (c) => new Uint8Array(c))
    scatter8(new Uint8Array(buffer, byteOffset, n), gid, o)
    outs = o
  } else if (width === 2 && byteOffset % 2 === 0) {
    const o = Array.from(counts, (c) => new Uint16Array(c))
    scatter16(new Uint16Array(buffer, byteOffset, n), gid, o)
    outs = o
  } else if ((width === 4 || width === 8) && byteOffset % 4 === 0) {
    const o = Array.from(counts, (c) => new Int32Array((c * width) / 4))
    const words = new Int32Array(buffer, byteOffset, (n * width) / 4)
    if (width === 4) scatter32(words, gid, o)
    else scatter64(words, gid, o)
    outs = o
  } else {
    const o = Array.from(counts, (c) => new Uint8Array(c * width))
    scatterWidth(new Uint8Array(buffer, byteOffset, n * width), width, gid, o)
    outs = o
  }
  return outs.map((o) => new Ctor(o.buffer as ArrayBuffer, 0, o.byteLength / perElement))
}

/** Splits a 32-bit-offset string / binary column by group: new offsets and bytes per group, in one pass. */
function splitBytes(
  offsets: Int32Array,
  src: Uint8Array,
  gid: Int32Array,
  counts: Int32Array,
): { offsets: Int32Array[]; bytes: Uint8Array[] } {
  const groups = counts.length
  const totals = new Int32Array(groups)
  for (let i = 0; i < gid.length; i++) totals[gid[i]] += offsets[i + 1] - offsets[i]
  const outOffsets = Array.from(counts, (c) => new Int32Array(c + 1))
  const outBytes = Array.from(totals, (t) => new Uint8Array(t))
  const fill = new Int32Array(groups)
  const pos = new Int32Array(groups)
  for (let i = 0; i < gid.length; i++) {
    const g = gid[i]
    const a = offsets[i]
    const b = offsets[i + 1]
    let p = pos[g]
    const dst = outBytes[g]
    if (b - a > 48) {
      dst.set(src.subarray(a, b), p)
      p += b - a
    } else for (let k = a; k < b; k++) dst[p++] = src[k]
    pos[g] = p
    outOffsets[g][++fill[g]] = p
  }
  return { offsets: outOffsets, bytes: outBytes }
}

/**
 * Splits `data` by row group: row i goes to group `gid[i]` (0 .. counts.length - 1; `counts[g]` rows each), rows
 * keeping their order within a group. Returns one new offset-0 Data per group with buffers copied exactly, as
 * {@link takeData} of each group's ascending row indices would, but reading each source buffer once,
 * sequentially (fixed widths, strings / binary with 32-bit offsets, booleans, validity, structs of those);
 * other layouts gather per group.
 */
export function splitData(data: Data, gid: Int32Array, counts: Int32Array): Data[] {
  const type = data.type as ArrowType
  const groups = counts.length
  if (data.length !== gid.length) throw new RangeError('splitData: one group id per row')
  let validity: { nullBitmap?: Uint8Array; nullCount: number }[]
  const id = type.typeId
  const flat =
    id === Type.Bool ||
    id === Type.Int ||
    id === Type.Float ||
    id === Type.Decimal ||
    id === Type.Date ||
    id === Type.Time ||
    id === Type.Timestamp ||
    id === Type.Interval ||
    id === Type.Duration ||
    id === Type.FixedSizeBinary ||
    id === Type.Struct ||
    ((id === Type.Utf8 || id === Type.Binary) && data.valueOffsets instanceof Int32Array)
  if (!flat) {
    const rows = Array.from(counts, (c) => new Int32Array(c))
    const fill = new Int32Array(groups)
    for (let i = 0; i < gid.length; i++) rows[gid[i]][fill[gid[i]]++] = i
    return rows.map((r) => takeData(data, r))
  }
  if (data.nullCount === 0) validity = Array.from(counts, () => ({ nullCount: 0 }))
  else {
    const maps = Array.from(counts, (c) => new Uint8Array(((c + 63) & ~63) >> 3))
    const valid = new Int32Array(groups)
    scatterBits(data.nullBitmap as Uint8Array, data.offset, gid, maps, valid)
    validity = maps.map((m, g) =>
      valid[g] === counts[g] ? { nullCount: 0 } : { nullBitmap: m, nullCount: counts[g] - valid[g] },
    )
  }
  const make = (g: number, props: Record<string, unknown>) =>
    makeData({ type, length: counts[g], ...validity[g], ...props } as never) as Data
  if (id === Type.Bool) {
    const bits = Array.from(counts, (c) => new Uint8Array(((c + 63) & ~63) >> 3))
    scatterBits(data.values as Uint8Array, data.offset, gid, bits, undefined)
    return bits.map((b, g) => make(g, { data: b }))
  }
  if (id === Type.Struct) {
    const children = data.children.map((c) => splitData(c, gid, counts))
    return Array.from(counts, (_, g) => make(g, { children: children.map((c) => c[g]) }))
  }
  if (id === Type.Utf8 || id === Type.Binary) {
    const { offsets, bytes } = splitBytes(data.valueOffsets as Int32Array, data.values as Uint8Array, gid, counts)
    return bytes.map((b, g) => make(g, { valueOffsets: offsets[g], data: b }))
  }
  const values = splitFixed(data.values as ArrayBufferView, fixedWidth(data), gid, counts)
  return values.map((v, g) => make(g, { data: v }))
}
