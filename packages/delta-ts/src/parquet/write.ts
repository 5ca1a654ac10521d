import type * as arrow from 'apache-arrow'
import * as pw from 'parquet-wasm'
import { adoptAsTable } from '../arrow/adopt.js'
import { tableToIPCStream } from '../arrow/ipc.js'
import { assertNonNullableHoldNoNulls } from '../arrow/schema-evolution.js'
import { DeltaError } from '../errors.js'
import { createEncodeHandler, type EncodeProperties, type EncodeRequest } from './encode-tasks.js'
import { assertParquetWasmReady } from './wasm.js'

/**
 * Arrow JS → parquet bytes through parquet-wasm (parquet-rs). Keeps the Arrow schema in the footer (so time
 * zones survive), writes writer-version 2 pages, footer column statistics, and bounded row groups. Timestamps
 * are written as INT64 TIMESTAMP: µs with a time zone becomes `isAdjustedToUTC=true` (Delta `timestamp`), µs
 * without a zone `isAdjustedToUTC=false` (Delta `timestamp_ntz`).
 */

/** Parquet codecs delta-ts writes (`delta.parquet.compression.codec`, Spark's names). */
export type ParquetCodec = 'zstd' | 'snappy' | 'gzip' | 'uncompressed'

/** Default codec: zstd gives ~2x smaller files than snappy at a small write-time cost (docs/notes). */
export const DEFAULT_CODEC: ParquetCodec = 'zstd'
/** Default row-group row bound: 1 Mi rows. */
export const DEFAULT_MAX_ROW_GROUP_ROWS = 1 << 20
/** Default row-group byte bound: 128 MiB, so a reader holds at most that much of a file at a time. */
export const DEFAULT_MAX_ROW_GROUP_BYTES = 128 * 1024 * 1024

/** Options of {@link writeParquet}; every field has a default. */
export interface ParquetWriteOptions {
  /** Compression codec; default {@link DEFAULT_CODEC}. */
  codec?: ParquetCodec
  /** Rows per row group at most; default {@link DEFAULT_MAX_ROW_GROUP_ROWS}. */
  maxRowGroupRows?: number
  /** Bytes per row group at most (parquet-rs estimate); default {@link DEFAULT_MAX_ROW_GROUP_BYTES}. */
  maxRowGroupBytes?: number
  /** Extra footer key/value metadata. */
  keyValueMetadata?: Record<string, string>
  /** Footer `created_by`; default `delta-ts`. */
  createdBy?: string
  /**
   * Dictionary encoding (default true). Off pays for mostly-unique string columns such as checkpoint paths
   * and stats JSON: measured 2x faster and ~7x smaller on a 100k-add checkpoint.
   */
  dictionary?: boolean
  /** Top-level columns to write without dictionary encoding (see `mostlyUniqueColumns`). */
  noDictionaryColumns?: string[]
}

const CODECS: Record<ParquetCodec, pw.Compression> = {
  zstd: pw.Compression.ZSTD,
  snappy: pw.Compression.SNAPPY,
  gzip: pw.Compression.GZIP,
  uncompressed: pw.Compression.UNCOMPRESSED,
}

/**
 * The codec a table asks for in `delta.parquet.compression.codec` (case-insensitive; `none` means
 * uncompressed, as in Spark); {@link DEFAULT_CODEC} when unset. Throws `INVALID_ARGUMENT` for a codec
 * delta-ts cannot write (lz4, brotli, lzo), naming it.
 */
export function codecFromConfiguration(
  configuration: Readonly<Record<string, string | null | undefined>> | undefined,
): ParquetCodec {
  const raw = configuration?.['delta.parquet.compression.codec']
  if (raw === undefined || raw === null || raw === '') return DEFAULT_CODEC
  const c = raw.toLowerCase()
  if (c === 'none') return 'uncompressed'
  if (c in CODECS) return c as ParquetCodec
  throw new DeltaError(
    'INVALID_ARGUMENT',
    `delta.parquet.compression.codec '${raw}' is not supported for writing (use zstd, snappy, gzip or uncompressed)`,
  )
}

/** The file-name infix Spark uses for a codec (`part-…-c000.zstd.parquet`); empty for uncompressed. */
export function codecFileSuffix(codec: ParquetCodec): string {
  return codec === 'uncompressed' ? '' : `.${codec}`
}

/** The writer properties of `options` as plain data (what an encode task carries to its worker). */
export function encodeProperties(options: ParquetWriteOptions = {}): EncodeProperties {
  return {
    compression: CODECS[options.codec ?? DEFAULT_CODEC],
    writerVersion: pw.WriterVersion.V2,
    maxRowGroupRows: options.maxRowGroupRows ?? DEFAULT_MAX_ROW_GROUP_ROWS,
    maxRowGroupBytes: options.maxRowGroupBytes ?? DEFAULT_MAX_ROW_GROUP_BYTES,
    statistics: pw.EnabledStatistics.Chunk,
    createdBy: options.createdBy ?? 'delta-ts',
    dictionary: options.dictionary ?? true,
    noDictionaryColumns: options.noDictionaryColumns ?? [],
    keyValueMetadata: Object.entries(options.keyValueMetadata ?? {}),
  }
}

/**
 * The encode task for `data` (checked and serialized as Arrow IPC in the caller's thread): run it with
 * {@link runEncodeInProcess} or on a `ParquetEncoder`. Throws `SCHEMA_MISMATCH` as {@link writeParquet} does.
 */
export function encodeRequest(data: arrow.Table | arrow.RecordBatch, options: ParquetWriteOptions = {}): EncodeRequest {
  // The web build loads parquet-wasm through initParquetWasm: MISSING_DEPENDENCY until it has been called.
  assertParquetWasmReady()
  const table = adoptAsTable(data, 'writeParquet data')
  assertNonNullableHoldNoNulls(table)
  return { ipc: tableToIPCStream(table), props: encodeProperties(options) }
}

let handler: ReturnType<typeof createEncodeHandler> | undefined

/** Runs an encode task in the caller's thread, synchronously. Throws `PARQUET_ERROR` when parquet-wasm fails. */
export function runEncodeInProcess(request: EncodeRequest): Uint8Array {
  handler ??= createEncodeHandler(pw)
  let out: Uint8Array | undefined
  let error: string | undefined
  handler(
    request,
    (bytes) => {
      out = bytes
    },
    (message) => {
      error = message
    },
  )
  if (out === undefined) throw new DeltaError('PARQUET_ERROR', `parquet write failed: ${error ?? 'no output'}`)
  return out
}

/**
 * Encodes an Arrow table or record batch as one parquet file, in the caller's thread. Throws `SCHEMA_MISMATCH`
 * naming the column when a non-nullable field (at any depth) holds a null where its parents are valid —
 * parquet-rs would fail with an opaque message, or write a file other readers reject — and `PARQUET_ERROR` when
 * parquet-wasm fails otherwise.
 */
export function writeParquet(data: arrow.Table | arrow.RecordBatch, options: ParquetWriteOptions = {}): Uint8Array {
  return runEncodeInProcess(encodeRequest(data, options))
}
