import { referencedColumns } from '../protocol/expr/columns.js'
import type { FileEntry } from '../protocol/file-entry.js'
import { type FileDeletion, writeDeletionVectors } from './deletion-vector-io.js'
import { addMatcher, type BoundPredicate, type RewriteMetrics } from './dml-support.js'
import { evaluatePredicate } from './row-filter.js'
import type { Snapshot } from './snapshot.js'
import type { Transaction } from './transaction.js'

/**
 * DELETE by deletion vectors (merge-on-read): each candidate file is read — only the columns the predicate
 * references, ignoring its current vector so batch positions are file row indexes — and the matching rows are
 * marked in a new deletion vector (the union with the old one). Files whose every row ends up deleted are
 * removed outright, as Spark does; the others get remove(old add) + add(same path, new vector). All new
 * vectors of the operation share one DV file. Records the read predicate and read files on the transaction.
 */
export async function deleteWithDeletionVectors(
  snapshot: Snapshot,
  txn: Transaction,
  p: BoundPredicate,
  signal?: AbortSignal,
): Promise<RewriteMetrics> {
  const { files, stats } = await snapshot.scan({ filter: p.expr, signal }).plan()
  txn.readPredicate(addMatcher(p)).readFilePaths(files.map((f) => f.path))
  const metrics: RewriteMetrics = {
    numRemovedFiles: 0,
    numAddedFiles: 0,
    numMatchedRows: 0,
    numCopiedRows: 0,
    numFilesSkipped: stats.total - stats.kept,
    numDeletionVectorsAdded: 0,
    numDeletionVectorsUpdated: 0,
    numDeletionVectorsRemoved: 0,
  }
  const columns = [...new Set(referencedColumns(p.expr).map((c) => c.path[0]))]
  const deletions: FileDeletion[] = []
  for (const file of files) {
    const matched: number[] = []
    let row = 0
    const physical: FileEntry = { ...file, deletionVector: undefined }
    for await (const batch of snapshot.scan({ files: [physical], columns, signal }).batches()) {
      const mask = evaluatePredicate(p.expr, batch)
      for (let i = 0; i < mask.length; i++) if (mask[i]) matched.push(row + i)
      row += batch.numRows
    }
    if (matched.length > 0) deletions.push({ file, rows: matched, totalRows: row })
  }
  const { updates, fullyDeleted } = await writeDeletionVectors(snapshot.storage, deletions, {
    properties: snapshot.properties,
    signal,
  })
  for (const { file, newlyDeleted } of fullyDeleted) {
    metrics.numMatchedRows += newlyDeleted
    if (file.deletionVector) metrics.numDeletionVectorsRemoved = (metrics.numDeletionVectorsRemoved ?? 0) + 1
  }
  txn.remove(fullyDeleted.map((d) => d.file.add))
  metrics.numRemovedFiles = fullyDeleted.length
  for (const u of updates) {
    metrics.numMatchedRows += u.newlyDeleted
    if (u.old.deletionVector) metrics.numDeletionVectorsUpdated = (metrics.numDeletionVectorsUpdated ?? 0) + 1
    else metrics.numDeletionVectorsAdded = (metrics.numDeletionVectorsAdded ?? 0) + 1
  }
  txn.remove(updates.map((u) => u.old))
  txn.add(updates.map((u) => u.add))
  return metrics
}
