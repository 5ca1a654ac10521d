import { DeltaError } from '../errors.js'
import { type LogFile, parseLogPath } from './log-path.js'

/** A listed log file with its storage metadata. */
export interface ListedLogFile {
  file: LogFile
  size: number
  lastModified: number
}

/** One complete checkpoint: a classic file, every part of a multi-part set, or one UUID-named V2 file. */
export interface CheckpointRef {
  version: number
  format: 'classic' | 'multipart' | 'v2'
  /** Paths of the checkpoint's files (all parts for multi-part), in part order. */
  paths: string[]
  sizeInBytes: number
}

/** The files a snapshot at `version` replays: one checkpoint (optional) and the commits after it. */
export interface LogSegment {
  version: number
  /** Checkpoints usable for this version, newest first. Replay uses the first that reads; the rest are fallbacks. */
  checkpoints: CheckpointRef[]
  /** Every commit from 0 (or the oldest retained) to `version`, ascending. Replay uses those after its checkpoint. */
  commits: { version: number; path: string; lastModified: number; size: number }[]
}

/**
 * Groups a `_delta_log/` listing into commits and complete checkpoints. Incomplete multi-part sets are
 * dropped (PROTOCOL.md §Checkpoints: a set with a part missing must be ignored).
 */
export function indexLogListing(listing: readonly { path: string; size: number; lastModified: number }[]) {
  const commits = new Map<number, { version: number; path: string; lastModified: number; size: number }>()
  const checkpoints: CheckpointRef[] = []
  const multipart = new Map<
    string,
    { version: number; parts: number; files: Map<number, { path: string; size: number }> }
  >()
  for (const meta of listing) {
    const file = parseLogPath(meta.path)
    if (!file) continue
    if (file.kind === 'commit') {
      commits.set(file.version, {
        version: file.version,
        path: file.path,
        lastModified: meta.lastModified,
        size: meta.size,
      })
    } else if (file.kind === 'checkpoint') {
      if (file.format === 'multipart') {
        const key = `${file.version}/${file.parts}`
        let set = multipart.get(key)
        if (!set) {
          set = { version: file.version, parts: file.parts, files: new Map() }
          multipart.set(key, set)
        }
        set.files.set(file.part, { path: file.path, size: meta.size })
      } else {
        checkpoints.push({ version: file.version, format: file.format, paths: [file.path], sizeInBytes: meta.size })
      }
    }
  }
  for (const set of multipart.values()) {
    if (set.files.size !== set.parts) continue
    const parts = [...set.files.entries()].sort((a, b) => a[0] - b[0])
    if (parts[0][0] !== 1 || parts[parts.length - 1][0] !== set.parts) continue
    checkpoints.push({
      version: set.version,
      format: 'multipart',
      paths: parts.map(([, f]) => f.path),
      sizeInBytes: parts.reduce((s, [, f]) => s + f.size, 0),
    })
  }
  // Newest first; at equal versions prefer classic/multipart (cheapest to read) over V2 JSON.
  const rank = (c: CheckpointRef) => (c.format === 'v2' ? (c.paths[0].endsWith('.json') ? 2 : 1) : 0)
  checkpoints.sort((a, b) => b.version - a.version || rank(a) - rank(b))
  return { commits, checkpoints }
}

/**
 * Picks the log segment for `version` (latest when undefined) from a listing of `_delta_log/`.
 *
 * Errors: TABLE_NOT_FOUND when the listing holds no commit and no checkpoint; VERSION_NOT_FOUND when the
 * requested version is newer than the log or older than what the retained log can rebuild; VERSION_GAP when
 * a commit between the checkpoint and the version is missing.
 */
export function selectLogSegment(
  listing: readonly { path: string; size: number; lastModified: number }[],
  version?: number,
): LogSegment {
  const { commits, checkpoints } = indexLogListing(listing)
  if (commits.size === 0 && checkpoints.length === 0) {
    throw new DeltaError('TABLE_NOT_FOUND', 'no commits or checkpoints in _delta_log')
  }
  let latest = -1
  for (const v of commits.keys()) latest = Math.max(latest, v)
  for (const c of checkpoints) latest = Math.max(latest, c.version)
  const target = version ?? latest
  if (!Number.isInteger(target) || target < 0) {
    throw new DeltaError('INVALID_ARGUMENT', `version must be a non-negative integer, got ${version}`)
  }
  if (target > latest) {
    throw new DeltaError('VERSION_NOT_FOUND', `version ${target} does not exist; the latest version is ${latest}`)
  }
  const usable = checkpoints.filter((c) => c.version <= target)
  const base = usable.length > 0 ? usable[0].version : -1
  if (!commits.has(target) && !usable.some((c) => c.version === target)) {
    throw new DeltaError('VERSION_NOT_FOUND', `version ${target} is not in the log (cleaned up or never written)`)
  }
  if (base < 0 && !commits.has(0)) {
    const oldest = Math.min(...commits.keys())
    throw new DeltaError(
      'VERSION_NOT_FOUND',
      `cannot rebuild version ${target}: the log starts at version ${oldest} and has no checkpoint at or before it`,
    )
  }
  for (let v = base + 1; v <= target; v++) {
    if (!commits.has(v)) {
      throw new DeltaError('VERSION_GAP', `commit ${v} is missing between checkpoint ${base} and version ${target}`)
    }
  }
  const segCommits = [...commits.values()].filter((c) => c.version <= target).sort((a, b) => a.version - b.version)
  return { version: target, checkpoints: usable, commits: segCommits }
}

/**
 * Commit timestamps made monotonic the way Spark's DeltaHistoryManager does: a commit is never considered
 * older than the one before it (file times can go backwards after copies or clock skew).
 */
export function monotonicTimestamps(times: readonly number[]): number[] {
  const out: number[] = []
  for (let i = 0; i < times.length; i++) out.push(i === 0 ? times[i] : Math.max(times[i], out[i - 1] + 1))
  return out
}
