import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'

/** Absolute path of the bench package (`bench/`). */
export const benchRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
/** Absolute path of the monorepo root. */
export const repoRoot = path.resolve(benchRoot, '..')
/** Where result JSON and markdown go. */
export const resultsDir = path.join(benchRoot, 'results')
/** The Python interpreter with `deltalake` (created by scripts/ensure-venv.sh). */
export const python = path.join(repoRoot, '.venv', 'bin', 'python')

/**
 * Scratch folder for generated tables. Defaults to the OS temp dir (generated data is large and never
 * committed); `BENCH_WORK` overrides. Quick and full runs use separate folders so cached data never mixes.
 */
export function workDir(quick: boolean): string {
  return process.env.BENCH_WORK ?? path.join(os.tmpdir(), `delta-ts-bench-${quick ? 'quick' : 'full'}`)
}

/** Median of a non-empty list (mean of the two middle values for even lengths). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2
}

/** Rounds to 3 significant decimals for reports. */
export function round(x: number, digits = 3): number {
  if (!Number.isFinite(x)) return x
  const f = 10 ** digits
  return Math.round(x * f) / f
}

/** Machine description for reports. */
export interface MachineInfo {
  cpu: string
  cores: number
  memoryGb: number
  os: string
  node: string
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus()
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGb: round(os.totalmem() / 2 ** 30, 1),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
  }
}

function pkgVersion(dir: string): string {
  try {
    return (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version
  } catch {
    return 'unknown'
  }
}

/** Versions of everything measured. Python's `deltalake` is asked once (null when the venv is missing). */
export function versions(): Record<string, string | null> {
  let deltalake: string | null = null
  let pyarrow: string | null = null
  if (existsSync(python)) {
    try {
      const out = execFileSync(
        python,
        ['-c', 'import deltalake, pyarrow; print(deltalake.__version__, pyarrow.__version__)'],
        {
          encoding: 'utf8',
        },
      ).trim()
      ;[deltalake, pyarrow] = out.split(' ')
    } catch {
      // Left null: the report then says delta-rs was not measured.
    }
  }
  return {
    'delta-ts': pkgVersion(path.join(repoRoot, 'packages', 'delta-ts')),
    'ecommerce-etl': pkgVersion(path.join(repoRoot, 'packages', 'ecommerce-etl')),
    'apache-arrow': pkgVersion(path.join(benchRoot, 'node_modules', 'apache-arrow')),
    'parquet-wasm': pkgVersion(path.join(benchRoot, 'node_modules', 'parquet-wasm')),
    deltalake,
    pyarrow,
  }
}
