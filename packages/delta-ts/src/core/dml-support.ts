import type * as arrow from 'apache-arrow'
import { DeltaError } from '../errors.js'
import type { AddAction } from '../protocol/actions.js'
import { referencedColumns } from '../protocol/expr/columns.js'
import { exprToSql, type PredicateInput } from '../protocol/expr/index.js'
import type { FileEntry } from '../protocol/file-entry.js'
import { fileMayMatch, type PruningContext } from '../protocol/pruning.js'
import { takeRows } from './arrow-take.js'
import { writeDataFiles } from './data-writer.js'
import { deletionVectorsEnabled } from './deletion-vector-io.js'
import { deleteWithDeletionVectors } from './dv-delete.js'
import type { BoundPredicate as BoundExpr } from './plan.js'
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

/** What a row-level rewrite of files did. */
export interface RewriteMetrics {
  numRemovedFiles: number
  numAddedFiles: number
  /** Rows the predicate selected (deleted by DELETE, changed by UPDATE). */
  numMatchedRows: number
  /** Rows carried over unchanged into rewritten files. */
  numCopiedRows: number
  /** Files pruned away by partition values and stats. */
  numFilesSkipped: number
  /** Deletion vectors written on files that had none (DELETE on a table with deletion vectors). */
  numDeletionVectorsAdded?: number
  /** Deletion vectors replaced by a larger one (rows deleted again in a file that had a vector). */
  numDeletionVectorsUpdated?: number
  /** Files with a vector removed outright because every row is now deleted. */
  numDeletionVectorsRemoved?: number
}

/**
 * Rewrites the files that may hold rows matching `p`: each candidate file is read (one at a time), its rows
 * split by the predicate (SQL semantics: only TRUE matches), and `transform` decides what the matching rows
 * become (nothing for DELETE, updated rows for UPDATE). Files without a matching row stay untouched; files
 * whose rows all go away are removed without a rewrite; partition-only predicates remove whole files without
 * opening them. Records the read predicate and read files on the transaction, stages removes and adds.
 */
export async function rewriteMatchingRows(
  snapshot: Snapshot,
  txn: Transaction,
  p: BoundPredicate,
  transform: ((matched: arrow.RecordBatch) => arrow.RecordBatch | undefined) | undefined,
  signal?: AbortSignal,
): Promise<RewriteMetrics> {
  if (!(p.partitionOnly && !transform)) assertNoChangeDataFeedRewrite(snapshot, txn.operation)
  // Tables with deletion vectors enabled: DELETE marks rows instead of rewriting files (merge-on-read).
  if (!transform && !p.partitionOnly && deletionVectorsEnabled(snapshot.protocol, snapshot.properties))
    return deleteWithDeletionVectors(snapshot, txn, p, signal)
  const { files, stats } = await snapshot.scan({ filter: p.expr, signal }).plan()
  txn.readPredicate(addMatcher(p)).readFilePaths(files.map((f) => f.path))
  const metrics: RewriteMetrics = {
    numRemovedFiles: 0,
    numAddedFiles: 0,
    numMatchedRows: 0,
    numCopiedRows: 0,
    numFilesSkipped: stats.total - stats.kept,
  }
  const removed: FileEntry[] = []
  // A generator feeds the writer file by file, so memory holds one candidate file's rows at a time plus the
  // writer's bounded buffers, never the whole rewrite.
  async function* survivors(): AsyncGenerator<arrow.RecordBatch> {
    for (const file of files) {
      if (p.partitionOnly && !transform) {
        removed.push(file)
        metrics.numMatchedRows += liveRows(file)
        continue
      }
      const kept: arrow.RecordBatch[] = []
      let matchedInFile = 0
      for await (const batch of snapshot.scan({ files: [file], signal }).batches()) {
        const mask = evaluatePredicate(p.expr, batch)
        const keepIdx: number[] = []
        const matchIdx: number[] = []
        for (let i = 0; i < mask.length; i++) (mask[i] ? matchIdx : keepIdx).push(i)
        matchedInFile += matchIdx.length
        if (keepIdx.length > 0)
          kept.push(keepIdx.length === batch.numRows ? batch : takeRows(batch, Int32Array.from(keepIdx)))
        if (matchIdx.length > 0 && transform) {
          const changed = transform(takeRows(batch, Int32Array.from(matchIdx)))
          if (changed && changed.numRows > 0) kept.push(changed)
        }
      }
      if (matchedInFile === 0) continue
      removed.push(file)
      metrics.numMatchedRows += matchedInFile
      metrics.numCopiedRows += kept.reduce((s, b) => s + b.numRows, 0) - (transform ? matchedInFile : 0)
      yield* kept
    }
  }
  const adds = await writeDataFiles(snapshot.storage, survivors(), {
    schema: snapshot.schema,
    partitionColumns: snapshot.partitionColumns,
    configuration: snapshot.properties,
    columnMappingMode: snapshot.columnMappingMode,
    signal,
  })
  txn.remove(removed.map((f) => f.add))
  txn.add(adds)
  metrics.numRemovedFiles = removed.length
  metrics.numAddedFiles = adds.length
  return metrics
}

/**
 * Refuses row-level rewrites on tables with `delta.enableChangeDataFeed`: the spec then requires `cdc` files
 * for the changed rows, which delta-ts does not write (appends and whole-file removes need none).
 */
export function assertNoChangeDataFeedRewrite(snapshot: Snapshot, operation: string): void {
  if (snapshot.properties['delta.enableChangeDataFeed'] === 'true') {
    throw new DeltaError(
      'UNSUPPORTED_FEATURE',
      `${operation} would rewrite data files of a table with change data feed enabled; delta-ts does not write changeDataFeed (cdc) files yet`,
    )
  }
}

function liveRows(f: FileEntry): number {
  return (f.stats?.numRecords ?? 0) - (f.deletionVector?.cardinality ?? 0)
}

/** Deletes the rows matching `p` in the transaction (see {@link rewriteMatchingRows}). */
export function deleteRowsWhere(
  snapshot: Snapshot,
  txn: Transaction,
  p: BoundPredicate,
  signal?: AbortSignal,
): Promise<RewriteMetrics> {
  return rewriteMatchingRows(snapshot, txn, p, undefined, signal)
}
