import * as path from 'node:path'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { expectSameAtEveryVersion } from './compare.js'
import { deltalake, ensureVenv, type PyScenario, scratch } from './harness.js'

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
})
