import { spawn } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import * as os from 'node:os'
import * as path from 'node:path'
import { pathToFileURL } from 'node:url'
import { benchRoot, python, repoRoot } from './util.js'

/** What a measuring child process reports: its own timings plus its peak RSS. */
export interface ChildReport {
  /** Wall times of the repeated runs, in milliseconds. */
  runsMs: number[]
  /** Peak resident set size of the whole child process, in MiB. */
  peakRssMb: number
  /** Case-specific numbers (row counts, retries, ...). */
  extra: Record<string, unknown>
}

/** The marker a child prints before its one JSON result line (everything else on stdout is ignored). */
export const RESULT_MARKER = 'BENCH_RESULT '

const tsxLoader = pathToFileURL(createRequire(path.join(repoRoot, 'package.json')).resolve('tsx')).href
const childEntry = path.join(benchRoot, 'src', 'child.ts')

interface Spawned {
  stdout: string
  stderr: string
  code: number | null
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Spawned> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env, cwd: benchRoot })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString()
    })
    child.stderr.on('data', (d: Buffer) => {
      // Keep the tail only: enough to explain a failure.
      stderr = (stderr + d.toString()).slice(-8000)
    })
    child.on('error', reject)
    child.on('close', (code) => resolve({ stdout, stderr, code }))
  })
}

function parseReport(what: string, r: Spawned): ChildReport {
  const line = r.stdout.split('\n').find((l) => l.startsWith(RESULT_MARKER))
  if (r.code !== 0 || !line) {
    throw new Error(`${what} failed (exit ${r.code}): ${r.stderr.trim() || r.stdout.slice(-2000)}`)
  }
  return JSON.parse(line.slice(RESULT_MARKER.length)) as ChildReport
}

/** Options of {@link runNodeCase}. */
export interface NodeCaseOptions {
  /** Write a V8 CPU profile and return its hottest functions (used to explain a missed target). */
  profile?: boolean
}

/** Hottest functions of a CPU profile by self time. */
export interface ProfileSummary {
  totalMs: number
  top: { fn: string; where: string; selfMs: number; share: number }[]
}

/**
 * Runs one delta-ts (or raw parquet-wasm) measurement in a fresh Node process, so its peak RSS is its own.
 * The child runs `src/child.ts` under tsx with the `source` condition (delta-ts from its TypeScript sources).
 */
export async function runNodeCase(
  name: string,
  params: Record<string, unknown>,
  options: NodeCaseOptions = {},
): Promise<ChildReport & { profile?: ProfileSummary }> {
  const args = ['--expose-gc', '--conditions=source', '--import', tsxLoader, childEntry, name, JSON.stringify(params)]
  let profDir: string | undefined
  const env = { ...process.env }
  if (options.profile) {
    // The child profiles its timed regions only (node:inspector), not process start-up and module loading.
    profDir = await mkdtemp(path.join(os.tmpdir(), 'bench-prof-'))
    env.BENCH_CPU_PROFILE = path.join(profDir, 'run.cpuprofile')
  }
  const r = await run(process.execPath, args, env)
  const report = parseReport(`node case ${name}`, r)
  if (!profDir) return report
  try {
    const file = path.join(profDir, 'run.cpuprofile')
    const profile = existsSync(file) ? summarizeProfile(JSON.parse(await readFile(file, 'utf8'))) : undefined
    return { ...report, profile }
  } finally {
    await rm(profDir, { recursive: true, force: true })
  }
}

/** Whether the Python side (delta-rs) can run here. */
export function pythonAvailable(): boolean {
  return existsSync(python)
}

/** The Delta jars Spark loads offline (filled by the interop suite's Spark runs). */
const ivyDir = path.join(repoRoot, '.cache', 'ivy')

/** Whether Spark (pyspark in .venv plus the Delta jars in .cache/ivy) can run here. */
export function sparkAvailable(): boolean {
  const list = (dir: string) => (existsSync(dir) ? readdirSync(dir) : [])
  const lib = path.join(repoRoot, '.venv', 'lib')
  return (
    existsSync(python) &&
    list(path.join(ivyDir, 'jars')).some((f) => f.startsWith('io.delta_delta-spark')) &&
    list(lib).some((d) => existsSync(path.join(lib, d, 'site-packages', 'pyspark')))
  )
}

/** Runs one Spark job in one session (bench/py/spark_bench.py); its report carries no timings. */
export async function runSparkCase(params: Record<string, unknown>): Promise<ChildReport> {
  const script = path.join(benchRoot, 'py', 'spark_bench.py')
  const r = await run(python, [script, JSON.stringify(params)], {
    ...process.env,
    PYTHONUNBUFFERED: '1',
    IVY_DIR: ivyDir,
  })
  return parseReport(`spark case ${String(params.op)}`, r)
}

/** Runs one measurement of Python `deltalake` in a child process that times itself (bench/py/deltalake_bench.py). */
export async function runPythonCase(params: Record<string, unknown>): Promise<ChildReport> {
  const script = path.join(benchRoot, 'py', 'deltalake_bench.py')
  const r = await run(python, [script, JSON.stringify(params)], { ...process.env, PYTHONUNBUFFERED: '1' })
  return parseReport(`python case ${String(params.op)}`, r)
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[]
  samples: number[]
  timeDeltas: number[]
}

/** Sums self time per function (name + file:line) from a .cpuprofile and keeps the ten hottest. */
export function summarizeProfile(p: CpuProfile): ProfileSummary {
  const byId = new Map(p.nodes.map((n) => [n.id, n]))
  const self = new Map<string, { fn: string; where: string; us: number }>()
  let total = 0
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i] ?? 0
    total += dt
    const n = byId.get(p.samples[i])
    if (!n) continue
    const { functionName, url, lineNumber } = n.callFrame
    // tsx-compiled sources report line 1 for everything: show the file alone then.
    const file = url.replace(/^file:\/\//, '').replace(`${repoRoot}/`, '')
    const where = url ? (lineNumber > 0 ? `${file}:${lineNumber + 1}` : file) : ''
    const key = `${functionName}@${where}`
    const e = self.get(key) ?? { fn: functionName || '(anonymous)', where, us: 0 }
    e.us += dt
    self.set(key, e)
  }
  const top = [...self.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, 10)
    .map((e) => ({
      fn: e.fn,
      where: e.where,
      selfMs: Math.round(e.us / 1000),
      share: total ? Math.round((e.us / total) * 1000) / 1000 : 0,
    }))
  return { totalMs: Math.round(total / 1000), top }
}
