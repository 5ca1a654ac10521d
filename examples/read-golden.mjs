// Reads a real Delta table written by Spark (from the golden corpus beside the repository) and prints its
// snapshot: version, protocol, schema, partition columns, files and history. Run: `node examples/read-golden.mjs [table-dir]`.
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { DeltaTable } from 'delta-ts'

const here = path.dirname(fileURLToPath(import.meta.url))
const golden = process.env.DELTA_GOLDEN ?? path.resolve(here, '../../shared/delta-golden')
const dir = process.argv[2] ?? path.join(golden, 'dat/basic_partitioned/delta')

const table = await DeltaTable.open(dir)
const snap = await table.snapshot()
const files = await snap.files()
console.log(`table     ${table.uri}`)
console.log(`version   ${snap.version} (committed ${new Date(snap.timestamp).toISOString()})`)
console.log(`protocol  reader ${snap.protocol.minReaderVersion} / writer ${snap.protocol.minWriterVersion}`)
console.log(`schema    ${snap.schema.fields.map((f) => `${f.name}: ${typeof f.type === 'string' ? f.type : f.type.type}`).join(', ')}`)
console.log(`partition ${snap.partitionColumns.join(', ') || '(none)'}`)
console.log(`files     ${files.length}, ${files.reduce((s, f) => s + (f.stats?.numRecords ?? 0), 0)} rows by stats`)
for (const h of await table.history({ limit: 5 })) console.log(`  v${h.version} ${h.operation ?? ''} ${new Date(h.timestamp).toISOString()}`)
