import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import * as arrow from 'apache-arrow'
import { afterEach, describe, expect, it } from 'vitest'
import {
  CommitConflictError,
  DeltaError,
  DeltaTable,
  LocalStorage,
  type PutOptions,
  type Storage,
} from '../src/index.js'

/**
 * Deterministic races between two writers on one real local table: the first writer is paused right before
 * its commit put while the second commits, then resumed. Shows which operation pairs commit and which conflict.
 */
const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

/** Local storage whose next commit put waits until `release` runs `during` (the concurrent winner). */
class PausingStorage extends LocalStorage {
  during?: () => Promise<unknown>
  override async put(p: string, data: Uint8Array, options?: PutOptions): Promise<void> {
    if (p.startsWith('_delta_log/') && p.endsWith('.json') && this.during) {
      const run = this.during
      this.during = undefined
      await run()
    }
    return super.put(p, data, options)
  }
}

const schema = new arrow.Schema([
  new arrow.Field('id', new arrow.Int32(), false),
  new arrow.Field('p', new arrow.Utf8(), false),
])
const rows = (ids: number[], p: string) => arrow.tableFromArrays({ id: Int32Array.from(ids), p: ids.map(() => p) })

async function setup(): Promise<{ dir: string; a: DeltaTable; b: DeltaTable; storageA: PausingStorage }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'delta-ts-race-'))
  dirs.push(dir)
  await DeltaTable.create(dir, { schema, partitionBy: ['p'] })
  const storageA = new PausingStorage(dir)
  const a = await DeltaTable.open(dir, { storage: storageA as Storage })
  const b = await DeltaTable.open(dir)
  await b.write(rows([1, 2], 'A'))
  await b.write(rows([3, 4], 'B'))
  return { dir, a, b, storageA }
}

async function ids(dir: string): Promise<number[]> {
  const t = await (await (await DeltaTable.open(dir)).snapshot()).scan().toArrow()
  return [...t.getChild('id')!].map(Number).sort((x, y) => x - y)
}

describe('two writers racing on one table', () => {
  it('two blind appends both commit, at consecutive versions', async () => {
    const { dir, a, b, storageA } = await setup()
    storageA.during = () => b.write(rows([10], 'A'))
    const r = await a.write(rows([11], 'A'))
    expect(r.version).toBe(4)
    expect(r.commit?.attempts).toBe(2)
    expect(await ids(dir)).toEqual([1, 2, 3, 4, 10, 11])
  })

  it('a delete in partition A and an append to partition B both commit', async () => {
    for (const isolationLevel of ['Serializable', 'WriteSerializable'] as const) {
      const { dir, a, b, storageA } = await setup()
      storageA.during = () => b.write(rows([20], 'B'))
      const r = await a.delete("p = 'A'", { isolationLevel })
      expect(r.version).toBe(4)
      expect(await ids(dir)).toEqual([3, 4, 20])
    }
  })

  it('a delete in partition A conflicts with a concurrent append to A under Serializable, not under WriteSerializable', async () => {
    const s = await setup()
    s.storageA.during = () => s.b.write(rows([30], 'A'))
    const err = await s.a.delete("p = 'A'").catch((e) => e)
    expect(err).toBeInstanceOf(CommitConflictError)
    expect(err.kind).toBe('ConcurrentAppend')
    expect(err.winningVersion).toBe(3)
    expect(await ids(s.dir)).toEqual([1, 2, 3, 4, 30])

    const w = await setup()
    w.storageA.during = () => w.b.write(rows([30], 'A'))
    await w.a.delete("p = 'A'", { isolationLevel: 'WriteSerializable' })
    expect(await ids(w.dir)).toEqual([3, 4, 30])
  })

  it('a delete whose file the winner removed gets ConcurrentDeleteRead naming the winner', async () => {
    const { dir, a, b, storageA } = await setup()
    storageA.during = () => b.delete("p = 'A'")
    const err = await a.delete('id = 2').catch((e) => e)
    expect(err).toBeInstanceOf(CommitConflictError)
    expect(err.kind).toBe('ConcurrentDeleteRead')
    expect(err.winningVersion).toBe(3)
    expect(err.message).toContain('Help:')
    expect(await ids(dir)).toEqual([3, 4])
  })

  it('two deletes rewriting the same file: the loser conflicts on the rewritten file (Spark checks added files first)', async () => {
    const { dir, a, b, storageA } = await setup()
    storageA.during = () => b.delete('id = 1')
    const err = await a.delete('id = 2').catch((e) => e)
    expect(err).toBeInstanceOf(CommitConflictError)
    expect(err.kind).toBe('ConcurrentAppend')
    expect(await ids(dir)).toEqual([2, 3, 4])
  })

  it('two writers with the same appId: the second conflicts with ConcurrentTransaction', async () => {
    const { dir, a, b, storageA } = await setup()
    storageA.during = () => b.write(rows([40], 'A'), { txn: { appId: 'etl', version: 1 } })
    const err = await a.write(rows([41], 'A'), { txn: { appId: 'etl', version: 1 } }).catch((e) => e)
    expect(err).toBeInstanceOf(CommitConflictError)
    expect(err.kind).toBe('ConcurrentTransaction')
    expect(await ids(dir)).toEqual([1, 2, 3, 4, 40])
  })

  it('an overwrite conflicts with a concurrent append (it read the whole table)', async () => {
    const { a, b, storageA } = await setup()
    storageA.during = () => b.write(rows([50], 'B'))
    const err = await a.write(rows([51], 'A'), { mode: 'overwrite' }).catch((e) => e)
    expect(err).toBeInstanceOf(CommitConflictError)
    expect(err.kind).toBe('ConcurrentAppend')
  })

  it('gives up with MAX_COMMIT_ATTEMPTS_EXCEEDED after maxRetries lost races', async () => {
    const { a, b, storageA } = await setup()
    let left = 3
    const again = async () => {
      await b.write(rows([60 + left], 'B'))
      if (--left > 0) storageA.during = again
    }
    storageA.during = again
    const err = await a.write(rows([70], 'A'), { maxRetries: 1 }).catch((e) => e)
    expect(err).toBeInstanceOf(DeltaError)
    expect(err.code).toBe('MAX_COMMIT_ATTEMPTS_EXCEEDED')
  })
})
