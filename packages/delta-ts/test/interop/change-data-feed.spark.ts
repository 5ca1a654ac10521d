import { cpSync, readFileSync } from 'node:fs'
import * as path from 'node:path'
import * as arrow from 'apache-arrow'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DeltaTable } from '../../src/index.js'
import { goldenRoot } from '../golden.js'
import { canonicalRows, type WireRow, wireRows } from './canon.js'
import { ensureVenv, py, runSpark, type SparkSqlResult, scratch } from './harness.js'

/*
 * The change data feed against Spark (delta-spark 4.0): Spark's `table_changes` over tables delta-ts wrote
 * (copy-on-write, deletion vectors, column mapping) equals delta-ts's `changes()`, and delta-ts's `changes()`
 * over tables Spark wrote (its own DML, and the kernel-rs golden CDF tables, which hold DV-only commits and
 * DV restores) equals Spark's `table_changes`. Spark reads each table over its whole range (and the delta-ts
 * tables over [2, 5] too: one Spark query costs seconds on a 2-core machine); delta-ts reads every range
 * [s, e] on its own and is compared with Spark's rows of those versions.
 * delta-rs (`load_cdf`) reads the delta-ts tables too, where it supports them.
 */

const tmp = scratch('cdf')
afterAll(() => tmp.cleanup())
const dir = (name: string) => path.join(tmp.dir, name)
const at = (name: string) => `'${dir(name)}'`

const schema = new arrow.Schema([
  new arrow.Field('id', new arrow.Int64(), false),
  new arrow.Field('status', new arrow.Utf8(), true),
  new arrow.Field('day', new arrow.Utf8(), true),
])

function rows(list: [number, string, string][]): arrow.Table {
  return arrow.tableFromArrays({
    id: BigInt64Array.from(list.map((r) => BigInt(r[0]))),
    status: list.map((r) => r[1]),
    day: list.map((r) => r[2]),
  })
}

/** The delta-ts history: every DML shape of the change data feed, 8 versions. */
async function tsHistory(name: string, properties: Record<string, string>, deletionVectors: boolean) {
  const t = await DeltaTable.create(dir(name), {
    schema,
    partitionBy: ['day'],
    properties: { 'delta.enableChangeDataFeed': 'true', ...properties },
    deletionVectors,
  })
  await t.write(
    rows([
      [1, 'new', 'd1'],
      [2, 'new', 'd1'],
      [3, 'new', 'd2'],
      [4, 'new', 'd2'],
      [8, 'new', 'd1'],
    ]),
  )
  await t.delete('id = 1')
  await t.delete("day = 'd2'")
  await t.update({ predicate: 'id = 2', set: { status: "'paid'" } })
  await t
    .merge(
      rows([
        [2, 'shipped', 'd1'],
        [8, 'gone', 'd1'],
        [5, 'new', 'd3'],
      ]),
      { on: 'target.id = source.id' },
    )
    .whenMatchedDelete({ condition: "source.status = 'gone'" })
    .whenMatchedUpdateAll()
    .whenNotMatchedInsertAll()
    .execute()
  await t
    .merge(rows([[6, 'new', 'd3']]), { on: 'target.id = source.id' })
    .whenNotMatchedInsertAll()
    .execute()
  await t.write(rows([[7, 'new', 'd3']]), { mode: 'overwrite', replaceWhere: 'id >= 5' })
  await t.update({ predicate: 'id = 7', set: { day: "'d1'" } }) // moves a row across partitions
  return t
}

const TS_TABLES = {
  ts_cow: async () => tsHistory('ts_cow', {}, false),
  ts_dv: async () => tsHistory('ts_dv', {}, true),
  ts_cm: async () => tsHistory('ts_cm', { 'delta.columnMapping.mode': 'name' }, false),
}

/** Spark-written golden tables (kernel-rs data); each is read from the version that enabled its feed. */
const GOLDEN: Record<string, string> = {
  'cdf-table': 'cdf-table',
  'cdf-table-with-dv': 'cdf-table-with-dv',
  'cdf-table-with-cdc-and-dvs': 'cdf-table-with-cdc-and-dvs',
  'cdf-table-partitioned': 'cdf-table-partitioned',
  'cdf-table-update-ops': 'cdf-table-update-ops',
  'cdf-table-delete-conditional-two-rows': 'cdf-table-delete-conditional-two-rows',
  'cdf-column-mapping-name-mode': 'cdf-column-mapping-name-mode',
  'cdf-column-mapping-id-mode': 'cdf-column-mapping-id-mode',
}

/** Spark's own DML on CDF tables (copy-on-write and deletion vectors). */
function sparkStatements(): string[] {
  const p = (n: string) => `delta.\`${dir(n)}\``
  const ops = (n: string) => [
    `INSERT INTO ${p(n)} VALUES (1,'new','d1'),(2,'new','d1'),(3,'new','d2'),(4,'new','d2'),(8,'new','d1')`,
    `DELETE FROM ${p(n)} WHERE id = 1`,
    `DELETE FROM ${p(n)} WHERE day = 'd2'`,
    `UPDATE ${p(n)} SET status = 'paid' WHERE id = 2`,
    `MERGE INTO ${p(n)} t USING (SELECT * FROM VALUES (2,'shipped','d1'),(8,'gone','d1'),(5,'new','d3') AS s(id,status,day)) s ON t.id = s.id WHEN MATCHED AND s.status = 'gone' THEN DELETE WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *`,
    `MERGE INTO ${p(n)} t USING (SELECT * FROM VALUES (6,'new','d3') AS s(id,status,day)) s ON t.id = s.id WHEN NOT MATCHED THEN INSERT *`,
    `INSERT INTO ${p(n)} REPLACE WHERE id >= 5 SELECT * FROM VALUES (7,'new','d3') AS s(id,status,day)`,
    `UPDATE ${p(n)} SET day = 'd1' WHERE id = 7`,
  ]
  return [
    `CREATE TABLE ${p('sp_cow')} (id BIGINT, status STRING, day STRING) USING delta PARTITIONED BY (day) TBLPROPERTIES ('delta.enableChangeDataFeed'='true')`,
    ...ops('sp_cow'),
    `CREATE TABLE ${p('sp_dv')} (id BIGINT, status STRING, day STRING) USING delta PARTITIONED BY (day) TBLPROPERTIES ('delta.enableChangeDataFeed'='true', 'delta.enableDeletionVectors'='true')`,
    ...ops('sp_dv'),
  ]
}

/** A change row without `_commit_timestamp`, which depends on file times only (compared separately). */
function key(rows: WireRow[], withTime = false): string[] {
  return canonicalRows(
    rows.map((r) => {
      const { _commit_timestamp, ...rest } = r
      return withTime ? { ...rest, _commit_timestamp } : rest
    }),
  )
}

async function tsChanges(name: string, s: number, e: number): Promise<WireRow[]> {
  const t = await DeltaTable.open(dir(name))
  return wireRows(await (await t.changes({ startingVersion: s, endingVersion: e })).toArrow())
}

const latest: Record<string, number> = {}
/** The first version of each Spark table whose metadata has the change data feed on. */
const cdfStart: Record<string, number> = {}

async function firstCdfVersion(name: string): Promise<number> {
  const t = await DeltaTable.open(dir(name))
  for (let v = 0; v <= (await t.version()); v++) {
    const props = (await t.snapshot({ version: v })).properties
    if (props['delta.enableChangeDataFeed'] === 'true') return v
  }
  throw new Error(`${name}: change data feed never enabled`)
}
let spark: SparkSqlResult
let sparkOnSpark: SparkSqlResult

beforeAll(async () => {
  await ensureVenv()
  for (const [name, make] of Object.entries(TS_TABLES)) latest[name] = await (await make()).version()
  for (const [name, golden] of Object.entries(GOLDEN)) {
    cpSync(path.join(goldenRoot(), 'kernel-rs-data', golden, 'delta'), dir(name), { recursive: true })
    cdfStart[name] = await firstCdfVersion(name)
  }
  const queries: Record<string, string> = {}
  for (const name of Object.keys(TS_TABLES)) {
    queries[`${name}:all`] = `SELECT * FROM table_changes_by_path(${at(name)}, 0)`
    // One explicit sub-range per table as well (Spark's range start / end handling, not just a filter).
    queries[`${name}:mid`] = `SELECT * FROM table_changes_by_path(${at(name)}, 2, 5)`
  }
  const [r1, r2] = await runSpark(
    [
      { kind: 'sql', out: path.join(tmp.dir, 'spark-reads-ts.json'), queries },
      {
        kind: 'sql',
        out: path.join(tmp.dir, 'spark-writes.json'),
        statements: sparkStatements(),
        queries: Object.fromEntries(
          ['sp_cow', 'sp_dv', ...Object.keys(GOLDEN)].map((n) => [
            n,
            `SELECT * FROM table_changes_by_path(${at(n)}, ${cdfStart[n] ?? 0})`,
          ]),
        ),
      },
    ],
    path.join(tmp.dir, 'job.json'),
  )
  spark = r1 as SparkSqlResult
  sparkOnSpark = r2 as SparkSqlResult
}, 900_000)

describe('Spark table_changes over tables delta-ts wrote', () => {
  for (const name of Object.keys(TS_TABLES)) {
    it(`${name}: equals delta-ts changes() over the whole range (commit times included) and over [2, 5]`, async () => {
      const all = spark.queries[`${name}:all`].rows
      expect(all.length).toBeGreaterThan(10)
      expect(key(await tsChanges(name, 0, latest[name]), true)).toEqual(key(all, true))
      expect(key(await tsChanges(name, 2, 5), true)).toEqual(key(spark.queries[`${name}:mid`].rows, true))
    })

    it(`${name}: delta-ts changes() at every range [s, e] equals Spark's rows of those versions`, async () => {
      const all = spark.queries[`${name}:all`].rows
      for (let s = 0; s <= latest[name]; s++) {
        for (let e = s; e <= latest[name]; e++) {
          const want = all.filter((r) => Number(r._commit_version) >= s && Number(r._commit_version) <= e)
          expect(key(await tsChanges(name, s, e)), `${name} [${s}, ${e}]`).toEqual(key(want))
        }
      }
    })
  }
})

describe('delta-ts changes() over tables Spark wrote', () => {
  for (const name of ['sp_cow', 'sp_dv', ...Object.keys(GOLDEN)]) {
    it(`${name}: equals Spark's table_changes at every range`, async () => {
      const all = sparkOnSpark.queries[name].rows
      expect(all.length).toBeGreaterThan(0)
      const t = await DeltaTable.open(dir(name))
      const last = await t.version()
      const first = cdfStart[name] ?? 0
      expect(key(await tsChanges(name, first, last), true)).toEqual(key(all, true))
      for (let s = first; s <= last; s++) {
        for (let e = s; e <= last; e++) {
          const want = all.filter((r) => Number(r._commit_version) >= s && Number(r._commit_version) <= e)
          expect(key(await tsChanges(name, s, e)), `${name} [${s}, ${e}]`).toEqual(key(want))
        }
      }
    })
  }
})

describe('delta-rs load_cdf over tables delta-ts wrote', () => {
  it('reads the change data feed of the copy-on-write and deletion-vector tables as delta-ts does; refuses column mapping by name', async () => {
    const outFile = path.join(tmp.dir, 'load_cdf.json')
    const names = Object.keys(TS_TABLES)
    await py('cdf_cli.py', [outFile, ...names.map(dir)])
    const got = JSON.parse(readFileSync(outFile, 'utf8')) as Record<string, { rows?: WireRow[]; error?: string }>
    const norm = (rs: WireRow[]) =>
      rs
        .map((r) =>
          JSON.stringify(
            Object.entries(r)
              .filter(([k]) => k !== '_commit_timestamp')
              .map(([k, v]) => [k, v === null ? null : String(v)])
              .sort(([a], [b]) => String(a).localeCompare(String(b))),
          ),
        )
        .sort()
    let compared = 0
    for (const name of names) {
      const r = got[dir(name)]
      // delta-rs (1.x) refuses change data feed scans of column-mapped tables, by name.
      if (name === 'ts_cm' && r.error) {
        expect(r.error).toMatch(/column mapping is not supported/i)
        continue
      }
      expect(r.error, `${name}: ${r.error}`).toBeUndefined()
      expect(norm(r.rows!), name).toEqual(norm(await tsChanges(name, 0, latest[name])))
      compared++
    }
    expect(compared).toBe(names.length - (got[dir('ts_cm')].error ? 1 : 0))
    expect(compared).toBeGreaterThanOrEqual(2)
  })
})
