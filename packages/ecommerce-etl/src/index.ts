/**
 * ecommerce-etl: the e-commerce lakehouse pipeline (products, orders, order_items) on delta-ts. This file names
 * every public export.
 * @packageDocumentation
 */
export { arrowToRows, rowsToArrow } from './arrow.js'
export {
  CATALOG_PATH,
  type Catalog,
  type CatalogEntry,
  type Preview,
  preview,
  readCatalog,
  refreshCatalog,
} from './catalog.js'
export { batchOfRecords, csvBatches, type RawBatch, recordAt } from './columns.js'
export { parseCsvRecords, SOURCE_ROW, toCsv } from './csv.js'
export {
  arrowSchema,
  type ColumnDef,
  type ColumnKind,
  catalogName,
  DATASET_DEFS,
  DATASETS,
  type DatasetDef,
  type DatasetName,
  datasetOfPath,
  ORDER_ITEMS,
  ORDERS,
  PRODUCTS,
} from './datasets.js'
export {
  type BatchOutcome,
  type CompiledExpectation,
  compileExpectations,
  type Expectation,
  type ExpectationAction,
  ExpectationError,
  ExpectationFailedError,
  type ExpectationOutcome,
  type ExpectationResult,
  evaluateBatch,
  evaluateExpectations,
  expectationBatch,
  expectationBatchOf,
  expectationSchema,
  firstFailure,
  type KeyLookup,
  mergeExpectations,
  typeRecord,
} from './expectations.js'
export {
  CLEAN,
  DEFAULT_DIRTY,
  type DirtyShares,
  type ExpectedCounts,
  type GeneratedData,
  type GenerateOptions,
  generateData,
  prng,
  writeGeneratedData,
} from './generate.js'
export { type GlueRegistration, type GlueSettings, glueTableInput, glueType, registerInGlue } from './glue.js'
export {
  appIdOf,
  archiveRawFiles,
  changedCondition,
  type JobOutput,
  type JobRunLog,
  type JobStageMs,
  type RunContext,
  rejectedCsv,
  runJob,
  tableKeys,
} from './jobs.js'
export { Int64Table, int64Words } from './keys.js'
export {
  ConsoleNotifier,
  formatNotification,
  type Notifier,
  notifiersFromSpec,
  notifyAll,
  type RunNotification,
  SnsNotifier,
  WebhookNotifier,
} from './notify.js'
export {
  claimRun,
  listRuns,
  PIPELINE_DAG,
  type PipelineOptions,
  type PipelineResult,
  type RunRecord,
  runPipeline,
  stageRawFiles,
} from './pipeline.js'
export {
  type PreprocessError,
  type PreprocessErrorCode,
  type PreprocessedFile,
  type PreprocessResult,
  preprocess,
} from './preprocess.js'
export {
  type QuarantineWrite,
  quarantineRows,
  quarantineSchema,
  rejectionId,
  writeQuarantine,
} from './quarantine.js'
export {
  countReasons,
  dedupByKey,
  type RawRecord,
  type ReferenceKeys,
  type Rejection,
  type RejectReason,
  RULES,
  type TypedRow,
  type TypedValue,
  type ValidatedBatch,
  validateBatch,
  validateRecord,
} from './rules.js'
export {
  type DagResult,
  isTransient,
  type RetryOptions,
  runDag,
  type Step,
  type StepResult,
  type StepStatus,
  withRetries,
} from './runner.js'
export {
  type QueryOptions,
  type QueryResult,
  queryWarehouse,
  referencedTables,
  SQL_TABLES,
  type SqlTable,
  sqlName,
  WarehouseSql,
} from './sql.js'
export {
  type AslDefinition,
  type DagStepShape,
  dagLevels,
  type StateMachineOptions,
  stateMachineDefinition,
} from './state-machine.js'
export { type FileStore, LocalFileStore, type StoredObject } from './store.js'
export * from './values.js'
export { type S3Settings, TABLES_DIR, Warehouse } from './warehouse.js'
export {
  type CellKind,
  type ConvertXlsxOptions,
  type CsvSink,
  cellText,
  convertXlsx,
  type SheetResult,
  type XlsxInput,
} from './xlsx.js'
export { type XlsxErrorCode, XlsxReadError } from './xlsx-read.js'
