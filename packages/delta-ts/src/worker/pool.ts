/**
 * A small pool of isolated workers that run request/response tasks. It knows nothing about the runtime: a
 * {@link SpawnWorker} adapter (src/worker/node.ts for Node `worker_threads`; a Web Worker adapter fits the same
 * shape) creates each worker. What it guarantees is what a crash-prone task needs:
 *
 * - a worker that dies (a WebAssembly trap, an uncaught error, `process.exit` inside it) fails only the task it
 *   was running, with {@link WorkerCrashError}; the pool replaces it on the next task, and the caller's thread
 *   never sees the crash;
 * - tasks run one per worker at a time, queued in submission order when every worker is busy;
 * - idle workers do not keep the process alive.
 *
 * - `size` workers at most, started lazily; {@link WorkerPool.grow} raises the bound (a scan asking for more
 *   concurrency than the default), never lowers it.
 *
 * The parquet decoder (parquet/decoder.ts) runs one pool sized to the machine's cores ({@link WorkerRuntime}
 * `cores`): scans decode row groups, and column groups of one row group, on it in parallel.
 */

/** Messages from a worker to the pool: the answer to task `id`. */
export type WorkerReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string }

/** What a worker adapter reports to the pool. */
export interface WorkerEvents {
  message(reply: WorkerReply): void
  /** The worker failed (an uncaught error or trap inside it); `exit` follows. */
  error(err: unknown): void
  exit(code: number): void
}

/** The pool's handle on one running worker. */
export interface WorkerHandle {
  /** Sends a task; the buffers in `transfer` move to the worker (they are unusable here afterwards). */
  post(message: { id: number; request: unknown }, transfer: ArrayBuffer[]): void
  terminate(): void
  /** Keep the process alive while a task runs ({@link WorkerHandle.unref} when idle). */
  ref(): void
  unref(): void
}

/** Starts one worker wired to `events`. */
export type SpawnWorker = (events: WorkerEvents) => WorkerHandle

/**
 * What a runtime offers the pool: a way to start workers that run a handler (given as the source of a
 * self-contained factory function applied to the named packages) and how many cores it has. Node's adapter is
 * `nodeWorkerRuntime` (src/worker/node.ts); a Web Worker adapter implements the same shape.
 */
export interface WorkerRuntime {
  /** A spawner of workers that evaluate `factorySource(...packages)` and answer tasks through the pool protocol. */
  spawner(factorySource: string, packages: readonly string[]): SpawnWorker
  /** Logical cores available to this process (at least 1): the default pool size. */
  cores(): number
  /**
   * True when the spawner's workers run the handler source they are given (Node `worker_threads`); false or
   * absent when they run a fixed script (the web build's decode worker), which then only decodes.
   */
  runsGivenHandler?: boolean
}

/** The task's worker died before answering (a trap or crash inside it). The pool has already replaced it. */
export class WorkerCrashError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'WorkerCrashError'
  }
}

/** A task the worker answered with an error (it threw; the worker itself is fine). */
export class WorkerTaskError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'WorkerTaskError'
  }
}

interface Task {
  id: number
  request: unknown
  transfer: ArrayBuffer[]
  resolve(value: unknown): void
  reject(err: unknown): void
}

interface Slot {
  handle: WorkerHandle
  task?: Task
  dead: boolean
}

/** Options of {@link WorkerPool}. */
export interface WorkerPoolOptions {
  /** Workers at most (default 1). */
  size?: number
}

/**
 * Runs tasks on up to `size` workers started by `spawn`. See the module comment for the guarantees.
 */
export class WorkerPool {
  readonly #spawn: SpawnWorker
  #size: number
  readonly #slots: Slot[] = []
  readonly #queue: Task[] = []
  #nextId = 1
  #closed = false
  /** Workers that died while running a task (each was replaced). */
  crashes = 0

  constructor(spawn: SpawnWorker, options: WorkerPoolOptions = {}) {
    this.#spawn = spawn
    this.#size = Math.max(1, Math.floor(options.size ?? 1))
  }

  /** Workers this pool runs at most. */
  get size(): number {
    return this.#size
  }

  /** Raises the worker bound to `size` (no-op when it is already at least that). */
  grow(size: number): void {
    const n = Math.floor(size)
    if (n <= this.#size) return
    this.#size = n
    this.#pump()
  }

  /**
   * Runs one task and resolves with the worker's answer.
   *
   * @throws WorkerCrashError when the worker died running it; WorkerTaskError when the worker answered
   *   with an error; Error when the pool is closed.
   */
  run<T>(request: unknown, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.#closed) return Promise.reject(new Error('worker pool is closed'))
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ id: this.#nextId++, request, transfer, resolve: resolve as (v: unknown) => void, reject })
      this.#pump()
    })
  }

  /** Terminates every worker; queued and running tasks fail. */
  close(): void {
    this.#closed = true
    for (const t of this.#queue.splice(0)) t.reject(new Error('worker pool is closed'))
    for (const s of this.#slots.splice(0)) {
      s.dead = true
      s.task?.reject(new Error('worker pool is closed'))
      s.handle.terminate()
    }
  }

  #pump(): void {
    while (this.#queue.length > 0) {
      let slot = this.#slots.find((s) => !s.task && !s.dead)
      if (!slot && this.#slots.length < this.#size) slot = this.#start()
      if (!slot) return
      const task = this.#queue.shift()!
      slot.task = task
      slot.handle.ref()
      try {
        slot.handle.post({ id: task.id, request: task.request }, task.transfer)
      } catch (err) {
        slot.task = undefined
        task.reject(err)
      }
    }
  }

  #start(): Slot {
    const slot: Slot = { handle: undefined as unknown as WorkerHandle, dead: false }
    const finish = (s: Slot) => {
      s.task = undefined
      if (!s.dead) s.handle.unref()
      this.#pump()
    }
    const die = (err: unknown) => {
      if (slot.dead) return
      slot.dead = true
      const i = this.#slots.indexOf(slot)
      if (i >= 0) this.#slots.splice(i, 1)
      const task = slot.task
      slot.task = undefined
      if (task) {
        this.crashes++
        const detail = err instanceof Error ? err.message : String(err)
        task.reject(new WorkerCrashError(`worker died while running the task: ${detail}`, { cause: err }))
      }
      slot.handle.terminate()
      if (!this.#closed) this.#pump()
    }
    slot.handle = this.#spawn({
      message: (reply) => {
        const task = slot.task
        if (!task || reply.id !== task.id) return // a late answer to a task already settled
        if (reply.ok) task.resolve(reply.value)
        else task.reject(new WorkerTaskError(reply.error))
        finish(slot)
      },
      error: (err) => die(err),
      exit: (code) => die(new Error(`worker exited with code ${code}`)),
    })
    slot.handle.unref()
    this.#slots.push(slot)
    return slot
  }
}
