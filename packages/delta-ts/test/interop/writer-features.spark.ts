import * as path from 'node:path'
import * as arrow from 'apache-arrow'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DeltaError, DeltaTable } from '../../src/index.js'
import { ensureVenv, runSpark, type SparkCreateTable, type SparkSqlResult, scratch } from './harness.js'

/*
 * Writer features against Spark (delta-spark 4.0): CHECK constraints, generated columns, identity columns and
 * row tracking, each way round and at every version.
 *
 *   phase 1  delta-ts creates and writes a table per feature, and runs UPDATE / DELETE / MERGE / OPTIMIZE on a
 *            row-tracking table (ts_rt_dml); Spark reads every version of it (row ids, row commit versions),
 *            continues all of them (INSERT; UPDATE and MERGE on ts_rt_dml) and creates its own table per
 *            feature (generated and identity columns through delta-spark's DeltaTableBuilder: Delta 4.0's SQL
 *            DDL refuses them through the session catalog, delta-io/delta#1100) and reads each of its versions
 *   phase 2  delta-ts reads every version of Spark's tables as Spark did and continues them (appends that
 *            compute generated values and identity values after Spark's high-water marks; UPDATE, MERGE and
 *            OPTIMIZE on Spark's row-tracking table, keeping Spark's materialized row ids)
 *   phase 3  Spark reads every version delta-ts wrote and inserts once more: each side continues the other
 */

// Each job runs dozens of statements and time-travel queries; on a loaded machine that takes minutes.
const SPARK_JOB_TIMEOUT_MS = 1_200_000
const tmp = scratch('writer-features')
afterAll(() => tmp.cleanup())
const dir = (name: string) => path.join(tmp.dir, name)
const at = (name: string) => `delta.\`${dir(name)}\``

const str = (v: unknown) => (v === null || v === undefined ? null : String(v))
const rowsOf = (r: SparkSqlResult, q: string) =>
  r.queries[q].rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, str(v)])))

async function rowsTs(name: string, columns?: string[], version?: number) {
  const snap = await (await DeltaTable.open(dir(name))).snapshot(version === undefined ? {} : { version })
  const t = await snap.scan(columns ? { columns } : {}).toArrow()
  return t.toArray().map((r) => r.toJSON())
}

const TRACKED = ['id', 'name', '_metadata.row_id', '_metadata.row_commit_version']
/** id, name, row id and row commit version of every row of a version, as strings, by id (Spark's query shape). */
async function trackedTs(name: string, version?: number) {
  const rows = await rowsTs(name, TRACKED, version)
  return rows
    .map((r) => ({
      id: str(r.id),
      name: str(r.name),
      row_id: str(r['_metadata.row_id']),
      rcv: str(r['_metadata.row_commit_version']),
    }))
    .sort((a, b) => Number(a.id) - Number(b.id))
}
const trackedSql = (name: string, version?: number) =>
  `SELECT id, name, _metadata.row_id AS row_id, _metadata.row_commit_version AS rcv FROM ${at(name)}${
    version === undefined ? '' : ` VERSION AS OF ${version}`
  } ORDER BY id`
/** Spark queries of `name` at versions from..to, named `${name}@v`. */
function everyVersion(name: string, from: number, to: number, sql: (name: string, v: number) => string) {
  const q: Record<string, string> = {}
  for (let v = from; v <= to; v++) q[`${name}@${v}`] = sql(name, v)
  return q
}
const latestVersion = async (name: string) => (await (await DeltaTable.open(dir(name))).snapshot()).version

/** Rows of a row-tracking table: unique row ids, and each id key keeps its row id from `before` unless deleted. */
function expectStableRowIds(before: Array<Record<string, string | null>>, after: Array<Record<string, string | null>>) {
  const ids = after.map((r) => r.row_id)
  expect(ids.every((x) => x !== null)).toBe(true)
  expect(new Set(ids).size).toBe(ids.length)
  const was = new Map(before.map((r) => [r.id, r.row_id]))
  for (const r of after) if (was.has(r.id)) expect(r.row_id, `row id of id ${r.id}`).toBe(was.get(r.id))
}

const SP_CREATE: SparkCreateTable[] = [
  {
    dir: dir('sp_gen'),
    columns: [
      { name: 'ts', type: 'TIMESTAMP' },
      { name: 'code', type: 'STRING' },
      { name: 'd', type: 'DATE', generatedAlwaysAs: 'CAST(ts AS DATE)' },
      { name: 'y', type: 'INT', generatedAlwaysAs: 'YEAR(ts)' },
      {
        name: 'tag',
        type: 'STRING',
        generatedAlwaysAs: "CONCAT(UPPER(SUBSTRING(code, 1, 2)), '-', DATE_FORMAT(ts, 'yyyyMM'))",
      },
    ],
  },
  {
    dir: dir('sp_id'),
    columns: [
      { name: 'id', type: 'BIGINT', nullable: false, identity: { always: true, start: 10, step: 5 } },
      { name: 'name', type: 'STRING' },
    ],
  },
  {
    dir: dir('sp_idd'),
    columns: [
      { name: 'id', type: 'BIGINT', nullable: false, identity: { always: false, start: 100, step: -10 } },
      { name: 'name', type: 'STRING' },
    ],
  },
]

const tsMs = (iso: string) => Date.parse(iso)
function events(ts: string[], code: string[]) {
  return new arrow.Table({
    ts: arrow.vectorFromArray(ts.map(tsMs), new arrow.TimestampMillisecond('UTC')),
    code: arrow.vectorFromArray(code, new arrow.Utf8()),
  })
}

let phase1: SparkSqlResult
let phase1Versions: SparkSqlResult
let phase1Continue: SparkSqlResult
let phase1Spark: SparkSqlResult
let phase3: SparkSqlResult
/** delta-ts's reads of ts_rt_dml at versions 1..6 (before Spark continues it). */
const tsDml: Array<Array<Record<string, string | null>>> = []
/** delta-ts's reads of ts_rt_backfill at versions 3 (row tracking enabled with backfill) and 4 (UPDATE). */
const tsBackfill: Array<Array<Record<string, string | null>>> = []
/** delta-ts's reads of every version of Spark's tables, taken in phase 2 before delta-ts writes them. */
const tsReadsOfSpark: Record<string, Array<Record<string, unknown>>> = {}
/** delta-ts's reads of sp_rt at each version delta-ts wrote in phase 2. */
const spRtByTs = new Map<number, Array<Record<string, string | null>>>()
let spRtSparkLast = 0
let tsDmlAfterSpark: Array<Record<string, string | null>> = []
let tsDmlLast = 0
const versionsOf = new Map<string, number>()
/** The identity high-water mark of Spark's BY DEFAULT table as delta-ts reads it before writing. */
let spIddMarkBefore: unknown

const idNames = (ids: bigint[], names: string[]) => arrow.tableFromArrays({ id: BigInt64Array.from(ids), name: names })

beforeAll(async () => {
  await ensureVenv()
  // Phase 1: delta-ts writes.
  const check = await DeltaTable.create(dir('ts_check'), {
    schema: new arrow.Schema([
      new arrow.Field('id', new arrow.Int32(), false),
      new arrow.Field('qty', new arrow.Int32(), true),
    ]),
    properties: { 'delta.constraints.qty_pos': 'qty > 0' },
  })
  await check.write(arrow.tableFromArrays({ id: Int32Array.from([1, 2]), qty: Int32Array.from([5, 7]) }))
  const gen = await DeltaTable.create(dir('ts_gen'), {
    schema: new arrow.Schema([
      new arrow.Field('ts', new arrow.TimestampMicrosecond('UTC'), true),
      new arrow.Field('code', new arrow.Utf8(), true),
      new arrow.Field('d', new arrow.DateDay(), true),
      new arrow.Field('y', new arrow.Int32(), true),
      new arrow.Field('tag', new arrow.Utf8(), true),
    ]),
    generatedColumns: {
      d: 'CAST(ts AS DATE)',
      y: 'YEAR(ts)',
      tag: "CONCAT(UPPER(SUBSTRING(code, 1, 2)), '-', DATE_FORMAT(ts, 'yyyyMM'))",
    },
  })
  await gen.write(events(['2024-03-05T23:30:00Z', '1999-12-31T00:00:00Z'], ['abc', 'xy']))
  const id = await DeltaTable.create(dir('ts_id'), {
    schema: new arrow.Schema([
      new arrow.Field('id', new arrow.Int64(), false),
      new arrow.Field('name', new arrow.Utf8(), true),
    ]),
    identityColumns: { id: { start: 1, step: 1 } },
  })
  await id.write(arrow.tableFromArrays({ name: ['a', 'b', 'c'] }))
  const rtSchema = new arrow.Schema([
    new arrow.Field('id', new arrow.Int64(), true),
    new arrow.Field('name', new arrow.Utf8(), true),
  ])
  const rt = await DeltaTable.create(dir('ts_rt'), {
    schema: rtSchema,
    properties: { 'delta.enableRowTracking': 'true' },
  })
  await rt.write(arrow.tableFromArrays({ id: BigInt64Array.from([1n, 2n, 3n]), name: ['a', 'b', 'c'] }))
  await rt.write(arrow.tableFromArrays({ id: BigInt64Array.from([4n]), name: ['d'] }))
  // Row-level DML on a row-tracking table: v1, v2 appends, v3 UPDATE, v4 DELETE, v5 MERGE, v6 OPTIMIZE.
  const dml = await DeltaTable.create(dir('ts_rt_dml'), {
    schema: rtSchema,
    properties: { 'delta.enableRowTracking': 'true' },
  })
  await dml.write(idNames([1n, 2n, 3n, 4n], ['a', 'b', 'c', 'd']))
  await dml.write(idNames([5n, 6n], ['e', 'f']))
  await dml.update({ predicate: 'id = 2', set: { name: "'B'" } })
  await dml.delete('id = 3')
  await dml
    .merge(idNames([4n, 7n], ['D', 'g']), { on: 'target.id = source.id' })
    .whenMatchedUpdate({ set: { name: 'source.name' } })
    .whenNotMatchedInsert({ values: { id: 'source.id', name: 'source.name' } })
    .execute()
  await dml.optimize()
  for (let v = 1; v <= 6; v++) tsDml[v] = await trackedTs('ts_rt_dml', v)
  // Row tracking enabled on a table with data (v3: feature + row-id backfill), then a delta-ts UPDATE (v4).
  const bf = await DeltaTable.create(dir('ts_rt_backfill'), { schema: rtSchema })
  await bf.write(idNames([1n, 2n], ['a', 'b']))
  await bf.write(idNames([3n], ['c']))
  await bf.setProperties({ 'delta.enableRowTracking': 'true' })
  await bf.update({ predicate: 'id = 1', set: { name: "'A'" } })
  for (let v = 3; v <= 4; v++) tsBackfill[v] = await trackedTs('ts_rt_backfill', v)

  const [r1, r1v, r1c, r1s] = await runSpark(
    [
      {
        kind: 'sql',
        out: path.join(tmp.dir, 'phase1.json'),
        create: SP_CREATE,
        statements: [
          `INSERT INTO ${at('ts_check')} VALUES (3, 9)`,
          `INSERT INTO ${at('ts_gen')} (ts, code) VALUES (TIMESTAMP '2025-06-07 08:00:00', 'spark')`,
          `INSERT INTO ${at('ts_id')} (name) VALUES ('s1'), ('s2')`,
          `INSERT INTO ${at('ts_rt')} VALUES (5, 'e'), (6, 'f')`,
          `CREATE TABLE ${at('sp_check')} (id INT, qty INT) USING delta`,
          `ALTER TABLE ${at('sp_check')} ADD CONSTRAINT qty_pos CHECK (qty > 0)`,
          `INSERT INTO ${at('sp_check')} VALUES (1, 1)`,
          `CREATE TABLE ${at('sp_rt')} (id BIGINT, name STRING) USING delta TBLPROPERTIES ('delta.enableRowTracking' = 'true')`,
          `INSERT INTO ${at('sp_rt')} VALUES (1, 'a'), (2, 'b')`,
          // Moves row 2 to a new file: Spark materializes its row id there.
          `UPDATE ${at('sp_rt')} SET name = 'B' WHERE id = 2`,
          `INSERT INTO ${at('sp_gen')} (ts, code) VALUES (TIMESTAMP '2024-03-05 23:30:00', 'abc')`,
          `INSERT INTO ${at('sp_gen')} (ts, code) VALUES (TIMESTAMP '1999-12-31 00:00:00', 'xy')`,
          `INSERT INTO ${at('sp_id')} (name) VALUES ('a'), ('b')`,
          `INSERT INTO ${at('sp_id')} (name) VALUES ('c')`,
          `INSERT INTO ${at('sp_idd')} (id, name) VALUES (7, 'explicit')`,
          `INSERT INTO ${at('sp_idd')} (name) VALUES ('x'), ('y')`,
        ],
        queries: {
          ts_check: `SELECT id, qty FROM ${at('ts_check')} ORDER BY id`,
          ts_gen: `SELECT code, CAST(d AS STRING) AS d, y, tag FROM ${at('ts_gen')} ORDER BY ts`,
          ts_id: `SELECT id, name FROM ${at('ts_id')} ORDER BY id`,
          ts_rt: `SELECT id, _metadata.row_id AS row_id, _metadata.row_commit_version AS rcv FROM ${at('ts_rt')} ORDER BY id`,
        },
      },
      // Every version delta-ts wrote of ts_rt_dml, before Spark touches it.
      {
        kind: 'sql',
        out: path.join(tmp.dir, 'phase1-versions.json'),
        queries: {
          ...everyVersion('ts_rt_dml', 1, 6, trackedSql),
          ...everyVersion('ts_rt_backfill', 3, 4, trackedSql),
        },
      },
      // Spark continues delta-ts's DML: UPDATE, MERGE (update + insert), INSERT.
      {
        kind: 'sql',
        out: path.join(tmp.dir, 'phase1-continue.json'),
        statements: [
          `UPDATE ${at('ts_rt_dml')} SET name = 'A' WHERE id = 1`,
          `MERGE INTO ${at('ts_rt_dml')} t USING (SELECT * FROM VALUES (5L, 'E'), (8L, 'h') AS s(id, name)) s ON t.id = s.id ` +
            'WHEN MATCHED THEN UPDATE SET name = s.name WHEN NOT MATCHED THEN INSERT (id, name) VALUES (s.id, s.name)',
          `INSERT INTO ${at('ts_rt_dml')} VALUES (9, 'i')`,
          `UPDATE ${at('ts_rt_backfill')} SET name = 'C' WHERE id = 3`,
        ],
        queries: {
          ...everyVersion('ts_rt_dml', 7, 9, trackedSql),
          ...everyVersion('ts_rt_backfill', 5, 5, trackedSql),
        },
      },
      // Every version of Spark's own tables, for delta-ts to read the same.
      {
        kind: 'sql',
        out: path.join(tmp.dir, 'phase1-spark.json'),
        queries: {
          ...everyVersion(
            'sp_gen',
            0,
            2,
            (n, v) => `SELECT code, CAST(d AS STRING) AS d, y, tag FROM ${at(n)} VERSION AS OF ${v} ORDER BY ts`,
          ),
          ...everyVersion('sp_id', 0, 2, (n, v) => `SELECT id, name FROM ${at(n)} VERSION AS OF ${v} ORDER BY id`),
          ...everyVersion('sp_idd', 0, 2, (n, v) => `SELECT id, name FROM ${at(n)} VERSION AS OF ${v} ORDER BY id`),
          ...everyVersion('sp_rt', 0, 2, trackedSql),
        },
      },
    ],
    path.join(tmp.dir, 'job1.json'),
    SPARK_JOB_TIMEOUT_MS,
  )
  phase1 = r1 as SparkSqlResult
  phase1Versions = r1v as SparkSqlResult
  phase1Continue = r1c as SparkSqlResult
  phase1Spark = r1s as SparkSqlResult

  // Phase 2: delta-ts reads every version of Spark's tables, then continues them.
  for (let v = 0; v <= 2; v++) {
    tsReadsOfSpark[`sp_gen@${v}`] = (await rowsTs('sp_gen', ['ts', 'code', 'd', 'y', 'tag'], v))
      .sort((a, b) => Number(a.ts) - Number(b.ts))
      .map((r) => ({
        code: str(r.code),
        d: r.d === null ? null : new Date(Number(r.d)).toISOString().slice(0, 10),
        y: str(r.y),
        tag: str(r.tag),
      }))
    for (const n of ['sp_id', 'sp_idd'])
      tsReadsOfSpark[`${n}@${v}`] = (await rowsTs(n, ['id', 'name'], v))
        .map((r) => ({ id: str(r.id), name: str(r.name) }))
        .sort((a, b) => Number(a.id) - Number(b.id))
    tsReadsOfSpark[`sp_rt@${v}`] = await trackedTs('sp_rt', v)
  }
  const spCheck = await DeltaTable.open(dir('sp_check'))
  await spCheck.write(arrow.tableFromArrays({ id: Int32Array.from([2]), qty: Int32Array.from([3]) }))
  await (await DeltaTable.open(dir('sp_gen'))).write(events(['2025-06-07T08:00:00Z'], ['ts']))
  await (await DeltaTable.open(dir('sp_id'))).write(arrow.tableFromArrays({ name: ['d', 'e'] }))
  const spIdd = await DeltaTable.open(dir('sp_idd'))
  spIddMarkBefore = (await spIdd.snapshot()).schema.fields[0].metadata?.['delta.identity.highWaterMark']
  await spIdd.write(arrow.tableFromArrays({ name: ['z'] }))
  await spIdd.write(arrow.tableFromArrays({ id: BigInt64Array.from([500n]), name: ['explicit2'] }))
  // Spark's row-tracking table: delta-ts appends, then UPDATE, MERGE and OPTIMIZE it.
  const spRt = await DeltaTable.open(dir('sp_rt'))
  await spRt.write(arrow.tableFromArrays({ id: BigInt64Array.from([3n, 4n]), name: ['c', 'd'] }))
  spRtByTs.set(await latestVersion('sp_rt'), await trackedTs('sp_rt'))
  await spRt.update({ predicate: 'id = 1', set: { name: "'A'" } })
  spRtByTs.set(await latestVersion('sp_rt'), await trackedTs('sp_rt'))
  await spRt
    .merge(idNames([2n, 6n], ['B2', 'f']), { on: 'target.id = source.id' })
    .whenMatchedUpdate({ set: { name: 'source.name' } })
    .whenNotMatchedInsert({ values: { id: 'source.id', name: 'source.name' } })
    .execute()
  spRtByTs.set(await latestVersion('sp_rt'), await trackedTs('sp_rt'))
  await spRt.optimize()
  spRtSparkLast = await latestVersion('sp_rt')
  spRtByTs.set(spRtSparkLast, await trackedTs('sp_rt'))
  // delta-ts continues Spark's DML on ts_rt_dml (Spark materialized row ids there).
  tsDmlAfterSpark = await trackedTs('ts_rt_dml')
  await dml.update({ predicate: 'id >= 8', set: { name: "'upd'" } })
  tsDmlLast = await latestVersion('ts_rt_dml')
  for (const n of ['sp_gen', 'sp_id', 'sp_idd']) versionsOf.set(n, await latestVersion(n))

  const [r3] = await runSpark(
    [
      {
        kind: 'sql',
        out: path.join(tmp.dir, 'phase3.json'),
        statements: [
          `INSERT INTO ${at('ts_id')} (name) VALUES ('s3')`,
          `INSERT INTO ${at('sp_rt')} VALUES (7, 'g')`,
          `INSERT INTO ${at('sp_gen')} (ts, code) VALUES (TIMESTAMP '2030-01-01 00:00:00', 'late')`,
          `INSERT INTO ${at('sp_id')} (name) VALUES ('f')`,
          `INSERT INTO ${at('sp_idd')} (name) VALUES ('w')`,
          `INSERT INTO ${at('ts_rt_dml')} VALUES (10, 'j')`,
        ],
        queries: {
          sp_check: `SELECT id, qty FROM ${at('sp_check')} ORDER BY id`,
          ts_id: `SELECT id, name FROM ${at('ts_id')} ORDER BY id`,
          sp_rt: `SELECT id, _metadata.row_id AS row_id FROM ${at('sp_rt')} ORDER BY id`,
          ...everyVersion('sp_rt', 3, spRtSparkLast + 1, trackedSql),
          ...everyVersion('ts_rt_dml', tsDmlLast, tsDmlLast + 1, trackedSql),
          sp_gen: `SELECT code, CAST(d AS STRING) AS d, y, tag FROM ${at('sp_gen')} ORDER BY ts`,
          sp_id: `SELECT id, name FROM ${at('sp_id')} ORDER BY id`,
          sp_idd: `SELECT id, name FROM ${at('sp_idd')} ORDER BY id`,
        },
      },
    ],
    path.join(tmp.dir, 'job3.json'),
    SPARK_JOB_TIMEOUT_MS,
  )
  phase3 = r3 as SparkSqlResult
}, 2_700_000)

describe('Spark continues what delta-ts writes', () => {
  it('CHECK constraint table: Spark accepts the constraint and appends', () => {
    expect(rowsOf(phase1, 'ts_check')).toEqual([
      { id: '1', qty: '5' },
      { id: '2', qty: '7' },
      { id: '3', qty: '9' },
    ])
  })

  it('generated columns: delta-ts values equal what Spark computes for its own row with the same expressions', () => {
    expect(rowsOf(phase1, 'ts_gen')).toEqual([
      { code: 'xy', d: '1999-12-31', y: '1999', tag: 'XY-199912' },
      { code: 'abc', d: '2024-03-05', y: '2024', tag: 'AB-202403' },
      { code: 'spark', d: '2025-06-07', y: '2025', tag: 'SP-202506' },
    ])
  })

  it('identity column: Spark continues after delta-ts high-water mark, delta-ts after Spark', () => {
    expect(rowsOf(phase1, 'ts_id').map((r) => r.id)).toEqual(['1', '2', '3', '4', '5'])
    expect(rowsOf(phase3, 'ts_id').map((r) => r.id)).toEqual(['1', '2', '3', '4', '5', '6'])
  })

  it('row tracking: Spark reads delta-ts row ids and commit versions and continues the high-water mark', () => {
    expect(rowsOf(phase1, 'ts_rt')).toEqual([
      { id: '1', row_id: '0', rcv: '1' },
      { id: '2', row_id: '1', rcv: '1' },
      { id: '3', row_id: '2', rcv: '1' },
      { id: '4', row_id: '3', rcv: '2' },
      { id: '5', row_id: '4', rcv: '3' },
      { id: '6', row_id: '5', rcv: '3' },
    ])
  })

  it('row tracking after delta-ts UPDATE, DELETE, MERGE and OPTIMIZE: Spark reads the same row ids and row commit versions at every version', () => {
    for (let v = 1; v <= 6; v++) expect(rowsOf(phase1Versions, `ts_rt_dml@${v}`), `version ${v}`).toEqual(tsDml[v])
    // What delta-ts's DML did: UPDATE and MERGE keep the changed rows' ids with the new commit version,
    // DELETE and OPTIMIZE keep every surviving row's id and version, MERGE's insert gets a fresh id.
    expect(tsDml[6]).toEqual([
      { id: '1', name: 'a', row_id: '0', rcv: '1' },
      { id: '2', name: 'B', row_id: '1', rcv: '3' },
      { id: '4', name: 'D', row_id: '3', rcv: '5' },
      { id: '5', name: 'e', row_id: '4', rcv: '2' },
      { id: '6', name: 'f', row_id: '5', rcv: '2' },
      { id: '7', name: 'g', row_id: tsDml[5].find((r) => r.id === '7')?.row_id ?? 'missing', rcv: '5' },
    ])
    expect(Number(tsDml[6][5].row_id)).toBeGreaterThan(5)
    for (let v = 2; v <= 6; v++) expectStableRowIds(tsDml[v - 1], tsDml[v])
  })

  it("Spark continues delta-ts's DML table (UPDATE, MERGE, INSERT) keeping delta-ts's row ids, and delta-ts reads Spark's", async () => {
    const v7 = rowsOf(phase1Continue, 'ts_rt_dml@7')
    const v8 = rowsOf(phase1Continue, 'ts_rt_dml@8')
    const v9 = rowsOf(phase1Continue, 'ts_rt_dml@9')
    expectStableRowIds(tsDml[6], v7)
    expectStableRowIds(v7, v8)
    expectStableRowIds(v8, v9)
    expect(v7.find((r) => r.id === '1')).toEqual({ id: '1', name: 'A', row_id: '0', rcv: '7' })
    expect(v8.find((r) => r.id === '5')).toEqual({ id: '5', name: 'E', row_id: '4', rcv: '8' })
    // delta-ts reads Spark's versions exactly as Spark does.
    expect(tsDmlAfterSpark).toEqual(v9)
    for (let v = 7; v <= 9; v++)
      expect(await trackedTs('ts_rt_dml', v), `version ${v}`).toEqual(rowsOf(phase1Continue, `ts_rt_dml@${v}`))
    // delta-ts's UPDATE after Spark's commits keeps Spark's materialized ids; Spark reads it and inserts.
    const last = rowsOf(phase3, `ts_rt_dml@${tsDmlLast}`)
    expect(last).toEqual(await trackedTs('ts_rt_dml', tsDmlLast))
    expectStableRowIds(v9, last)
    expect(last.filter((r) => r.rcv === String(tsDmlLast)).map((r) => r.id)).toEqual(['8', '9'])
    const after = rowsOf(phase3, `ts_rt_dml@${tsDmlLast + 1}`)
    expectStableRowIds(last, after)
    expect(after.map((r) => r.id)).toEqual(['1', '2', '4', '5', '6', '7', '8', '9', '10'])
  })
})

describe('row tracking enabled on a table with data (delta-ts backfill)', () => {
  it('Spark reads the backfilled row ids and the UPDATE after it as delta-ts does, and its own UPDATE keeps them', () => {
    for (let v = 3; v <= 4; v++)
      expect(rowsOf(phase1Versions, `ts_rt_backfill@${v}`), `version ${v}`).toEqual(tsBackfill[v])
    expect(tsBackfill[3].map((r) => r.row_id).sort()).toEqual(['0', '1', '2'])
    expect(tsBackfill[3].every((r) => r.rcv === '3')).toBe(true)
    expectStableRowIds(tsBackfill[3], tsBackfill[4])
    expect(tsBackfill[4].find((r) => r.id === '1')?.rcv).toBe('4')
    const spark = rowsOf(phase1Continue, 'ts_rt_backfill@5')
    expectStableRowIds(tsBackfill[4], spark)
    expect(spark.find((r) => r.id === '3')).toMatchObject({ name: 'C', rcv: '5' })
  })
})

describe('delta-ts continues what Spark writes', () => {
  it('reads every version of Spark-created generated, identity and row-tracking tables as Spark does', () => {
    for (const n of ['sp_gen', 'sp_id', 'sp_idd', 'sp_rt'])
      for (let v = 0; v <= 2; v++)
        expect(tsReadsOfSpark[`${n}@${v}`], `${n} version ${v}`).toEqual(rowsOf(phase1Spark, `${n}@${v}`))
  })

  it("Spark's CHECK constraint is enforced by delta-ts appends and UPDATEs", async () => {
    const t = await DeltaTable.open(dir('sp_check'))
    const e1 = await t
      .write(arrow.tableFromArrays({ id: Int32Array.from([9]), qty: Int32Array.from([0]) }))
      .catch((e) => e)
    expect(e1).toBeInstanceOf(DeltaError)
    expect(e1.code).toBe('CONSTRAINT_VIOLATION')
    expect(e1.message).toContain('qty_pos')
    const e2 = await t.update({ predicate: 'id = 1', set: { qty: 'qty - 5' } }).catch((e) => e)
    expect(e2.code).toBe('CONSTRAINT_VIOLATION')
    expect(rowsOf(phase3, 'sp_check')).toEqual([
      { id: '1', qty: '1' },
      { id: '2', qty: '3' },
    ])
  })

  it("Spark's generated columns: delta-ts computes them for its append, refuses a wrong given value, Spark continues", async () => {
    expect(rowsOf(phase3, 'sp_gen')).toEqual([
      { code: 'xy', d: '1999-12-31', y: '1999', tag: 'XY-199912' },
      { code: 'abc', d: '2024-03-05', y: '2024', tag: 'AB-202403' },
      { code: 'ts', d: '2025-06-07', y: '2025', tag: 'TS-202506' },
      { code: 'late', d: '2030-01-01', y: '2030', tag: 'LA-203001' },
    ])
    const t = await DeltaTable.open(dir('sp_gen'))
    const bad = new arrow.Table({
      ts: arrow.vectorFromArray([tsMs('2025-01-01T00:00:00Z')], new arrow.TimestampMillisecond('UTC')),
      code: arrow.vectorFromArray(['no'], new arrow.Utf8()),
      y: arrow.vectorFromArray([1990], new arrow.Int32()),
    })
    const err = await t.write(bad).catch((e) => e)
    expect(err).toBeInstanceOf(DeltaError)
    expect(err.code).toBe('CONSTRAINT_VIOLATION')
    expect(err.message).toContain('YEAR(ts)')
  })

  it("Spark's identity columns (ALWAYS with step 5, BY DEFAULT with step -10): delta-ts continues the high-water marks, Spark after delta-ts", async () => {
    const spId = rowsOf(phase3, 'sp_id')
    expect(spId.map((r) => r.id)).toEqual(['10', '15', '20', '25', '30', '35'])
    expect(new Set(spId.slice(0, 2).map((r) => r.name))).toEqual(new Set(['a', 'b']))
    expect(spId.slice(2).map((r) => r.name)).toEqual(['c', 'd', 'e', 'f'])
    // BY DEFAULT, step -10: explicit 7 and 500 are kept; generated values continue downward from Spark's mark
    // (delta-ts's 'z'), and Spark's next value continues from delta-ts's.
    const byName = new Map(rowsOf(phase3, 'sp_idd').map((r) => [r.name, Number(r.id)]))
    expect(byName.get('explicit')).toBe(7)
    expect(byName.get('explicit2')).toBe(500)
    expect(new Set([byName.get('x'), byName.get('y')])).toEqual(new Set([100, 90]))
    expect(spIddMarkBefore).toBe(90)
    expect(byName.get('z')).toBe(80)
    expect(byName.get('w')).toBe(70)
    const t = await DeltaTable.open(dir('sp_id'))
    const err = await t.write(arrow.tableFromArrays({ id: BigInt64Array.from([1n]), name: ['x'] })).catch((e) => e)
    expect(err).toBeInstanceOf(DeltaError)
    expect(err.message).toContain('GENERATED ALWAYS')
  })

  it("Spark's row-tracking table: delta-ts continues the row ids and honours Spark's materialized row ids", () => {
    const first = spRtByTs.get(3)
    expect(first).toBeDefined()
    // Spark's UPDATE moved row 2 to a new file (fresh baseRowId, high-water mark 3) with its id 1 materialized;
    // delta-ts's append continues at 4.
    expect(first?.map((r) => [r.id, r.row_id])).toEqual([
      ['1', '0'],
      ['2', '1'],
      ['3', '4'],
      ['4', '5'],
    ])
  })

  it("delta-ts UPDATE, MERGE and OPTIMIZE on Spark's row-tracking table keep row ids; Spark reads the same at every version and continues", () => {
    let prev = tsReadsOfSpark['sp_rt@2'] as Array<Record<string, string | null>>
    for (let v = 3; v <= spRtSparkLast; v++) {
      const ours = spRtByTs.get(v)
      expect(ours, `delta-ts read version ${v}`).toBeDefined()
      expect(rowsOf(phase3, `sp_rt@${v}`), `version ${v}`).toEqual(ours)
      expectStableRowIds(prev, ours ?? [])
      prev = ours ?? []
    }
    const last = spRtByTs.get(spRtSparkLast) ?? []
    expect(last.find((r) => r.id === '1')).toEqual({ id: '1', name: 'A', row_id: '0', rcv: '4' })
    expect(last.find((r) => r.id === '2')).toEqual({ id: '2', name: 'B2', row_id: '1', rcv: '5' })
    // Spark's insert after delta-ts's commits gets a fresh id above every one handed out.
    const spark = rowsOf(phase3, `sp_rt@${spRtSparkLast + 1}`)
    expectStableRowIds(last, spark)
    const fresh = spark.find((r) => r.id === '7')
    expect(Number(fresh?.row_id)).toBeGreaterThan(Math.max(...last.map((r) => Number(r.row_id))))
  })
})
