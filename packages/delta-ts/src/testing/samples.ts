import { existsSync, readFileSync } from 'node:fs'
import { cp, mkdir, readdir } from 'node:fs/promises'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { DeltaError } from 'delta-ts'

/** A sample table shipped with delta-ts (in the package's `sample-tables/`). */
export interface SampleTable {
  readonly name: SampleTableName
  /** What it exercises. */
  readonly description: string
  /** Who wrote it. */
  readonly writer: string
}

/** The names of the shipped sample tables. */
export type SampleTableName = 'partitioned' | 'deletion-vectors' | 'column-mapping'

/**
 * The sample tables: small real Delta tables written by Spark and Databricks, taken from the delta-kernel-rs
 * test data (Apache-2.0; attribution in `sample-tables/NOTICE.md` of the package).
 */
export const SAMPLE_TABLES: readonly SampleTable[] = [
  {
    name: 'partitioned',
    description:
      'partitioned by letter (string, one null partition), columns number (long) and a_float (double); 2 commits, 6 rows',
    writer: 'Apache Spark 3.3.1, Delta Lake 2.1.1',
  },
  {
    name: 'deletion-vectors',
    description: 'one column value (integer); 10 rows written, 2 deleted through a deletion vector: 8 live rows',
    writer: 'Databricks Runtime',
  },
  {
    name: 'column-mapping',
    description:
      "column mapping mode 'name' (physical names differ from logical ones) over every primitive type plus struct, array and map columns; 6 rows",
    writer: 'Apache Spark 3.5.0, Delta Lake 3.1.0',
  },
]

declare const __filename: string | undefined

/** The directory of this module's file (ESM or CJS build, or the TypeScript source). */
function moduleFile(): string {
  return typeof __filename === 'string' ? __filename : fileURLToPath(import.meta.url)
}

let cachedRoot: string | undefined

/** The delta-ts package root: the nearest ancestor directory whose package.json is named delta-ts. */
function packageRoot(): string {
  if (cachedRoot) return cachedRoot
  let dir = path.dirname(moduleFile())
  for (;;) {
    const pj = path.join(dir, 'package.json')
    if (existsSync(pj)) {
      try {
        if (JSON.parse(readFileSync(pj, 'utf8')).name === 'delta-ts') {
          cachedRoot = dir
          return dir
        }
      } catch {
        // not ours; keep walking up
      }
    }
    const parent = path.dirname(dir)
    if (parent === dir) throw new DeltaError('INTERNAL', 'delta-ts/testing: cannot find the delta-ts package root')
    dir = parent
  }
}

/**
 * Copies the shipped sample table `name` into `dir` (created when missing; it becomes the table root) and
 * returns the absolute path of the copy. The copy is yours: write to it, vacuum it, break it.
 *
 * @example
 * const dir = await copySampleTable('deletion-vectors', await mkdtemp(join(tmpdir(), 't-')))
 * const rows = await readRows(await DeltaTable.open(dir))   // 8 rows
 *
 * @throws DeltaError `INVALID_ARGUMENT` for an unknown name (the message lists the names);
 *   `TABLE_ALREADY_EXISTS` when `dir` already holds a `_delta_log`; `STORAGE_ERROR` when copying fails.
 */
export async function copySampleTable(name: SampleTableName, dir: string): Promise<string> {
  if (!SAMPLE_TABLES.some((t) => t.name === name))
    throw new DeltaError(
      'INVALID_ARGUMENT',
      `no sample table '${String(name)}' (have: ${SAMPLE_TABLES.map((t) => t.name).join(', ')})`,
    )
  if (typeof dir !== 'string' || dir === '')
    throw new DeltaError('INVALID_ARGUMENT', 'copySampleTable: dir must be a non-empty path')
  const target = path.resolve(dir)
  if (existsSync(path.join(target, '_delta_log')))
    throw new DeltaError('TABLE_ALREADY_EXISTS', `${target} already holds a Delta table`)
  const source = path.join(packageRoot(), 'sample-tables', name)
  try {
    await mkdir(target, { recursive: true })
    for (const entry of await readdir(source)) {
      await cp(path.join(source, entry), path.join(target, entry), {
        recursive: true,
        errorOnExist: true,
        force: false,
      })
    }
  } catch (err) {
    throw new DeltaError(
      'STORAGE_ERROR',
      `copying sample table '${name}' to ${target} failed: ${(err as Error).message}`,
      {
        cause: err,
      },
    )
  }
  return target
}
