import * as arrow from 'apache-arrow'
import { convertColumn, matchFileField, nullData, scalarData } from '../arrow/convert.js'
import { DeltaError } from '../errors.js'
import { defaultDecoder, type ParquetDecoder } from '../parquet/decoder.js'
import { DEFAULT_BATCH_SIZE, openParquet, type ParquetReader } from '../parquet/read.js'
import { deltaToArrowType } from '../protocol/arrow-schema.js'
import { survivingRows } from '../protocol/deletion-vector.js'
import { referencedColumns } from '../protocol/expr/columns.js'
import type { Expr } from '../protocol/expr/index.js'
import { writerFeatures } from '../protocol/features.js'
import type { FileEntry } from '../protocol/file-entry.js'
import { parsePartitionValue } from '../protocol/partition-values.js'
import type { PruneStats } from '../protocol/pruning.js'
import { findField, physicalName, type StructField, type StructType } from '../protocol/schema.js'
import { loadDeletionVector, resolveTablePath } from './deletion-vector-io.js'
import { type BoundPredicate, planFiles, type ScanPlan } from './plan.js'
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
   * row tracking was enabled). On any table, `_metadata.row_index` selects each row's physical index in its
   * data file (0-based, counting rows a deletion vector hides; Spark's column of that name).
   */
  columns?: string[]
  /**
   * A predicate (SQL text, an {@link Expr}, or one already bound by `snapshot.bindPredicate`, which is not
   * bound again). Files are pruned by {@link Scan.plan} (partition values and statistics), then rows are
   * filtered per batch; only rows for which it is true are returned.
   */
  filter?: string | Expr
  /** Read exactly these files (e.g. the files a DML operation rewrites) instead of the pruned snapshot files. */
  files?: readonly FileEntry[]
  /** Rows per batch at most (default 65536). */
  batchSize?: number
  /**
   * Decode tasks in flight at most (an integer >= 1; default: the decoder pool's size, the machine's cores).
   * Row groups — and, when a file has fewer row groups than this, groups of its columns — decode in parallel
   * on the worker pool, ahead of the consumer across file boundaries; batches still arrive in file and row
   * order. Memory: at most this many decoded row groups wait beside the one being consumed, and the footers of
   * this many files opened ahead. `1` decodes one task at a time, the next one while the consumer works on the
   * last.
   */
  concurrency?: number
  signal?: AbortSignal
}

const SCAN_OPTIONS: OptionSpec = {
  columns: check.stringArray,
  filter: check.predicate,
  files: check.any,
  batchSize: check.positiveNumber,
  concurrency: check.positiveInteger,
  signal: check.signal,
}

/**
 * @internal What the change data feed reader changes in a scan: the schema files are read with (the table's
 * plus `_change_type` for cdc files) and which rows of each file are dropped (instead of its deletion vector:
 * the rows a deletion vector newly marks are read by dropping every other row).
 */
export interface ScanInternals {
  schema?: StructType
  /** The file row indexes to drop (sorted), given the file's row count; undefined drops none. */
  droppedRows?: (file: FileEntry, numRows: number, signal?: AbortSignal) => Promise<Float64Array | undefined>
}

/** A data file ready to decode: its open parquet reader and its deleted row indexes. */
interface OpenedFile {
  reader: ParquetReader
  deleted: Float64Array | undefined
}

/** The columns of one decoded batch, by file column name (from one or several column-group tasks). */
interface DecodedBatch {
  numRows: number
  column(name: string): arrow.Data | undefined
}

/** One row group of one file, its decode started. */
interface Unit {
  file: FileEntry
  opened: OpenedFile
  group: number
  /** Decode tasks it runs (column groups; 0 when only partition columns are read). */
  tasks: number
  decoded: Promise<DecodedBatch[]>
}

/**
 * Splits `columns` into at most `k` groups of about equal compressed bytes (largest first into the lightest
 * group), so column-parallel decode of one row group finishes together.
 */
function splitColumns(columns: string[], k: number, bytes: (c: string) => number): string[][] {
  if (k <= 1 || columns.length <= 1) return [columns]
  const bins = Array.from({ length: Math.min(k, columns.length) }, () => ({ cols: [] as string[], size: 0 }))
  for (const c of [...columns].sort((a, b) => bytes(b) - bytes(a))) {
    const bin = bins.reduce((a, b) => (b.size < a.size ? b : a))
    bin.cols.push(c)
    bin.size += bytes(c)
  }
  return bins.map((b) => b.cols).filter((c) => c.length > 0)
}

/** The batches of column-group tasks of one row group, zipped into batches of every column. */
function zipParts(parts: arrow.RecordBatch[][], where: string): DecodedBatch[] {
  const n = parts[0].length
  if (parts.some((p) => p.length !== n))
    throw new DeltaError('INTERNAL', `${where}: column groups decoded into different batch counts`)
  const out: DecodedBatch[] = []
  for (let b = 0; b < n; b++) {
    const cols = new Map<string, arrow.Data>()
    const numRows = parts[0][b].numRows
    for (const p of parts) {
      const batch = p[b]
      if (batch.numRows !== numRows)
        throw new DeltaError('INTERNAL', `${where}: column groups decoded into different batch sizes`)
      batch.schema.fields.forEach((f, i) => {
        const child = batch.data.children[i]
        if (child) cols.set(f.name, child)
      })
    }
    out.push({ numRows, column: (name) => cols.get(name) })
  }
  return out
}

interface OutputColumn {
  field: StructField
  arrowField: arrow.Field
  partition: boolean
  /** A metadata column (`_metadata.row_id` / `_metadata.row_commit_version` / `_metadata.row_index`). */
  meta?: MetaColumn
}

type MetaColumn = 'row_id' | 'row_commit_version' | 'row_index'

const META_COLUMNS: Record<string, MetaColumn> = {
  '_metadata.row_id': 'row_id',
  '_metadata.row_commit_version': 'row_commit_version',
  '_metadata.row_index': 'row_index',
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
 * Memory stays bounded by `concurrency` decoded row groups beside the one being consumed (see
 * {@link ScanOptions.concurrency}) and the footers of `concurrency` files opened ahead: {@link Scan.batches}
 * streams file by file and row group by row group, fetching and decoding only the footer and the needed column
 * chunks of each file, with decodes running ahead in parallel on the worker pool.
 *
 * Construct with `snapshot.scan(options)` (or `new Scan(snapshot, options)`).
 *
 * @throws DeltaError `INVALID_ARGUMENT` (from the constructor) for an unknown column, a bad batch size or
 *   concurrency.
 */
export class Scan {
  readonly snapshot: Snapshot
  readonly options: Readonly<ScanOptions>
  /** The Arrow schema of every batch this scan yields. */
  readonly schema: arrow.Schema
  readonly #columns: OutputColumn[]
  readonly #batchSize: number
  readonly #internals: ScanInternals
  readonly #schema: StructType

  constructor(snapshot: Snapshot, options: ScanOptions = {}, /** @internal */ internals: ScanInternals = {}) {
    checkOptions('scan', options, SCAN_OPTIONS)
    this.snapshot = snapshot
    this.options = options
    this.#internals = internals
    const tableSchema = internals.schema ?? snapshot.schema
    this.#schema = tableSchema
    const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new DeltaError('INVALID_ARGUMENT', `batchSize must be a positive integer, got ${String(options.batchSize)}`)
    }
    this.#batchSize = batchSize
    const metas = new Map<StructField, MetaColumn>()
    const fields = options.columns
      ? options.columns.map((c) => {
          const meta = META_COLUMNS[c.toLowerCase()]
          if (meta && !findField(tableSchema, c)) {
            if (meta !== 'row_index' && !writerFeatures(snapshot.protocol).includes('rowTracking')) {
              throw new DeltaError(
                'INVALID_ARGUMENT',
                `column '${c}' needs a table with row tracking (delta.enableRowTracking)`,
              )
            }
            const f: StructField = {
              name: `_metadata.${meta}`,
              type: 'long',
              nullable: meta !== 'row_index',
              metadata: {},
            }
            metas.set(f, meta)
            return f
          }
          const f = findField(tableSchema, c)
          if (!f)
            throw new DeltaError(
              'INVALID_ARGUMENT',
              `column '${c}' is not in the table schema (${tableSchema.fields.map((x) => x.name).join(', ')})`,
            )
          return f
        })
      : tableSchema.fields
    const partitions = new Set(snapshot.partitionColumns.map((p) => p.toLowerCase()))
    this.#columns = fields.map((field) => ({
      field,
      arrowField: new arrow.Field(field.name, deltaToArrowType(field.type), field.nullable),
      partition: !metas.has(field) && partitions.has(field.name.toLowerCase()),
      ...(metas.has(field) ? { meta: metas.get(field) } : {}),
    }))
    this.schema = new arrow.Schema(this.#columns.map((c) => c.arrowField))
  }

  /**
   * Plans the scan: the files it reads (after pruning by partition values and statistics, when a filter is
   * given; exactly `options.files` when those are given), with their partition values and deletion vectors,
   * and what pruning did (also kept as {@link Scan.metrics}). DELETE, UPDATE, MERGE, OPTIMIZE and
   * `snapshot.files({ filter })` all plan through here. No data file is opened.
   *
   * @throws DeltaError `INVALID_PREDICATE` for a filter that does not parse or bind to the table schema.
   */
  async plan(): Promise<ScanPlan> {
    const filter = this.boundFilter()
    if (this.options.files) {
      const files = [...this.options.files]
      const stats = { total: files.length, prunedByPartition: 0, skippedByStats: 0, kept: files.length }
      this.metrics = stats
      return { files, stats, filter }
    }
    const plan = planFiles(this.snapshot, filter)
    this.metrics = plan.stats
    return plan
  }

  /** The data files this scan reads (after pruning by the filter, when one is given): `(await plan()).files`. */
  async files(): Promise<FileEntry[]> {
    return (await this.plan()).files
  }

  #bound?: BoundPredicate

  /** The filter parsed and bound once, shared by file pruning and row filtering. */
  private boundFilter(): BoundPredicate | undefined {
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
    for await (const { batch } of this.batchesWithFile()) yield batch
  }

  /**
   * {@link Scan.batches}, each batch with the data file its rows come from (in the same file and row order).
   * A scan over many files keeps its decode window ahead of the consumer across files; a caller that needs
   * per-file results (the DML rewrite engine) reads them all through one scan this way instead of one scan per
   * file. Files whose every row is deleted or filtered out yield nothing.
   *
   * @throws DeltaError as {@link Scan.batches}.
   */
  async *batchesWithFile(): AsyncGenerator<{ file: FileEntry; batch: arrow.RecordBatch }> {
    const { signal, filter } = this.options
    abortIfNeeded(signal)
    let rowFilter: { columns: string[]; evaluate: RowFilterFn } | undefined
    if (filter !== undefined) rowFilter = makeRowFilter(this.boundFilter()!)
    // The columns read per file: the output plus whatever the filter needs.
    const readColumns = [...this.#columns]
    if (rowFilter) {
      for (const name of rowFilter.columns) {
        if (readColumns.some((c) => c.field.name.toLowerCase() === name.toLowerCase())) continue
        const f = findField(this.#schema, name)
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
    const decoder = await defaultDecoder()
    const concurrency = this.options.concurrency ?? decoder.concurrency
    decoder.reserve(concurrency)
    const mode = this.snapshot.columnMappingMode
    // Which file column each read column comes from, per file (files of one table name columns differently).
    const fileColumnsOf = (reader: ParquetReader) => {
      const fileFields = reader.schema.fields
      const sources = readColumns.map((c) => (c.partition || c.meta ? -1 : matchFileField(fileFields, c.field, mode)))
      const materialized = materializedColumns(readColumns, fileFields, this.snapshot.properties)
      return {
        sources,
        names: [...new Set([...sources, ...materialized].filter((i) => i >= 0))].map((i) => fileFields[i].name),
      }
    }
    // The decode window: row groups (or column groups of one) decode ahead of the consumer, across file
    // boundaries, up to `concurrency` tasks beside the row group being consumed; while a file decodes, the
    // next files' footers and deletion vectors are already on their way (on object stores the per-file round
    // trips otherwise dominate scans of many small files). Results are consumed strictly in order.
    const opening: (Promise<OpenedFile> | undefined)[] = []
    const open = (i: number): Promise<OpenedFile> => {
      let p = opening[i]
      if (!p) {
        p = this.#openFile(files[i], decoder)
        // Rejections are handled when the file's turn comes; this only keeps Node from flagging them early.
        p.catch(() => undefined)
        opening[i] = p
      }
      return p
    }
    const window: Unit[] = []
    let nextFile = 0
    let nextGroup = 0
    let inFlight = 0
    // `early`: a refill made before the row group just decoded is yielded (see below).
    const start = async (early = false): Promise<boolean> => {
      while (nextFile < files.length) {
        // A file that fails to open fails the scan at its turn: the files before it are yielded first.
        const opened = await open(nextFile).catch((err: unknown) => {
          if (early || window.length > 0) return undefined
          throw err
        })
        if (!opened) return false
        const { reader } = opened
        if (nextGroup >= reader.rowGroups.length) {
          nextFile++
          nextGroup = 0
          continue
        }
        const file = files[nextFile]
        const group = nextGroup++
        // The next `concurrency` files open (footer, deletion vector) while this file's last row group decodes:
        // with many small files each open is a round trip or two, which opening one file ahead left exposed.
        if (nextGroup >= reader.rowGroups.length)
          for (let a = 1; a <= concurrency && nextFile + a < files.length; a++) void open(nextFile + a)
        const { names } = fileColumnsOf(reader)
        // Fewer row groups left than the window holds: split each into column groups to use every worker.
        const groupsLeft = reader.rowGroups.length - group + (files.length - nextFile - 1)
        const k = groupsLeft >= concurrency ? 1 : Math.min(names.length, concurrency)
        const parts = names.length > 0 ? splitColumns(names, k, (c) => reader.chunkBytes(group, c) ?? 1) : []
        const numRows = reader.rowGroups[group].numRows
        const decoded: Promise<DecodedBatch[]> =
          parts.length === 0
            ? Promise.resolve(countOnly(numRows, this.#batchSize))
            : Promise.all(parts.map((cols) => reader.decodeRowGroup(group, cols, this.#batchSize))).then((p) =>
                zipParts(p, `${file.path} row group ${group}`),
              )
        decoded.catch(() => undefined)
        const unit: Unit = { file, opened, group, tasks: Math.max(1, parts.length), decoded }
        inFlight += unit.tasks
        window.push(unit)
        return true
      }
      return false
    }
    // An error of an early refill: thrown once the row groups started before it are yielded.
    let deferred: { error: unknown } | undefined
    try {
      for (;;) {
        abortIfNeeded(signal)
        if (deferred) {
          if (window.length === 0) throw deferred.error
        } else {
          while (window.length === 0 || inFlight < concurrency) {
            if (!(await start())) break
          }
        }
        const unit = window.shift()
        if (!unit) break
        const decoded = await unit.decoded
        inFlight -= unit.tasks
        // Refill the window before this row group's batches go to the consumer: the worker that decoded it
        // starts on the next task while the consumer works, instead of idling until the consumer asks again.
        try {
          while (!deferred && inFlight < concurrency) {
            if (!(await start(true))) break
          }
        } catch (error) {
          deferred = { error }
        }
        const { file } = unit
        for (const batch of this.#convertGroup(
          unit,
          decoded,
          fileColumnsOf(unit.opened.reader).sources,
          readColumns,
          readSchema,
          rowFilter?.evaluate,
        ))
          yield { file, batch }
      }
    } finally {
      // A consumer that stops early (break, error): let the started tasks settle, so no rejection goes
      // unobserved and no reader outlives the scan.
      await Promise.all(window.map((u) => u.decoded.catch(() => undefined)))
      await Promise.all(
        opening.map((p) =>
          p?.then(
            (o) => o.reader.close(),
            () => undefined,
          ),
        ),
      )
    }
  }

  async #openFile(file: FileEntry, decoder: ParquetDecoder): Promise<OpenedFile> {
    const { signal } = this.options
    const storage = this.snapshot.storage
    const path = resolveTablePath(storage, file.path)
    const dropped = this.#internals.droppedRows
    const [reader, deleted] = await Promise.all([
      openParquet(storage, path, { size: file.size > 0 ? file.size : undefined, signal, decoder }),
      file.deletionVector && !dropped
        ? loadDeletionVector(storage, file.deletionVector, { signal })
        : Promise.resolve(undefined),
    ])
    if (dropped) return { reader, deleted: await dropped(file, reader.numRows, signal) }
    return { reader, deleted }
  }

  /** The output batches of one decoded row group: partition constants, conversion, deletion vector, filter. */
  *#convertGroup(
    { file, opened: { reader, deleted }, group }: Unit,
    decoded: DecodedBatch[],
    sources: number[],
    readColumns: OutputColumn[],
    readSchema: arrow.Schema,
    evaluate: RowFilterFn | undefined,
  ): Generator<arrow.RecordBatch> {
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
    const fileFields = reader.schema.fields
    const materialized = materializedColumns(readColumns, fileFields, this.snapshot.properties)
    const rg = reader.rowGroups[group]
    let rowInGroup = 0
    for (const raw of decoded) {
      abortIfNeeded(signal)
      const n = raw.numRows
      const start = rg.firstRow + rowInGroup
      rowInGroup += n
      const sel = deleted ? survivingRows(deleted, start, n) : undefined
      const len = sel ? sel.length : n
      if (len === 0) continue
      const children = readColumns.map((c, k) => {
        if (c.meta === 'row_index') return rowIndexColumn(start, sel, len)
        if (c.meta) {
          const base = c.meta === 'row_id' ? file.add.baseRowId : file.add.defaultRowCommitVersion
          const m = materialized[k] >= 0 ? raw.column(fileFields[materialized[k]].name) : undefined
          return metadataColumn(c.meta, base, start, sel, len, m ? arrow.makeVector(m) : undefined)
        }
        const constant = constants.get(k)
        if (constant)
          return convertColumn(constant, c.field.type, c.arrowField.type, new Int32Array(len), {
            mode,
            where: c.field.name,
          })
        const i = sources[k]
        if (i < 0) return nullData(c.arrowField.type, len)
        const col = raw.column(fileFields[i].name)
        if (!col) throw new DeltaError('INTERNAL', `column ${fileFields[i].name} missing from decoded batch`)
        return convertColumn(col, c.field.type, c.arrowField.type, sel, { mode, where: c.field.name })
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

/**
 * Per read column, the index of the file field holding its materialized row id / row commit version (written
 * by engines that rewrite rows, e.g. Spark's UPDATE), or -1. A materialized value wins over baseRowId + row
 * index and defaultRowCommitVersion.
 */
function materializedColumns(
  readColumns: readonly OutputColumn[],
  fileFields: readonly arrow.Field[],
  props: Readonly<Record<string, string | null | undefined>>,
): number[] {
  return readColumns.map((c) => {
    if (!c.meta || c.meta === 'row_index') return -1
    const name =
      props[
        c.meta === 'row_id'
          ? 'delta.rowTracking.materializedRowIdColumnName'
          : 'delta.rowTracking.materializedRowCommitVersionColumnName'
      ]
    return name ? fileFields.findIndex((f) => f.name === name) : -1
  })
}

/** `_metadata.row_index`: the physical row index in the file of each row of one batch. */
function rowIndexColumn(start: number, sel: Int32Array | undefined, len: number): arrow.Data {
  const values = new BigInt64Array(len)
  // Written as 32-bit halves: a BigInt per row costs more than the rest of a DV DELETE's scan. Arrow buffers
  // are little-endian, as are the platforms Node runs on.
  const words = new Uint32Array(values.buffer)
  const last = start + (sel ? (len > 0 ? sel[len - 1] : 0) : len - 1)
  if (last < 0x1_0000_0000) {
    // Every index fits the low word (the high words stay zero): one store per row.
    if (sel) for (let j = 0; j < len; j++) words[2 * j] = start + sel[j]
    else for (let j = 0; j < len; j++) words[2 * j] = start + j
  } else {
    for (let j = 0; j < len; j++) {
      const v = start + (sel ? sel[j] : j)
      words[2 * j] = v >>> 0
      words[2 * j + 1] = Math.floor(v / 0x1_0000_0000)
    }
  }
  return arrow.makeData({ type: new arrow.Int64(), length: len, nullCount: 0, data: values })
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
function countOnly(numRows: number, batchSize: number): DecodedBatch[] {
  const out: DecodedBatch[] = []
  for (let done = 0; done < numRows; done += batchSize) {
    out.push({ numRows: Math.min(batchSize, numRows - done), column: () => undefined })
  }
  return out
}
