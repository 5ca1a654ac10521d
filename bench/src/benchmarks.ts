import { existsSync } from 'node:fs'
import { cp, readdir, readFile, rm } from 'node:fs/promises'
import * as path from 'node:path'
import { pathToFileURL } from 'node:url'
import * as arrow from 'apache-arrow'
import { DeltaTable } from 'delta-ts'
import { writeGeneratedData } from 'ecommerce-etl'
import type { SettingsVariant } from './child.js'
import { dayString, generateInput, type InputSpec, writeInputParquet, writeSyntheticLog } from './data.js'
import {
  type ChildReport,
  type ProfileSummary,
  pythonAvailable,
  runNodeCase,
  runPythonCase,
  runSparkCase,
  sparkAvailable,
} from './harness.js'
import { median, repoRoot, round } from './util.js'

/** The part of packages/delta-ts/test/s3-server.ts the commits benchmark uses. */
interface S3Helper {
  startMoto(): Promise<{ endpoint: string; stop(): Promise<void> }>
  testCredentials: { accessKeyId: string; secretAccessKey: string }
}

/** One side of a comparison: median and all runs (ms) plus the process's peak RSS. */
export interface Side {
  medianMs: number
  runsMs: number[]
  peakRssMb: number
  extra: Record<string, unknown>
}

/** A target from the issue, and whether this run met it. */
export interface Target {
  text: string
  met: boolean
}

/** One row of a benchmark's table. */
export interface CaseResult {
  case: string
  /** null when the delta-ts side failed (then `error` says why). */
  deltaTs: Side | null
  /** Why the case could not be measured; null when it was. */
  error: string | null
  /** delta-rs (Python `deltalake`) doing the same work; null where it does not apply or could not run. */
  deltaRs: Side | null
  /** Raw parquet-wasm doing the data part of the work (read and write benchmarks only). */
  baseline: Side | null
  /** deltaTs.medianMs / deltaRs.medianMs. */
  ratioVsDeltaRs: number | null
  /** deltaTs.medianMs / baseline.medianMs. */
  ratioVsBaseline: number | null
  /** Throughput where the issue asks for one (commits/s, rows/s). */
  throughput: { value: number; unit: string } | null
  target: Target | null
  /** CPU profile of a delta-ts run that missed its target: where the time went. */
  profile: ProfileSummary | null
  notes: string[]
}

/** What one benchmark reports (written to bench/results/<name>.json). */
export interface BenchmarkOutput {
  params: Record<string, unknown>
  cases: CaseResult[]
  notes: string[]
}

/** Run-wide settings handed to every benchmark. */
export interface BenchContext {
  quick: boolean
  /** Scratch folder shared by all benchmarks (generated data is cached here across runs). */
  work: string
  /** Repetitions per measurement (medians are taken over these). */
  reps: number
}

/** A benchmark: a name for `pnpm bench <name>`, a title, and its run. */
export interface Benchmark {
  name: string
  title: string
  run(ctx: BenchContext): Promise<BenchmarkOutput>
}

function side(r: ChildReport): Side {
  return {
    medianMs: round(median(r.runsMs)),
    runsMs: r.runsMs.map((x) => round(x)),
    peakRssMb: r.peakRssMb,
    extra: r.extra,
  }
}

function ratio(a: Side | null, b: Side | null): number | null {
  return a && b && b.medianMs > 0 ? round(a.medianMs / b.medianMs) : null
}

async function py(params: Record<string, unknown>, notes: string[]): Promise<Side | null> {
  if (!pythonAvailable()) {
    if (!notes.includes('delta-rs not measured: .venv missing (run scripts/ensure-venv.sh)'))
      notes.push('delta-rs not measured: .venv missing (run scripts/ensure-venv.sh)')
    return null
  }
  return side(await runPythonCase(params))
}

function caseResult(name: string, deltaTs: Side, deltaRs: Side | null, baseline: Side | null = null): CaseResult {
  return {
    case: name,
    deltaTs,
    error: null,
    deltaRs,
    baseline,
    ratioVsDeltaRs: ratio(deltaTs, deltaRs),
    ratioVsBaseline: ratio(deltaTs, baseline),
    throughput: null,
    target: null,
    profile: null,
    notes: [],
  }
}

/**
 * Runs one case; a failure (say, delta-ts throwing at this size) is recorded as that case's error and the
 * benchmark goes on with its other cases.
 */
async function attempt(cases: CaseResult[], name: string, fn: () => Promise<CaseResult>): Promise<CaseResult | null> {
  try {
    const c = await fn()
    cases.push(c)
    return c
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err)
    cases.push({
      case: name,
      deltaTs: null,
      error: msg.slice(0, 600),
      deltaRs: null,
      baseline: null,
      ratioVsDeltaRs: null,
      ratioVsBaseline: null,
      throughput: null,
      target: null,
      profile: null,
      notes: [],
    })
    return null
  }
}

/**
 * Sets the target of `c`; when missed, reruns the delta-ts case once under the V8 profiler and attaches its
 * hottest functions, so the report explains the miss.
 */
async function judge(c: CaseResult, text: string, met: boolean, rerun: () => Promise<ProfileSummary | undefined>) {
  c.target = { text, met }
  if (!met) c.profile = (await rerun()) ?? null
}

const profiled = (name: string, params: Record<string, unknown>) => async () =>
  (await runNodeCase(name, { ...params, reps: 1 }, { profile: true })).profile

// ---------------------------------------------------------------------------------------------------------
// Shared generated inputs (cached: generation is deterministic, so an existing file is the same data).

/**
 * A bench input: the Parquet file the Python side (and setup) reads, and the spec it was written from. Node
 * children that are measured make the same rows from the spec in Arrow JS (`gen`, see child.ts `loadInput`):
 * decoding the file with parquet-wasm on their main thread would leave a wasm heap the size of the input in
 * their peak RSS, which delta-rs (reading with pyarrow) does not pay.
 */
interface Input {
  input: string
  gen: InputSpec
}

const INPUT_NOTE =
  'input rows: delta-rs reads the input Parquet file with pyarrow; the delta-ts (and raw parquet-wasm) children make the same rows in Arrow JS from the seeded generator the file was written from (bench/src/data.ts), untimed, so no parquet-wasm heap from loading the input counts in their peak RSS'

const RAW_REWRITE_NOTE =
  'parquet-wasm column of the copy-on-write rows: the floor of a rewrite through parquet-wasm, every data file of the target read, decoded whole and encoded again with delta-ts writer settings (zstd, v2, dictionary off for id, customer_id, amount, note, as delta-ts picks them) on one worker per core, no filter, stats or commit (delta-rs writes zstd here too: its DELETE output footer says ZSTD, datafusion 55.1.0)'

/** Params of the `rawRewrite` child over the data files of the table `template`. */
function rawRewriteParams(template: string, ctx: { work: string; reps: number }): Record<string, unknown> {
  return {
    template,
    dir: path.join(ctx.work, 'raw-rewrite'),
    reps: ctx.reps,
    noDictionary: ['id', 'customer_id', 'amount', 'note'],
  }
}

async function inputParquet(file: string, spec: InputSpec): Promise<Input> {
  if (!existsSync(file)) await writeInputParquet(file, generateInput(spec))
  return { input: file, gen: spec }
}

async function logTable(dir: string, commits: number): Promise<string> {
  if (!existsSync(path.join(dir, '_delta_log', `${String(commits).padStart(20, '0')}.json`))) {
    await rm(dir, { recursive: true, force: true })
    await writeSyntheticLog(dir, { from: 0, to: commits, addsPerCommit: 1, days: 30 })
  }
  return dir
}

async function jsonTable(dir: string, fileActions: number, perCommit: number): Promise<string> {
  const last = Math.ceil(fileActions / perCommit)
  if (!existsSync(path.join(dir, '_delta_log', `${String(last).padStart(20, '0')}.json`))) {
    await rm(dir, { recursive: true, force: true })
    await writeSyntheticLog(dir, { from: 0, to: last, addsPerCommit: perCommit, days: 1000 })
  }
  return dir
}

/**
 * Where the cached checkpointed table of `fileActions` actions lives. The name carries the checkpoint layout
 * delta-ts writes (row groups of <= 128k rows, `stats_parsed`), so a cache written by an older layout is not
 * reused.
 */
function checkpointDir(work: string, fileActions: number): string {
  return path.join(work, `ckpt-rg128k-parsed-${fileActions}`)
}

async function checkpointTable(dir: string, fileActions: number, perCommit: number): Promise<string> {
  if (!existsSync(path.join(dir, '_delta_log', '_last_checkpoint'))) {
    await rm(dir, { recursive: true, force: true })
    await writeSyntheticLog(dir, {
      from: 0,
      to: Math.ceil(fileActions / perCommit),
      addsPerCommit: perCommit,
      days: 1000,
    })
    await runNodeCase('checkpoint', { table: dir })
  }
  return dir
}

const sizes = (ctx: BenchContext) =>
  ctx.quick
    ? {
        logCommits: 200,
        ckptSmall: 2_000,
        ckptLarge: 5_000,
        perCommit: 1_000,
        rows: 20_000,
        mergeTarget: 20_000,
        mergeSource: 1_000,
        orders: 300,
        commitsPerWriter: 3,
      }
    : {
        logCommits: 10_000,
        ckptSmall: 100_000,
        ckptLarge: 1_000_000,
        perCommit: 10_000,
        rows: 1_000_000,
        mergeTarget: 2_000_000,
        mergeSource: 100_000,
        orders: 282_600,
        commitsPerWriter: 20,
      }

// ---------------------------------------------------------------------------------------------------------

const snapshotBench: Benchmark = {
  name: 'snapshot',
  title: 'Snapshot load and incremental refresh',
  async run(ctx) {
    const s = sizes(ctx)
    const notes: string[] = []
    const log = await logTable(path.join(ctx.work, `log-${s.logCommits}`), s.logCommits)
    const small = await checkpointTable(checkpointDir(ctx.work, s.ckptSmall), s.ckptSmall, s.perCommit)
    const large = await checkpointTable(checkpointDir(ctx.work, s.ckptLarge), s.ckptLarge, s.perCommit)
    const largeJson = await jsonTable(path.join(ctx.work, `json-${s.ckptLarge}`), s.ckptLarge, s.perCommit)
    const cases: CaseResult[] = []
    // Targets of issue 18: a checkpoint loads in <= 1.0x delta-rs's time with <= 1.5x its peak RSS; a million
    // actions in JSON commits in <= 0.8x. The 10k-commit log (many small commits) keeps the old <= 1.0x.
    const loads: [string, string, number, number | null][] = [
      [`load: log of ${s.logCommits} commits, no checkpoint`, log, 1.0, null],
      [`load: checkpoint of ${s.ckptSmall} file actions`, small, 1.0, 1.5],
      [`load: checkpoint of ${s.ckptLarge} file actions`, large, 1.0, 1.5],
      [
        `load: ${s.ckptLarge} file actions in ${s.ckptLarge / s.perCommit} JSON commits, no checkpoint`,
        largeJson,
        0.8,
        null,
      ],
    ]
    for (const [name, table, maxRatio, maxRss] of loads) {
      await attempt(cases, name, async () => {
        const params = { table, reps: ctx.reps }
        const ts = side(await runNodeCase('load', params))
        const rs = await py({ op: 'load', ...params }, notes)
        const c = caseResult(name, ts, rs)
        if (c.ratioVsDeltaRs !== null) {
          const rssOk = maxRss === null || rs === null || ts.peakRssMb <= maxRss * rs.peakRssMb
          const text = `load <= ${maxRatio.toFixed(1)}x delta-rs${maxRss === null ? '' : `, peak RSS <= ${maxRss}x`} (issue 18)`
          await judge(c, text, c.ratioVsDeltaRs <= maxRatio && rssOk, profiled('load', params))
        }
        return c
      })
    }
    // Checkpoint write: each side checkpoints its own copy of the JSON-only table (a checkpoint changes the table).
    await attempt(cases, `checkpoint write: ${s.ckptLarge} file actions (vs delta-rs create_checkpoint)`, async () => {
      const tsCopy = path.join(ctx.work, 'ckpt-write-ts')
      const rsCopy = path.join(ctx.work, 'ckpt-write-rs')
      const rawCopy = path.join(ctx.work, 'ckpt-write-raw')
      try {
        for (const d of [tsCopy, rsCopy, rawCopy]) {
          await rm(d, { recursive: true, force: true })
          await cp(largeJson, d, { recursive: true })
        }
        const name = `checkpoint write: ${s.ckptLarge} file actions (vs delta-rs create_checkpoint)`
        const params = { reps: ctx.reps }
        const ts = side(await runNodeCase('checkpointWrite', { ...params, table: tsCopy }))
        const rs = await py({ op: 'checkpoint', ...params, table: rsCopy }, notes)
        // Baseline: parquet-wasm alone encoding the rows of delta-ts's checkpoint (how much of the gap is the encoder).
        const raw = side(await runNodeCase('rawCheckpointEncode', { ...params, table: rawCopy }))
        const c = caseResult(name, ts, rs, raw)
        c.notes.push(
          `parquet-wasm baseline: ${String(raw.extra.rows)} rows, ${String(raw.extra.bytes)} bytes ` +
            `(delta-ts's checkpoint: ${String(raw.extra.deltaTsBytes)} bytes)`,
        )
        if (rs)
          c.notes.push(
            `delta-rs checkpoint: ${String(rs.extra.checkpointRows)} rows, ${String(rs.extra.checkpointBytes)} bytes, ` +
              `rewritten on ${String(rs.extra.distinctCheckpointMtimes)} of ${rs.runsMs.length} runs`,
          )
        if (c.ratioVsDeltaRs !== null)
          await judge(
            c,
            'checkpoint write <= 1.0x delta-rs',
            c.ratioVsDeltaRs <= 1.0,
            profiled('checkpointWrite', { ...params, table: tsCopy }),
          )
        return c
      } finally {
        for (const d of [tsCopy, rsCopy, rawCopy]) await rm(d, { recursive: true, force: true })
      }
    })
    // Refresh: each side works on its own copy (the runs append commits). The large case uses the JSON-only
    // million-action table, which loads even where the million-action checkpoint does not.
    const refreshCases: { name: string; template: string; newCommits: number }[] = [
      { name: `refresh: +10 commits on the ${s.logCommits}-commit log`, template: log, newCommits: 10 },
      { name: `refresh: +100 commits on the ${s.logCommits}-commit log`, template: log, newCommits: 100 },
      { name: `refresh: +10 commits on the ${s.ckptLarge}-action table`, template: largeJson, newCommits: 10 },
    ]
    const refresh: (CaseResult | null)[] = []
    for (const rc of refreshCases) {
      const tsCopy = path.join(ctx.work, 'refresh-ts')
      const rsCopy = path.join(ctx.work, 'refresh-rs')
      const pending = path.join(ctx.work, 'refresh-pending')
      for (const d of [tsCopy, rsCopy, pending]) await rm(d, { recursive: true, force: true })
      const c = await attempt(cases, rc.name, async () => {
        await cp(rc.template, tsCopy, { recursive: true })
        const ts = side(await runNodeCase('refresh', { table: tsCopy, reps: ctx.reps, newCommits: rc.newCommits }))
        let rs: Side | null = null
        if (pythonAvailable()) {
          await cp(rc.template, rsCopy, { recursive: true })
          // The same commit files the Node side wrote (warm-up + runs), staged for Python to move in run by run.
          const v0 =
            (await readdir(path.join(rc.template, '_delta_log'))).filter((f) => /^\d{20}\.json$/.test(f)).length - 1
          await writeSyntheticLog(pending, {
            from: v0 + 1,
            to: v0 + (ctx.reps + 1) * rc.newCommits,
            addsPerCommit: 1,
            days: 30,
            tag: 'refresh',
          })
          rs = await py(
            {
              op: 'refresh',
              table: rsCopy,
              pending: path.join(pending, '_delta_log'),
              reps: ctx.reps,
              newCommits: rc.newCommits,
            },
            notes,
          )
        }
        const c = caseResult(rc.name, ts, rs)
        c.notes.push(`full load of the same version in the same process: ${round(Number(ts.extra.fullLoadMs))} ms`)
        return c
      })
      refresh.push(c)
      for (const d of [tsCopy, rsCopy, pending]) await rm(d, { recursive: true, force: true })
    }
    // Proportional to the new commits: +10 costs a small fraction of a full load, +100 about 10x +10 at most,
    // and +10 on a 100x larger table costs about the same.
    const [r10, r100, r10large] = refresh
    if (r10?.deltaTs && r100?.deltaTs && r10large?.deltaTs) {
      const base = r10.deltaTs.medianMs
      const fullFrac = base / Number(r10.deltaTs.extra.fullLoadMs)
      const growth = r100.deltaTs.medianMs / base
      const sizeFactor = r10large.deltaTs.medianMs / base
      r10.notes.push(
        `refresh/full = ${round(fullFrac)}; +100/+10 = ${round(growth)}; large-table/+10 = ${round(sizeFactor)}`,
      )
      await judge(
        r10,
        'refresh cost proportional to new commits only: +10 <= 10% of a full load, +100 <= 15x +10, same +10 on the largest table <= 3x',
        fullFrac <= 0.1 && growth <= 15 && sizeFactor <= 3,
        async () => undefined,
      )
      if (!r10.target?.met) {
        const tsCopy = path.join(ctx.work, 'refresh-prof')
        await rm(tsCopy, { recursive: true, force: true })
        await cp(largeJson, tsCopy, { recursive: true })
        // Profiled on the largest table: where a refresh spends time that grows with the table, not the commits.
        r10.profile =
          (await runNodeCase('refresh', { table: tsCopy, reps: 1, newCommits: 10 }, { profile: true })).profile ?? null
        r10.notes.push(`profile below: one +10 refresh on the ${s.ckptLarge}-action table`)
        await rm(tsCopy, { recursive: true, force: true })
      }
    } else {
      notes.push('refresh target not judged: a refresh case failed (see its error)')
    }
    return { params: { ...s, reps: ctx.reps }, cases, notes }
  },
}

/** Milliseconds as the report tables print them (2 decimals below 10 ms, whole ms above). */
const msText = (ms: number) => `${ms.toFixed(ms < 10 ? 2 : 0)} ms`

const pruningBench: Benchmark = {
  name: 'pruning',
  title: 'Partition pruning and stats skipping over file actions',
  async run(ctx) {
    const s = sizes(ctx)
    const notes: string[] = []
    // The same million actions twice: from JSON commits only (stats as JSON text) and from a checkpoint written
    // by delta-ts (stats also typed in `stats_parsed`, as Spark and delta-rs write them by default).
    const sources = [
      { label: '', table: await jsonTable(path.join(ctx.work, `json-${s.ckptLarge}`), s.ckptLarge, s.perCommit) },
      {
        label: ', from a checkpoint',
        table: await checkpointTable(checkpointDir(ctx.work, s.ckptLarge), s.ckptLarge, s.perCommit),
      },
    ]
    const lo = Math.floor(s.ckptLarge / 2) * 1000
    const filters: { name: string; filter: string; partitionFilters?: [string, string, string][] }[] = [
      {
        name: 'partition: date = one day',
        filter: `date = '${dayString(5)}'`,
        partitionFilters: [['date', '=', dayString(5)]],
      },
      { name: 'stats: id in a 5-file range', filter: `id >= ${lo} AND id < ${lo + 5000}` },
      { name: 'partition + stats', filter: `date = '${dayString(0)}' AND id < ${1000 * 1000 * 10}` },
    ]
    const cases: CaseResult[] = []
    // Two rows per filter: the first query on a freshly loaded snapshot (builds the cached typed min/max and
    // partition columns from the stats JSON: what a one-off query pays) and the query repeated on one snapshot
    // (the cached columns). The targets apply to the first query; the repeated row's notes compare the two.
    const modes = [
      {
        mode: 'first',
        label: 'first query',
        timed: 'the first Snapshot.files({filter}) on a freshly loaded snapshot (load untimed, new snapshot per run)',
      },
      {
        mode: 'repeat',
        label: 'repeated query',
        timed: 'Snapshot.files({filter}) repeated on one loaded snapshot, after one untimed query (cached columns)',
      },
    ] as const
    for (const { label, table } of sources)
      for (const f of filters) {
        let firstCase: CaseResult | null = null
        for (const m of modes) {
          const name = `${f.name} (${s.ckptLarge} files${label}), ${m.label}`
          await attempt(cases, name, async () => {
            const params = { table, reps: ctx.reps, filter: f.filter, mode: m.mode }
            const ts = side(await runNodeCase('prune', params))
            const rs = f.partitionFilters
              ? await py(
                  { op: 'prune', table, reps: ctx.reps, partitionFilters: f.partitionFilters, mode: m.mode },
                  notes,
                )
              : null
            const c = caseResult(name, ts, rs)
            c.notes.push(`kept ${String(ts.extra.kept)} of ${String(ts.extra.total)} files; timed: ${m.timed}`)
            if (!f.partitionFilters) c.notes.push('delta-rs: no file-level stats pruning in the Python API (n/a)')
            if (m.mode === 'first') {
              firstCase = c
              if (f.partitionFilters && !f.filter.includes(' AND ') && c.ratioVsDeltaRs !== null)
                await judge(
                  c,
                  'partition pruning <= 1.0x delta-rs (first query on a fresh snapshot)',
                  c.ratioVsDeltaRs <= 1.0,
                  profiled('prune', params),
                )
              if (!f.partitionFilters)
                await judge(
                  c,
                  'stats skipping <= 0.1 s (first query on a fresh snapshot)',
                  ts.medianMs <= 100,
                  profiled('prune', params),
                )
            } else {
              const fc = firstCase as CaseResult | null
              const firstMs = fc?.deltaTs?.medianMs
              fc?.notes.push(
                `the same query repeated on one loaded snapshot (cached columns): ${msText(ts.medianMs)} median (row "${name}")`,
              )
              c.notes.push(
                firstMs !== undefined
                  ? `repeated ${msText(ts.medianMs)} vs first query ${msText(firstMs)} on a fresh snapshot (first/repeated = ${(firstMs / Math.max(ts.medianMs, 0.01)).toFixed(1)}x); targets are judged on the first query`
                  : 'targets are judged on the first query (its row failed)',
              )
            }
            return c
          })
        }
      }
    return { params: { fileActions: s.ckptLarge, reps: ctx.reps }, cases, notes }
  },
}

const clusteringBench: Benchmark = {
  name: 'clustering',
  title: 'Liquid clustering and Z-order: fraction of files a predicate reads before and after OPTIMIZE',
  async run(ctx) {
    const rows = ctx.quick ? 100_000 : 1_000_000
    const files = 100
    const notes: string[] = []
    const predicates = [
      'x = 500000',
      'x >= 250000 and x < 260000',
      'y = 500000',
      'x >= 250000 and x < 300000 and y >= 250000 and y < 300000',
    ]
    const cases: CaseResult[] = []
    // Spark reads the same tables afterwards, in one session for every layout, version and predicate.
    const layouts: { case: CaseResult; dir: string; before: number; after: number }[] = []
    for (const layout of ['liquid', 'zorder'] as const) {
      const name = `${layout === 'liquid' ? 'liquid clustering by x' : 'Z-order by (x, y)'}: ${rows} rows, ${files} files`
      const dir = path.join(ctx.work, `cluster-${layout}-${rows}`)
      await attempt(cases, name, async () => {
        const ts = side(await runNodeCase('cluster', { dir, rows, files, layout, predicates }))
        const c = caseResult(name, ts, null)
        layouts.push({ case: c, dir, before: ts.extra.versionBefore as number, after: ts.extra.versionAfter as number })
        return c
      })
    }
    let spark: { versions: { read: number[] }[] }[] | null = null
    let sparkNote =
      'Spark n/a: .venv pyspark or the Delta jars in .cache/ivy missing (run the interop Spark tests once)'
    if (sparkAvailable() && layouts.length > 0) {
      try {
        const r = await runSparkCase({
          op: 'pruning',
          predicates,
          tables: layouts.map((l) => ({ path: l.dir, versions: [l.before, l.after] })),
        })
        spark = r.extra.tables as { versions: { read: number[] }[] }[]
        sparkNote =
          "Spark: numFiles of the executed plan's FileSourceScanExec (files left after Delta data skipping) for SELECT sum(payload) WHERE predicate, on the versions before and after OPTIMIZE (time travel); the unfiltered query is checked to read every file"
      } catch (e) {
        // The tail: the Python exception closes stderr, the JVM's start-up chatter opens it.
        sparkNote = `Spark n/a: ${(e instanceof Error ? e.message : String(e)).trim().slice(-400)}`
      }
    }
    const pct = (f: number | undefined) => (f === undefined ? 'n/a' : `${(f * 100).toFixed(1)}%`)
    layouts.forEach((l, k) => {
      const ts = l.case.deltaTs
      const before = ts?.extra.before as number[]
      const after = ts?.extra.after as number[]
      const sp = spark?.[k]?.versions
      predicates.forEach((p, i) => {
        l.case.notes.push(
          `${p}: delta-ts reads ${pct(before[i])} of files before, ${pct(after[i])} after; Spark ${pct(sp?.[0]?.read[i])} before, ${pct(sp?.[1]?.read[i])} after`,
        )
      })
      l.case.notes.push(
        `timed: one OPTIMIZE rewriting ${String(ts?.extra.removed)} files into ${String(ts?.extra.filesAfter)}`,
      )
    })
    notes.push(
      'x, y uniform random integers in [0, 1e6); 100 appends of equal size; OPTIMIZE targetSizeBytes = table size / 100; delta-ts fractions from Snapshot.files({filter}) (min/max stats pruning)',
      sparkNote,
    )
    return { params: { rows, files, reps: 1 }, cases, notes }
  },
}

const scanBench: Benchmark = {
  name: 'scan',
  title: 'Scan to Arrow',
  async run(ctx) {
    const s = sizes(ctx)
    const notes: string[] = []
    const input = await inputParquet(path.join(ctx.work, `rows-${s.rows}.parquet`), { rows: s.rows, seed: 1 })
    const dir = path.join(ctx.work, `scan-${s.rows}`)
    const made = await runNodeCase('makeTable', { ...input, dir })
    const files = made.extra.files as string[]
    const cases: CaseResult[] = []
    // Targets of issue 19: the full scan <= 1.5x delta-rs, two of six columns <= 2x, peak RSS <= 1.5x. Where
    // parquet-wasm's own decode of the same files already misses the time target, a note says so (the limit of
    // this design, not of delta-ts's code).
    const fullMs: number[] = []
    for (const [name, columns, maxRatio] of [
      [`full: ${s.rows} rows x 6 columns`, undefined, 1.5],
      [`projected: ${s.rows} rows x 2 columns (id, amount)`, ['id', 'amount'], 2.0],
    ] as [string, string[] | undefined, number][]) {
      const params = { table: dir, reps: ctx.reps, columns }
      const ts = side(await runNodeCase('scan', params))
      const tsSingle = side(await runNodeCase('scan', { ...params, concurrency: 1 }))
      const raw = side(await runNodeCase('rawReadPool', { files, reps: ctx.reps, columns }))
      const rawSingle = side(await runNodeCase('rawReadSingle', { files, reps: ctx.reps, columns }))
      const rs = await py({ op: 'scan', table: dir, reps: ctx.reps, columns: columns ?? null }, notes)
      const c = caseResult(name, ts, rs, raw)
      c.throughput = { value: Math.round(s.rows / (ts.medianMs / 1000)), unit: 'rows/s' }
      const rssOk = rs === null || ts.peakRssMb <= 1.5 * rs.peakRssMb
      await judge(
        c,
        `scan <= ${maxRatio.toFixed(1)}x delta-rs, peak RSS <= 1.5x (issue 19)`,
        c.ratioVsDeltaRs !== null && c.ratioVsDeltaRs <= maxRatio && rssOk,
        profiled('scan', params),
      )
      if (rs) {
        const rawVsRs = raw.medianMs / rs.medianMs
        c.notes.push(
          `parquet-wasm's decode alone (pool) is ${rawVsRs.toFixed(2)}x delta-rs's whole scan` +
            (rawVsRs > maxRatio
              ? `: the ${maxRatio.toFixed(1)}x target is out of reach of a parquet-wasm decoder`
              : ''),
        )
      }
      if (columns === undefined) fullMs.push(ts.medianMs)
      else if (fullMs.length > 0)
        c.notes.push(`2 of 6 columns cost ${((100 * ts.medianMs) / fullMs[0]).toFixed(0)}% of the full scan`)
      cases.push(c)
      // The single-threaded path against the single-threaded raw decode.
      const c1 = caseResult(`${name}, concurrency 1`, tsSingle, rs, rawSingle)
      c1.notes.push('delta-ts scan({ concurrency: 1 }) vs parquet-wasm decoding in the calling thread')
      cases.push(c1)
    }
    notes.push(
      `table: ${files.length} data file(s) written by delta-ts (zstd); raw baselines decode the same files with parquet-wasm ParquetFile.stream (projected): on one worker per core with the columns split as delta-ts splits them, and in the calling thread (the concurrency 1 rows)`,
    )
    return { params: { rows: s.rows, columns: 6, reps: ctx.reps }, cases, notes }
  },
}

const appendBench: Benchmark = {
  name: 'append',
  title: 'Append (write) to a new table',
  async run(ctx) {
    const s = sizes(ctx)
    const notes: string[] = []
    const input = await inputParquet(path.join(ctx.work, `rows-${s.rows}.parquet`), { rows: s.rows, seed: 1 })
    const cases: CaseResult[] = []
    const raw = side(
      await runNodeCase('rawWrite', { ...input, dir: path.join(ctx.work, 'append-raw'), reps: ctx.reps }),
    )
    const rawPool = side(
      await runNodeCase('rawWritePool', { ...input, dir: path.join(ctx.work, 'append-raw-pool'), reps: ctx.reps }),
    )
    for (const partitioned of [false, true]) {
      const dir = path.join(ctx.work, partitioned ? 'append-ts-part' : 'append-ts')
      const params = { ...input, dir, reps: ctx.reps, partitioned }
      const ts = side(await runNodeCase('append', params))
      const rs = await py(
        { op: 'append', input: input.input, dir: path.join(ctx.work, 'append-rs'), reps: ctx.reps, partitioned },
        notes,
      )
      const c = caseResult(
        `${s.rows} rows, ${partitioned ? 'partitioned by date (30 days)' : 'unpartitioned'}`,
        ts,
        rs,
        raw,
      )
      c.throughput = { value: Math.round(s.rows / (ts.medianMs / 1000)), unit: 'rows/s' }
      c.notes.push(`delta-ts wrote ${String(ts.extra.files)} file(s)`)
      c.notes.push(
        `raw parquet-wasm on ${String(rawPool.extra.workers)} worker(s), input cut into that many files: ${rawPool.medianMs.toFixed(0)} ms (${(ts.medianMs / rawPool.medianMs).toFixed(2)}x), peak RSS ${rawPool.peakRssMb.toFixed(0)} MB`,
      )
      const rssOk = rs === null || ts.peakRssMb <= 1.5 * rs.peakRssMb
      const met = (c.ratioVsDeltaRs === null || c.ratioVsDeltaRs <= 1) && rssOk
      await judge(
        c,
        'append <= 1.0x delta-rs write_deltalake, peak RSS <= 1.5x (issue 19)',
        met,
        profiled('append', params),
      )
      cases.push(c)
      await rm(dir, { recursive: true, force: true })
    }
    await rm(path.join(ctx.work, 'append-rs'), { recursive: true, force: true })
    await rm(path.join(ctx.work, 'append-raw-pool'), { recursive: true, force: true })
    notes.push(
      'all sides write zstd; raw baseline = parquet-wasm encode of the whole input into one file with delta-ts writer properties, single-threaded (no split, no stats JSON, no commit); the pool baseline in each case note encodes one slice per core on worker threads',
      INPUT_NOTE,
    )
    return { params: { rows: s.rows, reps: ctx.reps }, cases, notes }
  },
}

const MiB = 1024 * 1024

/** delta-ts's writer settings (parquet/write.ts `encodeProperties`, data-writer.ts's dictionary rule). */
const DELTA_TS_SETTINGS: Omit<SettingsVariant, 'name'> = {
  codec: 'ZSTD',
  writerVersion: 2,
  maxRowGroupRows: 1 << 20,
  dictionary: 'auto',
}

/** delta-ts's settings, then one setting changed per variant. */
const SETTINGS_VARIANTS: SettingsVariant[] = [
  {
    name: 'delta-ts settings: zstd (level 1), dictionary auto, v2, 1 MiB pages, 1 Mi-row groups',
    ...DELTA_TS_SETTINGS,
  },
  { name: 'codec snappy', ...DELTA_TS_SETTINGS, codec: 'SNAPPY' },
  { name: 'codec uncompressed', ...DELTA_TS_SETTINGS, codec: 'UNCOMPRESSED' },
  { name: 'dictionary on for every column', ...DELTA_TS_SETTINGS, dictionary: 'on' },
  { name: 'dictionary off', ...DELTA_TS_SETTINGS, dictionary: 'off' },
  { name: 'writer version 1 (data page v1)', ...DELTA_TS_SETTINGS, writerVersion: 1 },
  { name: 'data pages 64 KiB', ...DELTA_TS_SETTINGS, dataPageBytes: 64 * 1024 },
  { name: 'row groups of 128 Ki rows', ...DELTA_TS_SETTINGS, maxRowGroupRows: 128 * 1024 },
]

const settingsBench: Benchmark = {
  name: 'settings',
  title: 'Parquet writer settings: what each costs (parquet-wasm encode) against delta-rs defaults',
  async run(ctx) {
    const s = sizes(ctx)
    const notes: string[] = []
    const input = await inputParquet(path.join(ctx.work, `rows-${s.rows}.parquet`), { rows: s.rows, seed: 1 })
    // One timed encode per variant, whatever --reps says: sizes are exact, and every rep is a full-size encode
    // per variant, which would make this benchmark the slowest of a plain `pnpm bench`.
    const reps = 1
    const r = await runNodeCase('settingsEncode', { ...input, variants: SETTINGS_VARIANTS, reps })
    const results = r.extra.variants as { name: string; runsMs: number[]; bytes: number }[]
    const asSide = (v: { runsMs: number[]; bytes: number }): Side => ({
      medianMs: round(median(v.runsMs)),
      runsMs: v.runsMs.map((x) => round(x)),
      peakRssMb: r.peakRssMb,
      extra: { bytes: v.bytes },
    })
    const base = asSide(results[0])
    const mib = (b: number) => `${(b / MiB).toFixed(2)} MiB`
    const cases: CaseResult[] = results.map((v, i) => {
      const c = caseResult(v.name, asSide(v), null, i === 0 ? null : base)
      c.notes.push(
        `file ${mib(v.bytes)}${i === 0 ? '' : ` (${(v.bytes / results[0].bytes).toFixed(3)}x delta-ts settings)`}`,
      )
      return c
    })
    // delta-rs write_deltalake: its defaults, zstd (its level default), zstd level 3. Compared with the encode
    // under delta-ts's settings: delta-rs's time also holds its Delta commit, which is small at this size.
    const rsCases: { name: string; params: Record<string, unknown> }[] = [
      { name: 'delta-rs write_deltalake, default WriterProperties', params: {} },
      { name: 'delta-rs write_deltalake, compression ZSTD', params: { compression: 'ZSTD' } },
      { name: 'delta-rs write_deltalake, compression ZSTD level 3', params: { compression: 'ZSTD', level: 3 } },
    ]
    for (const rc of rsCases) {
      await attempt(cases, rc.name, async () => {
        const rs = await py(
          { op: 'settings_write', input: input.input, dir: path.join(ctx.work, 'settings-rs'), reps, ...rc.params },
          notes,
        )
        const c = caseResult(rc.name, base, rs)
        if (rs) {
          const m = rs.extra as Record<string, unknown>
          c.notes.push(
            `delta-rs wrote ${String(m.files)} file(s), ${mib(Number(m.bytes))} (delta-ts settings: ${mib(results[0].bytes)}); footer of its first file: codecs ${JSON.stringify(m.codecs)}, format version ${String(m.formatVersion)}, ${String(m.rowGroups)} row group(s) of ${JSON.stringify(m.rowGroupRows)} rows, dictionary pages on ${JSON.stringify(m.dictionaryColumns)}, chunk statistics ${String(m.statistics)}, created by ${String(m.createdBy)}`,
          )
          c.notes.push(`delta-rs encodings per column: ${JSON.stringify(m.encodings)}`)
        }
        return c
      })
    }
    notes.push(
      'delta-ts rows: raw parquet-wasm encode (writeParquet, one thread, one file) of the append benchmark input; median = encode time; parquet-wasm column = the same encode under delta-ts settings, ts / raw = this variant / delta-ts settings; file sizes in the case notes',
      'delta-ts rows on delta-rs lines: the encode under delta-ts settings; delta-rs time = write_deltalake (encode + write + commit)',
      `dictionary auto = delta-ts's rule (mostlyUniqueColumns, sampled): off for ${JSON.stringify(r.extra.noDictionaryColumns)}`,
      'zstd level 3 on the delta-ts side: not measurable, parquet-wasm 0.8 takes a codec without a level (Compression enum) and writes level 1',
      'data page size: the footer does not record it and pyarrow does not expose the page index; delta-rs passes no data_page_size_limit, i.e. parquet-rs 1 MiB',
      `one run per variant (reps ${reps}); peak RSS = the one encode process for every delta-ts row`,
      INPUT_NOTE,
    )
    await rm(path.join(ctx.work, 'settings-rs'), { recursive: true, force: true })
    return { params: { rows: s.rows, reps, variants: SETTINGS_VARIANTS }, cases, notes }
  },
}

const commitsBench: Benchmark = {
  name: 'commits',
  title: 'Concurrent commits (OS processes appending one row per commit)',
  async run(ctx) {
    const s = sizes(ctx)
    const notes: string[] = []
    const cases: CaseResult[] = []
    const schema = new arrow.Schema([
      new arrow.Field('writer', new arrow.Int32(), true),
      new arrow.Field('seq', new arrow.Int32(), true),
    ])
    // moto, started through delta-ts's test helper (loopback only), stopped in `finally`.
    // Imported by computed URL: the helper sits in delta-ts's test folder (its vitest type augmentation is not
    // resolvable from this package), and the bench runs under tsx, which loads .ts at runtime.
    const helper = pathToFileURL(path.join(repoRoot, 'packages', 'delta-ts', 'test', 's3-server.ts')).href
    const { startMoto, testCredentials } = (await import(helper)) as S3Helper
    let moto: { endpoint: string; stop(): Promise<void> } | undefined
    try {
      try {
        moto = await startMoto()
      } catch (err) {
        notes.push(
          `S3 cases not run: moto did not start (${err instanceof Error ? err.message.slice(0, 200) : String(err)})`,
        )
      }
      const targets: { kind: string; uri: (n: number) => Promise<string>; s3?: Record<string, unknown> }[] = [
        {
          kind: 'local disk',
          uri: async (n) => {
            const d = path.join(ctx.work, `commits-local-${n}`)
            await rm(d, { recursive: true, force: true })
            return d
          },
        },
      ]
      if (moto) {
        const endpoint = moto.endpoint
        const s3 = { endpoint, forcePathStyle: true, region: 'us-east-1', credentials: testCredentials }
        targets.push({
          kind: 'S3 (moto)',
          s3,
          uri: async (n) => {
            const bucket = `bench-commits-${n}-${Date.now()}`
            const res = await fetch(`${endpoint}/${bucket}`, { method: 'PUT' })
            if (!res.ok) throw new Error(`create bucket ${bucket}: HTTP ${res.status}`)
            return `s3://${bucket}/table`
          },
        })
      }
      for (const t of targets) {
        for (const writers of [1, 2, 4, 8]) {
          const uri = await t.uri(writers)
          const storageOptions = t.s3 ? { s3: t.s3 } : undefined
          await DeltaTable.create(uri, { schema, storageOptions })
          // Writers start together at a shared wall-clock instant, after every process has loaded.
          const startAt = Date.now() + 5000 + writers * 500
          const reports = await Promise.all(
            Array.from({ length: writers }, (_, w) =>
              runNodeCase('commitWriter', { uri, s3: t.s3, commits: s.commitsPerWriter, startAt, writerId: w }),
            ),
          )
          const latencies = reports.flatMap((r) => r.runsMs)
          const wall =
            Math.max(...reports.map((r) => Number(r.extra.end))) -
            Math.min(...reports.map((r) => Number(r.extra.start)))
          const retries = reports.reduce((a, r) => a + Number(r.extra.retries), 0)
          const total = writers * s.commitsPerWriter
          const version = await (await DeltaTable.open(uri, { storageOptions })).version()
          const ts: Side = {
            medianMs: round(median(latencies)),
            runsMs: latencies.map((x) => round(x)),
            peakRssMb: Math.max(...reports.map((r) => r.peakRssMb)),
            extra: { writers, commits: total, retries, wallMs: wall, finalVersion: version },
          }
          // delta-rs on local disk: the same writers with write_deltalake (its retries are internal, not counted;
          // max_commit_retries raised from 15 to 1000 like delta-ts's maxRetries, else 8 writers fail).
          let rs: Side | null = null
          let rsRate: number | null = null
          if (!t.s3 && pythonAvailable()) {
            const rsUri = await t.uri(writers)
            await DeltaTable.create(rsUri, { schema })
            const rsStart = Date.now() + 3000 + writers * 300
            const rsReports = await Promise.all(
              Array.from({ length: writers }, (_, w) =>
                runPythonCase({
                  op: 'commit_writer',
                  uri: rsUri,
                  commits: s.commitsPerWriter,
                  startAt: rsStart,
                  writerId: w,
                }),
              ),
            )
            const rsLat = rsReports.flatMap((r) => r.runsMs)
            const rsWall =
              Math.max(...rsReports.map((r) => Number(r.extra.end))) -
              Math.min(...rsReports.map((r) => Number(r.extra.start)))
            const rsVersion = await (await DeltaTable.open(rsUri)).version()
            rsRate = round(total / (rsWall / 1000), 1)
            rs = {
              medianMs: round(median(rsLat)),
              runsMs: rsLat.map((x) => round(x)),
              peakRssMb: Math.max(...rsReports.map((r) => r.peakRssMb)),
              extra: { commits: total, wallMs: rsWall, finalVersion: rsVersion, commitsPerSecond: rsRate },
            }
            await rm(rsUri, { recursive: true, force: true })
          }
          const c = caseResult(`${t.kind}: ${writers} writer(s) x ${s.commitsPerWriter} commits`, ts, rs)
          c.throughput = { value: round(total / (wall / 1000), 1), unit: 'commits/s' }
          if (rs && rsRate !== null) {
            // For concurrent commits the meaningful time is the wall time of all commits (it includes backoff).
            c.ratioVsDeltaRs = round(wall / Number(rs.extra.wallMs))
            c.notes.push(
              `delta-rs write_deltalake: ${rsRate} commits/s; ts / rs = wall-time ratio for the same commits`,
            )
          }
          c.notes.push(
            `retries: ${retries}; final version ${version} (expected ${total}); median = per-commit latency incl. retries`,
          )
          if (version !== total) c.notes.push('VERSION MISMATCH: commits lost or duplicated')
          cases.push(c)
          if (!t.s3) await rm(uri, { recursive: true, force: true })
        }
      }
    } finally {
      await moto?.stop()
    }
    notes.push(
      'delta-rs compared on local disk only (its S3 commits need a locking or conditional-put setup of its own); peak RSS = largest writer process',
    )
    return { params: { commitsPerWriter: s.commitsPerWriter, writers: [1, 2, 4, 8] }, cases, notes }
  },
}

const mergeBench: Benchmark = {
  name: 'merge',
  title: 'MERGE into a partitioned table',
  async run(ctx) {
    const s = sizes(ctx)
    const notes: string[] = []
    const target = await inputParquet(path.join(ctx.work, `merge-target-${s.mergeTarget}.parquet`), {
      rows: s.mergeTarget,
      seed: 2,
    })
    // 10% of the source ids hit existing target rows (evenly spread), 90% are new ids.
    const source = await inputParquet(path.join(ctx.work, `merge-source-${s.mergeSource}.parquet`), {
      rows: s.mergeSource,
      seed: 3,
      mergeTargetRows: s.mergeTarget,
    })
    const template = path.join(ctx.work, `merge-template-${s.mergeTarget}`)
    if (!existsSync(path.join(template, '_delta_log')))
      await runNodeCase('makeTable', { ...target, dir: template, partitioned: true })
    const dvTemplate = path.join(ctx.work, `merge-template-dv-${s.mergeTarget}`)
    if (!existsSync(path.join(dvTemplate, '_delta_log')))
      await runNodeCase('makeTable', { ...target, dir: dvTemplate, partitioned: true, deletionVectors: true })
    const params = {
      template,
      dir: path.join(ctx.work, 'merge-ts'),
      source: source.input,
      sourceGen: source.gen,
      reps: ctx.reps,
    }
    const dvParams = { ...params, template: dvTemplate }
    const ts = side(await runNodeCase('merge', params))
    const tsDv = side(await runNodeCase('merge', dvParams))
    const raw = side(await runNodeCase('rawRewrite', rawRewriteParams(template, ctx)))
    const rs = await py(
      { op: 'merge', template, dir: path.join(ctx.work, 'merge-rs'), source: source.input, reps: ctx.reps },
      notes,
    )
    const c = caseResult(
      `${s.mergeSource} source rows into ${s.mergeTarget} rows (30 date partitions), 10% matching`,
      ts,
      rs,
      raw,
    )
    c.throughput = { value: Math.round(s.mergeSource / (ts.medianMs / 1000)), unit: 'source rows/s' }
    c.notes.push(`delta-ts metrics: ${JSON.stringify(ts.extra.metrics)}`)
    // Issue 20: copy-on-write <= 1.0x delta-rs, with DVs <= 0.3x; the peak RSS of either <= delta-rs's.
    const rssAtMostRs = (x: Side) => rs === null || x.peakRssMb <= rs.peakRssMb
    if (c.ratioVsDeltaRs !== null)
      await judge(
        c,
        'copy-on-write MERGE <= 1.0x delta-rs merge, peak RSS <= delta-rs (issue 20)',
        c.ratioVsDeltaRs <= 1 && rssAtMostRs(ts),
        profiled('merge', params),
      )
    // delta-rs cannot write deletion vectors: its side is the copy-on-write merge into the plain table.
    const cDv = caseResult(
      `${s.mergeSource} source rows into ${s.mergeTarget} rows (30 date partitions), 10% matching: deletion vectors`,
      tsDv,
      rs,
      ts,
    )
    cDv.throughput = { value: Math.round(s.mergeSource / (tsDv.medianMs / 1000)), unit: 'source rows/s' }
    cDv.notes.push(`delta-ts metrics: ${JSON.stringify(tsDv.extra.metrics)}`)
    if (cDv.ratioVsDeltaRs !== null)
      await judge(
        cDv,
        'MERGE with deletion vectors <= 0.3x delta-rs merge, peak RSS <= delta-rs (issue 20)',
        cDv.ratioVsDeltaRs <= 0.3 && rssAtMostRs(tsDv),
        profiled('merge', dvParams),
      )
    for (const d of ['merge-ts', 'merge-rs']) await rm(path.join(ctx.work, d), { recursive: true, force: true })
    notes.push(
      'target tables written by delta-ts (zstd), one with delta.enableDeletionVectors; each run merges into a fresh copy; whenMatchedUpdateAll + whenNotMatchedInsertAll; baseline of the DV case = delta-ts copy-on-write',
      INPUT_NOTE,
      RAW_REWRITE_NOTE,
    )
    return {
      params: { targetRows: s.mergeTarget, sourceRows: s.mergeSource, reps: ctx.reps },
      cases: [c, cDv],
      notes,
    }
  },
}

const deleteBench: Benchmark = {
  name: 'delete',
  title: 'DELETE and UPDATE of 1% of the rows, spread over every file',
  async run(ctx) {
    const s = sizes(ctx)
    const notes: string[] = []
    const rows = s.mergeTarget
    const input = await inputParquet(path.join(ctx.work, `merge-target-${rows}.parquet`), { rows, seed: 2 })
    const cow = path.join(ctx.work, `delete-template-cow-${rows}`)
    const dv = path.join(ctx.work, `delete-template-dv-${rows}`)
    if (!existsSync(path.join(cow, '_delta_log')))
      await runNodeCase('makeTable', { ...input, dir: cow, partitioned: true })
    if (!existsSync(path.join(dv, '_delta_log')))
      await runNodeCase('makeTable', { ...input, dir: dv, partitioned: true, deletionVectors: true })
    const predicate = 'id % 100 = 0'
    const cases: CaseResult[] = []
    // The floor of a copy-on-write rewrite through parquet-wasm (decode + encode of every file, no filter).
    const raw = side(await runNodeCase('rawRewrite', rawRewriteParams(cow, ctx)))
    // Targets of issue 20, the same for DELETE and UPDATE: with deletion vectors <= 0.2x delta-rs, copy-on-write
    // <= 1.0x. delta-rs cannot write deletion vectors (nor tables with the feature): it rewrites, on the plain
    // table, and is the reference of both rows.
    for (const op of ['delete', 'update'] as const) {
      const opName = op.toUpperCase()
      const dir = path.join(ctx.work, `${op}-ts`)
      const tsDv = side(await runNodeCase(op, { template: dv, dir, predicate, reps: ctx.reps }))
      const tsCow = side(await runNodeCase(op, { template: cow, dir, predicate, reps: ctx.reps }))
      const rs = await py({ op, template: cow, dir: path.join(ctx.work, `${op}-rs`), predicate, reps: ctx.reps }, notes)
      const label = `${opName} ${rows} rows (30 date partitions), ${predicate}`
      const cDv = caseResult(`${label}: deletion vectors`, tsDv, rs, tsCow)
      const cCow = caseResult(`${label}: copy-on-write`, tsCow, rs, raw)
      for (const c of [cDv, cCow]) c.notes.push(`delta-ts metrics: ${JSON.stringify(c.deltaTs?.extra.metrics)}`)
      if (cDv.ratioVsDeltaRs !== null)
        await judge(
          cDv,
          `${opName} with deletion vectors <= 0.2x delta-rs (issue 20)`,
          cDv.ratioVsDeltaRs <= 0.2,
          profiled(op, { template: dv, dir, predicate }),
        )
      if (cCow.ratioVsDeltaRs !== null)
        await judge(
          cCow,
          `copy-on-write ${opName} <= 1.0x delta-rs (issue 20)`,
          cCow.ratioVsDeltaRs <= 1,
          profiled(op, { template: cow, dir, predicate }),
        )
      cases.push(cDv, cCow)
      for (const d of [`${op}-ts`, `${op}-rs`]) await rm(path.join(ctx.work, d), { recursive: true, force: true })
    }
    notes.push(
      'tables written by delta-ts (zstd), one with delta.enableDeletionVectors; each run changes a fresh copy; baseline of the DV cases = delta-ts copy-on-write',
      'UPDATE sets amount = amount * 2 on the matching rows, on both sides',
      'the delete and update children load no input rows: they copy the template table (untimed) and change it',
      RAW_REWRITE_NOTE,
    )
    return { params: { rows, predicate, reps: ctx.reps }, cases, notes }
  },
}

const etlBench: Benchmark = {
  name: 'etl',
  title: 'ecommerce-etl pipeline end to end',
  async run(ctx) {
    const s = sizes(ctx)
    const reps = Math.min(ctx.reps, ctx.quick ? ctx.reps : 2)
    /** A generated input (cached), xlsx or csv; `idOffset` gives keys disjoint from the others. */
    const input = async (format: 'xlsx' | 'csv', idOffset = 0) => {
      const dir = path.join(ctx.work, `etl-input-${format}-${s.orders}${idOffset ? `-${idOffset}` : ''}`)
      if (!existsSync(path.join(dir, 'expected.json')))
        await writeGeneratedData(dir, {
          seed: 11 + idOffset,
          orders: s.orders,
          products: 500,
          maxItemsPerOrder: 5,
          format,
          idOffset,
        })
      const expected = JSON.parse(await readFile(path.join(dir, 'expected.json'), 'utf8')) as Record<
        string,
        { input: number }
      >
      return { dir, items: expected.order_items?.input ?? 0 }
    }
    const warehouse = path.join(ctx.work, 'etl-warehouse')
    const cases: CaseResult[] = []
    const stagesNote = (c: CaseResult, ts: Side) => {
      const e = ts.extra as { steps?: Record<string, number>; jobStages?: Record<string, unknown> }
      c.notes.push(`steps (ms, last run): ${JSON.stringify(e.steps)}`)
      c.notes.push(`job stages (ms, last run): ${JSON.stringify(e.jobStages)}`)
    }
    const measure = async (name: string, format: 'xlsx' | 'csv', minRowsPerS: number, template?: string) => {
      const { dir, items } = await input(format)
      const params = { input: dir, warehouse, reps, ...(template ? { template } : {}) }
      const ts = side(await runNodeCase('etl', params))
      const c = caseResult(name.replace('%d', String(items)), ts, null)
      const rate = Math.round(items / (ts.medianMs / 1000))
      c.throughput = { value: rate, unit: 'order_items rows/s' }
      stagesNote(c, ts)
      await judge(
        c,
        `${format} input >= ${minRowsPerS / 1000}k rows/s end to end, peak RSS <= 600 MB`,
        rate >= minRowsPerS && ts.peakRssMb <= 600,
        profiled('etl', params),
      )
      cases.push(c)
      return ts
    }
    await measure('%d order_items, csv input, fresh local warehouse', 'csv', 100_000)
    await measure('%d order_items, xlsx input (sheets on the worker pool), fresh local warehouse', 'xlsx', 50_000)
    // The memory case: the same csv load into a warehouse that already holds five times as many order_items.
    const template = path.join(ctx.work, `etl-warehouse-5x-${s.orders}`)
    if (!existsSync(path.join(template, 'logs'))) {
      const prior = []
      for (let k = 1; k <= 5; k++) prior.push((await input('csv', k * 100_000_000)).dir)
      await runNodeCase('etlLoad', { warehouse: template, inputs: prior })
    }
    const fresh = cases[0].deltaTs
    const big = await measure(
      '%d order_items, csv input, into a warehouse holding 5x as many',
      'csv',
      100_000,
      template,
    )
    if (fresh)
      cases[2].notes.push(
        `peak RSS ${big.peakRssMb} MB vs ${fresh.peakRssMb} MB into a fresh warehouse (must not grow with the warehouse)`,
      )
    await rm(warehouse, { recursive: true, force: true })
    return {
      params: { orders: s.orders, reps },
      cases,
      notes: [
        'whole pipeline: preprocess (xlsx -> csv on worker threads), products ∥ orders, order_items, catalog, preview; delta-rs n/a',
        'stage times per case in its notes: the runner steps, and per job read / validate / dedup / quarantine / merge',
      ],
    }
  },
}

/** Every benchmark, in report order. */
export const BENCHMARKS: Benchmark[] = [
  snapshotBench,
  scanBench,
  appendBench,
  settingsBench,
  commitsBench,
  pruningBench,
  clusteringBench,
  mergeBench,
  deleteBench,
  etlBench,
]
