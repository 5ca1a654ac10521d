import { cpSync } from 'node:fs'
import * as path from 'node:path'
import * as arrow from 'apache-arrow'
import { afterEach, describe, expect, it } from 'vitest'
import { DeltaTable, type MergeBuilder } from '../src/index.js'
import {
  cleanupDirs,
  createOrders,
  type Order,
  order,
  ordersTable,
  readOrders,
  sortOrders,
  tmpDir,
} from './dml-fixtures.js'
import { goldenRoot } from './golden.js'
import { runPythonJson } from './python-oracle.js'

/*
 * The same MERGE run by delta-ts and by delta-rs (Python deltalake) on identical tables and sources gives the
 * same rows; each library also reads the other's result identically.
 */
afterEach(cleanupDirs)

type Clause = { kind: 'update_all' | 'delete' | 'insert_all' | 'by_source_delete'; predicate?: string }

const MERGE_PY = `
import json, sys
import pyarrow as pa
from deltalake import DeltaTable
path, src_json, clauses_json = sys.argv[1], sys.argv[2], sys.argv[3]
schema = pa.schema([pa.field('id', pa.int64(), False), pa.field('status', pa.string()), pa.field('amount', pa.float64()),
                    pa.field('updated_at', pa.int64(), False), pa.field('day', pa.string())])
src = pa.Table.from_pylist(json.loads(src_json), schema=schema)
m = DeltaTable(path).merge(src, predicate='target.id = source.id', source_alias='source', target_alias='target')
for c in json.loads(clauses_json):
    p = c.get('predicate')
    if c['kind'] == 'update_all': m = m.when_matched_update_all(predicate=p)
    elif c['kind'] == 'delete': m = m.when_matched_delete(predicate=p)
    elif c['kind'] == 'insert_all': m = m.when_not_matched_insert_all(predicate=p)
    elif c['kind'] == 'by_source_delete': m = m.when_not_matched_by_source_delete(predicate=p)
metrics = m.execute()
print(json.dumps({'metrics': metrics, 'rows': DeltaTable(path).to_pyarrow_table().to_pylist()}))
`

const READ_PY = `
import json, sys
from deltalake import DeltaTable
print(json.dumps(DeltaTable(sys.argv[1]).to_pyarrow_table().to_pylist()))
`

function apply(b: MergeBuilder, clauses: readonly Clause[]): MergeBuilder {
  for (const c of clauses) {
    const o = { condition: c.predicate }
    if (c.kind === 'update_all') b = b.whenMatchedUpdateAll(o)
    else if (c.kind === 'delete') b = b.whenMatchedDelete(o)
    else if (c.kind === 'insert_all') b = b.whenNotMatchedInsertAll(o)
    else b = b.whenNotMatchedBySourceDelete(o)
  }
  return b
}

const target = [
  order(1, 'new', 10),
  order(2, 'new', 10),
  order(3, 'new', 10, '2024-01-02'),
  order(4, 'new', 10, '2024-01-02', null),
]
const source = [
  order(2, 'paid', 20),
  order(3, 'stale', 5, '2024-01-02'),
  order(4, 'paid', 30, '2024-01-02'),
  order(5, 'new', 20, '2024-01-03', null),
]

const scenarios: { name: string; clauses: Clause[] }[] = [
  { name: 'upsert (update all + insert all)', clauses: [{ kind: 'update_all' }, { kind: 'insert_all' }] },
  {
    name: 'conditional upsert (source newer)',
    clauses: [{ kind: 'update_all', predicate: 'source.updated_at > target.updated_at' }, { kind: 'insert_all' }],
  },
  {
    name: 'delete + update + insert + delete by source',
    clauses: [
      { kind: 'delete', predicate: "source.status = 'stale'" },
      { kind: 'update_all' },
      { kind: 'insert_all', predicate: 'source.updated_at > 10' },
      { kind: 'by_source_delete', predicate: "target.day = '2024-01-01'" },
    ],
  },
]

function normalize(rows: Record<string, unknown>[]): Order[] {
  return sortOrders(
    rows.map((r) => ({
      id: Number(r.id),
      status: (r.status ?? null) as string | null,
      amount: (r.amount ?? null) as number | null,
      updated_at: Number(r.updated_at),
      day: r.day as string,
    })),
  )
}

describe('MERGE: delta-ts and delta-rs (deltalake 1.6.6) agree', () => {
  for (const s of scenarios) {
    it(`${s.name}: same rows from both engines, each readable by the other`, async () => {
      const ours = await createOrders(target)
      const theirsDir = tmpDir()
      const theirs = await createOrders(target, { uri: theirsDir })
      const r = await apply(ours.merge(ordersTable(source), { on: 'target.id = source.id' }), s.clauses).execute()
      const py = runPythonJson<{ metrics: Record<string, number>; rows: Record<string, unknown>[] }>(MERGE_PY, [
        theirsDir,
        JSON.stringify(source),
        JSON.stringify(s.clauses),
      ])
      const oursRows = await readOrders(ours)
      expect(normalize(py.rows)).toEqual(oursRows)
      // Cross reads: delta-ts reads the deltalake result, deltalake reads ours.
      expect(await readOrders(theirs)).toEqual(oursRows)
      expect(normalize(runPythonJson<Record<string, unknown>[]>(READ_PY, [ours.uri]))).toEqual(oursRows)
      for (const k of [
        'num_target_rows_inserted',
        'num_target_rows_updated',
        'num_target_rows_deleted',
        'num_source_rows',
      ] as const) {
        const mine = {
          num_target_rows_inserted: r.metrics.numTargetRowsInserted,
          num_target_rows_updated: r.metrics.numTargetRowsUpdated,
          num_target_rows_deleted: r.metrics.numTargetRowsDeleted,
          num_source_rows: r.metrics.numSourceRows,
        }[k]
        expect(mine, k).toBe(py.metrics[k])
      }
    }, 60_000)
  }
})

describe('UPDATE and OPTIMIZE results read identically by deltalake', () => {
  it('deltalake reads a table after delta-ts UPDATE and OPTIMIZE with the same rows, and its own UPDATE agrees', async () => {
    const ours = await createOrders(target)
    for (const o of source) await ours.write(ordersTable([{ ...o, id: o.id + 100 }]))
    await ours.update({ predicate: "status = 'new'", set: { status: "'open'", updated_at: 'updated_at + 1' } })
    const opt = await ours.optimize()
    expect(opt.metrics.numFilesRemoved).toBeGreaterThan(1)
    const oursRows = await readOrders(ours)
    expect(normalize(runPythonJson<Record<string, unknown>[]>(READ_PY, [ours.uri]))).toEqual(oursRows)

    const theirsDir = tmpDir()
    const theirs = await createOrders(target, { uri: theirsDir })
    for (const o of source) await theirs.write(ordersTable([{ ...o, id: o.id + 100 }]))
    const py = runPythonJson<Record<string, unknown>[]>(
      `
import json, sys
from deltalake import DeltaTable
dt = DeltaTable(sys.argv[1])
dt.update(predicate="status = 'new'", updates={"status": "'open'", "updated_at": "updated_at + 1"})
DeltaTable(sys.argv[1]).optimize.compact()
print(json.dumps(DeltaTable(sys.argv[1]).to_pyarrow_table().to_pylist()))
`,
      [theirsDir],
    )
    expect(normalize(py)).toEqual(oursRows)
    expect(await readOrders(theirs)).toEqual(oursRows)
  }, 60_000)
})

describe('MERGE into a Spark-written table (golden basic_partitioned, null partition)', () => {
  it('delta-ts and deltalake give the same rows; a NULL join key never matches', async () => {
    const golden = path.join(goldenRoot(), 'kernel-rs-data/basic_partitioned/delta')
    const oursDir = tmpDir()
    const theirsDir = tmpDir()
    cpSync(golden, oursDir, { recursive: true })
    cpSync(golden, theirsDir, { recursive: true })
    const src = [
      { letter: 'a', number: 1, a_float: 100.5 },
      { letter: null, number: 6, a_float: 66 },
      { letter: 'z', number: 9, a_float: 9.25 },
    ]
    const schema = new arrow.Schema([
      new arrow.Field('letter', new arrow.Utf8(), true),
      new arrow.Field('number', new arrow.Int64(), true),
      new arrow.Field('a_float', new arrow.Float64(), true),
    ])
    const table = new arrow.Table(schema, [
      new arrow.RecordBatch(
        schema,
        arrow.makeData({
          type: new arrow.Struct(schema.fields),
          length: src.length,
          nullCount: 0,
          children: [
            arrow.vectorFromArray(
              src.map((r) => r.letter),
              new arrow.Utf8(),
            ).data[0],
            arrow.makeData({ type: new arrow.Int64(), data: BigInt64Array.from(src.map((r) => BigInt(r.number))) }),
            arrow.vectorFromArray(
              src.map((r) => r.a_float),
              new arrow.Float64(),
            ).data[0],
          ],
        }),
      ),
    ])
    const ours = await DeltaTable.open(oursDir)
    const on = 'target.letter = source.letter AND target.number = source.number'
    const r = await ours.merge(table, { on }).whenMatchedUpdateAll().whenNotMatchedInsertAll().execute()
    expect(r.metrics).toMatchObject({ numTargetRowsUpdated: 1, numTargetRowsInserted: 2 })
    const py = runPythonJson<Record<string, unknown>[]>(
      `
import json, sys
import pyarrow as pa
from deltalake import DeltaTable
schema = pa.schema([pa.field('letter', pa.string()), pa.field('number', pa.int64()), pa.field('a_float', pa.float64())])
src = pa.Table.from_pylist(json.loads(sys.argv[2]), schema=schema)
DeltaTable(sys.argv[1]).merge(src, predicate=sys.argv[3], source_alias='source', target_alias='target') \
    .when_matched_update_all().when_not_matched_insert_all().execute()
print(json.dumps(DeltaTable(sys.argv[1]).to_pyarrow_table().to_pylist()))
`,
      [theirsDir, JSON.stringify(src), on],
    )
    const norm = (rows: Record<string, unknown>[]) =>
      rows
        .map((x) => ({
          letter: (x.letter ?? null) as string | null,
          number: Number(x.number),
          a_float: x.a_float as number,
        }))
        .sort(
          (a, b) => a.number - b.number || String(a.letter).localeCompare(String(b.letter)) || a.a_float - b.a_float,
        )
    const oursRows = norm((await (await ours.snapshot()).scan().toArrow()).toArray().map((x) => x.toJSON()))
    expect(oursRows).toEqual(norm(py))
    expect(oursRows.filter((x) => x.number === 6)).toHaveLength(2)
    expect(oursRows.find((x) => x.number === 1)?.a_float).toBe(100.5)
    expect(norm(runPythonJson<Record<string, unknown>[]>(READ_PY, [oursDir]))).toEqual(oursRows)
  }, 60_000)
})
