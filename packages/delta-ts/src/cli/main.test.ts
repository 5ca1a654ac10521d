import { spawnSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3'
import * as arrow from 'apache-arrow'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { goldenTables } from '../../test/golden.js'
import { DeltaTable } from '../index.js'
import { DELTA_TS_VERSION } from '../version.js'
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, runCli } from './main.js'

/** Runs the CLI in-process and collects what it wrote. */
async function cli(...argv: string[]) {
  let stdout = ''
  let stderr = ''
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) })
  return { code, stdout, stderr }
}

const golden = (name: string) => {
  const t = goldenTables().find((g) => g.name === name)
  if (!t) throw new Error(`golden table ${name} missing from MANIFEST.tsv`)
  return t
}

describe('delta-ts describe', () => {
  const t = golden('dat/basic_partitioned')

  it('describes the latest version of a Spark table as JSON matching the manifest', async () => {
    const r = await cli('describe', t.tableDir, '--json')
    expect(r.code).toBe(EXIT_OK)
    const d = JSON.parse(r.stdout)
    expect(d.version).toBe(t.latestVersion)
    expect(d.numFiles).toBe(t.activeFiles)
    expect(d.numRecords).toBe(t.liveRows)
    expect(d.partitionColumns).toEqual(['letter'])
    expect(d.protocol).toEqual({
      minReaderVersion: 1,
      minWriterVersion: 2,
      readerFeatures: [],
      writerFeatures: ['appendOnly', 'invariants'],
    })
    expect(d.schema.map((f: { name: string; type: string }) => `${f.name}:${f.type}`)).toEqual([
      'letter:string',
      'number:long',
      'a_float:double',
    ])
  })

  it('prints a text summary with version, partitions and schema lines', async () => {
    const r = await cli('describe', t.tableDir)
    expect(r.code).toBe(EXIT_OK)
    expect(r.stdout).toMatch(new RegExp(`^version\\s+${t.latestVersion} \\(`, 'm'))
    expect(r.stdout).toMatch(/^partitions\s+letter$/m)
    expect(r.stdout).toMatch(/^ {2}number: long$/m)
  })

  it('time travels with --version to an older snapshot', async () => {
    const r = await cli('describe', t.tableDir, '--version', '0', '--json')
    expect(r.code).toBe(EXIT_OK)
    const d = JSON.parse(r.stdout)
    expect(d.version).toBe(0)
    expect(d.numFiles).toBeLessThan(t.activeFiles ?? 0)
  })

  it('reports deletion vectors and the reader/writer features of a 3/7 table', async () => {
    const dv = golden('kernel-rs-data/table-with-dv-small')
    const d = JSON.parse((await cli('describe', dv.tableDir, '--json')).stdout)
    expect(d.protocol.readerFeatures).toContain('deletionVectors')
    expect(d.filesWithDeletionVectors).toBe(1)
    expect(d.properties['delta.enableDeletionVectors']).toBe('true')
  })
})

describe('delta-ts history', () => {
  const t = golden('dat/basic_partitioned')

  it('lists every commit newest first with its operation', async () => {
    const r = await cli('history', t.tableDir, '--json')
    expect(r.code).toBe(EXIT_OK)
    const h = JSON.parse(r.stdout)
    expect(h.map((e: { version: number }) => e.version)).toEqual([1, 0])
    expect(h[0].operation).toBe('WRITE')
    expect(Number.isNaN(Date.parse(h[0].timestamp))).toBe(false)
  })

  it('keeps only the newest commits with --limit', async () => {
    const r = await cli('history', t.tableDir, '--limit', '1')
    expect(r.code).toBe(EXIT_OK)
    const lines = r.stdout.trim().split('\n')
    expect(lines).toHaveLength(2)
    expect(lines[1]).toMatch(/^1\s+\S+\s+WRITE\s/)
  })
})

describe('delta-ts history timestamps', () => {
  it('a timestamp that history prints selects that same version in describe --timestamp', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'delta-ts-cli-tt-'))
    try {
      const uri = path.join(dir, 't')
      const schema = new arrow.Schema([new arrow.Field('id', new arrow.Int32(), false)])
      const t = await DeltaTable.create(uri, { schema })
      for (let i = 0; i < 3; i++) {
        await t.write(arrow.tableFromArrays({ id: Int32Array.of(i) }))
        await new Promise((r) => setTimeout(r, 3))
      }
      const h = JSON.parse((await cli('history', uri, '--json')).stdout) as { version: number; timestamp: string }[]
      expect(h.map((e) => e.version)).toEqual([3, 2, 1, 0])
      for (const e of h) {
        const r = await cli('describe', uri, '--timestamp', e.timestamp, '--json')
        expect(r.code).toBe(EXIT_OK)
        expect(JSON.parse(r.stdout).version).toBe(e.version)
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('delta-ts files', () => {
  const t = golden('dat/basic_partitioned')

  it('lists the active files with partition values and row counts that add up to the table', async () => {
    const r = await cli('files', t.tableDir, '--json')
    expect(r.code).toBe(EXIT_OK)
    const out = JSON.parse(r.stdout)
    expect(out.version).toBe(t.latestVersion)
    expect(out.files).toHaveLength(t.activeFiles ?? -1)
    expect(out.files.reduce((s: number, f: { numRecords: number }) => s + f.numRecords, 0)).toBe(t.liveRows)
    for (const f of out.files)
      expect(f.path.startsWith(`letter=${f.partitionValues.letter ?? '__HIVE_DEFAULT_PARTITION__'}/`)).toBe(true)
  })

  it('keeps only the files that may match --filter (partition pruning) and says how many of all', async () => {
    const r = await cli('files', t.tableDir, '--filter', "letter = 'a'")
    expect(r.code).toBe(EXIT_OK)
    const lines = r.stdout.trim().split('\n')
    expect(lines.slice(1, -1).every((l) => /\sletter=a\s/.test(l))).toBe(true)
    expect(lines.at(-1)).toBe(`2 file(s) of ${t.activeFiles} may match at version ${t.latestVersion}`)
    const bad = await cli('files', t.tableDir, '--filter', 'letter = ', '--json')
    expect(bad.code).toBe(EXIT_FAILURE)
    expect(JSON.parse(bad.stdout).error.code).toBe('INVALID_PREDICATE')
  })

  it('prints one text line per file plus a total line', async () => {
    const r = await cli('files', t.tableDir, '--version', '0')
    expect(r.code).toBe(EXIT_OK)
    const lines = r.stdout.trim().split('\n')
    expect(lines[0]).toMatch(/^size\s+records\s+dv\s+partition\s+path$/)
    expect(lines.at(-1)).toBe(`${lines.length - 2} file(s) at version 0`)
  })
})

/** A private copy of a golden table for commands that write. */
const scratch: string[] = []
function copyOf(name: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'delta-ts-cli-'))
  scratch.push(dir)
  cpSync(golden(name).tableDir, dir, { recursive: true })
  return dir
}
afterAll(() => {
  for (const d of scratch) rmSync(d, { recursive: true, force: true })
})

describe('delta-ts checkpoint', () => {
  it('writes a parquet checkpoint and _last_checkpoint that the next open reads the same files from', async () => {
    const dir = copyOf('dat/basic_partitioned')
    const before = JSON.parse((await cli('files', dir, '--json')).stdout)
    const r = await cli('checkpoint', dir, '--json')
    expect(r.code).toBe(EXIT_OK)
    const out = JSON.parse(r.stdout)
    expect(out.version).toBe(1)
    expect(out.metrics.numAddFiles).toBe(before.files.length)
    expect(existsSync(path.join(dir, '_delta_log/00000000000000000001.checkpoint.parquet'))).toBe(true)
    expect(JSON.parse(readFileSync(path.join(dir, '_delta_log/_last_checkpoint'), 'utf8')).version).toBe(1)
    const after = JSON.parse((await cli('files', dir, '--json')).stdout)
    const paths = (x: { files: { path: string }[] }) => x.files.map((f) => f.path).sort()
    expect(paths(after)).toEqual(paths(before))
  })

  it('checkpoints an older version with --version and says so in text', async () => {
    const dir = copyOf('dat/basic_partitioned')
    const r = await cli('checkpoint', dir, '--version', '0')
    expect(r.code).toBe(EXIT_OK)
    expect(r.stdout).toMatch(
      /^checkpoint of version 0 written to _delta_log\/00000000000000000000\.checkpoint\.parquet/,
    )
  })
})

describe('delta-ts vacuum', () => {
  const name = 'kernel-rs-golden/basic-with-inserts-updates'

  it('lists the removed data file on --dry-run without deleting, then deletes only it', async () => {
    const dir = copyOf(name)
    const active = JSON.parse((await cli('files', dir, '--json')).stdout).files.map((f: { path: string }) => f.path)
    const dry = await cli('vacuum', dir, '--retention-hours', '0', '--no-retention-check', '--dry-run', '--json')
    expect(dry.code).toBe(EXIT_OK)
    const listed: string[] = JSON.parse(dry.stdout).files
    expect(listed).toHaveLength(1)
    expect(active).not.toContain(listed[0])
    expect(existsSync(path.join(dir, listed[0]))).toBe(true)

    const real = await cli('vacuum', dir, '--retention-hours', '0', '--no-retention-check')
    expect(real.code).toBe(EXIT_OK)
    expect(real.stdout).toBe(`${listed[0]}\ndeleted 1 file(s)\n`)
    expect(existsSync(path.join(dir, listed[0]))).toBe(false)
    for (const f of active) expect(existsSync(path.join(dir, f))).toBe(true)
  })

  it('refuses a retention below the table retention without --no-retention-check (exit 1, INVALID_ARGUMENT)', async () => {
    const dir = copyOf(name)
    const r = await cli('vacuum', dir, '--retention-hours', '1', '--json')
    expect(r.code).toBe(EXIT_FAILURE)
    expect(JSON.parse(r.stdout).error.code).toBe('INVALID_ARGUMENT')
  })

  it('the retention refusal names the command-line flags (--retention-hours, --no-retention-check), not API options', async () => {
    const dir = copyOf(name)
    const r = await cli('vacuum', dir, '--retention-hours', '1')
    expect(r.code).toBe(EXIT_FAILURE)
    expect(r.stderr).toMatch(/--retention-hours 1 is shorter than the table's deleted file retention/)
    expect(r.stderr).toMatch(/pass --no-retention-check to override/)
    expect(r.stderr).not.toMatch(/enforceRetentionDuration|retentionHours/)
  })

  it('deletes nothing under the default 7-day retention when the files are newer', async () => {
    const dir = copyOf(name)
    const r = await cli('vacuum', dir, '--json')
    expect(r.code).toBe(EXIT_OK)
    expect(JSON.parse(r.stdout)).toMatchObject({ metrics: { numFilesDeleted: 0 }, dryRun: false, files: [] })
  })
})

describe('delta-ts optimize', () => {
  it('compacts the two files of partition letter=a into one with --filter and leaves the rows unchanged', async () => {
    const dir = copyOf('dat/basic_partitioned')
    const files = async () =>
      JSON.parse((await cli('files', dir, '--json')).stdout).files as { path: string; numRecords: number }[]
    const before = await files()
    const inA = before.filter((f) => f.path.startsWith('letter=a/'))
    expect(inA).toHaveLength(2)
    const r = await cli('optimize', dir, '--filter', "letter = 'a'", '--json')
    expect(r.code).toBe(EXIT_OK)
    const out = JSON.parse(r.stdout)
    expect([
      out.version,
      out.metrics.numFilesRemoved,
      out.metrics.numFilesAdded,
      out.metrics.partitionsOptimized,
    ]).toEqual([2, 2, 1, 1])
    const after = await files()
    expect(after).toHaveLength(before.length - 1)
    expect(after.filter((f) => f.path.startsWith('letter=a/'))).toHaveLength(1)
    const rows = (fs: { numRecords: number }[]) => fs.reduce((s, f) => s + f.numRecords, 0)
    expect(rows(after)).toBe(rows(before))
    const history = JSON.parse((await cli('history', dir, '--limit', '1', '--json')).stdout)
    expect(history[0].operation).toBe('OPTIMIZE')
  })

  it('reports nothing to compact when every partition has a single file', async () => {
    const dir = copyOf('dat/basic_partitioned')
    expect((await cli('optimize', dir)).code).toBe(EXIT_OK)
    const again = await cli('optimize', dir)
    expect(again.code).toBe(EXIT_OK)
    expect(again.stdout).toBe('nothing to compact (version 2)\n')
  })

  it('fails with INVALID_ARGUMENT (exit 1) for a filter on a data column', async () => {
    const dir = copyOf('dat/basic_partitioned')
    const r = await cli('optimize', dir, '--filter', 'number > 1', '--json')
    expect(r.code).toBe(EXIT_FAILURE)
    expect(JSON.parse(r.stdout).error.code).toBe('INVALID_ARGUMENT')
  })
})

describe('delta-ts on s3:// URIs', () => {
  it('describes and lists a table on the S3 test server through --endpoint/--region/--path-style', async () => {
    const endpoint = inject('s3Endpoint')
    if (!endpoint) throw new Error(inject('s3Error') || 'no S3 test server')
    const credentials = { accessKeyId: 'test', secretAccessKey: 'test' }
    const bucket = `cli-${randomUUID().slice(0, 8)}`
    await new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials }).send(
      new CreateBucketCommand({ Bucket: bucket }),
    )
    const uri = `s3://${bucket}/tables/events`
    const table = await DeltaTable.create(uri, {
      schema: new arrow.Schema([new arrow.Field('id', new arrow.Int64(), false)]),
      storageOptions: { s3: { endpoint, region: 'us-east-1', forcePathStyle: true, credentials } },
    })
    await table.write(new arrow.Table({ id: arrow.vectorFromArray([1n, 2n], new arrow.Int64()) }))
    // The CLI takes credentials from the AWS default chain: the environment here.
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY }
    process.env.AWS_ACCESS_KEY_ID = credentials.accessKeyId
    process.env.AWS_SECRET_ACCESS_KEY = credentials.secretAccessKey
    try {
      const s3 = ['--endpoint', endpoint, '--region', 'us-east-1', '--path-style']
      const d = await cli('describe', uri, ...s3, '--json')
      expect(d.code).toBe(EXIT_OK)
      expect(JSON.parse(d.stdout)).toMatchObject({ uri: `${uri}/`, version: 1, numFiles: 1, numRecords: 2 })
      const missing = await cli('files', `s3://${bucket}/tables/nothing-here`, ...s3, '--json')
      expect(missing.code).toBe(EXIT_FAILURE)
      expect(JSON.parse(missing.stdout).error.code).toBe('TABLE_NOT_FOUND')
    } finally {
      // Assigning undefined would store the string "undefined".
      for (const [k, v] of [
        ['AWS_ACCESS_KEY_ID', saved.id],
        ['AWS_SECRET_ACCESS_KEY', saved.secret],
      ] as const) {
        if (v === undefined) delete process.env[k]
        else process.env[k] = v
      }
    }
  })
})

describe('delta-ts errors and usage', () => {
  const t = golden('dat/basic_partitioned')

  it('fails with TABLE_NOT_FOUND and exit 1 on a directory without a table, as JSON on stdout', async () => {
    const dir = path.dirname(fileURLToPath(import.meta.url))
    const r = await cli('describe', dir, '--json')
    expect(r.code).toBe(EXIT_FAILURE)
    expect(JSON.parse(r.stdout).error.code).toBe('TABLE_NOT_FOUND')
    expect(r.stderr).toMatch(/^error \[TABLE_NOT_FOUND\]/)
  })

  it('fails with VERSION_NOT_FOUND for a version beyond the log', async () => {
    const r = await cli('files', t.tableDir, '--version', '99')
    expect(r.code).toBe(EXIT_FAILURE)
    expect(r.stderr).toMatch(/VERSION_NOT_FOUND/)
  })

  it.each([
    [['frobnicate', 'x'], /unknown command "frobnicate"/],
    [['describe'], /needs a table URI/],
    [['describe', 'a', 'b'], /unexpected argument "b"/],
    [['describe', 'a', '--limit', '3'], /--limit does not apply to "describe"/],
    [['describe', 'a', '--version', '1', '--timestamp', '2024-01-01'], /either --version or --timestamp/],
    [['history', 'a', '--limit', '-1'], /Option '--limit' argument is ambiguous/],
    [['files', 'a', '--version', 'x'], /--version expects a non-negative integer/],
    [['files', 'a', '--bogus'], /Unknown option '--bogus'/],
    [['vacuum', 'a', '--retention-hours', 'soon'], /--retention-hours expects a non-negative number/],
    [['vacuum', 'a', '--version', '1'], /--version does not apply to "vacuum"/],
    [['optimize', 'a', '--target-size', '1.5MB'], /--target-size expects a non-negative integer/],
  ])('rejects %j as a usage error with exit 2 and the usage text', async (argv, message) => {
    const r = await cli(...argv)
    expect(r.code).toBe(EXIT_USAGE)
    expect(r.stderr).toMatch(message)
    expect(r.stderr).toContain('Usage: delta-ts')
  })

  it('prints the package version for --version without a command', async () => {
    const r = await cli('--version')
    expect(r).toEqual({ code: EXIT_OK, stdout: `${DELTA_TS_VERSION}\n`, stderr: '' })
  })

  it('reports the version in package.json (DELTA_TS_VERSION is bumped with the package)', () => {
    const pkg = JSON.parse(
      readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../package.json'), 'utf8'),
    )
    expect(DELTA_TS_VERSION).toBe(pkg.version)
  })

  it('runs as a real process through the bin entry and exits with the command status', () => {
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', '--conditions=source', 'src/cli.ts', ...args], {
        cwd: root,
        encoding: 'utf8',
      })
    const ok = run('describe', t.tableDir, '--json')
    expect(ok.status).toBe(0)
    expect(JSON.parse(ok.stdout).version).toBe(t.latestVersion)
    const missing = run('history', path.join(root, 'src'))
    expect(missing.status).toBe(1)
    expect(missing.stderr).toMatch(/TABLE_NOT_FOUND/)
  })
})
