/**
 * The web build's stand-in for storage/local.ts (tsup.config.ts swaps it in for browsers and Workers, which have
 * no local disk and no `node:fs`). Same exports, so the public API is the same in every build; each use fails
 * with a typed error that names the storage these runtimes do have.
 */
import { DeltaError } from '../errors.js'
import type { ObjectMeta, PutOptions, ReadOptions, Storage } from './types.js'

function noLocalDisk(what: string): DeltaError {
  return new DeltaError(
    'UNSUPPORTED_FEATURE',
    `${what}: this runtime has no local disk (the browser / Worker build of delta-ts); open an s3://, https:// or ` +
      'memory:// table, or pass a Storage object (docs/runtimes.md)',
  )
}

/** Local-disk storage is not available in browsers and Workers: constructing one throws. */
export class LocalStorage implements Storage {
  readonly rootUri: string = ''
  readonly root: string = ''

  /** @throws DeltaError `UNSUPPORTED_FEATURE` always. */
  constructor(root: string) {
    throw noLocalDisk(root)
  }
  // biome-ignore lint/correctness/useYield: never reached, the constructor throws
  async *list(_prefix: string): AsyncIterable<ObjectMeta> {
    throw noLocalDisk(this.rootUri)
  }
  async read(_path: string, _options?: ReadOptions): Promise<Uint8Array> {
    throw noLocalDisk(this.rootUri)
  }
  async readRange(_path: string, _start: number, _end: number, _options?: ReadOptions): Promise<Uint8Array> {
    throw noLocalDisk(this.rootUri)
  }
  async head(_path: string, _options?: ReadOptions): Promise<ObjectMeta> {
    throw noLocalDisk(this.rootUri)
  }
  async put(_path: string, _data: Uint8Array, _options?: PutOptions): Promise<void> {
    throw noLocalDisk(this.rootUri)
  }
  async delete(_path: string, _options?: ReadOptions): Promise<void> {
    throw noLocalDisk(this.rootUri)
  }
}

/** @throws DeltaError `UNSUPPORTED_FEATURE` always: a plain path or `file://` URL needs local disk. */
export function localStorageFor(uri: string): LocalStorage {
  throw noLocalDisk(uri)
}
