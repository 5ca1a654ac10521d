const DELETED: unique symbol = Symbol('deleted')

/** How many layers a map may stack before a fork flattens it (bounds lookups to a few Map probes). */
const MAX_DEPTH = 8

/**
 * A copy-on-write map for snapshot state. `fork()` is O(1): the fork reads through to its parent and records
 * only its own changes, so refreshing a snapshot of a million files with ten new commits costs the ten
 * commits, not a million-entry copy. A parent must not change after it is forked (snapshots never change).
 * Iteration yields each live key once, in no particular order.
 */
export class LayeredMap<K, V> {
  private readonly own = new Map<K, V | typeof DELETED>()
  private count: number

  private constructor(
    private readonly parent: LayeredMap<K, V> | undefined,
    private readonly depth: number,
  ) {
    this.count = parent ? parent.count : 0
  }

  /** An empty map. */
  static empty<K, V>(): LayeredMap<K, V> {
    return new LayeredMap<K, V>(undefined, 0)
  }

  /** A new map that starts with this one's contents; this map must not be changed afterwards. */
  fork(): LayeredMap<K, V> {
    if (this.depth + 1 < MAX_DEPTH) return new LayeredMap<K, V>(this, this.depth + 1)
    const flat = LayeredMap.empty<K, V>()
    for (const [k, v] of this) flat.set(k, v)
    return flat
  }

  get size(): number {
    return this.count
  }

  get(key: K): V | undefined {
    for (let m: LayeredMap<K, V> | undefined = this; m; m = m.parent) {
      const v = m.own.get(key)
      if (v !== undefined) return v === DELETED ? undefined : v
    }
    return undefined
  }

  has(key: K): boolean {
    return this.get(key) !== undefined
  }

  set(key: K, value: V): this {
    if (!this.parent) {
      // The root layer holds no DELETED markers, so its count is its own size: one lookup, not two.
      this.own.set(key, value)
      this.count = this.own.size
      return this
    }
    if (!this.has(key)) this.count++
    this.own.set(key, value)
    return this
  }

  delete(key: K): boolean {
    if (this.count === 0) return false
    if (!this.has(key)) return false
    this.count--
    if (this.parent?.has(key)) this.own.set(key, DELETED)
    else this.own.delete(key)
    return true
  }

  *entries(): IterableIterator<[K, V]> {
    const seen = new Set<K>()
    for (let m: LayeredMap<K, V> | undefined = this; m; m = m.parent) {
      for (const [k, v] of m.own) {
        if (seen.has(k)) continue
        if (m.parent) seen.add(k)
        if (v !== DELETED) yield [k, v]
      }
    }
  }

  /** Every live value in an array (a root layer copies its Map's values without an entry pair per key). */
  valuesArray(): V[] {
    if (!this.parent) return Array.from(this.own.values()) as V[]
    return Array.from(this.values())
  }

  *values(): IterableIterator<V> {
    for (const [, v] of this.entries()) yield v
  }

  *keys(): IterableIterator<K> {
    for (const [k] of this.entries()) yield k
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries()
  }
}
