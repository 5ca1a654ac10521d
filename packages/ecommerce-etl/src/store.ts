/**
 * The file store of the warehouse (raw/, preprocessed/, rejected/, archive/, logs/, catalog.json). Its shape is
 * the subset of delta-ts's `Storage` contract the pipeline needs, so delta-ts's S3 storage plugs in as is; the
 * local folder store is implemented here on node:fs.
 */

import { randomUUID } from 'node:crypto'
import { createWriteStream, type WriteStream } from 'node:fs'
import { link, mkdir, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises'
import { dirname, join, relative, resolve, sep } from 'node:path'

/** Metadata of a stored object; `path` is relative to the store root with `/` separators. */
export interface StoredObject {
  path: string
  size: number
  lastModified: number
}

/** What the pipeline needs from a store; structurally a subset of delta-ts `Storage`. */
export interface FileStore {
  readonly rootUri: string
  /** Lists objects under `prefix` recursively, sorted by key; a missing prefix lists nothing. */
  list(prefix: string): AsyncIterable<StoredObject>
  /** Reads a whole object; fails (delta-ts `FILE_NOT_FOUND` or ENOENT) when missing. */
  read(path: string): Promise<Uint8Array>
  /** Writes an object; `overwrite: false` is put-if-absent (fails when the key exists). */
  put(path: string, data: Uint8Array, options?: { overwrite?: boolean }): Promise<void>
  /** Deletes an object; a missing object is not an error. */
  delete(path: string): Promise<void>
  /**
   * Optional: a streaming writer whose object appears (atomically) on `close`. Stores without it get whole
   * puts; the local store has it so a large sheet never sits in memory as text.
   */
  createWriter?(path: string): TextWriter
  /** Optional: the local file behind a key, for readers that read parts of it at offsets (the xlsx reader). */
  localPath?(path: string): string
}

/** A text sink writing one object; `close` makes it visible. */
export interface TextWriter {
  write(chunk: string): Promise<void>
  close(): Promise<void>
}

/** Thrown by {@link LocalFileStore.put} with `overwrite: false` when the key exists. */
export class AlreadyExistsError extends Error {
  readonly code = 'FILE_ALREADY_EXISTS'
}

/** True when `err` says "the key already exists" (ours or delta-ts's `FILE_ALREADY_EXISTS`). */
export function isAlreadyExists(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'FILE_ALREADY_EXISTS'
}

/** True when `err` says "the key does not exist". */
export function isNotFound(err: unknown): boolean {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined
  return code === 'FILE_NOT_FOUND' || code === 'ENOENT'
}

/**
 * A store on a local folder. Puts write a temporary file and rename (or hard-link, for put-if-absent) it into
 * place, so readers never see half-written objects.
 */
export class LocalFileStore implements FileStore {
  readonly root: string
  readonly rootUri: string
  constructor(root: string) {
    this.root = resolve(root)
    this.rootUri = `file://${this.root}`
  }

  private abs(path: string): string {
    return join(this.root, ...path.split('/'))
  }

  async *list(prefix: string): AsyncIterable<StoredObject> {
    const out: StoredObject[] = []
    const walk = async (dir: string): Promise<void> => {
      let entries: import('node:fs').Dirent[]
      try {
        entries = await readdir(dir, { withFileTypes: true })
      } catch (err) {
        if (isNotFound(err)) return
        throw err
      }
      for (const e of entries) {
        const full = join(dir, e.name)
        if (e.isDirectory()) await walk(full)
        else if (e.isFile() && !e.name.startsWith('.tmp-')) {
          const key = relative(this.root, full).split(sep).join('/')
          if (!key.startsWith(prefix)) continue
          const st = await stat(full)
          out.push({ path: key, size: st.size, lastModified: st.mtimeMs })
        }
      }
    }
    // Walk from the deepest folder the prefix names, not the whole root.
    const dirPart = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : ''
    await walk(dirPart ? this.abs(dirPart) : this.root)
    out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    yield* out
  }

  async read(path: string): Promise<Uint8Array> {
    return new Uint8Array(await readFile(this.abs(path)))
  }

  async put(path: string, data: Uint8Array, options: { overwrite?: boolean } = {}): Promise<void> {
    const target = this.abs(path)
    await mkdir(dirname(target), { recursive: true })
    const tmp = join(dirname(target), `.tmp-${randomUUID()}`)
    await writeFile(tmp, data)
    try {
      if (options.overwrite === false) {
        try {
          await link(tmp, target) // link fails with EEXIST atomically: put-if-absent
        } catch (err) {
          if ((err as { code?: string }).code === 'EEXIST') throw new AlreadyExistsError(`${path} already exists`)
          throw err
        }
      } else {
        await rename(tmp, target)
      }
    } finally {
      await unlink(tmp).catch(() => undefined)
    }
  }

  async delete(path: string): Promise<void> {
    await rm(this.abs(path), { force: true })
  }

  createWriter(path: string): TextWriter {
    const target = this.abs(path)
    const tmp = join(dirname(target), `.tmp-${randomUUID()}`)
    let stream: WriteStream | undefined
    const open = async () => {
      if (!stream) {
        await mkdir(dirname(target), { recursive: true })
        stream = createWriteStream(tmp)
      }
      return stream
    }
    // Rows arrive as many tiny chunks; batching them into ~64 KiB writes keeps the per-row cost low.
    let pending = ''
    const flush = async () => {
      if (pending === '') return
      const s = await open()
      const data = pending
      pending = ''
      // Respect backpressure so memory stays bounded however fast rows come.
      if (!s.write(data)) await new Promise<void>((r) => s.once('drain', () => r()))
    }
    return {
      write: async (chunk) => {
        pending += chunk
        if (pending.length >= 1 << 16) await flush()
      },
      close: async () => {
        await flush()
        const s = await open()
        await new Promise<void>((res, rej) => s.end((err?: Error | null) => (err ? rej(err) : res())))
        await rename(tmp, target)
      },
    }
  }

  localPath(path: string): string {
    return this.abs(path)
  }
}

/** Joins key segments with `/`, dropping empty ones and duplicate slashes. */
export function joinKey(...parts: string[]): string {
  return parts
    .flatMap((p) => p.split('/'))
    .filter((p) => p !== '')
    .join('/')
}

/** Reads an object as UTF-8 text. */
export async function readText(store: FileStore, path: string): Promise<string> {
  return new TextDecoder().decode(await store.read(path))
}

/** Writes UTF-8 text (overwriting). */
export async function writeText(store: FileStore, path: string, text: string): Promise<void> {
  await store.put(path, new TextEncoder().encode(text), { overwrite: true })
}

/** Collects a listing into an array. */
export async function listAll(store: FileStore, prefix: string): Promise<StoredObject[]> {
  const out: StoredObject[] = []
  for await (const o of store.list(prefix)) out.push(o)
  return out
}
