/**
 * Names of files in `_delta_log/` (PROTOCOL.md §Delta Log Entries, §Checkpoints). Pure parsing, no IO.
 */
export const LOG_DIR = '_delta_log/'

export type LogFile =
  | { kind: 'commit'; version: number; path: string }
  | { kind: 'checkpoint'; version: number; path: string; format: 'classic' }
  | { kind: 'checkpoint'; version: number; path: string; format: 'multipart'; part: number; parts: number }
  | { kind: 'checkpoint'; version: number; path: string; format: 'v2'; uuid: string; ext: 'json' | 'parquet' }
  | { kind: 'crc'; version: number; path: string }
  | { kind: 'compacted'; version: number; toVersion: number; path: string }
  | { kind: 'lastCheckpoint'; path: string }

const COMMIT = /^(\d{20})\.json$/
const CLASSIC = /^(\d{20})\.checkpoint\.parquet$/
const MULTI = /^(\d{20})\.checkpoint\.(\d{10})\.(\d{10})\.parquet$/
const V2 = /^(\d{20})\.checkpoint\.([0-9a-fA-F-]{36})\.(json|parquet)$/
const CRC = /^(\d{20})\.crc$/
const COMPACTED = /^(\d{20})\.(\d{20})\.compacted\.json$/

/**
 * Classifies a path under `_delta_log/`. Returns undefined for anything replay ignores: Hadoop `.crc` side
 * files, temp files, sidecars, staged commits, unknown names.
 */
export function parseLogPath(path: string): LogFile | undefined {
  if (!path.startsWith(LOG_DIR)) return undefined
  const name = path.slice(LOG_DIR.length)
  if (name.includes('/')) return undefined
  if (name === '_last_checkpoint') return { kind: 'lastCheckpoint', path }
  let m = COMMIT.exec(name)
  if (m) return { kind: 'commit', version: Number(m[1]), path }
  m = CLASSIC.exec(name)
  if (m) return { kind: 'checkpoint', version: Number(m[1]), path, format: 'classic' }
  m = MULTI.exec(name)
  if (m)
    return {
      kind: 'checkpoint',
      version: Number(m[1]),
      path,
      format: 'multipart',
      part: Number(m[2]),
      parts: Number(m[3]),
    }
  m = V2.exec(name)
  if (m)
    return {
      kind: 'checkpoint',
      version: Number(m[1]),
      path,
      format: 'v2',
      uuid: m[2],
      ext: m[3] as 'json' | 'parquet',
    }
  m = CRC.exec(name)
  if (m) return { kind: 'crc', version: Number(m[1]), path }
  m = COMPACTED.exec(name)
  if (m) return { kind: 'compacted', version: Number(m[1]), toVersion: Number(m[2]), path }
  return undefined
}

/** `_delta_log/` + the version zero-padded to 20 digits + `.json`. */
export function commitPath(version: number): string {
  return `${LOG_DIR}${padVersion(version)}.json`
}

/** `_delta_log/N.checkpoint.parquet`. */
export function classicCheckpointPath(version: number): string {
  return `${LOG_DIR}${padVersion(version)}.checkpoint.parquet`
}

/** `_delta_log/N.checkpoint.o.p.parquet`: part `part` (1-based) of a `parts`-part checkpoint. */
export function multipartCheckpointPath(version: number, part: number, parts: number): string {
  return `${LOG_DIR}${padVersion(version)}.checkpoint.${String(part).padStart(10, '0')}.${String(parts).padStart(10, '0')}.parquet`
}

/** Where V2 checkpoint sidecars live (PROTOCOL.md §Sidecar Files). */
export const SIDECAR_DIR = `${LOG_DIR}_sidecars/`

export const LAST_CHECKPOINT_PATH = `${LOG_DIR}_last_checkpoint`

export function padVersion(version: number): string {
  return String(version).padStart(20, '0')
}
