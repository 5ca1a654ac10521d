import * as arrow from 'apache-arrow'
import { DeltaError } from '../errors.js'
import {
  convertColumn,
  DEFAULT_BATCH_SIZE,
  matchFileField,
  nullData,
  openParquet,
  type ParquetReader,
  scalarData,
} from '../parquet/read.js'
import { deltaToArrowType } from '../protocol/arrow-schema.js'
import { survivingRows } from '../protocol/deletion-vector.js'
import { referencedColumns } from '../protocol/expr/columns.js'
import type { Expr } from '../protocol/expr/index.js'
import { writerFeatures } from '../protocol/features.js'
import type { FileEntry } from '../protocol/file-entry.js'
import { parsePartitionValue } from '../protocol/partition-values.js'
import type { PruneStats } from '../protocol/pruning.js'
import { findField, physicalName, type StructField } from '../protocol/schema.js'
import { loadDeletionVector, resolveTablePath } from './deletion-vector-io.js'
import { evaluatePredicate } from './row-filter.js'
import type { Snapshot } from './snapshot.js'
import { check, checkOptions, type OptionSpec } from './validate.js'

/** Row positions that satisfy the filter (SQL semantics: null is not true), or undefined when all rows do. */
type RowFilterFn = (batch: arrow.RecordBatch) => Int32Array | undefined

/** Binds the scan filter once and returns the evaluator plus the top-level columns it reads. */
function makeRowFilter(bound: Expr): { columns: string[]; evaluate: RowFilterFn } {
  const columns = new Set(referencedColumns(bound).map((c) => c.path[0]))
  return {
    columns: [...columns],
    evaluate: (batch) => {
      const mask = evaluatePredicate(bound, batch)
      let n = 0
      for (let i = 0; i < mask.length; i++) n += mask[i]
      if (n === mask.length) return undefined
      const idx = new Int32Array(n)
      for (let i = 0, j = 0; i < mask.length; i++) if (mask[i]) idx[j++] = i
      return idx
    },
  }
}

/** Options of {@link Scan}. */
export interface ScanOptions {
  /**
   * Top-level columns to return, in this order (logical names; case-insensitive match). Default: all. On a
   * table with row tracking, `_metadata.row_id` and `_metadata.row_commit_version` select each row's stable
   * row id and the version that last changed it (long columns of those names; null for files written before
   * row tracking was enabled).
   */
  columns?: string[]
  /**
   * A predicate (SQL text or an {@link Expr}). Files are pruned by `snapshot.files({ filter })` (partition
   * values and statistics), then rows are filtered per batch; only rows for which it is true are returned.
   */
  filter?: string | Expr
  /** Read exactly these files (e.g. the files a DML operation rewrites) instead of the pruned snapshot files. */
  files?: readonly FileEntry[]
  /** Rows per batch at most (default 65536). */
  batchSize?: number
  signal?: AbortSignal
}

const SCAN_OPTIONS: OptionSpec = {
  columns: check.stringArray,
  filter: check.predicate,
  files: check.any,
  batchSize: check.positiveNumber,
  signal: check.signal,
}

/** A data file ready to decode: its open parquet reader and its deleted row indexes. */
interface OpenedFile {
  reader: ParquetReader
  deleted: Float64Array | undefined
}

interface OutputColumn {
  field: StructField
  arrowField: arrow.Field
  partition: boolean
  /** A row-tracking metadata column (`_metadata.row_id` / `_metadata.row_commit_version`). */
  meta?: 'row_id' | 'row_commit_version'
}

const META_COLUMNS: Record<string, 'row_id' | 'row_commit_version'> = {
  '_metadata.row_id': 'row_id',
  '_metadata.row_commit_version': 'row_commit_version',
}

function abortIfNeeded(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new DeltaError('ABORTED', 'scan aborted', { cause: signal.reason })
}

/**
 * A read of one snapshot's rows as Apache Arrow: the selected columns, in table-schema order (or the order of
 * `columns`), with the Arrow types of {@link deltaToArrowType}. Partition columns are materialized from
 * `add.partitionValues`; columns an older file lacks read as null; widened columns are cast to the table type;
 * timestamps are exact microseconds; column-mapped files are read by physical name or field id; rows deleted
 * by deletion vectors never appear.
 *
 * Memory stays bounded by one row group of one file: {@link Scan.batches} streams file by file and row group
 * by row group, fetching only the footer and the needed column chunks of each file.
 *
 * Construct with `snapshot.scan(options)` (or `new Scan(snapshot, options)`).
 *
 * @throws DeltaError `INVALID_ARGUMENT` (from the constructor) for an unknown column or a bad batch size.
 */
export class Scan {
  readonly snapshot: Snapshot
  readonly options: Readonly<ScanOptions>
  /** The Arrow schema of every batch this scan yields. */
  readonly schema: arrow.Schema
  readonly #columns: OutputColumn[]
  readonly #batchSize: number

  constructor(snapshot: Snapshot, options: ScanOptions = {}) {
    checkOptions('scan', options, SCAN_OPTIONS)
    this.snapshot = snapshot
    this.options = options
    const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new DeltaError('INVALID_ARGUMENT', `batchSize must be a positive integer, got ${String(options.batchSize)}`)
    }
    this.#batchSize = batchSize
    const metas = new Map<StructField, 'row_id' | 'row_commit_version'>()
    const fields = options.columns
      ? options.columns.map((c) => {
          const meta = META_COLUMNS[c.toLowerCase()]
          if (meta && !findField(snapshot.schema, c)) {
            if (!writerFeatures(snapshot.protocol).includes('rowTracking')) {
              throw new DeltaError(
                'INVALID_ARGUMENT',
                `column '${c}' needs a table with row tracking (delta.enableRowTracking)`,
              )
            }
            const f: StructField = { name: `_metadata.${meta}`, type: 'long', nullable: true, metadata: {} }
            metas.set(f, meta)
            return f
          }
          const f = findField(snapshot.schema, c)
          if (!f)
            throw new DeltaError(
              'INVALID_ARGUMENT',
              `column '${c}' is not in the table schema (${snapshot.schema.fields.map((x) => x.name).join(', ')})`,
            )
          return f
        })
      : snapshot.schema.fields
    const partitions = new Set(snapshot.partitionColumns.map((p) => p.toLowerCase()))
    this.#columns = fields.map((field) => ({
      field,
      arrowField: new arrow.Field(field.name, deltaToArrowType(field.type), field.nullable),
      partition: !metas.has(field) && partitions.has(field.name.toLowerCase()),
      ...(metas.has(field) ? { meta: metas.get(field) } : {}),
    }))
    this.schema = new arrow.Schema(this.#columns.map((c) => c.arrowField))
  }

  /** The data files this scan reads (after pruning by the filter, when one is given). */
  async files(): Promise<FileEntry[]> {
    if (this.options.files) return [...this.options.files]
    if (this.options.filter === undefined) {
      const files = await this.snapshot.files()
      this.metrics = { total: files.length, prunedByPartition: 0, skippedByStats: 0, kept: files.length }
      return files
    }
    const { files, stats } = await this.snapshot.pruneFiles(this.boundFilter()!)
    this.metrics = stats
    return files
  }

  #bound?: Expr

  /** The filter parsed and bound once, shared by file pruning and row filtering. */
  private boundFilter(): Expr | undefined {
    const { filter } = this.options
    if (filter === undefined) return undefined
    this.#bound ??= this.snapshot.bindPredicate(filter)
    return this.#bound
  }

  /**
   * What the last {@link Scan.files} / {@link Scan.batches} pass did: files in the snapshot, pruned by
   * partition values, skipped by statistics, and kept (read). Undefined before the first pass.
   */
  metrics?: PruneStats

  /** Collects every batch into one Arrow table (with {@link Scan.schema} even when no row matches). */
  async toArrow(): Promise<arrow.Table> {
    const batches: arrow.RecordBatch[] = []
    for await (const b of this.batches()) batches.push(b)
    return batches.length === 0 ? new arrow.Table(this.schema) : new arrow.Table(batches)
  }

  /**
   * Streams the rows as record batches of at most `batchSize` rows: file by file, row group by row group.
   *
   * @throws DeltaError `ABORTED` when the signal fires, `FILE_NOT_FOUND` for a missing data file,
   *   `PARQUET_ERROR` for an undecodable one, `SCHEMA_MISMATCH` when a file's column cannot be read as the
   *   table type, `INVALID_DELETION_VECTOR`, `INVALID_LOG` for a bad partition value, `INVALID_PREDICATE`
   *   for a filter that does not parse or bind to the table schema, storage errors as the backend reports
   *   them (never swallowed: a failed read ends the scan).
   */
  async *batches(): AsyncGenerator<arrow.RecordBatch> {
    const { signal, filter } = this.options
    abortIfNeeded(signal)
    let rowFilter: { columns: string[]; evaluate: RowFilterFn } | undefined
    if (filter !== undefined) rowFilter = makeRowFilter(this.boundFilter()!)
    // The columns read per file: the output plus whatever the filter needs.
    const readColumns = [...this.#columns]
    if (rowFilter) {
      for (const name of rowFilter.columns) {
        if (readColumns.some((c) => c.field.name.toLowerCase() === name.toLowerCase())) continue
        const f = findField(this.snapshot.schema, name)
        if (!f) throw new DeltaError('INVALID_PREDICATE', `filter column '${name}' is not in the table schema`)
        const partitions = new Set(this.snapshot.partitionColumns.map((p) => p.toLowerCase()))
        readColumns.push({
          field: f,
          arrowField: new arrow.Field(f.name, deltaToArrowType(f.type), f.nullable),
          partition: partitions.has(f.name.toLowerCase()),
        })
      }
    }
    const readSchema = new arrow.Schema(readColumns.map((c) => c.arrowField))
    const files = await this.files()
    // While one file decodes, the next one's footer and deletion vector are already on their way: on object
    // stores the per-file round trips otherwise dominate scans of many small files. At most one file ahead, so
    // memory stays bounded.
    let next: Promise<OpenedFile> | undefined
    try {
      for (let i = 0; i < files.length; i++) {
        abortIfNeeded(signal)
        const current = next ?? this.#openFile(files[i])
        next = undefined
        const opened = await current
        if (i + 1 < files.length) {
          next = this.#openFile(files[i + 1])
          // Rejections are handled when the file's turn comes; this only keeps Node from flagging them early.
          next.catch(() => undefined)
        }
        try {
          yield* this.#scanFile(files[i], opened, readColumns, readSchema, rowFilter?.evaluate)
        } finally {
          opened.reader.close()
        }
      }
    } finally {
      // A consumer that stops early (break, error) must not leak the prefetched file's wasm memory.
      if (next)
        await next.then(
          (o) => o.reader.close(),
          () => undefined,
        )
    }
  }

  async #openFile(file: FileEntry): Promise<OpenedFile> {
    const { signal } = this.options
    const storage = this.snapshot.storage
    const path = resolveTablePath(storage, file.path)
    const [reader, deleted] = await Promise.all([
      openParquet(storage, path, { size: file.size > 0 ? file.size : undefined, signal }),
      file.deletionVector ? loadDeletionVector(storage, file.deletionVector, { signal }) : Promise.resolve(undefined),
    ])
    return { reader, deleted }
  }

  async *#scanFile(
    file: FileEntry,
    { reader, deleted }: OpenedFile,
    readColumns: OutputColumn[],
    readSchema: arrow.Schema,
    evaluate: RowFilterFn | undefined,
  ): AsyncGenerator<arrow.RecordBatch> {
    const { signal } = this.options
    const mode = this.snapshot.columnMappingMode
    // Partition columns: one parsed value per file, keyed by physical name under column mapping.
    const constants = new Map<number, arrow.Data>()
    readColumns.forEach((c, k) => {
      if (!c.partition || c.meta) return
      const key = physicalName(c.field, mode)
      const raw = key in file.partitionValues ? file.partitionValues[key] : file.partitionValues[c.field.name]
      constants.set(k, scalarData(parsePartitionValue(raw, c.field.type), c.arrowField.type))
    })
    // Data columns: the file's top-level field that holds each.
    const fileFields = reader.schema.fields
    const sources = readColumns.map((c) => (c.partition || c.meta ? -1 : matchFileField(fileFields, c.field, mode)))
    // Row tracking: materialized row id / commit version columns (written by engines that rewrite rows) win
    // over baseRowId + row index and defaultRowCommitVersion.
    const props = this.snapshot.properties
    const materialized = readColumns.map((c) => {
      if (!c.meta) return -1
      const name =
        props[
          c.meta === 'row_id'
            ? 'delta.rowTracking.materializedRowIdColumnName'
            : 'delta.rowTracking.materializedRowCommitVersionColumnName'
        ]
      return name ? fileFields.findIndex((f) => f.name === name) : -1
    })
    const fileColumns = [...new Set([...sources, ...materialized].filter((i) => i >= 0))].map((i) => fileFields[i].name)
    for (let g = 0; g < reader.rowGroups.length; g++) {
      const rg = reader.rowGroups[g]
      abortIfNeeded(signal)
      const batches =
        fileColumns.length > 0
          ? reader.readRowGroup(g, fileColumns, this.#batchSize)
          : countOnly(rg.numRows, this.#batchSize)
      let rowInGroup = 0
      for await (const raw of batches) {
        abortIfNeeded(signal)
        const n = raw.numRows
        const start = rg.firstRow + rowInGroup
        rowInGroup += n
        const sel = deleted ? survivingRows(deleted, start, n) : undefined
        const len = sel ? sel.length : n
        if (len === 0) continue
        const children = readColumns.map((c, k) => {
          if (c.meta) {
            const base = c.meta === 'row_id' ? file.add.baseRowId : file.add.defaultRowCommitVersion
            const m = materialized[k] >= 0 ? raw.getChild(fileFields[materialized[k]].name) : null
            return metadataColumn(c.meta, base, start, sel, len, m)
          }
          const constant = constants.get(k)
          if (constant)
            return convertColumn(constant, c.field.type, c.arrowField.type, new Int32Array(len), {
              mode,
              where: c.field.name,
            })
          const i = sources[k]
          if (i < 0) return nullData(c.arrowField.type, len)
          const col = raw.getChild(fileFields[i].name)
          if (col?.data.length !== 1)
            throw new DeltaError('INTERNAL', `column ${fileFields[i].name} missing from decoded batch`)
          return convertColumn(col.data[0], c.field.type, c.arrowField.type, sel, { mode, where: c.field.name })
        })
        let batch = makeBatch(readSchema, children, len)
        if (evaluate) {
          const keep = evaluate(batch)
          if (keep) {
            if (keep.length === 0) continue
            batch = makeBatch(
              readSchema,
              batch.data.children.map((d, k) =>
                convertColumn(d, readColumns[k].field.type, readColumns[k].arrowField.type, keep, {
                  mode: 'none',
                  where: readColumns[k].field.name,
                }),
              ),
              keep.length,
            )
          }
        }
        if (readColumns.length !== this.#columns.length) {
          batch = makeBatch(this.schema, batch.data.children.slice(0, this.#columns.length), batch.numRows)
        }
        yield batch
      }
    }
  }
}

/** `_metadata.row_id` (baseRowId + physical row index) or `_metadata.row_commit_version` for one batch. */
function metadataColumn(
  kind: 'row_id' | 'row_commit_version',
  base: number | null | undefined,
  start: number,
  sel: Int32Array | undefined,
  len: number,
  materialized: arrow.Vector | null | undefined,
): arrow.Data {
  const values = new BigInt64Array(len)
  const bitmap = new Uint8Array(Math.ceil(len / 8))
  let nulls = 0
  for (let j = 0; j < len; j++) {
    const r = sel ? sel[j] : j
    const m = materialized?.get(r) as bigint | number | null | undefined
    if (m !== null && m !== undefined) values[j] = BigInt(m)
    else if (base === null || base === undefined) {
      nulls++
      continue
    } else values[j] = kind === 'row_id' ? BigInt(base) + BigInt(start + r) : BigInt(base)
    bitmap[j >> 3] |= 1 << (j & 7)
  }
  return arrow.makeData({
    type: new arrow.Int64(),
    length: len,
    nullCount: nulls,
    data: values,
    ...(nulls > 0 ? { nullBitmap: bitmap } : {}),
  })
}

function makeBatch(schema: arrow.Schema, children: arrow.Data[], length: number): arrow.RecordBatch {
  const data = arrow.makeData({ type: new arrow.Struct(schema.fields), length, nullCount: 0, children })
  return new arrow.RecordBatch(schema, data)
}

/** Row counts without column data: when a scan needs only partition columns, no chunk is fetched. */
async function* countOnly(
  numRows: number,
  batchSize: number,
): AsyncGenerator<{ numRows: number; getChild(name: string): null }> {
  for (let done = 0; done < numRows; done += batchSize) {
    yield { numRows: Math.min(batchSize, numRows - done), getChild: () => null }
  }
}
