import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import * as arrow from 'apache-arrow'
import { afterAll, describe, expect, it } from 'vitest'
import { DeltaTable } from '../src/index.js'
import { runPythonJson } from './python-oracle.js'
import { prng } from './reliability/prng.js'

/**
 * Liquid clustering and Z-order OPTIMIZE (issue 22): the clustering feature and domain, rows rewritten in
 * Z-order so min/max stats skip files, incremental runs, concurrent appends, delta-rs reading the result.
 */
const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})
function tmp(name: string): string {
  const d = mkdtempSync(path.join(tmpdir(), `delta-ts-${name}-`))
  dirs.push(d)
  return d
}

function randomBatch(rand: () => number, n: number, start: number): arrow.Table {
  return arrow.tableFromArrays({
    id: Int32Array.from({ length: n }, (_, i) => start + i),
    x: Int32Array.from({ length: n }, () => Math.floor(rand() * 10_000)),
    y: Float64Array.from({ length: n }, () => Math.floor(rand() * 1000) / 10),
    tag: Array.from({ length: n }, () => `t${Math.floor(rand() * 50)}`),
  })
}

async function fraction(table: DeltaTable, filter: string): Promise<number> {
  const snap = await table.snapshot()
  return (await snap.files({ filter })).length / snap.numFiles
}

async function sortedIds(table: DeltaTable): Promise<number[]> {
  const t = await (await table.snapshot()).scan({ columns: ['id'] }).toArrow()
  return Array.from(t.getChild('id')!.toArray() as Int32Array).sort((a, b) => a - b)
}

describe('liquid clustering', () => {
  it('create with clusterBy adds the clustering feature and domain; OPTIMIZE clusters unclustered files only, marks them liquid, tightens stats; delta-rs reads the rows', async () => {
    const dir = tmp('liquid')
    const rand = prng(7)
    const table = await DeltaTable.create(dir, { schema: randomBatch(rand, 0, 0).schema, clusterBy: ['x'] })
    const snap0 = await table.snapshot()
    expect(snap0.protocol.minWriterVersion).toBe(7)
    expect(snap0.protocol.writerFeatures).toEqual(expect.arrayContaining(['clustering', 'domainMetadata']))
    expect((await snap0.domainMetadata()).get('delta.clustering')?.configuration).toBe('{"clusteringColumns":[["x"]]}')
    expect(await table.clusteringColumns()).toEqual(['x'])
    for (let k = 0; k < 20; k++) await table.write(randomBatch(rand, 500, k * 500))
    const before = await fraction(table, 'x = 1234')
    const beforeRange = await fraction(table, 'x >= 1000 and x < 1500')
    expect(before).toBe(1)

    const size = (await (await table.snapshot()).files()).reduce((s, f) => s + f.size, 0)
    const r = await table.optimize({ targetSizeBytes: Math.ceil(size / 20) })
    expect(r.metrics.numFilesRemoved).toBe(20)
    expect(r.commit?.commitInfo.operationParameters).toMatchObject({ clusterBy: '["x"]', zOrderBy: '[]' })
    const files = await (await table.snapshot()).files()
    expect(files.every((f) => f.add.clusteringProvider === 'liquid' && f.add.dataChange === false)).toBe(true)
    const after = await fraction(table, 'x = 1234')
    const afterRange = await fraction(table, 'x >= 1000 and x < 1500')
    expect(after).toBeLessThanOrEqual(0.15)
    expect(afterRange).toBeLessThan(beforeRange / 3)
    expect(await sortedIds(table)).toEqual(Array.from({ length: 10_000 }, (_, i) => i))

    // Incremental: nothing to do, then only the new append is clustered.
    const again = await table.optimize({ targetSizeBytes: Math.ceil(size / 20) })
    expect(again.metrics.numFilesRemoved).toBe(0)
    await table.write(randomBatch(rand, 500, 10_000))
    const inc = await table.optimize({ targetSizeBytes: Math.ceil(size / 20) })
    expect(inc.metrics.numFilesRemoved).toBe(1)

    const rs = runPythonJson<number>(
      `
import sys, json
from deltalake import DeltaTable
print(json.dumps(DeltaTable(sys.argv[1]).to_pyarrow_table().num_rows))
`,
      [dir],
    )
    expect(rs).toBe(10_500)
  })

  it('clusterBy changes the columns (CLUSTER BY), refuses partition and nested-less bad columns, and zOrderBy on a clustered table', async () => {
    const dir = tmp('liquid-alter')
    const rand = prng(3)
    const table = await DeltaTable.create(dir, { schema: randomBatch(rand, 0, 0).schema })
    await table.write(randomBatch(rand, 100, 0))
    const c = await table.clusterBy(['x', 'tag'])
    expect(c?.commitInfo.operation).toBe('CLUSTER BY')
    expect(c?.commitInfo.operationParameters).toEqual({ oldClusteringColumns: '', newClusteringColumns: 'x,tag' })
    expect((await table.snapshot()).protocol.writerFeatures).toEqual(expect.arrayContaining(['clustering']))
    expect(await table.clusterBy(['x', 'tag'])).toBeUndefined()
    await table.clusterBy(['y'])
    expect(await table.clusteringColumns()).toEqual(['y'])
    const code = async (p: Promise<unknown>) => ((await p.catch((e) => e)) as { code?: string }).code
    expect(await code(table.clusterBy(['nope']))).toBe('INVALID_ARGUMENT')
    expect(await code(table.optimize({ zOrderBy: ['x'] }))).toBe('INVALID_ARGUMENT')
    const part = await DeltaTable.create(tmp('liquid-part'), {
      schema: randomBatch(rand, 0, 0).schema,
      partitionBy: ['tag'],
    })
    expect(await code(part.clusterBy(['x']))).toBe('INVALID_ARGUMENT')
    await table.clusterBy([])
    expect(await table.clusteringColumns()).toEqual([])
  })
})

describe('Z-order OPTIMIZE', () => {
  it('zOrderBy two columns: ZCUBE tags, both columns prune after and not before, incremental by tag, rows unchanged', async () => {
    const dir = tmp('zorder')
    const rand = prng(11)
    const table = await DeltaTable.create(dir, { schema: randomBatch(rand, 0, 0).schema })
    for (let k = 0; k < 16; k++) await table.write(randomBatch(rand, 1000, k * 1000))
    const preds = ['x = 4321', 'y = 42.5', 'x < 1000 and y < 10']
    const before = await Promise.all(preds.map((p) => fraction(table, p)))
    const size = (await (await table.snapshot()).files()).reduce((s, f) => s + f.size, 0)
    const r = await table.optimize({ zOrderBy: ['x', 'y'], targetSizeBytes: Math.ceil(size / 16) })
    expect(r.commit?.commitInfo.operationParameters).toMatchObject({ zOrderBy: '["x","y"]' })
    const files = await (await table.snapshot()).files()
    expect(files.length).toBeGreaterThanOrEqual(12)
    expect(new Set(files.map((f) => f.add.tags?.ZCUBE_ID)).size).toBe(1)
    expect(files.every((f) => f.add.tags?.ZCUBE_ZORDER_BY === '["x","y"]')).toBe(true)
    const after = await Promise.all(preds.map((p) => fraction(table, p)))
    for (let i = 0; i < preds.length; i++) expect(after[i]).toBeLessThan(before[i] / 2)
    expect(await sortedIds(table)).toEqual(Array.from({ length: 16_000 }, (_, i) => i))
    expect((await table.optimize({ zOrderBy: ['x', 'y'] })).metrics.numFilesRemoved).toBe(0)
    expect((await table.optimize({ zOrderBy: ['y'] })).metrics.numFilesRemoved).toBe(files.length)
  })

  it('refuses partition columns; an OPTIMIZE racing appends commits and loses no row', async () => {
    const dir = tmp('zorder-race')
    const rand = prng(5)
    const table = await DeltaTable.create(dir, { schema: randomBatch(rand, 0, 0).schema, partitionBy: ['tag'] })
    expect(((await table.optimize({ zOrderBy: ['tag'] }).catch((e) => e)) as { code?: string }).code).toBe(
      'INVALID_ARGUMENT',
    )
    const flat = await DeltaTable.create(tmp('zorder-race-flat'), { schema: randomBatch(rand, 0, 0).schema })
    for (let k = 0; k < 6; k++) await flat.write(randomBatch(rand, 200, k * 200))
    const other = await DeltaTable.open(flat.uri)
    const [opt, ...appends] = await Promise.all([
      flat.optimize({ zOrderBy: ['x'] }),
      other.write(randomBatch(rand, 200, 1200)),
      other.write(randomBatch(rand, 200, 1400)),
    ])
    expect(opt.metrics.numFilesRemoved).toBeGreaterThanOrEqual(6)
    expect(appends.every((a) => a.version > 0)).toBe(true)
    expect(await sortedIds(await DeltaTable.open(flat.uri))).toEqual(Array.from({ length: 1600 }, (_, i) => i))
  })
})
