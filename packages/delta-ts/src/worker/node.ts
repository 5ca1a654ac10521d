/**
 * The Node adapter of {@link WorkerPool}: workers are `worker_threads` threads running a handler given as
 * source text. A trap or uncaught error in one ends that thread only (Node reports it on the Worker object,
 * never as an uncaught exception of the parent).
 */
import { createRequire } from 'node:module'
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import type { SpawnWorker, WorkerRuntime } from './pool.js'

/**
 * Resolves the entry file of a package as Node's `require` would from delta-ts itself, so a worker loads the
 * same copy of the package as its parent.
 */
function resolvePackage(name: string): string {
  // CJS builds have __filename (esbuild empties import.meta there, with a build warning); ESM builds import.meta.
  const base = typeof __filename === 'string' ? __filename : import.meta.url
  return createRequire(base).resolve(name)
}

/**
 * A spawner of worker threads that each evaluate `factorySource` — the source of a self-contained function
 * `(...modules) => (request, respond, fail) => void` — applied to the packages named in `packages` (loaded
 * with `require`), and answer every task through the {@link WorkerPool} protocol.
 *
 * @throws Error (from `require.resolve`) when a package cannot be found.
 */
export function nodeWorkerSpawner(factorySource: string, packages: readonly string[]): SpawnWorker {
  const paths = packages.map(resolvePackage)
  // esbuild with keepNames (tsx, some bundlers) wraps named functions in calls to its \`__name\` helper, which a
  // function's source text carries along: define it here too.
  const source = `
var __name = (target, value) => Object.defineProperty(target, 'name', { value, configurable: true })
const { parentPort, workerData } = require('node:worker_threads')
const handle = (${factorySource})(...workerData.paths.map((p) => require(p)))
parentPort.on('message', ({ id, request }) => {
  handle(
    request,
    (value, transfer) => parentPort.postMessage({ id, ok: true, value }, transfer),
    (error) => parentPort.postMessage({ id, ok: false, error }),
  )
})
`
  return (events) => {
    const worker = new Worker(source, { eval: true, workerData: { paths } })
    worker.on('message', (reply) => events.message(reply))
    worker.on('error', (err) => events.error(err))
    worker.on('messageerror', (err) => events.error(err))
    worker.on('exit', (code) => events.exit(code))
    return {
      post: (message, transfer) => worker.postMessage(message, transfer),
      terminate: () => {
        void worker.terminate()
      },
      ref: () => worker.ref(),
      unref: () => worker.unref(),
    }
  }
}

/** The Node {@link WorkerRuntime}: `worker_threads` workers, sized to `os.availableParallelism()`. */
export const nodeWorkerRuntime: WorkerRuntime = {
  spawner: nodeWorkerSpawner,
  cores: () => Math.max(1, availableParallelism()),
  runsGivenHandler: true,
}

/** The number of cores Node reports for this process (`os.availableParallelism()`). */
export function availableCores(): number {
  return availableParallelism()
}
