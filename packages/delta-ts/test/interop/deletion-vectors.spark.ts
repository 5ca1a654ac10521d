import { cpSync } from 'node:fs'
import * as path from 'node:path'
import * as arrow from 'apache-arrow'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DeltaTable } from '../../src/index.js'
import { canonicalRows, type WireRow } from './canon.js'
import { expectPyVersion, readWithDeltaTs, type TsVersion } from './compare.js'
import { ensureVenv, type PyRead, runSpark, type SparkSqlResult, scratch } from './harness.js'

// Issue 20 against Spark (delta-spark 4.0.1): deletion vectors written by delta-ts are read by Spark at every
// version (after a DELETE, a second DELETE on the same file, a checkpoint, a purge, a vacuum) and continued by
// Spark's own DELETE; delta-ts continues a Spark DV table with its own vectors and Spark reads it back.

/** 3 days x 50 rows, one file per day. */
function rows(): arrow.Table {
  const n = 150
  return new arrow.Table({
    id: arrow.makeVector(Int32Array.from({ length: n }, (_, i) => i)),
    v: arrow.vectorFromArray(
      Array.from({ length: n }, (_, i) => `v${i}`),
      new arrow.Utf8(),
    ),
    day: arrow.vectorFromArray(
      Array.from({ length: n }, (_, i) => `2024-01-0${1 + Math.floor(i / 50)}`),
      new arrow.Utf8(),
    ),
  })
}

describe('deletion vectors with Spark (delta-spark 4.0.1)', () => {
  const tmp = scratch('spark-dv')
  afterAll(() => tmp.cleanup())
  const dir = (name: string) => path.join(tmp.dir, name)
  const out = (name: string) => path.join(tmp.dir, `${name}.json`)
  const tsVersions: TsVersion[] = []
  let vacuumedLatest: TsVersion
  let sparkContinued: SparkSqlResult
  let tsOnSpark: { before: WireRow[]; after: TsVersion }
  let sparkReadsTsOnSpark: PyRead
  let reads: { all: PyRead; vacuumed: PyRead }

  beforeAll(async () => {
    await ensureVenv()
    // delta-ts: v0 create, v1 write, v2 DELETE (a vector in every file), v3 DELETE again (vectors extended, a
    // file emptied and removed), checkpoint at v3, v4 DELETE after the checkpoint, v5 REORG PURGE.
    const t = await DeltaTable.create(dir('ts-dv'), {
      schema: rows().schema,
      partitionBy: ['day'],
      deletionVectors: true,
    })
    await t.write(rows())
    await t.delete('id % 10 = 3')
    await t.delete("id % 10 = 4 OR day = '2024-01-02'")
    await t.checkpoint()
    cpSync(dir('ts-dv'), dir('ts-dv.spark-continues'), { recursive: true })
    await t.delete('id = 7')
    await t.optimize({ purgeDeletionVectors: true })
    const latest = await t.version()
    for (let v = 0; v <= latest; v++) tsVersions.push(await readWithDeltaTs(dir('ts-dv'), v))
    cpSync(dir('ts-dv'), dir('ts-dv.vacuumed'), { recursive: true })
    const vt = await DeltaTable.open(dir('ts-dv.vacuumed'))
    await vt.delete('id = 8')
    await vt.vacuum({ retentionHours: 0, enforceRetentionDuration: false })
    vacuumedLatest = await readWithDeltaTs(dir('ts-dv.vacuumed'))

    const sparkDv = dir('spark-dv')
    const first = await runSpark(
      [
        { kind: 'read', dir: dir('ts-dv'), out: out('read-all'), versions: 'all' },
        { kind: 'read', dir: dir('ts-dv.vacuumed'), out: out('read-vacuumed'), versions: 'latest' },
        {
          kind: 'sql',
          out: out('spark-continues'),
          statements: [
            `DELETE FROM delta.\`${dir('ts-dv.spark-continues')}\` WHERE id % 10 = 5`,
            `CREATE TABLE delta.\`${sparkDv}\` (id INT, v STRING) USING delta TBLPROPERTIES ('delta.enableDeletionVectors' = 'true')`,
            `INSERT INTO delta.\`${sparkDv}\` SELECT id, concat('s', id) FROM range(0, 100) DISTRIBUTE BY id % 2`,
            `DELETE FROM delta.\`${sparkDv}\` WHERE id % 5 = 0`,
          ],
          queries: {
            continued: `SELECT * FROM delta.\`${dir('ts-dv.spark-continues')}\``,
            sparkDv: `SELECT * FROM delta.\`${sparkDv}\``,
          },
        },
      ],
      path.join(tmp.dir, 'job1.json'),
    )
    reads = { all: first[0] as PyRead, vacuumed: first[1] as PyRead }
    sparkContinued = first[2] as SparkSqlResult
    // delta-ts continues Spark's DV table with its own vectors; Spark reads it back.
    const before = (await readWithDeltaTs(sparkDv)).rows
    const st = await DeltaTable.open(sparkDv)
    const r = await st.delete('id % 3 = 0')
    expect(r.numDeletionVectorsUpdated).toBeGreaterThan(0)
    tsOnSpark = { before, after: await readWithDeltaTs(sparkDv) }
    const second = await runSpark(
      [{ kind: 'read', dir: sparkDv, out: out('read-ts-on-spark'), versions: 'latest' }],
      path.join(tmp.dir, 'job2.json'),
    )
    sparkReadsTsOnSpark = second[0] as PyRead
  }, 900_000)

  it('Spark reads every version of a delta-ts DV table (DELETE, second DELETE on the same files, checkpoint, purge) like delta-ts', () => {
    expect(reads.all.latestVersion).toBe(tsVersions.length - 1)
    expect(tsVersions.map((v) => v.rows.length)).toEqual([0, 150, 135, 80, 79, 79])
    for (const want of tsVersions) {
      expectPyVersion(
        reads.all.versions.find((v) => v.version === want.version),
        want,
        `spark reading ts-dv v${want.version}`,
      )
    }
    expect(reads.all.protocol.readerFeatures).toContain('deletionVectors')
  })

  it('Spark reads a delta-ts DV table after vacuum deleted the dead DV files', () => {
    expectPyVersion(reads.vacuumed.versions[0], vacuumedLatest, 'spark reading ts-dv.vacuumed (latest)')
  })

  it("Spark's DELETE continues a table whose vectors delta-ts wrote, extending them; delta-ts reads the result", async () => {
    const base = tsVersions[3].rows
    const expected = base.filter((r) => Number(r.id) % 10 !== 5)
    expect(canonicalRows(sparkContinued.queries.continued.rows)).toEqual(canonicalRows(expected))
    const table = await DeltaTable.open(dir('ts-dv.spark-continues'))
    const [last] = await table.history({ limit: 1 })
    expect(last.operation).toBe('DELETE')
    expect(Number(last.operationMetrics?.numDeletionVectorsUpdated)).toBeGreaterThan(0)
    expect(canonicalRows((await readWithDeltaTs(dir('ts-dv.spark-continues'))).rows)).toEqual(canonicalRows(expected))
  })

  it("delta-ts's DELETE continues Spark's DV table with its own vectors and Spark reads the result", () => {
    expect(canonicalRows(tsOnSpark.before)).toEqual(canonicalRows(sparkContinued.queries.sparkDv.rows))
    const expected = tsOnSpark.before.filter((r) => Number(r.id) % 3 !== 0)
    expect(canonicalRows(tsOnSpark.after.rows)).toEqual(canonicalRows(expected))
    expectPyVersion(sparkReadsTsOnSpark.versions[0], tsOnSpark.after, 'spark reading spark-dv after delta-ts DELETE')
  })
})
