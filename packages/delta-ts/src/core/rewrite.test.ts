import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs'
import * as path from 'node:path'
import * as arrow from 'apache-arrow'
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
import { CommitConflictError, DeltaTable, MergeBuilder } from '../index.js'
import { deletionVectorPath } from '../protocol/deletion-vector.js'
import type { Snapshot } from './snapshot.js'
import { updateTable } from './update.js'

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
    expect(r.metrics).toMatchObject({
      numDeletedRows: 12,
      numFilesRemoved: 0,
      numFilesAdded: 0,
      numDeletionVectorsAdded: 3,
    })
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
    expect(r2.metrics).toMatchObject({ numDeletedRows: 50, numFilesRemoved: 1, numDeletionVectorsUpdated: 1 })
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
    expect(r3).toMatchObject({ metrics: { numDeletedRows: 0 }, version: r2.version })
  }, 60_000)

  it('removes a file whose remaining rows all match, counting only its live rows', async () => {
    const { table } = await dvOrders()
    await table.delete("day = '2024-01-03' AND status = 'open'")
    const r = await table.delete("day = '2024-01-03' AND status = 'done'")
    expect(r.metrics).toMatchObject({ numDeletedRows: 20, numFilesRemoved: 1, numDeletionVectorsRemoved: 1 })
    expect((await (await table.snapshot()).files()).length).toBe(2)
  })

  it('deletes every row with "true" by removing the files', async () => {
    const { table } = await dvOrders()
    const r = await table.delete('true')
    expect(r.metrics).toMatchObject({ numDeletedRows: 120, numFilesRemoved: 3 })
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
    expect(r.metrics).toMatchObject({ numFilesRemoved: 1, numFilesAdded: 1, numDeletionVectorsAdded: 0 })
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

/** Rows of the files a commit added that are not the same path as a removed one (the newly written data). */
async function writtenRows(table: DeltaTable, before: Snapshot): Promise<number> {
  const old = new Set((await before.files()).map((f) => f.path))
  const now = await (await table.snapshot()).files()
  return now.filter((f) => !old.has(f.path)).reduce((s, f) => s + (f.stats?.numRecords ?? 0), 0)
}

describe('UPDATE and MERGE on a table with deletion vectors', () => {
  it('UPDATE marks the old rows in vectors and writes only their new versions; delta-rs reads the result', async () => {
    const { dir, table, rows } = await dvOrders()
    const before = await table.snapshot()
    const r = await table.update({ predicate: "status = 'open' AND updated_at < 10", set: { status: "'closed'" } })
    expect(r.metrics).toMatchObject({
      numUpdatedRows: 15,
      numCopiedRows: 0,
      numFilesRemoved: 0,
      numDeletionVectorsAdded: 3,
    })
    expect(await writtenRows(table, before)).toBe(15)
    const expected = rows.map((o) => (o.status === 'open' && o.updated_at < 10 ? { ...o, status: 'closed' } : o))
    expect(await readOrders(table)).toEqual(sortOrders(expected))
    expect(deltaRsIds(dir)).toEqual(expected.map((o) => o.id))
    const history = await table.history({ limit: 1 })
    expect(history[0].operationMetrics).toMatchObject({ numUpdatedRows: '15', numDeletionVectorsAdded: '3' })
  }, 60_000)

  it('UPDATE after a DELETE never brings back or updates the deleted rows, and extends the vector', async () => {
    const { table, rows } = await dvOrders()
    await table.delete("day = '2024-01-01' AND updated_at < 5")
    const r = await table.update({ predicate: "day = '2024-01-01' AND updated_at < 10", set: { amount: '-1' } })
    expect(r.metrics).toMatchObject({ numUpdatedRows: 5, numDeletionVectorsUpdated: 1, numDeletionVectorsAdded: 0 })
    const files = await (await table.snapshot()).files()
    expect(
      files.find((f) => f.partitionValues.day === '2024-01-01' && f.deletionVector)?.deletionVector?.cardinality,
    ).toBe(10)
    const expected = rows
      .filter((o) => !(o.day === '2024-01-01' && o.updated_at < 5))
      .map((o) => (o.day === '2024-01-01' && o.updated_at < 10 ? { ...o, amount: -1 } : o))
    expect(await readOrders(table)).toEqual(sortOrders(expected))
  })

  it('MERGE marks updated and deleted target rows in vectors, writes updates and inserts only, copies nothing', async () => {
    const { dir, table, rows } = await dvOrders()
    const before = await table.snapshot()
    // ids 0..4 (day 1) and 40..44 (day 2) match; 200..202 are new.
    const source = [0, 1, 2, 3, 4, 40, 41, 42, 43, 44, 200, 201, 202].map((id) =>
      order(id, 'merged', 1000 + id, id >= 200 ? '2024-01-03' : id < 40 ? '2024-01-01' : '2024-01-02'),
    )
    const r = await table
      .merge(ordersTable(source), { on: 'target.id = source.id' })
      .whenMatchedDelete({ condition: 'target.id % 2 = 0' })
      .whenMatchedUpdateAll()
      .whenNotMatchedInsertAll()
      .execute()
    expect(r.metrics).toMatchObject({
      numTargetRowsDeleted: 6,
      numTargetRowsUpdated: 4,
      numTargetRowsInserted: 3,
      numCopiedRows: 0,
      numFilesRemoved: 0,
      numDeletionVectorsAdded: 2,
    })
    expect(await writtenRows(table, before)).toBe(7)
    const bySource = new Map(source.map((o) => [o.id, o]))
    const expected = [
      ...rows.filter((o) => !(bySource.has(o.id) && o.id % 2 === 0)).map((o) => bySource.get(o.id) ?? o),
      ...source.filter((o) => o.id >= 200),
    ]
    expect(await readOrders(table)).toEqual(sortOrders(expected))
    expect(deltaRsIds(dir)).toEqual(sortOrders(expected).map((o) => o.id))
    const history = await table.history({ limit: 1 })
    expect(history[0].operationMetrics).toMatchObject({ numTargetDeletionVectorsAdded: '2', numTargetRowsCopied: '0' })
  }, 60_000)

  it('UPDATE and MERGE on a column-mapped DV table after a rename mark vectors and keep every row readable', async () => {
    const dir = tmpDir()
    const table = await DeltaTable.create(dir, {
      schema: orderSchema,
      partitionBy: ['day'],
      deletionVectors: true,
      properties: { 'delta.columnMapping.mode': 'name' },
    })
    const rows = Array.from({ length: 30 }, (_, i) => order(i, 'open', i))
    await table.write(ordersTable(rows))
    await table.renameColumn('amount', 'total')
    const u = await table.update({ predicate: 'id < 5', set: { total: 'total + 1' } })
    expect(u.metrics).toMatchObject({ numUpdatedRows: 5, numCopiedRows: 0, numDeletionVectorsAdded: 1 })
    const m = await table
      .merge(arrow.tableFromArrays({ id: BigInt64Array.from([3n, 4n, 99n]) }), { on: 'target.id = source.id' })
      .whenMatchedDelete()
      .whenNotMatchedInsert({ values: { id: 'source.id', status: "'new'", updated_at: '0', day: "'2024-01-01'" } })
      .execute()
    expect(m.metrics).toMatchObject({ numTargetRowsDeleted: 2, numTargetRowsInserted: 1, numCopiedRows: 0 })
    const t = await (await table.snapshot()).scan().toArrow()
    const got = t
      .toArray()
      .map((r) => r.toJSON())
      .map((r) => [Number(r.id), r.total === null ? null : Number(r.total)])
      .sort((a, b) => (a[0] as number) - (b[0] as number))
    const want = [
      ...rows.filter((o) => o.id !== 3 && o.id !== 4).map((o) => [o.id, o.id < 5 ? o.amount! + 1 : o.amount]),
      [99, null],
    ]
    expect(got).toEqual(want)
    expect(deltaRsIds(dir)).toEqual(want.map((w) => w[0]))
  }, 60_000)

  it('MERGE that only marks rows in vectors (no file written or removed) still commits', async () => {
    const { table, rows } = await dvOrders()
    const before = (await table.snapshot()).version
    const r = await table
      .merge(ordersTable([order(0, 'x', 0)]), { on: 'target.id = source.id' })
      .whenNotMatchedBySourceDelete({ condition: 'target.updated_at < 3' })
      .execute()
    expect(r.version).toBe(before + 1)
    expect(r.metrics).toMatchObject({ numTargetRowsDeleted: 8, numFilesAdded: 0, numFilesRemoved: 0 })
    expect(await readOrders(table)).toEqual(sortOrders(rows.filter((o) => o.id === 0 || o.updated_at >= 3)))
  })

  it('MERGE that deletes every live row of a file removes the file whole', async () => {
    const { table, rows } = await dvOrders()
    await table.delete("day = '2024-01-02' AND status = 'open'")
    const r = await table
      .merge(ordersTable([order(9999, 'x', 0, '2024-01-05')]), { on: 'target.id = source.id' })
      .whenNotMatchedBySourceDelete({ condition: "target.day = '2024-01-02'" })
      .execute()
    expect(r.metrics).toMatchObject({ numTargetRowsDeleted: 20, numFilesRemoved: 1, numDeletionVectorsRemoved: 1 })
    expect((await (await table.snapshot()).files()).some((f) => f.partitionValues.day === '2024-01-02')).toBe(false)
    expect(await readOrders(table)).toEqual(sortOrders(rows.filter((o) => o.day !== '2024-01-02')))
  })
})

describe('concurrent DML on a table with deletion vectors (two transactions from one pinned snapshot)', () => {
  const pinnedMerge = (snapshot: Snapshot, source: Parameters<DeltaTable['merge']>[0]) =>
    new MergeBuilder({ snapshot: async () => snapshot }, source, { on: 'target.id = source.id' })

  it('an UPDATE and a MERGE that change the vector of the same file conflict; the loser commits nothing', async () => {
    const { table, rows } = await dvOrders()
    const snap = await table.snapshot()
    await updateTable(snap, { predicate: 'id = 1', set: { status: "'A'" } })
    const err = await pinnedMerge(snap, ordersTable([order(2, 'B', 0)]))
      .whenMatchedUpdateAll()
      .execute()
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(CommitConflictError)
    // The winner re-added the file (same path, new vector) where this MERGE read, and removed the file it read
    // and removes: Spark's checks, in Spark's order, fire on the first of these.
    expect(['ConcurrentAppend', 'ConcurrentDeleteRead', 'ConcurrentDeleteDelete']).toContain(
      (err as CommitConflictError).kind,
    )
    const now = await readOrders(await DeltaTable.open(table.uri))
    expect(now.find((o) => o.id === 1)?.status).toBe('A')
    expect(now.find((o) => o.id === 2)).toEqual(rows.find((o) => o.id === 2))
  })

  it('two UPDATEs that change the vectors of different files both commit', async () => {
    const { table, rows } = await dvOrders()
    const snap = await table.snapshot()
    const a = await updateTable(snap, { predicate: "day = '2024-01-01' AND id = 1", set: { status: "'A'" } })
    const b = await updateTable(snap, { predicate: "day = '2024-01-02' AND id = 41", set: { status: "'B'" } })
    expect(b.version).toBe(a.version + 1)
    const now = await readOrders(await DeltaTable.open(table.uri))
    expect(now).toEqual(
      sortOrders(rows.map((o) => (o.id === 1 ? { ...o, status: 'A' } : o.id === 41 ? { ...o, status: 'B' } : o))),
    )
    const files = await (await table.snapshot()).files()
    expect(files.filter((f) => f.deletionVector?.cardinality === 1)).toHaveLength(2)
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
    expect(opt.metrics.numDeletionVectorsRemoved).toBe(2)
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
    expect(r.metrics).toMatchObject({ numDeletedRows: 1, numDeletionVectorsUpdated: 1 })
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

describe('copy-on-write MERGE into a partitioned table', () => {
  it('writes each rewritten partition before reading the next: inserts of partitions written early get their own file, rows are the merge result', async () => {
    const { table, rows } = await dvOrders({ deletionVectors: false })
    const before = await table.snapshot()
    // One match in each of the 3 days (files read day by day) and one new row per day.
    const source = [0, 40, 80, 300, 301, 302].map((id, k) =>
      order(id, 'merged', 1000 + id, ['2024-01-01', '2024-01-02', '2024-01-03'][k % 3]),
    )
    const r = await table
      .merge(ordersTable(source), { on: 'target.id = source.id' })
      .whenMatchedUpdateAll()
      .whenNotMatchedInsertAll()
      .execute()
    // 3 rewritten files; the inserts of days 1 and 2 (flushed when the next day started) in 2 more files,
    // day 3's inserts in its rewritten file (still buffered when they came).
    expect(r.metrics).toMatchObject({
      numTargetRowsUpdated: 3,
      numTargetRowsInserted: 3,
      numFilesRemoved: 3,
      numFilesAdded: 5,
      numDeletionVectorsAdded: 0,
    })
    const old = new Set((await before.files()).map((f) => f.path))
    const perDay = new Map<string, number>()
    for (const f of await (await table.snapshot()).files()) {
      if (old.has(f.path)) continue
      const day = String(f.partitionValues.day)
      perDay.set(day, (perDay.get(day) ?? 0) + 1)
    }
    expect(Object.fromEntries(perDay)).toEqual({ '2024-01-01': 2, '2024-01-02': 2, '2024-01-03': 1 })
    const bySource = new Map(source.map((o) => [o.id, o]))
    const expected = [...rows.map((o) => bySource.get(o.id) ?? o), ...source.filter((o) => o.id >= 300)]
    expect(await readOrders(table)).toEqual(sortOrders(expected))
  }, 60_000)
})
