import type { AddAction, DeletionVectorDescriptor } from './actions.js'
import { decodeActionPath } from './actions.js'

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
  /**
   * Partition values as serialized strings; `null` for a null partition. Keys are logical column names.
   * Read-only: files of the same partition may share one object.
   */
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

/** Parses `add.stats` JSON, or takes checkpoint `stats_parsed`. Bad stats are ignored (the file is kept). */
export function parseStats(
  stats: string | null | undefined,
  parsed?: Record<string, unknown> | null,
): FileStats | undefined {
  if (typeof stats === 'string' && stats.length > 0) {
    try {
      return JSON.parse(stats) as FileStats
    } catch {
      return undefined
    }
  }
  if (parsed && typeof parsed === 'object') return parsed as FileStats
  return undefined
}

/**
 * The FileEntry of an add action from a commit: everything but `stats` is read off the action; `stats` is
 * parsed on first access (most callers never look at it, and parsing a million stats strings dominated loads).
 * `toJSON` includes the parsed stats, so it serializes like a plain FileEntry.
 */
export class AddFileEntry implements FileEntry {
  readonly path: string
  readonly partitionValues: Record<string, string | null>
  readonly size: number
  readonly modificationTime: number
  readonly deletionVector: DeletionVectorDescriptor | undefined
  readonly add: AddAction
  #stats?: FileStats | null

  constructor(add: AddAction, path: string) {
    this.path = path
    this.partitionValues = add.partitionValues ?? {}
    this.size = add.size
    this.modificationTime = add.modificationTime
    this.deletionVector = add.deletionVector ?? undefined
    this.add = add
  }

  get stats(): FileStats | undefined {
    if (this.#stats === undefined) this.#stats = parseStats(this.add.stats, this.add.stats_parsed) ?? null
    return this.#stats ?? undefined
  }

  toJSON(): FileEntry {
    return { ...this, stats: this.stats, add: this.add }
  }
}

/**
 * The `stats` JSON text a FileEntry's stats are parsed from, when it is a commit add's entry with non-empty
 * stats text (which parseStats prefers over stats_parsed); undefined otherwise. Lets pruning scan the few
 * values it needs out of the text instead of parsing every stats object.
 */
export function statsTextOf(entry: FileEntry): string | undefined {
  if (!(entry instanceof AddFileEntry)) return undefined
  const text = entry.add.stats
  return typeof text === 'string' && text.length > 0 ? text : undefined
}

/**
 * The active files of a checkpoint, kept columnar (implemented on Arrow buffers in arrow/file-actions.ts):
 * rows are the checkpoint's add actions in file order; nothing is materialized per row until asked for.
 */
export interface BaseFiles {
  readonly length: number
  /** The replay key (decoded path + DV id) of a row. */
  key(row: number): string
  /** The row holding `key`, or -1 (an index built on first use and shared by every snapshot over this base). */
  indexOf(key: string): number
  /** The FileEntry of a row (built on first use, then cached). */
  entry(row: number): FileEntry
  /** Appends the entries of the live rows (`selection[row] === 1`, all when undefined) to `out`, in row order. */
  liveEntries(selection: Uint8Array | undefined, out: FileEntry[]): void
  /** The add action of a row as it stands in the checkpoint (built on demand). */
  add(row: number): AddAction
  /** Every row's add action in row order, converted a batch at a time (for writing checkpoints). */
  allAdds(): IterableIterator<AddAction>
}

/** The FileEntry view of an add action: decoded path, stats parsed on first access. */
export function fileEntryOf(add: AddAction): FileEntry {
  return new AddFileEntry(add, decodeActionPath(add.path))
}
