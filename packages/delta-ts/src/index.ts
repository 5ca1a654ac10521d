/**
 * delta-ts: the Delta Lake protocol for TypeScript. This file names every public export.
 * @packageDocumentation
 */
export { CommitConflictError, type ConflictKind, DeltaError, type DeltaErrorCode, isDeltaError } from './errors.js'
export type * from './protocol/actions.js'
export type { FileEntry, FileStats } from './protocol/file-entry.js'
export {
  assertReadable,
  assertWritable,
  readerFeatures,
  SUPPORTED_READER_FEATURES,
  SUPPORTED_WRITER_FEATURES,
  writerFeatures,
} from './protocol/features.js'
export * from './protocol/schema.js'
export { DeltaTable, type HistoryEntry, type OpenOptions, type SnapshotOptions } from './core/table.js'
export { Snapshot } from './core/snapshot.js'
export type { ObjectMeta, PutOptions, ReadOptions, Storage } from './storage/types.js'
export { MemoryStorage } from './storage/memory.js'
export { LocalStorage } from './storage/local.js'
export {
  compareScalars,
  type DecimalValue,
  parsePartitionValue,
  type ScalarValue,
  serializePartitionValue,
} from './protocol/partition-values.js'
export { arrowToDeltaSchema, deltaToArrowSchema } from './protocol/arrow-schema.js'
export { dropMemoryStorage, resolveStorage, type StorageOptions } from './storage/uri.js'
export { Scan, type ScanOptions } from './core/scan.js'
export {
  and,
  bindExpr,
  type BindOptions,
  type BoundExpr,
  col,
  ColumnRef,
  type AndExpr,
  type ColumnExpr,
  type ColumnName,
  type CompareExpr,
  type CompareOp,
  type Expr,
  exprToSql,
  type InExpr,
  type IsNullExpr,
  type LikeExpr,
  lit,
  type LiteralExpr,
  type LiteralValue,
  not,
  type NotExpr,
  type Operand,
  or,
  type OrExpr,
  parsePredicate,
  type PredicateInput,
  type SqlOptions,
} from './protocol/expr/index.js'
export { fileMayMatch, partitionMayMatch, pruneFiles, type PruneStats, type PruningContext } from './protocol/pruning.js'
export { evaluatePredicate, filterBatch, type RowFilterOptions, takeRows, vectorValues } from './core/row-filter.js'
export {
  writeDataFiles,
  type WriteDataFilesOptions,
  DEFAULT_TARGET_FILE_SIZE,
  DEFAULT_MAX_BUFFERED_BYTES,
} from './core/data-writer.js'
export { computeFileStats, type FileStatsOptions, DEFAULT_NUM_INDEXED_COLS, DEFAULT_STRING_PREFIX_LENGTH } from './protocol/stats.js'
export {
  partitionPath,
  parsePartitionPath,
  encodeLogPath,
  escapePartitionPathName,
  unescapePartitionPathName,
  HIVE_DEFAULT_PARTITION,
} from './protocol/partition-path.js'
export {
  enforceSchema,
  type EnforceSchemaOptions,
  type EnforceSchemaResult,
  type SchemaMode,
} from './protocol/schema-evolution.js'
export {
  buildCheckpoint,
  writeCheckpoint,
  type BuildCheckpointOptions,
  type BuiltCheckpoint,
  type LastCheckpointInfo,
} from './core/checkpoint-writer.js'
export { writeParquet, codecFromConfiguration, type ParquetCodec, type ParquetWriteOptions } from './parquet/write.js'
export {
  MergeBuilder,
  type MergeConditionOptions,
  type MergeInsertOptions,
  type MergeMetrics,
  type MergeOptions,
  type MergeResult,
  type MergeUpdateOptions,
} from './core/merge.js'
export {
  parseValueExpr,
  type Assignments,
  type UpdateOptions,
  type UpdateResult,
  type ValueExpr,
} from './core/update.js'
export {
  DEFAULT_OPTIMIZE_TARGET_SIZE,
  type FileSizeSummary,
  type OptimizeOptions,
  type OptimizeResult,
  planBins,
} from './core/optimize.js'
// Types named by the signatures above (options and results of DeltaTable methods), so that TypeScript users can
// import them and the API reference can link them.
export { type CommitOptions, type CommitResult, Transaction } from './core/transaction.js'
export type { IsolationLevel } from './protocol/conflict-checker.js'
export type { CreateTableOptions } from './core/create.js'
export type { WriteInput, WriteOptions, WriteResult } from './core/write.js'
export type { CheckpointResult, CleanupResult, VacuumOptions, VacuumResult } from './core/maintenance.js'
export type { DeleteResult } from './core/table.js'
export type { ArrowSchemaOptions } from './protocol/arrow-schema.js'
export type { ColumnResolver } from './core/row-filter.js'
