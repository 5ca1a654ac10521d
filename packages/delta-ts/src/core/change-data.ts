import * as arrow from 'apache-arrow'
import { DeltaError } from '../errors.js'
import type { CdcAction, MetadataAction } from '../protocol/actions.js'
import { parseSchemaString, type StructType } from '../protocol/schema.js'
import { writeDataFiles } from './data-writer.js'
import type { Snapshot } from './snapshot.js'
import type { Transaction } from './transaction.js'

/*
 * The writer side of the change data feed (PROTOCOL.md §Add CDC File, Spark's TransactionalWrite CDC
 * partition): a row-level DML commit on a table with `delta.enableChangeDataFeed` carries `cdc` files under
 * `_change_data/` (partitioned like the table, `cdc-` file names) holding every changed row with its
 * `_change_type`. A reader of a commit with cdc files reads those only and ignores the commit's add / remove
 * actions, so once a commit has one, every change of the commit must be in them: the deleted rows, the pre- and
 * post-images of updated rows and the inserted rows. Commits that only add files (appends) or remove whole
 * files (partition DELETE, overwrite) carry none, as in Spark: readers derive their changes from add / remove.
 */

/** The column holding the kind of change in cdc files and in `changes()` output. */
export const CHANGE_TYPE_COLUMN = '_change_type'

/** The change kinds Spark writes and reads. */
export type ChangeType = 'insert' | 'delete' | 'update_preimage' | 'update_postimage'

/** Whether the table records its changes (`delta.enableChangeDataFeed = true`). */
export function changeDataFeedEnabled(properties: Readonly<Record<string, string | null | undefined>>): boolean {
  return properties['delta.enableChangeDataFeed']?.toLowerCase() === 'true'
}

/** The columns the change feed adds to every row it returns; a table that records changes cannot have them. */
export const CHANGE_FEED_COLUMNS: readonly string[] = [CHANGE_TYPE_COLUMN, '_commit_version', '_commit_timestamp']

/**
 * Refuses metadata that records changes (`delta.enableChangeDataFeed = true`) while its schema has a top-level
 * column named like one the change feed adds (case-insensitively), as Spark does: the feed's rows could not
 * tell the table's column from its own.
 *
 * @throws DeltaError `INVALID_SCHEMA` naming the columns.
 */
export function assertNoChangeFeedColumns(metadata: MetadataAction): void {
  if (!changeDataFeedEnabled(metadata.configuration ?? {})) return
  const reserved = new Set(CHANGE_FEED_COLUMNS)
  const clash = parseSchemaString(metadata.schemaString).fields.filter((f) => reserved.has(f.name.toLowerCase()))
  if (clash.length === 0) return
  throw new DeltaError(
    'INVALID_SCHEMA',
    `the change data feed (delta.enableChangeDataFeed) cannot be enabled on a table with the column(s) ${clash
      .map((f) => `'${f.name}'`)
      .join(', ')}: ${CHANGE_FEED_COLUMNS.join(', ')} are reserved for the feed's own columns; rename them first`,
  )
}

/**
 * Collects the changed rows of one DML operation and writes them as cdc files. Rows of existing files (deleted
 * rows, update pre-images) are added as they were read; rows the operation writes (update post-images, inserts)
 * are tagged before they go to the data writer and collected as the writer saw them after its write rules
 * (generated and identity values filled in), so the change feed holds exactly the rows the table holds.
 *
 * Memory: the changed rows are held until {@link ChangeDataCollector.write} (written after the data files).
 */
export class ChangeDataCollector {
  readonly #batches: { batch: arrow.RecordBatch; type: ChangeType }[] = []
  readonly #tagged = new WeakMap<arrow.RecordBatch, ChangeType>()

  /** Rows of this change type, already in the table's Arrow layout. */
  add(batch: arrow.RecordBatch, type: ChangeType): void {
    if (batch.numRows > 0) this.#batches.push({ batch, type })
  }

  /** Marks a batch handed to the data writer: its rows as written are collected by {@link observe}. */
  tag<B extends arrow.RecordBatch>(batch: B, type: ChangeType): B {
    this.#tagged.set(batch, type)
    return batch
  }

  /** The data writer's `observe` hook: collects the written rows of tagged input batches. */
  readonly observe = (input: arrow.RecordBatch, written: arrow.Table): void => {
    const type = this.#tagged.get(input)
    if (type) for (const b of written.batches) this.add(b, type)
  }

  /** Rows collected so far. */
  get numRows(): number {
    return this.#batches.reduce((n, b) => n + b.batch.numRows, 0)
  }

  /**
   * Writes the collected rows as cdc files and stages their `cdc` actions on `txn`. Writes nothing when no row
   * of an existing file changed (inserts alone: readers derive them from the commit's adds, as after Spark's
   * insert-only MERGE). Returns the number of cdc files written.
   *
   * @throws DeltaError the data writer's errors (storage, `PARQUET_ERROR`, `ABORTED`).
   */
  async write(snapshot: Snapshot, txn: Transaction, schema: StructType, signal?: AbortSignal): Promise<number> {
    if (!this.#batches.some((b) => b.type !== 'insert')) return 0
    const withType = changeDataSchema(schema)
    const arrowSchema = new arrow.Schema([
      ...this.#batches[0].batch.schema.fields,
      new arrow.Field(CHANGE_TYPE_COLUMN, new arrow.Utf8(), true),
    ])
    function* rows(batches: { batch: arrow.RecordBatch; type: ChangeType }[]): Generator<arrow.RecordBatch> {
      for (const { batch, type } of batches) yield withChangeType(batch, type, arrowSchema)
    }
    const adds = await writeDataFiles(snapshot.storage, rows(this.#batches), {
      schema: withType,
      partitionColumns: snapshot.partitionColumns,
      configuration: snapshot.properties,
      columnMappingMode: snapshot.columnMappingMode,
      // The rows are the table's rows already (checked when written) or its old rows: no rule applies again.
      skipWriteRules: true,
      changeData: true,
      signal,
    })
    const cdcs: CdcAction[] = adds.map((a) => ({
      path: a.path,
      partitionValues: a.partitionValues,
      size: a.size,
      dataChange: false,
    }))
    txn.addChangeData(cdcs)
    return cdcs.length
  }
}

/** The table schema plus the `_change_type` string column: the schema of a cdc file. */
export function changeDataSchema(schema: StructType): StructType {
  return {
    ...schema,
    fields: [...schema.fields, { name: CHANGE_TYPE_COLUMN, type: 'string', nullable: true, metadata: {} }],
  }
}

/** `batch` with a constant `_change_type` column appended. */
function withChangeType(batch: arrow.RecordBatch, type: ChangeType, schema: arrow.Schema): arrow.RecordBatch {
  const column = arrow.vectorFromArray(new Array<string>(batch.numRows).fill(type), new arrow.Utf8()).data[0]
  const children = [...batch.data.children, column]
  return new arrow.RecordBatch(
    schema,
    arrow.makeData({ type: new arrow.Struct(schema.fields), length: batch.numRows, nullCount: 0, children }),
  )
}
