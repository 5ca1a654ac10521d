import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import * as arrow from 'apache-arrow'
import { CommitConflictError, DeltaTable } from 'delta-ts'
import { afterAll, describe, expect, it } from 'vitest'
import { prng } from './prng.js'

/*
 * Writers SIGKILLed at random moments mid-commit leave no partial, lost or duplicated commit: versions stay
 * contiguous, every row of a committed append is there exactly once, rows of an append whose commit never landed
 * are absent, and a reader and a writer carry on. And concurrent read-modify-write transactions (a counter that
 * each UPDATE increments) never lose an increment: the counter equals the number of commits that succeeded.
 * `DELTA_TS_SOAK=1` runs more rounds.
 */

const SOAK = process.env.DELTA_TS_SOAK === '1'
const here = path.dirname(fileURLToPath(import.meta.url))
const worker = path.join(here, '..', 'workers', 'concurrent-writer.ts')
// Node itself with tsx's loader, not the tsx CLI: the CLI runs the script in a child process, and a SIGKILL of
// the CLI would leave that child writing.
const repoRoot = path.resolve(here, '../../../..')
const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

const schema = new arrow.Schema([
  new arrow.Field('writer', new arrow.Utf8(), false),
  new arrow.Field('seq', new arrow.Int32(), false),
  new arrow.Field('part', new arrow.Int32(), false),
])

/**
 * Starts a writer that appends until killed; resolves with the appends it reported as committed. The kill comes
 * `killAfterMs` after its first reported commit (so a slow process start on a loaded machine cannot use up the
 * whole window and leave nothing committed), or after 120 s if it never reports one.
 */
function startWriter(uri: string, id: string, killAfterMs: number): Promise<{ seq: number; version: number }[]> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--conditions=source', worker, uri, id, '100000', 'append'],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'ignore'] },
    )
    let out = ''
    let timer = setTimeout(() => child.kill('SIGKILL'), 120_000)
    let armed = false
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString('utf8')
      if (!armed && out.includes('}')) {
        armed = true
        clearTimeout(timer)
        timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs)
      }
    })
    child.on('exit', () => {
      clearTimeout(timer)
      const done = out
        .split('\n')
        .filter((l) => l.endsWith('}'))
        .map((l) => JSON.parse(l) as { seq: number; version: number })
      resolve(done)
    })
  })
}

describe('kill storm on local disk', () => {
  it('writers SIGKILLed mid-commit: contiguous versions, every committed append once, no partial commit, the table stays writable', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'delta-ts-kill-'))
    dirs.push(dir)
    await DeltaTable.create(dir, { schema, partitionBy: ['part'] })
    const rounds = SOAK ? 10 : 3
    const reported = new Map<string, Set<number>>()
    const rnd = prng(7)
    for (let r = 0; r < rounds; r++) {
      const ids = [0, 1, 2, 3].map((w) => `r${r}w${w}`)
      // Kill times spread over the writers' busy phase, counted from each writer's first commit.
      const results = await Promise.all(ids.map((id) => startWriter(dir, id, Math.floor(rnd() * 1500))))
      ids.forEach((id, i) => {
        reported.set(id, new Set(results[i].map((x) => x.seq)))
      })
    }
    const log = readdirSync(path.join(dir, '_delta_log'))
    const versions = log
      .filter((f) => /^\d{20}\.json$/.test(f))
      .map((f) => Number.parseInt(f, 10))
      .sort((a, b) => a - b)
    expect(versions).toEqual(versions.map((_, i) => i))
    // Every commit file is whole: each line parses.
    for (const f of log.filter((x) => /^\d{20}\.json$/.test(x))) {
      for (const line of readFileSync(path.join(dir, '_delta_log', f), 'utf8')
        .split('\n')
        .filter(Boolean))
        expect(() => JSON.parse(line)).not.toThrow()
    }
    const table = await DeltaTable.open(dir)
    const data = await (await table.snapshot()).scan().toArrow()
    const seen = new Map<string, number>()
    for (let i = 0; i < data.numRows; i++) {
      const key = `${data.getChild('writer')?.get(i)}/${data.getChild('seq')?.get(i)}/${data.getChild('part')?.get(i)}`
      seen.set(key, (seen.get(key) ?? 0) + 1)
    }
    // Each append is two rows (parts 0 and 1) in one commit: both or neither, never twice.
    const appends = new Map<string, number>()
    for (const [key, count] of seen) {
      expect(count, key).toBe(1)
      const [w, s] = key.split('/')
      appends.set(`${w}/${s}`, (appends.get(`${w}/${s}`) ?? 0) + 1)
    }
    for (const [k, c] of appends) expect(c, `append ${k} is partial`).toBe(2)
    // Everything a writer reported committed is there (it may also have committed one more before dying).
    for (const [w, seqs] of reported) for (const s of seqs) expect(appends.get(`${w}/${s}`), `${w}/${s}`).toBe(2)
    expect(versions.length - 1).toBe(appends.size)
    console.log(
      `[kill-storm] ${rounds * 4} writers SIGKILLed, ${appends.size} appends committed, 0 partial or duplicated`,
    )
    expect(appends.size).toBeGreaterThan(rounds * 2)
    // The table carries on.
    const after = await table.write(
      arrow.tableFromArrays({ writer: ['after'], seq: Int32Array.of(0), part: Int32Array.of(0) }),
    )
    expect(after.version).toBe(versions.length)
  }, 300_000)
})

describe('read-modify-write under contention', () => {
  it('8 concurrent UPDATE counter = counter + 1 loops: the counter equals the number of successful commits', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'delta-ts-counter-'))
    dirs.push(dir)
    const counterSchema = new arrow.Schema([
      new arrow.Field('id', new arrow.Int32(), false),
      new arrow.Field('counter', new arrow.Int64(), false),
    ])
    const t0 = await DeltaTable.create(dir, { schema: counterSchema })
    await t0.write(arrow.tableFromArrays({ id: Int32Array.of(1), counter: BigInt64Array.of(0n) }))
    const WRITERS = 8
    const EACH = SOAK ? 20 : 5
    let committed = 0
    let conflicts = 0
    await Promise.all(
      Array.from({ length: WRITERS }, async () => {
        const t = await DeltaTable.open(dir) // one handle per writer: nothing shared but the log
        for (let i = 0; i < EACH; i++) {
          for (;;) {
            try {
              const r = await t.update({ predicate: 'id = 1', set: { counter: 'counter + 1' } })
              if (r.commit) committed++
              break
            } catch (err) {
              if (!(err instanceof CommitConflictError)) throw err
              conflicts++ // lost the race to another increment: read again and retry
            }
          }
        }
      }),
    )
    const rows = await (await (await DeltaTable.open(dir)).snapshot()).scan().toArrow()
    expect(committed).toBe(WRITERS * EACH)
    expect(rows.getChild('counter')?.get(0)).toBe(BigInt(committed))
    expect(conflicts).toBeGreaterThan(0)
    console.log(`[counter] ${committed} increments committed through ${conflicts} conflicts, counter ${committed}`)
  }, 300_000)
})
