/**
 * What a fresh clone needs to test itself: the golden corpus is in the repository (and git keeps every one of
 * its files), and the venv setup says what it is doing while it works.
 */
import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { goldenRoot, goldenTables, repoRoot } from './golden.js'

const vendored = path.join(repoRoot, 'testdata/delta-golden')
const git = (...args: string[]) => spawnSync('git', args, { cwd: repoRoot, encoding: 'utf8' })

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.relative(repoRoot, path.join(d.parentPath, d.name)).split(path.sep).join('/'))
}

describe('the golden corpus is vendored in the repository', () => {
  it('goldenRoot() is testdata/delta-golden inside the repository, with its licences, manifest and README', () => {
    if (!process.env.DELTA_GOLDEN) expect(goldenRoot()).toBe(vendored)
    for (const f of ['MANIFEST.tsv', 'README.md', 'LICENSES']) expect(existsSync(path.join(vendored, f))).toBe(true)
    expect(readdirSync(path.join(vendored, 'LICENSES')).length).toBeGreaterThan(0)
  })

  it('every table of the manifest is in the vendored copy, with its _delta_log unless it must fail to load', () => {
    const tables = goldenTables()
    expect(tables.length).toBe(154)
    const missing = tables
      .filter((t) => !existsSync(t.tableDir) || (!t.mustFail && !existsSync(path.join(t.tableDir, '_delta_log'))))
      .map((t) => t.name)
    expect(missing).toEqual([])
  })

  it('git ignores none of its files (hidden .crc files, _delta_log, .tmp names included)', () => {
    const onDisk = filesUnder(vendored)
    // --no-index: judged by the ignore rules alone, as when the folder is added again; -z keeps paths with
    // spaces, '%' and emoji verbatim. Exit 1 means no path matched.
    const ignored = spawnSync('git', ['check-ignore', '--no-index', '-z', '--stdin'], {
      cwd: repoRoot,
      encoding: 'utf8',
      input: onDisk.join('\0'),
    })
    expect(ignored.status, ignored.stderr).toBe(1)
    expect(ignored.stdout.split('\0').filter(Boolean)).toEqual([])
    // And every one of them is tracked.
    const tracked = git('ls-files', '-z', '--', 'testdata/delta-golden').stdout.split('\0').filter(Boolean)
    expect(new Set(tracked)).toEqual(new Set(onDisk))
    expect(onDisk.some((f) => /\/\.[^/]+\.crc$/.test(f))).toBe(true)
    expect(onDisk.some((f) => f.includes('/_delta_log/'))).toBe(true)
  })
})

describe('scripts/ensure-venv.sh', () => {
  // A copy of the script in a scratch "repository" with a requirements file that installs nothing: the real
  // python3 -m venv and pip run, in a few seconds instead of the minutes of the real requirements.
  const scratch = mkdtempSync(path.join(tmpdir(), 'ensure-venv-'))
  afterAll(() => rmSync(scratch, { recursive: true, force: true }))
  mkdirSync(path.join(scratch, 'scripts'))
  copyFileSync(path.join(repoRoot, 'scripts/ensure-venv.sh'), path.join(scratch, 'scripts/ensure-venv.sh'))
  const run = () => spawnSync('bash', [path.join(scratch, 'scripts/ensure-venv.sh')], { encoding: 'utf8' })

  it('says before and after creating the venv what it does and how long it took, then stays silent', () => {
    writeFileSync(path.join(scratch, 'requirements-dev.txt'), '# nothing to install\n')
    const first = run()
    expect(first.status, first.stderr).toBe(0)
    const lines = first.stderr.trim().split('\n')
    expect(lines[0]).toMatch(/^ensure-venv: creating \.venv .*requirements-dev\.txt/)
    expect(lines.at(-1)).toMatch(/^ensure-venv: \.venv ready in \d+s$/)
    expect(existsSync(path.join(scratch, '.venv/bin/python'))).toBe(true)

    const again = run()
    expect(again.status).toBe(0)
    expect(again.stderr).toBe('')
  })

  it('says it is updating the venv when requirements-dev.txt changed', () => {
    writeFileSync(path.join(scratch, 'requirements-dev.txt'), '# nothing to install, edited\n')
    const r = run()
    expect(r.status, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/^ensure-venv: updating \.venv/)
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(/^ensure-venv: \.venv ready in \d+s$/)
  })

  it('says what it waits for while another process holds the lock', () => {
    writeFileSync(path.join(scratch, 'requirements-dev.txt'), '# nothing to install, edited again\n')
    mkdirSync(path.join(scratch, '.venv.lock'))
    const child = spawnSync(
      'bash',
      ['-c', `(sleep 2; rmdir '${scratch}/.venv.lock') & bash '${scratch}/scripts/ensure-venv.sh'`],
      {
        encoding: 'utf8',
      },
    )
    expect(child.status, child.stderr).toBe(0)
    const lines = child.stderr.trim().split('\n')
    expect(lines[0]).toMatch(/^ensure-venv: another process is preparing \.venv; waiting/)
    expect(lines.at(-1)).toMatch(/^ensure-venv: \.venv ready in \d+s$/)
  })
})
