import { randomUUID } from 'node:crypto'
import { promises as fs } from 'node:fs'
import * as nodePath from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { DeltaError } from '../errors.js'
import { compareKeys } from './memory.js'
import type { ObjectMeta, PutOptions, ReadOptions, Storage } from './types.js'

/**
 * Local-disk storage rooted at a directory.
 *
 * Put-if-absent writes the bytes to a temporary file in the target directory, then hard-links it to the final
 * name: `link()` fails with EEXIST when the name exists, atomically across processes, and the final name
 * never points at a half-written file. The temporary file is always removed.
 */
/** How many files a listing stats at once. */
const LIST_STAT_CONCURRENCY = 64

export class LocalStorage implements Storage {
  readonly rootUri: string
  readonly root: string

  constructor(root: string) {
    this.root = nodePath.resolve(root)
    this.rootUri = pathToFileURL(this.root).href.replace(/\/?$/, '/')
  }

  private abs(path: string): string {
    return nodePath.join(this.root, ...path.split('/'))
  }

  async *list(prefix: string, options: { startAfter?: string; signal?: AbortSignal } = {}): AsyncIterable<ObjectMeta> {
    const slash = prefix.lastIndexOf('/')
    const dirKey = slash >= 0 ? prefix.slice(0, slash) : ''
    const keys: string[] = []
    await this.walk(dirKey, prefix, keys, options.signal)
    // Filter by name before any stat: listing the tail of a long _delta_log stats only the new files.
    const startAfter = options.startAfter
    const wanted = keys.filter((k) => startAfter === undefined || k > startAfter).sort(compareKeys)
    for (let i = 0; i < wanted.length; i += LIST_STAT_CONCURRENCY) {
      const chunk = wanted.slice(i, i + LIST_STAT_CONCURRENCY)
      const metas = await Promise.all(chunk.map((key) => this.statKey(key)))
      for (const m of metas) if (m) yield m
    }
  }

  private async statKey(key: string): Promise<ObjectMeta | undefined> {
    try {
      const st = await fs.stat(this.abs(key))
      return { path: key, size: st.size, lastModified: Math.floor(st.mtimeMs) }
    } catch (err) {
      if (isNodeError(err, 'ENOENT')) return undefined
      throw translate(err, key)
    }
  }

  /** Collects the file keys under `dirKey` that start with `prefix`, descending only into directories that can hold some. */
  private async walk(dirKey: string, prefix: string, out: string[], signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted()
    let entries: import('node:fs').Dirent[]
    try {
      entries = await fs.readdir(this.abs(dirKey), { withFileTypes: true })
    } catch (err) {
      if (isNodeError(err, 'ENOENT') || isNodeError(err, 'ENOTDIR')) return
      throw translate(err, dirKey)
    }
    for (const e of entries) {
      const key = dirKey ? `${dirKey}/${e.name}` : e.name
      if (e.isDirectory()) {
        if (`${key}/`.startsWith(prefix) || prefix.startsWith(`${key}/`)) await this.walk(key, prefix, out, signal)
      } else if (e.isFile() && key.startsWith(prefix)) {
        out.push(key)
      }
    }
  }

  async read(path: string, options?: ReadOptions): Promise<Uint8Array> {
    options?.signal?.throwIfAborted()
    try {
      const buf = await fs.readFile(this.abs(path), { signal: options?.signal })
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)
    } catch (err) {
      throw translate(err, path)
    }
  }

  async readRange(path: string, start: number, end: number, options?: ReadOptions): Promise<Uint8Array> {
    options?.signal?.throwIfAborted()
    let fh: import('node:fs/promises').FileHandle | undefined
    try {
      fh = await fs.open(this.abs(path), 'r')
      const size = (await fh.stat()).size
      const stop = Math.min(end, size)
      const length = Math.max(0, stop - start)
      const buf = new Uint8Array(length)
      let read = 0
      while (read < length) {
        const { bytesRead } = await fh.read(buf, read, length - read, start + read)
        if (bytesRead === 0) break
        read += bytesRead
      }
      return read === length ? buf : buf.subarray(0, read)
    } catch (err) {
      throw translate(err, path)
    } finally {
      await fh?.close()
    }
  }

  async head(path: string, options?: ReadOptions): Promise<ObjectMeta> {
    options?.signal?.throwIfAborted()
    try {
      const st = await fs.stat(this.abs(path))
      if (!st.isFile()) throw new DeltaError('FILE_NOT_FOUND', `${this.rootUri}${path} is not a file`)
      return { path, size: st.size, lastModified: Math.floor(st.mtimeMs) }
    } catch (err) {
      throw translate(err, path)
    }
  }

  async put(path: string, data: Uint8Array, options: PutOptions = {}): Promise<void> {
    options.signal?.throwIfAborted()
    const target = this.abs(path)
    const dir = nodePath.dirname(target)
    try {
      await fs.mkdir(dir, { recursive: true })
    } catch (err) {
      throw translate(err, path)
    }
    // The temp name starts with a dot and ends in .tmp so listings of _delta_log never mistake it for a commit.
    const tmp = nodePath.join(dir, `.${nodePath.basename(target)}.${randomUUID()}.tmp`)
    try {
      await fs.writeFile(tmp, data, { flag: 'wx' })
      if (options.overwrite) {
        await fs.rename(tmp, target)
      } else {
        try {
          await fs.link(tmp, target)
        } catch (err) {
          if (isNodeError(err, 'EEXIST')) {
            throw new DeltaError('FILE_ALREADY_EXISTS', `${this.rootUri}${path} already exists`, { cause: err })
          }
          if (isNodeError(err, 'EPERM') || isNodeError(err, 'ENOTSUP') || isNodeError(err, 'EXDEV')) {
            // File systems without hard links: exclusive create of the final name, written in one call.
            await this.putExclusive(target, path, data)
            return
          }
          throw err
        }
      }
    } catch (err) {
      throw translate(err, path)
    } finally {
      await fs.rm(tmp, { force: true })
    }
  }

  private async putExclusive(target: string, path: string, data: Uint8Array): Promise<void> {
    try {
      await fs.writeFile(target, data, { flag: 'wx' })
    } catch (err) {
      if (isNodeError(err, 'EEXIST')) {
        throw new DeltaError('FILE_ALREADY_EXISTS', `${this.rootUri}${path} already exists`, { cause: err })
      }
      throw err
    }
  }

  async delete(path: string, options?: ReadOptions): Promise<void> {
    options?.signal?.throwIfAborted()
    try {
      await fs.rm(this.abs(path), { force: true })
    } catch (err) {
      throw translate(err, path)
    }
  }
}

function isNodeError(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: string }).code === code
}

function translate(err: unknown, path: string): unknown {
  if (err instanceof DeltaError) return err
  if (isNodeError(err, 'ENOENT') || isNodeError(err, 'EISDIR')) {
    return new DeltaError('FILE_NOT_FOUND', `${path} does not exist`, { cause: err })
  }
  if (isNodeError(err, 'ENAMETOOLONG')) {
    return new DeltaError('INVALID_ARGUMENT', `${path}: a file or directory name is too long for the file system`, {
      cause: err,
    })
  }
  if (isNodeError(err, 'ERR_INVALID_ARG_VALUE') || isNodeError(err, 'ERR_INVALID_ARG_TYPE')) {
    return new DeltaError('INVALID_ARGUMENT', `${JSON.stringify(path)} is not a valid local path (a NUL character?)`, {
      cause: err,
    })
  }
  if (typeof err === 'object' && err !== null && (err as { name?: string }).name === 'AbortError') {
    return new DeltaError('ABORTED', `operation on ${path} was aborted`, { cause: err })
  }
  const e = err as { message?: string }
  return new DeltaError('STORAGE_ERROR', `local storage failed on ${path}: ${e?.message ?? String(err)}`, {
    cause: err,
  })
}

/**
 * The {@link LocalStorage} for a plain path (relative or absolute) or a `file://` URL. The web build of delta-ts
 * (browsers, Workers) swaps this module for storage/local.web.ts, which has no local disk.
 *
 * @throws DeltaError `INVALID_ARGUMENT` for a malformed `file://` URL.
 */
export function localStorageFor(uri: string): LocalStorage {
  if (!/^file:\/\//i.test(uri)) return new LocalStorage(uri)
  let path: string
  try {
    path = fileURLToPath(uri)
  } catch (err) {
    throw new DeltaError('INVALID_ARGUMENT', `not a valid file:// URL: ${uri}`, { cause: err })
  }
  return new LocalStorage(path)
}
