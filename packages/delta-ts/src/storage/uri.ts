import { fileURLToPath } from 'node:url'
import { DeltaError } from '../errors.js'
import { LocalStorage } from './local.js'
import type { Storage } from './types.js'

/** Options for the backend a URI resolves to. (The S3 engineer extends this with `s3`.) */
export interface StorageOptions {
  [key: string]: unknown
}

/**
 * Resolves a table URI to a Storage rooted at the table: plain paths and `file://` URLs → LocalStorage.
 * Throws INVALID_ARGUMENT for unknown schemes.
 */
export async function resolveStorage(uri: string, _options?: StorageOptions): Promise<Storage> {
  if (uri.startsWith('file://')) return new LocalStorage(fileURLToPath(uri))
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri)) throw new DeltaError('INVALID_ARGUMENT', `unsupported URI scheme in ${uri}`)
  return new LocalStorage(uri)
}
