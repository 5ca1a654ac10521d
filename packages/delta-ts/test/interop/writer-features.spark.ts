import * as path from 'node:path'
import * as arrow from 'apache-arrow'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DeltaError, DeltaTable } from '../../src/index.js'
import { ensureVenv, runSpark, type SparkSqlResult, scratch } from './harness.js'

/*
 * Writer features against Spark (delta-spark 4.0): CHECK constraints, generated columns, identity columns and
 * row tracking. Phase 1: delta-ts creates and writes a table per feature, Spark continues it (INSERT) and Spark
 * creates its own table per feature (except generated and identity columns: Spark 4.0's SQL DDL refuses to
 * declare them through the session catalog here, so those are covered by Spark continuing delta-ts's tables
 * with its own generated / identity values, and delta-ts continuing after Spark's identity inserts). Phase 2: delta-ts continues Spark's tables. Phase 3: Spark reads every
 * table and inserts once more, so each side continues what the other wrote.
 */

const tmp = scratch('writer-features')
afterAll(() => tmp.cleanup())
const dir = (name: string) => path.join(tmp.dir, name)
const at = (name: string) => `delta.\`${dir(name)}\``

const str = (v: unknown) => (v === null || v === undefined ? null : String(v))
const rowsOf = (r: SparkSqlResult, q: string) =>
  r.queries[q].rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, str(v)])))

async function rowsTs(name: string, columns?: string[]) {
  const t = await (await (await DeltaTable.open(dir(name))).snapshot()).scan(columns ? { columns } : {}).toArrow()
  return t.toArray().map((r) => r.toJSON())
}

const tsMs = (iso: string) => Date.parse(iso)
function events(ts: string[], code: string[]) {
  return new arrow.Table({
    ts: arrow.vectorFromArray(ts.map(tsMs), new arrow.TimestampMillisecond('UTC')),
    code: arrow.vectorFromArray(code, new arrow.Utf8()),
  })
}

let phase1: SparkSqlResult
let phase3: SparkSqlResult

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
  const rt = await DeltaTable.create(dir('ts_rt'), {
    schema: new arrow.Schema([
      new arrow.Field('id', new arrow.Int64(), true),
      new arrow.Field('name', new arrow.Utf8(), true),
    ]),
    properties: { 'delta.enableRowTracking': 'true' },
  })
  await rt.write(arrow.tableFromArrays({ id: BigInt64Array.from([1n, 2n, 3n]), name: ['a', 'b', 'c'] }))
  await rt.write(arrow.tableFromArrays({ id: BigInt64Array.from([4n]), name: ['d'] }))

  const [r1] = await runSpark(
    [
      {
        kind: 'sql',
        out: path.join(tmp.dir, 'phase1.json'),
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
        ],
        queries: {
          ts_check: `SELECT id, qty FROM ${at('ts_check')} ORDER BY id`,
          ts_gen: `SELECT code, CAST(d AS STRING) AS d, y, tag FROM ${at('ts_gen')} ORDER BY ts`,
          ts_id: `SELECT id, name FROM ${at('ts_id')} ORDER BY id`,
          ts_rt: `SELECT id, _metadata.row_id AS row_id, _metadata.row_commit_version AS rcv FROM ${at('ts_rt')} ORDER BY id`,
        },
      },
    ],
    path.join(tmp.dir, 'job1.json'),
  )
  phase1 = r1 as SparkSqlResult

  // Phase 2: delta-ts continues Spark's tables.
  const spCheck = await DeltaTable.open(dir('sp_check'))
  await spCheck.write(arrow.tableFromArrays({ id: Int32Array.from([2]), qty: Int32Array.from([3]) }))
  await (await DeltaTable.open(dir('sp_rt'))).write(
    arrow.tableFromArrays({ id: BigInt64Array.from([3n, 4n]), name: ['c', 'd'] }),
  )

  const [r3] = await runSpark(
    [
      {
        kind: 'sql',
        out: path.join(tmp.dir, 'phase3.json'),
        statements: [`INSERT INTO ${at('ts_id')} (name) VALUES ('s3')`, `INSERT INTO ${at('sp_rt')} VALUES (5, 'e')`],
        queries: {
          sp_check: `SELECT id, qty FROM ${at('sp_check')} ORDER BY id`,
          ts_id: `SELECT id, name FROM ${at('ts_id')} ORDER BY id`,
          sp_rt: `SELECT id, _metadata.row_id AS row_id FROM ${at('sp_rt')} ORDER BY id`,
        },
      },
    ],
    path.join(tmp.dir, 'job3.json'),
  )
  phase3 = r3 as SparkSqlResult
}, 900_000)

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
})

describe('delta-ts continues what Spark writes', () => {
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

  it("Spark's row-tracking table: delta-ts continues the row ids and honours Spark's materialized row ids", async () => {
    const ours = (await rowsTs('sp_rt', ['id', '_metadata.row_id'])).map((r) => [
      String(r.id),
      String(r['_metadata.row_id']),
    ])
    ours.sort()
    // Spark's UPDATE moved row 2 to a new file (fresh baseRowId, high-water mark 3) with its id 1 materialized;
    // delta-ts's append continues at 4, Spark's next insert after delta-ts's mark.
    expect(ours).toEqual([
      ['1', '0'],
      ['2', '1'],
      ['3', '4'],
      ['4', '5'],
      ['5', '6'],
    ])
    expect(rowsOf(phase3, 'sp_rt')).toEqual([
      { id: '1', row_id: '0' },
      { id: '2', row_id: '1' },
      { id: '3', row_id: '4' },
      { id: '4', row_id: '5' },
      { id: '5', row_id: '6' },
    ])
  })
})
