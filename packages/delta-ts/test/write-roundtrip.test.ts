import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import * as arrow from 'apache-arrow'
import { afterEach, describe, expect, it } from 'vitest'
import { DeltaError, DeltaTable } from '../src/index.js'

/** End-to-end writes through the public API on real local files. */
const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})
function tmp(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'delta-ts-write-'))
  dirs.push(d)
  return d
}

const schema = new arrow.Schema([
  new arrow.Field('id', new arrow.Int64(), false),
  new arrow.Field('name', new arrow.Utf8(), true),
  new arrow.Field('date', new arrow.DateDay(), true),
])
function rows(ids: number[], date = '2024-01-01', name = 'n'): arrow.Table {
  const days = Math.floor(Date.parse(`${date}T00:00:00Z`) / 86_400_000)
  return new arrow.Table(schema, [
    new arrow.RecordBatch(
      schema,
      arrow.makeData({
        type: new arrow.Struct(schema.fields),
        length: ids.length,
        children: [
          arrow.makeData({ type: new arrow.Int64(), data: BigInt64Array.from(ids.map(BigInt)) }),
          arrow.vectorFromArray(
            ids.map((i) => `${name}${i}`),
            new arrow.Utf8(),
          ).data[0],
          arrow.makeData({ type: new arrow.DateDay(), data: Int32Array.from(ids.map(() => days)) }),
        ],
      }),
    ),
  ])
}
async function ids(table: DeltaTable, filter?: string): Promise<number[]> {
  const t = await (await table.snapshot()).scan({ filter }).toArrow()
  return [...t.getChild('id')!].map(Number).sort((a, b) => a - b)
}

describe('writes end to end', () => {
  it('creates, appends, overwrites and reads back exactly', async () => {
    const uri = tmp()
    const table = await DeltaTable.create(uri, { schema, partitionBy: ['date'], name: 't', description: 'd' })
    const snap0 = await table.snapshot()
    expect(snap0.version).toBe(0)
    expect(snap0.protocol).toEqual({ minReaderVersion: 1, minWriterVersion: 2 })
    expect(snap0.partitionColumns).toEqual(['date'])
    const w1 = await table.write(rows([1, 2, 3]))
    expect(w1).toMatchObject({ version: 1, skipped: false, metrics: { numOutputRows: 3 } })
    await table.write(rows([4, 5], '2024-01-02'))
    expect(await ids(table)).toEqual([1, 2, 3, 4, 5])
    expect(readdirSync(uri).sort()).toEqual(['_delta_log', 'date=2024-01-01', 'date=2024-01-02'])
    await table.write(rows([9]), { mode: 'overwrite' })
    expect(await ids(table)).toEqual([9])
    const h = await table.history()
    expect(h.map((e) => e.operation)).toEqual(['WRITE', 'WRITE', 'WRITE', 'CREATE TABLE'])
    expect(h[0].operationParameters).toMatchObject({ mode: 'Overwrite' })
    expect(h[0].engineInfo).toMatch(/^delta-ts\//)
    expect(h[1]).toMatchObject({ isBlindAppend: true, readVersion: 1, isolationLevel: 'Serializable' })
    expect(h[1].operationMetrics).toMatchObject({ numFiles: '1', numOutputRows: '2' })
  })

  it('replaceWhere replaces one partition and refuses rows outside it', async () => {
    const table = await DeltaTable.create(tmp(), { schema, partitionBy: ['date'] })
    await table.write(rows([1, 2]))
    await table.write(rows([3, 4], '2024-01-02'))
    await table.write(rows([30], '2024-01-02'), { mode: 'overwrite', replaceWhere: "date = '2024-01-02'" })
    expect(await ids(table)).toEqual([1, 2, 30])
    const err = await table
      .write(rows([99], '2024-01-05'), { mode: 'overwrite', replaceWhere: "date = '2024-01-02'" })
      .catch((e) => e)
    expect(err).toBeInstanceOf(DeltaError)
    expect(err.code).toBe('CONSTRAINT_VIOLATION')
    expect(await ids(table)).toEqual([1, 2, 30])
  })

  it('replaceWhere on a data column rewrites files keeping the rows that do not match', async () => {
    const table = await DeltaTable.create(tmp(), { schema })
    await table.write(rows([1, 2, 3, 4]))
    await table.write(rows([10, 11]), { mode: 'overwrite', replaceWhere: 'id >= 3' })
    expect(await ids(table)).toEqual([1, 2, 10, 11])
  })

  it('deletes by partition without reading files, and by data column by rewriting', async () => {
    const table = await DeltaTable.create(tmp(), { schema, partitionBy: ['date'] })
    await table.write(rows([1, 2, 3]))
    await table.write(rows([4, 5], '2024-01-02'))
    const d1 = await table.delete("date = '2024-01-02'")
    expect(d1.metrics).toMatchObject({ numFilesRemoved: 1, numFilesAdded: 0, numDeletedRows: 2 })
    const d2 = await table.delete('id = 2')
    expect(d2.metrics).toMatchObject({ numFilesRemoved: 1, numFilesAdded: 1, numDeletedRows: 1, numCopiedRows: 2 })
    expect(await ids(table)).toEqual([1, 3])
    const none = await table.delete('id = 42')
    expect(none.version).toBe(d2.version)
  })

  it('idempotent writes: a txn already applied is skipped and says so', async () => {
    const table = await DeltaTable.create(tmp(), { schema })
    await table.write(rows([1]), { txn: { appId: 'job', version: 1 } })
    const again = await table.write(rows([1]), { txn: { appId: 'job', version: 1 } })
    expect(again.skipped).toBe(true)
    expect(again.skipReason).toContain('job')
    expect(await ids(table)).toEqual([1])
    await table.write(rows([2]), { txn: { appId: 'job', version: 2 } })
    expect(await (await table.snapshot()).appTransactionVersion('job')).toBe(2)
  })

  it('schema mismatch names the field; merge adds the column in the same commit', async () => {
    const table = await DeltaTable.create(tmp(), { schema })
    const extra = arrow.tableFromArrays({ id: BigInt64Array.from([7n]), extra: Float64Array.from([1.5]) })
    const err = await table.write(extra).catch((e) => e)
    expect(err.code).toBe('SCHEMA_MISMATCH')
    expect(err.message).toContain('extra')
    const r = await table.write(extra, { schemaMode: 'merge' })
    const snap = await table.snapshot()
    expect(snap.version).toBe(r.version)
    expect(snap.schema.fields.map((f) => f.name)).toEqual(['id', 'name', 'date', 'extra'])
  })

  it('checkpoints every delta.checkpointInterval commits and reads back from the checkpoint', async () => {
    const uri = tmp()
    const table = await DeltaTable.create(uri, { schema, properties: { 'delta.checkpointInterval': '3' } })
    for (let i = 0; i < 4; i++) await table.write(rows([i]))
    expect(readdirSync(path.join(uri, '_delta_log'))).toContain('00000000000000000003.checkpoint.parquet')
    const fresh = await DeltaTable.open(uri)
    expect(await ids(fresh)).toEqual([0, 1, 2, 3])
    expect((await fresh.snapshot()).version).toBe(4)
  })

  it('a crash between data write and commit leaves the table unchanged; vacuum removes the orphan', async () => {
    const uri = tmp()
    const table = await DeltaTable.create(uri, { schema })
    await table.write(rows([1]))
    // Simulate the crash: data files of a second write land, but the commit put fails.
    const snap = await table.snapshot()
    const failing = { ...snap.storage, rootUri: snap.storage.rootUri }
    Object.setPrototypeOf(failing, Object.getPrototypeOf(snap.storage))
    const put = snap.storage.put.bind(snap.storage)
    ;(failing as typeof snap.storage).put = async (p, d, o) => {
      if (p.startsWith('_delta_log/')) throw new DeltaError('STORAGE_TRANSIENT', 'power cut')
      return put(p, d, o)
    }
    const crashing = await DeltaTable.open(uri, { storage: failing as typeof snap.storage })
    await expect(crashing.write(rows([2]))).rejects.toThrow('power cut')
    expect(await ids(await DeltaTable.open(uri))).toEqual([1])
    const dry = await table.vacuum({ retentionHours: 0, enforceRetentionDuration: false, dryRun: true })
    expect(dry.files).toHaveLength(1)
    await table.vacuum({ retentionHours: 0, enforceRetentionDuration: false })
    expect(await ids(await DeltaTable.open(uri))).toEqual([1])
    expect((await table.vacuum({ retentionHours: 0, enforceRetentionDuration: false, dryRun: true })).files).toEqual([])
  })

  it('vacuum refuses a retention shorter than the table allows without an explicit override', async () => {
    const table = await DeltaTable.create(tmp(), { schema })
    const err = await table.vacuum({ retentionHours: 1 }).catch((e) => e)
    expect(err.code).toBe('INVALID_ARGUMENT')
  })
})
