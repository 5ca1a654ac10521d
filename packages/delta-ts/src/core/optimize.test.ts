import { cpSync } from 'node:fs'
import * as path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { cleanupDirs, createOrders, order, ordersTable, readOrders, tmpDir } from '../../test/dml-fixtures.js'
import { goldenRoot } from '../../test/golden.js'
import { runPythonJson } from '../../test/python-oracle.js'
import { DeltaTable } from '../index.js'
import type { FileEntry } from '../protocol/file-entry.js'
import { planBins } from './optimize.js'

afterEach(cleanupDirs)

function entry(path: string, size: number, part = 'a', dv = false): FileEntry {
  return {
    path,
    size,
    partitionValues: { p: part },
    modificationTime: 0,
    add: { path, size, partitionValues: { p: part }, modificationTime: 0, dataChange: true },
    ...(dv ? { deletionVector: { storageType: 'u', pathOrInlineDv: 'x', sizeInBytes: 1, cardinality: 1 } } : {}),
  } as FileEntry
}

describe('planBins', () => {
  it('packs small files per partition up to the target, drops single-file bins and skips large files', () => {
    const bins = planBins(
      [
        entry('1', 40),
        entry('2', 30),
        entry('3', 50),
        entry('4', 200),
        entry('5', 10, 'b'),
        entry('6', 10, 'c'),
        entry('7', 10, 'c'),
      ],
      100,
      100,
    )
    expect(bins.map((b) => b.map((f) => f.path))).toEqual([
      ['2', '1'],
      ['6', '7'],
    ])
  })
  it('rewrites a single file when it carries a deletion vector', () => {
    expect(planBins([entry('1', 500, 'a', true)], 100, 100).map((b) => b.length)).toEqual([1])
  })
})

describe('OPTIMIZE', () => {
  it('compacts many small files per partition into one, keeps the rows, commits dataChange=false with Spark metrics', async () => {
    const t = await createOrders([])
    for (let i = 0; i < 4; i++) await t.write(ordersTable([order(i, 's', i), order(10 + i, 's', i, '2024-01-02')]))
    const before = await readOrders(t)
    expect((await t.snapshot()).numFiles).toBe(8)
    const r = await t.optimize()
    expect(r.metrics).toMatchObject({ numFilesAdded: 2, numFilesRemoved: 8, partitionsOptimized: 2, numBatches: 2 })
    expect((await t.snapshot()).numFiles).toBe(2)
    expect(await readOrders(t)).toEqual(before)
    const [h] = await t.history({ limit: 1 })
    expect(h.operation).toBe('OPTIMIZE')
    expect(h.operationParameters).toEqual({ predicate: '[]', zOrderBy: '[]' })
    expect(h.operationMetrics).toMatchObject({
      numAddedFiles: '2',
      numRemovedFiles: '8',
      numFilesAdded: '2',
      numFilesRemoved: '8',
    })
    expect(JSON.parse(h.operationMetrics!.filesRemoved as string)).toMatchObject({ totalFiles: 8 })
    const log = await t.storage.read(`_delta_log/${String(r.version).padStart(20, '0')}.json`)
    const actions = new TextDecoder()
      .decode(log)
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(actions.filter((a) => a.add).every((a) => a.add.dataChange === false)).toBe(true)
    expect(actions.filter((a) => a.remove).every((a) => a.remove.dataChange === false)).toBe(true)
    // Nothing left to compact: a second run commits nothing.
    const again = await t.optimize()
    expect(again).toMatchObject({ version: r.version, metrics: { numFilesRemoved: 0 } })
  })

  it('a partition filter limits compaction; a non-partition filter is refused', async () => {
    const t = await createOrders([])
    for (let i = 0; i < 3; i++) await t.write(ordersTable([order(i, 's', i), order(10 + i, 's', i, '2024-01-02')]))
    const r = await t.optimize({ filter: "day = '2024-01-02'" })
    expect(r.metrics).toMatchObject({ numFilesRemoved: 3, numFilesAdded: 1 })
    const [h] = await t.history({ limit: 1 })
    expect(JSON.parse(h.operationParameters!.predicate as string)).toEqual(["day = '2024-01-02'"])
    expect((await t.snapshot()).numFiles).toBe(4)
    await expect(t.optimize({ filter: 'id > 1' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
  })

  it('files at or above minFileSize are left alone', async () => {
    const t = await createOrders([])
    for (let i = 0; i < 3; i++) await t.write(ordersTable([order(i, 's', i)]))
    const r = await t.optimize({ minFileSize: 1 })
    expect(r.metrics.numFilesRemoved).toBe(0)
  })
})

describe('OPTIMIZE on a Spark table with deletion vectors (golden dv-partitioned-with-checkpoint)', () => {
  it('purges deletion vectors and compacts per partition with the live rows unchanged; pyarrow reads the new files', async () => {
    const dir = tmpDir()
    cpSync(path.join(goldenRoot(), 'kernel-rs-golden/dv-partitioned-with-checkpoint/delta'), dir, { recursive: true })
    const t = await DeltaTable.open(dir)
    const rowsOf = async () =>
      (await (await t.snapshot()).scan().toArrow())
        .toArray()
        .map((r) => JSON.stringify(r.toJSON(), (_k, v) => (typeof v === 'bigint' ? Number(v) : v)))
        .sort()
    const before = await rowsOf()
    expect(before).toHaveLength(35)
    const snap = await t.snapshot()
    const files = await snap.files()
    expect(files.some((f) => f.deletionVector)).toBe(true)
    const r = await t.optimize()
    expect(r.metrics.numFilesRemoved).toBeGreaterThan(0)
    const after = await (await t.snapshot()).files()
    expect(after.some((f) => f.deletionVector)).toBe(false)
    expect(after.length).toBeLessThan(files.length)
    expect(await rowsOf()).toEqual(before)
    // deltalake cannot read tables with the deletionVectors reader feature, so pyarrow reads the new files.
    const snapAfter = await t.snapshot()
    const part = snapAfter.partitionColumns
    const py = runPythonJson<Record<string, unknown>[]>(
      'import json, sys, os\nimport pyarrow.parquet as pq\nrows = []\nfor p in json.loads(sys.argv[2]): rows += pq.read_table(os.path.join(sys.argv[1], p)).to_pylist()\nprint(json.dumps(rows))',
      [dir, JSON.stringify(after.map((f) => f.path))],
    )
    const dataOnly = (o: Record<string, unknown>) =>
      JSON.stringify(Object.fromEntries(Object.entries(o).filter(([k]) => !part.includes(k))))
    expect(py.map(dataOnly).sort()).toEqual(before.map((r) => dataOnly(JSON.parse(r))).sort())
  }, 60_000)
})
