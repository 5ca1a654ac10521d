/**
 * A writer process for the identity / row-tracking concurrency test. Usage:
 *   tsx --conditions=source identity-writer.ts <table-uri> <writer-id> <ops> [dml]
 * Appends `ops` batches of 3 rows (name = `<writer>-<seq>-<k>`, no id: the identity column assigns it). A
 * CommitConflictError (a concurrent identity write changed the high-water mark) is retried against the new
 * snapshot, as a caller would. Prints one JSON line per committed append: {"seq":3,"version":17,"retries":1}.
 * With `dml` (a table with a `writer` column): the rows carry writer = <writer-id>, and after the appends the
 * process reads its rows' row ids, then UPDATEs its own rows (name = 'updated'; copy-on-write, racing the other
 * writers) and prints {"update":true,"version":v,"retries":n,"rowIds":{identity id: row id before the update}}.
 */
import * as arrow from 'apache-arrow'
import { CommitConflictError, DeltaTable } from 'delta-ts'

const [uri, writerId, opsArg, mode] = process.argv.slice(2)
const dml = mode === 'dml'
const table = await DeltaTable.open(uri)

async function retrying<T>(op: () => Promise<T>): Promise<{ result: T; retries: number }> {
  for (let retries = 0; ; retries++) {
    try {
      return { result: await op(), retries }
    } catch (err) {
      if (!(err instanceof CommitConflictError) || retries > 200) throw err
      await new Promise((r) => setTimeout(r, Math.random() * 20))
    }
  }
}

for (let seq = 0; seq < Number(opsArg); seq++) {
  const names = [0, 1, 2].map((k) => `${writerId}-${seq}-${k}`)
  const batch = dml
    ? arrow.tableFromArrays({ writer: names.map(() => writerId), name: names })
    : arrow.tableFromArrays({ name: names })
  const { result, retries } = await retrying(() => table.write(batch, { maxBackoffMs: 200 }))
  process.stdout.write(`${JSON.stringify({ seq, version: result.version, retries })}\n`)
}

if (dml) {
  const mine = `writer = '${writerId}'`
  const before = await (await table.snapshot()).scan({ filter: mine, columns: ['id', '_metadata.row_id'] }).toArrow()
  const rowIds: Record<string, string> = {}
  for (const r of before.toArray()) rowIds[String(r.id)] = String(r['_metadata.row_id'])
  const { result, retries } = await retrying(() =>
    table.update({ predicate: mine, set: { name: "'updated'" }, maxBackoffMs: 200 }),
  )
  process.stdout.write(`${JSON.stringify({ update: true, version: result.version, retries, rowIds })}\n`)
}
