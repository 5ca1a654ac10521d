import { createHash } from 'node:crypto'
import { rmSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import * as arrow from 'apache-arrow'
import { afterAll, describe, expect, it } from 'vitest'
import { DeltaTable, isDeltaError } from '../src/index.js'
import { goldenTables } from './golden.js'

/*
 * Parallel decode must not change what a scan returns: the same tables scanned with one decode task at a time
 * and with four in flight (row groups and column groups decoding on four pool workers) give the same Arrow
 * IPC bytes — same rows, same order, same batch boundaries — or fail with the same error code.
 */

async function scanBytes(table: DeltaTable, concurrency: number, columns?: string[]) {
  try {
    const snap = await table.snapshot()
    const t = await snap.scan({ concurrency, columns }).toArrow()
    return { rows: t.numRows, batches: t.batches.map((b) => b.numRows), ipc: sha256(arrow.tableToIPC(t, 'stream')) }
  } catch (err) {
    if (isDeltaError(err)) return { code: err.code }
    throw err
  }
}

// A digest of the IPC bytes: deep equality of multi-megabyte arrays element by element is far too slow.
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')

const roots: string[] = []
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true })
})

describe('scans on the pool at 1 and at 4 workers', () => {
  it('a table of several files and six columns reads back the same bytes, full and projected', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'delta-ts-conc-'))
    roots.push(root)
    const n = 30_000
    const batch = (from: number) =>
      new arrow.Table({
        id: arrow.makeVector(BigInt64Array.from({ length: n }, (_, i) => BigInt(from + i))),
        k: arrow.makeVector(Int32Array.from({ length: n }, (_, i) => (from + i) % 97)),
        x: arrow.makeVector(Float64Array.from({ length: n }, (_, i) => (from + i) / 7)),
        s: arrow.vectorFromArray(Array.from({ length: n }, (_, i) => (i % 11 === 0 ? null : `s${(from + i) % 1013}`))),
        t: arrow.vectorFromArray(Array.from({ length: n }, (_, i) => `note ${from + i}`)),
        b: arrow.vectorFromArray(Array.from({ length: n }, (_, i) => (from + i) % 3 === 0)),
      })
    const table = await DeltaTable.create(root, { schema: batch(0).schema })
    for (const from of [0, n, 2 * n]) await table.write(batch(from))
    for (const columns of [undefined, ['x', 'id'], ['s']]) {
      const one = await scanBytes(table, 1, columns)
      const four = await scanBytes(table, 4, columns)
      expect('rows' in one && one.rows).toBe(3 * n)
      expect(four).toEqual(one)
    }
  }, 120_000)

  it('every golden table reads back the same bytes (or fails with the same error)', async () => {
    let compared = 0
    for (const g of goldenTables()) {
      if (g.mustFail) continue
      let table: DeltaTable
      try {
        table = await DeltaTable.open(g.tableDir)
      } catch (err) {
        if (isDeltaError(err)) continue
        throw err
      }
      const one = await scanBytes(table, 1)
      const four = await scanBytes(table, 4)
      expect(four, `${g.group}/${g.name}`).toEqual(one)
      if ('rows' in one) compared++
    }
    expect(compared).toBeGreaterThan(50)
  }, 300_000)
})
