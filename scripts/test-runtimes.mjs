#!/usr/bin/env node
// `pnpm test:runtimes`: the same read/write script under Node, Deno, Bun, headless Chromium and workerd
// (packages/delta-ts/test/runtimes/). Installs what it needs first, printing how long each install took:
//   - Deno, Bun, workerd, esbuild and playwright-core from npm, pinned, into .tmp/runtimes-tools (kept outside
//     the workspace so `pnpm install` does not fetch ~400 MB of runtimes for everyone); skipped when current;
//   - Debian's chromium when /usr/bin/chromium is missing (apt-get; CI runs as root);
//   - the Python venv with moto (scripts/ensure-venv.sh);
//   - the delta-ts build when dist/ is missing or older than src/ (the runtimes run the built package).
// Then runs the vitest suite and ends with one plain summary line. Extra arguments go to vitest.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const tools = path.join(root, '.tmp', 'runtimes-tools')
const TOOLS = {
  bun: '1.4.4',
  deno: '2.9.6',
  esbuild: '0.28.2',
  'playwright-core': '1.65.1',
  workerd: '1.20261117.1',
}
const BINS = ['bun', 'deno', 'esbuild', 'workerd']

const run = (cmd, args, opts = {}) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts })
function timed(name, fn) {
  const t0 = performance.now()
  const ok = fn()
  process.stdout.write(
    `test:runtimes: ${name} ${ok ? 'done' : 'FAILED'} in ${((performance.now() - t0) / 1000).toFixed(1)}s\n`,
  )
  if (!ok) process.exit(1)
}

// 1. The runtimes from npm.
const manifest = JSON.stringify({ name: 'delta-ts-runtimes-tools', private: true, dependencies: TOOLS }, null, 2)
const current =
  existsSync(path.join(tools, 'package.json')) &&
  readFileSync(path.join(tools, 'package.json'), 'utf8') === manifest &&
  BINS.every((b) => existsSync(path.join(tools, 'node_modules', '.bin', b))) &&
  existsSync(path.join(tools, 'node_modules', 'playwright-core', 'package.json'))
if (current) process.stdout.write('test:runtimes: runtimes from npm already installed\n')
else
  timed('npm install of deno, bun, workerd, esbuild, playwright-core', () => {
    mkdirSync(tools, { recursive: true })
    writeFileSync(path.join(tools, 'package.json'), manifest)
    const r = run('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock', '--loglevel=error'], {
      cwd: tools,
    })
    return r.status === 0
  })

// 2. Chromium from Debian (no browser download: playwright-core drives the system one).
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
if (existsSync(chromium)) process.stdout.write(`test:runtimes: ${chromium} present\n`)
else
  timed('apt-get install chromium', () => {
    const sudo = process.getuid?.() === 0 ? [] : ['sudo']
    const apt = (...args) =>
      run(sudo[0] ?? 'apt-get', [...(sudo.length ? ['apt-get'] : []), ...args], {
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      }).status === 0
    return (
      apt('install', '-y', '--no-install-recommends', 'chromium') ||
      (apt('update') && apt('install', '-y', '--no-install-recommends', 'chromium'))
    )
  })

// 3. moto.
timed('python venv (moto)', () => run('bash', ['scripts/ensure-venv.sh']).status === 0)

// 4. The build the runtimes import.
const pkg = path.join(root, 'packages', 'delta-ts')
const newest = (dir) =>
  readdirSync(dir, { withFileTypes: true }).reduce((m, e) => {
    const p = path.join(dir, e.name)
    return Math.max(m, e.isDirectory() ? newest(p) : statSync(p).mtimeMs)
  }, 0)
const built = path.join(pkg, 'dist', 'web', 'index.js')
const stale =
  !existsSync(built) ||
  Math.min(statSync(built).mtimeMs, statSync(path.join(pkg, 'dist', 'index.js')).mtimeMs) <
    Math.max(newest(path.join(pkg, 'src')), statSync(path.join(pkg, 'package.json')).mtimeMs)
if (stale) timed('build delta-ts', () => run('pnpm', ['--filter', 'delta-ts', 'build']).status === 0)
else process.stdout.write('test:runtimes: delta-ts dist/ is current\n')

// 5. The suite.
mkdirSync(path.join(root, '.tmp'), { recursive: true })
const report = path.join(root, '.tmp', 'vitest-runtimes-report.json')
const vitest = run('pnpm', [
  'exec',
  'vitest',
  'run',
  '--config',
  'packages/delta-ts/test/runtimes/vitest.runtimes.config.ts',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${report}`,
  ...process.argv.slice(2),
])
if (existsSync(report)) {
  const r = JSON.parse(readFileSync(report, 'utf8'))
  process.stdout.write(
    `\nruntimes: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + (r.numTodoTests ?? 0)} skipped\n`,
  )
}
process.exit(vitest.status ?? 1)
