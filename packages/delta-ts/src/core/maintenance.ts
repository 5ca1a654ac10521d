import { DeltaError, isDeltaError } from '../errors.js'
import type { Action } from '../protocol/actions.js'
import { decodeActionPath } from '../protocol/actions.js'
import { deletionVectorPath } from '../protocol/deletion-vector.js'
import { assertWritable } from '../protocol/features.js'
import { classicCheckpointPath, LOG_DIR, parseLogPath } from '../protocol/log-path.js'
import { indexLogListing } from '../protocol/log-segment.js'
import { parseInterval } from '../protocol/table-properties.js'
import { writeCheckpoint } from './checkpoint-writer.js'
import { CHANGE_DATA_DIR } from './data-writer.js'
import { listLog } from './log-reader.js'
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
  /** The checkpoint file, relative to the table root. */
  path: string
  metrics: { sizeInBytes: number; numActions: number; numAddFiles: number }
}

/** The actions a checkpoint of `snap` holds: protocol, metaData, txns, domain metadata, adds, live tombstones. */
export async function checkpointActions(snap: Snapshot): Promise<Action[]> {
  const actions: Action[] = [{ protocol: snap.protocol }, { metaData: snap.metadata }]
  for (const txn of snap.state.txns.values()) actions.push({ txn })
  for (const d of snap.state.domains.values()) actions.push({ domainMetadata: d })
  for (const add of snap.state.files.values()) actions.push({ add })
  for (const remove of await snap.tombstones()) actions.push({ remove })
  return actions
}

/**
 * Writes a classic single-file parquet checkpoint of `snap`, then `_last_checkpoint`. Idempotent: the
 * checkpoint of a version is the same state whoever writes it. A stale `_last_checkpoint` left by a slower
 * concurrent checkpointer is harmless: readers only start their listing there.
 * UNSUPPORTED_FEATURE for v2Checkpoint tables (delta-ts reads V2 checkpoints but writes classic ones only).
 */
export async function checkpointSnapshot(snap: Snapshot, signal?: AbortSignal): Promise<CheckpointResult> {
  if (
    snap.protocol.readerFeatures?.includes('v2Checkpoint') ||
    snap.protocol.writerFeatures?.includes('v2Checkpoint')
  ) {
    throw new DeltaError(
      'UNSUPPORTED_FEATURE',
      'writing checkpoints of v2Checkpoint tables is not supported (reading is)',
    )
  }
  const actions = await checkpointActions(snap)
  const info = await writeCheckpoint(snap.storage, actions, {
    version: snap.version,
    writeStatsAsStruct: snap.properties['delta.checkpoint.writeStatsAsStruct'] === 'true',
    writeStatsAsJson: snap.properties['delta.checkpoint.writeStatsAsJson'] !== 'false',
    signal,
  })
  return {
    version: snap.version,
    path: classicCheckpointPath(snap.version),
    metrics: { sizeInBytes: info.sizeInBytes ?? 0, numActions: actions.length, numAddFiles: snap.state.files.size },
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
  for (const m of listing) {
    const f = parseLogPath(m.path)
    if (!f || f.kind === 'lastCheckpoint') continue
    if (!('version' in f) || f.version >= boundary.version) continue
    if (m.lastModified > cutoff) continue
    await snap.storage.delete(m.path, { signal })
    deleted.push(m.path)
  }
  return done()
}

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
 * retention, are kept; the others (vectors replaced by a later DML or purged by OPTIMIZE) are deleted.
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
