import { DeltaError } from '../errors.js'
import type { DeletionVectorDescriptor } from '../protocol/actions.js'
import {
  decodeDeletionVector,
  decodeDeletionVectorChunk,
  deletionVectorPath,
  z85Decode,
} from '../protocol/deletion-vector.js'
import type { Storage } from '../storage/types.js'

/**
 * Loads the deleted row indexes of a descriptor (sorted ascending). Inline (`i`) vectors decode from the log;
 * `u` and `p` vectors read the byte range `[offset, offset + sizeInBytes + 8)` of their file through
 * `storage` (rooted at the table root) plus the version byte. An absolute `p` path must lie under
 * `storage.rootUri`. Checks the decoded cardinality against the descriptor.
 *
 * @throws DeltaError `INVALID_DELETION_VECTOR` for malformed or inconsistent vectors, `FILE_NOT_FOUND` when the
 *   file is missing, storage errors as the backend reports them.
 */
export async function loadDeletionVector(
  storage: Storage,
  dv: DeletionVectorDescriptor,
  options: { signal?: AbortSignal } = {},
): Promise<Float64Array> {
  let rows: Float64Array
  if (dv.storageType === 'i') {
    rows = decodeDeletionVector(z85Decode(dv.pathOrInlineDv).subarray(0, dv.sizeInBytes))
  } else {
    const path = resolveTablePath(storage, deletionVectorPath(dv))
    const offset = dv.offset ?? 1
    const [version, chunk] = await Promise.all([
      storage.readRange(path, 0, 1, options),
      storage.readRange(path, offset, offset + dv.sizeInBytes + 8, options),
    ])
    if (version[0] !== 1)
      throw new DeltaError(
        'INVALID_DELETION_VECTOR',
        `unsupported deletion vector file version ${version[0]} in ${path}`,
      )
    rows = decodeDeletionVectorChunk(chunk, dv.sizeInBytes)
  }
  if (rows.length !== dv.cardinality) {
    throw new DeltaError(
      'INVALID_DELETION_VECTOR',
      `deletion vector holds ${rows.length} rows, descriptor says ${dv.cardinality}`,
    )
  }
  return rows
}

/**
 * Maps a path from the log (relative to the table root, or an absolute URI under the storage root) to a
 * storage key. Relative paths pass through.
 *
 * Absolute URIs are allowed by the protocol (shallow clones, files written elsewhere); delta-ts reads them
 * when they lie under the table's storage root and refuses the rest.
 *
 * @throws DeltaError `UNSUPPORTED_FEATURE` for an absolute URI outside the storage root (files in another
 *   location are not readable through a table-rooted Storage); `INVALID_LOG` for a path with a `..` segment
 *   (after percent-decoding), which could reach outside the table root.
 */
export function resolveTablePath(storage: Storage, path: string): string {
  let key = path
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(path) || path.startsWith('/')) {
    const root = storage.rootUri.replace(/\/+$/, '')
    const norm = (u: string) => u.replace(/^file:\/+/, 'file:///').replace(/^\/+/, 'file:///')
    const p = norm(path)
    const r = norm(root)
    if (!p.startsWith(`${r}/`))
      throw new DeltaError('UNSUPPORTED_FEATURE', `file ${path} lies outside the table storage root ${storage.rootUri}`)
    key = p.slice(r.length + 1)
  }
  // No writer puts dot segments in a data file path; `..` would reach outside the table (on local disk) or
  // outside its prefix (on object stores, where keys are not normalized but readers may be).
  if (key.split(/[\\/]/).some((seg) => seg === '..'))
    throw new DeltaError('INVALID_LOG', `file path ${path} in the log climbs out of the table root with '..'`)
  return key
}
