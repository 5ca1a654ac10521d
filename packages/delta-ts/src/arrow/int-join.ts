/**
 * A hash join on one integer key column, on Arrow buffers: keys are read from their typed arrays (int64 from
 * its two 32-bit words, never a BigInt per row) into doubles, which hold every integer below 2^53 exactly, and
 * looked up in an open-addressing table of typed arrays. MERGE's equi-join on an integer key runs here; keys
 * of other types, or a build side with a value beyond 2^53, take the general (key string) path.
 */
import { type Data, Type } from 'apache-arrow'

const TWO_32 = 4294967296
/** |high word| below this keeps an int64 below 2^53. */
const SAFE_HIGH = 2097152

/** The keys of one column as doubles (see {@link intKeyValues}). */
export interface IntKeys {
  /** One per row; NaN for a null and for a value beyond ±2^53. */
  values: Float64Array
  /** How many non-null values lie beyond ±2^53 (NaN in `values`, yet not null). */
  unsafe: number
}

/**
 * The values of an integer column (any width, signed or not) as doubles, NaN for nulls and for int64 values
 * beyond ±2^53 (which no double key can equal exactly); undefined for a non-integer column. `scratch`: a
 * buffer the values are written into when it holds at least `d.length` of them (then `values` is a view of it,
 * valid until the buffer is used again): a probe side read batch by batch then allocates one buffer, not one
 * per batch.
 */
export function intKeyValues(d: Data, scratch?: Float64Array): IntKeys | undefined {
  const t = d.type as unknown as { typeId: Type; isSigned?: boolean; bitWidth?: number }
  if (t.typeId !== Type.Int) return undefined
  const n = d.length
  const v = d.values as unknown as ArrayLike<number> & ArrayBufferView
  const out = scratch && scratch.length >= n ? scratch.subarray(0, n) : new Float64Array(n)
  let unsafe = 0
  if (t.bitWidth !== 64) {
    for (let i = 0; i < n; i++) out[i] = v[i]
  } else if (t.isSigned) {
    const words = new Int32Array(v.buffer, v.byteOffset, n * 2)
    for (let i = 0; i < n; i++) {
      const hi = words[2 * i + 1]
      if (hi < SAFE_HIGH && hi >= -SAFE_HIGH) out[i] = hi * TWO_32 + (words[2 * i] >>> 0)
      else {
        out[i] = Number.NaN
        unsafe++
      }
    }
  } else {
    const words = new Uint32Array(v.buffer, v.byteOffset, n * 2)
    for (let i = 0; i < n; i++) {
      const hi = words[2 * i + 1]
      if (hi < SAFE_HIGH) out[i] = hi * TWO_32 + words[2 * i]
      else {
        out[i] = Number.NaN
        unsafe++
      }
    }
  }
  if (d.nullCount > 0) {
    const bits = d.nullBitmap as Uint8Array
    for (let i = 0; i < n; i++) {
      const p = d.offset + i
      if (((bits[p >> 3] >> (p & 7)) & 1) === 0) {
        // A null slot may hold anything: it is not counted as an unsafe value.
        if (Number.isNaN(out[i])) unsafe--
        out[i] = Number.NaN
      }
    }
  }
  return { values: out, unsafe }
}

/** The slot hash of an integer-valued double (the same for equal values). */
function hashOf(v: number): number {
  const lo = v >>> 0
  const hi = Math.floor(v / TWO_32) | 0
  let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b)
  h ^= h >>> 15
  h = Math.imul(h, 0xc2b2ae35)
  return h ^ (h >>> 16)
}

/** Build-side rows by integer key (see the module comment). */
export interface IntKeyIndex {
  /**
   * Appends the pairs (probe row, build row) whose keys are equal to `pt` and `ps`, probe rows ascending and,
   * for one probe row, build rows ascending. NaN keys (nulls, values beyond 2^53) match nothing.
   */
  probe(keys: IntKeys, pt: number[], ps: number[]): void
}

/**
 * Indexes the build side's keys (NaN: a null, matches nothing), or returns undefined when some key lies beyond
 * 2^53 (the caller then joins exactly by other means).
 */
export function buildIntKeyIndex(build: IntKeys): IntKeyIndex | undefined {
  if (build.unsafe > 0) return undefined
  const keys = build.values
  const n = keys.length
  for (let i = 0; i < n; i++) {
    const k = keys[i]
    if (Number.isNaN(k)) continue
    if (!Number.isSafeInteger(k)) return undefined
  }
  let cap = 16
  while (cap < n * 2) cap *= 2
  const mask = cap - 1
  // Slot s: [2s] its key, [2s + 1] the key's first build row + 1 (0: empty slot), one cache line per probe;
  // `next[row]` chains the rows of equal keys.
  const slots = new Float64Array(cap * 2)
  const next = new Int32Array(n).fill(-1)
  // A one-hash bit filter over the keys (16 bits a key, at most 1 MiB), from the hash's high bits: most probes
  // of a large target miss, and the filter answers them from cache instead of the table's cold lines.
  let filterBits = 10
  while (filterBits < 23 && 1 << filterBits < n * 16) filterBits++
  const filter = new Int32Array(1 << (filterBits - 5))
  const shift = 32 - filterBits
  // Built from the last row back, so every chain runs in ascending row order.
  for (let i = n - 1; i >= 0; i--) {
    const k = keys[i]
    if (Number.isNaN(k)) continue
    const h = hashOf(k)
    const f = h >>> shift
    filter[f >>> 5] |= 1 << (f & 31)
    let s = h & mask
    for (;;) {
      const first = slots[2 * s + 1]
      if (first === 0) {
        slots[2 * s] = k
        slots[2 * s + 1] = i + 1
        break
      }
      if (slots[2 * s] === k) {
        next[i] = first - 1
        slots[2 * s + 1] = i + 1
        break
      }
      s = (s + 1) & mask
    }
  }
  /** The build rows of key `k` (its slot's chain) appended for probe row `i`; false when no build row has it. */
  const emit = (k: number, i: number, pt: number[], ps: number[]): boolean => {
    let s = hashOf(k) & mask
    for (;;) {
      const first = slots[2 * s + 1]
      if (first === 0) return false
      if (slots[2 * s] === k) {
        for (let r = first - 1; r >= 0; r = next[r]) {
          pt.push(i)
          ps.push(r)
        }
        return true
      }
      s = (s + 1) & mask
    }
  }
  // The distinct build keys ascending, made on the first sorted probe batch.
  let distinct: Float64Array | undefined
  const sortedKeys = () => {
    if (!distinct) {
      let m = 0
      for (let s = 0; s < cap; s++) if (slots[2 * s + 1] !== 0) m++
      distinct = new Float64Array(m)
      for (let s = 0, j = 0; s < cap; s++) if (slots[2 * s + 1] !== 0) distinct[j++] = slots[2 * s]
      distinct.sort()
    }
    return distinct
  }
  return {
    probe({ values: probeKeys }, pt, ps) {
      const n = probeKeys.length
      // Probe keys ascending (a table written in key order: the usual case for a merge key): a merge join
      // that walks the build keys of the probe's range in order, which costs sequential reads instead of a
      // random table access per probe row. Else (or when that range holds many more build keys than the
      // batch has rows) the filter and the table.
      let lo = Number.NaN
      let hi = Number.NaN
      let ascending = true
      for (let i = 0; i < n; i++) {
        const k = probeKeys[i]
        if (Number.isNaN(k)) continue
        if (k < hi) {
          ascending = false
          break
        }
        if (Number.isNaN(lo)) lo = k
        hi = k
      }
      if (Number.isNaN(lo)) return
      if (ascending) {
        const keys = sortedKeys()
        let j = lowerBound(keys, lo)
        if (lowerBound(keys, hi + 1) - j <= 4 * n + 64) {
          for (let i = 0; i < n && j < keys.length; i++) {
            const k = probeKeys[i]
            if (Number.isNaN(k)) continue
            while (j < keys.length && keys[j] < k) j++
            if (j < keys.length && keys[j] === k) emit(k, i, pt, ps)
          }
          return
        }
      }
      for (let i = 0; i < n; i++) {
        const k = probeKeys[i]
        if (Number.isNaN(k)) continue
        const h = hashOf(k)
        const f = h >>> shift
        if ((filter[f >>> 5] & (1 << (f & 31))) === 0) continue
        emit(k, i, pt, ps)
      }
    },
  }
}

/** The first index of sorted `keys` whose key is >= `k` (keys.length when none). */
function lowerBound(keys: Float64Array, k: number): number {
  let lo = 0
  let hi = keys.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (keys[mid] < k) lo = mid + 1
    else hi = mid
  }
  return lo
}
