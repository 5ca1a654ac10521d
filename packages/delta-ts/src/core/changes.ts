import * as arrow from 'apache-arrow'
import { DeltaError, isDeltaError } from '../errors.js'
import type { Action, AddAction, CdcAction, DeletionVectorDescriptor, RemoveAction } from '../protocol/actions.js'
import { decodeActionPath } from '../protocol/actions.js'
import { type FileEntry, fileEntryOf } from '../protocol/file-entry.js'
import { CHANGE_TYPE_COLUMN, type ChangeType, changeDataFeedEnabled, changeDataSchema } from './change-data.js'
import { loadDeletionVector } from './deletion-vector-io.js'
import { readCommit } from './log-reader.js'
import { Scan } from './scan.js'
import { loadSnapshot, type Snapshot } from './snapshot.js'
import { check, checkOptions, type OptionSpec } from './validate.js'

/*
 * The reader side of the change data feed (Spark's CDCReader.changesToDF), per commit of the range:
 *
 *   commit has cdc actions ─▶ read its cdc files only (their rows carry `_change_type`)
 *   else ─▶ add (dataChange) of a path not removed in the commit ─▶ its live rows are `insert`
 *           remove (dataChange) of a path not added back ─▶ its rows live before the commit are `delete`
 *           remove + add of one path (a deletion vector changed) ─▶ rows the new vector marks that the old did
 *             not are `delete`; rows the old marked that the new does not (a RESTORE) are `insert`
 *
 * Every row gets `_commit_version` and `_commit_timestamp` (the commit time of time travel: in-commit
 * timestamp where enabled, else the monotonized file time). Rows are read with the schema of the range's end
 * version, column-mapped files by physical name or field id, like a scan.
 */

/** Options of `table.changes` ({@link DeltaTable.changes}). */
export interface ChangesOptions {
  /** First version whose changes are returned (inclusive). Give this or `startingTimestamp`. */
  startingVersion?: number
  /** Last version (inclusive); default the latest. A version past the latest reads up to the latest. */
  endingVersion?: number
  /** The first version committed at or after this instant (ISO-8601 string, Date or epoch ms). */
  startingTimestamp?: string | Date | number
  /** The last version committed at or before this instant. */
  endingTimestamp?: string | Date | number
  /** Rows per batch at most (default 65536). */
  batchSize?: number
  signal?: AbortSignal
}

export const CHANGES_OPTIONS: OptionSpec = {
  startingVersion: check.nonNegativeInteger,
  endingVersion: check.nonNegativeInteger,
  startingTimestamp: check.any,
  endingTimestamp: check.any,
  batchSize: check.positiveNumber,
  signal: check.signal,
}

/** The column holding each change row's commit version. */
export const COMMIT_VERSION_COLUMN = '_commit_version'
/** The column holding each change row's commit time. */
export const COMMIT_TIMESTAMP_COLUMN = '_commit_timestamp'

/** One commit of a change feed: its version, its time (epoch ms) and its actions. */
export interface ChangeCommit {
  version: number
  timestamp: number
  actions: Action[]
}

/** One file read for a change feed: how, and with which change type. */
interface ChangeRead {
  version: number
  timestamp: number
  entry: FileEntry
  /** undefined: the rows carry their own `_change_type` (a cdc file). */
  type?: ChangeType
  /** Rows to drop (sorted file row indexes); undefined: the entry's own deletion vector. */
  dropped?: (numRows: number) => Promise<Float64Array | undefined>
}

/**
 * The changes of a table between two versions (inclusive) as Apache Arrow: the columns of the table (schema of
 * the end version) plus `_change_type` (`insert`, `delete`, `update_preimage`, `update_postimage`),
 * `_commit_version` (long) and `_commit_timestamp` (timestamp, microseconds, UTC), in commit order. Built by
 * `table.changes(options)`.
 */
export class ChangeFeed {
  /** The resolved first version. */
  readonly startingVersion: number
  /** The resolved last version. */
  readonly endingVersion: number
  /** The Arrow schema of every batch. */
  readonly schema: arrow.Schema
  readonly #snapshot: Snapshot
  readonly #commits: readonly ChangeCommit[]
  readonly #options: ChangesOptions
  readonly #dataSchema: arrow.Schema

  /** @internal use `table.changes`. */
  constructor(snapshot: Snapshot, commits: readonly ChangeCommit[], range: [number, number], options: ChangesOptions) {
    this.#snapshot = snapshot
    this.#commits = commits
    this.#options = options
    ;[this.startingVersion, this.endingVersion] = range
    this.#dataSchema = new Scan(snapshot, {}).schema
    this.schema = new arrow.Schema([
      ...this.#dataSchema.fields,
      new arrow.Field(CHANGE_TYPE_COLUMN, new arrow.Utf8(), true),
      new arrow.Field(COMMIT_VERSION_COLUMN, new arrow.Int64(), true),
      new arrow.Field(COMMIT_TIMESTAMP_COLUMN, new arrow.TimestampMicrosecond('UTC'), true),
    ])
  }

  /** Collects every batch into one Arrow table (with {@link ChangeFeed.schema} when there is no change). */
  async toArrow(): Promise<arrow.Table> {
    const batches: arrow.RecordBatch[] = []
    for await (const b of this.batches()) batches.push(b)
    return batches.length === 0 ? new arrow.Table(this.schema) : new arrow.Table(batches)
  }

  /**
   * Streams the change rows, commit by commit, file by file.
   *
   * @throws DeltaError `FILE_NOT_FOUND` when a data or cdc file of the range is gone (removed by VACUUM: change
   *   data lives only as long as the files), `ABORTED`, and a scan's errors (`PARQUET_ERROR`, `SCHEMA_MISMATCH`,
   *   `INVALID_DELETION_VECTOR`, storage errors).
   */
  async *batches(): AsyncGenerator<arrow.RecordBatch> {
    const { signal, batchSize } = this.#options
    const storage = this.#snapshot.storage
    const cdcSchema = changeDataSchema(this.#snapshot.schema)
    for (const commit of this.#commits) {
      for (const read of changeReads(commit, storage, signal)) {
        const dropped = read.dropped
        const scan = new Scan(
          this.#snapshot,
          { files: [read.entry], batchSize, signal },
          {
            ...(read.type ? {} : { schema: cdcSchema }),
            ...(dropped ? { droppedRows: (_f, n) => dropped(n) } : {}),
          },
        )
        try {
          for await (const b of scan.batches()) yield this.#output(b, read)
        } catch (err) {
          if (isDeltaError(err, 'FILE_NOT_FOUND')) {
            throw new DeltaError(
              'FILE_NOT_FOUND',
              `the change data of version ${commit.version} is gone: ${read.entry.path} was not found (VACUUM deletes the files of removed data and change data once they are older than the retention)`,
              { cause: err },
            )
          }
          throw err
        }
      }
    }
  }

  /** A scanned batch with the three change columns. */
  #output(batch: arrow.RecordBatch, read: ChangeRead): arrow.RecordBatch {
    const n = batch.numRows
    const dataColumns = this.#dataSchema.fields.length
    const children = batch.data.children.slice(0, dataColumns)
    const changeType = read.type
      ? arrow.vectorFromArray(new Array<string>(n).fill(read.type), new arrow.Utf8()).data[0]
      : batch.data.children[dataColumns]
    const versions = new BigInt64Array(n).fill(BigInt(read.version))
    const times = new BigInt64Array(n).fill(BigInt(read.timestamp) * 1000n)
    children.push(
      changeType,
      arrow.makeData({ type: new arrow.Int64(), length: n, nullCount: 0, data: versions }),
      arrow.makeData({ type: new arrow.TimestampMicrosecond('UTC'), length: n, nullCount: 0, data: times }),
    )
    return new arrow.RecordBatch(
      this.schema,
      arrow.makeData({ type: new arrow.Struct(this.schema.fields), length: n, nullCount: 0, children }),
    )
  }
}

/** The files to read for one commit's changes, in the order Spark unions them: cdc files, inserts, deletes. */
function* changeReads(
  commit: ChangeCommit,
  storage: Snapshot['storage'],
  signal: AbortSignal | undefined,
): Generator<ChangeRead> {
  const { version, timestamp, actions } = commit
  const cdcs = actions.filter((a) => a.cdc).map((a) => a.cdc!)
  if (cdcs.length > 0) {
    for (const c of cdcs) yield { version, timestamp, entry: cdcEntry(c) }
    return
  }
  // MERGE that changed no row (Spark's shouldSkipFileActionsInCommit): its file actions are not changes.
  const info = actions.find((a) => a.commitInfo)?.commitInfo
  const m = info?.operationMetrics as Record<string, unknown> | undefined
  if (
    info?.operation === 'MERGE' &&
    m &&
    ['numTargetRowsInserted', 'numTargetRowsUpdated', 'numTargetRowsDeleted'].every((k) => String(m[k]) === '0')
  )
    return
  const adds = new Map<string, AddAction>()
  const removes = new Map<string, RemoveAction>()
  for (const a of actions) {
    if (a.add?.dataChange) adds.set(decodeActionPath(a.add.path), a.add)
    if (a.remove?.dataChange) removes.set(decodeActionPath(a.remove.path), a.remove)
  }
  for (const [path, add] of adds) {
    const remove = removes.get(path)
    if (!remove) {
      yield { version, timestamp, entry: fileEntryOf(add), type: 'insert' }
      continue
    }
    // The same file removed and added back: only its deletion vector changed.
    const before = remove.deletionVector ?? undefined
    const after = add.deletionVector ?? undefined
    const entry = fileEntryOf({ ...add, deletionVector: null })
    const load = (dv: DeletionVectorDescriptor | undefined) =>
      dv ? loadDeletionVector(storage, dv, { signal }) : Promise.resolve(new Float64Array(0))
    // Rows in `keep` but not in `minus` are the changed ones: every other row is dropped.
    const only = (keep: DeletionVectorDescriptor | undefined, minus: DeletionVectorDescriptor | undefined) => {
      return async (numRows: number) => complement(difference(await load(keep), await load(minus)), numRows)
    }
    if (after) yield { version, timestamp, entry, type: 'delete', dropped: only(after, before) }
    if (before) yield { version, timestamp, entry, type: 'insert', dropped: only(before, after) }
  }
  for (const [path, remove] of removes) {
    if (adds.has(path)) continue
    yield { version, timestamp, entry: removedEntry(remove), type: 'delete' }
  }
}

/** A cdc action as a file entry (cdc files have no deletion vectors and no statistics). */
function cdcEntry(c: CdcAction): FileEntry {
  return fileEntryOf({
    path: c.path,
    partitionValues: c.partitionValues ?? {},
    size: c.size,
    modificationTime: 0,
    dataChange: false,
  })
}

/** A remove action as a file entry: its rows live just before the removal (its deletion vector applied). */
function removedEntry(r: RemoveAction): FileEntry {
  return fileEntryOf({
    path: r.path,
    partitionValues: r.partitionValues ?? {},
    size: r.size ?? 0,
    modificationTime: 0,
    dataChange: true,
    ...(r.stats ? { stats: r.stats } : {}),
    ...(r.deletionVector ? { deletionVector: r.deletionVector } : {}),
  })
}

/** Sorted `a` without the members of sorted `b`. */
function difference(a: Float64Array, b: Float64Array): Float64Array {
  const out: number[] = []
  let j = 0
  for (let i = 0; i < a.length; i++) {
    while (j < b.length && b[j] < a[i]) j++
    if (j < b.length && b[j] === a[i]) continue
    out.push(a[i])
  }
  return Float64Array.from(out)
}

/** The row indexes of [0, n) not in sorted `keep`: the rows a scan drops to read `keep` only. */
function complement(keep: Float64Array, n: number): Float64Array {
  // `keep` may name rows past the file's end (a vector is not checked against the file): they drop nothing.
  const out = new Float64Array(n)
  let k = 0
  let j = 0
  for (let i = 0; i < n; i++) {
    while (j < keep.length && keep[j] < i) j++
    if (j < keep.length && keep[j] === i) continue
    out[k++] = i
  }
  return out.subarray(0, k)
}

/**
 * Resolves a change feed's range and reads its commits. `times` are the commit times of every retained commit
 * (ascending versions).
 *
 * @throws DeltaError `INVALID_ARGUMENT` for a missing start, both a version and a timestamp for one end, a
 *   start after the end, or a start after the latest version; `VERSION_NOT_FOUND` for a timestamp outside the
 *   log or a version whose commit was cleaned up; `CHANGE_DATA_NOT_RECORDED` when the change data feed was off
 *   at the start version or turned off within the range.
 */
export async function openChangeFeed(
  latest: Snapshot,
  times: readonly { version: number; timestamp: number }[],
  options: ChangesOptions,
): Promise<ChangeFeed> {
  checkOptions('changes', options, CHANGES_OPTIONS)
  const { signal } = options
  if (options.startingVersion !== undefined && options.startingTimestamp !== undefined)
    throw new DeltaError('INVALID_ARGUMENT', 'changes: pass startingVersion or startingTimestamp, not both')
  if (options.endingVersion !== undefined && options.endingTimestamp !== undefined)
    throw new DeltaError('INVALID_ARGUMENT', 'changes: pass endingVersion or endingTimestamp, not both')
  let start: number
  if (options.startingVersion !== undefined) start = options.startingVersion
  else if (options.startingTimestamp !== undefined) {
    const ts = epochMs(options.startingTimestamp)
    const at = times.find((t) => t.timestamp >= ts)
    if (!at)
      throw new DeltaError(
        'VERSION_NOT_FOUND',
        `changes: no version committed at or after ${new Date(ts).toISOString()} (the latest is version ${latest.version})`,
      )
    start = at.version
  } else throw new DeltaError('INVALID_ARGUMENT', 'changes: give startingVersion or startingTimestamp')
  let end = latest.version
  if (options.endingVersion !== undefined) end = Math.min(options.endingVersion, latest.version)
  else if (options.endingTimestamp !== undefined) {
    const ts = epochMs(options.endingTimestamp)
    const before = times.filter((t) => t.timestamp <= ts)
    if (before.length === 0)
      throw new DeltaError(
        'VERSION_NOT_FOUND',
        `changes: no version committed at or before ${new Date(ts).toISOString()}`,
      )
    end = before[before.length - 1].version
    // Both ends between the same two commits: an empty range, as in Spark.
    if (options.startingTimestamp !== undefined && end === start - 1)
      return new ChangeFeed(latest, [], [start, end], options)
  }
  if (start > latest.version)
    throw new DeltaError(
      'INVALID_ARGUMENT',
      `changes: starting version ${start} is after the latest version ${latest.version}`,
    )
  if (end < start)
    throw new DeltaError('INVALID_ARGUMENT', `changes: ending version ${end} is before starting version ${start}`)
  const timeOf = new Map(times.map((t) => [t.version, t.timestamp]))
  for (let v = start; v <= end; v++)
    if (!timeOf.has(v))
      throw new DeltaError('VERSION_NOT_FOUND', `changes: the commit of version ${v} is not in the log (cleaned up)`)
  // The feed must be on at the start version, and stay on through the range.
  const startSnapshot = start === latest.version ? latest : await loadSnapshot(latest.storage, start, signal)
  if (!changeDataFeedEnabled(startSnapshot.properties)) throw notRecorded(start, start, end)
  const endSnapshot = end === latest.version ? latest : await loadSnapshot(latest.storage, end, signal)
  const commits: ChangeCommit[] = []
  for (let v = start; v <= end; v++) {
    const actions = await readCommit(latest.storage, v, signal)
    for (const a of actions) {
      const conf = a.metaData?.configuration
      if (a.metaData && !changeDataFeedEnabled((conf ?? {}) as Record<string, string | null>))
        throw notRecorded(v, start, end)
    }
    commits.push({ version: v, timestamp: timeOf.get(v)!, actions })
  }
  return new ChangeFeed(endSnapshot, commits, [start, end], options)
}

function notRecorded(version: number, start: number, end: number): DeltaError {
  return new DeltaError(
    'CHANGE_DATA_NOT_RECORDED',
    `changes: change data was not recorded for version ${version} (range ${start}..${end}): the table has delta.enableChangeDataFeed off there`,
  )
}

function epochMs(t: string | Date | number): number {
  const ms = t instanceof Date ? t.getTime() : typeof t === 'number' ? t : Date.parse(t)
  if (!Number.isFinite(ms)) throw new DeltaError('INVALID_ARGUMENT', `changes: invalid timestamp ${String(t)}`)
  return ms
}
