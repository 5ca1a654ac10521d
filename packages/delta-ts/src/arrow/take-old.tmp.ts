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

function takeValidity(data: Data, idx: Int32Array): { nullBitmap?: Uint8Array; nullCount: number } {
  if (data.nullCount === 0) return { nullCount: 0 }
  const bitmap = new Uint8Array(((idx.length + 63) & ~63) >> 3)
  let nulls = 0
  for (let j = 0; j < idx.length; j++) {
    if (data.getValid(idx[j])) bitmap[j >> 3] |= 1 << (j & 7)
    else nulls++
  }
  return nulls === 0 ? { nullCount: 0 } : { nullBitmap: bitmap, nullCount: nulls }
}

type TypedArrayCtor = new (
  n: number,
) => {
  [i: number]: number | bigint
  set(a: ArrayLike<number | bigint>, o?: number): void
  subarray(a: number, b: number): ArrayLike<number | bigint>
}

function takeFixed(values: ArrayLike<number | bigint>, stride: number, idx: Int32Array): unknown {
  const Ctor = (values as unknown as { constructor: TypedArrayCtor }).constructor
  const out = new Ctor(idx.length * stride)
  const src = values as unknown as { subarray(a: number, b: number): ArrayLike<number | bigint> }
  if (stride === 1) for (let j = 0; j < idx.length; j++) out[j] = values[idx[j]]
  else for (let j = 0; j < idx.length; j++) out.set(src.subarray(idx[j] * stride, idx[j] * stride + stride), j * stride)
  return out
}

interface Ranges {
  newOffsets: Int32Array
  starts: Float64Array
  ends: Float64Array
  total: number
}

/** New offsets and the child / byte positions they cover, for variable-width layouts. */
function takeRanges(offsets: ArrayLike<number | bigint>, idx: Int32Array): Ranges {
  const n = idx.length
  const newOffsets = new Int32Array(n + 1)
  const starts = new Float64Array(n)
  const ends = new Float64Array(n)
  const big = typeof offsets[0] === 'bigint'
  let total = 0
  for (let j = 0; j < n; j++) {
    const a = big ? Number(offsets[idx[j]]) : (offsets[idx[j]] as number)
    const b = big ? Number(offsets[idx[j] + 1]) : (offsets[idx[j] + 1] as number)
    starts[j] = a
    ends[j] = b
    total += b - a
    newOffsets[j + 1] = total
  }
  return { newOffsets, starts, ends, total }
}

function rangeIndices({ starts, ends, total }: Ranges): Int32Array {
  const out = new Int32Array(total)
  let k = 0
  for (let r = 0; r < starts.length; r++) for (let p = starts[r]; p < ends[r]; p++) out[k++] = p
  return out
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
      return make({ data: takeFixed(data.values as ArrayLike<number>, data.stride, idx) })
    case Type.Dictionary:
      return make({ data: takeFixed(data.values as ArrayLike<number>, 1, idx), dictionary: data.dictionary })
    case Type.Utf8:
    case Type.Binary:
    case Type.LargeUtf8:
    case Type.LargeBinary: {
      const { newOffsets, starts, ends, total } = takeRanges(data.valueOffsets as ArrayLike<number | bigint>, idx)
      const bytes = new Uint8Array(total)
      const src = data.values as Uint8Array
      let k = 0
      // Ranges of consecutive rows are contiguous in the source: copy each run with one set().
      for (let r = 0; r < starts.length; ) {
        const a = starts[r]
        let b = ends[r]
        r++
        while (r < starts.length && starts[r] === b) b = ends[r++]
        if (b - a > 64) bytes.set(src.subarray(a, b), k)
        else for (let p = a; p < b; p++) bytes[k + p - a] = src[p]
        k += b - a
      }
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
