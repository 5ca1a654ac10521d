/**
 * The release pipeline's versioning step, run for real: `pnpm run version-packages` (changesets 3 through
 * scripts/changeset.mjs, then scripts/sync-version.mjs) on a throwaway copy of the repository's release files
 * with one changeset. It must bump packages/delta-ts/package.json, write the changelog entry below the policy
 * text and above the previous version, set DELTA_TS_VERSION to match, and consume the changeset.
 */
import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { repoRoot } from './golden.js'

const tmp = mkdtempSync(path.join(tmpdir(), 'delta-ts-release-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

const FILES = [
  'package.json',
  'pnpm-workspace.yaml',
  '.changeset/config.json',
  'scripts/changeset.mjs',
  'scripts/sync-version.mjs',
  'packages/delta-ts/package.json',
  'packages/delta-ts/CHANGELOG.md',
  'packages/delta-ts/src/version.ts',
]

function bumpMinor(v: string): string {
  const [major, minor] = v.split('.').map(Number)
  return `${major}.${minor + 1}.0`
}

describe('version-packages', () => {
  it('turns a changeset into the next delta-ts version: package.json, CHANGELOG entry and DELTA_TS_VERSION agree', () => {
    for (const f of FILES) {
      mkdirSync(path.dirname(path.join(tmp, f)), { recursive: true })
      cpSync(path.join(repoRoot, f), path.join(tmp, f))
    }
    symlinkSync(path.join(repoRoot, 'node_modules'), path.join(tmp, 'node_modules'))
    const before = JSON.parse(readFileSync(path.join(tmp, 'packages/delta-ts/package.json'), 'utf8')).version as string
    writeFileSync(
      path.join(tmp, '.changeset/test-feature.md'),
      '---\n"delta-ts": minor\n---\n\nA feature written by the release test.\n',
    )
    const git = (...args: string[]) => execFileSync('git', args, { cwd: tmp, stdio: 'pipe' })
    git('init', '-q', '-b', 'main')
    git('add', '-A')
    git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', 'release test')

    execFileSync('node', ['scripts/changeset.mjs', 'version'], { cwd: tmp, stdio: 'pipe' })
    const printed = execFileSync('node', ['scripts/sync-version.mjs'], { cwd: tmp, encoding: 'utf8' })

    const next = bumpMinor(before)
    expect(printed).toBe(`delta-ts ${next}\n`)
    expect(JSON.parse(readFileSync(path.join(tmp, 'packages/delta-ts/package.json'), 'utf8')).version).toBe(next)
    expect(readFileSync(path.join(tmp, 'packages/delta-ts/src/version.ts'), 'utf8')).toContain(
      `export const DELTA_TS_VERSION = '${next}'`,
    )
    const changelog = readFileSync(path.join(tmp, 'packages/delta-ts/CHANGELOG.md'), 'utf8')
    const policy = changelog.indexOf('Unreleased changes wait as changesets')
    const entry = changelog.indexOf(`## ${next}\n`)
    const previous = changelog.indexOf(`## ${before}\n`)
    expect(policy).toBeGreaterThan(0)
    expect(entry).toBeGreaterThan(policy)
    expect(previous).toBeGreaterThan(entry)
    expect(changelog.slice(entry, previous)).toMatch(
      /### Minor Changes\n\n- [0-9a-f]{7}: A feature written by the release test\./,
    )
    expect(existsSync(path.join(tmp, '.changeset/test-feature.md'))).toBe(false)
  })
})
