import {
  DeltaError,
  type DeltaErrorCode,
  type ObjectMeta,
  type PutOptions,
  type ReadOptions,
  type Storage,
} from 'delta-ts'

/** The calls of the {@link Storage} contract. */
export type StorageOperation = 'list' | 'read' | 'readRange' | 'head' | 'put' | 'delete'

/** Commit files of the Delta log: `_delta_log/<20 digits>.json`. Use as a fault's `path`. */
export const COMMIT_FILE: RegExp = /(^|\/)_delta_log\/\d{20}\.json$/

/** Which calls a fault applies to. */
export interface FaultTarget {
  /** The operation(s); default every operation. */
  op?: StorageOperation | readonly StorageOperation[]
  /** Only calls whose path (the list prefix for `list`) matches: exact string, RegExp or predicate. */
  path?: string | RegExp | ((path: string) => boolean)
  /** Fire on the nth matching call counted from when the fault is registered (1-based; default 1: the next). */
  nth?: number
  /** How many consecutive matching calls it fires on, from the nth (default 1; `Infinity` for all). */
  times?: number
}

/** The error a fault raises: a DeltaError code (message says it was injected), an Error, or a factory. */
export type FaultError = DeltaErrorCode | Error | ((call: StorageCall) => Error)

/** One call through a {@link FaultyStorage}, as recorded in {@link FaultyStorage.calls}. */
export interface StorageCall {
  op: StorageOperation
  /** The key (or list prefix). */
  path: string
  /** 1-based index of this call among the calls of the same operation. */
  seq: number
  /** The faults that fired on it, in the order they acted. */
  faults: FaultKind[]
  /** How it ended for the caller. Set when it settles. */
  outcome?: 'ok' | 'error'
}

/** What a fault does. */
export type FaultKind = 'fail' | 'delay' | 'dropResponse' | 'before'

/** The context a {@link FaultyStorage.before} hook receives. */
export interface HookContext {
  call: StorageCall
  /** The wrapped backend, without faults: write to it to act as another process (a concurrent writer). */
  inner: Storage
}

/** A registered fault; `fired` counts how often it acted. `remove()` unregisters it. */
export interface Fault {
  readonly kind: FaultKind
  readonly fired: number
  remove(): void
}

interface Rule {
  kind: FaultKind
  ops?: ReadonlySet<StorageOperation>
  path?: (p: string) => boolean
  first: number
  last: number
  matched: number
  fired: number
  error?: FaultError
  delayMs?: number
  hook?: (ctx: HookContext) => void | Promise<void>
}

function pathMatcher(path: FaultTarget['path']): ((p: string) => boolean) | undefined {
  if (path === undefined) return undefined
  if (typeof path === 'string') return (p) => p === path
  if (path instanceof RegExp) return (p) => new RegExp(path.source, path.flags.replace(/[gy]/g, '')).test(p)
  return path
}

function checkCount(name: string, n: number, allowInfinity: boolean): void {
  if (!(Number.isInteger(n) || (allowInfinity && n === Number.POSITIVE_INFINITY)) || n < 1)
    throw new DeltaError('INVALID_ARGUMENT', `FaultyStorage: ${name} must be a positive integer, got ${String(n)}`)
}

const abortError = (signal: AbortSignal) => new DeltaError('ABORTED', 'storage call aborted', { cause: signal.reason })

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal))
    const onAbort = () => {
      clearTimeout(t)
      reject(abortError(signal!))
    }
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/**
 * A {@link Storage} wrapper that injects faults into any backend (memory, local disk, S3), so a test can make
 * its own retry, idempotency and conflict handling meet the failures of real object stores without a server:
 *
 * - {@link FaultyStorage.fail}: the nth matching call fails before reaching the backend (nothing happens);
 * - {@link FaultyStorage.delay}: the call waits first (honouring its AbortSignal);
 * - {@link FaultyStorage.dropResponse}: the call reaches the backend and succeeds, then the caller gets an
 *   error anyway: on a `put` of a commit file this is the **ambiguous commit** (the version is committed
 *   but the writer saw a timeout);
 * - {@link FaultyStorage.before}: a hook runs just before the call, with the unwrapped backend: commit from
 *   there to play a **concurrent writer** that wins the race for the version being committed.
 *
 * Injected errors are the DeltaErrors the real backends raise: `STORAGE_TRANSIENT` by default (what S3Storage
 * reports for timeouts, throttling and 5xx), or any code you pass (`STORAGE_ERROR`, `FILE_NOT_FOUND`...),
 * with a message saying the fault was injected. Every call is recorded in {@link FaultyStorage.calls}.
 *
 * @example
 * const inner = new MemoryStorage('memory://t/')
 * const faulty = new FaultyStorage(inner)
 * const table = await DeltaTable.create('memory://t', { schema, storage: faulty })
 * faulty.dropResponse({ op: 'put', path: COMMIT_FILE })   // the next commit lands, the writer sees an error
 */
export class FaultyStorage implements Storage {
  readonly inner: Storage
  readonly rootUri: string
  readonly #rules: Rule[] = []
  readonly #calls: StorageCall[] = []
  readonly #seq = new Map<StorageOperation, number>()

  constructor(inner: Storage) {
    if (!inner || typeof inner.put !== 'function' || typeof inner.list !== 'function')
      throw new DeltaError('INVALID_ARGUMENT', 'FaultyStorage: expected a Storage to wrap')
    this.inner = inner
    this.rootUri = inner.rootUri
  }

  /** Every call made through this wrapper, in call order. */
  get calls(): readonly StorageCall[] {
    return this.#calls
  }

  /** How many calls of `op` (matching `path`, when given) were made. */
  count(op: StorageOperation, path?: FaultTarget['path']): number {
    const m = pathMatcher(path)
    return this.#calls.filter((c) => c.op === op && (!m || m(c.path))).length
  }

  /** Makes the targeted call(s) fail with `error` (default `STORAGE_TRANSIENT`) without reaching the backend. */
  fail(target: FaultTarget = {}, error: FaultError = 'STORAGE_TRANSIENT'): Fault {
    return this.#add('fail', target, { error })
  }

  /** Delays the targeted call(s) by `ms` before they reach the backend. */
  delay(target: FaultTarget, ms: number): Fault {
    if (!(Number.isFinite(ms) && ms >= 0))
      throw new DeltaError('INVALID_ARGUMENT', `FaultyStorage.delay: ms must be >= 0, got ${String(ms)}`)
    return this.#add('delay', target, { delayMs: ms })
  }

  /**
   * Lets the targeted call(s) succeed on the backend, then reports `error` (default `STORAGE_TRANSIENT`) to
   * the caller: the lost response. On a `put` the object IS written.
   */
  dropResponse(target: FaultTarget = {}, error: FaultError = 'STORAGE_TRANSIENT'): Fault {
    return this.#add('dropResponse', target, { error })
  }

  /**
   * Runs `hook` before the targeted call(s) reach the backend (awaited; a hook that throws fails the call with
   * its error). E.g. `before({ op: 'put', path: COMMIT_FILE }, ({ inner }) => otherWriter(inner))`.
   */
  before(target: FaultTarget, hook: (ctx: HookContext) => void | Promise<void>): Fault {
    if (typeof hook !== 'function')
      throw new DeltaError('INVALID_ARGUMENT', 'FaultyStorage.before: hook must be a function')
    return this.#add('before', target, { hook })
  }

  /** Removes every fault (the call log stays). */
  clearFaults(): void {
    this.#rules.length = 0
  }

  #add(kind: FaultKind, target: FaultTarget, extra: Partial<Rule>): Fault {
    const nth = target.nth ?? 1
    const times = target.times ?? 1
    checkCount('nth', nth, false)
    checkCount('times', times, true)
    const ops = target.op === undefined ? undefined : new Set(typeof target.op === 'string' ? [target.op] : target.op)
    const rule: Rule = {
      kind,
      ops,
      path: pathMatcher(target.path),
      first: nth,
      last: nth + times - 1,
      matched: 0,
      fired: 0,
      ...extra,
    }
    this.#rules.push(rule)
    const rules = this.#rules
    return {
      kind,
      get fired() {
        return rule.fired
      },
      remove() {
        const i = rules.indexOf(rule)
        if (i >= 0) rules.splice(i, 1)
      },
    }
  }

  #error(call: StorageCall, error: FaultError | undefined, what: string): Error {
    if (error instanceof Error) return error
    if (typeof error === 'function') return error(call)
    const code = error ?? 'STORAGE_TRANSIENT'
    return new DeltaError(
      code,
      `${this.rootUri}${call.path}: ${call.op} failed (${what}, injected by FaultyStorage on ${call.op} call ${call.seq})`,
      {
        cause: new Error(`FaultyStorage ${what}`),
      },
    )
  }

  /** Starts a call: records it and picks the rules that fire on it. */
  #begin(op: StorageOperation, path: string): { call: StorageCall; rules: Rule[] } {
    const seq = (this.#seq.get(op) ?? 0) + 1
    this.#seq.set(op, seq)
    const call: StorageCall = { op, path, seq, faults: [] }
    this.#calls.push(call)
    const firing: Rule[] = []
    for (const r of this.#rules) {
      if (r.ops && !r.ops.has(op)) continue
      if (r.path && !r.path(path)) continue
      r.matched++
      if (r.matched >= r.first && r.matched <= r.last) {
        r.fired++
        firing.push(r)
      }
    }
    return { call, rules: firing }
  }

  /** The faults that act before the backend is called, in registration order. */
  async #pre(call: StorageCall, rules: Rule[], signal?: AbortSignal): Promise<void> {
    for (const r of rules) {
      if (r.kind === 'before') {
        call.faults.push('before')
        await r.hook!({ call, inner: this.inner })
      } else if (r.kind === 'delay') {
        call.faults.push('delay')
        await sleep(r.delayMs!, signal)
      } else if (r.kind === 'fail') {
        call.faults.push('fail')
        throw this.#error(call, r.error, 'injected failure')
      }
    }
  }

  async #run<T>(op: StorageOperation, path: string, signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
    const { call, rules } = this.#begin(op, path)
    try {
      await this.#pre(call, rules, signal)
      const result = await fn()
      const drop = rules.find((r) => r.kind === 'dropResponse')
      if (drop) {
        call.faults.push('dropResponse')
        throw this.#error(call, drop.error, 'response lost after the call succeeded')
      }
      call.outcome = 'ok'
      return result
    } catch (err) {
      call.outcome = 'error'
      throw err
    }
  }

  async *list(prefix: string, options: { startAfter?: string; signal?: AbortSignal } = {}): AsyncIterable<ObjectMeta> {
    const { call, rules } = this.#begin('list', prefix)
    try {
      await this.#pre(call, rules, options.signal)
      const drop = rules.find((r) => r.kind === 'dropResponse')
      if (drop) {
        // The listing happened; the caller never sees it.
        for await (const _ of this.inner.list(prefix, options)) {
          // drained
        }
        call.faults.push('dropResponse')
        throw this.#error(call, drop.error, 'response lost after the call succeeded')
      }
      yield* this.inner.list(prefix, options)
      call.outcome = 'ok'
    } catch (err) {
      call.outcome = 'error'
      throw err
    }
  }

  read(path: string, options?: ReadOptions): Promise<Uint8Array> {
    return this.#run('read', path, options?.signal, () => this.inner.read(path, options))
  }

  readRange(path: string, start: number, end: number, options?: ReadOptions): Promise<Uint8Array> {
    return this.#run('readRange', path, options?.signal, () => this.inner.readRange(path, start, end, options))
  }

  head(path: string, options?: ReadOptions): Promise<ObjectMeta> {
    return this.#run('head', path, options?.signal, () => this.inner.head(path, options))
  }

  put(path: string, data: Uint8Array, options?: PutOptions): Promise<void> {
    return this.#run('put', path, options?.signal, () => this.inner.put(path, data, options))
  }

  delete(path: string, options?: ReadOptions): Promise<void> {
    return this.#run('delete', path, options?.signal, () => this.inner.delete(path, options))
  }
}
