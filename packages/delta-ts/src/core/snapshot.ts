import { DeltaError } from '../errors.js'
import type {
  CommitInfoAction,
  DomainMetadataAction,
  MetadataAction,
  ProtocolAction,
  RemoveAction,
} from '../protocol/actions.js'
import type { Expr } from '../protocol/expr/index.js'
import { assertReadable } from '../protocol/features.js'
import { type FileEntry, fileEntryOf } from '../protocol/file-entry.js'
import { parseLogPath } from '../protocol/log-path.js'
import { type LogSegment, monotonicTimestamps } from '../protocol/log-segment.js'
import { addColumns, type FileColumns, type PruneStats } from '../protocol/pruning.js'
import type { ReplayState } from '../protocol/replay.js'
import { type ColumnMappingMode, columnMappingMode, parseSchemaString, type StructType } from '../protocol/schema.js'
import { parseInterval } from '../protocol/table-properties.js'
import type { Storage } from '../storage/types.js'
import { checkCommitPartitionValues, listLog, loadSegment, readCommitInfo, replayCommits } from './log-reader.js'
import { type BoundPredicate, bindPredicate, pruningContext } from './plan.js'
import { Scan, type ScanOptions } from './scan.js'
import { check, checkOptions } from './validate.js'

/** The adds of a snapshot's commits (after its checkpoint), for the planner: see `Snapshot.commitFileColumns`. */
export interface CommitFiles {
  readonly length: number
  /** The FileEntry of add `i` (built once). */
  entry(i: number): FileEntry
  /** The adds as columns, row `i` being add `i`. */
  readonly columns: FileColumns
}

/** Default `delta.deletedFileRetentionDuration`: tombstones older than this are expired (1 week). */
const DEFAULT_TOMBSTONE_RETENTION_MS = 7 * 24 * 3600 * 1000

/**
 * An immutable view of a table at one version: protocol, metadata, schema and the active files.
 * Obtain one with `table.snapshot()`; a snapshot never changes, later commits produce new snapshots.
 */
export class Snapshot {
  /** Storage rooted at the table root. */
  readonly storage: Storage
  readonly version: number
  readonly protocol: ProtocolAction
  readonly metadata: MetadataAction
  readonly schema: StructType
  readonly partitionColumns: string[]
  /** Table properties (`metaData.configuration`), nulls dropped. */
  readonly properties: Record<string, string>
  readonly columnMappingMode: ColumnMappingMode
  /** When this version was committed (in-commit timestamp when enabled, else the commit file's time), epoch ms. */
  readonly timestamp: number
  /** @internal the reconciled log state. */
  readonly state: ReplayState
  private fileCache?: FileEntry[]

  /** @internal use `DeltaTable.snapshot()`. */
  constructor(storage: Storage, version: number, state: ReplayState, timestamp: number) {
    if (!state.protocol)
      throw new DeltaError('MISSING_PROTOCOL', `version ${version} of ${storage.rootUri} has no protocol action`)
    if (!state.metadata)
      throw new DeltaError('MISSING_METADATA', `version ${version} of ${storage.rootUri} has no metaData action`)
    assertReadable(state.protocol)
    if (typeof state.metadata.schemaString !== 'string') {
      throw new DeltaError('INVALID_SCHEMA', `version ${version} of ${storage.rootUri}: metaData has no schemaString`)
    }
    this.storage = storage
    this.version = version
    this.state = state
    this.protocol = state.protocol
    this.metadata = state.metadata
    this.schema = parseSchemaString(state.metadata.schemaString)
    this.partitionColumns = [...(state.metadata.partitionColumns ?? [])]
    this.properties = Object.fromEntries(
      Object.entries(state.metadata.configuration ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string'),
    )
    this.columnMappingMode = columnMappingMode(this.properties)
    this.timestamp = timestamp
  }

  /**
   * The active data files: decoded paths, partition values, sizes, parsed stats and deletion vectors. With a
   * `filter`, only files that may hold matching rows (pruned by partition values and statistics; no data
   * file is opened), as planned by `snapshot.scan({ filter }).plan()`. INVALID_PREDICATE when the filter does
   * not parse or names an unknown column.
   */
  async files(options: { filter?: string | Expr } = {}): Promise<FileEntry[]> {
    checkOptions('files', options, { filter: check.predicate })
    if (options.filter !== undefined) return (await this.scan({ filter: options.filter }).plan()).files
    return this.allFileEntries()
  }

  /**
   * Prunes the active files with a predicate and reports what pruning did.
   *
   * @deprecated use `snapshot.scan({ filter }).plan()`, which this calls.
   */
  async pruneFiles(filter: string | Expr): Promise<{ files: FileEntry[]; stats: PruneStats }> {
    const { files, stats } = await this.scan({ filter }).plan()
    return { files, stats }
  }

  /**
   * Parses (when a string) and binds a predicate against this snapshot's schema; a predicate already bound to
   * it is returned as is.
   */
  bindPredicate(filter: string | Expr): BoundPredicate {
    return bindPredicate(filter, this.schema)
  }

  /** A scan of this snapshot's rows into Apache Arrow (see {@link Scan}). */
  scan(options: ScanOptions = {}): Scan {
    return new Scan(this, options)
  }

  /** @internal every active file's FileEntry (cached): checkpoint rows first, then commit adds. */
  allFileEntries(): FileEntry[] {
    if (!this.fileCache) {
      const out: FileEntry[] = []
      const fs = this.state.files
      const base = fs.base
      if (base) base.liveEntries(fs.baseSelection, out)
      const commits = this.commitFileColumns()
      for (let i = 0; i < commits.length; i++) out.push(commits.entry(i))
      this.fileCache = out
    }
    return this.fileCache
  }

  #commitFiles?: CommitFiles

  /**
   * @internal the commits' adds as a columnar view for pruning and their FileEntry objects, each built on first
   * request (cached): a query that keeps a thousand of a million files builds a thousand entries.
   */
  commitFileColumns(): CommitFiles {
    if (!this.#commitFiles) {
      const adds = this.state.files.adds.valuesArray()
      const entries = new Array<FileEntry | undefined>(adds.length)
      this.#commitFiles = {
        length: adds.length,
        entry: (i) => {
          let e = entries[i]
          if (e === undefined) {
            e = fileEntryOf(adds[i])
            entries[i] = e
          }
          return e
        },
        columns: addColumns(adds, pruningContext(this)),
      }
    }
    return this.#commitFiles
  }

  /** Number of active files, without materializing FileEntry objects. */
  get numFiles(): number {
    return this.state.files.size
  }

  /**
   * Removes that vacuum must still honour: those whose deletionTimestamp is within
   * `delta.deletedFileRetentionDuration` (default 1 week) of `now`.
   */
  async tombstones(now = Date.now()): Promise<RemoveAction[]> {
    const retention =
      parseInterval(this.properties['delta.deletedFileRetentionDuration']) ?? DEFAULT_TOMBSTONE_RETENTION_MS
    return [...this.state.tombstones.values()].filter((r) => (r.deletionTimestamp ?? now) > now - retention)
  }

  /** The newest version committed by application `appId` (its `txn` action), or undefined. */
  async appTransactionVersion(appId: string): Promise<number | undefined> {
    return this.state.txns.get(appId)?.version
  }

  /** Active domain metadata by domain (removed domains excluded). */
  async domainMetadata(): Promise<Map<string, DomainMetadataAction>> {
    return new Map([...this.state.domains].filter(([, d]) => !d.removed))
  }
}

export { fileEntryOf, parseStats } from '../protocol/file-entry.js'

/** Whether in-commit timestamps are on, and from which version. */
export function ictEnablement(props: Record<string, string>): number | undefined {
  if (props['delta.enableInCommitTimestamps'] !== 'true') return undefined
  const v = Number(props['delta.inCommitTimestampEnablementVersion'] ?? '0')
  return Number.isFinite(v) ? v : 0
}

/** Loads the snapshot at `version` (latest when undefined). */
export async function loadSnapshot(storage: Storage, version?: number, signal?: AbortSignal): Promise<Snapshot> {
  const {
    seg,
    replay: { state, latestCommitInfo },
  } = await loadSegment(storage, version, signal)
  let info = latestCommitInfo
  // At a checkpoint version replay reads no commit, and a checkpoint carries no commitInfo: the in-commit
  // timestamp comes from the commit file itself.
  const ict = ictEnablement((state.metadata?.configuration ?? {}) as Record<string, string>)
  if (info === undefined && ict !== undefined && seg.version >= ict) {
    info = await readCommitInfo(storage, seg.version, signal).catch((err: unknown) => {
      if (err instanceof DeltaError && err.code === 'FILE_NOT_FOUND') return undefined
      throw err
    })
  }
  return new Snapshot(storage, seg.version, state, snapshotTimestamp(seg, state, info))
}

function snapshotTimestamp(
  seg: LogSegment,
  state: ReplayState,
  info: CommitInfoAction | undefined,
  previous?: number,
): number {
  const props = (state.metadata?.configuration ?? {}) as Record<string, string>
  const ict = ictEnablement(props)
  if (ict !== undefined && seg.version >= ict && typeof info?.inCommitTimestamp === 'number')
    return info.inCommitTimestamp
  return fileCommitTime(seg, previous)
}

/**
 * The commit file time of `seg.version`, made monotonic over the commits the listing saw (after `previous`, the
 * time of the version before them, on refresh), as `history()` and time travel compute it. Object stores report
 * whole seconds, so a burst of commits shares one file time; without this, `snapshot.timestamp` of the last of
 * them would name the first one when given back to `snapshot({ timestamp })`.
 */
function fileCommitTime(seg: LogSegment, previous?: number): number {
  const commits = seg.commits.filter((c) => c.version <= seg.version)
  if (commits.length === 0 || commits[commits.length - 1].version !== seg.version) return 0
  const times = commits.map((c) => c.lastModified)
  const mono = monotonicTimestamps(previous === undefined ? times : [previous, ...times])
  return mono[mono.length - 1]
}

/**
 * Brings `snap` up to the latest version by reading only the commits that arrived after it. Returns `snap`
 * itself when nothing is new. Falls back to a full load when a commit after it has already been cleaned up.
 */
export async function refreshSnapshot(snap: Snapshot, signal?: AbortSignal): Promise<Snapshot> {
  const listing = await listLog(snap.storage, snap.version + 1, signal)
  const newer: { version: number; lastModified: number }[] = []
  for (const m of listing) {
    const f = parseLogPath(m.path)
    if (f?.kind === 'commit') newer.push({ version: f.version, lastModified: m.lastModified })
  }
  newer.sort((a, b) => a.version - b.version)
  if (newer.length === 0) return snap
  for (let i = 0; i < newer.length; i++) {
    if (newer[i].version !== snap.version + 1 + i) return loadSnapshot(snap.storage, undefined, signal)
  }
  const state = snap.state.clone()
  let latestInfo: CommitInfoAction | undefined
  const last = newer[newer.length - 1]
  await replayCommits(
    snap.storage,
    newer.map((n) => n.version),
    (v, actions) => {
      for (const a of actions) {
        state.apply(a)
        if (a.commitInfo && v === last.version) latestInfo = a.commitInfo
      }
      checkCommitPartitionValues(actions, state, v)
    },
    signal,
  )
  const seg: LogSegment = {
    version: last.version,
    checkpoints: [],
    commits: newer.map((n) => ({ version: n.version, path: '', lastModified: n.lastModified, size: 0 })),
  }
  return new Snapshot(snap.storage, last.version, state, snapshotTimestamp(seg, state, latestInfo, snap.timestamp))
}
