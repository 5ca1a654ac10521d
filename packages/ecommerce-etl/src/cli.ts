#!/usr/bin/env node
/**
 * The `ecommerce-etl` command: `generate` synthetic input, `run` the pipeline, show `status`, or `demo`
 * (generate + run into ./lakehouse). Exit code 0 on success, 1 when a run failed, 2 on usage errors (unknown
 * commands or options, bad values, a warehouse folder that does not exist for `status`).
 */
import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { resolve } from 'node:path'
import cliProgress from 'cli-progress'
import { Command, CommanderError, InvalidArgumentError } from 'commander'
import { readCatalog } from './catalog.js'
import { DATASETS, type DatasetName } from './datasets.js'
import type { Expectation } from './expectations.js'
import { DEFAULT_DIRTY, type DirtyShares, writeGeneratedData } from './generate.js'
import { notifiersFromSpec } from './notify.js'
import { listRuns, PIPELINE_DAG, type PipelineResult, runPipeline } from './pipeline.js'
import type { StepResult } from './runner.js'
import { queryWarehouse, SQL_TABLES, type SqlTable, sqlName } from './sql.js'
import { stateMachineDefinition } from './state-machine.js'
import { Warehouse } from './warehouse.js'

const out = (s = '') => void process.stdout.write(`${s}\n`)

function num(v: string): number {
  const n = Number(v)
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a non-negative number')
  return n
}

/** Renders rows as an aligned text table. */
export function textTable(head: string[], rows: (string | number)[][]): string {
  const cells = [head, ...rows.map((r) => r.map(String))]
  const widths = head.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)))
  // Numbers right-aligned, text left-aligned, per column (a column is numeric when all its cells are).
  const numeric = head.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number'))
  const line = (r: string[]) =>
    r
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd()
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n')
}

function s3FromEnv() {
  const endpoint =
    process.env.ECOMMERCE_ETL_S3_ENDPOINT ?? process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL
  return endpoint ? { endpoint, forcePathStyle: true } : undefined
}

/** Prints the end-of-run summary: steps, per-job counts, preview. */
export function printSummary(r: PipelineResult): void {
  out()
  out(
    textTable(
      ['step', 'status', 'attempts', 'ms'],
      r.steps.map((s) => [s.name, s.status, s.attempts, s.durationMs]),
    ),
  )
  for (const s of r.steps.filter((x) => x.error)) out(`  ${s.name}: ${s.error}`)
  const jobs = Object.values(r.jobs)
  if (jobs.length > 0) {
    out()
    out(
      textTable(
        ['job', 'input', 'accepted', 'rejected', 'duplicates', 'inserted', 'updated', 'version'],
        jobs.map((j) => [
          j.job,
          j.inputRows,
          j.accepted,
          j.rejected,
          j.duplicates,
          j.inserted,
          j.updated,
          j.tableVersion,
        ]),
      ),
    )
    for (const j of jobs)
      if (j.rejected > 0)
        out(
          `  ${j.job} rejected by reason: ${Object.entries(j.rejectedByReason)
            .map(([k, v]) => `${k}=${v}`)
            .join(', ')} (quarantine.${j.dataset}, ${j.quarantine.inserted} new)`,
        )
    const checks = jobs.flatMap((j) => j.expectations.map((e) => ({ ...e, dataset: j.dataset })))
    if (checks.length > 0) {
      out()
      out(
        textTable(
          ['dataset', 'expectation', 'action', 'passed', 'failed'],
          checks.map((e) => [e.dataset, e.name, e.action, e.passed, e.failed]),
        ),
      )
    }
  }
  for (const e of r.preprocess?.errors ?? []) out(`  preprocess: ${e.error}`)
  if (r.preview) {
    out()
    out(
      `preview: ${Object.entries(r.preview.counts)
        .map(([k, v]) => `lakehouse_dwh.${k}=${v}`)
        .join('  ')}`,
    )
    if (r.preview.topDepartments.length > 0)
      out(
        textTable(
          ['top department', 'items'],
          r.preview.topDepartments.map((d) => [d.department, d.items]),
        ),
      )
    const o = r.preview.samples.orders ?? []
    if (o.length > 0) {
      out()
      const cols = ['order_id', 'user_id', 'order_timestamp', 'total_amount', 'date']
      out(
        textTable(
          cols,
          o.map((row) => cols.map((c) => row[c] ?? '')),
        ),
      )
    }
  }
  out()
  if (hadNoInput(r))
    out(
      `run ${r.runId}: no input (raw/ was empty, nothing loaded; stage files with -r <dir>) in ${(r.durationMs / 1000).toFixed(1)}s`,
    )
  else out(`run ${r.runId} ${r.status} in ${(r.durationMs / 1000).toFixed(1)}s`)
}

/** A successful run that found no file under raw/: nothing was loaded, which the summary says plainly. */
export function hadNoInput(r: PipelineResult): boolean {
  return r.status === 'succeeded' && r.preprocess !== undefined && r.preprocess.rawFiles.length === 0
}

/** Reads `--expectations <file.json>`: `{ "<dataset>": [{ "name", "predicate", "action" }, ...] }`. */
async function readExpectations(path: string): Promise<Partial<Record<DatasetName, Expectation[]>>> {
  let parsed: unknown
  try {
    parsed = JSON.parse(await readFile(resolve(path), 'utf8'))
  } catch (err) {
    throw new UsageError(`--expectations ${path}: ${(err as Error).message}`)
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new UsageError(`--expectations ${path}: expected an object of <dataset>: [expectations]`)
  for (const [k, v] of Object.entries(parsed)) {
    if (!(DATASETS as readonly string[]).includes(k))
      throw new UsageError(`--expectations ${path}: unknown dataset ${k} (expected ${DATASETS.join(', ')})`)
    if (!Array.isArray(v)) throw new UsageError(`--expectations ${path}: ${k} must be an array of expectations`)
  }
  return parsed as Partial<Record<DatasetName, Expectation[]>>
}

async function runCommand(opts: {
  warehouse: string
  raw?: string
  runId?: string
  only?: string
  catalog?: string
  glueRegion?: string
  glueEndpoint?: string
  notify?: string[]
  json?: boolean
  progress?: boolean
  expectations?: string
}): Promise<PipelineResult> {
  const tty = process.stdout.isTTY && opts.progress !== false && !opts.json
  const bars = tty
    ? new cliProgress.MultiBar(
        { format: ' {step} | {bar} | {value} rows', hideCursor: true, clearOnComplete: false },
        cliProgress.Presets.shades_classic,
      )
    : undefined
  const active = new Map<string, cliProgress.SingleBar>()
  const result = await runPipeline({
    warehouse: opts.warehouse,
    raw: opts.raw,
    runId: opts.runId,
    only: opts.only,
    catalog: catalogFromOptions(opts),
    expectations: opts.expectations ? await readExpectations(opts.expectations) : undefined,
    s3: s3FromEnv(),
    notifiers: notifiersFromSpec(
      opts.notify && opts.notify.length > 0 ? opts.notify : opts.json || opts.only ? [] : ['console'],
    ),
    onProgress: (step, rows) => {
      if (!bars) return
      let bar = active.get(step)
      if (!bar) {
        bar = bars.create(Math.max(rows, 1), 0, { step: step.padEnd(12) })
        active.set(step, bar)
      }
      bar.setTotal(Math.max(rows, bar.getTotal()))
      bar.update(rows)
    },
    onStep: (s: StepResult) => {
      if (!tty) return
      bars?.log(`${s.name}: ${s.status}${s.error ? ` (${s.error})` : ''}\n`)
    },
  })
  bars?.stop()
  if (opts.json) out(JSON.stringify(result, (_, v) => (typeof v === 'bigint' ? v.toString() : v), 2))
  else printSummary(result)
  if (result.status !== 'succeeded') process.exitCode = 1
  return result
}

/** The catalog target of `--catalog` (`local`, the default, or `glue` with its region and endpoint). */
function catalogFromOptions(opts: { catalog?: string; glueRegion?: string; glueEndpoint?: string }) {
  if (opts.catalog === undefined || opts.catalog === 'local') return undefined
  if (opts.catalog !== 'glue') throw new UsageError(`--catalog must be local or glue, not ${opts.catalog}`)
  const endpoint = opts.glueEndpoint ?? process.env.AWS_ENDPOINT_URL_GLUE ?? process.env.AWS_ENDPOINT_URL
  return { glue: { region: opts.glueRegion ?? process.env.AWS_REGION, ...(endpoint ? { endpoint } : {}) } }
}

/** The package version (package.json sits one folder above both src/ and dist/). */
const version = (createRequire(import.meta.url)('../package.json') as { version: string }).version

/** A usage error: reported on stderr, exit code 2. */
class UsageError extends Error {}

const program = new Command()
program
  .name('ecommerce-etl')
  .description('The e-commerce lakehouse pipeline (products, orders, order_items) on delta-ts.')
  .version(version, '-V, --version', 'print the version')
  .showHelpAfterError()
  // Commander exits 1 on its own usage errors; ours is 2 (1 means a run failed). Subcommands inherit this.
  .exitOverride()

program
  .command('generate')
  .description('write deterministic synthetic input: products.csv, multi-sheet orders.xlsx and order_items.xlsx')
  .requiredOption('-o, --out <dir>', 'output folder (gets products/, orders/, order_items/ and expected.json)')
  .option('--seed <n>', 'random seed', num, 42)
  .option('--products <n>', 'number of clean products', num, 50)
  .option('--orders <n>', 'number of clean orders', num, 500)
  .option('--max-items <n>', 'items per order are 1..n', num, 5)
  .option('--months <n>', 'months of orders (one sheet each)', num, 3)
  .option('--start-date <date>', 'first order day', '2025-01-01')
  .option('--id-offset <n>', 'added to every generated id (disjoint inputs)', num, 0)
  .option('--tag <text>', 'suffix of the file names (products<tag>.csv, ...)', '')
  .option('--dirty <share>', 'share of dirty rows of every kind (overrides the default mix)', num)
  .option('--dirty-kind <kind=share...>', `share of one kind: ${Object.keys(DEFAULT_DIRTY).join(', ')}`)
  .action(async (o) => {
    const dirty: Partial<DirtyShares> = {}
    if (o.dirty !== undefined) for (const k of Object.keys(DEFAULT_DIRTY) as (keyof DirtyShares)[]) dirty[k] = o.dirty
    for (const kv of (o.dirtyKind as string[] | undefined) ?? []) {
      const [k, v] = kv.split('=')
      if (!(k in DEFAULT_DIRTY) || !Number.isFinite(Number(v))) throw new UsageError(`bad --dirty-kind ${kv}`)
      dirty[k as keyof DirtyShares] = Number(v)
    }
    const data = await writeGeneratedData(
      resolve(o.out),
      {
        seed: o.seed,
        products: o.products,
        orders: o.orders,
        maxItemsPerOrder: o.maxItems,
        months: o.months,
        startDate: o.startDate,
        idOffset: o.idOffset,
        dirty,
      },
      o.tag,
    )
    out(
      textTable(
        ['dataset', 'input', 'accepted', 'rejected', 'duplicates'],
        Object.entries(data.expected).map(([k, e]) => [k, e.input, e.accepted, e.rejected, e.duplicates]),
      ),
    )
    out(`written to ${resolve(o.out)}`)
  })

program
  .command('run')
  .description('run the pipeline: preprocess → (products ∥ orders) → order_items → catalog → preview')
  .requiredOption('-w, --warehouse <dir|s3://bucket/prefix>', 'warehouse root')
  .option('-r, --raw <dir>', 'stage the files of this local folder into raw/ first')
  .option('--run-id <id>', 're-run an earlier run under its id (committed jobs are not applied twice)')
  .option('--only <step>', `run one step of an earlier or new run (${PIPELINE_DAG.map((s) => s.name).join(', ')})`)
  .option('--catalog <target>', 'where the catalog step registers the tables: local (catalog.json) or glue', 'local')
  .option('--glue-region <region>', 'AWS region of the Glue Data Catalog (default AWS_REGION)')
  .option('--glue-endpoint <url>', 'Glue endpoint (default AWS_ENDPOINT_URL_GLUE or AWS_ENDPOINT_URL)')
  .option('-n, --notify <spec...>', 'console, webhook:<url>, sns:<topic-arn> (default console; none with --only)')
  .option(
    '--expectations <file.json>',
    'expectations beyond the built-in rules: {"<dataset>": [{"name", "predicate", "action": "drop|warn|fail"}]}',
  )
  .option('--json', 'print the result as JSON')
  .option('--no-progress', 'no progress bars')
  .action(async (o) => {
    await runCommand(o)
  })

program
  .command('query')
  .description(
    'run SQL over lakehouse_dwh.<table> and quarantine.<table> (embedded DuckDB reading the tables through delta-ts)',
  )
  .argument('<sql>', 'one SQL statement, e.g. "SELECT count(*) FROM lakehouse_dwh.orders"')
  .requiredOption('-w, --warehouse <dir|s3://bucket/prefix>', 'warehouse root')
  .option(
    '--at <table=version>',
    'read a table at a version (time travel), e.g. orders=3 or quarantine.orders=1; repeat for more tables',
    (v: string, all: string[]) => [...all, v],
    [] as string[],
  )
  .option('--json', 'print the result as JSON (columns, rows, versions, timings)')
  .action(async (sql: string, o) => {
    const versions: Record<string, number> = {}
    for (const kv of (o.at as string[] | undefined) ?? []) {
      const [k, v] = kv.split('=')
      if (!(SQL_TABLES as readonly string[]).includes(k) || !/^\d+$/.test(v ?? ''))
        throw new UsageError(`bad --at ${kv} (expected <${SQL_TABLES.join('|')}>=<n>)`)
      versions[k] = Number(v)
    }
    const wh = await Warehouse.open(o.warehouse, { s3: s3FromEnv() })
    const r = await queryWarehouse(wh, sql, { versions })
    if (o.json) {
      out(JSON.stringify(r, null, 2))
      return
    }
    const cell = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : v)
    out(
      textTable(
        r.columns,
        r.rows.map((row) => r.columns.map((c) => cell(row[c]) as string | number)),
      ),
    )
    out(
      `${r.rows.length} row(s); ${Object.entries(r.versions)
        .map(([k, v]) => `${sqlName(k as SqlTable)}@v${v}`)
        .join(' ')}`,
    )
  })

program
  .command('export-state-machine')
  .description('print the pipeline as an AWS Step Functions (Amazon States Language) definition')
  .requiredOption('-w, --warehouse <s3://bucket/prefix>', 'warehouse root the tasks use')
  .requiredOption('--cluster <arn>', 'ECS cluster that runs the tasks')
  .requiredOption('--task-definition <family[:rev]>', 'ECS task definition with the ecommerce-etl CLI')
  .requiredOption('--topic-arn <arn>', 'SNS topic for the success and failure notifications')
  .option('--container <name>', 'container name in the task definition', 'ecommerce-etl')
  .option('--subnet <id...>', 'awsvpc subnets (Fargate)')
  .option('--security-group <id...>', 'awsvpc security groups')
  .option('--launch-type <type>', 'FARGATE or EC2', 'FARGATE')
  .option('--max-attempts <n>', 'attempts of a failed task in all', num, 3)
  .option('--catalog <target>', 'catalog target the catalog task uses (local or glue)', 'local')
  .option('-o, --out <file>', 'write the definition to a file instead of stdout')
  .action(async (o) => {
    if (o.launchType !== 'FARGATE' && o.launchType !== 'EC2') throw new UsageError('--launch-type is FARGATE or EC2')
    if (o.catalog !== 'local' && o.catalog !== 'glue') throw new UsageError('--catalog must be local or glue')
    const definition = stateMachineDefinition(PIPELINE_DAG, {
      warehouse: o.warehouse,
      cluster: o.cluster,
      taskDefinition: o.taskDefinition,
      topicArn: o.topicArn,
      container: o.container,
      subnets: o.subnet,
      securityGroups: o.securityGroup,
      launchType: o.launchType,
      maxAttempts: o.maxAttempts,
      extraArgs: o.catalog === 'glue' ? ['--catalog', 'glue'] : [],
    })
    const text = `${JSON.stringify(definition, null, 2)}\n`
    if (o.out) await writeFile(resolve(o.out), text)
    else process.stdout.write(text)
  })

program
  .command('status')
  .description('tables, versions and recent runs of a warehouse')
  .requiredOption('-w, --warehouse <dir|s3://bucket/prefix>', 'warehouse root')
  .option('--runs <n>', 'recent runs to show', num, 10)
  .action(async (o) => {
    if (!/^s3:\/\//.test(o.warehouse) && !existsSync(resolve(o.warehouse.replace(/^file:\/\//, ''))))
      throw new UsageError(`warehouse folder ${o.warehouse} does not exist (${resolve(o.warehouse)})`)
    const wh = await Warehouse.open(o.warehouse, { s3: s3FromEnv() })
    const cat = await readCatalog(wh)
    out(`warehouse ${wh.uri}`)
    out(
      cat
        ? textTable(
            ['table', 'version', 'files', 'partitioned by'],
            Object.values({ ...cat.tables, ...(cat.quarantine ?? {}) }).map((t) => [
              t.name,
              t.version,
              t.numFiles,
              t.partitionColumns.join(','),
            ]),
          )
        : 'no catalog yet (no successful run)',
    )
    const runs = (await listRuns(wh.store)).slice(-o.runs)
    out()
    out(
      runs.length
        ? textTable(
            ['run', 'status', 'started', 'finished'],
            runs.map((r) => [r.runId, r.status, r.startedAt, r.finishedAt ?? '']),
          )
        : 'no runs yet',
    )
  })

program
  .command('demo')
  .description('generate synthetic data and run the pipeline into a local warehouse')
  .option('-w, --warehouse <dir>', 'warehouse folder', './lakehouse')
  .option('--orders <n>', 'number of clean orders', num, 2000)
  .action(async (o) => {
    const wh = resolve(o.warehouse)
    const input = resolve(wh, 'incoming')
    const data = await writeGeneratedData(input, { orders: o.orders, products: 200 })
    out(
      `generated ${data.expected.products.input} products, ${data.expected.orders.input} orders, ${data.expected.order_items.input} order items into ${input}`,
    )
    await runCommand({ warehouse: wh, raw: input })
    const q = await queryWarehouse(
      await Warehouse.open(wh),
      'SELECT reasons, count(*)::INTEGER AS n FROM quarantine.order_items GROUP BY reasons ORDER BY n DESC, reasons LIMIT 5',
    )
    out()
    out('quarantine.order_items (rows dropped by expectations), top reasons:')
    out(
      textTable(
        q.columns,
        q.rows.map((r) => q.columns.map((c) => r[c] as string | number)),
      ),
    )
  })

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof CommanderError) {
    // Help and --version end with code 0; every other commander error (already printed) is a usage error.
    process.exitCode = err.exitCode === 0 ? 0 : 2
    return
  }
  process.stderr.write(`ecommerce-etl: ${(err as Error).message ?? err}\n`)
  process.exitCode = err instanceof UsageError ? 2 : 1
})
