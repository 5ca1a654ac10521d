/**
 * The parquet-wasm calls delta-ts makes, as self-contained tasks over bytes fetched beforehand. They run either
 * in the caller's thread or in an isolated worker (see decoder.ts): parquet-wasm 0.8.0 reports some damage in a
 * file by trapping (`RuntimeError: unreachable`) inside a promise continuation, where no `try` can catch it and
 * Node exits. In a worker the trap ends only the worker.
 *
 * {@link createDecodeHandler} is serialized into the worker's source (`Function.prototype.toString`), so its
 * body must reference nothing but its parameter and JavaScript globals: no imports, no module-level helpers.
 */
import type * as pw from 'parquet-wasm'

/** Bytes of a file starting at `start` (the footer, the column chunks of a row group, or the whole file). */
export interface FileRange {
  start: number
  bytes: Uint8Array
}

/** A decode task. `ranges` must cover everything the task reads; anything else is reported as missing. */
export type DecodeRequest =
  /** The file's Arrow schema and row-group sizes, from the footer. */
  | { kind: 'open'; size: number; ranges: FileRange[] }
  /**
   * One row group projected to `columns` (top-level file names), as Arrow IPC streams of `batchSize` rows;
   * with `offset` / `limit`, only those rows of the group.
   */
  | {
      kind: 'rowGroup'
      size: number
      ranges: FileRange[]
      rowGroup: number
      columns: string[]
      batchSize: number
      offset?: number
      limit?: number
    }
  /** The whole file, projected to those of `columns` it has (checkpoints). */
  | { kind: 'table'; size: number; ranges: FileRange[]; columns: string[]; batchSize: number }

/** The answer to a {@link DecodeRequest}. */
export type DecodeResponse =
  /** The task read bytes outside its ranges: fetch these and run it again. */
  | { kind: 'missing'; missing: { start: number; end: number }[] }
  | { kind: 'open'; schema: Uint8Array; rowGroups: number[] }
  | { kind: 'batches'; batches: Uint8Array[]; columns: string[] }

/** Receives a task's answer once; `transfer` lists the buffers that can move instead of being copied. */
export type Respond = (value: DecodeResponse, transfer: ArrayBuffer[]) => void

/**
 * Builds the task runner over a parquet-wasm module. The runner answers through `respond` or `fail` exactly
 * once (a late settle after a `missing` answer is dropped by the caller).
 */
export function createDecodeHandler(
  wasm: typeof pw,
): (request: DecodeRequest, respond: Respond, fail: (message: string) => void) => void {
  // A Blob over the task's ranges; reads outside them return zeros and are recorded.
  class RangeBlob extends Blob {
    ranges: FileRange[]
    from: number
    to: number
    misses: { start: number; end: number }[]
    onMiss: () => void
    constructor(
      ranges: FileRange[],
      from: number,
      to: number,
      misses: { start: number; end: number }[],
      onMiss: () => void,
    ) {
      super([])
      this.ranges = ranges
      this.from = from
      this.to = Math.max(from, to)
      this.misses = misses
      this.onMiss = onMiss
    }
    override get size(): number {
      return this.to - this.from
    }
    override slice(start?: number, end?: number): Blob {
      const size = this.size
      const clamp = (v: number | undefined, d: number) => {
        if (v === undefined) return d
        const x = v < 0 ? size + v : v
        return Math.min(Math.max(x, 0), size)
      }
      const s = clamp(start, 0)
      const e = Math.max(s, clamp(end, size))
      return new RangeBlob(this.ranges, this.from + s, this.from + e, this.misses, this.onMiss)
    }
    override async arrayBuffer(): Promise<ArrayBuffer> {
      const out = new Uint8Array(this.size)
      let pos = this.from
      while (pos < this.to) {
        const r = this.ranges.find((x) => pos >= x.start && pos < x.start + x.bytes.length)
        if (!r) {
          this.misses.push({ start: pos, end: this.to })
          this.onMiss()
          return out.buffer
        }
        const upto = Math.min(this.to, r.start + r.bytes.length)
        out.set(r.bytes.subarray(pos - r.start, upto - r.start), pos - this.from)
        pos = upto
      }
      return out.buffer
    }
    override async bytes(): Promise<Uint8Array<ArrayBuffer>> {
      return new Uint8Array(await this.arrayBuffer())
    }
  }

  // Batches leave wasm as Arrow IPC, not through the C data interface (arrow-js-ffi 0.4.3 `parseRecordBatch`).
  // Measured on 1M rows x 6 columns (bench's scan table, one 17.9 MB file, in process, 3 runs, machine loaded):
  // intoIPCStream 194-309 ms + tableFromIPC 37-81 ms against FFI copy-out 169-221 ms; projected to 2 columns
  // both are 5-15 ms. The FFI copy lands in the worker's heap, where its dozens of buffers would then have to be
  // described, transferred and rebuilt into Arrow JS objects on the caller's side, while the IPC stream moves as
  // one transferable buffer that tableFromIPC views without copying. That worker-side FFI path is not built, so
  // its end-to-end cost is unmeasured; the in-process gain bounds it at ~25% of the conversion step (itself ~20%
  // of a decode task, which now runs beside others on the pool).
  const readAll = async (stream: ReadableStream<pw.RecordBatch>, out: Uint8Array[]) => {
    const reader = stream.getReader()
    for (;;) {
      const item = await reader.read()
      if (item.done) return
      out.push(item.value.intoIPCStream())
    }
  }

  return (request, respond, fail) => {
    let settled = false
    const misses: { start: number; end: number }[] = []
    const answer: Respond = (value, transfer) => {
      if (settled) return
      settled = true
      respond(value, transfer)
    }
    // Zeros are already on their way into wasm: answer now, whatever it makes of them is dropped.
    const onMiss = () => answer({ kind: 'missing', missing: misses.slice() }, [])
    const run = async () => {
      const file = await wasm.ParquetFile.fromFile(new RangeBlob(request.ranges, 0, request.size, misses, onMiss))
      try {
        if (request.kind === 'open') {
          const meta = file.metadata()
          const rowGroups: number[] = []
          for (const rg of meta.rowGroups()) {
            rowGroups.push(rg.numRows())
            rg.free()
          }
          meta.free()
          const schema = file.schema().intoIPCStream()
          answer({ kind: 'open', schema, rowGroups }, [schema.buffer as ArrayBuffer])
          return
        }
        let columns = request.columns
        if (request.kind === 'table') {
          // Which of the wanted columns the file has: the first element of each column chunk's path (the
          // schema itself is Arrow IPC, which this self-contained code does not parse). No row group, no rows.
          const present = new Set<string>()
          const meta = file.metadata()
          for (const rg of meta.rowGroups()) {
            for (const c of rg.columns()) {
              const path = c.columnPath()
              if (path.length > 0) present.add(path[0])
              c.free()
            }
            rg.free()
          }
          meta.free()
          columns = columns.filter((c) => present.has(c))
        }
        const batches: Uint8Array[] = []
        if (columns.length > 0) {
          const options =
            request.kind === 'rowGroup'
              ? {
                  rowGroups: [request.rowGroup],
                  columns,
                  batchSize: request.batchSize,
                  ...(request.offset !== undefined ? { offset: request.offset } : {}),
                  ...(request.limit !== undefined ? { limit: request.limit } : {}),
                }
              : { columns, batchSize: request.batchSize }
          await readAll(await file.stream(options), batches)
        }
        answer(
          { kind: 'batches', batches, columns },
          batches.map((b) => b.buffer as ArrayBuffer),
        )
      } finally {
        file.free()
      }
    }
    run().then(
      () => undefined,
      (err: unknown) => {
        if (settled) return
        settled = true
        fail(err instanceof Error ? err.message : String(err))
      },
    )
  }
}
