// Reads a real Delta table written by Spark (from the golden corpus vendored in testdata/delta-golden) and prints its
// snapshot: version, protocol, schema, partition columns, files, a few rows and the history.
// Run: `pnpm examples read-golden`, or `pnpm exec tsx --conditions=source examples/read-golden.mjs [table-dir]`.
import assert from 'node:assert/strict'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { DeltaTable } from 'delta-ts'

const here = path.dirname(fileURLToPath(import.meta.url))
const golden = path.resolve(here, '../testdata/delta-golden')
const dir = process.argv[2] ?? path.join(golden, 'dat/basic_partitioned/delta')

const table = await DeltaTable.open(dir)
const snap = await table.snapshot()
const files = await snap.files()
const typeName = (t) => (typeof t === 'string' ? t : t.type)
console.log(`table     ${table.uri}`)
console.log(`version   ${snap.version} (committed ${new Date(snap.timestamp).toISOString()})`)
console.log(`protocol  reader ${snap.protocol.minReaderVersion} / writer ${snap.protocol.minWriterVersion}`)
console.log(`schema    ${snap.schema.fields.map((f) => `${f.name}: ${typeName(f.type)}`).join(', ')}`)
console.log(`partition ${snap.partitionColumns.join(', ') || '(none)'}`)
console.log(`files     ${files.length}, ${files.reduce((s, f) => s + (f.stats?.numRecords ?? 0), 0)} rows by stats`)

// The rows, as an Apache Arrow table (int64 columns are bigint).
const rows = await snap.scan().toArrow()
console.log(
  `rows      ${rows.numRows}; first: ${JSON.stringify(rows.get(0)?.toJSON(), (_k, v) => (typeof v === 'bigint' ? Number(v) : v))}`,
)
if (!process.argv[2]) assert.equal(rows.numRows, 6) // basic_partitioned: the manifest's liveRows

for (const h of await table.history({ limit: 5 })) {
  console.log(`  v${h.version} ${h.operation ?? ''} ${new Date(h.timestamp).toISOString()}`)
}
