// Delta tables on S3 (or any S3-compatible store with conditional writes: MinIO, R2, moto).
// Uses DELTA_TS_S3_ENDPOINT when set (with AWS credentials from the environment), otherwise starts the moto
// test server from the repository's Python venv (`bash scripts/ensure-venv.sh` creates it; `pnpm examples`
// does so). Writes a partitioned table from two concurrent writers, reads it back, time travels, checkpoints.
// Run: `pnpm exec tsx --conditions=source examples/s3.mjs`.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import * as arrow from 'apache-arrow'
import { DeltaTable } from 'delta-ts'
import { startMoto, testCredentials } from '../packages/delta-ts/test/s3-server.ts'

const server = process.env.DELTA_TS_S3_ENDPOINT ? undefined : await startMoto()
const endpoint = process.env.DELTA_TS_S3_ENDPOINT ?? server.endpoint
const bucket = process.env.DELTA_TS_S3_BUCKET ?? 'delta-ts-example'
try {
  if (server) {
    // moto needs the bucket to exist; it accepts an unsigned path-style CreateBucket. On real S3, create it once.
    const res = await fetch(`${endpoint}/${bucket}`, { method: 'PUT' })
    assert.ok(res.ok, `create bucket: HTTP ${res.status}`)
  }
  // Everything S3-specific is in storageOptions.s3; the URI picks the backend (and loads delta-ts/s3 lazily).
  const storageOptions = {
    s3: { endpoint, forcePathStyle: true, region: 'us-east-1', ...(server ? { credentials: testCredentials } : {}) },
  }
  const uri = `s3://${bucket}/examples/${randomUUID()}/events`
  const table = await DeltaTable.create(uri, {
    storageOptions,
    schema: new arrow.Schema([
      new arrow.Field('day', new arrow.Utf8(), false),
      new arrow.Field('clicks', new arrow.Int64(), true),
    ]),
    partitionBy: ['day'],
  })
  const events = (day, n) =>
    new arrow.Table({
      day: arrow.vectorFromArray(Array(n).fill(day), new arrow.Utf8()),
      clicks: arrow.vectorFromArray(
        Array.from({ length: n }, (_, i) => BigInt(i)),
        new arrow.Int64(),
      ),
    })

  // Two writers (separate table handles, as two machines would have) append at the same time; S3's
  // If-None-Match put decides who gets each version, the loser retries on top of the winner.
  const other = await DeltaTable.open(uri, { storageOptions })
  const [a, b] = await Promise.all([table.write(events('2024-05-01', 10)), other.write(events('2024-05-02', 5))])
  console.log(
    `concurrent writes committed versions ${a.version} and ${b.version} (attempts ${a.commit.attempts}, ${b.commit.attempts})`,
  )
  assert.deepEqual([a.version, b.version].sort(), [1, 2])

  const snap = await table.snapshot()
  const rows = await snap.scan({ filter: "day = '2024-05-02'" }).toArrow()
  console.log(
    `${uri}: version ${snap.version}, ${(await snap.files()).length} files, ${rows.numRows} rows on 2024-05-02`,
  )
  assert.equal(rows.numRows, 5)
  assert.equal((await (await table.snapshot({ version: 1 })).files()).length, 1)

  const cp = await table.checkpoint()
  console.log(`checkpoint at version ${cp.version}: ${cp.path}`)
  const reopened = await DeltaTable.open(uri, { storageOptions })
  assert.equal((await (await reopened.snapshot()).scan().toArrow()).numRows, 15)
} finally {
  await server?.stop()
}
