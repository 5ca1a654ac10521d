import { randomUUID } from 'node:crypto'
import { promises as fs } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3'
import * as arrow from 'apache-arrow'
import { DeltaTable, dropMemoryStorage } from 'delta-ts'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { testCredentials } from './s3-server.js'

/*
 * A commit timestamp that delta-ts shows (history(), snapshot.timestamp, an ISO string) selects that same
 * version when given back to time travel, on every backend. Local disk reports sub-millisecond mtimes; they used
 * to leak into history() as fractional milliseconds, so `new Date(h.timestamp)` (which truncates) picked the
 * version before.
 */

const schema = new arrow.Schema([new arrow.Field('id', new arrow.Int64(), false)])
const batch = (id: number) => arrow.tableFromArrays({ id: BigInt64Array.of(BigInt(id)) })

interface Backend {
  name: string
  uri(): Promise<{ uri: string; open?: Parameters<typeof DeltaTable.open>[1] }>
}

const cleanups: (() => Promise<void>)[] = []
afterAll(async () => {
  for (const c of cleanups) await c()
})

const backends: Backend[] = [
  {
    name: 'memory',
    async uri() {
      const name = `tt-${randomUUID()}`
      cleanups.push(async () => {
        dropMemoryStorage(`memory://${name}`)
      })
      return { uri: `memory://${name}` }
    },
  },
  {
    name: 'local disk',
    async uri() {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'delta-ts-tt-'))
      cleanups.push(() => fs.rm(dir, { recursive: true, force: true }))
      return { uri: path.join(dir, 't') }
    },
  },
  {
    name: 'S3',
    async uri() {
      const endpoint = inject('s3Endpoint')
      if (!endpoint) throw new Error(inject('s3Error') || 'no S3 test server')
      const s3 = { endpoint, forcePathStyle: true, region: 'us-east-1', credentials: testCredentials }
      const bucket = `tt-${randomUUID().slice(0, 8)}`
      await new S3Client({ ...s3, maxAttempts: 1 }).send(new CreateBucketCommand({ Bucket: bucket }))
      return { uri: `s3://${bucket}/t`, open: { storageOptions: { s3 } } }
    },
  },
]

describe.each(backends)('time travel by a shown timestamp on $name', (backend) => {
  it('every history() timestamp is whole milliseconds and selects its own version as a number, a Date and an ISO string', async () => {
    const { uri, open } = await backend.uri()
    let t = await DeltaTable.create(uri, { schema, ...open })
    for (let i = 1; i <= 4; i++) {
      await t.write(batch(i))
      // Commits in distinct milliseconds, so each shown timestamp names one version.
      await new Promise((r) => setTimeout(r, 3))
    }
    t = await DeltaTable.open(uri, open)
    const history = await t.history()
    expect(history.map((h) => h.version)).toEqual([4, 3, 2, 1, 0])
    for (const h of history) {
      expect(Number.isInteger(h.timestamp)).toBe(true)
      const snap = await t.snapshot({ version: h.version })
      expect(snap.timestamp).toBe(h.timestamp)
      expect((await t.snapshot({ timestamp: h.timestamp })).version).toBe(h.version)
      expect((await t.snapshot({ timestamp: new Date(h.timestamp) })).version).toBe(h.version)
      const iso = new Date(h.timestamp).toISOString()
      expect((await t.snapshot({ timestamp: iso })).version).toBe(h.version)
    }
  })
})
