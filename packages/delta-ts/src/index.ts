/**
 * delta-ts: the Delta Lake protocol for TypeScript. This file names every public export.
 * @packageDocumentation
 */

export {
  type EnforceSchemaOptions,
  type EnforceSchemaResult,
  enforceSchema,
  type SchemaMode,
} from './arrow/schema-evolution.js'
export { computeFileStats, type FileStatsOptions } from './arrow/stats.js'
export { takeRows } from './arrow/take.js'
export { CHANGE_TYPE_COLUMN, type ChangeType } from './core/change-data.js'
export {
  ChangeFeed,
  type ChangesOptions,
  COMMIT_TIMESTAMP_COLUMN,
  COMMIT_VERSION_COLUMN,
} from './core/changes.js'
export {
  type BuildCheckpointOptions,
  type BuiltCheckpoint,
  buildCheckpoint,
  type LastCheckpointInfo,
  type LastCheckpointV2Info,
  type WriteCheckpointOptions,
  type WrittenCheckpoint,
  writeCheckpoint,
} from './core/checkpoint-writer.js'
export type { CreateTableOptions, IdentityColumnOptions } from './core/create.js'
export {
  DEFAULT_MAX_BUFFERED_BYTES,
  DEFAULT_TARGET_FILE_SIZE,
  type WriteDataFilesOptions,
  writeDataFiles,
} from './core/data-writer.js'
export type {
  CheckpointOptions,
  CheckpointResult,
  CleanupResult,
  VacuumOptions,
  VacuumResult,
} from './core/maintenance.js'
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
  DEFAULT_OPTIMIZE_TARGET_SIZE,
  type FileSizeSummary,
  type OptimizeOptions,
  type OptimizeResult,
  planBins,
} from './core/optimize.js'
export type { BoundPredicate, ScanPlan } from './core/plan.js'
export type { ColumnResolver } from './core/row-filter.js'
export { evaluatePredicate, filterBatch, type RowFilterOptions, vectorValues } from './core/row-filter.js'
export { Scan, type ScanOptions } from './core/scan.js'
export { Snapshot } from './core/snapshot.js'
export type { DeleteResult } from './core/table.js'
export { DeltaTable, type HistoryEntry, type OpenOptions, type SnapshotOptions } from './core/table.js'
// Types named by the signatures above (options and results of DeltaTable methods), so that TypeScript users can
// import them and the API reference can link them.
export { type CommitOptions, type CommitResult, Transaction } from './core/transaction.js'
export {
  type Assignments,
  parseValueExpr,
  type UpdateOptions,
  type UpdateResult,
  type ValueExpr,
} from './core/update.js'
export type { WriteInput, WriteOptions, WriteResult } from './core/write.js'
export {
  CommitConflictError,
  CommitOutcomeUnknownError,
  type ConflictKind,
  DeltaError,
  type DeltaErrorCode,
  isDeltaError,
} from './errors.js'
export { type InitParquetWasmOptions, initParquetWasm, type ParquetWasmSource } from './parquet/wasm.js'
export { codecFromConfiguration, type ParquetCodec, type ParquetWriteOptions, writeParquet } from './parquet/write.js'
export type * from './protocol/actions.js'
export type { ArrowSchemaOptions } from './protocol/arrow-schema.js'
export { arrowToDeltaSchema, deltaToArrowSchema } from './protocol/arrow-schema.js'
export type { IsolationLevel } from './protocol/conflict-checker.js'
export {
  type AndExpr,
  type ArithExpr,
  type ArithOp,
  and,
  arith,
  type BindOptions,
  type BoundExpr,
  bindExpr,
  bindValue,
  type ColumnExpr,
  type ColumnName,
  ColumnRef,
  type CompareExpr,
  type CompareOp,
  col,
  type Expr,
  exprToSql,
  type InExpr,
  type IsNullExpr,
  type LikeExpr,
  type LiteralExpr,
  type LiteralValue,
  lit,
  type NegateExpr,
  type NotExpr,
  type NullSafeEqualExpr,
  neg,
  not,
  type Operand,
  type OrExpr,
  or,
  type PredicateInput,
  parsePredicate,
  parseValue,
  type SqlOptions,
} from './protocol/expr/index.js'
export {
  assertReadable,
  assertWritable,
  readerFeatures,
  SUPPORTED_READER_FEATURES,
  SUPPORTED_WRITER_FEATURES,
  writerFeatures,
} from './protocol/features.js'
export type { FileEntry, FileStats } from './protocol/file-entry.js'
export {
  encodeLogPath,
  escapePartitionPathName,
  HIVE_DEFAULT_PARTITION,
  parsePartitionPath,
  partitionPath,
  unescapePartitionPathName,
} from './protocol/partition-path.js'
export {
  compareScalars,
  type DecimalValue,
  parsePartitionValue,
  type ScalarValue,
  serializePartitionValue,
} from './protocol/partition-values.js'
export {
  fileMayMatch,
  type PruneStats,
  type PruningContext,
  partitionMayMatch,
  pruneFiles,
} from './protocol/pruning.js'
export * from './protocol/schema.js'
export { DEFAULT_NUM_INDEXED_COLS, DEFAULT_STRING_PREFIX_LENGTH } from './protocol/stats.js'
export { HttpStorage, type HttpStorageOptions } from './storage/http.js'
export { LocalStorage } from './storage/local.js'
export { MemoryStorage } from './storage/memory.js'
export type { ObjectMeta, PutOptions, ReadOptions, Storage } from './storage/types.js'
export { dropMemoryStorage, resolveStorage, type StorageOptions } from './storage/uri.js'
