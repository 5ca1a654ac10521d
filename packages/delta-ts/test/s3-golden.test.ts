import { randomUUID } from 'node:crypto'
import { promises as fs } from 'node:fs'
import * as path from 'node:path'
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3'
import { DeltaTable, isDeltaError } from 'delta-ts'
import { S3Storage } from 'delta-ts/s3'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { goldenTables } from './golden.js'
import { canonicalRows } from './golden-rows.js'
import { testCredentials } from './s3-server.js'

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

/*
 * Every golden table, uploaded byte for byte to the S3 test server, must read exactly as it reads from local
 * disk: same version, same rows (as a multiset), or the same error code. This runs the S3 backend under the
 * whole reader (log listing with startAfter, checkpoints and sidecars, ranged parquet reads, deletion vectors,
 * partition directories whose names hold %-escapes, spaces and '=').
 */

const tables = goldenTables()

async function filesUnder(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = []
  for (const e of await fs.readdir(path.join(dir, rel), { withFileTypes: true })) {
    const key = rel ? `${rel}/${e.name}` : e.name
    if (e.isDirectory()) out.push(...(await filesUnder(dir, key)))
    else if (e.isFile()) out.push(key)
  }
  return out
}

type Outcome = { version: number; rows: string[] } | { error: string }

async function readAll(open: () => Promise<DeltaTable>): Promise<Outcome> {
  try {
    const snapshot = await (await open()).snapshot()
    const rows = canonicalRows(await snapshot.scan().toArrow()).sort()
    return { version: snapshot.version, rows }
  } catch (err) {
    if (!isDeltaError(err)) throw err
    return { error: err.code }
  }
}

describe('golden tables on S3 read exactly as on local disk', () => {
  let s3: ConstructorParameters<typeof S3Storage>[1] & object
  let bucket = ''

  beforeAll(async () => {
    const endpoint = inject('s3Endpoint')
    if (!endpoint) throw new Error(inject('s3Error') || 'no S3 test server')
    s3 = { endpoint, forcePathStyle: true, region: 'us-east-1', credentials: testCredentials }
    bucket = `golden-${randomUUID().slice(0, 8)}`
    await new S3Client({ ...s3, maxAttempts: 1 }).send(new CreateBucketCommand({ Bucket: bucket }))
    const root = new S3Storage(`s3://${bucket}`, s3)
    const uploads: [string, string][] = []
    for (const t of tables) {
      for (const f of await filesUnder(t.tableDir))
        uploads.push([path.join(t.tableDir, ...f.split('/')), `${t.name}/${f}`])
    }
    // Eight uploads in flight: enough to hide latency without flooding the single-threaded server.
    let next = 0
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < uploads.length) {
          const [file, key] = uploads[next++]
          await root.put(key, new Uint8Array(await fs.readFile(file)), { overwrite: true })
        }
      }),
    )
  }, 300_000)

  const compared = { rows: 0, errors: 0 }
  it.each(tables.map((t) => [t.name, t] as const))('%s', async (name, t) => {
    const local = await readAll(() => DeltaTable.open(t.tableDir))
    const remote = await readAll(() => DeltaTable.open(`s3://${bucket}/${name}`, { storageOptions: { s3 } }))
    expect(remote).toEqual(local)
    if ('rows' in local) compared.rows++
    else compared.errors++
  })

  afterAll(() => {
    console.info(`golden on S3: ${compared.rows} tables read in full, ${compared.errors} refused alike`)
    // Equal errors everywhere would make the comparison vacuous: most tables must have been read in full.
    if (compared.rows + compared.errors === tables.length) expect(compared.rows).toBeGreaterThan(tables.length * 0.7)
  })
})
