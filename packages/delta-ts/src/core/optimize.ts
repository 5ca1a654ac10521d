import { DeltaError } from '../errors.js'
import type { AddAction } from '../protocol/actions.js'
import type { PredicateInput } from '../protocol/expr/index.js'
import type { FileEntry } from '../protocol/file-entry.js'
import { writeDataFiles } from './data-writer.js'
import { bindPredicate, predicateSql } from './dml-support.js'
import type { FileMetrics, OperationResult } from './result.js'
import { rowIdCarrier } from './row-tracking.js'
import type { Snapshot } from './snapshot.js'
import { type CommitOptions, Transaction } from './transaction.js'
import { clusterLayout, planClusterBins, rewriteClustered } from './zorder.js'

/*
 * OPTIMIZE: bin-packing compaction (Z-order and liquid clustering: core/zorder.ts). Per partition, the files smaller than `minFileSize` are
 * sorted by size and packed greedily into bins of at most `targetSizeBytes`; each bin with at least two files
 * (or one file carrying a deletion vector, whose deleted rows the rewrite purges) is read and rewritten into
 * files of about `targetSizeBytes`. One commit removes the old files and adds the new ones, all with
 * dataChange = false, so readers of the change feed and streaming consumers see no new data.
 *
 * Concurrency: the transaction records only the files it compacts as read (no read predicate), so concurrent
 * appends never conflict with it; a concurrent commit that removes one of those files does (ConcurrentDeleteRead).
 */

/** Default target size of compacted files: 128 MiB, as delta-ts writes. */
export const DEFAULT_OPTIMIZE_TARGET_SIZE = 128 * 1024 * 1024

/** Options of `table.optimize`. */
export interface OptimizeOptions extends CommitOptions {
  /** Size to pack bins to and to roll output files at (default 128 MiB). */
  targetSizeBytes?: number
  /** Files at least this large are left alone (default: `targetSizeBytes`). */
  minFileSize?: number
  /** Compact only partitions matching this predicate over partition columns (SQL or an expression). */
  filter?: PredicateInput
  /**
   * Rewrite the files of each partition in Z-order of these columns (see core/zorder.ts), incrementally: files
   * a previous OPTIMIZE Z-ordered by the same columns are left alone. Refused on clustered tables, which
   * OPTIMIZE clusters by their clustering columns without it.
   */
  zOrderBy?: string[]
  /**
   * Spark's `REORG TABLE ... APPLY (PURGE)`: instead of compacting, rewrite every file that has a deletion
   * vector on its own, without the deleted rows (the file sizes are ignored; files without a vector stay).
   * Commits operation `REORG`. Afterwards no live file has a vector, so vacuum can delete the DV files.
   */
  purgeDeletionVectors?: boolean
}

/** Size distribution of a set of files (delta-rs / Spark `FileSizeStats` subset). */
export interface FileSizeSummary {
  min: number
  max: number
  avg: number
  totalFiles: number
  totalSize: number
}

/** What `table.optimize` compacted (delta-rs's names). */
export interface OptimizeMetrics extends FileMetrics {
  filesAdded: FileSizeSummary
  filesRemoved: FileSizeSummary
  partitionsOptimized: number
  numBatches: number
  totalConsideredFiles: number
  totalFilesSkipped: number
  /** Files removed that carried a deletion vector (their deleted rows are gone from the new files). */
  numDeletionVectorsRemoved: number
}

/**
 * What `table.optimize` did (see {@link OperationResult}): `version` is the committed one, or the current
 * one when there was nothing to compact.
 */
export interface OptimizeResult extends OperationResult<OptimizeMetrics> {}

function summarize(sizes: number[]): FileSizeSummary {
  const totalSize = sizes.reduce((s, x) => s + x, 0)
  return {
    min: sizes.length ? Math.min(...sizes) : 0,
    max: sizes.length ? Math.max(...sizes) : 0,
    avg: sizes.length ? totalSize / sizes.length : 0,
    totalFiles: sizes.length,
    totalSize,
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]
}

/**
 * Plans the bins (pure): per partition, files below `minFileSize` (or with a deletion vector) sorted by size
 * ascending and packed greedily while the bin stays within `targetSize`. Bins of one file without a deletion
 * vector are dropped (rewriting them gains nothing).
 */
export function planBins(files: readonly FileEntry[], targetSize: number, minFileSize: number): FileEntry[][] {
  const byPartition = new Map<string, FileEntry[]>()
  for (const f of files) {
    if (f.size >= minFileSize && !f.deletionVector) continue
    const key = JSON.stringify(Object.entries(f.partitionValues).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    const list = byPartition.get(key)
    if (list) list.push(f)
    else byPartition.set(key, [f])
  }
  const bins: FileEntry[][] = []
  for (const list of byPartition.values()) {
    list.sort((a, b) => a.size - b.size || (a.path < b.path ? -1 : 1))
    let bin: FileEntry[] = []
    let size = 0
    for (const f of list) {
      if (bin.length > 0 && size + f.size > targetSize) {
        bins.push(bin)
        bin = []
        size = 0
      }
      bin.push(f)
      size += f.size
    }
    if (bin.length > 0) bins.push(bin)
  }
  return bins.filter((b) => b.length >= 2 || b.some((f) => f.deletionVector))
}

/**
 * Compacts small files (see the module comment) and commits `OPTIMIZE` with Spark's operationParameters
 * (`predicate` as a JSON array, `zOrderBy: '[]'`) and metrics: Spark's numAddedFiles, numRemovedFiles,
 * numAddedBytes, numRemovedBytes, min/p25/p50/p75/maxFileSize (of the added files), and delta-rs's
 * numFilesAdded, numFilesRemoved, filesAdded / filesRemoved (JSON size summaries), partitionsOptimized,
 * numBatches, totalConsideredFiles, totalFilesSkipped. Commits nothing when no bin qualifies.
 *
 * @throws DeltaError INVALID_ARGUMENT (non-positive sizes, a filter over non-partition columns),
 *   INVALID_PREDICATE, COMMIT_CONFLICT when a concurrent commit removed a file being compacted.
 */
export async function optimizeTable(snapshot: Snapshot, options: OptimizeOptions = {}): Promise<OptimizeResult> {
  const started = Date.now()
  const target = options.targetSizeBytes ?? DEFAULT_OPTIMIZE_TARGET_SIZE
  const minFileSize = options.minFileSize ?? target
  if (!(target > 0) || !(minFileSize > 0))
    throw new DeltaError('INVALID_ARGUMENT', 'targetSizeBytes and minFileSize must be positive')
  let files: FileEntry[]
  let predicate: string[] = []
  if (options.filter !== undefined) {
    const p = bindPredicate(options.filter, snapshot)
    if (!p.partitionOnly) {
      throw new DeltaError(
        'INVALID_ARGUMENT',
        `optimize filter must reference partition columns only (${snapshot.partitionColumns.join(', ') || 'the table has none'})`,
      )
    }
    files = (await snapshot.scan({ filter: p.expr }).plan()).files
    predicate = [predicateSql(p)]
  } else {
    files = (await snapshot.scan().plan()).files
  }
  const purge = options.purgeDeletionVectors === true
  const layout = purge ? undefined : await clusterLayout(snapshot, options.zOrderBy)
  const bins = purge
    ? files.filter((f) => f.deletionVector).map((f) => [f])
    : layout
      ? planClusterBins(files, layout)
      : planBins(files, target, minFileSize)
  const layoutColumns = JSON.stringify(layout?.columns.map((p) => p.join('.')) ?? [])
  const txn = purge
    ? new Transaction(snapshot, 'REORG', { predicate: JSON.stringify(predicate), applyPurge: true })
    : new Transaction(snapshot, 'OPTIMIZE', {
        predicate: JSON.stringify(predicate),
        zOrderBy: layout?.kind === 'zorder' ? layoutColumns : '[]',
        ...(layout?.kind === 'liquid' ? { clusterBy: layoutColumns, auto: false } : {}),
      })
  const adds: AddAction[] = []
  const removed: FileEntry[] = []
  // Row tracking: compacted rows keep their row ids and row commit versions (materialized columns).
  const ids = rowIdCarrier(snapshot)
  const compacted = async function* (bin: FileEntry[]) {
    for await (const b of snapshot.scan({ files: bin, columns: ids.scanColumns, signal: options.signal }).batches())
      yield ids.copied(b)
  }
  const partitions = new Set<string>()
  for (const bin of bins) {
    if (options.signal?.aborted) throw new DeltaError('ABORTED', 'optimize aborted', { cause: options.signal.reason })
    const written = layout
      ? await rewriteClustered(snapshot, bin, layout, target, options.signal)
      : await writeDataFiles(snapshot.storage, compacted(bin), {
          schema: snapshot.schema,
          partitionColumns: snapshot.partitionColumns,
          configuration: snapshot.properties,
          columnMappingMode: snapshot.columnMappingMode,
          targetFileSize: target,
          // Compaction moves rows that are already in the table: no constraint or generated value can change.
          skipWriteRules: true,
          rowTrackingColumns: ids.writerColumns,
          signal: options.signal,
        })
    for (const a of written) adds.push({ ...a, dataChange: false })
    for (const f of bin) removed.push(f)
    partitions.add(JSON.stringify(bin[0].partitionValues))
  }
  const addedSizes = adds.map((a) => a.size).sort((a, b) => a - b)
  const removedSizes = removed.map((f) => f.size)
  const metrics: OptimizeMetrics = {
    numFilesAdded: adds.length,
    numFilesRemoved: removed.length,
    filesAdded: summarize(addedSizes),
    filesRemoved: summarize(removedSizes),
    partitionsOptimized: partitions.size,
    numBatches: bins.length,
    totalConsideredFiles: files.length,
    totalFilesSkipped: files.length - removed.length,
    numBytesAdded: addedSizes.reduce((s, x) => s + x, 0),
    numBytesRemoved: removedSizes.reduce((s, x) => s + x, 0),
    numDeletionVectorsRemoved: removed.filter((f) => f.deletionVector).length,
    executionTimeMs: 0,
  }
  if (removed.length === 0)
    return { version: snapshot.version, metrics: { ...metrics, executionTimeMs: Date.now() - started } }
  txn.readFilePaths(removed.map((f) => f.path))
  txn.remove(
    removed.map((f) => f.add),
    false,
  )
  txn.add(adds)
  txn.setMetrics({
    numAddedFiles: adds.length,
    numRemovedFiles: removed.length,
    numAddedBytes: metrics.filesAdded.totalSize,
    numRemovedBytes: metrics.filesRemoved.totalSize,
    minFileSize: metrics.filesAdded.min,
    p25FileSize: percentile(addedSizes, 0.25),
    p50FileSize: percentile(addedSizes, 0.5),
    p75FileSize: percentile(addedSizes, 0.75),
    maxFileSize: metrics.filesAdded.max,
    numDeletionVectorsRemoved: metrics.numDeletionVectorsRemoved,
    numFilesAdded: adds.length,
    numFilesRemoved: removed.length,
    filesAdded: JSON.stringify(metrics.filesAdded),
    filesRemoved: JSON.stringify(metrics.filesRemoved),
    partitionsOptimized: metrics.partitionsOptimized,
    numBatches: metrics.numBatches,
    totalConsideredFiles: metrics.totalConsideredFiles,
    totalFilesSkipped: metrics.totalFilesSkipped,
    executionTimeMs: Date.now() - started,
  })
  const commit = await txn.commit(options)
  return { version: commit.version, metrics: { ...metrics, executionTimeMs: Date.now() - started }, commit }
}
