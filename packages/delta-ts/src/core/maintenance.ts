import { CheckpointFiles } from '../arrow/file-actions.js'
import { DeltaError, isDeltaError } from '../errors.js'
import { readParquetCheckpoint } from '../parquet/checkpoint-read.js'
import type { AddAction } from '../protocol/actions.js'
import { decodeActionPath } from '../protocol/actions.js'
import { deletionVectorPath } from '../protocol/deletion-vector.js'
import { assertWritable } from '../protocol/features.js'
import { LOG_DIR, parseLogPath, SIDECAR_DIR } from '../protocol/log-path.js'
import { indexLogListing } from '../protocol/log-segment.js'
import { parseCommitJson } from '../protocol/replay.js'
import { parseInterval } from '../protocol/table-properties.js'
import type { ObjectMeta, Storage } from '../storage/types.js'
import { type CheckpointContent, writeCheckpoint } from './checkpoint-writer.js'
import { CHANGE_DATA_DIR } from './data-writer.js'
import { listLog, sidecarPath } from './log-reader.js'
import type { Snapshot } from './snapshot.js'

/** Default `delta.checkpointInterval` (the issue and delta-rs: every 100 commits). */
export const DEFAULT_CHECKPOINT_INTERVAL = 100
/** Default `delta.logRetentionDuration`: 30 days. */
export const DEFAULT_LOG_RETENTION_MS = 30 * 24 * 3600 * 1000
/** Default vacuum retention: 7 days (168 hours), like Spark and delta-rs. */
export const DEFAULT_VACUUM_RETENTION_HOURS = 168

/** What a checkpoint wrote (counts in `metrics`, the shape of every operation's result). */
export interface CheckpointResult {
  /** The version checkpointed. */
  version: number
  /**
   * The checkpoint file, relative to the table root: the classic file, the first part of a multi-part
   * checkpoint, or the UUID-named V2 file.
   */
  path: string
  /** Every checkpoint file written (all parts; the V2 file and its classic-named compatibility copy). */
  paths: string[]
  /** The V2 sidecar files written, relative to the table root (empty for classic checkpoints). */
  sidecars: string[]
  /** `'classic'` single file, `'multipart'` or `'v2'`. */
  format: 'classic' | 'multipart' | 'v2'
  metrics: { sizeInBytes: number; numActions: number; numAddFiles: number; numParts: number; numSidecars: number }
}

/** Options of `table.checkpoint()`. */
export interface CheckpointOptions {
  /** The version to checkpoint (default: the latest). */
  version?: number
  /**
   * The most actions one checkpoint file holds (Spark's `spark.databricks.delta.checkpoint.partSize`):
   * beyond it a classic checkpoint is written in parts, a V2 checkpoint in that many sidecars. Default: the
   * table property `delta-ts.checkpoint.partSize`, else unlimited.
   */
  partSize?: number
  /** Format of a V2 checkpoint's top-level file; default parquet. */
  v2Format?: 'parquet' | 'json'
  signal?: AbortSignal
}

/** The table property holding the default {@link CheckpointOptions.partSize} (automatic checkpoints use it too). */
export const CHECKPOINT_PART_SIZE_PROPERTY = 'delta-ts.checkpoint.partSize'

/**
 * The content of a checkpoint of `snap`: protocol, metaData, txns, domain metadata, live tombstones, and the
 * adds: the live rows of the checkpoint base as its Arrow columns (selected by the replay's selection vector,
 * no object per add) plus the adds of the commits after it.
 */
export async function checkpointContent(snap: Snapshot): Promise<CheckpointContent> {
  const files = snap.state.files
  const base = files.base
  const columnar = base instanceof CheckpointFiles
  const adds: AddAction[] = []
  if (base && !columnar) {
    let row = 0
    for (const add of base.allAdds()) if (files.baseLive(row++)) adds.push(add)
  }
  for (const add of files.adds.values()) adds.push(add)
  return {
    protocol: snap.protocol,
    metaData: snap.metadata,
    txns: [...snap.state.txns.values()],
    // Removed domains are tombstones a checkpoint leaves out (PROTOCOL.md §Checkpoints).
    domains: [...snap.state.domains.values()].filter((d) => !d.removed),
    addData: columnar ? base.liveAddData(files.baseSelection) : undefined,
    adds,
    removes: await snap.tombstones(),
  }
}

/**
 * Writes a checkpoint of `snap`, then `_last_checkpoint`: a V2 checkpoint (UUID-named file, sidecars, classic
 * compatibility copy) when `delta.checkpointPolicy` is `v2`, else a classic one, in parts when it holds more
 * than `partSize` actions. Idempotent: the checkpoint of a version is the same state whoever writes it. A stale
 * `_last_checkpoint` left by a slower concurrent checkpointer is harmless: readers only start their listing
 * there.
 *
 * @throws DeltaError `INVALID_ARGUMENT` for a bad `partSize` (or table property); the errors of
 *   `writeCheckpoint`.
 */
export async function checkpointSnapshot(
  snap: Snapshot,
  options: Omit<CheckpointOptions, 'version'> = {},
): Promise<CheckpointResult> {
  let partSize = options.partSize
  const prop = snap.properties[CHECKPOINT_PART_SIZE_PROPERTY]
  if (partSize === undefined && prop !== undefined) partSize = Number(prop)
  const policy = (snap.properties['delta.checkpointPolicy'] ?? 'classic').toLowerCase() === 'v2' ? 'v2' : 'classic'
  const content = await checkpointContent(snap)
  const info = await writeCheckpoint(snap.storage, content, {
    version: snap.version,
    writeStatsAsStruct: snap.properties['delta.checkpoint.writeStatsAsStruct'] !== 'false',
    writeStatsAsJson: snap.properties['delta.checkpoint.writeStatsAsJson'] !== 'false',
    partSize,
    policy,
    v2Format: options.v2Format,
    signal: options.signal,
  })
  return {
    version: snap.version,
    path: info.paths[0],
    paths: info.paths,
    sidecars: info.sidecars,
    format: info.v2Checkpoint ? 'v2' : info.parts ? 'multipart' : 'classic',
    metrics: {
      sizeInBytes: info.sizeInBytes ?? 0,
      numActions: info.size,
      numAddFiles: info.numOfAddFiles,
      numParts: info.parts ?? 1,
      numSidecars: info.sidecars.length,
    },
  }
}

/** Whether the commit of `version` is due for an automatic checkpoint under `delta.checkpointInterval`. */
export function checkpointDue(snap: Snapshot, version: number): boolean {
  const interval = Number(snap.properties['delta.checkpointInterval'] ?? DEFAULT_CHECKPOINT_INTERVAL)
  return Number.isInteger(interval) && interval > 0 && version > 0 && version % interval === 0
}

/** What metadata cleanup deleted. */
export interface CleanupResult {
  /** The version whose retention rules were applied. */
  version: number
  metrics: { numFilesDeleted: number }
  /** Log paths deleted, relative to the table root. */
  deletedFiles: string[]
}

/** A put-if-absent temp file in `_delta_log/`: `.<name>.<uuid>.tmp` (see storage/local.ts). */
const STALE_TEMP_FILE = /(^|\/)_delta_log\/\.[^/]+\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.tmp$/

/** Temp files older than this are a killed writer's leftovers (a live put links its temp file within seconds). */
export const STALE_TEMP_FILE_AGE_MS = 3_600_000

/**
 * Deletes log files (commits, checkpoints, .crc) older than `delta.logRetentionDuration` (30 days) that are
 * strictly behind the newest checkpoint at or before the retention boundary, so that checkpoint and every
 * later version stay readable. Never deletes the newest checkpoint or anything after it.
 */
export async function cleanupExpiredLogs(
  snap: Snapshot,
  now = Date.now(),
  signal?: AbortSignal,
): Promise<CleanupResult> {
  const retention = parseInterval(snap.properties['delta.logRetentionDuration']) ?? DEFAULT_LOG_RETENTION_MS
  const cutoff = now - retention
  const listing = await listLog(snap.storage, undefined, signal)
  const deleted: string[] = []
  // Temp files of writers killed between writing and linking a log file (LocalStorage's put-if-absent): no
  // reader ever looks at them, and after an hour no live writer still owns one.
  for (const m of listing) {
    if (STALE_TEMP_FILE.test(m.path) && m.lastModified <= now - STALE_TEMP_FILE_AGE_MS) {
      await snap.storage.delete(m.path, { signal })
      deleted.push(m.path)
    }
  }
  const { commits, checkpoints } = indexLogListing(listing)
  // The newest checkpoint whose commit is itself expired: everything before it can go.
  const expiredCommit = (v: number) => (commits.get(v)?.lastModified ?? 0) <= cutoff
  const boundary = checkpoints.find((c) => c.version <= snap.version && expiredCommit(c.version))
  const done = () => ({ version: snap.version, metrics: { numFilesDeleted: deleted.length }, deletedFiles: deleted })
  if (!boundary) return done()
  const gone = new Set<string>()
  for (const m of listing) {
    const f = parseLogPath(m.path)
    if (!f || f.kind === 'lastCheckpoint') continue
    if (!('version' in f) || f.version >= boundary.version) continue
    if (m.lastModified > cutoff) continue
    await snap.storage.delete(m.path, { signal })
    deleted.push(m.path)
    gone.add(m.path)
  }
  // Sidecars only the deleted checkpoints referenced go with them (PROTOCOL.md §Metadata Cleanup, steps 4-5).
  const left = listing.filter((m) => !gone.has(m.path))
  for (const p of await unreferencedSidecars(snap.storage, left, now, signal)) {
    await deleteIfPresent(snap.storage, p, signal)
    deleted.push(p)
  }
  return done()
}

async function deleteIfPresent(storage: Storage, path: string, signal?: AbortSignal): Promise<void> {
  try {
    await storage.delete(path, { signal })
  } catch (err) {
    if (!isDeltaError(err, 'FILE_NOT_FOUND')) throw err
  }
}

/**
 * The V2 sidecar files (`_delta_log/_sidecars/`) of a `_delta_log/` listing that no checkpoint in it references
 * and that are older than a day before midnight UTC (a checkpoint being written may not be listed yet), per
 * PROTOCOL.md §Metadata Cleanup. Only the `sidecar` column of each checkpoint is read. When a checkpoint does
 * not read, what it references is unknown: nothing is returned.
 */
export async function unreferencedSidecars(
  storage: Storage,
  listing: readonly ObjectMeta[],
  now = Date.now(),
  signal?: AbortSignal,
): Promise<string[]> {
  const sidecars = listing.filter((m) => m.path.startsWith(SIDECAR_DIR) && m.path.endsWith('.parquet'))
  if (sidecars.length === 0) return []
  const referenced = new Set<string>()
  const { checkpoints } = indexLogListing(listing)
  try {
    for (const cp of checkpoints) {
      // Multi-part checkpoints are V1 spec only: they never reference sidecars.
      if (cp.format === 'multipart') continue
      const path = cp.paths[0]
      const actions = path.endsWith('.json')
        ? parseCommitJson(new TextDecoder().decode(await storage.read(path, { signal })), path)
        : (await readParquetCheckpoint(storage, path, signal, { columns: ['sidecar'] })).actions
      for (const a of actions) if (a.sidecar) referenced.add(sidecarPath(storage, a.sidecar.path))
    }
  } catch (err) {
    if (isDeltaError(err, 'INVALID_LOG') || isDeltaError(err, 'FILE_NOT_FOUND')) return []
    throw err
  }
  const midnight = Math.floor(now / DAY_MS) * DAY_MS
  return sidecars.filter((m) => !referenced.has(m.path) && m.lastModified < midnight - DAY_MS).map((m) => m.path)
}

const DAY_MS = 86_400_000

/** Options of `table.vacuum`. */
export interface VacuumOptions {
  /** Files removed from the table longer ago than this are deleted (default 168 hours). */
  retentionHours?: number
  /** Allow a retention shorter than the table's `delta.deletedFileRetentionDuration` (default 7 days). */
  enforceRetentionDuration?: boolean
  /** List what would be deleted without deleting. */
  dryRun?: boolean
  signal?: AbortSignal
}

/** What vacuum deleted (or would delete, on a dry run). */
export interface VacuumResult {
  /** The version whose file references decided what to keep (vacuum commits nothing). */
  version: number
  metrics: { numFilesDeleted: number }
  dryRun: boolean
  /** Paths relative to the table root. */
  files: string[]
}

/**
 * Deletes data files no version within the retention references: files not in the snapshot's active set,
 * not tombstoned within the retention, older than the retention, outside `_delta_log` and hidden
 * (`_`/`.`-prefixed) directories other than `_change_data` (change data files go with the retention, as in
 * Spark: a change feed over older versions then fails with FILE_NOT_FOUND). Deletion vector files of active files, and of files removed within the
 * retention, are kept; the others (vectors replaced by a later DML or purged by OPTIMIZE) are deleted. In
 * `_delta_log/` only V2 sidecars that no checkpoint references (and older than a day) are deleted.
 * INVALID_ARGUMENT when `retentionHours` is shorter than the table's deleted-file retention without
 * `enforceRetentionDuration: false`.
 */
export async function vacuumFiles(
  snap: Snapshot,
  options: VacuumOptions = {},
  now = Date.now(),
): Promise<VacuumResult> {
  // vacuumProtocolCheck: only a client that implements every writer feature of the table may vacuum it.
  assertWritable(snap.protocol, snap.metadata)
  const retentionHours = options.retentionHours ?? DEFAULT_VACUUM_RETENTION_HOURS
  const tableRetention =
    parseInterval(snap.properties['delta.deletedFileRetentionDuration']) ?? DEFAULT_VACUUM_RETENTION_HOURS * 3_600_000
  if (options.enforceRetentionDuration !== false && retentionHours * 3_600_000 < tableRetention) {
    throw new DeltaError(
      'INVALID_ARGUMENT',
      `retentionHours ${retentionHours} is shorter than the table's deleted file retention (${tableRetention / 3_600_000} hours); pass enforceRetentionDuration: false to override`,
    )
  }
  const cutoff = now - retentionHours * 3_600_000
  const keep = new Set<string>()
  for (const add of snap.state.files.values()) {
    keep.add(decodeActionPath(add.path))
    // Deletion vector files of live files stay; `p` paths are absolute and never listed under the root.
    if (add.deletionVector?.storageType === 'u') keep.add(deletionVectorPath(add.deletionVector))
  }
  for (const r of snap.state.tombstones.values()) {
    if ((r.deletionTimestamp ?? now) <= cutoff) continue
    keep.add(decodeActionPath(r.path))
    // Versions within the retention read the removed file through its vector: keep that too.
    if (r.deletionVector?.storageType === 'u') keep.add(deletionVectorPath(r.deletionVector))
  }
  const files: string[] = []
  for await (const m of snap.storage.list('', { signal: options.signal })) {
    if (m.path.startsWith(LOG_DIR)) continue
    if (
      m.path.split('/').some(
        (seg, i, all) =>
          i < all.length - 1 &&
          (seg.startsWith('_') || seg.startsWith('.')) &&
          !seg.includes('=') &&
          // Change data files are vacuumed like removed data files once older than the retention (Spark).
          !(i === 0 && seg === CHANGE_DATA_DIR),
      )
    )
      continue
    const base = m.path.slice(m.path.lastIndexOf('/') + 1)
    if (base.startsWith('.') || base.startsWith('_')) continue
    if (keep.has(m.path)) continue
    if (m.lastModified > cutoff) continue
    files.push(m.path)
  }
  // V2 sidecars that no checkpoint in the log references any more (a checkpoint that failed half-way, or one
  // whose checkpoint was cleaned up by another client) are unreachable files too.
  for (const p of await unreferencedSidecars(
    snap.storage,
    await listLog(snap.storage, undefined, options.signal),
    now,
    options.signal,
  ))
    files.push(p)
  if (!options.dryRun) {
    for (const f of files) {
      try {
        await snap.storage.delete(f, { signal: options.signal })
      } catch (err) {
        if (!isDeltaError(err, 'FILE_NOT_FOUND')) throw err
      }
    }
  }
  return {
    version: snap.version,
    metrics: { numFilesDeleted: options.dryRun ? 0 : files.length },
    dryRun: !!options.dryRun,
    files,
  }
}
