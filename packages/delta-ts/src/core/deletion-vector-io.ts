import { v4 as uuidv4 } from 'uuid'
import { DeltaError } from '../errors.js'
import type { AddAction, DeletionVectorDescriptor, ProtocolAction } from '../protocol/actions.js'
import {
  assembleDeletionVectorFile,
  decodeDeletionVector,
  decodeDeletionVectorChunk,
  deletionVectorPath,
  encodeDeletionVector,
  relativeDeletionVectorId,
  unionRows,
  z85Decode,
} from '../protocol/deletion-vector.js'
import { writerFeatures } from '../protocol/features.js'
import type { FileEntry } from '../protocol/file-entry.js'
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

/**
 * Whether DML marks deleted rows in deletion vectors on this table instead of rewriting files: the table
 * property `delta.enableDeletionVectors` is `true` and the protocol lists the `deletionVectors` writer feature
 * (Spark's rule; a table with the property but an older protocol stays copy-on-write).
 */
export function deletionVectorsEnabled(protocol: ProtocolAction, properties: Record<string, string>): boolean {
  return properties['delta.enableDeletionVectors'] === 'true' && writerFeatures(protocol).includes('deletionVectors')
}

/** Rows to mark deleted in one data file. */
export interface FileDeletion {
  file: FileEntry
  /** File row indexes (0-based, in file order) newly deleted, ascending without duplicates. */
  rows: ArrayLike<number>
  /** Physical rows of the file, when known: a file whose every row is then deleted gets no vector. */
  totalRows?: number
}

/** One file whose deletion vector {@link writeDeletionVectors} replaced. */
export interface DeletionVectorUpdate {
  /** The add action as it stood (to remove). */
  old: AddAction
  /** The same file with its new deletion vector, `dataChange: true`, stats with `tightBounds: false`. */
  add: AddAction
  /** Rows deleted by this update (not counting rows the old vector already held). */
  newlyDeleted: number
}

/** What {@link writeDeletionVectors} did. */
export interface WrittenDeletionVectors {
  /** Files that keep live rows, with their new vectors. */
  updates: DeletionVectorUpdate[]
  /** Files whose every row is now deleted (per `totalRows`): no vector written, the caller removes them. */
  fullyDeleted: { file: FileEntry; newlyDeleted: number }[]
}

/** Options of {@link writeDeletionVectors}. */
export interface WriteDeletionVectorsOptions {
  /** Table properties: `delta.randomizeFilePrefixes` and `delta.randomPrefixLength` place the DV file. */
  properties?: Record<string, string>
  signal?: AbortSignal
}

/**
 * Writes the deletion vectors of several files into one new DV file (`[<prefix>/]deletion_vector_<uuid>.bin`,
 * put-if-absent, so a retried or concurrent writer never overwrites a vector a commit may reference) and
 * returns, per file that gained rows, the add action to remove and the one to add in its place. An existing
 * vector is extended: the new one holds the union of its rows and `rows`. Files that gain no row are left
 * out; files whose every row (`totalRows`) is then deleted come back in `fullyDeleted` without a vector.
 * Nothing is written when no file needs a vector.
 *
 * The random prefix follows Spark: `delta.randomPrefixLength` (default 2) alphanumeric characters when
 * `delta.randomizeFilePrefixes` is `true`, none otherwise.
 *
 * @throws DeltaError `INVALID_DELETION_VECTOR` when an existing vector is malformed or `rows` is not
 *   ascending; `FILE_ALREADY_EXISTS` on a UUID collision; storage errors as the backend reports them.
 */
export async function writeDeletionVectors(
  storage: Storage,
  deletions: readonly FileDeletion[],
  options: WriteDeletionVectorsOptions = {},
): Promise<WrittenDeletionVectors> {
  const pending: { file: FileEntry; rows: Float64Array; newlyDeleted: number }[] = []
  const fullyDeleted: WrittenDeletionVectors['fullyDeleted'] = []
  for (const d of deletions) {
    const old = d.file.deletionVector
      ? await loadDeletionVector(storage, d.file.deletionVector, { signal: options.signal })
      : new Float64Array(0)
    const rows = unionRows(old, d.rows)
    if (rows.length === old.length) continue
    const entry = { file: d.file, rows, newlyDeleted: rows.length - old.length }
    if (d.totalRows !== undefined && rows.length >= d.totalRows) fullyDeleted.push(entry)
    else pending.push(entry)
  }
  if (pending.length === 0) return { updates: [], fullyDeleted }
  const serialized = pending.map((p) => encodeDeletionVector(p.rows))
  const { bytes, offsets } = assembleDeletionVectorFile(serialized)
  const props = options.properties ?? {}
  const prefix = props['delta.randomizeFilePrefixes'] === 'true' ? randomPrefix(props['delta.randomPrefixLength']) : ''
  const id = relativeDeletionVectorId(uuidv4(), prefix)
  const probe: DeletionVectorDescriptor = { storageType: 'u', pathOrInlineDv: id, sizeInBytes: 0, cardinality: 0 }
  await storage.put(deletionVectorPath(probe), bytes, { overwrite: false, signal: options.signal })
  const updates = pending.map((p, i) => {
    const deletionVector: DeletionVectorDescriptor = {
      storageType: 'u',
      pathOrInlineDv: id,
      offset: offsets[i],
      sizeInBytes: serialized[i].length,
      cardinality: p.rows.length,
    }
    const { deletionVector: _old, stats_parsed: _parsed, ...rest } = p.file.add
    const add: AddAction = {
      ...rest,
      dataChange: true,
      ...(rest.stats ? { stats: looseBoundsStats(rest.stats) } : {}),
      deletionVector,
    }
    return { old: p.file.add, add, newlyDeleted: p.newlyDeleted }
  })
  return { updates, fullyDeleted }
}

const PREFIX_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'

function randomPrefix(lengthProperty: string | undefined): string {
  const n = lengthProperty === undefined ? 2 : Number(lengthProperty)
  if (!Number.isInteger(n) || n < 0 || n > 64)
    throw new DeltaError(
      'INVALID_ARGUMENT',
      `delta.randomPrefixLength must be an integer 0..64, got '${lengthProperty}'`,
    )
  let s = ''
  for (let i = 0; i < n; i++) s += PREFIX_CHARS[Math.floor(Math.random() * PREFIX_CHARS.length)]
  return s
}

/**
 * The stats of a file that gained a deletion vector: the same (numRecords still counts every physical row,
 * min/max still bound the live rows), marked `tightBounds: false` as the protocol requires. Unparseable stats
 * are dropped rather than passed on unmarked.
 */
function looseBoundsStats(stats: string): string | undefined {
  try {
    const parsed = JSON.parse(stats)
    if (parsed === null || typeof parsed !== 'object') return undefined
    return JSON.stringify({ ...parsed, tightBounds: false })
  } catch {
    return undefined
  }
}
