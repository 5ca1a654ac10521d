/**
 * The browser / Worker build's worker/node.ts (tsup.config.ts swaps it in): the decoder's workers are Web
 * Workers running dist/web/decode-worker.js when the app named that file in `initParquetWasm(..., {
 * decodeWorker })` and the runtime has `Worker`; otherwise there is no worker runtime and decoding runs
 * in-process.
 */
import { webDecodeWorker } from '../parquet/wasm.js'
import type { WorkerRuntime } from './pool.js'
import { webWorkerSpawner } from './web.js'

/**
 * Decode workers at most: each one compiles parquet-wasm's module again (about 5 MB of WebAssembly), so a page
 * gets a few, not one per core.
 */
const MAX_WEB_DECODE_WORKERS = 4

function webRuntime(): WorkerRuntime | undefined {
  const cfg = webDecodeWorker()
  if (!cfg || typeof Worker !== 'function') return undefined
  return {
    // The decode worker script carries its own handler and parquet-wasm, so the source and packages the pool
    // names are already in it.
    spawner: () => webWorkerSpawner(cfg.url, { wasm: cfg.wasm }),
    cores: () => Math.max(1, Math.min(MAX_WEB_DECODE_WORKERS, globalThis.navigator?.hardwareConcurrency ?? 1)),
  }
}

/** Same name as worker/node.ts's export; read once, when the decoder is first created. */
export const nodeWorkerRuntime: WorkerRuntime | undefined = webRuntime()
