import { execFile } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import * as arrow from 'apache-arrow'
import { afterAll, describe, expect, it } from 'vitest'
import { DeltaTable } from '../src/index.js'

/**
 * Many OS processes writing one local table with no coordinator: the log is the only arbiter.
 * Workers (test/workers/concurrent-writer.ts) use only the public API.
 */
const run = promisify(execFile)
const here = path.dirname(fileURLToPath(import.meta.url))
const worker = path.join(here, 'workers', 'concurrent-writer.ts')
const tsx = path.resolve(here, '../../../node_modules/.bin/tsx')
const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

const schema = new arrow.Schema([
  new arrow.Field('writer', new arrow.Utf8(), false),
  new arrow.Field('seq', new arrow.Int32(), false),
  new arrow.Field('part', new arrow.Int32(), false),
])

interface WorkerLine {
  op: string
  seq: number
  version?: number
  conflict?: string
  noop?: boolean
  winner?: number
}

/** Starts `n` writer processes and returns each one's parsed output lines. */
async function runWorkers(uri: string, specs: { id: string; ops: number; kind: string }[], s3Endpoint?: string) {
  return Promise.all(
    specs.map(async (s) => {
      const args = [
        '--conditions=source',
        worker,
        uri,
        s.id,
        String(s.ops),
        s.kind,
        ...(s3Endpoint ? [s3Endpoint] : []),
      ]
      const { stdout } = await run(tsx, args, { maxBuffer: 1 << 24, timeout: 600_000 })
      return {
        id: s.id,
        lines: stdout
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as WorkerLine),
      }
    }),
  )
}

async function newTable(): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'delta-ts-torture-'))
  dirs.push(dir)
  await DeltaTable.create(dir, { schema })
  return dir
}

describe('concurrency torture on local disk (real OS processes)', () => {
  it('8 processes x 50 appends: versions contiguous, every row exactly once, no temp files left', async () => {
    const uri = await newTable()
    const results = await runWorkers(
      uri,
      Array.from({ length: 8 }, (_, i) => ({ id: `w${i}`, ops: 50, kind: 'append' })),
    )
    const versions = results.flatMap((r) => r.lines.map((l) => l.version!)).sort((a, b) => a - b)
    expect(versions).toEqual(Array.from({ length: 400 }, (_, i) => i + 1))
    const table = await DeltaTable.open(uri)
    expect((await table.snapshot()).version).toBe(400)
    const t = await (await table.snapshot()).scan().toArrow()
    const seen = new Map<string, number>()
    for (const row of t) {
      const key = `${row.writer}/${row.seq}/${row.part}`
      seen.set(key, (seen.get(key) ?? 0) + 1)
    }
    expect(seen.size).toBe(8 * 50 * 2)
    expect([...seen.values()].every((n) => n === 1)).toBe(true)
    const leftovers = readdirSync(path.join(uri, '_delta_log')).filter((f) => f.startsWith('.') || f.endsWith('.tmp'))
    expect(leftovers).toEqual([])
  })

  it('4 deleting/replacing processes against 4 appenders: each attempt commits or conflicts, and the table equals the replay of what committed', async () => {
    const uri = await newTable()
    const results = await runWorkers(uri, [
      ...Array.from({ length: 4 }, (_, i) => ({ id: `a${i}`, ops: 20, kind: 'append' })),
      ...Array.from({ length: 4 }, (_, i) => ({ id: `m${i}`, ops: 10, kind: 'mixed' })),
    ])
    const all = results.flatMap((r) => r.lines.map((l) => ({ ...l, writer: r.id })))
    for (const l of all) expect(l.version !== undefined || l.conflict !== undefined || l.noop === true).toBe(true)
    // Replay the committed operations in version order on a model of the table.
    const committed = all.filter((l) => l.version !== undefined).sort((a, b) => a.version! - b.version!)
    expect(committed.map((l) => l.version)).toEqual(Array.from({ length: committed.length }, (_, i) => i + 1))
    let model: { writer: string; seq: number; part: number }[] = []
    for (const op of committed) {
      const mine = [0, 1].map((part) => ({ writer: op.writer, seq: op.seq, part }))
      if (op.op === 'append') model.push(...mine)
      else if (op.op === 'delete') model = model.filter((r) => r.part !== 1)
      else if (op.op === 'replace') model = [...model.filter((r) => r.part !== 0), ...mine.filter((r) => r.part === 0)]
    }
    const t = await (await (await DeltaTable.open(uri)).snapshot()).scan().toArrow()
    const actual = [...t].map((r) => `${r.writer}/${r.seq}/${r.part}`).sort()
    expect(actual).toEqual(model.map((r) => `${r.writer}/${r.seq}/${r.part}`).sort())
    const conflicts = all.filter((l) => l.conflict)
    process.stdout.write(
      `mixed torture: ${committed.length} commits, ${conflicts.length} conflicts (${[...new Set(conflicts.map((c) => c.conflict))].join(', ')})\n`,
    )
  })
})
