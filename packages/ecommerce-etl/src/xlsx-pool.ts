/**
 * xlsx → CSV on a pool of `worker_threads` workers: every (workbook, sheet) is one task, so the sheets of one
 * file and different files convert in parallel, one per core. The pool follows delta-ts's worker pool
 * (packages/delta-ts/src/worker, not part of its public API): lazily started workers, tasks queued in
 * submission order, a worker that dies fails only its task (and is replaced), idle workers do not keep the
 * process alive. With `workers: 0` everything runs on the calling thread (the single-threaded path).
 */
import { createRequire } from 'node:module'
import { availableParallelism } from 'node:os'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import { type CellKind, type CsvSink, convertXlsx, type SheetResult } from './xlsx.js'
import { type XlsxErrorCode, XlsxReadError } from './xlsx-read.js'

/** One conversion task: the sheets `sheets` (positions; all when absent) of one workbook. */
export interface XlsxTask {
  /** A local path, or the workbook's bytes. */
  input: string | Uint8Array
  /** File name recorded in `source_file`. */
  sourceFile: string
  kinds: Readonly<Record<string, CellKind>>
  sheets?: readonly number[]
}

/** The CSV of each converted sheet (UTF-8) with its result, in workbook order. */
export interface XlsxTaskResult {
  sheets: (SheetResult & { csv: Uint8Array })[]
}

/** Runs one task on this thread (what a worker runs; also the single-threaded path). */
export async function convertSheets(task: XlsxTask, onRows?: (n: number) => void): Promise<XlsxTaskResult> {
  // Each sheet's CSV is encoded to UTF-8 chunk by chunk as it is written (no sheet-sized JS string).
  const chunks = new Map<string, Uint8Array[]>()
  const encoder = new TextEncoder()
  const open = (sheet: string): CsvSink => {
    const parts: Uint8Array[] = []
    chunks.set(sheet, parts)
    return {
      write: (c) => {
        parts.push(encoder.encode(c))
      },
      close: async () => undefined,
    }
  }
  const wanted = task.sheets ? new Set(task.sheets) : undefined
  const results = await convertXlsx(task.input, task.sourceFile, open, {
    kinds: task.kinds,
    onRows,
    sheets: wanted ? (i) => wanted.has(i) : undefined,
  })
  return {
    sheets: results.map((r) => ({ ...r, csv: concat(chunks.get(r.sheet) ?? []) })),
  }
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/** Starts a worker on the entry next to this module, in the same form (TypeScript sources, ESM or CJS build). */
function startWorker(): Worker {
  const here = typeof __filename === 'string' ? pathToFileURL(__filename).href : import.meta.url
  const ext = /\.(c?js|ts)$/.exec(new URL(here).pathname)?.[1] ?? 'js'
  const url = new URL(`./xlsx-worker.${ext}`, here)
  if (ext !== 'ts') return new Worker(url)
  // Running from TypeScript sources (tsx, a test runner): this thread's module hooks do not reach a worker, so
  // the worker registers tsx's loader itself before importing the entry.
  // `require.resolve` gives the CommonJS build of tsx's API; the worker imports its ESM twin next to it.
  const tsxApi = pathToFileURL(
    createRequire(here)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  ).href
  const boot = `import(${JSON.stringify(tsxApi)}).then((t) => { t.register(); return import(${JSON.stringify(url.href)}) })`
  return new Worker(boot, { eval: true })
}

interface Pending {
  id: number
  task: XlsxTask
  resolve(r: XlsxTaskResult): void
  reject(e: Error): void
}

interface Slot {
  worker: Worker
  running?: Pending
}

/** A pool of xlsx conversion workers; see the module doc. */
export class XlsxPool {
  readonly size: number
  readonly #slots: Slot[] = []
  readonly #queue: Pending[] = []
  #next = 1
  #closed = false

  /** `size` workers at most (default: the machine's cores). */
  constructor(size = availableParallelism()) {
    this.size = Math.max(1, Math.floor(size))
  }

  /**
   * Converts the task's sheets on a worker.
   *
   * @throws XlsxReadError (its code and message as the worker saw them) for an unreadable workbook; Error when
   *   the worker died or the pool is closed.
   */
  run(task: XlsxTask): Promise<XlsxTaskResult> {
    if (this.#closed) return Promise.reject(new Error('xlsx pool is closed'))
    return new Promise((resolve, reject) => {
      this.#queue.push({ id: this.#next++, task, resolve, reject })
      this.#pump()
    })
  }

  /** Terminates the workers; queued tasks fail. */
  async close(): Promise<void> {
    this.#closed = true
    for (const p of this.#queue.splice(0)) p.reject(new Error('xlsx pool is closed'))
    await Promise.all(this.#slots.splice(0).map((s) => s.worker.terminate()))
  }

  #pump(): void {
    while (this.#queue.length > 0) {
      let slot = this.#slots.find((s) => !s.running)
      if (!slot && this.#slots.length < this.size) slot = this.#start()
      if (!slot) return
      const p = this.#queue.shift() as Pending
      slot.running = p
      slot.worker.ref()
      slot.worker.postMessage({ id: p.id, task: p.task })
    }
  }

  #start(): Slot {
    const worker = startWorker()
    const slot: Slot = { worker }
    const settle = () => {
      slot.running = undefined
      worker.unref()
      this.#pump()
    }
    worker.on('message', (m: { id: number; ok: boolean; result?: XlsxTaskResult; error?: string; code?: string }) => {
      const p = slot.running
      if (!p || p.id !== m.id) return
      if (m.ok) p.resolve(m.result as XlsxTaskResult)
      else p.reject(m.code ? new XlsxReadError(m.code as XlsxErrorCode, m.error ?? '') : new Error(m.error))
      settle()
    })
    const die = (err: Error) => {
      const i = this.#slots.indexOf(slot)
      if (i < 0) return
      this.#slots.splice(i, 1)
      slot.running?.reject(new Error(`xlsx worker died: ${err.message}`))
      slot.running = undefined
      if (!this.#closed) this.#pump()
    }
    worker.on('error', die)
    worker.on('exit', (code) => die(new Error(`exit code ${code}`)))
    worker.unref()
    this.#slots.push(slot)
    return slot
  }
}
