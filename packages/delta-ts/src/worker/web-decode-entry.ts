/**
 * The decode worker of the web build (dist/web/decode-worker.js, one self-contained module with parquet-wasm's
 * web build inside). First message `{ init: { wasm } }` (a `WebAssembly.Module`, or undefined for the `.wasm`
 * beside this file); then tasks of the pool protocol (worker/pool.ts), answered by the same decode handler
 * the Node worker threads run. A WebAssembly trap shows up here as an unhandled rejection: the worker reports
 * `{ crashed }` and closes, so the pool fails that task and starts a fresh worker.
 */
import * as pw from 'parquet-wasm'
import { createDecodeHandler } from '../parquet/decode-tasks.js'

type Task = { id: number; request: unknown }
interface Scope {
  postMessage(message: unknown, transfer?: Transferable[]): void
  addEventListener(type: string, listener: (ev: MessageEvent & PromiseRejectionEvent & ErrorEvent) => void): void
  close(): void
}
const scope = globalThis as unknown as Scope
const init = (pw as unknown as { default: (arg?: { module_or_path: unknown }) => Promise<unknown> }).default

let handle: ReturnType<typeof createDecodeHandler> | undefined
let pending: Task[] | undefined = []

const crash = (reason: unknown) => {
  scope.postMessage({ crashed: reason instanceof Error ? reason.message : String(reason) })
  scope.close()
}
scope.addEventListener('unhandledrejection', (ev) => crash(ev.reason))
scope.addEventListener('error', (ev) => crash(ev.error ?? ev.message))

function run({ id, request }: Task): void {
  handle!(
    request as Parameters<NonNullable<typeof handle>>[0],
    (value, transfer) => scope.postMessage({ id, ok: true, value }, transfer as Transferable[]),
    (error) => scope.postMessage({ id, ok: false, error }),
  )
}

scope.addEventListener('message', (ev) => {
  const msg = ev.data as { init: { wasm?: WebAssembly.Module } | undefined } | Task
  if ('init' in msg) {
    const wasm = msg.init?.wasm
    init(wasm === undefined ? undefined : { module_or_path: wasm }).then(() => {
      handle = createDecodeHandler(pw)
      for (const t of pending ?? []) run(t)
      pending = undefined
    }, crash)
    return
  }
  if (pending) pending.push(msg)
  else run(msg)
})
