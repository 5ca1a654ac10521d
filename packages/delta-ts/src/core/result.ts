import type { CommitResult } from './transaction.js'

/**
 * The shape every table operation returns (write, delete, update, merge, optimize, checkpoint, vacuum,
 * cleanupMetadata): the table version it produced or looked at, what it did as `metrics`, and, when it
 * committed, the {@link CommitResult} (attempts, commitInfo, the post-commit stage's checkpoint and errors).
 * Operation-specific fields sit beside these (`skipped`, `files`, ...).
 */
export interface OperationResult<M extends object> {
  /** The version committed; the version read when nothing was committed. */
  version: number
  metrics: M
  /** The commit, when the operation committed one. */
  commit?: CommitResult
}

/** The file counts every committing operation reports (delta-rs's names). */
export interface FileMetrics {
  /** Data files written. */
  numFilesAdded: number
  /** Data files removed from the table. */
  numFilesRemoved: number
  /** Bytes of the data files written. */
  numBytesAdded: number
  /** Bytes of the data files removed. */
  numBytesRemoved: number
  /** Wall time of the operation, commit included. */
  executionTimeMs: number
}
