import * as pw from 'parquet-wasm'
import { DeltaError } from '../errors.js'
import { type SpawnWorker, WorkerCrashError, WorkerPool } from '../worker/pool.js'
import { sharedParquetPool } from './decoder.js'
import { createEncodeHandler, type EncodeRequest } from './encode-tasks.js'

/**
 * Where parquet-wasm encodes. The in-process encoder runs in the caller's thread, one file at a time; the pooled
 * encoder runs up to `size` files at once on a {@link WorkerPool} (Node `worker_threads`), each worker its own
 * parquet-wasm instance. The caller prepares each task (Arrow IPC bytes, stats) on its thread while the workers
 * encode earlier ones, so a write uses every core it is given.
 */
export interface ParquetEncoder {
  /** Files encoded at once at most (1 for the in-process encoder). */
  readonly concurrency: number
  /**
   * Encodes one file. The request's IPC buffer moves to the worker (unusable afterwards).
   *
   * @throws DeltaError `PARQUET_ERROR` when parquet-wasm fails (including a crash of its worker).
   */
  encode(request: EncodeRequest): Promise<Uint8Array>
}

function encodeError(message: string, cause?: unknown): DeltaError {
  return new DeltaError('PARQUET_ERROR', `parquet write failed: ${message}`, { cause })
}

/** Encodes in the caller's thread (the single-threaded path: runtimes without workers, `concurrency: 1`). */
export function inProcessEncoder(): ParquetEncoder {
  const handle = createEncodeHandler(pw)
  return {
    concurrency: 1,
    encode: (request) =>
      new Promise((resolve, reject) =>
        handle(
          request,
          (bytes) => resolve(bytes),
          (message) => reject(encodeError(message)),
        ),
      ),
  }
}

/** Encodes on a {@link WorkerPool} of `size` workers started by `spawn`. */
export function pooledEncoder(spawn: SpawnWorker, size: number): ParquetEncoder & { pool: WorkerPool } {
  return encoderOnPool(new WorkerPool(spawn, { size }), size)
}

/**
 * Encodes on `pool`, up to `size` files at once. Requests go out tagged `kind: 'encode'`, so the pool's workers
 * may run decode tasks too (decoder.ts `PARQUET_TASKS_SOURCE`); a worker running only the encode handler ignores
 * the tag.
 */
function encoderOnPool(pool: WorkerPool, size: number): ParquetEncoder & { pool: WorkerPool } {
  return {
    concurrency: Math.max(1, Math.floor(size)),
    pool,
    async encode(request) {
      const ipc =
        request.ipc.byteOffset === 0 && request.ipc.byteLength === request.ipc.buffer.byteLength
          ? request.ipc
          : request.ipc.slice()
      try {
        return await pool.run<Uint8Array>({ kind: 'encode', ipc, props: request.props }, [ipc.buffer as ArrayBuffer])
      } catch (err) {
        if (err instanceof WorkerCrashError) throw encodeError(`the encoder crashed (${err.message})`, err)
        throw encodeError(err instanceof Error ? err.message : String(err), err)
      }
    },
  }
}

/** The source of the encode handler for a worker: a self-contained function of the parquet-wasm module. */
export const ENCODE_HANDLER_SOURCE: string = createEncodeHandler.toString()

const shared = new Map<number, Promise<ParquetEncoder>>()

/**
 * The encoder for `concurrency` files at once: the in-process encoder for 1, else the workers of the shared
 * parquet pool (decoder.ts `defaultDecoder`, grown to `concurrency` workers if smaller), which run decode and
 * encode tasks alike, started on first use and shared by every reader and writer of the process (idle workers
 * do not keep the process alive). Where that pool only decodes (the web build) a pool of encode workers of its
 * own, where worker threads are not available at all the in-process encoder.
 * `undefined` means one worker per core ({@link defaultWriteConcurrency}).
 */
export async function encoderFor(concurrency: number | undefined): Promise<ParquetEncoder> {
  const n = concurrency ?? (await defaultWriteConcurrency())
  if (n <= 1) return inProcessEncoder()
  let e = shared.get(n)
  if (!e) {
    e = (async () => {
      // The decoder's pool, where its workers encode too: reads and writes share one parquet-wasm per core.
      const tasks = await sharedParquetPool()
      if (tasks) {
        tasks.grow(n)
        return encoderOnPool(tasks, n)
      }
      return import('../worker/node.js').then(
        ({ nodeWorkerSpawner }) => pooledEncoder(nodeWorkerSpawner(ENCODE_HANDLER_SOURCE, ['parquet-wasm']), n),
        () => inProcessEncoder(),
      )
    })()
    shared.set(n, e)
  }
  return e
}

/**
 * Files a write encodes at once by default: the machine's cores (Node `os.availableParallelism()`, a browser's
 * `navigator.hardwareConcurrency`), at least 1.
 */
export async function defaultWriteConcurrency(): Promise<number> {
  try {
    const { availableCores } = await import('../worker/node.js')
    return Math.max(1, availableCores())
  } catch {
    const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator
    return Math.max(1, nav?.hardwareConcurrency ?? 1)
  }
}
