#!/usr/bin/env node
// `pnpm check:package`: proves the delta-ts npm package works the way a user gets it.
//
//  1. builds packages/delta-ts (tsup: ESM, CJS, declarations, bin), unless --no-build;
//  2. publint --strict and @arethetypeswrong/cli (node16 and bundler resolution; node10 is below engines);
//  3. packs the package with `pnpm pack` and installs the tarball with npm into a fresh project in the OS temp
//     directory, outside the workspace (so nothing resolves through pnpm links or the `source` condition);
//  4. there, runs the README's ESM and CJS examples (the code blocks after `<!-- pack-smoke:esm -->` and
//     `<!-- pack-smoke:cjs -->` in packages/delta-ts/README.md), checks that `delta-ts` loads without the AWS
//     SDK, that `delta-ts/s3` throws the main entry's DeltaError in both module systems, and runs the
//     `delta-ts` bin on the table the README example created;
//  5. `delta-ts/testing` (see checkTestingEntry): the tarball holds its builds and the sample tables, and from
//     ESM and CJS it creates, reads and asserts tables, injects an ambiguous commit that an idempotent retry
//     resolves, copies every sample table, and shares DeltaError/DeltaTable with the main entry;
//     `delta-ts/testing/vitest` resolves and, with vitest absent, fails naming vitest (an optional peer);
//  6. `npm publish --dry-run` of the packed tarball (checkPublishDryRun): what a release would upload, checked
//     offline (`--offline`, and the registry pointed at an unreachable local address: a dry run needs no login).
//  7. scripts/pack-smoke-arrow.mjs: the tarball beside apache-arrow at the oldest, a middle and the newest version
//     of its peer range, without the AWS SDK (an optional peer dependency), from ESM and CJS, mixing both
//     apache-arrow instances.
//
// Prints one line per step with its time; exits non-zero on the first failure. `--keep` keeps the temp project.
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { checkArrowCopies } from './pack-smoke-arrow.mjs'
import { freshNpmProject, repoRoot, run } from './run-command.mjs'

const root = repoRoot
const pkgDir = path.join(root, 'packages/delta-ts')
const args = new Set(process.argv.slice(2))

function step(name, fn) {
  const t0 = performance.now()
  try {
    const r = fn()
    process.stdout.write(`ok    ${name} (${((performance.now() - t0) / 1000).toFixed(1)}s)\n`)
    return r
  } catch (err) {
    process.stdout.write(`FAIL  ${name} (${((performance.now() - t0) / 1000).toFixed(1)}s)\n`)
    process.stderr.write(
      `${err.stdout ?? ''}${err.stderr ?? ''}${err.stdout || err.stderr ? '' : (err.stack ?? err)}\n`,
    )
    process.exit(1)
  }
}

/** The code block that follows `<!-- pack-smoke:<kind> -->` in the package README. */
function readmeBlock(kind) {
  const readme = readFileSync(path.join(pkgDir, 'README.md'), 'utf8')
  const m = new RegExp(`<!-- pack-smoke:${kind} -->\\s*\`\`\`[a-z]*\\n([\\s\\S]*?)\`\`\``).exec(readme)
  if (!m) throw new Error(`packages/delta-ts/README.md has no code block after <!-- pack-smoke:${kind} -->`)
  return m[1]
}

if (!args.has('--no-build')) step('build delta-ts (tsup)', () => run('pnpm', ['--filter', 'delta-ts', 'build']))
step('publint --strict', () => run('pnpm', ['exec', 'publint', '--strict', pkgDir]))
// ./decode-worker.js is a Web Worker script (new Worker(url)), not a module anyone imports: it has no types.
step('attw (node16 + bundler)', () =>
  run('pnpm', ['exec', 'attw', '--pack', pkgDir, '--profile', 'node16', '--exclude-entrypoints', './decode-worker.js']),
)

const work = mkdtempSync(path.join(tmpdir(), 'delta-ts-pack-smoke-'))
const tarball = step('pnpm pack', () => {
  run('pnpm', ['pack', '--pack-destination', work], { cwd: pkgDir })
  const tgz = readdirSync(work).find((f) => f.endsWith('.tgz'))
  if (!tgz) throw new Error(`pnpm pack wrote no .tgz into ${work}`)
  const listing = execFileSync('tar', ['-tzf', path.join(work, tgz)], { encoding: 'utf8' })
  for (const must of [
    'package/dist/index.js',
    'package/dist/index.cjs',
    'package/dist/index.d.ts',
    'package/dist/index.d.cts',
    'package/dist/s3.js',
    'package/dist/cli.js',
    'package/README.md',
    'package/LICENSE',
  ]) {
    if (!listing.includes(must)) throw new Error(`tarball lacks ${must}`)
  }
  if (/\.test\.ts$/m.test(listing)) throw new Error('tarball contains test files')
  return path.join(work, tgz)
})

const app = path.join(work, 'app')
step(`npm install the tarball into ${app}`, () => {
  // apache-arrow beside delta-ts, as the README's install line says (a peer dependency), and the AWS SDK (an
  // optional peer dependency) for the delta-ts/s3 checks below.
  freshNpmProject(app, [tarball, 'apache-arrow@21.2.0', '@aws-sdk/client-s3@3.1169.0'])
})

const node = (file, code) => {
  writeFileSync(path.join(app, file), code)
  return run(process.execPath, [file], { cwd: app, env: { NODE_OPTIONS: '' } })
}

step('README example (ESM) runs from the installed package', () => node('readme.mjs', readmeBlock('esm')))
const tableDir = path.join(app, 'lakehouse/events') // where the README example creates its table
step('README example (CommonJS) runs from the installed package', () => node('readme.cjs', readmeBlock('cjs')))

step('require("delta-ts") loads without the AWS SDK; require("delta-ts/s3") throws the same DeltaError', () =>
  node(
    'cjs-check.cjs',
    `const assert = require('node:assert')
const d = require('delta-ts')
assert.equal(typeof d.DeltaTable.open, 'function')
assert.ok(!Object.keys(require.cache).some((k) => k.includes('@aws-sdk')), 'delta-ts loaded @aws-sdk eagerly')
const { S3Storage } = require('delta-ts/s3')
const s = new S3Storage('s3://bucket/table', { region: 'us-east-1', conditionalWrites: false })
s.put('_delta_log/00000000000000000000.json', new Uint8Array(1), { overwrite: false }).then(
  () => { throw new Error('put-if-absent without conditional writes must fail') },
  (err) => { assert.ok(err instanceof d.DeltaError, 'S3 error is not the main entry DeltaError'); assert.equal(err.code, 'UNSAFE_COMMIT') },
)
`,
  ),
)
step('import("delta-ts") and import("delta-ts/s3") share DeltaError (ESM)', () =>
  node(
    'esm-check.mjs',
    `import assert from 'node:assert'
import { DeltaError, DeltaTable, isDeltaError } from 'delta-ts'
import { S3Storage } from 'delta-ts/s3'
assert.equal(typeof DeltaTable.create, 'function')
const s = new S3Storage('s3://bucket/table', { region: 'us-east-1', conditionalWrites: false })
const err = await s.put('_delta_log/00000000000000000000.json', new Uint8Array(1), { overwrite: false }).catch((e) => e)
assert.ok(err instanceof DeltaError && isDeltaError(err, 'UNSAFE_COMMIT'), String(err))
`,
  ),
)
step('delta-ts bin: describe --json on the README table', () => {
  const out = JSON.parse(
    run(path.join(app, 'node_modules/.bin/delta-ts'), ['describe', tableDir, '--json'], { cwd: app }),
  )
  if (typeof out.version !== 'number') throw new Error(`unexpected describe output ${JSON.stringify(out)}`)
  const bad = spawnSync(path.join(app, 'node_modules/.bin/delta-ts'), ['history', work], { encoding: 'utf8' })
  if (bad.status !== 1 || !bad.stderr.includes('TABLE_NOT_FOUND'))
    throw new Error(`bin on a non-table: ${bad.status} ${bad.stderr}`)
})

/** The code both module systems run against `delta-ts/testing` (`mod` is the testing entry, `main` delta-ts). */
const TESTING_SCRIPT = `
const dir = path.join(process.cwd(), 'testing-' + KIND)
fs.rmSync(dir, { recursive: true, force: true })
const table = await t.createTestTable(path.join(dir, 'orders'), [
  { id: 9007199254740993n, total: '12.50', at: new Date('2024-05-01T10:00:00Z'), tags: ['a'] },
  { id: 2n, total: '3', at: null, tags: [] },
], { schema: { type: 'struct', fields: [
  { name: 'id', type: 'long', nullable: false, metadata: {} },
  { name: 'total', type: 'decimal(10,2)', nullable: true, metadata: {} },
  { name: 'at', type: 'timestamp', nullable: true, metadata: {} },
  { name: 'tags', type: { type: 'array', elementType: 'string', containsNull: true }, nullable: true, metadata: {} },
] } })
assert.ok(table instanceof main.DeltaTable, 'createTestTable returned another copy of DeltaTable')
assert.deepStrictEqual(await t.readRows(table, { orderBy: 'id' }), [
  { id: '2', total: '3.00', at: null, tags: [] },
  { id: '9007199254740993', total: '12.50', at: '2024-05-01T10:00:00.000000Z', tags: ['a'] },
])
await t.assertRows(table, [{ id: 2n, total: '3', at: null, tags: [] }, { id: '9007199254740993', total: 12.5, at: new Date('2024-05-01T10:00:00Z'), tags: ['a'] }])
const failed = await t.assertRows(table, [{ id: 1n }], { columns: ['id'] }).then(() => null, (e) => e)
assert.ok(failed instanceof assert.AssertionError && /unexpected rows/.test(failed.message), String(failed))

const inner = new main.MemoryStorage('memory://smoke-' + KIND + '/')
const faulty = new t.FaultyStorage(inner)
const mem = await t.createTestTable(inner.rootUri, [{ id: 1n }], { storage: faulty })
const batch = t.rowsToArrow([{ id: 2n }], (await mem.snapshot()).schema)
// A commit put that fails before reaching the store: the main entry's DeltaError, nothing committed.
faulty.fail({ op: 'put', path: t.COMMIT_FILE })
const refused = await mem.write(batch, { txn: { appId: 'smoke', version: 1 } }).then(() => null, (e) => e)
assert.ok(refused instanceof main.DeltaError && refused.code === 'STORAGE_TRANSIENT', 'injected error is not the main DeltaError')
// A lost response after the commit landed: delta-ts reads the version back and reports success, once.
faulty.dropResponse({ op: 'put', path: t.COMMIT_FILE })
const landed = await mem.write(batch, { txn: { appId: 'smoke', version: 1 } })
assert.equal(landed.version, 2, 'the ambiguous commit was not recognised as ours')
const retry = await mem.write(batch, { txn: { appId: 'smoke', version: 1 } })
assert.ok(retry.skipped, 'the idempotent retry did not find its own commit')
await t.assertRows(mem, [{ id: 1n }, { id: 2n }])

for (const s of t.SAMPLE_TABLES) {
  const copy = await t.copySampleTable(s.name, path.join(dir, s.name))
  const rows = await t.readRows(copy)
  assert.ok(rows.length > 0, 'sample ' + s.name + ' read no rows')
}
assert.equal(typeof require_resolve('delta-ts/testing/vitest'), 'string')
`

/** The tarball ships the testing entries and the sample tables; both module systems use them (see header). */
function checkTestingEntry(tarball) {
  step('tarball holds delta-ts/testing and its sample tables', () => {
    const listing = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' })
    for (const must of [
      'package/dist/testing.js',
      'package/dist/testing.cjs',
      'package/dist/testing.d.ts',
      'package/dist/testing.d.cts',
      'package/dist/testing/vitest.js',
      'package/dist/testing/vitest.cjs',
      'package/sample-tables/NOTICE.md',
      'package/sample-tables/partitioned/_delta_log/00000000000000000000.json',
      'package/sample-tables/deletion-vectors/_delta_log/00000000000000000001.json',
      'package/sample-tables/column-mapping/_delta_log/00000000000000000000.json',
    ]) {
      if (!listing.includes(must)) throw new Error(`tarball lacks ${must}`)
    }
  })
  step('delta-ts/testing works from ESM (tables, rows, assertions, faults, samples)', () =>
    node(
      'testing-check.mjs',
      `import assert from 'node:assert'
import fs from 'node:fs'
import path from 'node:path'
import { createRequire } from 'node:module'
import * as main from 'delta-ts'
import * as t from 'delta-ts/testing'
const KIND = 'esm'
const require_resolve = (id) => createRequire(import.meta.url).resolve(id)
${TESTING_SCRIPT}
const viaVitest = await import('delta-ts/testing/vitest').then(() => 'loaded', (e) => e)
assert.ok(viaVitest instanceof Error && /vitest/.test(viaVitest.message), 'delta-ts/testing/vitest without vitest: ' + viaVitest)
`,
    ),
  )
  step('delta-ts/testing works from CommonJS (same checks)', () =>
    node(
      'testing-check.cjs',
      `const assert = require('node:assert')
const fs = require('node:fs')
const path = require('node:path')
const main = require('delta-ts')
const t = require('delta-ts/testing')
const KIND = 'cjs'
const require_resolve = (id) => require.resolve(id)
;(async () => {
${TESTING_SCRIPT}
  assert.throws(() => require('delta-ts/testing/vitest'), /vitest/)
})().catch((e) => { console.error(e); process.exit(1) })
`,
    ),
  )
}

/** `npm publish --dry-run` of the packed tarball: a release cannot ship a tarball npm would reject. */
function checkPublishDryRun(tarball) {
  step('npm publish --dry-run of the tarball (offline)', () => {
    const out = run(
      'npm',
      ['publish', '--dry-run', '--json', '--offline', tarball, '--registry=http://127.0.0.1:9/', '--loglevel=error'],
      { cwd: work },
    )
    const report = JSON.parse(out)
    const r = report['delta-ts'] ?? report
    const pkg = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8'))
    if (r.name !== 'delta-ts' || r.version !== pkg.version)
      throw new Error(`dry run would publish ${r.name}@${r.version}, expected delta-ts@${pkg.version}`)
    const files = new Set(r.files.map((f) => f.path))
    for (const must of ['dist/index.js', 'dist/testing.js', 'dist/testing/vitest.js', 'dist/cli.js', 'LICENSE']) {
      if (!files.has(must)) throw new Error(`npm publish would not upload ${must}`)
    }
  })
}

checkTestingEntry(tarball)
checkPublishDryRun(tarball)

// The peer range of apache-arrow, both module systems, no AWS SDK (scripts/pack-smoke-arrow.mjs).
checkArrowCopies({ tarball, work, step })

if (args.has('--keep')) process.stdout.write(`kept ${work}\n`)
else rmSync(work, { recursive: true, force: true })
process.stdout.write('check:package passed\n')
