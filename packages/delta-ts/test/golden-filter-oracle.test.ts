import { describe, expect, it } from 'vitest'
import { DeltaTable } from '../src/core/table.js'
import { bindExpr } from '../src/protocol/expr/bind.js'
import { exprToSql } from '../src/protocol/expr/sql.js'
import { tablePredicates } from './filter-predicates.js'
import { goldenTables } from './golden.js'
import { runPythonJson } from './python-oracle.js'

/*
 * An independent oracle for filter semantics: delta-rs (DataFusion, through deltalake's QueryBuilder) counts
 * the rows each predicate selects on real tables, and delta-ts' filtered scan must count the same. Predicates
 * are printed with exprToSql's DataFusion dialect. Tables delta-rs cannot read (deletion vectors, some column
 * mapping) are not in the list; a predicate DataFusion rejects is reported and counted, never silently passed.
 */

const TABLES = [
  'dat/basic_partitioned',
  'dat/multi_partitioned',
  'dat/all_primitive_types',
  'kernel-rs-golden/data-reader-partition-values',
  'kernel-rs-golden/basic-decimal-table',
  'kernel-rs-golden/data-reader-timestamp_ntz',
  'kernel-rs-golden/kernel-timestamp-timestamp_micros',
  'kernel-rs-golden/time-travel-partition-changes-b',
  'kernel-rs-golden/decimal-various-scale-precision',
  'kernel-rs-data/basic_partitioned',
  'kernel-rs-data/mixed-nulls',
  'kernel-rs-data/parsed-stats',
  'kernel-rs-data/timestamp-truncation-stats',
  'kernel-rs-data/cdf-table',
]

const COUNT_SCRIPT = `
import json, sys
from deltalake import DeltaTable, QueryBuilder
dt = DeltaTable(sys.argv[1])
out = []
for p in json.loads(sys.argv[2]):
    try:
        r = QueryBuilder().register("t", dt).execute(f"SELECT count(*) AS n FROM t WHERE {p}").read_all()
        out.append({"count": int(r.column(0)[0].as_py())})
    except Exception as e:
        out.append({"error": str(e).splitlines()[0][:300]})
print(json.dumps(out))
`

const all = goldenTables()
let compared = 0
const rejected: string[] = []

describe('golden tables: filter counts agree with delta-rs (DataFusion)', () => {
  it.each(TABLES.map((n) => [n] as const))('%s', async (name) => {
    const t = all.find((x) => x.name === name)
    if (!t) throw new Error(`golden table ${name} is not in MANIFEST.tsv`)
    const snap = await (await DeltaTable.open(t.tableDir)).snapshot()
    const full = await snap.scan().toArrow()
    const bound = tablePredicates(snap, full).map((e) => bindExpr(e, snap.schema))
    const sql = bound.map((e) => exprToSql(e, { dialect: 'datafusion' }))
    const oracle = runPythonJson<Array<{ count?: number; error?: string }>>(COUNT_SCRIPT, [
      t.tableDir,
      JSON.stringify(sql),
    ])
    for (const [k, e] of bound.entries()) {
      const o = oracle[k]
      if (o.count === undefined) {
        rejected.push(`${name}: ${sql[k]} -> ${o.error}`)
        continue
      }
      const ours = (await snap.scan({ filter: e }).toArrow()).numRows
      expect(ours, `${name}: ${sql[k]}`).toBe(o.count)
      compared++
    }
  })

  it('compared most predicates (DataFusion rejected only a few)', () => {
    process.stdout.write(`oracle compared ${compared}, rejected ${rejected.length}\n${rejected.join('\n')}\n`)
    expect(compared).toBeGreaterThan(150)
    expect(rejected.length).toBeLessThan(compared / 10)
  })
})
