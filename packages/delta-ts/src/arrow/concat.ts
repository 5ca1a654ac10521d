/**
 * Concatenation of Arrow Data chunks of one type into one contiguous, offset-0 Data, buffer by buffer (one
 * copy of each buffer; no per-value work except for bit-packed validity and booleans at odd offsets). Arrow JS
 * only chains chunks (`Vector.concat`), and a writer or a gather wants one buffer per column.
 */
import {
  type DataType as ArrowType,
  type Data,
  makeData,
  makeVector,
  RecordBatch,
  type Schema,
  Struct,
  Type,
  vectorFromArray,
} from 'apache-arrow'

function copyBits(src: Uint8Array, srcOffset: number, dst: Uint8Array, dstOffset: number, n: number): void {
  if ((srcOffset & 7) === 0 && (dstOffset & 7) === 0) {
    const whole = n >> 3
    dst.set(src.subarray(srcOffset >> 3, (srcOffset >> 3) + whole), dstOffset >> 3)
    for (let k = whole << 3; k < n; k++) {
      const p = srcOffset + k
      if ((src[p >> 3] >> (p & 7)) & 1) dst[(dstOffset + k) >> 3] |= 1 << ((dstOffset + k) & 7)
    }
    return
  }
  for (let k = 0; k < n; k++) {
    const p = srcOffset + k
    if ((src[p >> 3] >> (p & 7)) & 1) dst[(dstOffset + k) >> 3] |= 1 << ((dstOffset + k) & 7)
  }
}

function concatValidity(chunks: readonly Data[], length: number): { nullBitmap?: Uint8Array; nullCount: number } {
  let nullCount = 0
  for (const c of chunks) nullCount += c.nullCount
  if (nullCount === 0) return { nullCount: 0 }
  const bitmap = new Uint8Array(((length + 63) & ~63) >> 3)
  let at = 0
  for (const c of chunks) {
    if (c.nullCount === 0) {
      // All valid: set the run of bits.
      for (let k = 0; k < c.length; k++) bitmap[(at + k) >> 3] |= 1 << ((at + k) & 7)
    } else if (c.nullBitmap && c.nullBitmap.length > 0) copyBits(c.nullBitmap, c.offset, bitmap, at, c.length)
    at += c.length
  }
  return { nullBitmap: bitmap, nullCount }
}

type Typed = { length: number; set(a: ArrayLike<number | bigint>, o?: number): void }
type TypedCtor = new (n: number) => Typed

function concatTyped(parts: readonly ArrayLike<number | bigint>[]): unknown {
  const Ctor = (parts[0] as unknown as { constructor: TypedCtor }).constructor
  let n = 0
  for (const p of parts) n += p.length
  const out = new Ctor(n)
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/** New offsets rebased to 0 for each chunk, and the [start, end) ranges of values each chunk covers. */
function concatOffsets(
  chunks: readonly Data[],
  large: boolean,
): { offsets: Int32Array | BigInt64Array; ranges: [number, number][] } {
  let n = 0
  for (const c of chunks) n += c.length
  const offsets = large ? new BigInt64Array(n + 1) : new Int32Array(n + 1)
  const ranges: [number, number][] = []
  let row = 0
  let base = 0
  for (const c of chunks) {
    const src = c.valueOffsets as ArrayLike<number | bigint>
    const first = Number(src[0])
    const last = Number(src[c.length])
    if (large) {
      const o = offsets as BigInt64Array
      for (let i = 1; i <= c.length; i++) o[row + i] = BigInt(Number(src[i]) - first + base)
    } else {
      const o = offsets as Int32Array
      for (let i = 1; i <= c.length; i++) o[row + i] = (src[i] as number) - first + base
    }
    ranges.push([first, last])
    row += c.length
    base += last - first
  }
  return { offsets, ranges }
}

/**
 * One Data holding the rows of `chunks` in order. All chunks must have the same Arrow type (as the chunks of
 * one column do); a single offset-0 chunk is returned as is. Dictionary chunks must share their dictionary
 * (Arrow JS chunks of one column do); unions and view layouts are rebuilt through values.
 */
export function concatData(chunks: readonly Data[]): Data {
  if (chunks.length === 1 && chunks[0].offset === 0) return chunks[0]
  const type = chunks[0].type as ArrowType
  let length = 0
  for (const c of chunks) length += c.length
  const base = { type, length, ...concatValidity(chunks, length) } as Record<string, unknown>
  const make = (props: Record<string, unknown>) => makeData({ ...base, ...props } as never) as Data
  switch (type.typeId) {
    case Type.Null:
      return makeData({ type, length, nullCount: length } as never) as Data
    case Type.Bool: {
      const bits = new Uint8Array(((length + 63) & ~63) >> 3)
      let at = 0
      for (const c of chunks) {
        copyBits(c.values as Uint8Array, c.offset, bits, at, c.length)
        at += c.length
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
      // Arrow JS pre-slices fixed-width values to the chunk's offset: `values` is exactly length * stride.
      return make({ data: concatTyped(chunks.map((c) => (c.values as Uint8Array).subarray(0, c.length * c.stride))) })
    case Type.Dictionary:
      if (chunks.every((c) => c.dictionary === chunks[0].dictionary))
        return make({
          data: concatTyped(chunks.map((c) => (c.values as Uint8Array).subarray(0, c.length))),
          dictionary: chunks[0].dictionary,
        })
      break
    case Type.Utf8:
    case Type.Binary:
    case Type.LargeUtf8:
    case Type.LargeBinary: {
      const large = type.typeId === Type.LargeUtf8 || type.typeId === Type.LargeBinary
      const { offsets, ranges } = concatOffsets(chunks, large)
      const bytes = concatTyped(chunks.map((c, k) => (c.values as Uint8Array).subarray(ranges[k][0], ranges[k][1])))
      return make({ valueOffsets: offsets, data: bytes })
    }
    case Type.List:
    case Type.LargeList:
    case Type.Map: {
      const { offsets, ranges } = concatOffsets(chunks, type.typeId === Type.LargeList)
      const child = concatData(chunks.map((c, k) => c.children[0].slice(ranges[k][0], ranges[k][1] - ranges[k][0])))
      return make({ valueOffsets: offsets, child })
    }
    case Type.FixedSizeList: {
      const size = (type as unknown as { listSize: number }).listSize
      // A sliced FixedSizeList keeps its child unsliced: cut the child to the chunk's rows.
      const child = concatData(
        chunks.map((c) => {
          const ch = c.children[0]
          return ch.length === c.length * size ? ch : ch.slice(c.offset * size, c.length * size)
        }),
      )
      return make({ child })
    }
    case Type.Struct:
      // Arrow JS slices struct children along with the struct.
      return make({ children: type.children.map((_, j) => concatData(chunks.map((c) => c.children[j]))) })
  }
  const values = chunks.flatMap((c) => [...makeVector(c)])
  return vectorFromArray(values, type as never).data[0] as Data
}

/** One record batch holding every row of `batches` (same schema), each column one contiguous buffer set. */
export function concatBatches(schema: Schema, batches: readonly RecordBatch[]): RecordBatch {
  if (batches.length === 1) return batches[0]
  let length = 0
  for (const b of batches) length += b.numRows
  const children = schema.fields.map((_, j) => concatData(batches.map((b) => b.data.children[j])))
  return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length, nullCount: 0, children }))
}

/**
 * Record batches of `schema` holding `columns` (one chunk list per field, in field order, every list the same
 * total number of rows). When every column is chunked alike (the usual case: a cast keeps its input's chunks)
 * the chunks are zipped into batches as they are, no copy; otherwise each column is concatenated into one chunk
 * ({@link concatData}) and one batch is made. This is what `new Table({ name: vector })` does too, but Arrow
 * JS re-slices chunk by chunk there (`distributeVectorsIntoRecordBatches`), quadratic in the chunk count.
 */
export function batchesFromColumns(schema: Schema, columns: readonly (readonly Data[])[]): RecordBatch[] {
  const type = new Struct(schema.fields)
  // Empty chunks are dropped, except a column's only one: zero rows still give one (empty) batch when every
  // column has a chunk, so that readers see the nested children of the column types.
  const lists = columns.map((chunks) => {
    const rows = chunks.filter((c) => c.length > 0)
    return rows.length === 0 && chunks.length > 0 ? [chunks[0]] : rows
  })
  if (lists.length === 0 || lists.some((l) => l.length === 0)) return []
  const first = lists[0]
  const aligned = lists.every((l) => l.length === first.length && l.every((c, k) => c.length === first[k].length))
  if (aligned) {
    return first.map(
      (c, k) =>
        new RecordBatch(schema, makeData({ type, length: c.length, nullCount: 0, children: lists.map((l) => l[k]) })),
    )
  }
  let length = 0
  for (const c of first) length += c.length
  const children = lists.map((l) => concatData(l))
  return [new RecordBatch(schema, makeData({ type, length, nullCount: 0, children }))]
}
