import * as path from 'node:path'
import * as arrow from 'apache-arrow'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DeltaTable } from '../../src/index.js'
import type { StructType } from '../../src/protocol/schema.js'
import { canonicalRows, schemaShape } from './canon.js'
import { readWithDeltaTs } from './compare.js'
import { deltalake, ensureVenv, type PyRead, runSpark, type SparkSqlResult, scratch } from './harness.js'

/**
 * Issue 22 against Spark (delta-spark 4.0): tables after each delta-ts schema and layout operation (column
 * mapping upgrade, RENAME / DROP COLUMN, type widening, liquid clustering, Z-order OPTIMIZE) are read by Spark
 * at every version and continued by it; Spark's own RENAME / DROP COLUMN / CLUSTER BY / OPTIMIZE [ZORDER BY]
 * tables are continued by delta-ts and read back by Spark.
 */
const tmp = scratch('layout-spark')
afterAll(() => tmp.cleanup())
const dir = (name: string) => path.join(tmp.dir, name)
const q = (name: string) => `delta.\`${dir(name)}\``

const S = (fields: [string, StructType['fields'][number]['type']][]): StructType => ({
  type: 'struct',
  fields: fields.map(([name, type]) => ({ name, type, nullable: true, metadata: {} })),
})

function opsBatch(ids: number[], day: string, names: [string, string, string] = ['id', 'a', 'day']): arrow.Table {
  const sType = new arrow.Struct([
    new arrow.Field(names[1], new arrow.Utf8(), true),
    new arrow.Field('b', new arrow.Float64(), true),
  ])
  const s = arrow.makeVector(
    arrow.makeData({
      type: sType,
      length: ids.length,
      nullCount: 0,
      children: [
        arrow.vectorFromArray(
          ids.map((i) => `a${i}`),
          new arrow.Utf8(),
        ).data[0],
        arrow.makeVector(Float64Array.from(ids.map((i) => i / 2))).data[0],
      ],
    }),
  )
  return new arrow.Table({
    [names[0]]: arrow.makeVector(Int32Array.from(ids)),
    s,
    [names[2]]: arrow.vectorFromArray(
      ids.map(() => day),
      new arrow.Utf8(),
    ),
  })
}

function xyBatch(from: number, n: number): arrow.Table {
  return arrow.tableFromArrays({
    x: Int32Array.from({ length: n }, (_, i) => ((from + i) * 7919) % 1000),
    y: Int32Array.from({ length: n }, (_, i) => ((from + i) * 104729) % 1000),
  })
}

/** Builds the delta-ts tables: one commit per operation. */
async function buildTsTables(): Promise<void> {
  const ops = await DeltaTable.create(dir('ts-ops'), {
    schema: S([
      ['id', 'integer'],
      [
        's',
        {
          type: 'struct',
          fields: [
            { name: 'a', type: 'string', nullable: true, metadata: {} },
            { name: 'b', type: 'double', nullable: true, metadata: {} },
          ],
        },
      ],
      ['day', 'string'],
    ]),
    partitionBy: ['day'],
  })
  await ops.write(opsBatch([1, 2], 'mon')) // 1
  await ops.upgradeColumnMapping() // 2
  await ops.renameColumn('id', 'key') // 3
  await ops.renameColumn('s.a', 'alpha') // 4
  await ops.dropColumn('s.b') // 5
  await ops.renameColumn('day', 'weekday') // 6
  await ops.setProperties({ 'delta.enableTypeWidening': 'true' }) // 7
  await ops.widenColumn('key', 'long') // 8
  const t = opsBatch([3], 'tue')
  await ops.write(
    new arrow.Table({
      key: arrow.makeVector(BigInt64Array.from([10_000_000_000n])),
      s: arrow.makeVector(
        arrow.makeData({
          type: new arrow.Struct([new arrow.Field('alpha', new arrow.Utf8(), true)]),
          length: 1,
          nullCount: 0,
          children: [(t.getChild('s') as arrow.Vector).data[0].children[0]],
        }),
      ),
      weekday: t.getChild('day')!,
    }),
  ) // 9

  const liquid = await DeltaTable.create(dir('ts-liquid'), {
    schema: S([
      ['x', 'integer'],
      ['y', 'integer'],
    ]),
    clusterBy: ['x'],
  })
  for (let k = 0; k < 5; k++) await liquid.write(xyBatch(k * 200, 200))
  await liquid.optimize({ targetSizeBytes: 1500 })
  await liquid.clusterBy(['y'])

  const z = await DeltaTable.create(dir('ts-zorder'), {
    schema: S([
      ['x', 'integer'],
      ['y', 'integer'],
    ]),
  })
  for (let k = 0; k < 5; k++) await z.write(xyBatch(k * 200, 200))
  await z.optimize({ zOrderBy: ['x', 'y'], targetSizeBytes: 1500 })
}

/** Spark's tables, made with its own DDL. */
const SPARK_DDL: Record<string, string[]> = {
  'spark-ops': [
    `CREATE TABLE ${q('spark-ops')} (id INT, s STRUCT<a: STRING, b: DOUBLE>, day STRING) USING delta TBLPROPERTIES ('delta.columnMapping.mode' = 'name', 'delta.enableTypeWidening' = 'true')`,
    `INSERT INTO ${q('spark-ops')} VALUES (1, named_struct('a', 'a1', 'b', 0.5), 'mon'), (2, named_struct('a', 'a2', 'b', 1.0), 'tue')`,
    `ALTER TABLE ${q('spark-ops')} RENAME COLUMN id TO key`,
    `ALTER TABLE ${q('spark-ops')} DROP COLUMN s.b`,
    `ALTER TABLE ${q('spark-ops')} CHANGE COLUMN key TYPE BIGINT`,
  ],
  'spark-liquid': [
    `CREATE TABLE ${q('spark-liquid')} (x INT, y INT) USING delta CLUSTER BY (x)`,
    ...[0, 1, 2].map((k) => `INSERT INTO ${q('spark-liquid')} SELECT id * 7 % 100 + ${k}, id % 13 FROM range(50)`),
    `ALTER TABLE ${q('spark-liquid')} CLUSTER BY (y)`,
    `OPTIMIZE ${q('spark-liquid')}`,
  ],
  'spark-zorder': [
    `CREATE TABLE ${q('spark-zorder')} (x INT, y INT) USING delta`,
    ...[0, 1, 2].map((k) => `INSERT INTO ${q('spark-zorder')} SELECT id * 7 % 100 + ${k}, id % 13 FROM range(50)`),
    `OPTIMIZE ${q('spark-zorder')} ZORDER BY (x)`,
  ],
}

const TS_TABLES = ['ts-ops', 'ts-liquid', 'ts-zorder'] as const
const SPARK_TABLES = Object.keys(SPARK_DDL)

/** Spark's continuation of the delta-ts tables (after reading every version). */
const SPARK_CONTINUES: Record<(typeof TS_TABLES)[number], string[]> = {
  'ts-ops': [`INSERT INTO ${q('ts-ops')} VALUES (20000000000, named_struct('alpha', 'sp'), 'wed')`],
  'ts-liquid': [`INSERT INTO ${q('ts-liquid')} VALUES (5, 5), (6, 6)`, `OPTIMIZE ${q('ts-liquid')}`],
  'ts-zorder': [`INSERT INTO ${q('ts-zorder')} VALUES (5, 5)`, `OPTIMIZE ${q('ts-zorder')} ZORDER BY (y)`],
}

async function expectSparkReadsLikeDeltaTs(read: PyRead, table: string): Promise<void> {
  for (const v of read.versions) {
    const mine = await readWithDeltaTs(dir(table), v.version)
    const label = `${table} v${v.version} (${String(read.history.find((h) => h.version === v.version)?.operation)})`
    expect.soft(schemaShape(JSON.parse(v.schema)), `${label} schema`).toEqual(schemaShape(mine.schema))
    expect.soft(canonicalRows(v.rows), `${label} rows`).toEqual(canonicalRows(mine.rows))
  }
}

describe('schema and layout operations: delta-ts ↔ Spark', () => {
  const first: Record<string, PyRead> = {}
  const continued: Record<string, SparkSqlResult> = {}
  const firstLatest: Record<string, number> = {}

  beforeAll(async () => {
    await ensureVenv()
    await buildTsTables()
    const tasks = [
      // Every version of the table with one commit per schema operation; the latest of the layout tables
      // (one Spark job per version read: the machine is shared, the whole job must stay within 10 minutes).
      ...TS_TABLES.map((t) => ({
        kind: 'read' as const,
        dir: dir(t),
        out: dir(`${t}.read.json`),
        versions: t === 'ts-ops' ? 'all' : 'latest',
      })),
      ...TS_TABLES.map((t) => ({
        kind: 'sql' as const,
        out: dir(`${t}.cont.json`),
        statements: SPARK_CONTINUES[t],
        queries: {
          detail: `DESCRIBE DETAIL ${q(t)}`,
        },
      })),
      ...SPARK_TABLES.map((t) => ({ kind: 'sql' as const, out: dir(`${t}.ddl.json`), statements: SPARK_DDL[t] })),
      ...SPARK_TABLES.map((t) => ({
        kind: 'read' as const,
        dir: dir(t),
        out: dir(`${t}.read.json`),
        versions: 'latest',
      })),
    ]
    const out = await runSpark(tasks, dir('job1.json'))
    TS_TABLES.forEach((t, k) => {
      first[t] = out[k] as PyRead
      continued[t] = out[TS_TABLES.length + k] as SparkSqlResult
    })
    SPARK_TABLES.forEach((t, k) => {
      first[t] = out[2 * TS_TABLES.length + SPARK_TABLES.length + k] as PyRead
    })

    // delta-ts continues Spark's tables with its own operations.
    for (const t of SPARK_TABLES) firstLatest[t] = await (await DeltaTable.open(dir(t))).version()
    const ops = await DeltaTable.open(dir('spark-ops'))
    await ops.write(
      new arrow.Table({
        key: arrow.makeVector(BigInt64Array.from([30_000_000_000n])),
        s: arrow.makeVector(
          arrow.makeData({
            type: new arrow.Struct([new arrow.Field('a', new arrow.Utf8(), true)]),
            length: 1,
            nullCount: 0,
            children: [arrow.vectorFromArray(['ts'], new arrow.Utf8()).data[0]],
          }),
        ),
        day: arrow.vectorFromArray(['thu'], new arrow.Utf8()),
      }),
    )
    await ops.renameColumn('key', 'ident')
    await ops.dropColumn('day')
    const liquid = await DeltaTable.open(dir('spark-liquid'))
    await liquid.write(xyBatch(0, 30))
    await liquid.optimize()
    await liquid.clusterBy(['x', 'y'])
    const z = await DeltaTable.open(dir('spark-zorder'))
    await z.write(xyBatch(0, 30))
    await z.optimize({ zOrderBy: ['x', 'y'] })
  })

  it.each(TS_TABLES)(
    'Spark reads delta-ts table %s as delta-ts does (ts-ops: every version, one commit per schema operation)',
    async (t) => {
      if (t === 'ts-ops') expect(first[t].versions).toHaveLength(10)
      await expectSparkReadsLikeDeltaTs(first[t], t)
    },
  )

  it('Spark continues the delta-ts tables (INSERT, OPTIMIZE, OPTIMIZE ZORDER BY) and delta-ts reads the result; Spark sees the clustering columns delta-ts set', async () => {
    const detail = (t: string) => continued[t].queries.detail.rows[0]
    expect(String(detail('ts-liquid').clusteringColumns)).toContain('y')
    const ops = await readWithDeltaTs(dir('ts-ops'))
    expect(canonicalRows(ops.rows).some((r) => r.includes('20000000000'))).toBe(true)
    expect(ops.rows).toHaveLength(4)
    expect((await readWithDeltaTs(dir('ts-liquid'))).rows).toHaveLength(1002)
    expect((await readWithDeltaTs(dir('ts-zorder'))).rows).toHaveLength(1001)
    // Spark's OPTIMIZE of the clustered table is a commit delta-ts reads and continues.
    const liquid = await DeltaTable.open(dir('ts-liquid'))
    expect(await liquid.clusteringColumns()).toEqual(['y'])
    await liquid.write(xyBatch(0, 10))
    expect((await liquid.optimize()).numFilesRemoved).toBeGreaterThanOrEqual(1)
  })

  it.each(SPARK_TABLES)(
    'delta-ts reads Spark table %s (after RENAME / DROP COLUMN, CHANGE TYPE, CLUSTER BY, OPTIMIZE [ZORDER BY]) as Spark does',
    async (t) => {
      await expectSparkReadsLikeDeltaTs(first[t], t)
    },
  )

  it('delta-ts sees the clustering columns Spark set and continues Spark tables with its own operations', async () => {
    expect(await (await DeltaTable.open(dir('spark-liquid'))).clusteringColumns()).toEqual(['x', 'y'])
    for (const t of SPARK_TABLES) {
      expect(await (await DeltaTable.open(dir(t))).version()).toBeGreaterThan(firstLatest[t])
    }
    const ops = await readWithDeltaTs(dir('spark-ops'))
    expect(ops.schema.fields.map((f) => f.name)).toEqual(['ident', 's'])
    expect(ops.rows).toHaveLength(3)
    expect((await readWithDeltaTs(dir('spark-liquid'))).rows).toHaveLength(180)
    expect((await readWithDeltaTs(dir('spark-zorder'))).rows).toHaveLength(180)
  })

  it('delta-rs reads the Z-ordered delta-ts table (after Spark continued it) as delta-ts does', async () => {
    for (const t of ['ts-zorder'] as const) {
      const rs = await deltalake.read(dir(t), dir(`${t}.rs.json`), 'latest')
      const mine = await readWithDeltaTs(dir(t))
      expect(canonicalRows(rs.versions[0].rows)).toEqual(canonicalRows(mine.rows))
    }
  })
})
