import { describe, expect, it } from 'vitest'
import { DeltaError } from '../errors.js'
import { commitPath, padVersion, parseLogPath } from './log-path.js'
import { monotonicTimestamps, selectLogSegment } from './log-segment.js'

const meta = (path: string, lastModified = 0) => ({ path: `_delta_log/${path}`, size: 10, lastModified })
const commit = (v: number) => meta(`${padVersion(v)}.json`, v * 1000)
const classic = (v: number) => meta(`${padVersion(v)}.checkpoint.parquet`)
const part = (v: number, p: number, n: number) =>
  meta(`${padVersion(v)}.checkpoint.${String(p).padStart(10, '0')}.${String(n).padStart(10, '0')}.parquet`)

function codeOf(f: () => unknown): string {
  try {
    f()
    return 'OK'
  } catch (e) {
    return e instanceof DeltaError ? e.code : 'OTHER'
  }
}

describe('parseLogPath', () => {
  it('classifies commits, every checkpoint kind, crc, compactions and _last_checkpoint', () => {
    expect(parseLogPath(commitPath(7))).toEqual({ kind: 'commit', version: 7, path: commitPath(7) })
    expect(parseLogPath(classic(3).path)).toMatchObject({ kind: 'checkpoint', format: 'classic', version: 3 })
    expect(parseLogPath(part(3, 2, 4).path)).toMatchObject({ format: 'multipart', part: 2, parts: 4 })
    expect(
      parseLogPath(`_delta_log/${padVersion(2)}.checkpoint.3a0d65cd-4056-49b8-937b-95f9e3ee90e5.json`),
    ).toMatchObject({ format: 'v2', ext: 'json' })
    expect(parseLogPath(`_delta_log/${padVersion(2)}.crc`)).toMatchObject({ kind: 'crc' })
    expect(parseLogPath(`_delta_log/${padVersion(2)}.${padVersion(5)}.compacted.json`)).toMatchObject({
      kind: 'compacted',
      toVersion: 5,
    })
    expect(parseLogPath('_delta_log/_last_checkpoint')).toEqual({
      kind: 'lastCheckpoint',
      path: '_delta_log/_last_checkpoint',
    })
  })
  it('ignores Hadoop .crc side files, temp files and sidecars', () => {
    expect(parseLogPath(`_delta_log/.${padVersion(1)}.json.crc`)).toBeUndefined()
    expect(parseLogPath(`_delta_log/.${padVersion(1)}.json.1234.tmp`)).toBeUndefined()
    expect(parseLogPath('_delta_log/_sidecars/abc.parquet')).toBeUndefined()
  })
})

describe('selectLogSegment', () => {
  it('uses the newest checkpoint and only the commits after it for the latest version', () => {
    const seg = selectLogSegment([commit(0), commit(1), commit(2), classic(2), commit(3), commit(4)])
    expect(seg.version).toBe(4)
    expect(seg.checkpoints[0].version).toBe(2)
    expect(seg.commits.map((c) => c.version)).toEqual([0, 1, 2, 3, 4])
  })
  it('ignores a multi-part checkpoint with a part missing and falls back to an older one', () => {
    const seg = selectLogSegment([commit(0), classic(1), commit(1), part(3, 1, 2), commit(2), commit(3)])
    expect(seg.checkpoints.map((c) => c.version)).toEqual([1])
  })
  it('uses a complete multi-part checkpoint with its parts in order', () => {
    const seg = selectLogSegment([part(3, 2, 2), part(3, 1, 2), commit(3), commit(4)])
    expect(seg.checkpoints[0].format).toBe('multipart')
    expect(seg.checkpoints[0].paths.map((p) => p.slice(-36))).toEqual([
      part(3, 1, 2).path.slice(-36),
      part(3, 2, 2).path.slice(-36),
    ])
  })
  it('time travel picks checkpoints at or before the version', () => {
    const seg = selectLogSegment([commit(0), commit(1), classic(1), commit(2), classic(2), commit(3)], 1)
    expect(seg.version).toBe(1)
    expect(seg.checkpoints.map((c) => c.version)).toEqual([1])
  })
  it('reports a gap after the checkpoint as VERSION_GAP', () => {
    expect(codeOf(() => selectLogSegment([commit(0), commit(2)]))).toBe('VERSION_GAP')
  })
  it('reports a version beyond the log, or before a cleaned-up log, as VERSION_NOT_FOUND', () => {
    expect(codeOf(() => selectLogSegment([commit(0), commit(1)], 5))).toBe('VERSION_NOT_FOUND')
    expect(codeOf(() => selectLogSegment([commit(3), classic(5), commit(4), commit(5), commit(6)], 3))).toBe(
      'VERSION_NOT_FOUND',
    )
  })
  it('reports an empty log as TABLE_NOT_FOUND', () => {
    expect(codeOf(() => selectLogSegment([meta('_last_checkpoint')]))).toBe('TABLE_NOT_FOUND')
  })
})

describe('monotonicTimestamps', () => {
  it('never lets a commit be older than the one before it', () => {
    expect(monotonicTimestamps([100, 50, 300, 300])).toEqual([100, 101, 300, 301])
  })
})
