import * as arrow from 'apache-arrow'
import * as pw from 'parquet-wasm'
import { DeltaError } from '../errors.js'
import type { Storage } from '../storage/types.js'

/** Default rows per decoded batch: parquet-wasm's own default (1024) makes decoding about twice as slow. */
export const DEFAULT_BATCH_SIZE = 65536

/**
 * A Blob whose bytes stay in storage: `slice()` only narrows the window and `arrayBuffer()` issues one
 * `storage.readRange`. parquet-wasm reads through these two methods, so it fetches the footer first and then
 * only the column chunks it decodes.
 */
export class StorageBlob extends Blob {
  readonly #storage: Storage
  readonly #path: string
  readonly #start: number
  readonly #end: number
  readonly #signal?: AbortSignal
  readonly #onRead?: (start: number, end: number) => void

  constructor(
    storage: Storage,
    path: string,
    start: number,
    end: number,
    options: { signal?: AbortSignal; onRead?: (start: number, end: number) => void } = {},
  ) {
    super([])
    this.#storage = storage
    this.#path = path
    this.#start = start
    this.#end = Math.max(start, end)
    this.#signal = options.signal
    this.#onRead = options.onRead
  }

  override get size(): number {
    return this.#end - this.#start
  }

  override slice(start?: number, end?: number): Blob {
    // Blob.slice semantics: negative offsets count from the end, both clamp to [0, size].
    const clamp = (v: number | undefined, dflt: number) => {
      if (v === undefined) return dflt
      const x = v < 0 ? this.size + v : v
      return Math.min(Math.max(x, 0), this.size)
    }
    const s = clamp(start, 0)
    const e = Math.max(s, clamp(end, this.size))
    return new StorageBlob(this.#storage, this.#path, this.#start + s, this.#start + e, { signal: this.#signal, onRead: this.#onRead })
  }

  override async arrayBuffer(): Promise<ArrayBuffer> {
    if (this.size === 0) return new ArrayBuffer(0)
    this.#onRead?.(this.#start, this.#end)
    const bytes = await this.#storage.readRange(this.#path, this.#start, this.#end, { signal: this.#signal })
    if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) {
      return bytes.buffer
    }
    return bytes.slice().buffer as ArrayBuffer
  }

  override async bytes(): Promise<Uint8Array<ArrayBuffer>> {
    return new Uint8Array(await this.arrayBuffer())
  }
}

/** Row-group facts from the footer. */
export interface RowGroupInfo {
  numRows: number
  /** Index of the group's first row in the file. */
  firstRow: number
}

/** Options of {@link openParquet}. */
export interface OpenParquetOptions {
  /** The object size when the caller knows it (`add.size`): saves a `head` request. */
  size?: number
  signal?: AbortSignal
}

/**
 * An open parquet data file. Decoding happens in parquet-wasm; only the bytes of the footer and of the
 * requested column chunks are fetched. Call {@link ParquetReader.close} when done (frees wasm memory).
 */
export interface ParquetReader {
  /** The file's Arrow schema as parquet-wasm reads it (field ids as `PARQUET:field_id` metadata). */
  readonly schema: arrow.Schema
  readonly numRows: number
  readonly rowGroups: RowGroupInfo[]
  /**
   * Decodes one row group, projected to the given top-level column names (file names), in batches of at most
   * `batchSize` rows. An empty `columns` list is not allowed (use `rowGroups[i].numRows`).
   */
  readRowGroup(index: number, columns: string[], batchSize?: number): AsyncIterable<arrow.RecordBatch>
  close(): void
}

function parquetError(path: string, err: unknown): DeltaError {
  if (err instanceof DeltaError) return err
  return new DeltaError('PARQUET_ERROR', `cannot decode parquet file ${path}: ${(err as Error)?.message ?? String(err)}`, { cause: err })
}

/**
 * Opens a parquet file through `storage` with ranged reads (footer first).
 *
 * @throws DeltaError `FILE_NOT_FOUND` when the object is missing, `PARQUET_ERROR` when it is not parquet,
 *   storage errors as the backend reports them.
 */
export async function openParquet(
  storage: Storage,
  path: string,
  options: OpenParquetOptions & { onRead?: (start: number, end: number) => void } = {},
): Promise<ParquetReader> {
  const size = options.size ?? (await storage.head(path, { signal: options.signal })).size
  const blob = new StorageBlob(storage, path, 0, size, { signal: options.signal, onRead: options.onRead })
  let file: pw.ParquetFile
  try {
    file = await pw.ParquetFile.fromFile(blob)
  } catch (err) {
    // parquet-wasm wraps the Blob's rejection; surface storage errors with their own code.
    const cause = (err as { cause?: unknown })?.cause
    if (cause instanceof DeltaError) throw cause
    if (err instanceof DeltaError) throw err
    throw parquetError(path, err)
  }
  try {
    const schema = arrow.tableFromIPC(file.schema().intoIPCStream()).schema
    const meta = file.metadata()
    const rowGroups: RowGroupInfo[] = []
    let first = 0
    for (const rg of meta.rowGroups()) {
      const n = rg.numRows()
      rowGroups.push({ numRows: n, firstRow: first })
      first += n
      rg.free()
    }
    meta.free()
    let closed = false
    return {
      schema,
      numRows: first,
      rowGroups,
      async *readRowGroup(index: number, columns: string[], batchSize = DEFAULT_BATCH_SIZE) {
        if (columns.length === 0) throw new DeltaError('INTERNAL', 'readRowGroup needs at least one column')
        let stream: ReadableStream
        try {
          stream = await file.stream({ rowGroups: [index], columns, batchSize })
        } catch (err) {
          throw parquetError(path, err)
        }
        const reader = stream.getReader()
        try {
          for (;;) {
            let item: ReadableStreamReadResult<pw.RecordBatch>
            try {
              item = await reader.read()
            } catch (err) {
              throw parquetError(path, err)
            }
            if (item.done) break
            const table = arrow.tableFromIPC(item.value.intoIPCStream())
            for (const b of table.batches) yield b
          }
        } finally {
          reader.releaseLock()
        }
      },
      close() {
        if (!closed) {
          closed = true
          file.free()
        }
      },
    }
  } catch (err) {
    file.free()
    throw parquetError(path, err)
  }
}
