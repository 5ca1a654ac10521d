import { readdirSync } from 'node:fs'
import * as path from 'node:path'
import * as arrow from 'apache-arrow'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DeltaTable } from '../../src/index.js'
import { canonicalRows, schemaShape } from './canon.js'
import { readWithDeltaTs } from './compare.js'
import { ensureVenv, type PyRead, runSpark, type SparkSqlResult, scratch } from './harness.js'

/**
 * Checkpoints written by delta-ts against Spark (delta-spark 4.0): multi-part classic checkpoints and V2
 * checkpoints with sidecars (parquet and JSON top-level files) are read by Spark at every version and continued
 * by it (its own writes and checkpoints); a Spark table with `delta.checkpointPolicy = 'v2'` and Spark's V2
 * checkpoints is continued by delta-ts (writes, DELETE, its own V2 checkpoint) and read back by Spark.
 */
const tmp = scratch('checkpoints-spark')
afterAll(() => tmp.cleanup())
const dir = (name: string) => path.join(tmp.dir, name)
const q = (name: string) => `delta.\`${dir(name)}\``
const logFiles = (name: string) => readdirSync(path.join(dir(name), '_delta_log')).sort()
const sidecarFiles = (name: string) => {
  try {
    return readdirSync(path.join(dir(name), '_delta_log', '_sidecars')).sort()
  } catch {
    return []
  }
}

const schema = new arrow.Schema([new arrow.Field('id', new arrow.Int64()), new arrow.Field('p', new arrow.Utf8())])
const rows = (ids: number[], p: string) =>
  arrow.tableFromArrays({ id: BigInt64Array.from(ids.map(BigInt)), p: ids.map(() => p) })

/** delta-ts tables: a multi-part checkpoint at version 7; V2 checkpoints (parquet, 4 sidecars; JSON) at 5 and 8. */
async function buildTsTables(): Promise<{ multipartVersion: number; numParts: number }> {
  const m = await DeltaTable.create(dir('ts-multipart'), { schema, partitionBy: ['p'] })
  for (let i = 0; i < 6; i++) await m.write(rows([i, i + 10], i % 2 ? 'a' : 'b'))
  await m.delete('id = 3')
  const cp = await m.checkpoint({ partSize: 4 })
  expect(cp.format).toBe('multipart')
  await m.write(rows([20], 'c'))

  const v2 = await DeltaTable.create(dir('ts-v2'), {
    schema,
    partitionBy: ['p'],
    properties: { 'delta.checkpointPolicy': 'v2' },
  })
  for (let i = 0; i < 5; i++) await v2.write(rows([i, i + 10], i % 2 ? 'a' : 'b'))
  expect((await v2.checkpoint({ partSize: 2 })).sidecars).toHaveLength(3)
  await v2.delete('id = 1')
  await v2.write(rows([30], 'c'))
  await v2.write(rows([31], 'c'))
  expect(path.basename((await v2.checkpoint({ v2Format: 'json' })).paths[0])).toMatch(/\.json$/)
  await v2.write(rows([32], 'c'))
  return { multipartVersion: cp.version, numParts: cp.metrics.numParts }
}

async function expectSparkReadsLikeDeltaTs(read: PyRead, table: string): Promise<void> {
  for (const v of read.versions) {
    const mine = await readWithDeltaTs(dir(table), v.version)
    const label = `${table} v${v.version}`
    expect.soft(schemaShape(JSON.parse(v.schema)), `${label} schema`).toEqual(schemaShape(mine.schema))
    expect.soft(canonicalRows(v.rows), `${label} rows`).toEqual(canonicalRows(mine.rows))
  }
}

describe('checkpoints: delta-ts ↔ Spark', () => {
  let built: { multipartVersion: number; numParts: number }
  const read: Record<string, PyRead> = {}
  const sql: Record<string, SparkSqlResult> = {}
  const tsLatestBeforeSpark: Record<string, number> = {}
  let sparkV2Latest = -1
  let sparkReadBack: PyRead

  beforeAll(async () => {
    await ensureVenv()
    built = await buildTsTables()
    for (const t of ['ts-multipart', 'ts-v2']) tsLatestBeforeSpark[t] = await (await DeltaTable.open(dir(t))).version()
    const v = String(built.multipartVersion).padStart(20, '0')
    const part = (o: number) =>
      path.join(
        dir('ts-multipart'),
        '_delta_log',
        `${v}.checkpoint.${String(o).padStart(10, '0')}.${String(built.numParts).padStart(10, '0')}.parquet`,
      )
    const hashOf = (o: number) =>
      `SELECT DISTINCT pmod(hash(coalesce(add.path, remove.path)), ${built.numParts}) AS part FROM parquet.\`${part(o)}\``
    const out = await runSpark(
      [
        { kind: 'read', dir: dir('ts-multipart'), out: dir('r1.json'), versions: 'all' },
        { kind: 'read', dir: dir('ts-v2'), out: dir('r2.json'), versions: 'all' },
        {
          kind: 'sql',
          out: dir('hash.json'),
          queries: Object.fromEntries(
            Array.from({ length: built.numParts }, (_, k) => [`part${k + 1}`, hashOf(k + 1)]),
          ),
        },
        // Spark continues both tables and checkpoints them itself (every 2 commits; multi-part with its own
        // partSize on the classic table, V2 on the V2 table).
        {
          kind: 'sql',
          out: dir('c1.json'),
          conf: { 'spark.databricks.delta.checkpoint.partSize': '3' },
          statements: [
            `ALTER TABLE ${q('ts-multipart')} SET TBLPROPERTIES ('delta.checkpointInterval' = '2')`,
            `INSERT INTO ${q('ts-multipart')} VALUES (100, 'a')`,
            `DELETE FROM ${q('ts-multipart')} WHERE id = 4`,
          ],
          queries: { n: `SELECT count(*) AS n FROM ${q('ts-multipart')}` },
        },
        {
          kind: 'sql',
          out: dir('c2.json'),
          statements: [
            `ALTER TABLE ${q('ts-v2')} SET TBLPROPERTIES ('delta.checkpointInterval' = '2')`,
            `INSERT INTO ${q('ts-v2')} VALUES (100, 'a')`,
            `DELETE FROM ${q('ts-v2')} WHERE id = 2`,
          ],
          queries: { n: `SELECT count(*) AS n FROM ${q('ts-v2')}` },
        },
        {
          kind: 'sql',
          out: dir('s1.json'),
          statements: [
            `CREATE TABLE ${q('spark-v2')} (id BIGINT, p STRING) USING delta PARTITIONED BY (p) TBLPROPERTIES ('delta.checkpointPolicy' = 'v2', 'delta.checkpointInterval' = '2')`,
            ...[0, 1, 2, 3].map((i) => `INSERT INTO ${q('spark-v2')} VALUES (${i}, 'a'), (${i + 10}, 'b')`),
            `DELETE FROM ${q('spark-v2')} WHERE id = 11`,
          ],
        },
      ],
      dir('job1.json'),
    )
    read['ts-multipart'] = out[0] as PyRead
    read['ts-v2'] = out[1] as PyRead
    sql.hash = out[2] as SparkSqlResult
    sql['ts-multipart'] = out[3] as SparkSqlResult
    sql['ts-v2'] = out[4] as SparkSqlResult

    // delta-ts continues Spark's V2 table: append, DELETE (rewrite), its own V2 checkpoint, append.
    const spark = await DeltaTable.open(dir('spark-v2'))
    sparkV2Latest = await spark.version()
    await spark.write(rows([50, 51], 'c'))
    await spark.delete('id = 0')
    const cp = await spark.checkpoint({ partSize: 3 })
    expect(cp.format).toBe('v2')
    await spark.write(rows([52], 'a'))
    const out2 = await runSpark(
      [{ kind: 'read', dir: dir('spark-v2'), out: dir('r3.json'), versions: 'all' }],
      dir('job2.json'),
    )
    sparkReadBack = out2[0] as PyRead
  })

  it.each(['ts-multipart', 'ts-v2'])('Spark reads every version of delta-ts table %s as delta-ts does', async (t) => {
    expect(read[t].versions.map((v) => v.version)).toEqual([...Array(tsLatestBeforeSpark[t] + 1).keys()])
    await expectSparkReadsLikeDeltaTs(read[t], t)
  })

  it('the parts of the delta-ts multi-part checkpoint are the parts Spark hash partitioning gives each action', () => {
    // File paths hold random UUIDs, so a part may come out empty (Spark's would too); every row of a part must
    // hash to that part.
    let rowsSeen = 0
    for (let k = 1; k <= built.numParts; k++) {
      const parts = sql.hash.queries[`part${k}`].rows.map((r) => Number(r.part))
      expect(parts.filter((p) => p !== k - 1)).toEqual([])
      rowsSeen += parts.length
    }
    expect(rowsSeen).toBeGreaterThan(0)
  })

  it('Spark continues both delta-ts tables with its own writes and checkpoints, and delta-ts reads the result', async () => {
    // Spark wrote checkpoints of its own: multi-part on the classic table, V2 (new sidecars) on the V2 table.
    const mine = (t: string) =>
      logFiles(t).filter((f) => f.includes('.checkpoint.') && Number(f.slice(0, 20)) > tsLatestBeforeSpark[t])
    expect(mine('ts-multipart').some((f) => /\.checkpoint\.\d{10}\.\d{10}\.parquet$/.test(f))).toBe(true)
    expect(mine('ts-v2').some((f) => /\.checkpoint\.[0-9a-f-]{36}\.(json|parquet)$/.test(f))).toBe(true)
    for (const t of ['ts-multipart', 'ts-v2']) {
      const ts = await readWithDeltaTs(dir(t))
      expect(ts.version).toBe(tsLatestBeforeSpark[t] + 3)
      expect(ts.rows.length).toBe(Number(sql[t].queries.n.rows[0].n))
    }
    // delta-ts continues again from Spark's checkpoints.
    const v2 = await DeltaTable.open(dir('ts-v2'))
    await v2.write(rows([200], 'z'))
    expect((await v2.checkpoint()).format).toBe('v2')
    expect((await readWithDeltaTs(dir('ts-v2'))).rows.length).toBe(Number(sql['ts-v2'].queries.n.rows[0].n) + 1)
  })

  it('delta-ts continues a Spark V2-checkpoint table, and Spark reads every version of it as delta-ts does', async () => {
    expect(logFiles('spark-v2').some((f) => /\.checkpoint\.[0-9a-f-]{36}\.(json|parquet)$/.test(f))).toBe(true)
    expect(sparkReadBack.latestVersion).toBe(sparkV2Latest + 3)
    expect(sparkReadBack.versions).toHaveLength(sparkV2Latest + 4)
    await expectSparkReadsLikeDeltaTs(sparkReadBack, 'spark-v2')
    expect(sidecarFiles('spark-v2').length).toBeGreaterThan(0)
  })
})
