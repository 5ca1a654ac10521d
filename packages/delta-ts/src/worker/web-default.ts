/**
 * The browser / Worker build's worker/node.ts (tsup.config.ts swaps it in): the decoder's workers are Web
 * Workers running dist/web/decode-worker.js when the app named that file in `initParquetWasm(..., {
 * decodeWorker })` and the runtime has `Worker`; otherwise there is none and decoding runs in-process.
 */
import { webDecodeWorker } from '../parquet/wasm.js'
import type { SpawnWorker } from './pool.js'
import { webWorkerSpawner } from './web.js'

/** The decode worker spawner of the web build, or undefined (see the module comment). */
export function decodeWorkerSpawner(_handlerSource: string): SpawnWorker | undefined {
  const cfg = webDecodeWorker()
  if (!cfg || typeof Worker !== 'function') return undefined
  return webWorkerSpawner(cfg.url, { wasm: cfg.wasm })
}
