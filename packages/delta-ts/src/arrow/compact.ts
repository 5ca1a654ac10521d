import { type DataType as ArrowType, Data, type Struct, Type } from 'apache-arrow'
import { takeData } from './take.js'

/**
 * A copy of `data` into buffers of its own: what a decoded checkpoint batch keeps of its Arrow IPC stream.
 * Arrow JS views an IPC stream's buffers without copying, so one column kept from a decoded batch holds the
 * whole stream alive (every other top-level column, and the value buffers of children that are all null). The
 * copy takes the column's bytes with one `slice` per buffer, and a child that holds only nulls is backed by
 * views of one zero-filled buffer shared by every such child (`zeros`, grown on demand): a checkpoint's
 * `add.deletionVector`, `add.baseRowId`, ... of a table without those features cost no memory per row.
 *
 * Values, validity and offsets are copied bit for bit; layouts this does not handle directly (non-zero
 * offsets, unions, dictionaries, views) are gathered by {@link takeData}.
 */
export function compactData(data: Data, zeros: ZeroPool = new ZeroPool()): Data {
  if (data.offset !== 0) return takeData(data, identity(data.length))
  return copy(data, zeros, false)
}

/** A zero-filled buffer that all-null children view (see {@link compactData}); one per group of copies. */
export class ZeroPool {
  #buffer = new ArrayBuffer(0)

  /** A zero-filled view of at least `bytes` bytes. */
  bytes(bytes: number): ArrayBuffer {
    if (this.#buffer.byteLength < bytes) this.#buffer = new ArrayBuffer(Math.max(bytes, this.#buffer.byteLength * 2))
    return this.#buffer
  }
}

function identity(n: number): Int32Array {
  const idx = new Int32Array(n)
  for (let i = 0; i < n; i++) idx[i] = i
  return idx
}

type Ctor = { new (buffer: ArrayBuffer, offset: number, length: number): ArrayBufferView; BYTES_PER_ELEMENT: number }

function sliceView<T extends ArrayBufferView>(v: T, count: number): T {
  return (v as unknown as { slice(a: number, b: number): T }).slice(0, count)
}

/** Validity of an offset-0 Data, copied; undefined when it has no nulls. */
function copyValidity(data: Data): Uint8Array | undefined {
  if (data.nullCount === 0 || !data.nullBitmap || data.nullBitmap.length === 0) return undefined
  return data.nullBitmap.slice(0, (data.length + 7) >> 3)
}

/** An all-null Data of `type` and `length` over shared zeros (null bitmap of zeros, zero offsets and values). */
function allNull(type: ArrowType, length: number, zeros: ZeroPool): Data | undefined {
  const bitmapBytes = (length + 7) >> 3
  const validity = () => new Uint8Array(zeros.bytes(bitmapBytes), 0, bitmapBytes)
  const offsets = () => new Int32Array(zeros.bytes((length + 1) * 4), 0, length + 1)
  switch (type.typeId) {
    case Type.Bool:
      return new Data(type, 0, length, length, [undefined, validity(), validity()] as never)
    case Type.Int:
    case Type.Float:
    case Type.Date:
    case Type.Time:
    case Type.Timestamp:
    case Type.Decimal:
    case Type.Interval:
    case Type.Duration:
    case Type.FixedSizeBinary: {
      const View = (type as unknown as { ArrayType: Ctor }).ArrayType
      const stride = new Data(type, 0, 0, 0).stride
      const count = length * stride
      const values = new View(zeros.bytes(count * View.BYTES_PER_ELEMENT), 0, count)
      return new Data(type, 0, length, length, [undefined, values, validity()] as never)
    }
    case Type.Utf8:
    case Type.Binary:
      return new Data(type, 0, length, length, [offsets(), new Uint8Array(0), validity()] as never)
    case Type.List:
    case Type.Map: {
      const child = allNull((type as ArrowType & { children: { type: ArrowType }[] }).children[0].type, 0, zeros)
      if (!child) return undefined
      return new Data(type, 0, length, length, [offsets(), undefined, validity()] as never, [child])
    }
    case Type.Struct: {
      const children: Data[] = []
      for (const f of (type as Struct).children) {
        const c = allNull(f.type, length, zeros)
        if (!c) return undefined
        children.push(c)
      }
      return new Data(type, 0, length, length, [undefined, undefined, validity()] as never, children)
    }
    default:
      return undefined
  }
}

function copy(data: Data, zeros: ZeroPool, isChild: boolean): Data {
  const type = data.type as ArrowType
  const n = data.length
  if (data.offset !== 0) return takeData(data, identity(n))
  if (isChild && n > 0 && data.nullCount === n) {
    const empty = allNull(type, n, zeros)
    if (empty) return empty
  }
  const validity = copyValidity(data)
  const nulls = validity ? data.nullCount : 0
  switch (type.typeId) {
    case Type.Null:
      return new Data(type, 0, n, n)
    case Type.Bool:
      return new Data(type, 0, n, nulls, [
        undefined,
        (data.values as Uint8Array).slice(0, (n + 7) >> 3),
        validity,
      ] as never)
    case Type.Int:
    case Type.Float:
    case Type.Date:
    case Type.Time:
    case Type.Timestamp:
    case Type.Decimal:
    case Type.Interval:
    case Type.Duration:
    case Type.FixedSizeBinary:
      return new Data(type, 0, n, nulls, [
        undefined,
        sliceView(data.values as ArrayBufferView, n * data.stride),
        validity,
      ] as never)
    case Type.Utf8:
    case Type.Binary: {
      const offsets = data.valueOffsets as Int32Array
      if (!(offsets instanceof Int32Array) || offsets[0] !== 0) break
      const values = (data.values as Uint8Array).slice(0, offsets[n])
      return new Data(type, 0, n, nulls, [offsets.slice(0, n + 1), values, validity] as never)
    }
    case Type.List:
    case Type.Map: {
      const offsets = data.valueOffsets as Int32Array
      if (!(offsets instanceof Int32Array) || offsets[0] !== 0) break
      const child = data.children[0]
      const end = offsets[n]
      const inner = child.length === end ? child : child.slice(0, end)
      return new Data(type, 0, n, nulls, [offsets.slice(0, n + 1), undefined, validity] as never, [
        copy(inner, zeros, false),
      ])
    }
    case Type.Struct:
      return new Data(
        type,
        0,
        n,
        nulls,
        [undefined, undefined, validity] as never,
        data.children.map((c) => copy(c.length === n ? c : c.slice(0, n), zeros, true)),
      )
    default:
      break
  }
  return takeData(data, identity(n))
}
