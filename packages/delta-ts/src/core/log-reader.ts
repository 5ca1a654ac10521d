import type { Data, Struct } from 'apache-arrow'
import { CheckpointFiles } from '../arrow/file-actions.js'
import { DeltaError } from '../errors.js'
import { readParquetCheckpoint } from '../parquet/checkpoint-read.js'
import type { Action, CommitInfoAction } from '../protocol/actions.js'
import { commitPath, LAST_CHECKPOINT_PATH, LOG_DIR, padVersion, SIDECAR_DIR } from '../protocol/log-path.js'
import { type CheckpointRef, type LogSegment, selectLogSegment } from '../protocol/log-segment.js'
import { checkPartitionValues, FileSet, parseCommitJson, ReplayState } from '../protocol/replay.js'
import { parseSchemaString } from '../protocol/schema.js'
import type { ObjectMeta, Storage } from '../storage/types.js'

/** How many commit files replay reads at once. */
const COMMIT_READ_CONCURRENCY = 16

const decoder = new TextDecoder()

/** Reads and parses one JSON commit. */
export async function readCommit(storage: Storage, version: number, signal?: AbortSignal): Promise<Action[]> {
  const path = commitPath(version)
  const bytes = await storage.read(path, { signal })
  return parseCommitJson(decoder.decode(bytes), path)
}

/** Bytes read from the head of a commit to find its first action (a commitInfo is rarely longer). */
const COMMIT_HEAD_BYTES = 64 * 1024

/**
 * The commitInfo of a commit, read from the head of the file when the first line holds it (writers with
 * in-commit timestamps must put it first), else from the whole file; undefined when the commit has none.
 *
 * @throws DeltaError `FILE_NOT_FOUND` when the commit file is missing, `INVALID_LOG` when it does not parse.
 */
export async function readCommitInfo(
  storage: Storage,
  version: number,
  signal?: AbortSignal,
): Promise<CommitInfoAction | undefined> {
  const path = commitPath(version)
  const head = await storage.readRange(path, 0, COMMIT_HEAD_BYTES, { signal })
  const nl = head.indexOf(0x0a)
  if (nl >= 0 || head.length < COMMIT_HEAD_BYTES) {
    const first = parseCommitJson(decoder.decode(nl >= 0 ? head.subarray(0, nl) : head), path)[0]
    if (first?.commitInfo) return first.commitInfo
  }
  return (await readCommit(storage, version, signal)).find((a) => a.commitInfo)?.commitInfo
}

/** Lists `_delta_log/`, from just after `startAfterVersion`'s files when given. */
export async function listLog(
  storage: Storage,
  startAfterVersion?: number,
  signal?: AbortSignal,
): Promise<ObjectMeta[]> {
  const out: ObjectMeta[] = []
  // Every file of version V sorts after the bare 20-digit prefix, so StartAfter = prefix(V - 1 + 1) - 1 is not
  // needed: listing after `_delta_log/<V>` skips versions below V and keeps V's own files.
  const startAfter = startAfterVersion === undefined ? undefined : `${LOG_DIR}${padVersion(startAfterVersion)}`
  for await (const m of storage.list(LOG_DIR, { startAfter, signal })) out.push(m)
  return out
}

/** The `_last_checkpoint` hint, or undefined when missing or unreadable (it is only a hint). */
export async function readLastCheckpointHint(storage: Storage, signal?: AbortSignal): Promise<number | undefined> {
  try {
    const json = JSON.parse(decoder.decode(await storage.read(LAST_CHECKPOINT_PATH, { signal })))
    return typeof json?.version === 'number' && json.version >= 0 ? json.version : undefined
  } catch (err) {
    if (err instanceof DeltaError && err.code !== 'FILE_NOT_FOUND' && err.code !== 'INVALID_LOG') throw err
    return undefined
  }
}

/**
 * Picks the log segment for `version` (latest when undefined). Uses `_last_checkpoint` to list only from the
 * newest checkpoint on; falls back to a full listing when the hint is stale, corrupt or points nowhere.
 */
export async function findLogSegment(storage: Storage, version?: number, signal?: AbortSignal): Promise<LogSegment> {
  const hint = await readLastCheckpointHint(storage, signal)
  if (hint !== undefined && (version === undefined || version >= hint)) {
    const listing = await listLog(storage, hint, signal)
    try {
      const seg = selectLogSegment(listing, version)
      if (seg.checkpoints.some((c) => c.version === hint) || seg.commits[0]?.version === 0) return seg
    } catch (err) {
      if (!(err instanceof DeltaError)) throw err
      if (err.code === 'INVALID_ARGUMENT') throw err
    }
  }
  const listing = await listLog(storage, undefined, signal)
  if (listing.length === 0) throw new DeltaError('TABLE_NOT_FOUND', `no Delta table at ${storage.rootUri}`)
  try {
    return selectLogSegment(listing, version)
  } catch (err) {
    if (err instanceof DeltaError && err.code === 'TABLE_NOT_FOUND') {
      throw new DeltaError('TABLE_NOT_FOUND', `no Delta table at ${storage.rootUri}: _delta_log has no commits`)
    }
    throw err
  }
}

/**
 * Reads a checkpoint, following V2 sidecars: its add actions stay Arrow columns (`adds`, one struct Data per
 * decoded batch), every other action (and the adds of a V2 JSON top-level file) is converted.
 */
export async function readCheckpoint(
  storage: Storage,
  cp: CheckpointRef,
  signal?: AbortSignal,
): Promise<{ actions: Action[]; adds: Data<Struct>[] }> {
  const actions: Action[] = []
  const adds: Data<Struct>[] = []
  for (const path of cp.paths) {
    if (path.endsWith('.json')) {
      for (const a of parseCommitJson(decoder.decode(await storage.read(path, { signal })), path)) actions.push(a)
    } else {
      const part = await readParquetCheckpoint(storage, path, signal)
      for (const a of part.actions) actions.push(a)
      for (const d of part.adds) adds.push(d)
    }
  }
  const sidecars = actions.filter((a) => a.sidecar).map((a) => a.sidecar!)
  for (const sc of sidecars) {
    const part = await readParquetCheckpoint(storage, sidecarPath(storage, sc.path), signal)
    for (const a of part.actions) if (a.remove) actions.push(a)
    for (const d of part.adds) adds.push(d)
  }
  return { actions, adds }
}

/**
 * The storage path of a sidecar action's `path`: a file name (URI-encoded) under `_delta_log/_sidecars/`, or an
 * absolute URI inside the table.
 */
export function sidecarPath(storage: Storage, path: string): string {
  const uri = path.includes('/') && /^[a-z]+:/.test(path) ? path : `${SIDECAR_DIR}${decodeURIComponent(path)}`
  return uri.startsWith(storage.rootUri) ? uri.slice(storage.rootUri.length) : uri
}

/**
 * Checks the adds of commit `version` against the partition columns in force after it (a commit that changes
 * the partitioning carries its metaData, applied first).
 *
 * @throws DeltaError `INVALID_LOG` naming the file and the version.
 */
export function checkCommitPartitionValues(actions: readonly Action[], state: ReplayState, version: number): void {
  for (const a of actions) if (a.add) checkPartitionValues(a.add, state.metadata, `commit ${version}`)
}

/** Reads commits in version order with bounded concurrency, handing each to `apply` in order. */
export async function replayCommits(
  storage: Storage,
  versions: readonly number[],
  apply: (version: number, actions: Action[]) => void,
  signal?: AbortSignal,
): Promise<void> {
  for (let i = 0; i < versions.length; i += COMMIT_READ_CONCURRENCY) {
    const chunk = versions.slice(i, i + COMMIT_READ_CONCURRENCY)
    const results = await Promise.all(chunk.map((v) => readCommit(storage, v, signal)))
    for (let j = 0; j < chunk.length; j++) apply(chunk[j], results[j])
  }
}

/**
 * Finds the segment for `version` (latest when undefined) and replays it. When the listing began at the
 * `_last_checkpoint` hint and that checkpoint does not read (truncated, bit-flipped, missing parts), the older
 * checkpoints and commit 0 were never listed: the log is listed again from the start and replayed from the
 * newest checkpoint that reads, or from commit 0. Only when that fails too is the table unreadable.
 *
 * @throws DeltaError as {@link findLogSegment} and {@link replaySegment}; `INVALID_LOG` naming the checkpoint
 *   when no older base exists.
 */
export async function loadSegment(
  storage: Storage,
  version?: number,
  signal?: AbortSignal,
): Promise<{ seg: LogSegment; replay: ReplayResult }> {
  const seg = await findLogSegment(storage, version, signal)
  try {
    return { seg, replay: await replaySegment(storage, seg, signal) }
  } catch (err) {
    // A segment that starts at commit 0 already holds everything a full listing would.
    const partial = seg.checkpoints.length > 0 && seg.commits[0]?.version !== 0
    if (!partial || !(err instanceof DeltaError) || (err.code !== 'INVALID_LOG' && err.code !== 'VERSION_NOT_FOUND'))
      throw err
    const full = selectLogSegment(await listLog(storage, undefined, signal), seg.version)
    const widened =
      full.checkpoints.length > seg.checkpoints.length ||
      (full.commits[0]?.version ?? -1) < (seg.commits[0]?.version ?? -1)
    if (!widened) throw err
    return { seg: full, replay: await replaySegment(storage, full, signal) }
  }
}

/** The result of replaying a log segment. */
export interface ReplayResult {
  state: ReplayState
  /** The checkpoint version replay started from (-1 for none). */
  checkpointVersion: number
  /** commitInfo of the newest commit, when replay read it. */
  latestCommitInfo?: CommitInfoAction
}

/**
 * A checkpoint records a valid table state, so a schemaString in it that does not parse means the file is
 * damaged (a flipped byte in a page without a checksum decodes to other text): INVALID_LOG, which makes replay
 * fall back to an older checkpoint or to the commits, instead of failing the table with INVALID_SCHEMA.
 */
function checkCheckpointSchema(state: ReplayState, cp: CheckpointRef): void {
  const schemaString = state.metadata?.schemaString
  if (typeof schemaString !== 'string') return
  try {
    parseSchemaString(schemaString)
  } catch (err) {
    throw new DeltaError(
      'INVALID_LOG',
      `checkpoint ${cp.version} (${cp.paths.join(', ')}) holds a metaData whose schema does not parse: ${(err as Error).message}`,
      { cause: err },
    )
  }
}

/**
 * Replays a segment: the newest checkpoint that reads (older ones, then none, as fallbacks when a checkpoint
 * file is corrupt and the commits after the older base are all present), then the commits after it.
 */
export async function replaySegment(storage: Storage, seg: LogSegment, signal?: AbortSignal): Promise<ReplayResult> {
  const commitVersions = new Set(seg.commits.map((c) => c.version))
  const contiguousFrom = (base: number) => {
    for (let v = base + 1; v <= seg.version; v++) if (!commitVersions.has(v)) return false
    return true
  }
  let state = new ReplayState()
  let base = -1
  let firstError: unknown
  for (const cp of seg.checkpoints) {
    if (!contiguousFrom(cp.version)) continue
    try {
      const { actions, adds } = await readCheckpoint(storage, cp, signal)
      const files = new CheckpointFiles(adds, `checkpoint ${cp.version}`)
      state = new ReplayState(files.length > 0 ? FileSet.ofBase(files) : FileSet.empty())
      for (const a of actions) state.apply(a)
      // Checkpoint rows come in any order: check the files once the metaData is known.
      files.checkPartitionValues(state.metadata, `checkpoint ${cp.version}`)
      for (const add of state.files.adds.values()) checkPartitionValues(add, state.metadata, `checkpoint ${cp.version}`)
      checkCheckpointSchema(state, cp)
      base = cp.version
      break
    } catch (err) {
      if (!(err instanceof DeltaError) || err.code !== 'INVALID_LOG') throw err
      firstError ??= err
    }
  }
  if (base === -1 && !contiguousFrom(-1)) {
    throw firstError ?? new DeltaError('VERSION_NOT_FOUND', `cannot rebuild version ${seg.version}`)
  }
  let latestCommitInfo: CommitInfoAction | undefined
  const versions = seg.commits.filter((c) => c.version > base).map((c) => c.version)
  await replayCommits(
    storage,
    versions,
    (v, actions) => {
      for (const a of actions) {
        state.apply(a)
        if (a.commitInfo && v === seg.version) latestCommitInfo = a.commitInfo
      }
      checkCommitPartitionValues(actions, state, v)
    },
    signal,
  )
  state.files.seal()
  return { state, checkpointVersion: base, latestCommitInfo }
}
