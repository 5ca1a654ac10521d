import * as path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { canonicalRows, schemaShape } from './canon.js'
import { expectSameAtEveryVersion, readWithDeltaTs } from './compare.js'
import { deltalake, ensureVenv, type PyScenario, scratch } from './harness.js'
import { continueWithDeltaTs } from './ts-scenarios.js'

// Issue 10, direction 2: tables written and changed by deltalake (delta-rs) are read by delta-ts with the same
// rows at every version. The scenarios (py/deltalake_cli.py) cover every column type, partitions with special
// characters and nulls, merge, delete, update, replaceWhere, optimize, explicit and automatic checkpoints.
describe('tables written by deltalake (delta-rs 1.6.6)', () => {
  const tmp = scratch('dl-written')
  afterAll(() => tmp.cleanup())
  const scenarios: Record<string, { dir: string; expected: PyScenario }> = {}

  beforeAll(async () => {
    await ensureVenv()
    for (const name of ['mixed', 'plain']) {
      const dir = path.join(tmp.dir, name)
      scenarios[name] = { dir, expected: await deltalake.writeScenario(name, dir, path.join(tmp.dir, `${name}.json`)) }
    }
  })

  it('mixed scenario (append, merge, delete, update, replaceWhere, checkpoints, optimize, overwrite): delta-ts reads every version with the same schema and rows', async () => {
    await expectSameAtEveryVersion(scenarios.mixed.dir, scenarios.mixed.expected)
  })

  it('unpartitioned scenario with a checkpoint every 2 commits: delta-ts reads every version with the same schema and rows', async () => {
    await expectSameAtEveryVersion(scenarios.plain.dir, scenarios.plain.expected)
  })

  it('delta-ts continues the deltalake table (append, delete, update, checkpoint) and deltalake reads the result with the same schema and rows', async () => {
    const { dir, expected } = scenarios.mixed
    const before = expected.versions[expected.latestVersion]
    const done = await continueWithDeltaTs(dir, tmp.dir, before.rows)
    expect(done.operations).toEqual(['WRITE', 'DELETE', 'UPDATE'])
    const read = await deltalake.read(dir, path.join(tmp.dir, 'mixed.continued.json'), 'latest')
    expect(read.latestVersion).toBe(done.version)
    expect(schemaShape(JSON.parse(read.versions[0].schema))).toEqual(schemaShape(JSON.parse(before.schema)))
    expect(canonicalRows(read.versions[0].rows)).toEqual(canonicalRows(done.rows))
    expect(canonicalRows((await readWithDeltaTs(dir)).rows)).toEqual(canonicalRows(done.rows))
  })
})
