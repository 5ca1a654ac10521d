#!/usr/bin/env node
// `pnpm examples`: runs every examples/*.mjs from the TypeScript sources (tsx with the `source` export
// condition, so no build is needed), one after another, each with a time limit. Prints one line per example
// with its time and exits non-zero if any fails (its output is shown). Pass names to run a subset:
// `pnpm examples time-travel upsert`.
//
// `testing` (one more name, run with the others) runs the test examples of docs/testing.md in
// examples/testing/: the node:test file with `node --test` and the vitest file with `vitest run` (see
// runTestingExamples).
//
// The S3 example needs the moto server from the Python venv; this script prepares the venv first
// (scripts/ensure-venv.sh is a no-op when it is current) unless DELTA_TS_S3_ENDPOINT points at a server.
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const examplesDir = path.join(root, 'examples')
const only = process.argv.slice(2).map((n) => n.replace(/\.mjs$/, ''))
const all = readdirSync(examplesDir)
  .filter((f) => f.endsWith('.mjs') && !f.startsWith('_'))
  .sort()
const selected = only.length > 0 ? all.filter((f) => only.includes(f.replace(/\.mjs$/, ''))) : all
const withTesting = only.length === 0 || only.includes('testing')
if (selected.length === 0 && !withTesting) {
  process.stderr.write(`no example matches ${only.join(', ')} (have: ${all.join(', ')})\n`)
  process.exit(2)
}

if (selected.includes('s3.mjs') && !process.env.DELTA_TS_S3_ENDPOINT) {
  const venv = spawnSync('bash', [path.join(root, 'scripts/ensure-venv.sh')], { stdio: 'inherit' })
  if (venv.status !== 0) {
    process.stderr.write('examples: could not prepare the Python venv for the S3 example (scripts/ensure-venv.sh)\n')
    process.exit(1)
  }
}

const TIMEOUT_MS = 180_000
let failed = 0
for (const file of selected) {
  const t0 = performance.now()
  // cwd examples/: `delta-ts` and `apache-arrow` resolve through the examples workspace package.
  const r = spawnSync('pnpm', ['exec', 'tsx', '--conditions=source', file], {
    cwd: examplesDir,
    encoding: 'utf8',
    timeout: TIMEOUT_MS,
  })
  const secs = ((performance.now() - t0) / 1000).toFixed(1)
  if (r.status === 0) {
    process.stdout.write(`ok    ${file} (${secs}s)\n`)
  } else {
    failed++
    const why = r.error ? String(r.error) : r.signal ? `signal ${r.signal}` : `exit ${r.status}`
    process.stdout.write(`FAIL  ${file} (${secs}s, ${why})\n${r.stdout}${r.stderr}\n`)
  }
}
/**
 * The docs/testing.md examples: real test files, run by their test runners from the TypeScript sources (the
 * `source` condition). Returns how many runs failed.
 */
function runTestingExamples() {
  const runs = [
    [
      'testing/*.node.test.mjs (node --test)',
      ['exec', 'tsx', '--conditions=source', '--test', 'testing/orders-job.node.test.mjs'],
    ],
    ['testing/*.vitest.test.mjs (vitest run)', ['exec', 'vitest', 'run', '--config', 'testing/vitest.config.mjs']],
  ]
  let bad = 0
  for (const [name, argv] of runs) {
    const t0 = performance.now()
    const r = spawnSync('pnpm', argv, {
      cwd: examplesDir,
      encoding: 'utf8',
      timeout: TIMEOUT_MS,
      env: { ...process.env, CI: 'true' },
    })
    const secs = ((performance.now() - t0) / 1000).toFixed(1)
    if (r.status === 0) process.stdout.write(`ok    ${name} (${secs}s)\n`)
    else {
      bad++
      const why = r.error ? String(r.error) : r.signal ? `signal ${r.signal}` : `exit ${r.status}`
      process.stdout.write(`FAIL  ${name} (${secs}s, ${why})\n${r.stdout}${r.stderr}\n`)
    }
  }
  return bad
}

let total = selected.length
if (withTesting) {
  total += 2
  failed += runTestingExamples()
}
process.stdout.write(`examples: ${total - failed} passed, ${failed} failed\n`)
process.exit(failed === 0 ? 0 : 1)
