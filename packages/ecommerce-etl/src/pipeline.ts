/**
 * The whole pipeline of one run: preprocess → (products ∥ orders) → order_items → catalog refresh → preview,
 * with run logs, rejected rows, archiving and a notification at the end.
 */
import { readdir, readFile } from 'node:fs/promises'
import { join, relative, sep } from 'node:path'
import { type Catalog, type Preview, preview, refreshCatalog } from './catalog.js'
import { type DatasetName, datasetOfPath, ORDER_ITEMS, ORDERS, PRODUCTS } from './datasets.js'
import { archiveRawFiles, type JobOutput, type JobRunLog, runJob, tableKeys } from './jobs.js'
import { ConsoleNotifier, type Notifier, notifyAll } from './notify.js'
import { type PreprocessResult, preprocess } from './preprocess.js'
import { type RetryOptions, runDag, type StepResult } from './runner.js'
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
}

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
 * on one warehouse never share a number. With `runId` given, returns that run's existing record.
 */
export async function claimRun(store: FileStore, warehouse: string, runId?: string): Promise<RunRecord> {
  const runs = await listRuns(store)
  if (runId) {
    const found = runs.find((r) => r.runId === runId)
    if (!found) throw new Error(`unknown run id ${runId}`)
    return { ...found, status: 'running' }
  }
  let seq = (runs.at(-1)?.seq ?? 0) + 1
  for (;;) {
    const stamp = new Date()
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z')
    const rec: RunRecord = {
      runId: `run-${String(seq).padStart(6, '0')}-${stamp}`,
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
  const run = await claimRun(store, warehouse.uri, options.runId)
  const ctx = (step: string) => ({
    warehouse,
    runId: run.runId,
    runSeq: run.seq,
    onRows: options.onProgress ? (n: number) => options.onProgress?.(step, n) : undefined,
  })
  const archived: string[] = []
  const archive = async (pre: PreprocessResult, ds: DatasetName) => {
    archived.push(...(await archiveRawFiles(store, run.runId, rawPathsOf(pre, ds))))
  }
  const dag = await runDag(
    [
      {
        name: 'preprocess',
        run: async () => {
          const paths = options.raw ? await stageRawFiles(store, options.raw) : undefined
          let rows = 0
          const pre = await preprocess(store, run.runId, {
            paths,
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
        dependsOn: ['preprocess'],
        run: async (inp) => {
          const out = await runJob(PRODUCTS, ctx('products'))
          await archive(inp.preprocess as PreprocessResult, 'products')
          return out
        },
      },
      {
        name: 'orders',
        dependsOn: ['preprocess'],
        run: async (inp) => {
          const out = await runJob(ORDERS, ctx('orders'))
          await archive(inp.preprocess as PreprocessResult, 'orders')
          return out
        },
      },
      {
        name: 'order_items',
        dependsOn: ['preprocess', 'products', 'orders'],
        run: async (inp) => {
          // This batch's keys plus what the warehouse already holds.
          const orderIds = new Set([...(await tableKeys(warehouse, ORDERS)), ...(inp.orders as JobOutput).keys])
          const productIds = new Set([...(await tableKeys(warehouse, PRODUCTS)), ...(inp.products as JobOutput).keys])
          const out = await runJob(ORDER_ITEMS, ctx('order_items'), { orderIds, productIds })
          await archive(inp.preprocess as PreprocessResult, 'order_items')
          return out
        },
      },
      { name: 'catalog', dependsOn: ['order_items'], run: async () => refreshCatalog(warehouse) },
      { name: 'preview', dependsOn: ['catalog'], run: async () => preview(warehouse) },
    ],
    { ...options.retry, onStep: options.onStep },
  )
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
    preview: out('preview') as Preview | undefined,
    notificationErrors: [],
    durationMs: Date.now() - t0,
  }
  result.notificationErrors = await notifyAll(options.notifiers ?? [new ConsoleNotifier()], {
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
    joinKey('logs', 'pipeline', `${run.runId}.json`),
    `${JSON.stringify(logBody, (_, v) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`,
  )
  await writeText(
    store,
    seqKey(run.seq),
    `${JSON.stringify({ ...run, status: dag.status, finishedAt: new Date().toISOString() }, null, 2)}\n`,
  )
  return result
}
