#!/usr/bin/env node
// Part of `pnpm version-packages`: after `changeset version` bumped packages/delta-ts/package.json, writes the
// same version into packages/delta-ts/src/version.ts (DELTA_TS_VERSION, recorded in every commit's engineInfo;
// a test checks the two agree). Prints the version; exits non-zero when package.json has none.
import { readFileSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'

const pkgDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../packages/delta-ts')
const { version } = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8'))
if (typeof version !== 'string' || !/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(version)) {
  process.stderr.write(`sync-version: packages/delta-ts/package.json has no valid version (${String(version)})\n`)
  process.exit(1)
}
const file = path.join(pkgDir, 'src/version.ts')
const before = readFileSync(file, 'utf8')
const after = before.replace(/export const DELTA_TS_VERSION = '[^']*'/, `export const DELTA_TS_VERSION = '${version}'`)
if (!after.includes(`'${version}'`)) {
  process.stderr.write(`sync-version: no DELTA_TS_VERSION constant found in ${file}\n`)
  process.exit(1)
}
writeFileSync(file, after)
process.stdout.write(`delta-ts ${version}\n`)
