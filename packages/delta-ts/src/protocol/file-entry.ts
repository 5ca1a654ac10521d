import type { AddAction, DeletionVectorDescriptor } from './actions.js'

/**
 * Per-file statistics (PROTOCOL.md §Per-file Statistics), parsed from `add.stats` or `stats_parsed`.
 * Keys of minValues / maxValues / nullCount are physical column names; nested structs nest.
 */
export interface FileStats {
  numRecords?: number
  minValues?: Record<string, unknown>
  maxValues?: Record<string, unknown>
  nullCount?: Record<string, unknown>
  /** False when the bounds may be wider than the live rows (deletion vectors applied after stats). */
  tightBounds?: boolean
}

/** An active data file of a snapshot, as returned by `snapshot.files()`. */
export interface FileEntry {
  /** Percent-decoded path: relative to the table root, or an absolute URI. */
  path: string
  /** Partition values as serialized strings; `null` for a null partition. Keys are logical column names. */
  partitionValues: Record<string, string | null>
  size: number
  modificationTime: number
  /** Parsed statistics, or undefined when the writer recorded none. */
  stats?: FileStats
  deletionVector?: DeletionVectorDescriptor
  /** The add action as it stands in the log. */
  add: AddAction
}

/** The unique id of a deletion vector (§Deletion Vector Descriptor Schema), used in file keys. */
export function deletionVectorUniqueId(dv: DeletionVectorDescriptor | null | undefined): string | undefined {
  if (!dv) return undefined
  const base = `${dv.storageType}${dv.pathOrInlineDv}`
  return dv.offset === undefined || dv.offset === null ? base : `${base}@${dv.offset}`
}

/** The replay key of a file action: the decoded path plus the deletion vector's unique id. */
export function fileActionKey(path: string, dv: DeletionVectorDescriptor | null | undefined): string {
  const id = deletionVectorUniqueId(dv)
  return id === undefined ? path : `${path}\u0000${id}`
}
