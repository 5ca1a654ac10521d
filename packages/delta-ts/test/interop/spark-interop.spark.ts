import * as path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectReaderMatchesModel, expectSameAtEveryVersion } from './compare.js'
import { ensureVenv, type PyRead, type PyScenario, runSpark, type SparkTask, scratch } from './harness.js'
import { expectTsReadsModel, type TsScenario, writeTsScenarios } from './ts-scenarios.js'

// Issue 10 with the reference implementation (pyspark 4.0.1 + delta-spark 4.0.1). delta-ts writes its
// scenario tables first; then one Spark session (py/spark_cli.py) writes Spark's scenario tables and reads
// delta-ts's; the tests compare. Direction 1: delta-ts writes, Spark reads. Direction 2: Spark writes
// (deletion vectors, column mapping, checkpoints), delta-ts reads every version.
describe('interop with Spark (delta-spark 4.0.1)', () => {
  const tmp = scratch('spark')
  afterAll(() => tmp.cleanup())
  const dir = (name: string) => path.join(tmp.dir, name)
  const out = (name: string) => path.join(tmp.dir, `${name}.json`)
  const results = new Map<string, unknown>()
  const tsScenarios = new Map<string, TsScenario>()

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
})
