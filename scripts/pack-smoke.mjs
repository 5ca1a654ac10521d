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
//  5. scripts/pack-smoke-arrow.mjs: the tarball beside apache-arrow at the oldest, a middle and the newest version
//     of its peer range, without the AWS SDK (an optional peer dependency), from ESM and CJS, mixing both
//     apache-arrow instances.
//
// Prints one line per step with its time; exits non-zero on the first failure. `--keep` keeps the temp project.
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { checkArrowCopies } from './pack-smoke-arrow.mjs'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
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

/** Runs a command, failing with its output when it exits non-zero; returns stdout. */
function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { encoding: 'utf8', cwd: root, ...opts, env: { ...process.env, ...opts.env } })
  if (r.status !== 0) {
    const e = new Error(`${cmd} ${argv.join(' ')} exited ${r.status ?? r.signal}`)
    e.stdout = `$ ${cmd} ${argv.join(' ')}\n${r.stdout}`
    e.stderr = r.stderr
    throw e
  }
  return r.stdout
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
step('attw (node16 + bundler)', () => run('pnpm', ['exec', 'attw', '--pack', pkgDir, '--profile', 'node16']))

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
  rmSync(app, { recursive: true, force: true })
  execFileSync('mkdir', ['-p', app])
  writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'smoke-app', private: true, version: '0.0.0' }))
  // apache-arrow beside delta-ts, as the README's install line says (a peer dependency), and the AWS SDK (an
  // optional peer dependency) for the delta-ts/s3 checks below.
  run(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      '--prefer-offline',
      `--cache=${path.join(root, '.tmp/npm-cache')}`,
      tarball,
      'apache-arrow@21.2.0',
      '@aws-sdk/client-s3@3.1169.0',
    ],
    { cwd: app },
  )
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

// The peer range of apache-arrow, both module systems, no AWS SDK (scripts/pack-smoke-arrow.mjs).
checkArrowCopies({ tarball, work, step })

if (args.has('--keep')) process.stdout.write(`kept ${work}\n`)
else rmSync(work, { recursive: true, force: true })
process.stdout.write('check:package passed\n')
