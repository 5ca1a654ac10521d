import * as arrow from 'apache-arrow'
import { describe, expect, it } from 'vitest'
import { filterBatch } from '../src/core/row-filter.js'
import { DeltaTable } from '../src/core/table.js'
import { bindExpr } from '../src/protocol/expr/bind.js'
import { exprToSql } from '../src/protocol/expr/sql.js'
import type { PruneStats } from '../src/protocol/pruning.js'
import { tablePredicates } from './filter-predicates.js'
import { goldenTables } from './golden.js'
import { canonicalRows } from './golden-rows.js'

/*
 * Filtered scans on real tables (Spark, Databricks, delta-rs writers): for predicates derived from each table's
 * own values, `scan({ filter })` — partition pruning, stats skipping, then the row filter — returns exactly
 * the rows of a full scan filtered afterwards. Half of the predicates go in as Expr, half as the SQL text
 * exprToSql prints for them, so the parser and printer are exercised with real typed values too.
 */

const TABLES = [
  'dat/basic_partitioned',
  'dat/multi_partitioned',
  'dat/all_primitive_types',
  'dat/nested_types',
  'dat/stats_as_struct',
  'kernel-rs-golden/data-reader-partition-values',
  'kernel-rs-golden/basic-decimal-table',
  'kernel-rs-golden/data-reader-timestamp_ntz',
  'kernel-rs-golden/data-reader-timestamp_ntz-name-mode',
  'kernel-rs-golden/kernel-timestamp-timestamp_micros',
  'kernel-rs-golden/kernel-timestamp-pst',
  'kernel-rs-golden/dv-partitioned-with-checkpoint',
  'kernel-rs-golden/dv-with-columnmapping',
  'kernel-rs-golden/table-with-columnmapping-mode-name',
  'kernel-rs-golden/time-travel-partition-changes-b',
  'kernel-rs-golden/parquet-all-types',
  'kernel-rs-data/basic_partitioned',
  'kernel-rs-data/mixed-nulls',
  'kernel-rs-data/parsed-stats',
  'kernel-rs-data/timestamp-truncation-stats',
  'kernel-rs-data/table-with-dv-small',
  'kernel-rs-data/v1-multi-part-partitioned-struct-stats-only',
  'kernel-rs-data/cdf-table',
]

const all = goldenTables()
const tables = TABLES.map((name) => {
  const t = all.find((x) => x.name === name)
  if (!t) throw new Error(`golden table ${name} is not in MANIFEST.tsv`)
  return t
})

const totals: PruneStats & { predicates: number; tables: number } = {
  total: 0,
  prunedByPartition: 0,
  skippedByStats: 0,
  kept: 0,
  predicates: 0,
  tables: 0,
}

describe('golden tables: filtered scan = full scan filtered afterwards', () => {
  it.each(tables.map((t) => [t.name, t] as const))('%s', async (_name, t) => {
    const snap = await (await DeltaTable.open(t.tableDir)).snapshot()
    const full = await snap.scan().toArrow()
    const preds = tablePredicates(snap, full)
    expect(preds.length).toBeGreaterThan(0)
    for (const [k, expr] of preds.entries()) {
      const bound = bindExpr(expr, snap.schema)
      const filter = k % 2 === 0 ? expr : exprToSql(bound)
      const scan = snap.scan({ filter })
      const got = await scan.toArrow()
      const expectedBatches = full.batches.map((b) => filterBatch(b, bound)).filter((b) => b.numRows > 0)
      const expected = expectedBatches.length > 0 ? new arrow.Table(expectedBatches) : new arrow.Table(full.schema)
      expect(canonicalRows(got), `${t.name}: ${exprToSql(bound)}`).toEqual(canonicalRows(expected))
      const m = scan.metrics!
      expect(m.kept + m.prunedByPartition + m.skippedByStats).toBe(m.total)
      // Snapshot.files({ filter }) is the same pruning the scan reports.
      expect((await snap.files({ filter })).length).toBe(m.kept)
      totals.total += m.total
      totals.prunedByPartition += m.prunedByPartition
      totals.skippedByStats += m.skippedByStats
      totals.kept += m.kept
      totals.predicates++
    }
    totals.tables++
  })

  it('pruned files by partition and skipped files by stats somewhere in the corpus', () => {
    // For the report: how much the corpus let pruning and skipping do.
    process.stdout.write(`golden filter totals ${JSON.stringify(totals)}\n`)
    expect(totals.tables).toBe(tables.length)
    expect(totals.predicates).toBeGreaterThan(100)
    expect(totals.prunedByPartition).toBeGreaterThan(0)
    expect(totals.skippedByStats).toBeGreaterThan(0)
  })
})
