/**
 * The whole pipeline of one run: preprocess → (products ∥ orders) → order_items → catalog refresh → preview,
 * with run logs, expectations and quarantine tables, archiving and a notification at the end.
 */
import { readdir, readFile } from 'node:fs/promises'
import { join, relative, sep } from 'node:path'
import { type Catalog, type Preview, preview, refreshCatalog } from './catalog.js'
import {
  DATASET_DEFS,
  type DatasetDef,
  type DatasetName,
  datasetOfPath,
  ORDER_ITEMS,
  ORDERS,
  PRODUCTS,
} from './datasets.js'
import type { Expectation } from './expectations.js'
import { type GlueRegistration, type GlueSettings, registerInGlue } from './glue.js'
import { archiveRawFiles, type JobOutput, type JobRunLog, runJob, tableKeys } from './jobs.js'
import { Int64Table } from './keys.js'
import { ConsoleNotifier, type Notifier, notifyAll } from './notify.js'
import { type PreprocessResult, preprocess } from './preprocess.js'
import { type DagStepShape, type RetryOptions, runDag, type Step, type StepResult } from './runner.js'
import { type FileStore, isAlreadyExists, joinKey, listAll, readText, writeText } from './store.js'
import { type S3Settings, Warehouse } from './warehouse.js'

/** Options of {@link runPipeline}. */
export interface PipelineOptions {
  /** Local folder or `s3://bucket/prefix`. */
  warehouse: string
  /** Local folder whose files are staged into `raw/<dataset>/` first (else: whatever is in raw/ already). */
  raw?: string
  s3?: S3Settings
  /** Re-run (resume) an earlier run under its id: its committed jobs are recognised and not applied twice. */
  runId?: string
  /** Default: a console notifier. Pass `[]` for none. */
  notifiers?: Notifier[]
  retry?: RetryOptions
  /** Progress of long steps (rows processed so far per step). */
  onProgress?: (step: string, rows: number) => void
  /** Decorates the warehouse file store (instrumentation, fault injection in tests). */
  wrapStore?: (store: FileStore) => FileStore
  /** Step transitions, for live output. */
  onStep?: (r: StepResult) => void
  /**
   * Runs this one step of {@link PIPELINE_DAG} (one task of the exported state machine), taking what its
   * dependencies produced from the warehouse (their run logs and tables) instead of running them. With
   * `runId`, an unknown id is registered as a new run (the first task of a Step Functions execution). The
   * run record is marked `succeeded` after the last step and `failed` when the step fails. Unknown step
   * names throw before anything runs.
   */
  only?: string
  /**
   * Where the catalog step registers the tables: `catalog.json` at the warehouse root always; with `glue`,
   * the AWS Glue Data Catalog too (database `lakehouse_dwh`, see `glue.ts`).
   */
  catalog?: { glue?: GlueSettings }
  /**
   * Expectations per dataset beyond the built-in rules (`RULES`): one with a built-in's name replaces it
   * (e.g. to make it `warn`), others are added. Invalid ones fail the dataset's step before it writes.
   */
  expectations?: Partial<Record<DatasetName, readonly Expectation[]>>
  /** Worker threads converting .xlsx sheets (default: the machine's cores; `0`: on the main thread). */
  preprocessWorkers?: number
  /** Rows per column batch the jobs read (default 65,536). */
  batchRows?: number
}

/** The pipeline's steps and their dependencies (what the runner runs and the state machine export draws). */
export const PIPELINE_DAG: readonly DagStepShape[] = [
  { name: 'preprocess' },
  { name: 'products', dependsOn: ['preprocess'] },
  { name: 'orders', dependsOn: ['preprocess'] },
  { name: 'order_items', dependsOn: ['preprocess', 'products', 'orders'] },
  { name: 'catalog', dependsOn: ['order_items'] },
  { name: 'preview', dependsOn: ['catalog'] },
]

const dependsOn = (name: string): readonly string[] => PIPELINE_DAG.find((s) => s.name === name)?.dependsOn ?? []

/** The registry entry of a run (`logs/runs/<seq>.json`). */
export interface RunRecord {
  runId: string
  seq: number
  startedAt: string
  finishedAt?: string
  status: 'running' | 'succeeded' | 'failed'
  warehouse: string
}

/** What a pipeline run did. */
export interface PipelineResult {
  runId: string
  runSeq: number
  status: 'succeeded' | 'failed'
  steps: StepResult[]
  preprocess?: PreprocessResult
  jobs: Partial<Record<DatasetName, JobRunLog>>
  archived: string[]
  catalog?: Catalog
  /** The Glue registrations of the catalog step, when it ran with `catalog.glue`. */
  glue?: GlueRegistration[]
  preview?: Preview
  notificationErrors: { notifier: string; error: string }[]
  durationMs: number
}

const RUNS_DIR = 'logs/runs'

function seqKey(seq: number): string {
  return `${RUNS_DIR}/${String(seq).padStart(8, '0')}.json`
}

/** Lists the run registry, oldest first. */
export async function listRuns(store: FileStore): Promise<RunRecord[]> {
  const out: RunRecord[] = []
  for (const o of await listAll(store, `${RUNS_DIR}/`)) {
    try {
      out.push(JSON.parse(await readText(store, o.path)) as RunRecord)
    } catch {
      // a registry entry being rewritten right now; the next listing sees it
    }
  }
  return out.sort((a, b) => a.seq - b.seq)
}

/**
 * Claims the next run sequence number with put-if-absent on `logs/runs/<seq>.json`, so concurrent pipelines
 * on one warehouse never share a number. With `runId` given, returns that run's existing record; an unknown
 * id throws, unless `registerUnknown` is set: then it is claimed as a new run under that id (a Step Functions
 * execution names its run).
 */
export async function claimRun(
  store: FileStore,
  warehouse: string,
  runId?: string,
  options: { registerUnknown?: boolean } = {},
): Promise<RunRecord> {
  const runs = await listRuns(store)
  if (runId) {
    const found = runs.find((r) => r.runId === runId)
    if (found) return { ...found, status: 'running' }
    if (!options.registerUnknown) throw new Error(`unknown run id ${runId}`)
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(runId))
      throw new Error(`run id ${JSON.stringify(runId)} must be 1-80 characters of A-Z a-z 0-9 _ -`)
  }
  let seq = (runs.at(-1)?.seq ?? 0) + 1
  for (;;) {
    const stamp = new Date()
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z')
    const rec: RunRecord = {
      runId: runId ?? `run-${String(seq).padStart(6, '0')}-${stamp}`,
      seq,
      startedAt: new Date().toISOString(),
      status: 'running',
      warehouse,
    }
    try {
      await store.put(seqKey(seq), new TextEncoder().encode(`${JSON.stringify(rec, null, 2)}\n`), { overwrite: false })
      return rec
    } catch (err) {
      if (!isAlreadyExists(err)) throw err
      seq++ // another pipeline took this number
    }
  }
}

/** Copies the files of a local folder into `raw/<dataset>/<file>`; files of no dataset are left out. */
export async function stageRawFiles(store: FileStore, dir: string): Promise<string[]> {
  const out: string[] = []
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const full = join(d, e.name)
      if (e.isDirectory()) await walk(full)
      else if (e.isFile()) {
        const rel = relative(dir, full).split(sep).join('/')
        const ds = datasetOfPath(rel)
        if (!ds) continue
        const key = joinKey('raw', ds, e.name)
        await store.put(key, new Uint8Array(await readFile(full)), { overwrite: true })
        out.push(key)
      }
    }
  }
  await walk(dir)
  return out.sort()
}

function rawPathsOf(pre: PreprocessResult, dataset: DatasetName): string[] {
  return [...new Set(pre.files.filter((f) => f.dataset === dataset).map((f) => f.rawPath))]
}

/**
 * Runs the pipeline once. Never throws for a failing step: the result (and the exit code the CLI derives
 * from it) says `failed`, dependents of the failed step are skipped, and the notifiers hear about it.
 * Throws only when the warehouse cannot be opened or the run cannot be registered.
 */
export async function runPipeline(options: PipelineOptions): Promise<PipelineResult> {
  const t0 = Date.now()
  const warehouse = await Warehouse.open(options.warehouse, { s3: options.s3, wrapStore: options.wrapStore })
  const { store } = warehouse
  if (options.only !== undefined && !PIPELINE_DAG.some((st) => st.name === options.only))
    throw new Error(`unknown step ${options.only}; the steps are ${PIPELINE_DAG.map((st) => st.name).join(', ')}`)
  const run = await claimRun(store, warehouse.uri, options.runId, {
    registerUnknown: options.only !== undefined && dependsOn(options.only).length === 0,
  })
  const ctx = (step: string) => ({
    warehouse,
    runId: run.runId,
    runSeq: run.seq,
    onRows: options.onProgress ? (n: number) => options.onProgress?.(step, n) : undefined,
    expectations: options.expectations,
    batchRows: options.batchRows,
  })
  const archived: string[] = []
  let glue: GlueRegistration[] | undefined
  const archive = async (pre: PreprocessResult, ds: DatasetName) => {
    archived.push(...(await archiveRawFiles(store, run.runId, rawPathsOf(pre, ds))))
  }
  const steps: Step[] = [
    {
      name: 'preprocess',
      run: async () => {
        const paths = options.raw ? await stageRawFiles(store, options.raw) : undefined
        let rows = 0
        const pre = await preprocess(store, run.runId, {
          paths,
          workers: options.preprocessWorkers,
          onRows: (n) => {
            rows += n
            options.onProgress?.('preprocess', rows)
          },
        })
        await writeText(
          store,
          joinKey('logs', 'preprocess_job', `${run.runId}.json`),
          `${JSON.stringify({ runId: run.runId, ...pre }, null, 2)}\n`,
        )
        return pre
      },
    },
    {
      name: 'products',
      dependsOn: dependsOn('products'),
      run: async (inp) => {
        const out = await runJob(PRODUCTS, ctx('products'))
        await archive(inp.preprocess as PreprocessResult, 'products')
        return out
      },
    },
    {
      name: 'orders',
      dependsOn: dependsOn('orders'),
      run: async (inp) => {
        const out = await runJob(ORDERS, ctx('orders'))
        await archive(inp.preprocess as PreprocessResult, 'orders')
        return out
      },
    },
    {
      name: 'order_items',
      dependsOn: dependsOn('order_items'),
      run: async (inp) => {
        // This batch's keys plus what the warehouse already holds.
        // Hash key sets, each filled from one projected key column of the table.
        const orderIds = await tableKeys(warehouse, ORDERS, (inp.orders as JobOutput).keys)
        const productIds = await tableKeys(warehouse, PRODUCTS, (inp.products as JobOutput).keys)
        const out = await runJob(ORDER_ITEMS, ctx('order_items'), { orderIds, productIds })
        await archive(inp.preprocess as PreprocessResult, 'order_items')
        return out
      },
    },
    {
      name: 'catalog',
      dependsOn: dependsOn('catalog'),
      run: async () => {
        const catalog = await refreshCatalog(warehouse)
        if (options.catalog?.glue) glue = await registerInGlue(warehouse, options.catalog.glue)
        return catalog
      },
    },
    { name: 'preview', dependsOn: dependsOn('preview'), run: async () => preview(warehouse) },
  ]
  const dag = options.only
    ? await runDag([restoredStep(options.only, steps, warehouse, run.runId)], {
        ...options.retry,
        onStep: options.onStep,
      })
    : await runDag(steps, { ...options.retry, onStep: options.onStep })
  const out = (name: string) => dag.steps.find((s) => s.name === name && s.status === 'succeeded')?.output
  const jobs: Partial<Record<DatasetName, JobRunLog>> = {}
  for (const ds of ['products', 'orders', 'order_items'] as const) {
    const o = out(ds) as JobOutput | undefined
    if (o) jobs[ds] = o.log
  }
  const result: PipelineResult = {
    runId: run.runId,
    runSeq: run.seq,
    status: dag.status,
    steps: dag.steps.map((s) => ({ ...s, output: undefined })),
    preprocess: out('preprocess') as PreprocessResult | undefined,
    jobs,
    archived,
    catalog: out('catalog') as Catalog | undefined,
    glue,
    preview: out('preview') as Preview | undefined,
    notificationErrors: [],
    durationMs: Date.now() - t0,
  }
  // One step of a state machine: the state machine notifies; the run ends with its last step.
  const lastStep = options.only === undefined || !PIPELINE_DAG.some((st) => st.dependsOn?.includes(options.only ?? ''))
  const defaultNotifiers = options.only === undefined ? [new ConsoleNotifier()] : []
  result.notificationErrors = await notifyAll(options.notifiers ?? defaultNotifiers, {
    runId: run.runId,
    status: dag.status,
    warehouse: warehouse.uri,
    steps: dag.steps.map((s) => ({ name: s.name, status: s.status, ...(s.error ? { error: s.error } : {}) })),
    jobs: Object.fromEntries(
      Object.entries(jobs).map(([k, j]) => [
        k,
        {
          input: j.inputRows,
          accepted: j.accepted,
          rejected: j.rejected,
          duplicates: j.duplicates,
          inserted: j.inserted,
          updated: j.updated,
        },
      ]),
    ),
    durationMs: result.durationMs,
  })
  const logBody = { ...result, preview: undefined, catalog: undefined }
  await writeText(
    store,
    joinKey('logs', 'pipeline', `${run.runId}${options.only ? `.${options.only}` : ''}.json`),
    `${JSON.stringify(logBody, (_, v) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`,
  )
  if (lastStep || dag.status === 'failed')
    await writeText(
      store,
      seqKey(run.seq),
      `${JSON.stringify({ ...run, status: dag.status, finishedAt: new Date().toISOString() }, null, 2)}\n`,
    )
  return result
}

/**
 * One step of the pipeline, run on its own (`run --only`): what its dependencies handed over in a whole run
 * is taken from the warehouse. The preprocess result comes from its run log; the jobs' batch keys are in
 * their tables once committed (order_items reads the tables' keys anyway), so their run logs only prove
 * that they ran. A dependency that has not run in this run is an error naming it.
 */
function restoredStep(name: string, steps: readonly Step[], warehouse: Warehouse, runId: string): Step {
  const step = steps.find((s) => s.name === name) as Step
  const restore = async (dep: string): Promise<unknown> => {
    const logOf = async (key: string) => {
      try {
        return JSON.parse(await readText(warehouse.store, key)) as Record<string, unknown>
      } catch (err) {
        throw new Error(`step ${name} needs step ${dep} of run ${runId}, which has not run (no ${key}): ${err}`)
      }
    }
    if (dep === 'preprocess') {
      const { runId: _, ...pre } = await logOf(joinKey('logs', 'preprocess_job', `${runId}.json`))
      return pre as unknown as PreprocessResult
    }
    const def = DATASET_DEFS[dep as DatasetName] as DatasetDef | undefined
    if (def) {
      const log = (await logOf(joinKey('logs', def.job, `${runId}.json`))) as unknown as JobRunLog
      return { log, keys: new Int64Table() } satisfies JobOutput
    }
    return undefined // catalog: nothing downstream reads its output
  }
  return {
    name: step.name,
    // Restoring is part of the step: a dependency that has not run fails this step, like any step error.
    run: async () => {
      const inputs: Record<string, unknown> = {}
      for (const dep of step.dependsOn ?? []) inputs[dep] = await restore(dep)
      return step.run(inputs)
    },
  }
}
