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
 * beyond ±2^53 (which no double key can equal exactly); undefined for a non-integer column.
 */
export function intKeyValues(d: Data): IntKeys | undefined {
  const t = d.type as unknown as { typeId: Type; isSigned?: boolean; bitWidth?: number }
  if (t.typeId !== Type.Int) return undefined
  const n = d.length
  const v = d.values as unknown as ArrayLike<number> & ArrayBufferView
  const out = new Float64Array(n)
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
        if (out[i] !== out[i]) unsafe--
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
    if (k !== k) continue
    if (!Number.isSafeInteger(k)) return undefined
  }
  let cap = 16
  while (cap < n * 2) cap *= 2
  const mask = cap - 1
  const slotKey = new Float64Array(cap)
  // First build row of the slot's key, + 1 (0: empty slot); `next[row]` chains the rows of equal keys.
  const head = new Int32Array(cap)
  const next = new Int32Array(n).fill(-1)
  // Built from the last row back, so every chain runs in ascending row order.
  for (let i = n - 1; i >= 0; i--) {
    const k = keys[i]
    if (k !== k) continue
    let s = hashOf(k) & mask
    for (;;) {
      const h = head[s]
      if (h === 0) {
        head[s] = i + 1
        slotKey[s] = k
        break
      }
      if (slotKey[s] === k) {
        next[i] = h - 1
        head[s] = i + 1
        break
      }
      s = (s + 1) & mask
    }
  }
  return {
    probe({ values: probeKeys }, pt, ps) {
      for (let i = 0; i < probeKeys.length; i++) {
        const k = probeKeys[i]
        if (k !== k) continue
        let s = hashOf(k) & mask
        for (;;) {
          const h = head[s]
          if (h === 0) break
          if (slotKey[s] === k) {
            for (let r = h - 1; r >= 0; r = next[r]) {
              pt.push(i)
              ps.push(r)
            }
            break
          }
          s = (s + 1) & mask
        }
      }
    },
  }
}
