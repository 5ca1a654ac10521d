/**
 * The parquet-wasm encode call as a self-contained task over Arrow IPC bytes, so that it runs either in the
 * caller's thread or on a worker of the encode pool (encoder.ts). {@link createEncodeHandler} is serialized
 * into the worker's source (`Function.prototype.toString`), so its body references nothing but its parameter
 * and JavaScript globals: no imports, no module-level helpers.
 */
import type * as pw from 'parquet-wasm'

/** Writer properties as plain data (a worker builds its own `WriterProperties` from them). */
export interface EncodeProperties {
  /** `pw.Compression` value. */
  compression: number
  /** `pw.WriterVersion` value. */
  writerVersion: number
  maxRowGroupRows: number
  maxRowGroupBytes: number
  /** `pw.EnabledStatistics` value. */
  statistics: number
  createdBy: string
  dictionary: boolean
  /** Top-level columns written without dictionary encoding (mostly-unique values), whatever `dictionary` says. */
  noDictionaryColumns?: string[]
  /** Bytes per data page, approximately (parquet-rs `data_page_size_limit`); undefined keeps 1 MiB. */
  dataPageBytes?: number
  keyValueMetadata: [string, string][]
}

/** One encode task: an Arrow IPC stream (schema + batches) to one parquet file. */
export interface EncodeRequest {
  ipc: Uint8Array
  props: EncodeProperties
}

/**
 * Builds the task runner over a parquet-wasm module. It answers through `respond` (the file bytes, whose
 * buffer may move) or `fail` exactly once.
 */
export function createEncodeHandler(
  wasm: typeof pw,
): (
  request: EncodeRequest,
  respond: (bytes: Uint8Array, transfer: ArrayBuffer[]) => void,
  fail: (message: string) => void,
) => void {
  return (request, respond, fail) => {
    try {
      const p = request.props
      let b = new wasm.WriterPropertiesBuilder()
        .setCompression(p.compression)
        .setWriterVersion(p.writerVersion)
        .setMaxRowGroupSize(p.maxRowGroupRows)
        .setMaxRowGroupBytes(p.maxRowGroupBytes)
        .setStatisticsEnabled(p.statistics)
        .setCreatedBy(p.createdBy)
        .setDictionaryEnabled(p.dictionary)
      if (p.dataPageBytes !== undefined) b = b.setDataPageSizeLimit(p.dataPageBytes)
      for (const c of p.noDictionaryColumns ?? []) b = b.setColumnDictionaryEnabled(c, false)
      if (p.keyValueMetadata.length > 0) b = b.setKeyValueMetadata(new Map(p.keyValueMetadata))
      // writeParquet consumes both the table and the properties (they are freed on the Rust side).
      const bytes = wasm.writeParquet(wasm.Table.fromIPCStream(request.ipc), b.build())
      respond(bytes, [bytes.buffer as ArrayBuffer])
    } catch (err) {
      fail(err instanceof Error ? err.message : String(err))
    }
  }
}
