import * as arrow from 'apache-arrow'
import { v4 as uuidv4 } from 'uuid'
import { adoptRecordBatch, adoptTable, isArrowRecordBatch, isArrowTable } from '../arrow/adopt.js'
import { DeltaError } from '../errors.js'
import { codecFileSuffix, codecFromConfiguration, writeParquet } from '../parquet/write.js'
import type { AddAction } from '../protocol/actions.js'
import { deltaToArrowField } from '../protocol/arrow-schema.js'
import { checkPartitionPath, encodeLogPath, partitionPath } from '../protocol/partition-path.js'
import { type ScalarValue, serializePartitionValue } from '../protocol/partition-values.js'
import {
  type ColumnMappingMode,
  type DataType,
  decimalParams,
  findField,
  physicalName,
  type StructField,
  type StructType,
} from '../protocol/schema.js'
import { enforceSchema } from '../protocol/schema-evolution.js'
import { computeFileStats } from '../protocol/stats.js'
import type { Storage } from '../storage/types.js'
import { takeData } from './arrow-take.js'
import { applyWriteRules, type IdentityAllocator, relaxedForRules, writeRulesFor } from './write-rules.js'

/**
 * Writes the data files of one write operation (PROTOCOL.md §Data Files): splits rows by partition values,
 * writes Hive-style partition directories with Spark-style unique names
 * (`part-00000-<uuid>-c000.zstd.parquet`), rolls files at the target size, computes stats, and returns the add
 * actions. It never commits: a crash leaves orphan files only, which vacuum removes.
 *
 * ```
 *  batches ─▶ enforceSchema ─▶ split by partition ─▶ buffer per partition ─▶ (size reached / end) ─▶
 *      drop partition columns, physical names ─▶ parquet bytes ─▶ storage.put(if absent) ─▶ AddAction
 * ```
 * Memory: each open partition buffers Arrow batches until its estimated file size reaches the target; when
 * all buffers together exceed `maxBufferedBytes`, the largest one is flushed early (a smaller file), so an
 * AsyncIterable input is written in bounded memory whatever its length.
 */

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
  /** Cancels between batches and files with `ABORTED`; files already written stay as orphans. */
  /** The batches already have exactly the table's Arrow layout (the output of `enforceSchema`): skip the check. */
  dataConformsToSchema?: boolean
  /**
   * Says which input batches hold rows of one partition only (e.g. rows copied out of one data file): their
   * partition values are read from the first row instead of every row.
   */
  isSinglePartition?: (batch: arrow.RecordBatch) => boolean
  /**
   * Hands out identity values for rows whose identity column is null (append, MERGE insert); the caller's
   * transaction commits the new high-water marks. Without it identity values are written as they are.
   */
  identity?: IdentityAllocator
  /** The rows are new rows from the caller (append): see `ApplyRulesOptions.newRows` in write-rules.ts. */
  newRows?: boolean
  /**
   * Skip constraints, generated and identity columns (OPTIMIZE: rows that are already in the table, unchanged).
   * Default false: every write enforces the table's rules.
   */
  skipWriteRules?: boolean
  signal?: AbortSignal
}

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
  const fileSchema = new arrow.Schema(dataFields.map((f) => deltaToArrowField(f, { columnMapping: mode })))

  // The table's CHECK constraints, invariants, generated and identity columns: applied to every batch before
  // any of its rows is buffered, so a violating write leaves at most orphan files and commits nothing.
  const rules = options.skipWriteRules ? undefined : writeRulesFor(options.schema, options.configuration)
  const activeRules = rules && !rules.empty ? rules : undefined
  const enforceAgainst = activeRules ? relaxedForRules(options.schema, activeRules) : options.schema

  const buffers = new Map<string, PartitionBuffer>()
  const adds: AddAction[] = []
  let buffered = 0
  let ratio = INITIAL_COMPRESSION_RATIO
  let fileIndex = 0
  const writeId = uuidv4()

  const flush = async (buf: PartitionBuffer) => {
    if (buf.rows === 0) return
    throwIfAborted(options.signal)
    const logical = concatTables(buf.batches)
    buffered -= buf.bytes
    const arrowBytes = buf.bytes
    buf.batches = []
    buf.rows = 0
    buf.bytes = 0
    const stats = computeFileStats(logical, {
      schema: options.schema,
      partitionColumns: [...partitionSet],
      configuration: options.configuration,
      columnMappingMode: mode,
    })
    const physical = toPhysical(logical, dataFields, fileSchema, mode)
    const bytes = writeParquet(physical, { codec, maxRowGroupRows: options.maxRowGroupRows })
    if (bytes.length > 0) ratio = Math.max(1, arrowBytes / bytes.length)
    // Spark's naming: part-<task>-<uuid>-c<file>.<codec>.parquet; one uuid per write keeps names sortable.
    const name = `part-${String(fileIndex).padStart(5, '0')}-${writeId}-c000${codecFileSuffix(codec)}.parquet`
    fileIndex++
    const key = buf.dir ? `${buf.dir}/${name}` : name
    await storage.put(key, bytes, { overwrite: false, signal: options.signal })
    adds.push({
      path: encodeLogPath(key),
      partitionValues: { ...buf.values },
      size: bytes.length,
      modificationTime: Date.now(),
      dataChange: true,
      stats,
    })
  }

  for await (const batch of toBatches(data)) {
    throwIfAborted(options.signal)
    if (batch.numRows === 0) continue
    // Callers that already ran enforceSchema (table.write) say so, sparing a second pass over every batch.
    let conformed = options.dataConformsToSchema
      ? new arrow.Table([batch])
      : enforceSchema(batch, { tableSchema: enforceAgainst, schemaMode: 'strict' }).data
    if (activeRules) {
      const ruleOptions = { identity: options.identity, newRows: options.newRows }
      conformed = new arrow.Table(conformed.batches.map((b) => applyWriteRules(b, activeRules, ruleOptions)))
    }
    const partitionNames = partitionFields.map((f) => physicalName(f, mode))
    const slices = splitByPartition(conformed, partitionFields, mode, options.isSinglePartition?.(batch) ?? false)
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
        if (buf.bytes / ratio >= target) await flush(buf)
      }
      while (buffered > maxBuffered) {
        let largest: PartitionBuffer | undefined
        for (const b of buffers.values()) if (!largest || b.bytes > largest.bytes) largest = b
        if (!largest || largest.rows === 0) break
        await flush(largest)
      }
    }
  }
  for (const buf of buffers.values()) await flush(buf)
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

function concatTables(tables: arrow.Table[]): arrow.Table {
  return tables.length === 1
    ? tables[0]
    : new arrow.Table(
        tables[0].schema,
        tables.flatMap((t) => t.batches),
      )
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

/** Drops partition columns and re-labels the data with the file schema (same buffers, physical names). */
function toPhysical(
  logical: arrow.Table,
  dataFields: StructField[],
  fileSchema: arrow.Schema,
  mode: ColumnMappingMode,
): arrow.Table {
  const batches = logical.batches.map((b) => {
    const children = dataFields.map((f, j) => retype(b.getChild(f.name)!.data[0], fileSchema.fields[j].type, mode))
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

function splitByPartition(
  t: arrow.Table,
  partitionFields: StructField[],
  mode: ColumnMappingMode,
  singlePartition: boolean,
): PartitionSlice[] {
  if (partitionFields.length === 0) return [{ values: {}, rows: t }]
  const out: PartitionSlice[] = []
  for (const batch of t.batches) {
    const cols = partitionFields.map((f) => ({
      f,
      phys: physicalName(f, mode),
      vec: batch.getChild(f.name)!,
      cache: new Map<unknown, string | null>(),
    }))
    const groups = new Map<string, { values: Record<string, string | null>; idx: number[] }>()
    const serialized: (string | null)[] = new Array(cols.length)
    // A single-partition batch: the first row's values are every row's.
    const rowsToKey = singlePartition ? Math.min(1, batch.numRows) : batch.numRows
    for (let i = 0; i < rowsToKey; i++) {
      // Serialize each distinct raw value once per batch (partition columns repeat heavily).
      let key = ''
      for (let c = 0; c < cols.length; c++) {
        const col = cols[c]
        const scalar = scalarAt(col.vec, i, col.f.type)
        const raw = scalar !== null && typeof scalar === 'object' ? rawKey(scalar) : scalar
        let text = col.cache.get(raw)
        if (text === undefined) {
          // An empty string partition value is null, as in Spark: both land in __HIVE_DEFAULT_PARTITION__, so
          // they must also share one partitionValues entry.
          text = serializePartitionValue(scalar, col.f.type) || null
          col.cache.set(raw, text)
        }
        serialized[c] = text
        key += JSON.stringify(text) + ','
      }
      let g = groups.get(key)
      if (!g) {
        const values: Record<string, string | null> = {}
        cols.forEach((col, c) => {
          values[col.phys] = serialized[c]
        })
        g = { values, idx: [] }
        groups.set(key, g)
      }
      g.idx.push(i)
    }
    if (groups.size === 1 || singlePartition) {
      const [g] = groups.values()
      out.push({ values: g.values, rows: new arrow.Table(t.schema, [batch]) })
      continue
    }
    for (const g of groups.values()) {
      const data = takeData(batch.data, Int32Array.from(g.idx))
      out.push({
        values: g.values,
        rows: new arrow.Table(t.schema, [new arrow.RecordBatch(t.schema, data as arrow.Data<arrow.Struct>)]),
      })
    }
  }
  return out
}

/** A Map key for object-shaped scalars (decimals, binary). */
function rawKey(v: ScalarValue): string {
  if (v instanceof Uint8Array) return `b:${Array.from(v).join(',')}`
  if (typeof v === 'object' && v !== null && 'unscaled' in v) return `d:${String(v.unscaled)}`
  return `o:${JSON.stringify(v)}`
}

/** Scalar of row i of a partition column, in the ScalarValue model (exact µs for timestamps). */
function scalarAt(vec: arrow.Vector, i: number, type: DataType): ScalarValue {
  if (!vec.isValid(i)) return null
  let k = i
  let d = vec.data[0]
  for (const chunk of vec.data) {
    if (k < chunk.length) {
      d = chunk
      break
    }
    k -= chunk.length
  }
  switch (type) {
    case 'timestamp':
    case 'timestamp_ntz':
      return (d.values as BigInt64Array)[k]
    case 'date':
      return (d.values as Int32Array)[k]
    case 'long':
      return (d.values as BigInt64Array)[k]
    default: {
      const dp = decimalParams(type)
      if (dp) {
        const w = d.values as Uint32Array
        let v = 0n
        for (let x = 3; x >= 0; x--) v = (v << 32n) | BigInt(w[k * 4 + x])
        return { unscaled: BigInt.asIntN(128, v), scale: dp.scale }
      }
      return vec.get(i) as ScalarValue
    }
  }
}
