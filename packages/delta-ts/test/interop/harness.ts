import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { type Table, tableFromIPC } from 'apache-arrow'
import type { WireRow } from './canon.js'

const run = promisify(execFile)

/** The repository root (packages/delta-ts/test/interop is three levels below it). */
const here = path.dirname(fileURLToPath(import.meta.url))
export const repoRoot = path.resolve(here, '../../../..')
const pyDir = path.join(here, 'py')
const python = path.join(repoRoot, '.venv', 'bin', 'python')

/** Creates the pinned Python venv (deltalake, pyspark, delta-spark) once; a no-op when already current. */
export async function ensureVenv(): Promise<void> {
  await run('bash', [path.join(repoRoot, 'scripts', 'ensure-venv.sh')], { maxBuffer: 64 << 20 })
}

/** One version of a table as the Python side saw it. */
export interface PyVersion {
  version: number
  /** Delta schema JSON string. */
  schema: string
  rows: WireRow[]
  operation?: string | null
}

/** Output of `write-scenario`: what the writer itself reads at each version. */
export interface PyScenario {
  writer: string
  scenario: string
  latestVersion: number
  versions: PyVersion[]
}

/** Output of `read`: a table written by delta-ts as the Python side reads it. */
export interface PyRead {
  reader: string
  latestVersion: number
  protocol: Record<string, unknown>
  partitionColumns: string[]
  versions: PyVersion[]
  history: Array<Record<string, unknown>>
}

/** Runs a python helper script of py/ (call ensureVenv first); throws with its stderr tail on failure. */
export async function py(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 600_000,
): Promise<void> {
  try {
    await run(python, [path.join(pyDir, script), ...args], {
      env: { ...process.env, ...env },
      maxBuffer: 64 << 20,
      timeout: timeoutMs,
    })
  } catch (err) {
    const e = err as { stderr?: string; message: string }
    throw new Error(`${script} ${args[0]} failed: ${e.message}\n${(e.stderr ?? '').slice(-4000)}`)
  }
}

function readJson<T>(file: string): T {
  const out = JSON.parse(readFileSync(file, 'utf8')) as T & { error?: string }
  if (out.error) throw new Error(`python task failed:\n${out.error}`)
  return out
}

/** A fresh temporary folder for one test's tables; `cleanup()` removes it. */
export function scratch(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), `delta-ts-${prefix}-`))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** deltalake (delta-rs) CLI: see py/deltalake_cli.py. */
export const deltalake = {
  async writeScenario(name: string, tableDir: string, outFile: string): Promise<PyScenario> {
    await py('deltalake_cli.py', ['write-scenario', name, tableDir, outFile])
    return readJson<PyScenario>(outFile)
  },
  async read(tableDir: string, outFile: string, versions = 'all'): Promise<PyRead> {
    await py('deltalake_cli.py', ['read', tableDir, outFile, versions])
    return readJson<PyRead>(outFile)
  },
  /**
   * Starts a process appending `count` one-row commits; resolves when all are committed. `readyFile` is
   * created once the process has loaded deltalake and opened the table.
   */
  appendLoop(tableDir: string, writer: string, count: number, readyFile: string): Promise<void> {
    return py('deltalake_cli.py', ['append-loop', tableDir, writer, String(count), readyFile])
  },
}

/** A task for the Spark CLI (one Spark session runs them all). */
export type SparkTask =
  | { kind: 'write-scenario'; name: string; dir: string; out: string }
  | { kind: 'read'; dir: string; out: string; versions?: string }
  | { kind: 'append-loop'; dir: string; out: string; writer: string; count: number; ready: string }
  | SparkSqlTask

/**
 * SQL run by Spark (py/spark_cli.py `sql`): `conf` (session settings such as the time zone) holds for this
 * task only; statements run in order (`SET k=v` changes a setting until the task ends or the next SET),
 * then the named queries. Output: {@link SparkSqlResult}.
 */
export interface SparkSqlTask {
  kind: 'sql'
  out: string
  conf?: Record<string, string>
  /**
   * Tables created before the statements through delta-spark's DeltaTableBuilder (Delta 4.0's SQL DDL refuses
   * generated and identity columns through the session catalog; the builder writes the same metadata).
   */
  create?: SparkCreateTable[]
  statements?: string[]
  queries?: Record<string, string>
  /** Table directories whose data files to describe (column chunk physical types and encodings). */
  parquetFiles?: string[]
}

/** A table for Spark to create (py/spark_cli.py `create_tables`). */
export interface SparkCreateTable {
  dir: string
  columns: Array<{
    name: string
    /** Spark SQL type name (BIGINT, STRING, TIMESTAMP, ...). */
    type: string
    nullable?: boolean
    generatedAlwaysAs?: string
    /** An identity column: GENERATED ALWAYS (default) or BY DEFAULT, START WITH, INCREMENT BY. */
    identity?: { always?: boolean; start?: number; step?: number }
  }>
  properties?: Record<string, string>
}

/** What a {@link SparkSqlTask} returns. */
export interface SparkSqlResult {
  queries: Record<string, { schema: string; rows: WireRow[] }>
  parquetFiles: Record<
    string,
    { file: string; columns: Record<string, { physicalType: string; encodings: string[] }> }[]
  >
}

/** Runs Spark tasks in one JVM; returns each task's parsed output (throws on the first failed task). */
export async function runSpark(tasks: SparkTask[], jobFile: string, timeoutMs = 600_000): Promise<unknown[]> {
  writeFileSync(jobFile, JSON.stringify({ tasks }))
  const ivy = path.join(repoRoot, '.cache', 'ivy')
  try {
    await py('spark_cli.py', [jobFile], { IVY_DIR: ivy }, timeoutMs)
  } catch (err) {
    // A failed task leaves its error in its output file; report those rather than the generic exit code.
    for (const t of tasks) if (existsSync(t.out)) readJson(t.out)
    throw err
  }
  return tasks.map((t) => readJson(t.out))
}

/** A batch of scenario rows (py/scenario_data.py) for delta-ts to write. */
export interface BatchSpec {
  ids: number[]
  tag?: string
  /** Force every row into this partition value (null: the null partition). */
  part?: string | null
}

/**
 * Generates scenario batches with the same generator the Python writers use, so delta-ts writes exactly the
 * rows deltalake and Spark write: returns each batch as an Arrow JS table plus its wire rows.
 */
export async function scenarioBatches<K extends string>(
  dir: string,
  spec: Record<K, BatchSpec>,
): Promise<Record<K, { table: Table; rows: WireRow[] }>> {
  const specFile = path.join(dir, 'batches.json')
  writeFileSync(specFile, JSON.stringify(spec))
  await py('scenario_data.py', ['batches', dir, specFile])
  const out = {} as Record<K, { table: Table; rows: WireRow[] }>
  for (const name of Object.keys(spec) as K[]) {
    out[name] = {
      table: tableFromIPC(readFileSync(path.join(dir, `${name}.arrow`))),
      rows: JSON.parse(readFileSync(path.join(dir, `${name}.json`), 'utf8')),
    }
  }
  return out
}
