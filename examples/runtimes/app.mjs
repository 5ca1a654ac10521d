// The one read/write script every runtime runs (Node, Deno, Bun, a browser page, a workerd Worker): it imports
// only `delta-ts` and `apache-arrow`, no runtime module, so each runtime's wrapper (deno.mjs, bun.mjs,
// browser/main.mjs, workerd/worker.mjs) just hands it where the tables are and prints or shows what it returns.
//
//   - reads a published table over HTTP (`https://…` in real life; here a local static server);
//   - creates a table on S3 (or R2, MinIO; here the moto server), appends twice, reads it back, and checks that
//     a second creator of the same table loses (put-if-absent commits);
//   - the same on local disk where the runtime has one (Node, Deno, Bun), and in memory everywhere.
//
// It returns { cells, rows }: one cell per storage with what worked (read / write / commit), which the runtime
// tests compare with the support table in docs/runtimes.md.
import * as arrow from 'apache-arrow'
import { DeltaTable, isDeltaError } from 'delta-ts'

const plain = (v) => (typeof v === 'bigint' ? Number(v) : v)

/** Rows of the latest snapshot as plain objects, sorted by their JSON. */
async function rowsOf(table) {
  const t = await (await table.snapshot()).scan().toArrow()
  const rows = t.toArray().map((r) => Object.fromEntries(Object.entries(r.toJSON()).map(([k, v]) => [k, plain(v)])))
  return rows.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1))
}

/**
 * A string column built without apache-arrow's Builders (`tableFromArrays`, `vectorFromArray`): those compile
 * code with `new Function`, which Cloudflare Workers forbid. Typed arrays through `makeVector`, and strings as
 * offsets + UTF-8 bytes through `makeData`, work in every runtime.
 */
function utf8(strings) {
  const parts = strings.map((s) => new TextEncoder().encode(s))
  const valueOffsets = new Int32Array(parts.length + 1)
  parts.forEach((p, i) => {
    valueOffsets[i + 1] = valueOffsets[i] + p.byteLength
  })
  const data = new Uint8Array(valueOffsets[parts.length])
  for (const [i, p] of parts.entries()) data.set(p, valueOffsets[i])
  return arrow.makeVector(
    arrow.makeData({ type: new arrow.Utf8(), length: parts.length, nullCount: 0, valueOffsets, data }),
  )
}

/** Creates a table at `uri`, appends two batches (two commits), reads it back, and races a second creator. */
async function writeReadCommit(uri, runtime, storageOptions) {
  const schema = {
    type: 'struct',
    fields: [
      { name: 'id', type: 'long', nullable: false, metadata: {} },
      { name: 'runtime', type: 'string', nullable: true, metadata: {} },
    ],
  }
  const table = await DeltaTable.create(uri, { schema, storageOptions })
  const batch = (ids) =>
    new arrow.Table({
      id: arrow.makeVector(BigInt64Array.from(ids.map(BigInt))),
      runtime: utf8(ids.map(() => runtime)),
    })
  await table.write(batch([1, 2]))
  const { version } = await table.write(batch([3]))
  // A second creator of the same table: version 0 is a put-if-absent, so it must lose.
  let secondCreatorLost = false
  try {
    await DeltaTable.create(uri, { schema, storageOptions })
  } catch (err) {
    secondCreatorLost = isDeltaError(err) && err.code === 'TABLE_ALREADY_EXISTS'
  }
  const reopened = await DeltaTable.open(uri, { storageOptions })
  const rows = await rowsOf(reopened)
  return {
    rows,
    cell: { read: rows.length === 3, write: version === 2, commit: secondCreatorLost },
  }
}

/**
 * @param {object} o
 * @param {string} o.runtime name shown in the rows
 * @param {string} [o.httpTable] URL of a published Delta table (read-only over HTTP)
 * @param {{ endpoint: string, bucket: string, prefix: string }} [o.s3] an S3-compatible server
 * @param {string} [o.localDir] a fresh local directory (runtimes with a disk)
 */
export async function runDemo(o) {
  const cells = []
  const rows = {}
  if (o.httpTable) {
    const table = await DeltaTable.open(o.httpTable)
    rows.http = await rowsOf(table)
    cells.push({ storage: 'http', read: rows.http.length > 0, write: false, commit: false })
  }
  if (o.s3) {
    const storageOptions = {
      s3: {
        endpoint: o.s3.endpoint,
        forcePathStyle: true,
        region: 'us-east-1',
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      },
    }
    const r = await writeReadCommit(`s3://${o.s3.bucket}/${o.s3.prefix}`, o.runtime, storageOptions)
    rows.s3 = r.rows
    cells.push({ storage: 's3', ...r.cell })
  }
  if (o.localDir) {
    const r = await writeReadCommit(o.localDir, o.runtime)
    rows.local = r.rows
    cells.push({ storage: 'local', ...r.cell })
  } else {
    // No local disk here (the browser / Worker build): a plain path must fail with a typed error, not crash.
    try {
      await DeltaTable.open('tables/local')
    } catch (err) {
      rows.localDiskError = [{ code: isDeltaError(err) ? err.code : String(err) }]
    }
  }
  const m = await writeReadCommit(`memory://runtimes-${o.runtime}-${Date.now()}`, o.runtime)
  rows.memory = m.rows
  cells.push({ storage: 'memory', ...m.cell })
  return { runtime: o.runtime, cells, rows }
}
