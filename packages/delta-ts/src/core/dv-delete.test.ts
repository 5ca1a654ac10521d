import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs'
import * as path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import {
  cleanupDirs,
  type Order,
  order,
  orderSchema,
  ordersTable,
  readOrders,
  sortOrders,
  tmpDir,
} from '../../test/dml-fixtures.js'
import { goldenRoot } from '../../test/golden.js'
import { runPythonJson } from '../../test/python-oracle.js'
import { CommitConflictError, DeltaTable } from '../index.js'
import { deletionVectorPath } from '../protocol/deletion-vector.js'

afterEach(cleanupDirs)

/** 3 days x 40 rows, one file per day (and per append), on a table with deletion vectors. */
async function dvOrders(options: { deletionVectors?: boolean; randomPrefix?: boolean } = {}) {
  const dir = tmpDir()
  const table = await DeltaTable.create(dir, {
    schema: orderSchema,
    partitionBy: ['day'],
    deletionVectors: options.deletionVectors ?? true,
    ...(options.randomPrefix ? { properties: { 'delta.randomizeFilePrefixes': 'true' } } : {}),
  })
  const rows: Order[] = []
  for (const day of ['2024-01-01', '2024-01-02', '2024-01-03'])
    for (let i = 0; i < 40; i++) rows.push(order(rows.length, i % 2 ? 'open' : 'done', i, day))
  await table.write(ordersTable(rows))
  return { dir, table, rows }
}

const parquetFiles = (dir: string) =>
  readdirSync(dir, { recursive: true }).filter((f) => String(f).endsWith('.parquet'))
const dvFiles = (dir: string) =>
  readdirSync(dir, { recursive: true }).filter((f) => /deletion_vector_.*\.bin$/.test(String(f)))

/** Rows as delta-rs (python deltalake, DataFusion reader, which applies deletion vectors) sees them. */
function deltaRsIds(dir: string, version?: number): number[] {
  return runPythonJson<number[]>(
    `import json, sys
import pyarrow as pa
from deltalake import DeltaTable, QueryBuilder
t = DeltaTable(sys.argv[1]) if sys.argv[2] == '' else DeltaTable(sys.argv[1], version=int(sys.argv[2]))
rows = pa.table(QueryBuilder().register('t', t).execute('select id from t order by id').read_all()).to_pylist()
print(json.dumps([r['id'] for r in rows]))`,
    [dir, version === undefined ? '' : String(version)],
  )
}

describe('DELETE on a table with deletion vectors', () => {
  it('marks rows in one DV file with a vector per file instead of rewriting; stats keep numRecords with tightBounds false', async () => {
    const { dir, table, rows } = await dvOrders()
    const snap0 = await table.snapshot()
    expect(snap0.protocol).toMatchObject({ minReaderVersion: 3, minWriterVersion: 7 })
    expect(snap0.protocol.readerFeatures).toContain('deletionVectors')
    expect(snap0.protocol.writerFeatures).toContain('deletionVectors')
    expect(snap0.properties['delta.enableDeletionVectors']).toBe('true')
    const before = parquetFiles(dir).length
    const r = await table.delete('updated_at % 10 = 3')
    expect(r).toMatchObject({ numDeletedRows: 12, numRemovedFiles: 0, numAddedFiles: 0, numDeletionVectorsAdded: 3 })
    expect(parquetFiles(dir).length).toBe(before)
    expect(dvFiles(dir)).toHaveLength(1)
    const files = await (await table.snapshot()).files()
    const dvs = files.map((f) => f.deletionVector!)
    expect(dvs.every((d) => d.storageType === 'u' && d.cardinality === 4)).toBe(true)
    expect(new Set(dvs.map((d) => d.pathOrInlineDv)).size).toBe(1)
    expect(new Set(dvs.map((d) => d.offset)).size).toBe(3)
    for (const f of files) {
      const stats = JSON.parse(f.add.stats!)
      expect(stats).toMatchObject({ numRecords: 40, tightBounds: false })
    }
    const expected = rows.filter((o) => o.updated_at % 10 !== 3)
    expect(await readOrders(table)).toEqual(sortOrders(expected))
    expect(deltaRsIds(dir)).toEqual(expected.map((o) => o.id))
    const history = await table.history({ limit: 1 })
    expect(history[0].operationMetrics).toMatchObject({ numDeletionVectorsAdded: '3', numDeletedRows: '12' })
  }, 60_000)

  it('extends the vector of a file on a second DELETE, removes a file whose rows are all gone, and leaves earlier versions readable', async () => {
    const { dir, table, rows } = await dvOrders()
    const v1 = (await table.delete("day = '2024-01-01' AND updated_at < 10")).version
    const r2 = await table.delete("day = '2024-01-01' AND updated_at < 20 OR day = '2024-01-02' AND updated_at >= 0")
    expect(r2).toMatchObject({ numDeletedRows: 50, numRemovedFiles: 1, numDeletionVectorsUpdated: 1 })
    const files = await (await table.snapshot()).files()
    expect(files.find((f) => f.partitionValues.day === '2024-01-01')?.deletionVector?.cardinality).toBe(20)
    expect(files.some((f) => f.partitionValues.day === '2024-01-02')).toBe(false)
    // The first vector's file stays: version v1 still references it.
    expect(dvFiles(dir)).toHaveLength(2)
    const atV1 = await (await table.snapshot({ version: v1 })).scan().toArrow()
    expect(atV1.numRows).toBe(110)
    const expected = rows.filter((o) => !(o.day === '2024-01-01' && o.updated_at < 20) && o.day !== '2024-01-02')
    expect(await readOrders(table)).toEqual(sortOrders(expected))
    expect(deltaRsIds(dir, v1)).toHaveLength(110)
    expect(deltaRsIds(dir)).toEqual(expected.map((o) => o.id))
    // A DELETE that matches only already-deleted rows commits nothing.
    const r3 = await table.delete("day = '2024-01-01' AND updated_at < 5")
    expect(r3).toMatchObject({ numDeletedRows: 0, version: r2.version })
  }, 60_000)

  it('removes a file whose remaining rows all match, counting only its live rows', async () => {
    const { table } = await dvOrders()
    await table.delete("day = '2024-01-03' AND status = 'open'")
    const r = await table.delete("day = '2024-01-03' AND status = 'done'")
    expect(r).toMatchObject({ numDeletedRows: 20, numRemovedFiles: 1, numDeletionVectorsRemoved: 1 })
    expect((await (await table.snapshot()).files()).length).toBe(2)
  })

  it('deletes every row with "true" by removing the files', async () => {
    const { table } = await dvOrders()
    const r = await table.delete('true')
    expect(r).toMatchObject({ numDeletedRows: 120, numRemovedFiles: 3 })
    expect((await (await table.snapshot()).files()).length).toBe(0)
  })

  it('places the DV file under a random prefix when delta.randomizeFilePrefixes is true', async () => {
    const { dir, table } = await dvOrders({ randomPrefix: true })
    await table.delete('id = 5')
    const [f] = (await (await table.snapshot()).files()).filter((x) => x.deletionVector)
    const rel = deletionVectorPath(f.deletionVector!)
    expect(rel).toMatch(/^[A-Za-z0-9]{2}\/deletion_vector_[0-9a-f-]{36}\.bin$/)
    expect(existsSync(path.join(dir, rel))).toBe(true)
  })

  it('stays copy-on-write on a table without deletion vectors', async () => {
    const { dir, table } = await dvOrders({ deletionVectors: false })
    const r = await table.delete('id = 5')
    expect(r).toMatchObject({ numRemovedFiles: 1, numAddedFiles: 1, numDeletionVectorsAdded: 0 })
    expect(dvFiles(dir)).toHaveLength(0)
    expect((await table.snapshot()).protocol.minReaderVersion).toBe(1)
  })

  it('two concurrent DELETEs that change the vector of the same file conflict; the loser commits nothing', async () => {
    const { dir, table } = await dvOrders()
    const other = await DeltaTable.open(dir)
    const results = await Promise.allSettled([table.delete('id = 1'), other.delete('id = 2')])
    const rejected = results.filter((r) => r.status === 'rejected')
    expect(rejected).toHaveLength(1)
    expect((rejected[0] as PromiseRejectedResult).reason).toBeInstanceOf(CommitConflictError)
    const loser = results[0].status === 'rejected' ? 1 : 2
    const ids = (await readOrders(await DeltaTable.open(dir))).map((o) => o.id)
    expect(ids).toContain(loser)
    expect(ids).not.toContain(3 - loser)
  })
})

describe('deletion vectors through checkpoint, vacuum and OPTIMIZE', () => {
  it('a checkpoint keeps the vectors; vacuum deletes dead DV files and keeps live ones; OPTIMIZE purges vectors', async () => {
    const { dir, table, rows } = await dvOrders()
    await table.delete('id = 1')
    await table.delete('id = 2 OR id = 41')
    await table.checkpoint()
    const reopened = await DeltaTable.open(dir)
    const files = await (await reopened.snapshot()).files()
    expect(
      files
        .filter((f) => f.deletionVector)
        .map((f) => f.deletionVector!.cardinality)
        .sort(),
    ).toEqual([1, 2])
    const expected = rows.filter((o) => ![1, 2, 41].includes(o.id))
    expect(await readOrders(reopened)).toEqual(sortOrders(expected))
    expect(dvFiles(dir)).toHaveLength(2)
    const vac = await reopened.vacuum({ retentionHours: 0, enforceRetentionDuration: false })
    expect(vac.files.filter((f) => f.includes('deletion_vector_'))).toHaveLength(1)
    expect(dvFiles(dir)).toHaveLength(1)
    expect(await readOrders(reopened)).toEqual(sortOrders(expected))
    const opt = await reopened.optimize({ purgeDeletionVectors: true })
    expect(opt.numDeletionVectorsRemoved).toBe(2)
    const after = await (await reopened.snapshot()).files()
    expect(after.some((f) => f.deletionVector)).toBe(false)
    expect(after).toHaveLength(3)
    expect(await readOrders(reopened)).toEqual(sortOrders(expected))
    expect(deltaRsIds(dir)).toEqual(expected.map((o) => o.id))
  }, 60_000)

  it('vacuum keeps the DV file of a file removed within the retention', async () => {
    const { dir, table } = await dvOrders()
    await table.delete('id = 1')
    await table.delete('id = 2')
    const res = await table.vacuum({ dryRun: true, retentionHours: 1, enforceRetentionDuration: false })
    expect(res.files.filter((f) => f.includes('deletion_vector_'))).toHaveLength(0)
    expect(dvFiles(dir)).toHaveLength(2)
  })
})

describe('a Spark table with deletion vectors continued by delta-ts', () => {
  it('extends the Spark-written vector of table-with-dv-small and delta-rs reads the result', async () => {
    const dir = tmpDir()
    cpSync(path.join(goldenRoot(), 'kernel-rs-data/table-with-dv-small/delta'), dir, { recursive: true })
    const table = await DeltaTable.open(dir)
    const ids = async () =>
      (await (await table.snapshot()).scan().toArrow()).toArray().map((r) => Number(r.toJSON().value))
    const before = await ids()
    expect(before).toHaveLength(8)
    const victim = before[3]
    const r = await table.delete(`value = ${victim}`)
    expect(r).toMatchObject({ numDeletedRows: 1, numDeletionVectorsUpdated: 1 })
    const [f] = await (await table.snapshot()).files()
    expect(f.deletionVector?.cardinality).toBe(3)
    expect(await ids()).toEqual(before.filter((v) => v !== victim))
    const py = runPythonJson<number[]>(
      `import json, sys
import pyarrow as pa
from deltalake import DeltaTable, QueryBuilder
rows = pa.table(QueryBuilder().register('t', DeltaTable(sys.argv[1])).execute('select value from t').read_all()).to_pylist()
print(json.dumps(sorted(r['value'] for r in rows)))`,
      [dir],
    )
    expect(py).toEqual([...before.filter((v) => v !== victim)].sort((a, b) => a - b))
    const added = readFileSync(path.join(dir, '_delta_log/00000000000000000002.json'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .find((a) => a.add)
    expect(JSON.parse(added.add.stats)).toMatchObject({ numRecords: 10, tightBounds: false })
  }, 60_000)
})
