import { DeltaError } from '../errors.js'
import { HttpStorage, type HttpStorageOptions } from './http.js'
import { localStorageFor } from './local.js'
import { MemoryStorage } from './memory.js'
// Type-only: erased at runtime, so resolving a local or memory URI never loads the AWS SDK.
import type { S3StorageOptions } from './s3.js'
import type { Storage } from './types.js'

/** Options for the backend a URI resolves to. Only the part for the URI's scheme is used. */
export interface StorageOptions {
  /** Connection, retry and commit-safety options for `s3://` URIs (see `delta-ts/s3`). */
  s3?: S3StorageOptions
  /** Headers, presigned-URL mapping and fetch for `http://` and `https://` URIs (read-only tables). */
  http?: HttpStorageOptions
}

/**
 * The process-wide `memory://` stores, by name, so that two `resolveStorage('memory://x')` calls (say, a writer
 * and a reader in one test) see the same objects.
 */
const memoryStores = new Map<string, MemoryStorage>()

/**
 * Resolves a table URI to a Storage rooted at the table.
 *
 * - a plain path (relative or absolute) or a `file://` URL → `LocalStorage` (Node, Deno, Bun; the browser
 *   and Worker build fails with `UNSUPPORTED_FEATURE`);
 * - `http://` or `https://` → the read-only `HttpStorage` (ranged GETs; `options.http` configures it);
 * - `memory://name` → the process-wide {@link MemoryStorage} of that name (created on first use);
 * - `s3://bucket/prefix` (or `s3a://`) → `S3Storage` from `delta-ts/s3`, imported on first use so programs
 *   that never touch S3 never load the AWS SDK; `options.s3` configures it.
 *
 * @throws DeltaError `INVALID_ARGUMENT` for an empty URI, another scheme (`gs://`, `abfss://`...), a
 *   malformed `file://` URL or an `s3://` URI without a bucket; `UNSUPPORTED_FEATURE` for a path or `file://`
 *   URL in a browser or Worker; `MISSING_DEPENDENCY` for an `s3://` URI when
 *   the optional peer dependency `@aws-sdk/client-s3` is not installed.
 */
export async function resolveStorage(uri: string, options: StorageOptions = {}): Promise<Storage> {
  if (uri === '') throw new DeltaError('INVALID_ARGUMENT', 'resolveStorage: empty table URI')
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(uri)?.[1]?.toLowerCase()
  // Local disk through storage/local.ts, which the browser / Worker build replaces (it has no node:fs).
  if (scheme === undefined || scheme === 'file') return localStorageFor(uri)
  switch (scheme) {
    case 'http':
    case 'https':
      return new HttpStorage(uri, options.http)
    case 'memory': {
      const name = uri.slice('memory://'.length).replace(/\/+$/, '')
      let store = memoryStores.get(name)
      if (!store) {
        store = new MemoryStorage(`memory://${name}/`)
        memoryStores.set(name, store)
      }
      return store
    }
    case 's3':
    case 's3a': {
      // Self-reference through the package exports: resolves to src/s3.ts under the `source` condition and to
      // dist/s3.js once built. @aws-sdk/client-s3 is an optional peer dependency: its absence is reported here.
      let s3: typeof import('delta-ts/s3')
      try {
        s3 = await import('delta-ts/s3')
      } catch (err) {
        throw missingSdkError(err, uri) ?? err
      }
      return new s3.S3Storage(uri, options.s3)
    }
    default:
      throw new DeltaError(
        'INVALID_ARGUMENT',
        `unsupported URI scheme "${scheme}://" in ${uri}; delta-ts reads plain paths, file://, memory://, s3:// and http(s)://` +
          ' (pass a Storage object for anything else)',
      )
  }
}

/**
 * The DeltaError for a failed load of `delta-ts/s3` whose cause is a missing `@aws-sdk/client-s3` (Node's
 * ERR_MODULE_NOT_FOUND from an ES module import, MODULE_NOT_FOUND from require), or undefined for other failures.
 */
export function missingSdkError(err: unknown, uri: string): DeltaError | undefined {
  const { code, message } = (typeof err === 'object' && err !== null ? err : {}) as {
    code?: unknown
    message?: unknown
  }
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return undefined
  if (typeof message !== 'string' || !message.includes('@aws-sdk/client-s3')) return undefined
  return new DeltaError(
    'MISSING_DEPENDENCY',
    `${uri}: s3:// tables need the AWS SDK, an optional peer dependency of delta-ts that is not installed. ` +
      'Install it beside delta-ts: npm i @aws-sdk/client-s3',
    { cause: err },
  )
}

/**
 * Forgets a `memory://` store so the next `resolveStorage('memory://name')` starts empty. Returns whether one
 * existed. For tests and long-running processes that create many throwaway tables.
 */
export function dropMemoryStorage(name: string): boolean {
  return memoryStores.delete(name.replace(/^memory:\/\//, '').replace(/\/+$/, ''))
}
