/**
 * Hash keys of exact scalars: a Map key that is equal exactly when the SQL values are equal, across int widths
 * (`1` int = `1n` long), decimal scales (`1.50` = `1.5`) and time units (readers already give µs). Used to group
 * rows (partition split, joins, IN lists) without comparing values pairwise.
 */
import type { DecimalValue, ScalarValue } from '../protocol/partition-values.js'

/** The canonical `unscaled e scale` of a decimal: trailing fractional zeros removed, so equal values match. */
export function decimalKey(d: DecimalValue): string {
  let { unscaled, scale } = d
  while (scale > 0 && unscaled % 10n === 0n) {
    unscaled /= 10n
    scale--
  }
  return `${unscaled}e${scale}`
}

/**
 * A string key for one non-null value, with a kind prefix so that values of different kinds never collide
 * (`n` integers of any width and integral decimals, `f` non-integral doubles, `s` strings, `b` booleans, `x`
 * binary as hex, `d` decimals with a fraction, `j` anything else as JSON).
 */
export function scalarKey(v: ScalarValue): string {
  if (typeof v === 'bigint') return `n${v}`
  if (typeof v === 'number') return Number.isInteger(v) ? `n${BigInt(v)}` : `f${v}`
  if (typeof v === 'string') return `s${v}`
  if (typeof v === 'boolean') return `b${v}`
  if (v instanceof Uint8Array) {
    let s = 'x'
    for (const b of v) s += b.toString(16).padStart(2, '0')
    return s
  }
  if (v !== null && typeof v === 'object' && 'unscaled' in v && 'scale' in v) {
    const k = decimalKey(v as DecimalValue)
    return k.endsWith('e0') ? `n${k.slice(0, -2)}` : `d${k}`
  }
  return `j${JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x))}`
}

const C1 = 0xcc9e2d51
const C2 = 0x1b873593

function mixK1(k: number): number {
  k = Math.imul(k, C1)
  k = (k << 15) | (k >>> 17)
  return Math.imul(k, C2)
}

function mixH1(h: number, k: number): number {
  h ^= k
  h = (h << 13) | (h >>> 19)
  return (Math.imul(h, 5) + 0xe6546b64) | 0
}

/**
 * Spark's `Murmur3_x86_32.hashUnsafeBytes` of `bytes[start, end)` with `seed`: what Spark's `hash()` and
 * hash partitioning compute for a string (its UTF-8 bytes). Spark mixes each trailing byte as a whole signed
 * int, unlike the reference MurmurHash3 tail; this follows Spark, so partition ids match Spark's.
 */
export function sparkMurmur3Bytes(bytes: Uint8Array, start: number, end: number, seed: number): number {
  const n = end - start
  const aligned = n - (n % 4)
  let h = seed | 0
  for (let i = 0; i < aligned; i += 4) {
    const p = start + i
    const k = bytes[p] | (bytes[p + 1] << 8) | (bytes[p + 2] << 16) | (bytes[p + 3] << 24)
    h = mixH1(h, mixK1(k))
  }
  for (let i = aligned; i < n; i++) h = mixH1(h, mixK1((bytes[start + i] << 24) >> 24))
  h ^= n
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h | 0
}

/** Spark's hash-partition id of a hash value: `pmod(hash, numPartitions)`. */
export function sparkPartitionId(hash: number, numPartitions: number): number {
  return ((hash % numPartitions) + numPartitions) % numPartitions
}
