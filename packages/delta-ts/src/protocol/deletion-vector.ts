import { DeltaError } from '../errors.js'
import type { DeletionVectorDescriptor } from './actions.js'

/*
 * Deletion vectors (PROTOCOL.md §Deletion Vectors, §Deletion Vector Format): the set of row indexes of a data
 * file that are deleted, stored as a 64-bit RoaringBitmap ("portable" array format) behind a magic number,
 * either inline in the log (Z85) or in a `deletion_vector_<uuid>.bin` file. Decoding is pure; only
 * Loading vectors from storage (IO) lives in core/deletion-vector-io.ts.
 */

const Z85_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#'
const Z85_DECODE = (() => {
  const t = new Int16Array(128).fill(-1)
  for (let i = 0; i < Z85_ALPHABET.length; i++) t[Z85_ALPHABET.charCodeAt(i)] = i
  return t
})()

/** The magic number that opens every serialized deletion vector (little-endian int32). */
export const DV_MAGIC = 1681511377

/**
 * Decodes Z85 (ZeroMQ base85): every 5 characters give 4 bytes, big-endian. Delta pads the input bytes to a
 * multiple of 4 before encoding, so the caller truncates to the real size.
 *
 * @throws DeltaError `INVALID_DELETION_VECTOR` on a length that is not a multiple of 5 or a character outside
 *   the alphabet.
 */
export function z85Decode(s: string): Uint8Array {
  if (s.length % 5 !== 0)
    throw new DeltaError('INVALID_DELETION_VECTOR', `Z85 string length ${s.length} is not a multiple of 5`)
  const out = new Uint8Array((s.length / 5) * 4)
  for (let i = 0, o = 0; i < s.length; i += 5, o += 4) {
    let v = 0
    for (let j = 0; j < 5; j++) {
      const c = s.charCodeAt(i + j)
      const d = c < 128 ? Z85_DECODE[c] : -1
      if (d < 0) throw new DeltaError('INVALID_DELETION_VECTOR', `invalid Z85 character ${JSON.stringify(s[i + j])}`)
      v = v * 85 + d
    }
    if (v > 0xffffffff) throw new DeltaError('INVALID_DELETION_VECTOR', 'Z85 group overflows 32 bits')
    out[o] = v >>> 24
    out[o + 1] = (v >>> 16) & 0xff
    out[o + 2] = (v >>> 8) & 0xff
    out[o + 3] = v & 0xff
  }
  return out
}

/** Encodes bytes as Z85, zero-padding to a multiple of 4 bytes the way Delta does (for tests and writers). */
export function z85Encode(bytes: Uint8Array): string {
  const padded = new Uint8Array(Math.ceil(bytes.length / 4) * 4)
  padded.set(bytes)
  let s = ''
  for (let i = 0; i < padded.length; i += 4) {
    let v = ((padded[i] << 24) | (padded[i + 1] << 16) | (padded[i + 2] << 8) | padded[i + 3]) >>> 0
    const chars: string[] = []
    for (let j = 0; j < 5; j++) {
      chars.push(Z85_ALPHABET[v % 85])
      v = Math.floor(v / 85)
    }
    s += chars.reverse().join('')
  }
  return s
}

/**
 * The table-relative path of a `u` (or `p`) deletion vector file. For `u`, `pathOrInlineDv` is an optional
 * random prefix followed by the 20-character Z85 encoding of a UUID; the file is
 * `<prefix>/deletion_vector_<uuid>.bin`. For `p`, the path itself (an absolute URI) is returned.
 *
 * @throws DeltaError `INVALID_DELETION_VECTOR` for inline descriptors or a malformed UUID encoding.
 */
export function deletionVectorPath(dv: DeletionVectorDescriptor): string {
  if (dv.storageType === 'p') return dv.pathOrInlineDv
  if (dv.storageType !== 'u')
    throw new DeltaError('INVALID_DELETION_VECTOR', `storage type ${dv.storageType} has no file`)
  const s = dv.pathOrInlineDv
  if (s.length < 20)
    throw new DeltaError('INVALID_DELETION_VECTOR', `deletion vector id ${JSON.stringify(s)} is too short`)
  const prefix = s.slice(0, s.length - 20)
  const b = z85Decode(s.slice(s.length - 20))
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('')
  const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
  return `${prefix ? `${prefix}/` : ''}deletion_vector_${uuid}.bin`
}

class Reader {
  pos = 0
  private view: DataView
  constructor(private bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }
  need(n: number) {
    if (this.pos + n > this.bytes.length)
      throw new DeltaError('INVALID_DELETION_VECTOR', 'deletion vector bitmap is truncated')
  }
  u16(): number {
    this.need(2)
    const v = this.view.getUint16(this.pos, true)
    this.pos += 2
    return v
  }
  u32(): number {
    this.need(4)
    const v = this.view.getUint32(this.pos, true)
    this.pos += 4
    return v
  }
  u64(): bigint {
    this.need(8)
    const v = this.view.getBigUint64(this.pos, true)
    this.pos += 8
    return v
  }
  skip(n: number) {
    this.need(n)
    this.pos += n
  }
  take(n: number): Uint8Array {
    this.need(n)
    const out = this.bytes.subarray(this.pos, this.pos + n)
    this.pos += n
    return out
  }
}

const SERIAL_COOKIE_NO_RUNCONTAINER = 12346
const SERIAL_COOKIE = 12347
const NO_OFFSET_THRESHOLD = 4

/** Decodes one 32-bit RoaringBitmap (portable format) and appends `high + value` for every member. */
function readRoaring32(r: Reader, high: number, out: number[]): void {
  const cookie = r.u32()
  let size: number
  let runFlags: Uint8Array | undefined
  if ((cookie & 0xffff) === SERIAL_COOKIE) {
    size = (cookie >>> 16) + 1
    runFlags = r.take(Math.ceil(size / 8))
  } else if (cookie === SERIAL_COOKIE_NO_RUNCONTAINER) {
    size = r.u32()
  } else {
    throw new DeltaError('INVALID_DELETION_VECTOR', `unknown RoaringBitmap cookie ${cookie}`)
  }
  const keys: number[] = []
  const cards: number[] = []
  for (let i = 0; i < size; i++) {
    keys.push(r.u16())
    cards.push(r.u16() + 1)
  }
  // The offset header is redundant when reading sequentially.
  if (!runFlags || size >= NO_OFFSET_THRESHOLD) r.skip(4 * size)
  for (let i = 0; i < size; i++) {
    const base = high + keys[i] * 65536
    const isRun = runFlags !== undefined && (runFlags[i >>> 3] & (1 << (i & 7))) !== 0
    if (isRun) {
      const nRuns = r.u16()
      for (let k = 0; k < nRuns; k++) {
        const start = r.u16()
        const len = r.u16()
        for (let v = start; v <= start + len; v++) out.push(base + v)
      }
    } else if (cards[i] <= 4096) {
      for (let k = 0; k < cards[i]; k++) out.push(base + r.u16())
    } else {
      // 1024 little-endian 64-bit words, read as 2048 32-bit halves to stay off bigint in the hot loop.
      for (let w = 0; w < 2048; w++) {
        const word = r.u32()
        if (word === 0) continue
        for (let bit = 0; bit < 32; bit++) if ((word >>> bit) & 1) out.push(base + w * 32 + bit)
      }
    }
  }
}

/**
 * Decodes a serialized deletion vector: the magic number (little-endian int32 {@link DV_MAGIC}) followed by a
 * 64-bit RoaringBitmap in Delta's portable array format (bucket count as uint64 LE, then per bucket a uint32
 * high key and a portable 32-bit RoaringBitmap with array, bitmap and run containers). Returns the deleted row
 * indexes, sorted ascending, without duplicates.
 *
 * @throws DeltaError `INVALID_DELETION_VECTOR` on a wrong magic number, unknown cookie or truncated data.
 */
export function decodeDeletionVector(bytes: Uint8Array): Float64Array {
  const r = new Reader(bytes)
  const magic = r.u32()
  if (magic !== DV_MAGIC) throw new DeltaError('INVALID_DELETION_VECTOR', `wrong deletion vector magic number ${magic}`)
  const buckets = r.u64()
  const out: number[] = []
  for (let b = 0n; b < buckets; b++) {
    const key = r.u32()
    // Row indexes above 2^53 cannot occur: no parquet file holds that many rows.
    readRoaring32(r, key * 2 ** 32, out)
  }
  const arr = Float64Array.from(out)
  arr.sort()
  return arr
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    t[n] = c >>> 0
  }
  return t
})()

/** CRC-32 (IEEE), as java.util.zip.CRC32 computes it for the deletion vector file checksum. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

/**
 * Decodes the bytes of a DV file at the descriptor's offset: `size` (int32 BE, must equal `sizeInBytes`), the
 * serialized vector, then its CRC-32 (int32 BE). `chunk` starts at `offset`.
 *
 * @throws DeltaError `INVALID_DELETION_VECTOR` on a size or checksum mismatch or a malformed bitmap.
 */
export function decodeDeletionVectorChunk(chunk: Uint8Array, sizeInBytes: number): Float64Array {
  if (chunk.length < 8 + sizeInBytes)
    throw new DeltaError('INVALID_DELETION_VECTOR', 'deletion vector file is truncated')
  const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength)
  const size = view.getInt32(0, false)
  if (size !== sizeInBytes) {
    throw new DeltaError(
      'INVALID_DELETION_VECTOR',
      `deletion vector size ${size} differs from descriptor sizeInBytes ${sizeInBytes}`,
    )
  }
  const data = chunk.subarray(4, 4 + size)
  const expected = view.getUint32(4 + size, false)
  if (crc32(data) !== expected) throw new DeltaError('INVALID_DELETION_VECTOR', 'deletion vector checksum mismatch')
  return decodeDeletionVector(data)
}

/**
 * Selects the rows of `[start, start + length)` (file row indexes) that `deleted` (sorted) does not contain;
 * returns their positions relative to `start`, or undefined when no row of the range is deleted.
 */
export function survivingRows(deleted: Float64Array, start: number, length: number): Int32Array | undefined {
  let lo = 0
  let hi = deleted.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (deleted[mid] < start) lo = mid + 1
    else hi = mid
  }
  if (lo >= deleted.length || deleted[lo] >= start + length) return undefined
  const keep: number[] = []
  let d = lo
  for (let i = 0; i < length; i++) {
    if (d < deleted.length && deleted[d] === start + i) d++
    else keep.push(i)
  }
  return Int32Array.from(keep)
}
