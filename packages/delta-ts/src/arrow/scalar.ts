/**
 * Exact scalar reads from Arrow buffers in delta-ts's ScalarValue model: int64 and timestamps as bigint
 * (timestamps in µs whatever the unit, ns floored), dates as days, decimals as `{ unscaled, scale }`, strings,
 * binary, booleans, numbers. `Vector.get` is not exact (it rounds timestamps to float ms and gives decimals as
 * raw words), so every exact read in delta-ts goes through here.
 */
import { type DataType as ArrowType, type Data, makeVector, TimeUnit, Type, type Vector } from 'apache-arrow'
import type { ScalarValue } from '../protocol/partition-values.js'

/** Reads row `i` (0-based within the Data) as a {@link ScalarValue}; null for a null slot. */
export type ScalarReader = (i: number) => ScalarValue

const TWO32 = 4294967296n

/** `floor(a / b)` for bigints (BigInt division truncates toward zero). */
export function floorDivBig(a: bigint, b: bigint): bigint {
  const q = a / b
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q
}

function int64At(values: ArrayLike<number | bigint>, i: number): bigint {
  const v = values[i]
  return typeof v === 'bigint' ? v : BigInt(v)
}

/**
 * The unscaled value of row `i` of a Decimal Data (128- or 256-bit little-endian two's complement words,
 * `stride` 32-bit words per value).
 */
export function decimalUnscaledAt(words: Uint32Array, i: number, stride: number): bigint {
  let v = 0n
  for (let k = stride - 1; k >= 0; k--) v = v * TWO32 + BigInt(words[i * stride + k])
  return BigInt.asIntN(stride * 32, v)
}

/** Converts a raw timestamp of Arrow unit `unit` to µs (ns floored, so a lower bound stays a lower bound). */
export function timestampToMicros(raw: bigint, unit: TimeUnit): bigint {
  return unit === TimeUnit.SECOND
    ? raw * 1_000_000n
    : unit === TimeUnit.MILLISECOND
      ? raw * 1000n
      : unit === TimeUnit.MICROSECOND
        ? raw
        : floorDivBig(raw, 1000n)
}

/** µs of row `i` of a Timestamp Data (validity not checked). */
export function timestampMicrosAt(data: Data, i: number): bigint {
  return timestampToMicros(
    int64At(data.values as ArrayLike<number | bigint>, i),
    (data.type as unknown as { unit: TimeUnit }).unit,
  )
}

/** Days since the epoch of row `i` of a Date32 (days) or Date64 (ms) Data (validity not checked). */
export function dateDaysAt(data: Data, i: number): number {
  const v = (data.values as ArrayLike<number | bigint>)[i]
  return (data.type as unknown as { unit: number }).unit === 0 ? Number(v) : Number(floorDivBig(BigInt(v), 86_400_000n))
}

const decoder = new TextDecoder()

function utf8Reader(data: Data): ScalarReader {
  const offsets = data.valueOffsets as ArrayLike<number | bigint>
  const bytes = data.values as Uint8Array
  const big = typeof offsets[0] === 'bigint'
  return (i) => {
    if (!data.getValid(i)) return null
    const a = big ? Number(offsets[i]) : (offsets[i] as number)
    const b = big ? Number(offsets[i + 1]) : (offsets[i + 1] as number)
    // Short ASCII values skip TextDecoder, which dominates otherwise.
    if (b - a <= 32) {
      let s = ''
      for (let p = a; p < b; p++) {
        const ch = bytes[p]
        if (ch >= 0x80) return decoder.decode(bytes.subarray(a, b))
        s += String.fromCharCode(ch)
      }
      return s
    }
    return decoder.decode(bytes.subarray(a, b))
  }
}

/**
 * A reader of exact {@link ScalarValue}s for one Arrow Data (Arrow JS convention: fixed-width values already
 * sliced to the Data's offset). Structs read as `{}` (only their nullness is meaningful; fields are read
 * through their own Data); lists and maps as their Arrow values. Never throws.
 */
export function scalarReader(data: Data): ScalarReader {
  const type = data.type as ArrowType
  switch (type.typeId) {
    case Type.Null:
      return () => null
    case Type.Int: {
      const values = data.values as ArrayLike<number | bigint>
      if ((type as unknown as { bitWidth: number }).bitWidth === 64)
        return (i) => (data.getValid(i) ? int64At(values, i) : null)
      return (i) => (data.getValid(i) ? (values[i] as number) : null)
    }
    case Type.Float: {
      const values = data.values as ArrayLike<number>
      // Float16 is stored as raw uint16 bits: let Arrow JS decode those.
      if ((type as unknown as { precision: number }).precision === 0) break
      return (i) => (data.getValid(i) ? values[i] : null)
    }
    case Type.Decimal: {
      const words = data.values as Uint32Array
      const { scale, bitWidth } = type as unknown as { scale: number; bitWidth: number }
      const stride = bitWidth / 32
      return (i) => (data.getValid(i) ? { unscaled: decimalUnscaledAt(words, i, stride), scale } : null)
    }
    case Type.Timestamp: {
      const unit = (type as unknown as { unit: TimeUnit }).unit
      const values = data.values as ArrayLike<number | bigint>
      return (i) => (data.getValid(i) ? timestampToMicros(int64At(values, i), unit) : null)
    }
    case Type.Date:
      return (i) => (data.getValid(i) ? dateDaysAt(data, i) : null)
    case Type.Dictionary: {
      const keys = data.values as ArrayLike<number | bigint>
      const dict = vectorScalarReader(data.dictionary!)
      return (i) => (data.getValid(i) ? dict(Number(keys[i])) : null)
    }
    case Type.Utf8:
    case Type.LargeUtf8:
      return utf8Reader(data)
    case Type.Struct:
      return (i) => (data.getValid(i) ? {} : null)
  }
  const vec = makeVector(data)
  return (i) => (data.getValid(i) ? ((vec.get(i) ?? null) as ScalarValue) : null)
}

/** {@link scalarReader} over a possibly multi-chunk vector (row `i` of the whole vector). */
export function vectorScalarReader(vec: Vector): ScalarReader {
  if (vec.data.length === 1) return scalarReader(vec.data[0])
  const readers = vec.data.map(scalarReader)
  const starts: number[] = []
  let acc = 0
  for (const d of vec.data) {
    starts.push(acc)
    acc += d.length
  }
  return (i) => {
    let lo = 0
    let hi = starts.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (starts[mid] <= i) lo = mid
      else hi = mid - 1
    }
    return readers[lo](i - starts[lo])
  }
}
