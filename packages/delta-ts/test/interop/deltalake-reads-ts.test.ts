import * as path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectReaderMatchesModel } from './compare.js'
import { deltalake, ensureVenv, type PyRead, scratch } from './harness.js'
import { expectTsReadsModel, type TsScenario, writeTsScenarios } from './ts-scenarios.js'

// Issue 10, direction 1: tables written by delta-ts (every column type; partitions with special characters,
// nulls and dates; append, overwrite, replaceWhere, merge, delete, update, optimize; with and without checkpoints; after vacuum and
// metadata cleanup) are read by deltalake (delta-rs 1.6.6) with the same version, schema and rows, and
// deltalake's history shows delta-ts's commitInfo.
describe('tables written by delta-ts, read by deltalake (delta-rs 1.6.6)', () => {
  const tmp = scratch('ts-written')
  afterAll(() => tmp.cleanup())
  const scenarios = new Map<string, TsScenario>()
  const reads = new Map<string, PyRead>()

  beforeAll(async () => {
    await ensureVenv()
    for (const s of await writeTsScenarios(tmp.dir)) {
      scenarios.set(s.name, s)
      reads.set(s.name, await deltalake.read(s.dir, path.join(tmp.dir, `${s.name}.read.json`), s.readable))
    }
  })

  it.each([
    ['ts-mixed', 'partitioned; merge, delete, update, replaceWhere, optimize; automatic and explicit checkpoints'],
    ['ts-plain', 'unpartitioned, no checkpoint, delete then full overwrite'],
    ['ts-vacuumed', 'after vacuum with zero retention and metadata cleanup, latest version'],
  ])('%s (%s): deltalake reads the same version, schema, rows and history as delta-ts wrote', async (name) => {
    const s = scenarios.get(name)
    const read = reads.get(name)
    expect(s && read, `scenario ${name} was written and read`).toBeTruthy()
    if (!s || !read) return
    await expectTsReadsModel(s)
    expectReaderMatchesModel(read, s)
  })
})
