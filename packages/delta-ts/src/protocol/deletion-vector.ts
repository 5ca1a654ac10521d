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
    // A group above 2^32 - 1 wraps, as in Delta's Base85Codec (`sum.toInt`): Spark writes such groups in the
    // padding of inline vectors whose size is not a multiple of 4 (kernel-rs's cdf-table-with-dv).
    v %= 0x100000000
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
  const keep = new Int32Array(length)
  let k = 0
  let d = lo
  for (let i = 0; i < length; i++) {
    if (d < deleted.length && deleted[d] === start + i) d++
    else keep[k++] = i
  }
  return keep.subarray(0, k)
}

/*
 * Encoding, in the bytes Spark writes (RoaringBitmapArray in the portable format, then Java RoaringBitmap's
 * portable serialization per 32-bit bucket). Container choice follows RoaringBitmap's `runOptimize` over rows
 * added one by one: an array container up to 4096 members, else a bitmap; a run container when its
 * serialization (2 + 4 per run) is strictly smaller. Same rows, same bytes as Spark: golden tests check it.
 */

/** Most members an array container holds (RoaringBitmap's ArrayContainer.DEFAULT_MAX_SIZE). */
const ARRAY_MAX = 4096

interface Container {
  key: number
  /** Low 16 bits of the members, ascending. */
  values: Uint16Array
  runs: number
}

function countRuns(values: Uint16Array): number {
  let runs = 0
  for (let i = 0; i < values.length; i++) if (i === 0 || values[i] !== values[i - 1] + 1) runs++
  return runs
}

function containerBytes(c: Container): { kind: 'array' | 'bitmap' | 'run'; size: number } {
  const base = c.values.length <= ARRAY_MAX ? 2 * c.values.length : 8192
  const run = 2 + 4 * c.runs
  if (run < base) return { kind: 'run', size: run }
  return { kind: c.values.length <= ARRAY_MAX ? 'array' : 'bitmap', size: base }
}

/** Serializes one 32-bit RoaringBitmap (portable format) of `containers` into `out` at `pos`; returns the end. */
function writeRoaring32(view: DataView, pos: number, containers: Container[]): number {
  const n = containers.length
  const shapes = containers.map(containerBytes)
  const hasRun = shapes.some((s) => s.kind === 'run')
  let p = pos
  if (hasRun) {
    view.setUint32(p, (SERIAL_COOKIE | ((n - 1) << 16)) >>> 0, true)
    p += 4
    for (let i = 0; i < Math.ceil(n / 8); i++) {
      let byte = 0
      for (let b = 0; b < 8 && i * 8 + b < n; b++) if (shapes[i * 8 + b].kind === 'run') byte |= 1 << b
      view.setUint8(p++, byte)
    }
  } else {
    view.setUint32(p, SERIAL_COOKIE_NO_RUNCONTAINER, true)
    view.setUint32(p + 4, n, true)
    p += 8
  }
  for (const c of containers) {
    view.setUint16(p, c.key, true)
    view.setUint16(p + 2, c.values.length - 1, true)
    p += 4
  }
  if (!hasRun || n >= NO_OFFSET_THRESHOLD) {
    // Offsets are relative to the start of this bitmap's serialization.
    let offset = p + 4 * n - pos
    for (const s of shapes) {
      view.setUint32(p, offset, true)
      p += 4
      offset += s.size
    }
  }
  containers.forEach((c, i) => {
    const { kind } = shapes[i]
    const v = c.values
    if (kind === 'array') {
      for (let k = 0; k < v.length; k++, p += 2) view.setUint16(p, v[k], true)
    } else if (kind === 'run') {
      view.setUint16(p, c.runs, true)
      p += 2
      for (let k = 0; k < v.length; ) {
        let e = k
        while (e + 1 < v.length && v[e + 1] === v[e] + 1) e++
        view.setUint16(p, v[k], true)
        view.setUint16(p + 2, e - k, true)
        p += 4
        k = e + 1
      }
    } else {
      const words = new Uint32Array(2048)
      for (let k = 0; k < v.length; k++) words[v[k] >>> 5] |= 1 << (v[k] & 31)
      for (let w = 0; w < 2048; w++, p += 4) view.setUint32(p, words[w], true)
    }
  })
  return p
}

/**
 * Serializes a set of row indexes as a deletion vector: {@link DV_MAGIC} (int32 LE), then the
 * RoaringBitmapArray in the portable format (bucket count as uint64 LE, per bucket its index as uint32 LE and a
 * portable 32-bit RoaringBitmap). The inverse of {@link decodeDeletionVector}, byte-for-byte what Spark writes.
 *
 * @param rows Row indexes, ascending without duplicates, each a non-negative integer below 2^53.
 * @throws DeltaError `INVALID_DELETION_VECTOR` when `rows` is not strictly ascending non-negative integers.
 */
export function encodeDeletionVector(rows: ArrayLike<number>): Uint8Array {
  // Group into buckets (high 32 bits) and containers (next 16 bits).
  const buckets = new Map<number, Container[]>()
  let maxBucket = -1
  let i = 0
  while (i < rows.length) {
    const first = rows[i]
    if (!Number.isInteger(first) || first < 0 || first > Number.MAX_SAFE_INTEGER || (i > 0 && first <= rows[i - 1]))
      throw new DeltaError('INVALID_DELETION_VECTOR', `row index ${first} is not ascending, unique and non-negative`)
    const high = Math.floor(first / 2 ** 32)
    const key = Math.floor(first / 65536) % 65536
    const base = high * 2 ** 32 + key * 65536
    let j = i + 1
    while (j < rows.length && rows[j] > rows[j - 1] && rows[j] < base + 65536 && Number.isInteger(rows[j])) j++
    const values = new Uint16Array(j - i)
    for (let k = i; k < j; k++) values[k - i] = rows[k] - base
    const list = buckets.get(high) ?? []
    buckets.set(high, list)
    list.push({ key, values, runs: countRuns(values) })
    maxBucket = Math.max(maxBucket, high)
    i = j
  }
  // Spark's array is dense: every bucket up to the highest is written, empty ones as empty bitmaps.
  let size = 12
  for (let b = 0; b <= maxBucket; b++) {
    const cs = buckets.get(b) ?? []
    const hasRun = cs.some((c) => containerBytes(c).kind === 'run')
    size += 4 + (hasRun ? 4 + Math.ceil(cs.length / 8) : 8) + 4 * cs.length
    if (!hasRun || cs.length >= NO_OFFSET_THRESHOLD) size += 4 * cs.length
    for (const c of cs) size += containerBytes(c).size
  }
  const out = new Uint8Array(size)
  const view = new DataView(out.buffer)
  view.setUint32(0, DV_MAGIC, true)
  view.setBigUint64(4, BigInt(maxBucket + 1), true)
  let p = 12
  for (let b = 0; b <= maxBucket; b++) {
    view.setUint32(p, b, true)
    p = writeRoaring32(view, p + 4, buckets.get(b) ?? [])
  }
  if (p !== size) throw new DeltaError('INTERNAL', `deletion vector size ${p} differs from the computed ${size}`)
  return out
}

/**
 * One entry of a DV file: `size` (int32 BE), the serialized vector, its CRC-32 (int32 BE). The inverse of
 * {@link decodeDeletionVectorChunk}.
 */
export function encodeDeletionVectorChunk(serialized: Uint8Array): Uint8Array {
  const out = new Uint8Array(serialized.length + 8)
  const view = new DataView(out.buffer)
  view.setInt32(0, serialized.length, false)
  out.set(serialized, 4)
  view.setUint32(4 + serialized.length, crc32(serialized), false)
  return out
}

/** The version byte that opens a DV file (PROTOCOL.md §Deletion Vector Format). */
export const DV_FILE_VERSION = 1

/**
 * Lays out a DV file holding several serialized vectors: the version byte, then one chunk per vector.
 * Returns the bytes and each vector's `offset` (of its size field) for the descriptor.
 */
export function assembleDeletionVectorFile(serialized: readonly Uint8Array[]): {
  bytes: Uint8Array
  offsets: number[]
} {
  const total = 1 + serialized.reduce((s, b) => s + b.length + 8, 0)
  const bytes = new Uint8Array(total)
  bytes[0] = DV_FILE_VERSION
  const offsets: number[] = []
  let p = 1
  for (const s of serialized) {
    offsets.push(p)
    bytes.set(encodeDeletionVectorChunk(s), p)
    p += s.length + 8
  }
  return { bytes, offsets }
}

/**
 * The `pathOrInlineDv` of a `u` descriptor: the random prefix (may be empty) then the Z85 encoding of the
 * UUID's 16 bytes (20 characters). The inverse of what {@link deletionVectorPath} reads.
 *
 * @throws DeltaError `INVALID_ARGUMENT` on a string that is not a UUID, or a prefix with a `/`.
 */
export function relativeDeletionVectorId(uuid: string, prefix = ''): string {
  const hex = uuid.replace(/-/g, '')
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new DeltaError('INVALID_ARGUMENT', `${JSON.stringify(uuid)} is not a UUID`)
  if (prefix.includes('/'))
    throw new DeltaError('INVALID_ARGUMENT', `deletion vector prefix ${JSON.stringify(prefix)} contains '/'`)
  const bytes = new Uint8Array(16)
  for (let i = 0; i < 16; i++) bytes[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return prefix + z85Encode(bytes)
}

/**
 * An inline (`i`) descriptor for `rows` (ascending, unique): the serialized vector Z85-encoded in the log.
 * Spark writes DVs to files; inline suits tests and tiny vectors.
 */
export function inlineDeletionVector(rows: ArrayLike<number>): DeletionVectorDescriptor {
  const bytes = encodeDeletionVector(rows)
  return { storageType: 'i', pathOrInlineDv: z85Encode(bytes), sizeInBytes: bytes.length, cardinality: rows.length }
}

/** The union of two ascending row index sets, ascending without duplicates. */
export function unionRows(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  const out = new Float64Array(a.length + b.length)
  let i = 0
  let j = 0
  let n = 0
  while (i < a.length || j < b.length) {
    const v = j >= b.length || (i < a.length && a[i] <= b[j]) ? a[i++] : b[j++]
    if (n === 0 || out[n - 1] !== v) out[n++] = v
  }
  return out.slice(0, n)
}
