import type * as arrow from 'apache-arrow'
import { DeltaError } from '../errors.js'
import type { AddAction } from '../protocol/actions.js'
import type { FileEntry } from '../protocol/file-entry.js'
import { fileMayMatch } from '../protocol/pruning.js'
import { takeRows } from './arrow-take.js'
import { writeDataFiles } from './data-writer.js'
import type { BoundPredicate } from './dml-support.js'
import { rowIdCarrier } from './row-tracking.js'
import { fileEntryOf, type Snapshot } from './snapshot.js'
import type { Transaction } from './transaction.js'
import type { IdentityAllocator } from './write-rules.js'

/*
 * The rewrite engine: the one loop DELETE, UPDATE, replaceWhere and MERGE share.
 *
 *   planned candidate files ─▶ read set on the transaction (predicate or whole table, + file paths)
 *     ─▶ per file: stream its batches ─▶ rewriter(batch) = { deleted row indexes, added rows }
 *          · no batch of the file deletes a row → the file keeps its add action (its batches are dropped)
 *          · else the file is removed; its surviving rows and the added rows stream to the writer
 *     ─▶ extra rows (MERGE inserts) ─▶ writer ─▶ adds; removes + adds staged on the transaction
 *
 * The per-batch result is "which rows of this batch leave the table, and what new rows replace them": a
 * copy-on-write rewrite writes the survivors plus the new rows; a deletion-vector rewrite marks the deleted
 * positions in the file's DV and writes the new rows only. The rewriter never decides removals itself.
 *
 * Memory: one target batch at a time once a file is known to change; before its first change, the file's
 * unchanged batches are held (at most one file's rows) because an untouched file must not be rewritten.
 */

/** What a rewriter returns for one target batch. */
export interface BatchRewrite {
  /**
   * Row indexes into the batch that leave the table: deleted (DELETE) or replaced by a row of `added`
   * (UPDATE, MERGE). Duplicates are allowed and count once. Empty or undefined: the batch is unchanged.
   */
  deleted?: ArrayLike<number>
  /** New rows written in place of deleted ones (the table's schema; any partition). */
  added?: readonly arrow.RecordBatch[]
  /**
   * Per batch of `added`, for each of its rows the index into the target batch of the row it is the new
   * version of (-1: a new row). On a row-tracking table that row's id carries over (core/row-tracking.ts);
   * absent, the added rows get fresh row ids.
   */
  addedFrom?: readonly (ArrayLike<number> | undefined)[]
}

/** Decides what happens to one batch of a candidate file; `undefined` leaves the batch unchanged. */
export type BatchRewriter = (batch: arrow.RecordBatch, file: FileEntry) => BatchRewrite | undefined

/** What the engine reads and how it decides (see the module comment). */
export interface RewritePlan {
  /** The candidate files (the planner's output: files that may hold affected rows). */
  files: readonly FileEntry[]
  /** Files of the snapshot the planner excluded without reading (partition values, stats). */
  numFilesSkipped: number
  /**
   * The read set recorded on the transaction: the planning predicate (concurrent adds it may match conflict),
   * or `'wholeTable'` when every file was a candidate by construction (MERGE with NOT MATCHED BY SOURCE).
   */
  read: BoundPredicate | 'wholeTable'
  /** Per-batch decision. */
  rewrite: BatchRewriter
  /** Files removed whole without being opened (a partition-only DELETE); their live rows count as deleted. */
  removeWholeFile?: (file: FileEntry) => boolean
  /** Rows added after the rewrites (MERGE's inserts); pulled once every candidate file is done. */
  extraRows?: () => AsyncIterable<arrow.RecordBatch> | Iterable<arrow.RecordBatch>
  /** Roll written files at this many bytes (default the writer's 128 MiB). */
  targetFileSize?: number
  /** Hands out identity values for inserted rows (MERGE inserts; see `WriteDataFilesOptions.identity`). */
  identity?: IdentityAllocator
  signal?: AbortSignal
}

/**
 * What a rewrite did: the one metrics shape of DELETE, UPDATE, replaceWhere and MERGE (each adds its own
 * row counts on top).
 */
export interface RewriteMetrics {
  /** Data files written. */
  numFilesAdded: number
  /** Data files removed (rewritten or dropped whole). */
  numFilesRemoved: number
  numBytesAdded: number
  numBytesRemoved: number
  /** Files of the snapshot excluded by planning (partition values, stats) without being read. */
  numFilesSkipped: number
  /** Candidate files opened and read. */
  numFilesScanned: number
  /** Rows that left the table (deleted, or the old versions of replaced rows). */
  numRowsRemoved: number
  /** Rows written that are not copies (new versions of updated rows, inserts). */
  numRowsAdded: number
  /** Rows carried over unchanged into rewritten files. */
  numCopiedRows: number
  /** Deletion vectors written on files that had none (DELETE on a table with deletion vectors; else 0). */
  numDeletionVectorsAdded: number
  /** Deletion vectors replaced by a larger one (rows deleted again in a file that had one). */
  numDeletionVectorsUpdated: number
  /** Deletion vectors that went away with the files that carried them. */
  numDeletionVectorsRemoved: number
}

/** Zeroed {@link RewriteMetrics}. */
export function emptyRewriteMetrics(numFilesSkipped = 0): RewriteMetrics {
  return {
    numFilesAdded: 0,
    numFilesRemoved: 0,
    numBytesAdded: 0,
    numBytesRemoved: 0,
    numFilesSkipped,
    numFilesScanned: 0,
    numRowsRemoved: 0,
    numRowsAdded: 0,
    numCopiedRows: 0,
    numDeletionVectorsAdded: 0,
    numDeletionVectorsUpdated: 0,
    numDeletionVectorsRemoved: 0,
  }
}

/**
 * Runs a rewrite (module comment) and stages its removes and adds on `txn`; the caller commits.
 *
 * @throws DeltaError what the rewriter throws; `ABORTED` on the signal; the writer's errors (SCHEMA_MISMATCH,
 *   CONSTRAINT_VIOLATION for rows that do not fit the table); storage errors. Nothing is staged then.
 */
export async function rewriteFiles(snapshot: Snapshot, txn: Transaction, plan: RewritePlan): Promise<RewriteMetrics> {
  const { files, signal } = plan
  if (plan.read === 'wholeTable') txn.readWholeTable()
  else {
    const p = plan.read
    txn.readPredicate((add) => fileMayMatch(p.expr, fileEntryOf(add), p.ctx))
  }
  txn.readFilePaths(files.map((f) => f.path))
  const metrics = emptyRewriteMetrics(plan.numFilesSkipped)
  const removed: FileEntry[] = []
  // Rows copied out of one data file share its partition: the writer need not split them row by row.
  const copied = new WeakSet<arrow.RecordBatch>()
  // Row tracking: scanned batches carry row ids; the written rows keep them in materialized columns.
  const ids = rowIdCarrier(snapshot)
  const copy = (scanned: arrow.RecordBatch) => {
    const b = ids.copied(scanned)
    copied.add(b)
    return b
  }

  async function* output(): AsyncGenerator<arrow.RecordBatch> {
    for (const file of files) {
      throwIfAborted(signal)
      if (plan.removeWholeFile?.(file)) {
        removed.push(file)
        metrics.numRowsRemoved += liveRows(file)
        continue
      }
      metrics.numFilesScanned++
      // Batches of the file seen before its first change: written only if a later batch changes the file.
      let held: arrow.RecordBatch[] | undefined = []
      for await (const batch of snapshot.scan({ files: [file], columns: ids.scanColumns, signal }).batches()) {
        const r = plan.rewrite(ids.tableRows(batch), file)
        const gone = r?.deleted ? deletedMask(r.deleted, batch.numRows) : undefined
        const added = (r?.added ?? [])
          .map((b, k) => ids.replaced(b, batch, r?.addedFrom?.[k]))
          .filter((b) => b.numRows > 0)
        if (!gone && added.length === 0) {
          if (held) held.push(batch)
          else {
            metrics.numCopiedRows += batch.numRows
            yield copy(batch)
          }
          continue
        }
        if (held) {
          // The file changes: it is removed, and the batches held so far are its first survivors.
          removed.push(file)
          for (const b of held) {
            metrics.numCopiedRows += b.numRows
            yield copy(b)
          }
          held = undefined
        }
        if (gone) {
          metrics.numRowsRemoved += gone.count
          const kept = batch.numRows - gone.count
          if (kept > 0) {
            metrics.numCopiedRows += kept
            yield copy(kept === batch.numRows ? batch : takeRows(batch, survivors(gone.mask, kept)))
          }
        } else {
          metrics.numCopiedRows += batch.numRows
          yield copy(batch)
        }
        for (const b of added) {
          metrics.numRowsAdded += b.numRows
          yield b
        }
      }
    }
    if (plan.extraRows) {
      for await (const b of plan.extraRows()) {
        throwIfAborted(signal)
        if (b.numRows === 0) continue
        metrics.numRowsAdded += b.numRows
        yield ids.inserted(b)
      }
    }
  }

  const adds: AddAction[] = await writeDataFiles(snapshot.storage, output(), {
    schema: snapshot.schema,
    partitionColumns: snapshot.partitionColumns,
    configuration: snapshot.properties,
    columnMappingMode: snapshot.columnMappingMode,
    targetFileSize: plan.targetFileSize,
    isSinglePartition: (b) => copied.has(b),
    identity: plan.identity,
    rowTrackingColumns: ids.writerColumns,
    signal,
  })
  txn.remove(removed.map((f) => f.add))
  txn.add(adds)
  metrics.numFilesAdded = adds.length
  metrics.numFilesRemoved = removed.length
  metrics.numBytesAdded = adds.reduce((s, a) => s + a.size, 0)
  metrics.numBytesRemoved = removed.reduce((s, f) => s + f.size, 0)
  metrics.numDeletionVectorsRemoved = removed.filter((f) => f.deletionVector).length
  return metrics
}

function deletedMask(deleted: ArrayLike<number>, n: number): { mask: Uint8Array; count: number } | undefined {
  if (deleted.length === 0) return undefined
  const mask = new Uint8Array(n)
  let count = 0
  for (let k = 0; k < deleted.length; k++) {
    const i = deleted[k]
    if (!(i >= 0 && i < n)) throw new DeltaError('INTERNAL', `rewrite: row index ${i} outside a batch of ${n} rows`)
    if (mask[i] === 0) {
      mask[i] = 1
      count++
    }
  }
  return { mask, count }
}

function survivors(mask: Uint8Array, kept: number): Int32Array {
  const idx = new Int32Array(kept)
  let k = 0
  for (let i = 0; i < mask.length; i++) if (mask[i] === 0) idx[k++] = i
  return idx
}

function liveRows(f: FileEntry): number {
  return (f.stats?.numRecords ?? 0) - (f.deletionVector?.cardinality ?? 0)
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new DeltaError('ABORTED', 'the rewrite was aborted', { cause: signal.reason })
}
