import { randomUUID } from 'node:crypto'
import { promises as fs } from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3'
import * as arrow from 'apache-arrow'
import { DeltaTable } from 'delta-ts'
import { expect, inject, it } from 'vitest'
import { testCredentials } from './s3-server.js'
import { raceInProcesses } from './storage-contract.js'

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

const WRITERS = 8
const APPENDS = 30
const ROWS_PER_APPEND = 3

const here = path.dirname(fileURLToPath(import.meta.url))

/**
 * One writer process. It uses only the public API (`delta-ts`, resolved to src/ through the `source`
 * condition): opens the table, waits for "go", then appends APPENDS small batches one after another, each row
 * tagged (writer, seq, k), and reports the version and put attempts of every commit.
 */
const workerSource = `
import * as arrow from 'apache-arrow'
import { DeltaTable } from 'delta-ts'
const [endpoint, uri, writer, appends, rowsPerAppend] = process.argv.slice(2)
const s3 = { endpoint, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }
const table = await DeltaTable.open(uri, { storageOptions: { s3 } })
process.stdout.write('ready\\n')
process.stdin.once('data', async () => {
  const commits = []
  const started = Date.now()
  for (let seq = 0; seq < Number(appends); seq++) {
    const n = Number(rowsPerAppend)
    const batch = arrow.tableFromArrays({
      writer: Int32Array.from({ length: n }, () => Number(writer)),
      seq: Int32Array.from({ length: n }, () => seq),
      k: Int32Array.from({ length: n }, (_, k) => k),
    })
    const r = await table.write(batch, { mode: 'append', maxRetries: 1000, initialBackoffMs: 5, maxBackoffMs: 200 })
    commits.push({ seq, version: r.version, attempts: r.commit?.attempts ?? 0 })
  }
  process.stdout.write(JSON.stringify({ commits, ms: Date.now() - started }) + '\\n')
  process.stdin.pause()
})
`

interface WorkerReport {
  commits: { seq: number; version: number; attempts: number }[]
  ms: number
}

it(`${WRITERS} OS processes x ${APPENDS} appends to one table on S3 (moto): contiguous versions, every row exactly once`, async () => {
  const endpoint = inject('s3Endpoint')
  if (!endpoint) throw new Error(inject('s3Error') || 'no S3 test server')
  const s3 = { endpoint, forcePathStyle: true, region: 'us-east-1', credentials: testCredentials }
  const bucket = `torture-${randomUUID().slice(0, 8)}`
  await new S3Client({ ...s3, maxAttempts: 1 }).send(new CreateBucketCommand({ Bucket: bucket }))
  const uri = `s3://${bucket}/tables/events`
  await DeltaTable.create(uri, {
    schema: new arrow.Schema([
      new arrow.Field('writer', new arrow.Int32(), false),
      new arrow.Field('seq', new arrow.Int32(), false),
      new arrow.Field('k', new arrow.Int32(), false),
    ]),
    storageOptions: { s3 },
  })

  // The worker must sit inside the package, where `delta-ts` and `apache-arrow` resolve; .tmp/ is git-ignored.
  const localWorker = path.join(here, '.tmp', `torture-writer-${randomUUID().slice(0, 8)}.mts`)
  await fs.mkdir(path.dirname(localWorker), { recursive: true })
  await fs.writeFile(localWorker, workerSource)
  const started = Date.now()
  let reports: WorkerReport[]
  try {
    reports = await raceInProcesses<WorkerReport>({
      count: WRITERS,
      workerFile: localWorker,
      args: (id) => [endpoint, uri, String(id), String(APPENDS), String(ROWS_PER_APPEND)],
      cwd: here,
      nodeArgs: ['--conditions=source'],
      env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    })
  } finally {
    await fs.rm(localWorker, { force: true })
  }
  const elapsed = Date.now() - started

  // Every commit claims a distinct version, and together they are exactly 1..WRITERS*APPENDS.
  const total = WRITERS * APPENDS
  const versions = reports.flatMap((r) => r.commits.map((c) => c.version)).sort((a, b) => a - b)
  expect(versions).toEqual(Array.from({ length: total }, (_, i) => i + 1))

  // The log itself: commit files 0..total, no gaps, nothing beyond.
  const table = await DeltaTable.open(uri, { storageOptions: { s3 } })
  expect(await table.version()).toBe(total)
  const commitFiles: string[] = []
  for await (const m of table.storage.list('_delta_log/')) {
    if (/^_delta_log\/\d{20}\.json$/.test(m.path)) commitFiles.push(m.path)
  }
  expect(commitFiles).toEqual(
    Array.from({ length: total + 1 }, (_, v) => `_delta_log/${String(v).padStart(20, '0')}.json`),
  )

  // Every row exactly once.
  const data = await (await table.snapshot()).scan().toArrow()
  expect(data.numRows).toBe(total * ROWS_PER_APPEND)
  const seen = new Set<string>()
  const writerCol = data.getChild('writer')
  const seqCol = data.getChild('seq')
  const kCol = data.getChild('k')
  for (let i = 0; i < data.numRows; i++) seen.add(`${writerCol?.get(i)}/${seqCol?.get(i)}/${kCol?.get(i)}`)
  expect(seen.size).toBe(total * ROWS_PER_APPEND)
  for (let w = 0; w < WRITERS; w++)
    for (let s = 0; s < APPENDS; s++)
      for (let k = 0; k < ROWS_PER_APPEND; k++) expect(seen.has(`${w}/${s}/${k}`)).toBe(true)

  const attempts = reports.flatMap((r) => r.commits.map((c) => c.attempts))
  const lostRaces = attempts.reduce((a, b) => a + b, 0) - total
  expect(lostRaces).toBeGreaterThanOrEqual(0)
  // Measurements for the report: throughput and how contended the run was.
  console.info(
    `s3 torture: ${total} commits by ${WRITERS} processes in ${elapsed} ms ` +
      `(${((total * 1000) / elapsed).toFixed(1)} commits/s), ${lostRaces} lost races, ` +
      `max attempts for one commit ${Math.max(...attempts)}`,
  )
}, 600_000)
