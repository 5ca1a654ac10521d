import type * as arrow from 'apache-arrow'
import { v4 as uuidv4 } from 'uuid'
import { adoptTableOrBatch, isArrowRecordBatch, isArrowTable } from '../arrow/adopt.js'
import { enforceSchema, type SchemaMode } from '../arrow/schema-evolution.js'
import { DeltaError } from '../errors.js'
import type { AddAction, MetadataAction } from '../protocol/actions.js'
import type { PredicateInput } from '../protocol/expr/index.js'
import { type StructType, schemaToString } from '../protocol/schema.js'
import { ChangeDataCollector, changeDataFeedEnabled } from './change-data.js'
import { writeDataFiles } from './data-writer.js'
import { assertRowsMatch, type BoundPredicate, bindPredicate, deleteRowsWhere, predicateSql } from './dml-support.js'
import type { FileMetrics, OperationResult } from './result.js'
import type { Snapshot } from './snapshot.js'
import { type CommitOptions, Transaction } from './transaction.js'
import { COMMIT_OPTIONS, check, checkOptions, type OptionSpec } from './validate.js'
import { relaxedForRules, writeRulesFor } from './write-rules.js'

/** Data a write accepts: a whole Arrow table, one batch, or a stream of batches (bounded memory). */
export type WriteInput =
  | arrow.Table
  | arrow.RecordBatch
  | AsyncIterable<arrow.RecordBatch>
  | Iterable<arrow.RecordBatch>

/** Options of `table.write`. */
export interface WriteOptions extends CommitOptions {
  /** 'append' (default) adds rows; 'overwrite' replaces the table's rows (or those matching `replaceWhere`). */
  mode?: 'append' | 'overwrite'
  /** With mode 'overwrite': replace only rows matching this predicate; every written row must match it. */
  replaceWhere?: PredicateInput
  /** 'merge' adds new columns to the schema; 'overwrite' (with mode overwrite) replaces the schema. */
  schemaMode?: 'merge' | 'overwrite'
  /** Idempotent write: skipped when the table already holds `appId` at a version >= `version`. */
  txn?: { appId: string; version: number }
  /** Roll to a new data file at this many bytes of encoded parquet (default 128 MiB). */
  targetFileSize?: number
  /**
   * Parquet files encoded at once (partitions and rolled files encode in parallel): 1 encodes in the caller's
   * thread, n > 1 on a shared pool of n worker threads. Default: one per core. The result does not depend on it.
   */
  concurrency?: number
}

const WRITE_OPTIONS: OptionSpec = {
  ...COMMIT_OPTIONS,
  mode: check.oneOf('append', 'overwrite'),
  replaceWhere: check.predicate,
  schemaMode: check.oneOf('merge', 'overwrite'),
  txn: check.txn,
  targetFileSize: check.positiveNumber,
  concurrency: check.positiveInteger,
}

/** What `table.write` wrote and removed. */
export interface WriteMetrics extends FileMetrics {
  /** Rows written. */
  numOutputRows: number
}

/**
 * What `table.write` did (see {@link OperationResult}): `version` is the committed one, or the current one
 * when skipped. The put attempts of the commit are in `commit.attempts`.
 */
export interface WriteResult extends OperationResult<WriteMetrics> {
  /** True when the txn appId/version was already applied: nothing was written. */
  skipped: boolean
  /** Why it was skipped. */
  skipReason?: string
}

/** Arrow Tables and RecordBatches by shape (any copy of apache-arrow): a schema with fields, and batches or data. */
function isTabular(x: unknown): boolean {
  if (typeof x !== 'object' || x === null) return false
  const t = x as { schema?: { fields?: unknown }; batches?: unknown; data?: unknown }
  return (
    Array.isArray(t.schema?.fields) && (Array.isArray(t.batches) || (typeof t.data === 'object' && t.data !== null))
  )
}

const WRITE_INPUT = 'an Arrow Table, an Arrow RecordBatch, or an (async) iterable of RecordBatches'

/** Refuses what is not a {@link WriteInput} (plain rows, undefined) before anything is read or written. */
function checkWriteInput(data: unknown): void {
  if (isTabular(data)) return
  const iterable =
    typeof data === 'object' &&
    data !== null &&
    (typeof (data as Iterable<unknown>)[Symbol.iterator] === 'function' ||
      typeof (data as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function')
  if (!iterable) {
    throw new DeltaError(
      'INVALID_ARGUMENT',
      `write: data must be ${WRITE_INPUT}, got ${data === null ? 'null' : typeof data}`,
    )
  }
  if (Array.isArray(data)) {
    const bad = data.findIndex((x) => !isTabular(x))
    if (bad >= 0) {
      throw new DeltaError(
        'INVALID_ARGUMENT',
        `write: data[${bad}] is not an Arrow RecordBatch; data must be ${WRITE_INPUT} (plain row objects are not ` +
          'accepted: build an Arrow table, e.g. with tableFromJSON or the delta-ts/testing helpers)',
      )
    }
  }
}

/** Checks each item a stream yields: a stream of plain objects fails before its first file is written. */
async function* checkedItems(
  source: AsyncIterator<arrow.Table | arrow.RecordBatch>,
): AsyncGenerator<arrow.Table | arrow.RecordBatch> {
  let i = 0
  for (let next = await source.next(); !next.done; next = await source.next(), i++) {
    if (!isTabular(next.value)) {
      throw new DeltaError('INVALID_ARGUMENT', `write: item ${i} of the data stream is not an Arrow RecordBatch`)
    }
    yield next.value
  }
}

/** One async iterator over any accepted input; a Table yields its batches. */
// Tables and batches of any apache-arrow copy are adopted (same buffers, our classes): see arrow/adopt.ts.
function toAsyncIterator(data: WriteInput): AsyncIterator<arrow.Table | arrow.RecordBatch> {
  if (isArrowTable(data) || isArrowRecordBatch(data)) {
    const adopted = adoptTableOrBatch(data, 'write data')
    return (async function* () {
      yield adopted
    })()
  }
  if (typeof (data as AsyncIterable<arrow.RecordBatch>)[Symbol.asyncIterator] === 'function') {
    return (data as AsyncIterable<arrow.RecordBatch>)[Symbol.asyncIterator]()
  }
  return (async function* () {
    yield* data as Iterable<arrow.RecordBatch>
  })()
}

/** Each checked item of a stream, adopted when it comes from another apache-arrow copy. */
async function* adoptedItems(
  source: AsyncIterable<arrow.Table | arrow.RecordBatch>,
): AsyncGenerator<arrow.Table | arrow.RecordBatch> {
  for await (const item of source) yield adoptTableOrBatch(item, 'a written batch')
}

/**
 * Appends or overwrites (see {@link WriteOptions}). Data files are written first and committed last, so a
 * crash or a conflict leaves the table unchanged (the files are orphans for vacuum).
 * Errors: SCHEMA_MISMATCH naming the fields; CONSTRAINT_VIOLATION when a row breaks `replaceWhere`;
 * UNSUPPORTED_FEATURE for tables delta-ts cannot write; CommitConflictError on a conflicting concurrent commit.
 */
export async function writeToTable(
  snapshot: Snapshot,
  data: WriteInput,
  options: WriteOptions = {},
): Promise<WriteResult> {
  const started = Date.now()
  checkWriteInput(data)
  checkOptions('write', options, WRITE_OPTIONS)
  const mode = options.mode ?? 'append'
  if (options.replaceWhere !== undefined && mode !== 'overwrite') {
    throw new DeltaError('INVALID_ARGUMENT', "replaceWhere needs mode 'overwrite'")
  }
  if (options.schemaMode === 'overwrite' && (mode !== 'overwrite' || options.replaceWhere !== undefined)) {
    throw new DeltaError('INVALID_ARGUMENT', "schemaMode 'overwrite' needs mode 'overwrite' without replaceWhere")
  }
  if (options.txn) {
    const applied = await snapshot.appTransactionVersion(options.txn.appId)
    if (applied !== undefined && applied >= options.txn.version) {
      return {
        version: snapshot.version,
        skipped: true,
        skipReason: `application '${options.txn.appId}' already committed version ${applied} (>= ${options.txn.version})`,
        metrics: {
          numFilesAdded: 0,
          numFilesRemoved: 0,
          numBytesAdded: 0,
          numBytesRemoved: 0,
          numOutputRows: 0,
          executionTimeMs: Date.now() - started,
        },
      }
    }
  }
  const replacePredicate: BoundPredicate | undefined =
    options.replaceWhere !== undefined ? bindPredicate(options.replaceWhere, snapshot) : undefined
  const operationParameters: Record<string, unknown> = {
    mode: mode === 'append' ? 'Append' : 'Overwrite',
    partitionBy: JSON.stringify(snapshot.partitionColumns),
  }
  if (replacePredicate) operationParameters.predicate = JSON.stringify([predicateSql(replacePredicate)])
  const txn = new Transaction(snapshot, 'WRITE', operationParameters)

  const schemaMode: SchemaMode = options.schemaMode ?? 'strict'
  // The first batch settles the schema (merge / overwrite); later batches must fit it exactly.
  const source = adoptedItems(checkedItems(toAsyncIterator(data)))[Symbol.asyncIterator]()
  const first = await source.next()
  let schema: StructType = snapshot.schema
  let schemaChanged = false
  let rows = 0
  // Column-mapped tables: columns added by schema evolution get the next ids and fresh physical names.
  let maxColumnId = Number(snapshot.properties['delta.columnMapping.maxColumnId'] ?? '0')
  const columnMappingIds = () =>
    snapshot.columnMappingMode === 'none' ? undefined : { maxColumnId, newPhysicalName: () => `col-${uuidv4()}` }
  // Identity and generated columns may be absent from the data (the write rules fill them), even NOT NULL ones.
  const rules = writeRulesFor(snapshot.schema, snapshot.properties)
  const conform = (batch: arrow.Table | arrow.RecordBatch, mode: SchemaMode): arrow.Table => {
    const relaxed = relaxedForRules(schema, rules)
    const res = enforceSchema(batch, {
      tableSchema: relaxed,
      schemaMode: mode,
      columnMapping: columnMappingIds(),
      typeWidening: snapshot.properties['delta.enableTypeWidening'] === 'true',
    })
    if (res.schemaChanged) {
      schema =
        relaxed === schema
          ? res.schema
          : {
              ...res.schema,
              fields: res.schema.fields.map((f) => {
                const original = schema.fields.find((o) => o.name === f.name)
                return original && relaxed.fields.find((r) => r.name === f.name) !== original
                  ? { ...f, nullable: original.nullable }
                  : f
              }),
            }
      schemaChanged = true
    }
    if (res.maxColumnId !== undefined) maxColumnId = res.maxColumnId
    if (replacePredicate) assertRowsMatch(res.data, replacePredicate, 'replaceWhere')
    rows += res.data.numRows
    return res.data
  }
  const firstTable = first.done ? undefined : conform(first.value, schemaMode)
  // replaceWhere on data columns of a table with the change data feed: the rows it deletes go to cdc files,
  // so its new rows must too (a reader of a commit with cdc files ignores its adds).
  const changes =
    replacePredicate && !replacePredicate.partitionOnly && changeDataFeedEnabled(snapshot.properties)
      ? new ChangeDataCollector()
      : undefined
  const tag = (b: arrow.RecordBatch) => (changes ? changes.tag(b, 'insert') : b)
  async function* batches(): AsyncIterable<arrow.RecordBatch> {
    if (firstTable) for (const b of firstTable.batches) yield tag(b)
    for (let next = await source.next(); !next.done; next = await source.next())
      for (const b of conform(next.value, 'strict').batches) yield tag(b)
  }
  const adds: AddAction[] = await writeDataFiles(snapshot.storage, batches(), {
    schema,
    partitionColumns: snapshot.partitionColumns,
    configuration: snapshot.properties,
    targetFileSize: options.targetFileSize,
    concurrency: options.concurrency,
    columnMappingMode: snapshot.columnMappingMode,
    dataConformsToSchema: true,
    identity: txn.identity(),
    newRows: true,
    observe: changes?.observe,
    signal: options.signal,
  })

  if (schemaChanged) {
    const configuration =
      snapshot.columnMappingMode === 'none'
        ? snapshot.metadata.configuration
        : { ...snapshot.metadata.configuration, 'delta.columnMapping.maxColumnId': String(maxColumnId) }
    const metadata: MetadataAction = { ...snapshot.metadata, schemaString: schemaToString(schema), configuration }
    txn.updateMetadata(metadata)
  }
  let numFilesRemoved = 0
  let numBytesRemoved = 0
  let numBytesAdded = adds.reduce((s, a) => s + a.size, 0)
  let numFilesAdded = adds.length
  if (mode === 'overwrite') {
    if (replacePredicate) {
      // The rows replaceWhere replaces go through the rewrite engine like a DELETE's.
      const removed = await deleteRowsWhere(snapshot, txn, replacePredicate, options.signal, changes)
      numFilesRemoved = removed.numFilesRemoved
      numBytesRemoved = removed.numBytesRemoved
      numFilesAdded += removed.numFilesAdded
      numBytesAdded += removed.numBytesAdded
    } else {
      const files = await snapshot.files()
      txn
        .readWholeTable()
        .readFilePaths(files.map((f) => f.path))
        .remove(files.map((f) => f.add))
      numFilesRemoved = files.length
      numBytesRemoved = files.reduce((s, f) => s + f.size, 0)
    }
  }
  txn.add(adds)
  if (options.txn) txn.setAppTransaction(options.txn.appId, options.txn.version)
  const commit = await txn.commit(options)
  return {
    version: commit.version,
    skipped: false,
    metrics: {
      numFilesAdded,
      numFilesRemoved,
      numBytesAdded,
      numBytesRemoved,
      numOutputRows: rows,
      executionTimeMs: Date.now() - started,
    },
    commit,
  }
}
