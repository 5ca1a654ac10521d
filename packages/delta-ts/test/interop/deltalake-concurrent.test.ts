import * as path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DeltaTable } from '../../src/index.js'
import { canonicalRows, type WireRow } from './canon.js'
import { readWithDeltaTs } from './compare.js'
import { deltalake, ensureVenv, type PyRead, scratch } from './harness.js'
import { commitVersions, oneRow, raceDeltaTs, switches, writersInLogOrder } from './race.js'

// Issue 10, direction 3: a delta-ts writer and a deltalake (delta-rs) process append to the same local table
// at the same time. Both commit by put-if-absent on the next version (delta-ts: hard link; delta-rs: its
// rename-without-replace), so every version must be taken exactly once and no append may be lost or doubled.
const COUNT = 20
/** Pause between one writer's commits (py/deltalake_cli.py uses the same); delta-ts also waits up to 5 s for the
 * other writer's next commit after each of its own, so the loops interleave even on a loaded machine. */
const PACE_MS = 20

describe('delta-ts and deltalake appending to one table concurrently', () => {
  const tmp = scratch('concurrent')
  afterAll(() => tmp.cleanup())
  const dir = path.join(tmp.dir, 'table')
  let writers: string[] = []
  let pyRead: PyRead

  beforeAll(async () => {
    await ensureVenv()
    await DeltaTable.create(dir, { schema: oneRow('x', 0).schema })
    const ready = path.join(tmp.dir, 'ready')
    const python = deltalake.appendLoop(dir, 'deltalake', COUNT, ready)
    await Promise.all([python, raceDeltaTs(dir, ready, python, COUNT, PACE_MS, 5_000)])
    writers = await writersInLogOrder(dir)
    pyRead = await deltalake.read(dir, path.join(tmp.dir, 'read.json'), 'latest')
  })

  it('commits occupy contiguous versions 0..2N with no gap, one log entry per append', () => {
    expect(commitVersions(dir)).toEqual([...Array(2 * COUNT + 1).keys()])
    expect(writers.filter((w) => w === 'delta-ts')).toHaveLength(COUNT)
    expect(writers.filter((w) => w === 'other')).toHaveLength(COUNT)
  })

  it('the two writers interleaved in the log (the appends really raced)', () => {
    expect(switches(writers)).toBeGreaterThan(1)
  })

  it('every appended row is present exactly once, read by delta-ts and by deltalake', async () => {
    const want: WireRow[] = []
    for (const writer of ['delta-ts', 'deltalake']) {
      for (let k = 0; k < COUNT; k++) want.push({ writer, seq: String(k) })
    }
    const got = await readWithDeltaTs(dir)
    expect(got.version).toBe(2 * COUNT)
    expect(canonicalRows(got.rows)).toEqual(canonicalRows(want))
    expect(pyRead.latestVersion).toBe(2 * COUNT)
    expect(canonicalRows(pyRead.versions[0].rows)).toEqual(canonicalRows(want))
  })
})
