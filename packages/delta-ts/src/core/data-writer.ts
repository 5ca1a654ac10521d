import * as arrow from 'apache-arrow'
import { v4 as uuidv4 } from 'uuid'
import { adoptRecordBatch, adoptTable, isArrowRecordBatch, isArrowTable } from '../arrow/adopt.js'
import { concatBatches } from '../arrow/concat.js'
import { nullData } from '../arrow/convert.js'
import { groupRows, mostlyUniqueColumns } from '../arrow/partition.js'
import { scalarReader } from '../arrow/scalar.js'
import { enforceSchema } from '../arrow/schema-evolution.js'
import { computeFileStats } from '../arrow/stats.js'
import { splitData } from '../arrow/take.js'
import { DeltaError } from '../errors.js'
import { defaultWriteConcurrency, encoderFor, type ParquetEncoder } from '../parquet/encoder.js'
import { codecFileSuffix, codecFromConfiguration, encodeRequest, runEncodeInProcess } from '../parquet/write.js'
import type { AddAction } from '../protocol/actions.js'
import { deltaToArrowField } from '../protocol/arrow-schema.js'
import { checkPartitionPath, encodeLogPath, partitionPath } from '../protocol/partition-path.js'
import { serializePartitionValue } from '../protocol/partition-values.js'
import {
  type ColumnMappingMode,
  findField,
  physicalName,
  type StructField,
  type StructType,
} from '../protocol/schema.js'
import type { Storage } from '../storage/types.js'
import type { RowTrackingColumns } from './row-tracking.js'
import { applyWriteRules, type IdentityAllocator, relaxedForRules, writeRulesFor } from './write-rules.js'

/**
 * Writes the data files of one write operation (PROTOCOL.md §Data Files): splits rows by partition values,
 * writes Hive-style partition directories with Spark-style unique names
 * (`part-00000-<uuid>-c000.zstd.parquet`), rolls files at the target size, computes stats, and returns the add
 * actions. It never commits: a crash leaves orphan files only, which vacuum removes.
 *
 * ```
 *  batches ─▶ enforceSchema ─▶ (partitioned: gather up to SPLIT_ROWS rows, one grouping pass, one split per
 *      column into every partition) ─▶ buffer per partition ─▶ (size reached / end / next partition under
 *      `flushPartitionOnChange`) ─▶ one contiguous batch, stats,
 *      drop partition columns, physical names, Arrow IPC ─▶ encoder (worker pool: up to `concurrency` files at
 *      once) ─▶ storage.put(if absent) ─▶ AddAction (in flush order, whatever order the encodes finish in)
 * ```
 * Memory: each open partition buffers Arrow batches until its estimated file size reaches the target; when
 * all buffers together exceed `maxBufferedBytes`, the largest one is flushed early (a smaller file), so an
 * AsyncIterable input is written in bounded memory whatever its length.
 */

/** Where change data files live, relative to the table root (PROTOCOL.md §Change Data Files). */
export const CHANGE_DATA_DIR = '_change_data'
/** Default target file size: 128 MiB of parquet, as Spark and delta-rs. */
export const DEFAULT_TARGET_FILE_SIZE = 128 * 1024 * 1024
/** Default bound on Arrow bytes buffered across all open partitions. */
export const DEFAULT_MAX_BUFFERED_BYTES = 512 * 1024 * 1024
// Before the first file tells us the real ratio, assume parquet is 3x smaller than Arrow (zstd on typical
// tables); the ratio is then measured per write.
const INITIAL_COMPRESSION_RATIO = 3

/** Options of {@link writeDataFiles}: the table layout (schema, partitioning, configuration) and file sizing. */
export interface WriteDataFilesOptions {
  /** The table schema (logical), partition columns included. Data must fit it (see `enforceSchema`). */
  schema: StructType
  /** Partition columns (logical names), in table order. */
  partitionColumns: readonly string[]
  /** Table configuration: codec, stats columns, column mapping mode. */
  configuration?: Readonly<Record<string, string | null | undefined>>
  /** Column mapping mode; default from `configuration['delta.columnMapping.mode']`, else `none`. */
  columnMappingMode?: ColumnMappingMode
  /** Roll to a new file when the file would exceed this many bytes (estimated). Default 128 MiB. */
  targetFileSize?: number
  /** Flush the largest partition buffer when all buffers together exceed this. Default 512 MiB. */
  maxBufferedBytes?: number
  /** Rows per parquet row group at most. Default 1 Mi. */
  maxRowGroupRows?: number
  /** The batches already have exactly the table's Arrow layout (the output of `enforceSchema`): skip the check. */
  dataConformsToSchema?: boolean
  /**
   * Says which input batches hold rows of one partition only (e.g. rows copied out of one data file): their
   * partition values are read from the first row instead of grouping every row.
   */
  isSinglePartition?: (batch: arrow.RecordBatch) => boolean
  /**
   * @internal The single-partition batches come grouped by partition (a copy-on-write rewrite reading its files
   * partition by partition): when one arrives for another partition than the previous one, that partition's
   * buffered rows are handed to the encoder at once, so encodes (on the pool) overlap further reading instead of
   * all waiting for the end of the input. Rows of that partition arriving later start a new file.
   */
  flushPartitionOnChange?: boolean
  /**
   * Hands out identity values for rows whose identity column is null (append, MERGE insert); the caller's
   * transaction commits the new high-water marks. Without it identity values are written as they are.
   */
  identity?: IdentityAllocator
  /**
   * Row tracking's materialized columns (core/row-tracking.ts): input batches may carry Int64 columns of these
   * names after the table's columns (absent: null); they are written as the file's last two columns, without
   * stats, and bypass schema enforcement and write rules.
   */
  rowTrackingColumns?: RowTrackingColumns
  /** The rows are new rows from the caller (append): see `ApplyRulesOptions.newRows` in write-rules.ts. */
  newRows?: boolean
  /**
   * Skip constraints, generated and identity columns (OPTIMIZE: rows that are already in the table, unchanged).
   * Default false: every write enforces the table's rules.
   */
  skipWriteRules?: boolean
  /**
   * Parquet files encoded at once: 1 encodes in the caller's thread; n > 1 on a shared pool of n worker threads
   * (where the runtime has them). Default: one per core. The add actions and file names are the same whatever
   * the value.
   */
  concurrency?: number
  /**
   * @internal Write change data files (`_change_data/<partition>/cdc-*.parquet`) instead of data files: the schema then
   * holds the `_change_type` column too, and the returned actions become `cdc` actions (see change-data.ts).
   */
  changeData?: boolean
  /**
   * @internal Sees each input batch with its rows as they are written (after schema enforcement and the write rules:
   * generated and identity values filled in), before they are buffered. The change data feed collects the
   * rows a DML operation writes through it.
   */
  observe?: (input: arrow.RecordBatch, written: arrow.Table) => void
  /** Cancels between batches and files with `ABORTED`; files already written stay as orphans. */
  signal?: AbortSignal
}

/** Partitioned input is grouped this many rows at a time (one grouping pass and one split per column each). */
const SPLIT_ROWS = 1 << 20
/** ... or when the pending rows hold this many Arrow bytes, whichever comes first. */
const SPLIT_BYTES = 64 * 1024 * 1024
/**
 * Without a `concurrency` option, a write that has seen less than this many Arrow bytes (flushed, this file and
 * still buffered) encodes in the caller's thread: for small writes, handing files to workers (and the first
 * time, starting them and compiling parquet-wasm there) costs more than it saves.
 */
const SMALL_WRITE_BYTES = 8 * 1024 * 1024

/** Rows a file needs before its dictionary choice stands for the rest of the write (mostlyUniqueColumns' floor). */
const MIN_ROWS_TO_JUDGE_DICTIONARY = 1024
/** A file's buffered batches are handed to the encoder unjoined up to this many (see `flush`). */
const MAX_BATCHES_PER_FILE = 16

interface PartitionBuffer {
  /** Directory relative to the table root ('' when unpartitioned). */
  dir: string
  /** Serialized values keyed by partition column (physical name under column mapping). */
  values: Record<string, string | null>
  batches: arrow.Table[]
  rows: number
  bytes: number
}

/**
 * Writes `data` as parquet files under the table root and returns one add action per file (path
 * URI-encoded relative to the root, `partitionValues` serialized, `size`, `modificationTime`,
 * `dataChange: true`, `stats` JSON). Files are created with put-if-absent under fresh UUID names. Partition
 * values are keyed by physical column name; an empty string partition value is written as null (Spark's rule).
 *
 * @throws DeltaError `SCHEMA_MISMATCH` when the data does not fit `schema` (strict enforcement: callers that
 *   evolve the schema pass the evolved schema), `INVALID_ARGUMENT` for a bad codec / stats configuration or
 *   partition column, `PARQUET_ERROR` when encoding fails, `ABORTED` on the signal, and storage errors.
 */
export async function writeDataFiles(
  storage: Storage,
  data: arrow.Table | arrow.RecordBatch | AsyncIterable<arrow.RecordBatch> | Iterable<arrow.RecordBatch>,
  options: WriteDataFilesOptions,
): Promise<AddAction[]> {
  const mode: ColumnMappingMode =
    options.columnMappingMode ??
    (options.configuration?.['delta.columnMapping.mode'] === 'name' ||
    options.configuration?.['delta.columnMapping.mode'] === 'id'
      ? (options.configuration['delta.columnMapping.mode'] as ColumnMappingMode)
      : 'none')
  const codec = codecFromConfiguration(options.configuration)
  const target = options.targetFileSize ?? DEFAULT_TARGET_FILE_SIZE
  const maxBuffered = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES
  if (!(target > 0) || !(maxBuffered > 0))
    throw new DeltaError('INVALID_ARGUMENT', 'targetFileSize and maxBufferedBytes must be positive')
  const partitionFields = options.partitionColumns.map((name) => {
    const f = findField(options.schema, name)
    if (!f) throw new DeltaError('INVALID_ARGUMENT', `partition column '${name}' is not in the schema`)
    return f
  })
  const partitionSet = new Set(partitionFields.map((f) => f.name))
  const dataFields = options.schema.fields.filter((f) => !partitionSet.has(f.name))
  if (dataFields.length === 0)
    throw new DeltaError('INVALID_ARGUMENT', 'a data file needs at least one non-partition column')
  const tracking = options.rowTrackingColumns
  const trackingFields = tracking
    ? [
        new arrow.Field(tracking.rowId, new arrow.Int64(), true),
        new arrow.Field(tracking.rowCommitVersion, new arrow.Int64(), true),
      ]
    : []
  const fileSchema = new arrow.Schema([
    ...dataFields.map((f) => deltaToArrowField(f, { columnMapping: mode })),
    ...trackingFields,
  ])

  // The table's CHECK constraints, invariants, generated and identity columns: applied to every batch before
  // any of its rows is buffered, so a violating write leaves at most orphan files and commits nothing.
  const rules = options.skipWriteRules ? undefined : writeRulesFor(options.schema, options.configuration)
  const activeRules = rules && !rules.empty ? rules : undefined
  const enforceAgainst = activeRules ? relaxedForRules(options.schema, activeRules) : options.schema

  // The pool starts on the first file that needs it (encoderFor is lazy per size and shared).
  let encoderPromise: Promise<ParquetEncoder> | undefined
  const getEncoder = () => {
    encoderPromise ??= encoderFor(options.concurrency)
    return encoderPromise
  }
  const concurrency = options.concurrency ?? (await defaultWriteConcurrency())
  const buffers = new Map<string, PartitionBuffer>()
  // adds[k] is the k-th flushed file: the order stays the flush order whatever order the encodes finish in.
  const adds: AddAction[] = []
  const inflight = new Set<Promise<void>>()
  // The first error of a background encode / put; later flushes and the end of the call rethrow it.
  const failed: { error?: unknown; set: boolean } = { set: false }
  let buffered = 0
  let ratio = INITIAL_COMPRESSION_RATIO
  let fileIndex = 0
  const writeId = uuidv4()

  // The compression ratio is measured once, on the first file flushed by size (that flush waits for its
  // encode), and kept for the rest of the write: files are then cut at the same rows whatever the concurrency
  // and whatever order the encodes finish in.
  let measured = false
  // Arrow bytes of the files flushed so far (this one included).
  let seen = 0
  // The columns written without dictionary encoding, sampled on the first file big enough to judge
  // (mostlyUniqueColumns) and kept for the rest of the write: its files hold rows of one table, and sampling
  // every file cost ~2 ms a file of a copy-on-write rewrite for the same answer. Flush order is fixed, so the
  // choice is the same whatever the concurrency.
  let noDictionary: string[] | undefined
  const dictionaryChoice = (batch: arrow.RecordBatch): string[] => {
    if (noDictionary) return noDictionary
    const choice = mostlyUniqueColumns(batch)
    if (batch.numRows >= MIN_ROWS_TO_JUDGE_DICTIONARY) noDictionary = choice
    return choice
  }
  const flush = async (buf: PartitionBuffer, cutting = false) => {
    if (buf.rows === 0) return
    throwIfAborted(options.signal)
    if (failed.set) throw failed.error
    const schema = buf.batches[0].schema
    const parts = buf.batches.flatMap((t) => t.batches)
    // A few batches go to the IPC writer and parquet-rs as they are (the IPC stream copies them once anyway);
    // many small ones (row-at-a-time input) are joined first, sparing parquet-rs a write call per tiny batch.
    const logical = new arrow.Table(
      schema,
      parts.length <= MAX_BATCHES_PER_FILE ? parts : [concatBatches(schema, parts)],
    )
    buffered -= buf.bytes
    const arrowBytes = buf.bytes
    buf.batches = []
    buf.rows = 0
    buf.bytes = 0
    // cdc actions carry no statistics.
    const stats = options.changeData
      ? undefined
      : computeFileStats(logical, {
          schema: options.schema,
          partitionColumns: [...partitionSet],
          configuration: options.configuration,
          columnMappingMode: mode,
        })
    const physical = toPhysical(
      logical,
      [...dataFields.map((f) => f.name), ...trackingFields.map((f) => f.name)],
      fileSchema,
      mode,
    )
    const request = encodeRequest(physical, {
      codec,
      maxRowGroupRows: options.maxRowGroupRows,
      noDictionaryColumns: dictionaryChoice(physical.batches[0]),
    })
    // Spark's naming: part-<task>-<uuid>-c<file>.<codec>.parquet; one uuid per write keeps names sortable.
    const index = fileIndex++
    const name = `${options.changeData ? 'cdc' : 'part'}-${String(index).padStart(5, '0')}-${writeId}-c000${codecFileSuffix(codec)}.parquet`
    const dir = options.changeData ? (buf.dir ? `${CHANGE_DATA_DIR}/${buf.dir}` : CHANGE_DATA_DIR) : buf.dir
    const key = dir ? `${dir}/${name}` : name
    const values = { ...buf.values }
    seen += arrowBytes
    const inline = options.concurrency === undefined && seen + buffered < SMALL_WRITE_BYTES
    const measuring = cutting && !measured
    measured ||= measuring
    const task = (async () => {
      const bytes = inline ? runEncodeInProcess(request) : await (await getEncoder()).encode(request)
      if (measuring && bytes.length > 0) ratio = Math.max(1, arrowBytes / bytes.length)
      throwIfAborted(options.signal)
      await storage.put(key, bytes, { overwrite: false, signal: options.signal })
      adds[index] = {
        path: encodeLogPath(key),
        partitionValues: values,
        size: bytes.length,
        modificationTime: Date.now(),
        dataChange: true,
        stats,
      }
    })().catch((error: unknown) => {
      if (!failed.set) Object.assign(failed, { error, set: true })
    })
    inflight.add(task)
    void task.finally(() => inflight.delete(task))
    if (measuring) await task
    // At most `concurrency` files encode at once (bounding the IPC bytes held for them).
    while (inflight.size >= concurrency) await Promise.race(inflight)
    if (failed.set) throw failed.error
  }

  const partitionNames = partitionFields.map((f) => physicalName(f, mode))
  const place = async (slices: PartitionSlice[]) => {
    // Every partition directory of the batch is checked before any of its rows is buffered or flushed.
    for (const { values } of slices) checkPartitionPath(partitionNames, values)
    for (const { values, rows } of slices) {
      const dir = partitionPath(partitionNames, values)
      let buf = buffers.get(dir)
      if (!buf) {
        buf = { dir, values, batches: [], rows: 0, bytes: 0 }
        buffers.set(dir, buf)
      }
      // Cut a slice bigger than one file into file-sized pieces (zero-copy slices) so that files roll at the
      // target even when one input batch holds many files' worth of rows.
      const size = tableBytes(rows)
      const bytesPerRow = size / Math.max(1, rows.numRows)
      for (let start = 0; start < rows.numRows; ) {
        const room = Math.max(1, Math.floor((target * ratio - buf.bytes) / Math.max(bytesPerRow, 1e-9)))
        const end = Math.min(rows.numRows, start + room)
        const piece = start === 0 && end === rows.numRows ? rows : rows.slice(start, end)
        const pieceBytes = (end - start) * bytesPerRow
        buf.batches.push(piece)
        buf.rows += end - start
        buf.bytes += pieceBytes
        buffered += pieceBytes
        start = end
        if (buf.bytes / ratio >= target) await flush(buf, true)
      }
      while (buffered > maxBuffered) {
        let largest: PartitionBuffer | undefined
        for (const b of buffers.values()) if (!largest || b.bytes > largest.bytes) largest = b
        if (!largest || largest.rows === 0) break
        await flush(largest, true)
      }
    }
  }

  // Partitioned input waits here until SPLIT_ROWS rows (or SPLIT_BYTES) are pending, then is split at once.
  let pending: arrow.RecordBatch[] = []
  let pendingRows = 0
  let pendingBytes = 0
  const split = async () => {
    if (pendingRows === 0) return
    const batch = concatBatches(pending[0].schema, pending)
    pending = []
    pendingRows = 0
    pendingBytes = 0
    await place(splitByPartition(batch, partitionFields, mode))
  }

  // The partition directory of the last single-partition batch (see `flushPartitionOnChange`).
  let lastSingleDir: string | undefined
  try {
    for await (const batch of toBatches(data)) {
      throwIfAborted(options.signal)
      if (batch.numRows === 0) continue
      const [tableRows, trackingData] = tracking ? splitTrackingColumns(batch, trackingFields) : [batch, []]
      // Callers that already ran enforceSchema (table.write) say so, sparing a second pass over every batch.
      let conformed = options.dataConformsToSchema
        ? new arrow.Table([tableRows])
        : enforceSchema(tableRows, { tableSchema: enforceAgainst, schemaMode: 'strict' }).data
      if (activeRules) {
        const ruleOptions = { identity: options.identity, newRows: options.newRows }
        conformed = new arrow.Table(conformed.batches.map((b) => applyWriteRules(b, activeRules, ruleOptions)))
      }
      options.observe?.(batch, conformed)
      if (tracking) conformed = appendColumns(conformed, trackingFields, trackingData)
      if (partitionFields.length === 0) {
        await place([{ values: {}, rows: conformed }])
        continue
      }
      if (options.isSinglePartition?.(batch)) {
        // Rows of one partition (copied out of one file): no grouping pass, the first row's values are all.
        // The rows pending before it (e.g. update post-images of the previous file) are placed first, so they
        // join their partition's file before that partition is flushed on change.
        await split()
        const values = firstRowValues(conformed, partitionFields, mode)
        if (options.flushPartitionOnChange) {
          checkPartitionPath(partitionNames, values)
          const dir = partitionPath(partitionNames, values)
          const previous = lastSingleDir === undefined || lastSingleDir === dir ? undefined : buffers.get(lastSingleDir)
          lastSingleDir = dir
          // The cap on in-flight encodes in `flush` bounds the memory this holds while reading goes on.
          if (previous) await flush(previous)
        }
        await place([{ values, rows: conformed }])
        continue
      }
      for (const b of conformed.batches) {
        pending.push(b)
        pendingRows += b.numRows
        pendingBytes += tableBytes(new arrow.Table([b]))
      }
      if (pendingRows >= SPLIT_ROWS || pendingBytes >= SPLIT_BYTES || pendingBytes >= maxBuffered) await split()
    }
    await split()
    for (const buf of buffers.values()) await flush(buf)
  } finally {
    // Never leave an encode or put running past the call (its error would go unobserved).
    await Promise.all(inflight)
  }
  if (failed.set) throw failed.error
  return adds
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new DeltaError('ABORTED', 'writeDataFiles was aborted', { cause: signal.reason })
}

async function* toBatches(
  data: arrow.Table | arrow.RecordBatch | AsyncIterable<arrow.RecordBatch> | Iterable<arrow.RecordBatch>,
): AsyncIterable<arrow.RecordBatch> {
  if (isArrowTable(data)) {
    yield* adoptTable(data, 'writeDataFiles data').batches
  } else if (isArrowRecordBatch(data)) {
    yield adoptRecordBatch(data, 'writeDataFiles data')
  } else {
    for await (const b of data as AsyncIterable<arrow.RecordBatch>) yield adoptRecordBatch(b, 'a written batch')
  }
}

/** Sum of the Arrow buffer sizes of a table (what it holds in memory). */
function tableBytes(t: arrow.Table): number {
  let n = 0
  const visit = (d: arrow.Data) => {
    n += d.byteLength
  }
  for (const b of t.batches) for (const c of b.data.children) visit(c)
  return n
}

/**
 * The table columns of an input batch and its row-tracking columns (by name; all-null columns when absent).
 */
function splitTrackingColumns(
  batch: arrow.RecordBatch,
  trackingFields: arrow.Field[],
): [arrow.RecordBatch, arrow.Data[]] {
  const names = new Set(trackingFields.map((f) => f.name))
  const keep = batch.schema.fields.flatMap((f, i) => (names.has(f.name) ? [] : [i]))
  const tracking = trackingFields.map((f) => {
    const i = batch.schema.fields.findIndex((x) => x.name === f.name)
    return i >= 0 ? batch.data.children[i] : nullData(f.type, batch.numRows)
  })
  if (keep.length === batch.schema.fields.length) return [batch, tracking]
  const fields = keep.map((i) => batch.schema.fields[i])
  const data = arrow.makeData({
    type: new arrow.Struct(fields),
    length: batch.numRows,
    nullCount: 0,
    children: keep.map((i) => batch.data.children[i]),
  })
  return [new arrow.RecordBatch(new arrow.Schema(fields), data), tracking]
}

/** `t` with `columns` (covering all of its rows, in order) appended to every batch. */
function appendColumns(t: arrow.Table, fields: arrow.Field[], columns: arrow.Data[]): arrow.Table {
  let offset = 0
  const schema = new arrow.Schema([...t.schema.fields, ...fields])
  const batches = t.batches.map((b) => {
    const children = [...b.data.children, ...columns.map((c) => c.slice(offset, b.numRows))]
    offset += b.numRows
    return new arrow.RecordBatch(
      schema,
      arrow.makeData({ type: new arrow.Struct(schema.fields), length: b.numRows, nullCount: 0, children }),
    )
  })
  return new arrow.Table(schema, batches)
}

/** Drops partition columns and re-labels the data with the file schema (same buffers, physical names). */
function toPhysical(
  logical: arrow.Table,
  dataColumns: string[],
  fileSchema: arrow.Schema,
  mode: ColumnMappingMode,
): arrow.Table {
  const batches = logical.batches.map((b) => {
    const children = dataColumns.map((name, j) => retype(b.getChild(name)!.data[0], fileSchema.fields[j].type, mode))
    return new arrow.RecordBatch(
      fileSchema,
      arrow.makeData({ type: new arrow.Struct(fileSchema.fields), length: b.numRows, nullCount: 0, children }),
    )
  })
  return new arrow.Table(fileSchema, batches)
}

// Nested struct children carry names in their Data type; under column mapping they must be physical too.
function retype(d: arrow.Data, type: arrow.DataType, mode: ColumnMappingMode): arrow.Data {
  if (mode === 'none') return d
  if (arrow.DataType.isStruct(type)) {
    return arrow.makeData({
      type,
      offset: d.offset,
      length: d.length,
      nullCount: d.nullCount,
      nullBitmap: d.nullBitmap,
      children: d.children.map((c, j) => retype(c, type.children[j].type, mode)),
    })
  }
  if (arrow.DataType.isList(type) || arrow.DataType.isMap(type)) {
    return arrow.makeData({
      type: type as never,
      offset: d.offset,
      length: d.length,
      nullCount: d.nullCount,
      nullBitmap: d.nullBitmap,
      valueOffsets: d.valueOffsets,
      child: retype(d.children[0], type.children[0].type, mode),
    } as never)
  }
  return d
}

// ---------------------------------------------------------------------------------------------------------
// Partition splitting

/** One partition's rows of a batch, with its serialized values keyed by (physical) column name. */
interface PartitionSlice {
  values: Record<string, string | null>
  rows: arrow.Table
}

/** The serialized partition values of a table's first row (an empty string is null, as in Spark). */
function firstRowValues(
  t: arrow.Table,
  partitionFields: StructField[],
  mode: ColumnMappingMode,
): Record<string, string | null> {
  const values: Record<string, string | null> = {}
  for (const f of partitionFields) {
    const data = t.getChild(f.name)!.data[0]
    values[physicalName(f, mode)] = serializePartitionValue(scalarReader(data)(0), f.type) || null
  }
  return values
}

/**
 * The rows of `batch` per partition: one grouping pass over the partition columns (arrow/partition.ts), then
 * one split per column (every partition's rows in one sequential pass, arrow/take.ts `splitData`). Groups
 * whose serialized values are equal (an empty string and null are both null, as in Spark) share one slice.
 * Slices keep the rows' input order.
 */
function splitByPartition(
  batch: arrow.RecordBatch,
  partitionFields: StructField[],
  mode: ColumnMappingMode,
): PartitionSlice[] {
  const schema = batch.schema
  const keyData = partitionFields.map((f) => batch.getChild(f.name)!.data[0])
  const groups = groupRows(keyData, batch.numRows)
  const readers = keyData.map(scalarReader)
  // Groups whose serialized values are equal share one slice: `slot[g]` is group g's slice.
  const merged = new Map<string, number>()
  const sliceValues: Record<string, string | null>[] = []
  const slot = new Int32Array(groups.rows.length)
  groups.rows.forEach((_rows, g) => {
    const values: Record<string, string | null> = {}
    const first = groups.first[g]
    partitionFields.forEach((f, c) => {
      values[physicalName(f, mode)] = serializePartitionValue(readers[c](first), f.type) || null
    })
    const key = JSON.stringify(partitionFields.map((f) => values[physicalName(f, mode)]))
    let s = merged.get(key)
    if (s === undefined) {
      s = sliceValues.length
      merged.set(key, s)
      sliceValues.push(values)
    }
    slot[g] = s
  })
  if (merged.size === 1) return [{ values: sliceValues[0], rows: new arrow.Table(schema, [batch]) }]
  let { gid, counts } = groups
  if (merged.size < groups.rows.length) {
    gid = gid.map((g) => slot[g])
    counts = new Int32Array(merged.size)
    for (let i = 0; i < gid.length; i++) counts[gid[i]]++
  }
  // One pass per column buffer splits it into every slice (arrow/take.ts splitData).
  const columns = batch.data.children.map((c) => splitData(c, gid, counts))
  const type = new arrow.Struct(schema.fields)
  const out: PartitionSlice[] = sliceValues.map((values, s) => {
    const data = arrow.makeData({ type, length: counts[s], nullCount: 0, children: columns.map((c) => c[s]) })
    return { values, rows: new arrow.Table(schema, [new arrow.RecordBatch(schema, data)]) }
  })
  return out
}
