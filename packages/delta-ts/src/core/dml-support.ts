import type * as arrow from 'apache-arrow'
import { DeltaError } from '../errors.js'
import type { AddAction } from '../protocol/actions.js'
import { referencedColumns } from '../protocol/expr/columns.js'
import { exprToSql, type PredicateInput } from '../protocol/expr/index.js'
import { fileMayMatch, type PruningContext } from '../protocol/pruning.js'
import { takeRows } from './arrow-take.js'
import { type ChangeDataCollector, changeDataFeedEnabled } from './change-data.js'
import type { BoundPredicate as BoundExpr } from './plan.js'
import { type RewriteMetrics, rewriteFiles } from './rewrite.js'
import { evaluatePredicate } from './row-filter.js'
import { fileEntryOf, type Snapshot } from './snapshot.js'
import type { Transaction } from './transaction.js'

/** A predicate bound to a snapshot's schema, with what DML needs to know about it. */
export interface BoundPredicate {
  /** Bound once by the scan planner's binder; scans and plans given it do not bind it again. */
  expr: BoundExpr
  /** True when it reads partition columns only: whole files match or not, no data file is opened. */
  partitionOnly: boolean
  ctx: PruningContext
}

/** Parses and binds a predicate for DML against a snapshot. INVALID_PREDICATE on bad input. */
export function bindPredicate(input: PredicateInput, snapshot: Snapshot): BoundPredicate {
  const expr = snapshot.bindPredicate(input)
  const partitions = new Set(snapshot.partitionColumns.map((p) => p.toLowerCase()))
  const cols = referencedColumns(expr)
  return {
    expr,
    partitionOnly: cols.length > 0 && cols.every((c) => c.path.length === 1 && partitions.has(c.path[0].toLowerCase())),
    ctx: {
      schema: snapshot.schema,
      partitionColumns: snapshot.partitionColumns,
      columnMappingMode: snapshot.columnMappingMode,
    },
  }
}

/** The SQL text of a bound predicate, for commitInfo.operationParameters. */
export function predicateSql(p: BoundPredicate): string {
  return exprToSql(p.expr)
}

/** A matcher over add actions for the transaction's read predicate (concurrent adds that may match conflict). */
export function addMatcher(p: BoundPredicate): (add: AddAction) => boolean {
  return (add) => fileMayMatch(p.expr, fileEntryOf(add), p.ctx)
}

/** Throws CONSTRAINT_VIOLATION when a row of `data` does not satisfy the predicate (e.g. replaceWhere). */
export function assertRowsMatch(data: arrow.Table, p: BoundPredicate, what: string): void {
  for (const batch of data.batches) {
    const mask = evaluatePredicate(p.expr, batch)
    const bad = mask.indexOf(0)
    if (bad >= 0) {
      const row = batch.get(bad)?.toJSON() ?? {}
      throw new DeltaError(
        'CONSTRAINT_VIOLATION',
        `written data does not satisfy ${what} ${exprToSql(p.expr)}: row ${JSON.stringify(row, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}`,
      )
    }
  }
}

/**
 * Rewrites the rows matching `p` through the rewrite engine ({@link rewriteFiles}): the candidate files are
 * the planner's (pruned by partition values and stats), each batch's matching rows (SQL semantics: only TRUE
 * matches) leave the table and `transform` says what replaces them (nothing for DELETE, the updated rows for
 * UPDATE). Partition-only predicates without a transform remove whole files without opening them. On a table
 * with deletion vectors the engine marks the matching rows in vectors and writes only the transformed rows.
 * `numRowsRemoved` of the result is the number of matching rows.
 */
export async function rewriteMatchingRows(
  snapshot: Snapshot,
  txn: Transaction,
  p: BoundPredicate,
  transform: ((matched: arrow.RecordBatch) => arrow.RecordBatch | undefined) | undefined,
  signal?: AbortSignal,
  changes?: ChangeDataCollector,
): Promise<RewriteMetrics> {
  const wholeFiles = p.partitionOnly && !transform
  const { files, stats } = await snapshot.scan({ filter: p.expr, signal }).plan()
  return rewriteFiles(snapshot, txn, {
    files,
    numFilesSkipped: stats.total - stats.kept,
    read: p,
    removeWholeFile: wholeFiles ? () => true : undefined,
    changes,
    // DELETE needs only the predicate's columns to find its rows (read so in deletion-vector mode), unless
    // the change data feed records the deleted rows whole.
    columns:
      transform || changeDataFeedEnabled(snapshot.properties)
        ? undefined
        : [...new Set(referencedColumns(p.expr).map((c) => c.path[0]))],
    deletesOnly: !transform,
    rewrite: (batch) => {
      const mask = evaluatePredicate(p.expr, batch)
      // The matching rows, ascending, in one pass.
      const all = new Int32Array(mask.length)
      let count = 0
      for (let i = 0; i < mask.length; i++) if (mask[i]) all[count++] = i
      if (count === 0) return undefined
      const deleted = all.subarray(0, count)
      const changed = transform?.(takeRows(batch, deleted))
      // UPDATE: every matching row is replaced by its new version (an update pre-image); row k of `changed`
      // is the new version of row deleted[k] (it keeps that row's id under row tracking).
      return changed ? { deleted, updated: deleted, added: [changed], addedFrom: [deleted] } : { deleted }
    },
    signal,
  })
}

/**
 * Deletes the rows matching `p` in the transaction (see {@link rewriteMatchingRows}). `changes`: the change
 * data collector that already holds the rows replacing them (replaceWhere's new data).
 */
export function deleteRowsWhere(
  snapshot: Snapshot,
  txn: Transaction,
  p: BoundPredicate,
  signal?: AbortSignal,
  changes?: ChangeDataCollector,
): Promise<RewriteMetrics> {
  return rewriteMatchingRows(snapshot, txn, p, undefined, signal, changes)
}
