#!/usr/bin/env node
// The packed delta-ts beside the user's apache-arrow, whatever its version and module system (issue 15).
//
// For each apache-arrow version of ARROW_VERSIONS (the oldest, a middle and the newest of the peer range in
// packages/delta-ts/package.json), installs the tarball and that apache-arrow into a fresh project (no AWS SDK:
// it is an optional peer dependency) and runs, from an ES module and from a CommonJS script:
//   - create a table; write data built by the same apache-arrow instance as delta-ts, then by the other one
//     (the CommonJS build when delta-ts runs as ESM and vice versa); merge a source of each; read it back and
//     assert every row; assert the result is an instance of the caller's apache-arrow (its IPC writer
//     serialises it) and that the two instances were really distinct;
//   - opening an s3:// table without @aws-sdk/client-s3 fails with DeltaError MISSING_DEPENDENCY naming it.
//
// Called by scripts/pack-smoke.mjs (`pnpm check:package`) with the tarball it packed; runnable alone on a built
// package: `node scripts/pack-smoke-arrow.mjs [--arrow-versions=15.0.0,19.0.1] [--ignore-peer-range] [--keep]`. One npm cache
// (.tmp/npm-cache) is shared by every project and run, so after the first run the installs are offline.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { freshNpmProject, repoRoot, run } from './run-command.mjs'

const root = repoRoot

/** Oldest, middle and newest apache-arrow of the peer range (see docs/getting-started.md for why these bounds). */
export const ARROW_VERSIONS = ['15.0.0', '18.1.0', '21.2.0']

// The scenario, shared by the ESM and the CJS script. `same` is the apache-arrow instance delta-ts loads (the
// caller's own), `other` the other module system's instance of the same package.
const scenario = `
const own = (C, x) => Function.prototype[Symbol.hasInstance].call(C, x)
assert.ok(!own(same.Table, new other.Table({ a: other.vectorFromArray([1]) })), 'the two apache-arrow instances are distinct')

const schema = {
  type: 'struct',
  fields: [
    { name: 'id', type: 'integer', nullable: false },
    { name: 'big', type: 'long', nullable: true },
    { name: 'name', type: 'string', nullable: true },
    { name: 'ts', type: 'timestamp', nullable: true },
    { name: 'tags', type: { type: 'array', elementType: 'string', containsNull: true }, nullable: true },
    { name: 'score', type: 'double', nullable: true },
    { name: 'ok', type: 'boolean', nullable: true },
    { name: 'day', type: 'date', nullable: true },
    { name: 'bin', type: 'binary', nullable: true },
    {
      name: 'st',
      type: { type: 'struct', fields: [{ name: 'x', type: 'integer', nullable: true }, { name: 'y', type: 'string', nullable: true }] },
      nullable: true,
    },
    { name: 'm', type: { type: 'map', keyType: 'string', valueType: 'long', valueContainsNull: true }, nullable: true },
  ],
}
const entries = (A) =>
  new A.Field('entries', new A.Struct([new A.Field('key', new A.Utf8(), false), new A.Field('value', new A.Int64(), true)]), false)
const T0 = Date.UTC(2024, 0, 1)
function rows(A, ids, tag) {
  return new A.Table({
    id: A.vectorFromArray(ids, new A.Int32()),
    big: A.vectorFromArray(ids.map((i) => (i === 5 ? null : BigInt(i) * 10000000000n)), new A.Int64()),
    name: A.vectorFromArray(ids.map((i) => tag + i), new A.Utf8()),
    ts: A.vectorFromArray(ids.map((i) => T0 + i * 1000), new A.TimestampMicrosecond('UTC')),
    tags: A.vectorFromArray(ids.map((i) => [tag, String(i)]), new A.List(new A.Field('element', new A.Utf8(), true))),
    score: A.vectorFromArray(ids.map((i) => i / 4), new A.Float64()),
    ok: A.vectorFromArray(ids.map((i) => (i % 3 === 0 ? null : i % 2 === 0)), new A.Bool()),
    day: A.vectorFromArray(ids.map((i) => T0 + i * 86400000), new A.DateDay()),
    bin: A.vectorFromArray(ids.map((i) => Uint8Array.of(i, 255)), new A.Binary()),
    st: A.vectorFromArray(
      ids.map((i) => ({ x: i, y: tag })),
      new A.Struct([new A.Field('x', new A.Int32(), true), new A.Field('y', new A.Utf8(), true)]),
    ),
    m: A.vectorFromArray(ids.map((i) => new Map([[tag, BigInt(i)]])), new A.Map_(entries(A))),
  })
}

const dir = mkdtempSync(path.join(tmpdir(), 'delta-ts-arrow-'))
try {
  const table = await DeltaTable.create(dir, { schema })
  await table.write(rows(same, [1, 2, 3], 'e'))
  await table.write(rows(other, [4, 5], 'c'))
  const m1 = await table.merge(rows(other, [2, 6], 'cm'), { on: 'target.id = source.id' })
    .whenMatchedUpdateAll().whenNotMatchedInsertAll().execute()
  assert.deepEqual([m1.metrics.numTargetRowsUpdated, m1.metrics.numTargetRowsInserted], [1, 1])
  const m2 = await table.merge(rows(same, [3, 7], 'em'), { on: 'target.id = source.id' })
    .whenMatchedUpdateAll().whenNotMatchedInsertAll().execute()
  assert.deepEqual([m2.metrics.numTargetRowsUpdated, m2.metrics.numTargetRowsInserted], [1, 1])

  const out = await (await DeltaTable.open(dir)).snapshot().then((s) => s.scan().toArrow())
  assert.ok(own(same.Table, out), 'the result is not a Table of the caller\\'s apache-arrow')
  assert.ok(own(same.DataType, out.schema.fields[0].type), 'the result types are not the caller\\'s apache-arrow')
  assert.ok(same.tableToIPC(out).byteLength > 0, 'the caller\\'s tableToIPC cannot serialise the result')
  const got = out.toArray().map((r) => ({
    id: r.id, big: r.big, name: r.name, ts: Number(r.ts), tags: r.tags === null ? null : [...r.tags],
    score: r.score, ok: r.ok, day: Number(r.day), bin: [...r.bin], st: { x: r.st.x, y: r.st.y },
    m: [...r.m].map(([k, v]) => [k, v]),
  })).sort((a, b) => a.id - b.id)
  const tagOf = { 1: 'e', 2: 'cm', 3: 'em', 4: 'c', 5: 'c', 6: 'cm', 7: 'em' }
  const want = [1, 2, 3, 4, 5, 6, 7].map((i) => ({
    id: i, big: i === 5 ? null : BigInt(i) * 10000000000n, name: tagOf[i] + i, ts: T0 + i * 1000, tags: [tagOf[i], String(i)],
    score: i / 4, ok: i % 3 === 0 ? null : i % 2 === 0, day: T0 + i * 86400000, bin: [i, 255], st: { x: i, y: tagOf[i] },
    m: [[tagOf[i], BigInt(i)]],
  }))
  assert.deepEqual(got, want)

  const err = await DeltaTable.open('s3://delta-ts-no-sdk/table').catch((e) => e)
  assert.ok(err instanceof DeltaError, 'opening s3:// without the SDK: ' + err)
  assert.equal(err.code, 'MISSING_DEPENDENCY', String(err))
  assert.match(err.message, /npm i @aws-sdk\\/client-s3/)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
console.log('ok')
`

const esmScript = `import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import * as same from 'apache-arrow'
import { DeltaError, DeltaTable } from 'delta-ts'
const other = createRequire(import.meta.url)('apache-arrow')
${scenario}`

const cjsScript = `const assert = require('node:assert/strict')
const { mkdtempSync, rmSync } = require('node:fs')
const { tmpdir } = require('node:os')
const path = require('node:path')
const same = require('apache-arrow')
const { DeltaError, DeltaTable } = require('delta-ts')
;(async () => {
const other = await import('apache-arrow')
${scenario}
})().catch((err) => { console.error(err); process.exit(1) })`

/**
 * Runs the scenario for each version in `versions` in a fresh project under `work`, installing `tarball`.
 * `step(name, fn)` reports and times each part (pack-smoke's reporter).
 */
export function checkArrowCopies({ tarball, work, step, versions = ARROW_VERSIONS, ignorePeerRange = false }) {
  for (const v of versions) {
    const app = path.join(work, `arrow-${v}`)
    step(`npm install the tarball beside apache-arrow@${v} (no AWS SDK)`, () => {
      freshNpmProject(app, [tarball, `apache-arrow@${v}`], ignorePeerRange ? ['--legacy-peer-deps'] : [])
      if (readdirSync(path.join(app, 'node_modules')).includes('@aws-sdk')) throw new Error('npm installed the AWS SDK')
    })
    for (const [file, code] of [
      ['arrow-copies.mjs', esmScript],
      ['arrow-copies.cjs', cjsScript],
    ]) {
      step(
        `apache-arrow@${v}: ${file} writes, merges, reads with both apache-arrow instances; s3:// without the SDK`,
        () => {
          writeFileSync(path.join(app, file), code)
          run(process.execPath, [file], { cwd: app, env: { NODE_OPTIONS: '' } })
        },
      )
    }
  }
}

// Alone: pack the built package and run the check.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2)
  const versions =
    args
      .find((a) => a.startsWith('--arrow-versions='))
      ?.split('=')[1]
      .split(',') ?? ARROW_VERSIONS
  const work = mkdtempSync(path.join(tmpdir(), 'delta-ts-pack-arrow-'))
  let failed = false
  const step = (name, fn) => {
    const t0 = performance.now()
    try {
      fn()
      process.stdout.write(`ok    ${name} (${((performance.now() - t0) / 1000).toFixed(1)}s)\n`)
    } catch (err) {
      process.stdout.write(`FAIL  ${name} (${((performance.now() - t0) / 1000).toFixed(1)}s)\n`)
      process.stderr.write(
        `${err.stdout ?? ''}${err.stderr ?? ''}${err.stdout || err.stderr ? '' : (err.stack ?? err)}\n`,
      )
      failed = true
    }
  }
  run('pnpm', ['pack', '--pack-destination', work], { cwd: path.join(root, 'packages/delta-ts') })
  const tarball = path.join(
    work,
    readdirSync(work).find((f) => f.endsWith('.tgz')),
  )
  // --ignore-peer-range installs versions outside the peer range too (how the bounds were probed).
  checkArrowCopies({ tarball, work, step, versions, ignorePeerRange: args.includes('--ignore-peer-range') })
  if (args.includes('--keep')) process.stdout.write(`kept ${work}\n`)
  else rmSync(work, { recursive: true, force: true })
  process.exit(failed ? 1 : 0)
}
