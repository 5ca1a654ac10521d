import { DeltaError } from '../errors.js'
import type { ObjectMeta, PutOptions, ReadOptions, Storage } from './types.js'

/**
 * An in-process storage backend. Put-if-absent is atomic because JavaScript runs one put at a time; it is
 * meant for tests and for tables that live only as long as the process.
 */
export class MemoryStorage implements Storage {
  readonly rootUri: string
  private readonly objects = new Map<string, { data: Uint8Array; lastModified: number }>()

  constructor(rootUri = 'memory://') {
    this.rootUri = rootUri
  }

  async *list(prefix: string, options: { startAfter?: string; signal?: AbortSignal } = {}): AsyncIterable<ObjectMeta> {
    const keys = [...this.objects.keys()]
      .filter((k) => k.startsWith(prefix) && (options.startAfter === undefined || k > options.startAfter))
      .sort(compareKeys)
    for (const key of keys) {
      options.signal?.throwIfAborted()
      const obj = this.objects.get(key)
      if (obj) yield { path: key, size: obj.data.byteLength, lastModified: obj.lastModified }
    }
  }

  async read(path: string, _options?: ReadOptions): Promise<Uint8Array> {
    return this.get(path).data.slice()
  }

  async readRange(path: string, start: number, end: number, _options?: ReadOptions): Promise<Uint8Array> {
    const { data } = this.get(path)
    return data.slice(start, Math.min(end, data.byteLength))
  }

  async head(path: string, _options?: ReadOptions): Promise<ObjectMeta> {
    const obj = this.get(path)
    return { path, size: obj.data.byteLength, lastModified: obj.lastModified }
  }

  async put(path: string, data: Uint8Array, options: PutOptions = {}): Promise<void> {
    options.signal?.throwIfAborted()
    if (!options.overwrite && this.objects.has(path)) {
      throw new DeltaError('FILE_ALREADY_EXISTS', `${this.rootUri}${path} already exists`)
    }
    this.objects.set(path, { data: data.slice(), lastModified: Date.now() })
  }

  async delete(path: string, _options?: ReadOptions): Promise<void> {
    this.objects.delete(path)
  }

  private get(path: string) {
    const obj = this.objects.get(path)
    if (!obj) throw new DeltaError('FILE_NOT_FOUND', `${this.rootUri}${path} does not exist`)
    return obj
  }
}

/** Byte-order comparison of keys, the order S3 and the storage contract use. */
export function compareKeys(a: string, b: string): number {
  // UTF-8 byte order is code point order; JavaScript's `<` compares UTF-16 units, which puts surrogate pairs
  // (code points above U+FFFF) before U+E000..U+FFFF. Compare code points where the strings first differ.
  let i = 0
  while (i < a.length && i < b.length && a.charCodeAt(i) === b.charCodeAt(i)) i++
  if (i === a.length || i === b.length) return a.length - b.length === 0 ? 0 : a.length < b.length ? -1 : 1
  const ca = a.codePointAt(i)!
  const cb = b.codePointAt(i)!
  return ca < cb ? -1 : 1
}
