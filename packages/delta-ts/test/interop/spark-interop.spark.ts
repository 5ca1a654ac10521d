import { cpSync } from 'node:fs'
import * as path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DeltaTable } from '../../src/index.js'
import { canonicalRows, schemaShape, type WireRow } from './canon.js'
import { expectReaderMatchesModel, expectSameAtEveryVersion, readWithDeltaTs } from './compare.js'
import { ensureVenv, type PyRead, type PyScenario, runSpark, type SparkTask, scratch } from './harness.js'
import { commitVersions, oneRow, raceDeltaTs, switches, writersInLogOrder } from './race.js'
import { continueWithDeltaTs, expectTsReadsModel, type TsScenario, writeTsScenarios } from './ts-scenarios.js'

// Issue 10 with the reference implementation (pyspark 4.0.1 + delta-spark 4.0.1). delta-ts writes its
// scenario tables first; then one Spark session (py/spark_cli.py) writes Spark's scenario tables and reads
// delta-ts's; the tests compare. Direction 1: delta-ts writes, Spark reads. Direction 2: Spark writes
// (deletion vectors, column mapping, checkpoints), delta-ts reads every version. Then delta-ts continues
// Spark's tables and a second Spark session reads them back (mixed writers, on copies of Spark's tables).
describe('interop with Spark (delta-spark 4.0.1)', () => {
  const tmp = scratch('spark')
  afterAll(() => tmp.cleanup())
  const dir = (name: string) => path.join(tmp.dir, name)
  const out = (name: string) => path.join(tmp.dir, `${name}.json`)
  const results = new Map<string, unknown>()
  const tsScenarios = new Map<string, TsScenario>()
  const continued = new Map<string, { version: number; rows: WireRow[]; operations: string[]; schema: string }>()

  beforeAll(async () => {
    await ensureVenv()
    for (const s of await writeTsScenarios(path.join(tmp.dir))) tsScenarios.set(s.name, s)
    const tasks: SparkTask[] = [
      { kind: 'write-scenario', name: 'mixed', dir: dir('spark-mixed'), out: out('spark-mixed') },
      { kind: 'write-scenario', name: 'colmap', dir: dir('spark-colmap'), out: out('spark-colmap') },
      ...[...tsScenarios.values()].map(
        (s): SparkTask => ({ kind: 'read', dir: s.dir, out: out(`${s.name}.spark-read`), versions: s.readable }),
      ),
    ]
    const outputs = await runSpark(tasks, path.join(tmp.dir, 'job.json'))
    tasks.forEach((t, k) => {
      results.set(path.basename(t.out, '.json'), outputs[k])
    })
    // Mixed writers: delta-ts appends, deletes and updates on Spark's tables (after the every-version
    // comparison data was captured above), then Spark reads the new latest version.
    const rereads: SparkTask[] = []
    for (const name of ['spark-mixed', 'spark-colmap']) {
      // On a copy, so the every-version tests above still see Spark's own latest version.
      cpSync(dir(name), dir(`${name}.continued`), { recursive: true })
      const spark = results.get(name) as PyScenario
      const before = spark.versions[spark.latestVersion]
      const done = await continueWithDeltaTs(dir(`${name}.continued`), tmp.dir, before.rows)
      continued.set(name, { ...done, schema: before.schema })
      rereads.push({ kind: 'read', dir: dir(`${name}.continued`), out: out(`${name}.continued`), versions: 'latest' })
    }
    const again = await runSpark(rereads, path.join(tmp.dir, 'job2.json'))
    rereads.forEach((t, k) => {
      results.set(path.basename(t.out, '.json'), again[k])
    })
  })

  it('Spark mixed scenario (deletion vectors, merge, update, replaceWhere, optimize, checkpoints every 3 commits): delta-ts reads every version with the same schema and rows', async () => {
    await expectSameAtEveryVersion(dir('spark-mixed'), results.get('spark-mixed') as PyScenario)
  })

  it('Spark column-mapping scenario (name mode, rename, drop, deletion-vector delete): delta-ts reads every version with the same schema and rows', async () => {
    await expectSameAtEveryVersion(dir('spark-colmap'), results.get('spark-colmap') as PyScenario)
  })

  it.each([
    ['ts-mixed', 'partitioned; merge, delete, update, replaceWhere, optimize; automatic and explicit checkpoints'],
    ['ts-plain', 'unpartitioned, no checkpoint, delete then full overwrite'],
    ['ts-vacuumed', 'after vacuum with zero retention and metadata cleanup, latest version'],
  ])('delta-ts table %s (%s): Spark reads the same version, schema, rows and history', async (name) => {
    const s = tsScenarios.get(name)
    const read = results.get(`${name}.spark-read`) as PyRead | undefined
    expect(s && read, `scenario ${name} was written and read`).toBeTruthy()
    if (!s || !read) return
    await expectTsReadsModel(s)
    expectReaderMatchesModel(read, s)
  })

  it.each([
    ['spark-mixed', 'deletion vectors, partitions'],
    ['spark-colmap', 'column mapping by name, renamed and dropped columns, deletion vectors'],
  ])(
    'delta-ts continues the Spark table %s (%s) with append, delete, update, checkpoint; Spark reads the same schema and rows',
    async (name) => {
      const done = continued.get(name)
      const read = results.get(`${name}.continued`) as PyRead | undefined
      expect(done && read, `${name} was continued and re-read`).toBeTruthy()
      if (!done || !read) return
      expect(done.operations).toEqual(['WRITE', 'DELETE', 'UPDATE'])
      expect(read.latestVersion).toBe(done.version)
      expect(schemaShape(JSON.parse(read.versions[0].schema))).toEqual(schemaShape(JSON.parse(done.schema)))
      expect(canonicalRows(read.versions[0].rows)).toEqual(canonicalRows(done.rows))
      expect(canonicalRows((await readWithDeltaTs(dir(`${name}.continued`))).rows)).toEqual(canonicalRows(done.rows))
    },
  )
})

// Issue 10, direction 3 with Spark: a Spark session and delta-ts append to one local table at the same time.
// Spark commits through its local-file log store (rename without overwrite), delta-ts by hard link.
describe('delta-ts and Spark appending to one table concurrently', () => {
  const COUNT = 8
  const tmp = scratch('spark-race')
  afterAll(() => tmp.cleanup())
  const dir = path.join(tmp.dir, 'table')
  let writers: string[] = []

  beforeAll(async () => {
    await ensureVenv()
    await DeltaTable.create(dir, { schema: oneRow('x', 0).schema })
    const ready = path.join(tmp.dir, 'ready')
    const task: SparkTask = {
      kind: 'append-loop',
      dir,
      out: path.join(tmp.dir, 'append.json'),
      writer: 'spark',
      count: COUNT,
      ready,
    }
    const spark = runSpark([task], path.join(tmp.dir, 'job.json'))
    // Spark needs a second or more per append here: delta-ts waits for Spark's next commit after each of its
    // own (up to 20 s), so both loops stay in the race until the end.
    await Promise.all([spark, raceDeltaTs(dir, ready, spark, COUNT, 100, 20_000)])
    writers = await writersInLogOrder(dir)
  })

  it('commits occupy contiguous versions 0..2N, N from each writer, and the writers interleaved', () => {
    expect(commitVersions(dir)).toEqual([...Array(2 * COUNT + 1).keys()])
    expect(writers.filter((w) => w === 'delta-ts')).toHaveLength(COUNT)
    expect(writers.filter((w) => w === 'other')).toHaveLength(COUNT)
    expect(switches(writers)).toBeGreaterThan(1)
  })

  it('every appended row is present exactly once when delta-ts reads the table', async () => {
    const want: WireRow[] = []
    for (const writer of ['delta-ts', 'spark']) for (let k = 0; k < COUNT; k++) want.push({ writer, seq: String(k) })
    const got = await readWithDeltaTs(dir)
    expect(got.version).toBe(2 * COUNT)
    expect(canonicalRows(got.rows)).toEqual(canonicalRows(want))
  })
})
