import { existsSync, readdirSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { Int64, Table, Utf8, vectorFromArray } from 'apache-arrow'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DeltaTable } from '../../src/index.js'
import { canonicalRows, type WireRow } from './canon.js'
import { readWithDeltaTs } from './compare.js'
import { deltalake, ensureVenv, type PyRead, scratch } from './harness.js'

// Issue 10, direction 3: a delta-ts writer and a deltalake (delta-rs) process append to the same local table
// at the same time. Both commit by put-if-absent on the next version (delta-ts: hard link; delta-rs: its
// rename-without-replace), so every version must be taken exactly once and no append may be lost or doubled.
const COUNT = 20
/** Pause between one writer's commits (the Python side uses the same), so the loops overlap on a loaded machine. */
const PACE_MS = 20

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)))

function oneRow(writer: string, seq: number): Table {
  return new Table({
    writer: vectorFromArray([writer], new Utf8()),
    seq: vectorFromArray([BigInt(seq)], new Int64()),
  })
}

async function waitFor(file: string, timeoutMs: number): Promise<void> {
  const start = Date.now()
  while (!existsSync(file)) {
    if (Date.now() - start > timeoutMs) throw new Error(`${file} did not appear within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('delta-ts and deltalake appending to one table concurrently', () => {
  const tmp = scratch('concurrent')
  afterAll(() => tmp.cleanup())
  const dir = path.join(tmp.dir, 'table')
  let writersInLogOrder: string[] = []
  let pyRead: PyRead

  beforeAll(async () => {
    await ensureVenv()
    await DeltaTable.create(dir, { schema: oneRow('x', 0).schema })
    const ready = path.join(tmp.dir, 'ready')
    const python = deltalake.appendLoop(dir, 'deltalake', COUNT, ready)
    // Two-way start barrier: when the Python process is ready and delta-ts is warm (parquet-wasm loaded by
    // a write to a memory table), both start at the same instant, so the two loops really overlap.
    await Promise.race([waitFor(ready, 120_000), python])
    const warm = await DeltaTable.create(`memory://interop-warm-up-${Date.now()}`, { schema: oneRow('x', 0).schema })
    await warm.write(oneRow('x', 0))
    const table = await DeltaTable.open(dir)
    const startAt = Date.now() + 300
    writeFileSync(`${ready}.go`, String(startAt))
    await sleep(startAt - Date.now())
    const ts = (async () => {
      for (let k = 0; k < COUNT; k++) {
        await table.write(oneRow('delta-ts', k))
        await sleep(PACE_MS)
      }
    })()
    await Promise.all([python, ts])
    const history = await (await DeltaTable.open(dir)).history()
    writersInLogOrder = history
      .filter((h) => h.version > 0)
      .sort((a, b) => a.version - b.version)
      .map((h) => (String(h.engineInfo ?? h.clientVersion ?? '').startsWith('delta-ts') ? 'delta-ts' : 'deltalake'))
    pyRead = await deltalake.read(dir, path.join(tmp.dir, 'read.json'), 'latest')
  })

  it('commits occupy contiguous versions 0..2N with no gap, one log entry per append', () => {
    const commits = readdirSync(path.join(dir, '_delta_log'))
      .filter((f) => /^\d{20}\.json$/.test(f))
      .map((f) => Number(f.slice(0, 20)))
      .sort((a, b) => a - b)
    expect(commits).toEqual([...Array(2 * COUNT + 1).keys()])
    expect(writersInLogOrder.filter((w) => w === 'delta-ts')).toHaveLength(COUNT)
    expect(writersInLogOrder.filter((w) => w === 'deltalake')).toHaveLength(COUNT)
  })

  it('the two writers interleaved in the log (the appends really raced)', () => {
    const switches = writersInLogOrder.filter((w, k) => k > 0 && w !== writersInLogOrder[k - 1]).length
    expect(switches).toBeGreaterThan(1)
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
