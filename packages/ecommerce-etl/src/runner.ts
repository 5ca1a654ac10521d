/**
 * A small DAG runner (what Step Functions did): steps start when all their dependencies succeeded, independent
 * steps run concurrently, a failed step skips everything downstream, and transient storage errors are retried
 * with exponential backoff.
 */

/** One step of the DAG. `run` receives the outputs of the steps it depends on. */
export interface Step<T = unknown> {
  name: string
  dependsOn?: readonly string[]
  run: (inputs: Record<string, unknown>) => Promise<T>
}

/** A step of a DAG as the level grouping (and the state machine export) sees it: its name and dependencies. */
export interface DagStepShape {
  name: string
  dependsOn?: readonly string[]
}

/**
 * Groups the steps into levels: level 0 has no dependencies, level n depends on something at level n - 1.
 * Throws (an `Error` naming the step) on unknown dependencies and cycles, like the local runner.
 */
export function dagLevels(steps: readonly DagStepShape[]): string[][] {
  const byName = new Map(steps.map((s) => [s.name, s]))
  const level = new Map<string, number>()
  const visiting = new Set<string>()
  const levelOf = (name: string): number => {
    const known = level.get(name)
    if (known !== undefined) return known
    const step = byName.get(name)
    if (!step) throw new Error(`unknown step ${name}`)
    if (visiting.has(name)) throw new Error(`dependency cycle through step ${name}`)
    visiting.add(name)
    let l = 0
    for (const d of step.dependsOn ?? []) {
      if (!byName.has(d)) throw new Error(`step ${name} depends on unknown step ${d}`)
      l = Math.max(l, levelOf(d) + 1)
    }
    visiting.delete(name)
    level.set(name, l)
    return l
  }
  const levels: string[][] = []
  for (const s of steps) {
    const l = levelOf(s.name)
    levels[l] = [...(levels[l] ?? []), s.name]
  }
  return levels
}

/** How a step ended. `skipped` means a dependency failed (or was skipped). */
export type StepStatus = 'succeeded' | 'failed' | 'skipped'

/** The record of one step. */
export interface StepResult {
  name: string
  status: StepStatus
  attempts: number
  durationMs: number
  output?: unknown
  error?: string
  errorCode?: string
}

/** The record of a DAG run; `status` is `failed` when any step failed or was skipped. */
export interface DagResult {
  status: 'succeeded' | 'failed'
  steps: StepResult[]
  durationMs: number
}

/** Retry policy for transient errors. */
export interface RetryOptions {
  /** Attempts in all, including the first (default 3). */
  maxAttempts?: number
  /** First backoff in ms, doubled each retry (default 200). */
  baseDelayMs?: number
  /** Which errors are worth retrying (default: {@link isTransient}). */
  retryable?: (err: unknown) => boolean
}

/** True for errors that may succeed when retried: delta-ts `STORAGE_TRANSIENT` (network, throttling, 5xx). */
export function isTransient(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'STORAGE_TRANSIENT'
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Runs `fn`, retrying retryable errors per `options`; returns its value and the attempts used. */
export async function withRetries<T>(
  fn: () => Promise<T>,
  options: RetryOptions = {},
): Promise<{ value: T; attempts: number }> {
  const max = options.maxAttempts ?? 3
  const base = options.baseDelayMs ?? 200
  const retryable = options.retryable ?? isTransient
  for (let attempt = 1; ; attempt++) {
    try {
      return { value: await fn(), attempts: attempt }
    } catch (err) {
      if (attempt >= max || !retryable(err)) throw Object.assign(err as object, { attempts: attempt })
      await sleep(base * 2 ** (attempt - 1))
    }
  }
}

/**
 * Runs the steps as a DAG. Throws (before running anything) when a step names an unknown dependency, a name
 * repeats, or the dependencies form a cycle. Never throws for a failing step: that is in the result.
 * `onStep` sees every step as it ends.
 */
export async function runDag(
  steps: readonly Step[],
  options: RetryOptions & { onStep?: (r: StepResult) => void } = {},
): Promise<DagResult> {
  const byName = new Map(steps.map((s) => [s.name, s]))
  if (byName.size !== steps.length) throw new Error('duplicate step names')
  for (const s of steps)
    for (const d of s.dependsOn ?? [])
      if (!byName.has(d)) throw new Error(`step ${s.name} depends on unknown step ${d}`)
  dagLevels(steps) // throws on a cycle

  const started = Date.now()
  const results = new Map<string, StepResult>()
  const running = new Map<string, Promise<void>>()
  const outputs: Record<string, unknown> = {}
  const finish = (r: StepResult) => {
    results.set(r.name, r)
    options.onStep?.(r)
  }
  while (results.size < steps.length) {
    for (const s of steps) {
      if (results.has(s.name) || running.has(s.name)) continue
      const deps = s.dependsOn ?? []
      const depResults = deps.map((d) => results.get(d))
      if (depResults.some((r) => r && r.status !== 'succeeded')) {
        const blocker = depResults.find((r) => r && r.status !== 'succeeded') as StepResult
        finish({
          name: s.name,
          status: 'skipped',
          attempts: 0,
          durationMs: 0,
          error: `skipped: ${blocker.name} ${blocker.status}`,
        })
        continue
      }
      if (depResults.some((r) => r === undefined)) continue
      const t0 = Date.now()
      const inputs = Object.fromEntries(deps.map((d) => [d, outputs[d]]))
      running.set(
        s.name,
        withRetries(() => s.run(inputs), options).then(
          ({ value, attempts }) => {
            outputs[s.name] = value
            finish({ name: s.name, status: 'succeeded', attempts, durationMs: Date.now() - t0, output: value })
          },
          (err: unknown) => {
            const e = err as { message?: string; code?: unknown; attempts?: number }
            finish({
              name: s.name,
              status: 'failed',
              attempts: e.attempts ?? 1,
              durationMs: Date.now() - t0,
              error: e.message ?? String(err),
              errorCode: typeof e.code === 'string' ? e.code : undefined,
            })
          },
        ),
      )
    }
    if (running.size === 0) continue // skips were recorded; loop to propagate them
    await Promise.race(running.values())
    for (const name of [...running.keys()]) if (results.has(name)) running.delete(name)
  }
  const ordered = steps.map((s) => results.get(s.name) as StepResult)
  return {
    status: ordered.every((r) => r.status === 'succeeded') ? 'succeeded' : 'failed',
    steps: ordered,
    durationMs: Date.now() - started,
  }
}
