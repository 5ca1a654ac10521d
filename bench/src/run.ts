/**
 * `pnpm bench [name ...] [--quick] [--reps=N]`: runs the named benchmarks (all when none), writes bench/results/<name>.json
 * and .md, and regenerates docs/performance.md. `BENCH_QUICK=1` is the same as `--quick`. Exits 1 when a
 * benchmark failed (its JSON then carries the error). `pnpm bench --report` only regenerates the markdown from
 * the JSON files.
 */
import { mkdir } from 'node:fs/promises'
import { BENCHMARKS } from './benchmarks.js'
import { type BenchResultFile, regenerateReports, writePerformanceDoc, writeResult } from './report.js'
import { machineInfo, versions, workDir } from './util.js'

/** Parsed command line. */
export interface RunArgs {
  names: string[]
  quick: boolean
  reps?: number
  /** Where JSON/markdown go (default bench/results) and which page is regenerated (default docs/performance.md). */
  outDir?: string
  docFile?: string
}

export function parseArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): RunArgs {
  const names: string[] = []
  let quick = env.BENCH_QUICK === '1'
  let reps: number | undefined
  for (const a of argv) {
    if (a === '--quick') quick = true
    else if (a.startsWith('--reps=')) reps = Number(a.slice(7))
    else if (a !== '--') names.push(a)
  }
  const unknown = names.filter((n) => !BENCHMARKS.some((b) => b.name === n))
  if (unknown.length > 0)
    throw new Error(`unknown benchmark(s) ${unknown.join(', ')}; known: ${BENCHMARKS.map((b) => b.name).join(', ')}`)
  return { names, quick, reps }
}

/** Runs the selected benchmarks; returns their result files (also written to disk). */
export async function runBenchmarks(args: RunArgs, log: (s: string) => void = () => {}): Promise<BenchResultFile[]> {
  const selected = args.names.length ? BENCHMARKS.filter((b) => args.names.includes(b.name)) : BENCHMARKS
  const work = workDir(args.quick)
  await mkdir(work, { recursive: true })
  const machine = machineInfo()
  const vers = versions()
  const out: BenchResultFile[] = []
  for (const b of selected) {
    const t0 = Date.now()
    log(`[bench] ${b.name}: ${b.title}${args.quick ? ' (quick)' : ''}`)
    const base = {
      name: b.name,
      title: b.title,
      quick: args.quick,
      date: new Date().toISOString(),
      machine,
      versions: vers,
    }
    let r: BenchResultFile
    try {
      const res = await b.run({ quick: args.quick, work, reps: args.reps ?? (args.quick ? 2 : 3) })
      r = { ...base, ...res, durationMs: Date.now() - t0 }
    } catch (err) {
      r = {
        ...base,
        params: {},
        cases: [],
        notes: [],
        durationMs: Date.now() - t0,
        error: err instanceof Error ? err.message : String(err),
      }
    }
    await writeResult(r, args.outDir)
    await writePerformanceDoc(args.docFile, args.outDir)
    log(
      `[bench] ${b.name}: ${r.error ? `FAILED: ${r.error}` : `${r.cases.length} case(s)`} in ${(r.durationMs / 1000).toFixed(1)} s`,
    )
    out.push(r)
  }
  return out
}

const isMain = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href
if (isMain) {
  const argv = process.argv.slice(2)
  const job = argv.includes('--report')
    ? regenerateReports().then((n) => {
        process.stdout.write(`[bench] regenerated reports from ${n} result file(s)\n`)
        return []
      })
    : runBenchmarks(parseArgs(argv), (s) => process.stdout.write(`${s}\n`))
  job
    .then((rs: BenchResultFile[]) => {
      process.exitCode = rs.some((r) => r.error) ? 1 : 0
    })
    .catch((err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`)
      process.exitCode = 2
    })
}
