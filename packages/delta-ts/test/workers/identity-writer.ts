/**
 * A writer process for the identity / row-tracking concurrency test. Usage:
 *   tsx --conditions=source identity-writer.ts <table-uri> <writer-id> <ops>
 * Appends `ops` batches of 3 rows (name = `<writer>-<seq>-<k>`, no id: the identity column assigns it). A
 * CommitConflictError (a concurrent identity write changed the high-water mark) is retried against the new
 * snapshot, as a caller would. Prints one JSON line per committed append: {"seq":3,"version":17,"retries":1}.
 */
import * as arrow from 'apache-arrow'
import { CommitConflictError, DeltaTable } from 'delta-ts'

const [uri, writerId, opsArg] = process.argv.slice(2)
const table = await DeltaTable.open(uri)
for (let seq = 0; seq < Number(opsArg); seq++) {
  const batch = arrow.tableFromArrays({ name: [0, 1, 2].map((k) => `${writerId}-${seq}-${k}`) })
  for (let retries = 0; ; retries++) {
    try {
      const r = await table.write(batch, { maxBackoffMs: 200 })
      process.stdout.write(`${JSON.stringify({ seq, version: r.version, retries })}\n`)
      break
    } catch (err) {
      if (!(err instanceof CommitConflictError) || retries > 200) throw err
      await new Promise((r) => setTimeout(r, Math.random() * 20))
    }
  }
}
