import { cpSync } from 'node:fs'
import * as path from 'node:path'
import * as arrow from 'apache-arrow'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DeltaTable } from '../../src/index.js'
import { canonicalRows, type WireRow } from './canon.js'
import { expectPyVersion, readWithDeltaTs, type TsVersion } from './compare.js'
import { deltalake, ensureVenv, type PyRead, runSpark, type SparkSqlResult, scratch } from './harness.js'

// Issue 20 against Spark (delta-spark 4.0.1) and delta-rs: deletion vectors written by delta-ts's DELETE,
// UPDATE and MERGE are read by Spark and delta-rs at every version (also after a second DELETE on the same
// files, a checkpoint, a purge, a vacuum) and continued by Spark's own DELETE, UPDATE and MERGE; delta-ts
// continues a Spark DV table with its own DELETE, UPDATE and MERGE vectors and Spark and delta-rs read it back.

type Row = { id: number; v: string; day: string }
const dayOf = (id: number) => `2024-01-0${1 + Math.min(2, Math.floor(id / 50))}`

/** 3 days x 50 rows, one file per day. */
const initialRows: Row[] = Array.from({ length: 150 }, (_, id) => ({ id, v: `v${id}`, day: dayOf(id) }))

function table(rows: readonly Row[]): arrow.Table {
  return new arrow.Table({
    id: arrow.makeVector(Int32Array.from(rows.map((r) => r.id))),
    v: arrow.vectorFromArray(
      rows.map((r) => r.v),
      new arrow.Utf8(),
    ),
    day: arrow.vectorFromArray(
      rows.map((r) => r.day),
      new arrow.Utf8(),
    ),
  })
}

/** The MERGE source delta-ts runs: ids 0..9 and 60, 61 match (even ids deleted, odd updated), 200..202 new. */
const tsMergeSource: Row[] = [0, 1, 2, 4, 5, 6, 8, 9, 60, 61, 200, 201, 202].map((id) => ({
  id,
  v: `m${id}`,
  day: dayOf(id),
}))

/** Spark MERGE semantics for the clauses both engines use here: matched even source id → delete, else update. */
function mergeModel<R extends { id: number }>(target: R[], source: R[]): R[] {
  const bySource = new Map(source.map((s) => [s.id, s]))
  const out = target
    .filter((t) => !(bySource.has(t.id) && t.id % 2 === 0))
    .map((t) => (bySource.has(t.id) ? bySource.get(t.id)! : t))
  const targetIds = new Set(target.map((t) => t.id))
  return [...out, ...source.filter((s) => !targetIds.has(s.id))]
}

/** Model rows in the interop wire form (integers as decimal strings, see canon.ts). */
const wire = (rows: readonly { id: number; v: string; day?: string }[]): string[] =>
  canonicalRows(rows.map((r) => ({ ...r, id: String(r.id) }) as WireRow))
const asRows = (rows: WireRow[]): Row[] => rows.map((r) => ({ id: Number(r.id), v: String(r.v), day: String(r.day) }))

describe('deletion vectors with Spark (delta-spark 4.0.1) and delta-rs', () => {
  const tmp = scratch('spark-dv')
  afterAll(() => tmp.cleanup())
  const dir = (name: string) => path.join(tmp.dir, name)
  const out = (name: string) => path.join(tmp.dir, `${name}.json`)
  const tsVersions: TsVersion[] = []
  /** The model's rows at each version of ts-dv. */
  const modelVersions: Row[][] = []
  let vacuumedLatest: TsVersion
  let sparkContinued: SparkSqlResult
  let tsOnSpark: { before: WireRow[]; after: TsVersion[]; model: { id: number; v: string }[][] }
  let sparkReadsTsOnSpark: PyRead
  let reads: { all: PyRead; vacuumed: PyRead }
  let rsReads: { all: PyRead; vacuumed: PyRead; tsOnSpark: PyRead; sparkContinued: PyRead }

  beforeAll(async () => {
    await ensureVenv()
    // delta-ts: v0 create, v1 write, v2 DELETE (a vector in every file), v3 UPDATE (vectors extended, new
    // versions written), v4 MERGE (delete, update, insert), v5 DELETE again (vectors extended, the files of
    // one day emptied and removed), checkpoint at v5, v6 DELETE after the checkpoint, v7 REORG PURGE.
    const t = await DeltaTable.create(dir('ts-dv'), {
      schema: table([]).schema,
      partitionBy: ['day'],
      deletionVectors: true,
    })
    let model: Row[] = []
    const step = (next: Row[]) => {
      model = next
      modelVersions.push(next)
    }
    step([])
    await t.write(table(initialRows))
    step(initialRows)
    await t.delete('id % 10 = 3')
    step(model.filter((r) => r.id % 10 !== 3))
    const u = await t.update({ predicate: 'id % 10 = 1', set: { v: "'upd'" } })
    expect(u.metrics).toMatchObject({ numCopiedRows: 0, numDeletionVectorsUpdated: 3 })
    step(model.map((r) => (r.id % 10 === 1 ? { ...r, v: 'upd' } : r)))
    const m = await t
      .merge(table(tsMergeSource), { on: 'target.id = source.id' })
      .whenMatchedDelete({ condition: 'source.id % 2 = 0' })
      .whenMatchedUpdateAll()
      .whenNotMatchedInsertAll()
      .execute()
    expect(m.metrics).toMatchObject({ numCopiedRows: 0, numFilesRemoved: 0 })
    expect(m.metrics.numDeletionVectorsUpdated).toBeGreaterThan(0)
    step(mergeModel(model, tsMergeSource))
    const d = await t.delete("id % 10 = 4 OR day = '2024-01-02'")
    expect(d.metrics.numFilesRemoved).toBeGreaterThan(0)
    step(model.filter((r) => !(r.id % 10 === 4 || r.day === '2024-01-02')))
    await t.checkpoint()
    cpSync(dir('ts-dv'), dir('ts-dv.spark-continues'), { recursive: true })
    await t.delete('id = 7')
    step(model.filter((r) => r.id !== 7))
    await t.optimize({ purgeDeletionVectors: true })
    step(model)
    const latest = await t.version()
    for (let v = 0; v <= latest; v++) tsVersions.push(await readWithDeltaTs(dir('ts-dv'), v))
    cpSync(dir('ts-dv'), dir('ts-dv.vacuumed'), { recursive: true })
    const vt = await DeltaTable.open(dir('ts-dv.vacuumed'))
    await vt.delete('id = 8')
    await vt.vacuum({ retentionHours: 0, enforceRetentionDuration: false })
    vacuumedLatest = await readWithDeltaTs(dir('ts-dv.vacuumed'))

    const sparkDv = dir('spark-dv')
    const continued = `delta.\`${dir('ts-dv.spark-continues')}\``
    const first = await runSpark(
      [
        { kind: 'read', dir: dir('ts-dv'), out: out('read-all'), versions: 'all' },
        { kind: 'read', dir: dir('ts-dv.vacuumed'), out: out('read-vacuumed'), versions: 'latest' },
        {
          kind: 'sql',
          out: out('spark-continues'),
          statements: [
            `DELETE FROM ${continued} WHERE id % 10 = 5`,
            `UPDATE ${continued} SET v = 'spark' WHERE id % 10 = 6`,
            `MERGE INTO ${continued} t USING (SELECT * FROM VALUES (10, 's10', '2024-01-01'), (11, 's11', '2024-01-01'), (12, 's12', '2024-01-01'), (300, 's300', '2024-01-03') AS s(id, v, day)) s ON t.id = s.id WHEN MATCHED AND s.id % 2 = 0 THEN DELETE WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *`,
            `CREATE TABLE delta.\`${sparkDv}\` (id INT, v STRING) USING delta TBLPROPERTIES ('delta.enableDeletionVectors' = 'true')`,
            `INSERT INTO delta.\`${sparkDv}\` SELECT id, concat('s', id) FROM range(0, 100) DISTRIBUTE BY id % 2`,
            `DELETE FROM delta.\`${sparkDv}\` WHERE id % 5 = 0`,
            `UPDATE delta.\`${sparkDv}\` SET v = 'su' WHERE id % 5 = 1`,
          ],
          queries: {
            continued: `SELECT * FROM ${continued}`,
            sparkDv: `SELECT * FROM delta.\`${sparkDv}\``,
          },
        },
      ],
      path.join(tmp.dir, 'job1.json'),
    )
    reads = { all: first[0] as PyRead, vacuumed: first[1] as PyRead }
    sparkContinued = first[2] as SparkSqlResult
    // delta-ts continues Spark's DV table with its own DELETE, UPDATE and MERGE; Spark reads every version back.
    const before = (await readWithDeltaTs(sparkDv)).rows
    const st = await DeltaTable.open(sparkDv)
    const v0 = await st.version()
    let sm = before.map((r) => ({ id: Number(r.id), v: String(r.v) }))
    const smodel = [sm]
    const r1 = await st.delete('id % 3 = 0')
    expect(r1.metrics.numDeletionVectorsUpdated).toBeGreaterThan(0)
    sm = sm.filter((r) => r.id % 3 !== 0)
    smodel.push(sm)
    await st.update({ predicate: 'id % 7 = 1', set: { v: "'ts'" } })
    sm = sm.map((r) => (r.id % 7 === 1 ? { ...r, v: 'ts' } : r))
    smodel.push(sm)
    const source = [1, 2, 4, 5, 500].map((id) => ({ id, v: `tm${id}` }))
    await st
      .merge(
        new arrow.Table({
          id: arrow.makeVector(Int32Array.from(source.map((r) => r.id))),
          v: arrow.vectorFromArray(
            source.map((r) => r.v),
            new arrow.Utf8(),
          ),
        }),
        { on: 'target.id = source.id' },
      )
      .whenMatchedDelete({ condition: 'source.id % 2 = 0' })
      .whenMatchedUpdateAll()
      .whenNotMatchedInsertAll()
      .execute()
    sm = mergeModel(sm, source)
    smodel.push(sm)
    const after: TsVersion[] = []
    for (let v = v0; v <= (await st.version()); v++) after.push(await readWithDeltaTs(sparkDv, v))
    tsOnSpark = { before, after, model: smodel }
    const second = await runSpark(
      [{ kind: 'read', dir: sparkDv, out: out('read-ts-on-spark'), versions: 'all' }],
      path.join(tmp.dir, 'job2.json'),
    )
    sparkReadsTsOnSpark = second[0] as PyRead
    rsReads = {
      all: await deltalake.read(dir('ts-dv'), out('rs-all'), 'all'),
      vacuumed: await deltalake.read(dir('ts-dv.vacuumed'), out('rs-vacuumed'), 'latest'),
      tsOnSpark: await deltalake.read(sparkDv, out('rs-ts-on-spark'), 'latest'),
      sparkContinued: await deltalake.read(dir('ts-dv.spark-continues'), out('rs-continued'), 'latest'),
    }
  }, 900_000)

  it('delta-ts reads every version of its DV table (DELETE, UPDATE, MERGE, second DELETE, purge) like the model', () => {
    expect(tsVersions.map((v) => wire(asRows(v.rows)))).toEqual(modelVersions.map(wire))
  })

  it('Spark reads every version of a delta-ts DV table (DELETE, UPDATE, MERGE, second DELETE on the same files, checkpoint, purge) like delta-ts', () => {
    expect(reads.all.latestVersion).toBe(tsVersions.length - 1)
    for (const want of tsVersions) {
      expectPyVersion(
        reads.all.versions.find((v) => v.version === want.version),
        want,
        `spark reading ts-dv v${want.version}`,
      )
    }
    expect(reads.all.protocol.readerFeatures).toContain('deletionVectors')
  })

  it('delta-rs reads every version of a delta-ts DV table like delta-ts, and the vacuumed copy', () => {
    expect(rsReads.all.latestVersion).toBe(tsVersions.length - 1)
    for (const want of tsVersions) {
      expectPyVersion(
        rsReads.all.versions.find((v) => v.version === want.version),
        want,
        `delta-rs reading ts-dv v${want.version}`,
      )
    }
    expectPyVersion(rsReads.vacuumed.versions[0], vacuumedLatest, 'delta-rs reading ts-dv.vacuumed (latest)')
  })

  it('Spark reads a delta-ts DV table after vacuum deleted the dead DV files', () => {
    expectPyVersion(reads.vacuumed.versions[0], vacuumedLatest, 'spark reading ts-dv.vacuumed (latest)')
  })

  it("Spark's DELETE, UPDATE and MERGE continue a table whose vectors delta-ts wrote; delta-ts and delta-rs read the result", async () => {
    let expected = asRows(tsVersions[5].rows).filter((r) => r.id % 10 !== 5)
    expected = expected.map((r) => (r.id % 10 === 6 ? { ...r, v: 'spark' } : r))
    expected = mergeModel(expected, [
      { id: 10, v: 's10', day: '2024-01-01' },
      { id: 11, v: 's11', day: '2024-01-01' },
      { id: 12, v: 's12', day: '2024-01-01' },
      { id: 300, v: 's300', day: '2024-01-03' },
    ])
    expect(canonicalRows(sparkContinued.queries.continued.rows)).toEqual(wire(expected))
    const table = await DeltaTable.open(dir('ts-dv.spark-continues'))
    const history = await table.history({ limit: 3 })
    expect(history.map((h) => h.operation)).toEqual(['MERGE', 'UPDATE', 'DELETE'])
    // Spark marked rows in the vectors delta-ts wrote (merge-on-read), it did not rewrite the files.
    expect(Number(history[2].operationMetrics?.numDeletionVectorsUpdated)).toBeGreaterThan(0)
    expect(Number(history[1].operationMetrics?.numDeletionVectorsUpdated)).toBeGreaterThan(0)
    const latest = await readWithDeltaTs(dir('ts-dv.spark-continues'))
    expect(wire(asRows(latest.rows))).toEqual(wire(expected))
    expectPyVersion(rsReads.sparkContinued.versions[0], latest, 'delta-rs reading ts-dv.spark-continues (latest)')
  })

  it("delta-ts's DELETE, UPDATE and MERGE continue Spark's DV table with its own vectors; Spark and delta-rs read every version", () => {
    expect(canonicalRows(tsOnSpark.before)).toEqual(canonicalRows(sparkContinued.queries.sparkDv.rows))
    expect(tsOnSpark.after.map((v) => canonicalRows(v.rows))).toEqual(tsOnSpark.model.map(wire))
    for (const want of tsOnSpark.after) {
      expectPyVersion(
        sparkReadsTsOnSpark.versions.find((v) => v.version === want.version),
        want,
        `spark reading spark-dv v${want.version} after delta-ts DML`,
      )
    }
    expectPyVersion(rsReads.tsOnSpark.versions[0], tsOnSpark.after.at(-1)!, 'delta-rs reading spark-dv (latest)')
  })
})
