/**
 * Hash sets and maps of 64-bit integer keys held in typed arrays (open addressing, linear probing), for the
 * jobs' dedup and referential-integrity checks on key columns. A key costs 8 bytes (plus 4 for a map's value)
 * at ≤ 50% load, against ~50 bytes for a `Set<bigint>` entry, and probing reads the two 32-bit halves of an
 * Int64 column's buffer directly, without a bigint per row — so a key set of the warehouse's 5M keys is
 * ~80 MB, and adding or probing 1M keys takes tens of milliseconds.
 */
import type { Data } from 'apache-arrow'

const EMPTY = 0
const FULL = 1

function mix(lo: number, hi: number): number {
  // murmur3's 32-bit finalizer over both halves
  let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

/** The two 32-bit halves of an Int64 (or any 64-bit) column's value buffer, honouring the Data's offset. */
export function int64Words(data: Data): Int32Array {
  const v = data.values as unknown as BigInt64Array
  return new Int32Array(v.buffer, v.byteOffset + data.offset * 8, data.length * 2)
}

/**
 * A set (and, with values, a map to an int32) of 64-bit integer keys. `find` returns the slot of a key or
 * the free slot it would take (negative: `-slot - 1`), so one probe serves both lookup and insert.
 */
export class Int64Table {
  #keys: Int32Array
  #used: Uint8Array
  #values: Int32Array | undefined
  #mask: number
  #size = 0

  constructor(expected = 1024, withValues = false) {
    let cap = 16
    while (cap < expected * 2) cap *= 2
    this.#keys = new Int32Array(cap * 2)
    this.#used = new Uint8Array(cap)
    this.#values = withValues ? new Int32Array(cap) : undefined
    this.#mask = cap - 1
  }

  /** Keys held. */
  get size(): number {
    return this.#size
  }

  /** The slot holding (lo, hi), or `-slot - 1` for the empty slot where it would go. */
  find(lo: number, hi: number): number {
    let s = mix(lo, hi) & this.#mask
    const keys = this.#keys
    const used = this.#used
    for (;;) {
      if (used[s] === EMPTY) return -s - 1
      if (keys[2 * s] === lo && keys[2 * s + 1] === hi) return s
      s = (s + 1) & this.#mask
    }
  }

  /** Stores (lo, hi) in the free slot `find` returned (as `-slot - 1`); returns the slot it ended in. */
  insertAt(free: number, lo: number, hi: number, value = 0): number {
    let s = -free - 1
    if ((this.#size + 1) * 2 > this.#used.length) {
      this.#grow()
      s = -this.find(lo, hi) - 1
    }
    this.#used[s] = FULL
    this.#keys[2 * s] = lo
    this.#keys[2 * s + 1] = hi
    if (this.#values) this.#values[s] = value
    this.#size++
    return s
  }

  /** The value at a slot (maps only). */
  valueAt(slot: number): number {
    return (this.#values as Int32Array)[slot]
  }

  setValueAt(slot: number, value: number): void {
    ;(this.#values as Int32Array)[slot] = value
  }

  /** Adds a key; true when it was new. */
  add(lo: number, hi: number): boolean {
    const s = this.find(lo, hi)
    if (s >= 0) return false
    this.insertAt(s, lo, hi)
    return true
  }

  has(lo: number, hi: number): boolean {
    return this.find(lo, hi) >= 0
  }

  /** Adds the bigint `k` (a convenience for small sets; columns go through {@link Int64Table.addColumn}). */
  addBigInt(k: bigint): boolean {
    const u = BigInt.asUintN(64, k)
    return this.add(Number(u & 0xffffffffn) | 0, Number(u >> 32n) | 0)
  }

  hasBigInt(k: bigint): boolean {
    const u = BigInt.asUintN(64, k)
    return this.has(Number(u & 0xffffffffn) | 0, Number(u >> 32n) | 0)
  }

  /** Adds every non-null value of an Int64 column. */
  addColumn(data: Data): void {
    const w = int64Words(data)
    const checkNulls = data.nullCount > 0
    for (let i = 0; i < data.length; i++) {
      if (checkNulls && !data.getValid(i)) continue
      this.add(w[2 * i], w[2 * i + 1])
    }
  }

  #grow(): void {
    const oldKeys = this.#keys
    const oldUsed = this.#used
    const oldValues = this.#values
    const cap = oldUsed.length * 2
    this.#keys = new Int32Array(cap * 2)
    this.#used = new Uint8Array(cap)
    this.#values = oldValues ? new Int32Array(cap) : undefined
    this.#mask = cap - 1
    for (let s = 0; s < oldUsed.length; s++) {
      if (oldUsed[s] === EMPTY) continue
      const lo = oldKeys[2 * s]
      const hi = oldKeys[2 * s + 1]
      const t = -this.find(lo, hi) - 1
      this.#used[t] = FULL
      this.#keys[2 * t] = lo
      this.#keys[2 * t + 1] = hi
      if (oldValues && this.#values) this.#values[t] = oldValues[s]
    }
  }
}
