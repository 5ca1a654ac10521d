// One way for the repository's scripts to run a command: synchronously, from the repository root by default, with
// the command line and its output attached to the error when it exits non-zero.
import { spawnSync } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

/** Runs a command, failing with its output when it exits non-zero; returns stdout. */
export function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { encoding: 'utf8', cwd: repoRoot, ...opts, env: { ...process.env, ...opts.env } })
  if (r.status !== 0) {
    const e = new Error(`${cmd} ${argv.join(' ')} exited ${r.status ?? r.signal}`)
    e.stdout = `$ ${cmd} ${argv.join(' ')}\n${r.stdout}`
    e.stderr = r.stderr
    throw e
  }
  return r.stdout
}

/**
 * Makes `app` a fresh, empty npm project and installs `packages` (tarballs or `name@version`) into it, quietly,
 * with the repository's shared npm cache (.tmp/npm-cache), so repeated runs install offline. `flags` go to npm.
 */
export function freshNpmProject(app, packages, flags = []) {
  rmSync(app, { recursive: true, force: true })
  mkdirSync(app, { recursive: true })
  writeFileSync(
    path.join(app, 'package.json'),
    JSON.stringify({ name: path.basename(app), private: true, version: '0.0.0' }),
  )
  run(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      '--prefer-offline',
      `--cache=${path.join(repoRoot, '.tmp/npm-cache')}`,
      ...flags,
      ...packages,
    ],
    { cwd: app },
  )
}
