#!/usr/bin/env node
// The README's test command (`pnpm test`): sets up what the suites need (the Python venv with moto and
// deltalake), runs every vitest project (the S3 server is started and stopped by the delta-ts globalSetup),
// and ends with one plain summary line. Extra arguments go to vitest (e.g. `pnpm test packages/delta-ts`).
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const run = (cmd, args, opts = {}) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts })

const venv = run('bash', ['scripts/ensure-venv.sh'])
if (venv.status !== 0) {
  process.stderr.write('test setup failed: could not prepare the Python venv (scripts/ensure-venv.sh)\n')
  process.exit(venv.status ?? 1)
}
mkdirSync(path.join(root, '.tmp'), { recursive: true })
const report = path.join(root, '.tmp', 'vitest-report.json')
const vitest = run('pnpm', [
  'exec',
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${report}`,
  ...process.argv.slice(2),
])
if (existsSync(report)) {
  const r = JSON.parse(readFileSync(report, 'utf8'))
  process.stdout.write(
    `\nvitest: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + (r.numTodoTests ?? 0)} skipped\n`,
  )
}
process.exit(vitest.status ?? 1)
