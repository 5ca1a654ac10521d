/**
 * The Web Worker adapter of {@link WorkerPool}, for runtimes with `Worker` but without `worker_threads`
 * (browsers). Each worker is a module worker loaded from a URL; its script speaks the pool protocol (a task
 * `{ id, request }` in, a {@link WorkerReply} out) and may first receive one `{ init }` message. A worker that
 * cannot report its own death (a WebAssembly trap surfaces as an unhandled rejection, which does not end a Web
 * Worker) posts `{ crashed: reason }` and closes itself; this adapter turns that, and the Worker's `error`
 * event, into the pool's `error` + `exit`.
 */
import type { SpawnWorker, WorkerReply } from './pool.js'

/** A crash report from a worker script (see the module comment). */
interface CrashReport {
  crashed: string
}

/**
 * A spawner of module Web Workers running the script at `url`; every new worker is first sent `{ init }`
 * (structured-cloned: a `WebAssembly.Module` is fine) when `init` is given.
 *
 * @throws Error (from the spawner) when the runtime has no `Worker`.
 */
export function webWorkerSpawner(url: string | URL, init?: unknown): SpawnWorker {
  return (events) => {
    if (typeof Worker !== 'function') throw new Error('this runtime has no Web Worker')
    const worker = new Worker(url, { type: 'module' })
    let ended = false
    const end = (err: unknown) => {
      if (ended) return
      ended = true
      events.error(err)
      events.exit(1)
    }
    worker.addEventListener('message', (ev: MessageEvent) => {
      const data = ev.data as WorkerReply | CrashReport
      if ('crashed' in data) end(new Error(data.crashed))
      else events.message(data)
    })
    worker.addEventListener('error', (ev: Event) => {
      ev.preventDefault() // reported to the pool, not to the page's console as uncaught
      end(new Error((ev as ErrorEvent).message || 'worker error'))
    })
    worker.addEventListener('messageerror', () => end(new Error('a message from the worker could not be read')))
    if (init !== undefined) worker.postMessage({ init })
    return {
      post: (message, transfer) => worker.postMessage(message, transfer),
      terminate: () => {
        ended = true
        worker.terminate()
      },
      // An idle Web Worker never keeps a page alive; there is nothing to ref.
      ref: () => {},
      unref: () => {},
    }
  }
}
