/**
 * A writer process for the concurrency torture tests. Usage:
 *   tsx --conditions=source concurrent-writer.ts <table-uri> <writer-id> <ops> <kind> [s3-endpoint]
 * kind: 'append' (ops appends of 2 rows each) | 'mixed' (alternating deletes of its own predicate and
 * overwrites of a partition-free predicate). Prints one JSON line per attempt:
 *   {"op":"append","seq":3,"version":17} or {"op":"delete","conflict":"ConcurrentAppend"}.
 * Exits non-zero on any error that is neither a success nor a CommitConflictError.
 */
import * as arrow from 'apache-arrow'
import { CommitConflictError, DeltaTable } from 'delta-ts'

const [uri, writerId, opsArg, kind, s3Endpoint] = process.argv.slice(2)
const ops = Number(opsArg)
const storageOptions = s3Endpoint
  ? {
      s3: {
        endpoint: s3Endpoint,
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      },
    }
  : undefined
const table = await DeltaTable.open(uri, { storageOptions })

/** Two rows (parts 0 and 1) for appends; one row in part 0 for replaceWhere 'part = 0'. */
function rows(seq: number, parts: number[] = [0, 1]) {
  return arrow.tableFromArrays({
    writer: parts.map(() => writerId),
    seq: Int32Array.from(parts.map(() => seq)),
    part: Int32Array.from(parts),
  })
}

for (let seq = 0; seq < ops; seq++) {
  let line: Record<string, unknown>
  try {
    if (kind === 'append') {
      const r = await table.write(rows(seq), {
        mode: 'append',
        maxRetries: 1000,
        initialBackoffMs: 5,
        maxBackoffMs: 100,
      })
      line = { op: 'append', seq, version: r.version, attempts: r.commit?.attempts ?? 0 }
    } else if (seq % 2 === 0) {
      const r = await table.delete(`part = 1`, { maxRetries: 1000, initialBackoffMs: 5, maxBackoffMs: 100 })
      line = r.commit ? { op: 'delete', seq, version: r.version } : { op: 'delete', seq, noop: true }
    } else {
      const r = await table.write(rows(seq, [0]), {
        mode: 'overwrite',
        replaceWhere: 'part = 0',
        maxRetries: 1000,
        initialBackoffMs: 5,
        maxBackoffMs: 100,
      })
      line = { op: 'replace', seq, version: r.version }
    }
  } catch (err) {
    if (!(err instanceof CommitConflictError)) throw err
    line = {
      op: kind === 'append' ? 'append' : seq % 2 === 0 ? 'delete' : 'replace',
      seq,
      conflict: err.kind,
      winner: err.winningVersion,
    }
  }
  process.stdout.write(`${JSON.stringify(line)}\n`)
}
