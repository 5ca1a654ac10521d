import * as pw from 'parquet-wasm'
import { DeltaError } from '../errors.js'
import { type SpawnWorker, WorkerCrashError, WorkerPool, type WorkerRuntime } from '../worker/pool.js'
import { createDecodeHandler, type DecodeRequest, type DecodeResponse } from './decode-tasks.js'
import { createEncodeHandler } from './encode-tasks.js'
import { parquetWasmReady } from './wasm.js'

/**
 * Where parquet-wasm runs. parquet-wasm 0.8.0 reports some damaged files by trapping inside a promise
 * continuation: no `try` catches that, and Node exits. The isolated decoder runs every decode in a worker
 * thread, so a trap fails that one task (`PARQUET_ERROR` naming the file) and the worker is replaced; the
 * in-process decoder runs the same tasks in the caller's thread (runtimes without workers, or callers that
 * accept the risk for the last bit of latency).
 */
export interface ParquetDecoder {
  /** True when a trap in parquet-wasm cannot end the caller's process. */
  readonly isolated: boolean
  /** Tasks that run at the same time (workers of the pool; 1 in process). More are queued in order. */
  readonly concurrency: number
  /** Lets at least `n` tasks run at the same time where the decoder can (a pool grows); else a no-op. */
  reserve(n: number): void
  /**
   * Runs one decode task for file `path`.
   *
   * @throws DeltaError `PARQUET_ERROR` naming `path` when the file cannot be decoded (including a trap in an
   *   isolated worker).
   */
  run(path: string, request: DecodeRequest): Promise<DecodeResponse>
}

function decodeError(path: string, message: string, cause?: unknown): DeltaError {
  return new DeltaError('PARQUET_ERROR', `cannot decode parquet file ${path}: ${message}`, { cause })
}

/** Runs the decode tasks in the caller's thread (a parquet-wasm trap there ends the process). */
export function inProcessDecoder(): ParquetDecoder {
  const handle = createDecodeHandler(pw)
  return {
    isolated: false,
    concurrency: 1,
    reserve: () => undefined,
    run: (path, request) =>
      new Promise((resolve, reject) =>
        handle(
          request,
          (value) => resolve(value),
          (message) => reject(decodeError(path, message)),
        ),
      ),
  }
}

/**
 * Runs the decode tasks on a {@link WorkerPool} whose workers are started by `spawn`. The bytes of each task
 * are copied once into buffers that move to the worker; the decoded Arrow IPC moves back.
 */
export function isolatedDecoder(
  spawn: SpawnWorker,
  options: { size?: number } = {},
): ParquetDecoder & { pool: WorkerPool } {
  const pool = new WorkerPool(spawn, options)
  return {
    isolated: true,
    pool,
    get concurrency() {
      return pool.size
    },
    reserve: (n) => pool.grow(n),
    async run(path, request) {
      const ranges = request.ranges.map((r) => ({ start: r.start, bytes: r.bytes.slice() }))
      try {
        return await pool.run<DecodeResponse>(
          { ...request, ranges },
          ranges.map((r) => r.bytes.buffer as ArrayBuffer),
        )
      } catch (err) {
        if (err instanceof WorkerCrashError)
          throw decodeError(path, `the decoder crashed on it (${err.message}); the file is damaged`, err)
        throw decodeError(path, err instanceof Error ? err.message : String(err), err)
      }
    },
  }
}

/** The source of the decode handler for a worker: a self-contained function of the parquet-wasm module. */
export const DECODE_HANDLER_SOURCE: string = createDecodeHandler.toString()

/**
 * The source of the handler of the shared parquet pool's workers: decode tasks, and encode tasks (requests
 * tagged `kind: 'encode'`, see encoder.ts), each worker one parquet-wasm instance for both.
 */
export const PARQUET_TASKS_SOURCE: string = `(wasm) => {
  const decode = (${createDecodeHandler.toString()})(wasm)
  const encode = (${createEncodeHandler.toString()})(wasm)
  return (request, respond, fail) => (request.kind === 'encode' ? encode : decode)(request, respond, fail)
}`

let shared: Promise<ParquetDecoder> | undefined
let sharedTasks: WorkerPool | undefined

/**
 * The decoder readers use unless told otherwise: a pool of isolated workers sized to the machine's cores
 * (workers start on first use, idle ones do not keep the process alive), shared by every reader of the
 * process; the in-process decoder where workers are not available. `runtime` picks the worker adapter (default:
 * Node `worker_threads`; in the web build, Web Workers when `initParquetWasm` named the decode worker); it
 * counts only on the first call, which creates the shared decoder. Waits for parquet-wasm to be loaded first
 * (a no-op on Node; see parquet/wasm.ts).
 */
export function defaultDecoder(runtime?: WorkerRuntime): Promise<ParquetDecoder> {
  shared ??= (async () => {
    await parquetWasmReady()
    let rt: WorkerRuntime | undefined = runtime
    if (!rt) {
      try {
        // worker/node.ts on Node, Deno and Bun; worker/web-default.ts in the web build (undefined there
        // without a decode worker).
        rt = (await import('../worker/node.js')).nodeWorkerRuntime
      } catch {
        rt = undefined
      }
    }
    if (!rt) return inProcessDecoder()
    // Workers that run any handler also encode: one pool (one parquet-wasm instance per core) serves reads and
    // writes, so a copy-on-write rewrite decodes file N+1 beside the encode of file N on the same workers
    // instead of two pools of `cores` threads each competing for the cores (and each holding a wasm heap).
    const decoder = isolatedDecoder(
      rt.spawner(rt.runsGivenHandler ? PARQUET_TASKS_SOURCE : DECODE_HANDLER_SOURCE, ['parquet-wasm']),
      { size: rt.cores() },
    )
    if (rt.runsGivenHandler) sharedTasks = decoder.pool
    return decoder
  })()
  // A failed load (parquet-wasm not initialisable yet) is not cached: a later initParquetWasm() can fix it.
  shared.catch(() => {
    shared = undefined
  })
  return shared
}

/**
 * The worker pool of {@link defaultDecoder} when its workers also run encode tasks (Node `worker_threads`);
 * undefined where they only decode (the web build's decode worker) or there are no workers.
 */
export async function sharedParquetPool(): Promise<WorkerPool | undefined> {
  try {
    await defaultDecoder()
  } catch {
    return undefined
  }
  return sharedTasks
}
