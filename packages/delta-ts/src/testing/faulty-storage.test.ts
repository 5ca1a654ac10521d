import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  CommitConflictError,
  DeltaError,
  DeltaTable,
  isDeltaError,
  LocalStorage,
  MemoryStorage,
  type Storage,
  type StructType,
} from '../index.js'
import { COMMIT_FILE, createTestTable, FaultyStorage, readRows, rowsToArrow } from '../testing.js'

const tmp = mkdtempSync(path.join(tmpdir(), 'delta-ts-faulty-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

const bytes = (s: string) => new TextEncoder().encode(s)
const text = (b: Uint8Array) => new TextDecoder().decode(b)

async function rejection(p: Promise<unknown>): Promise<DeltaError> {
  try {
    await p
  } catch (err) {
    return err as DeltaError
  }
  throw new Error('expected a rejection')
}

const schema: StructType = {
  type: 'struct',
  fields: [
    { name: 'id', type: 'long', nullable: false, metadata: {} },
    { name: 'region', type: 'string', nullable: true, metadata: {} },
  ],
}

/** The commit versions present in a table's log, read straight from the backend. */
async function commitVersions(storage: Storage): Promise<number[]> {
  const out: number[] = []
  for await (const m of storage.list('_delta_log/'))
    if (COMMIT_FILE.test(m.path)) out.push(Number(m.path.slice(-25, -5)))
  return out
}

describe('FaultyStorage: injected failures', () => {
  it('fails the nth matching call with a STORAGE_TRANSIENT DeltaError before it reaches the backend', async () => {
    const inner = new MemoryStorage('memory://faulty-fail/')
    const faulty = new FaultyStorage(inner)
    const fault = faulty.fail({ op: 'put', path: /\.txt$/, nth: 2 })
    await faulty.put('a.txt', bytes('a'))
    await faulty.put('b.bin', bytes('b')) // not matching the path: not counted
    const err = await rejection(faulty.put('c.txt', bytes('c')))
    expect(err).toBeInstanceOf(DeltaError)
    expect(err.code).toBe('STORAGE_TRANSIENT')
    expect(err.message).toMatch(/injected by FaultyStorage on put call 3/)
    expect(fault.fired).toBe(1)
    // Nothing was written by the failed call; the next one goes through.
    expect(isDeltaError(await rejection(inner.read('c.txt')), 'FILE_NOT_FOUND')).toBe(true)
    await faulty.put('c.txt', bytes('c'))
    expect(text(await inner.read('c.txt'))).toBe('c')
    expect(faulty.calls.map((c) => [c.op, c.path, c.outcome, c.faults.join()])).toEqual([
      ['put', 'a.txt', 'ok', ''],
      ['put', 'b.bin', 'ok', ''],
      ['put', 'c.txt', 'error', 'fail'],
      ['put', 'c.txt', 'ok', ''],
    ])
    expect(faulty.count('put', /\.txt$/)).toBe(3)
  })

  it('raises the code, Error or factory given, `times` calls in a row, on reads, heads and listings too', async () => {
    const inner = new MemoryStorage('memory://faulty-codes/')
    await inner.put('k', bytes('v'))
    const faulty = new FaultyStorage(inner)
    faulty.fail({ op: 'read', times: 2 }, 'STORAGE_ERROR')
    expect((await rejection(faulty.read('k'))).code).toBe('STORAGE_ERROR')
    expect((await rejection(faulty.read('k'))).code).toBe('STORAGE_ERROR')
    expect(text(await faulty.read('k'))).toBe('v')
    const custom = new DeltaError('FILE_NOT_FOUND', 'gone')
    faulty.fail({ op: 'head' }, custom)
    expect(await rejection(faulty.head('k'))).toBe(custom)
    faulty.fail({ op: 'list' }, (call) => new DeltaError('STORAGE_TRANSIENT', `list ${call.path} #${call.seq}`))
    const listErr = await rejection(
      (async () => {
        for await (const _ of faulty.list('')) {
          // never reached
        }
      })(),
    )
    expect(listErr.message).toBe('list  #1')
    const keys: string[] = []
    for await (const m of faulty.list('')) keys.push(m.path)
    expect(keys).toEqual(['k'])
    expect(() => faulty.fail({ nth: 0 })).toThrow(/nth must be a positive integer/)
  })

  it('delays calls and honours the AbortSignal while waiting', async () => {
    const faulty = new FaultyStorage(new MemoryStorage('memory://faulty-delay/'))
    faulty.delay({ op: 'put' }, 150)
    const t0 = performance.now()
    await faulty.put('x', bytes('x'))
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140)
    faulty.delay({ op: 'read' }, 10_000)
    const ctl = new AbortController()
    const pending = rejection(faulty.read('x', { signal: ctl.signal }))
    setTimeout(() => ctl.abort(), 20)
    expect((await pending).code).toBe('ABORTED')
  })

  it('dropResponse writes the object and still reports an error to the caller', async () => {
    const inner = new MemoryStorage('memory://faulty-drop/')
    const faulty = new FaultyStorage(inner)
    faulty.dropResponse({ op: 'put' })
    const err = await rejection(faulty.put('k', bytes('landed')))
    expect(err.code).toBe('STORAGE_TRANSIENT')
    expect(err.message).toMatch(/response lost after the call succeeded/)
    expect(text(await inner.read('k'))).toBe('landed')
    // A plain retry of the put-if-absent now meets its own write.
    expect((await rejection(faulty.put('k', bytes('landed')))).code).toBe('FILE_ALREADY_EXISTS')
  })
})

describe.each([
  ['memory', () => new MemoryStorage('memory://faulty-ambiguous/')],
  ['local disk', () => new LocalStorage(mkdtempSync(path.join(tmp, 'ambiguous-')))],
])('the ambiguous commit on %s storage', (_name, makeInner) => {
  it('a commit whose response is lost is recognised as ours by reading the log back: success, committed once; an idempotent retry skips', async () => {
    const inner = makeInner()
    const faulty = new FaultyStorage(inner)
    const table = await createTestTable(inner.rootUri, [], { schema, storage: faulty })
    const batch = rowsToArrow([{ id: 1n, region: 'eu' }], schema)
    const txn = { appId: 'nightly-load', version: 7 }

    faulty.dropResponse({ op: 'put', path: COMMIT_FILE })
    // The put of version 1 landed, but the writer saw a transient error: the transaction reads version 1 back,
    // finds its own txnId there and reports success instead of an error the caller would retry.
    const first = await table.write(batch, { txn })
    expect(first.version).toBe(1)
    expect(faulty.calls.filter((c) => c.faults.includes('dropResponse'))).toHaveLength(1)
    expect(await commitVersions(inner)).toEqual([0, 1])

    // The caller's retry (same txn) must find its own commit, not write the rows a second time.
    const retry = await table.write(batch, { txn })
    expect(retry.skipped).toBe(true)
    expect(retry.skipReason).toMatch(/nightly-load/)
    expect(await commitVersions(inner)).toEqual([0, 1])
    const reopened = await DeltaTable.open(inner.rootUri, { storage: inner })
    expect(await readRows(reopened)).toEqual([{ id: '1', region: 'eu' }])
    expect(await (await reopened.snapshot()).appTransactionVersion('nightly-load')).toBe(7)
  })

  it('a lost response that surfaces as FILE_ALREADY_EXISTS never becomes a duplicate commit', async () => {
    // A backend whose own retry meets the object its first attempt wrote reports "already exists". The
    // transaction then reads version 1 as a winner. With a txn, the outcome must be a reported conflict or a
    // recognized own commit, never a second copy of the rows.
    const inner = makeInner()
    const faulty = new FaultyStorage(inner)
    const table = await createTestTable(inner.rootUri, [], { schema, storage: faulty })
    faulty.dropResponse({ op: 'put', path: COMMIT_FILE }, 'FILE_ALREADY_EXISTS')
    const outcome = await table
      .write(rowsToArrow([{ id: 1n, region: 'us' }], schema), { txn: { appId: 'job', version: 1 } })
      .then(
        (r) => ({ ok: true as const, version: r.version }),
        (e: unknown) => ({ ok: false as const, error: e }),
      )
    if (outcome.ok) expect(outcome.version).toBe(1)
    else {
      expect(outcome.error).toBeInstanceOf(DeltaError)
      if (outcome.error instanceof CommitConflictError) expect(outcome.error.kind).toBe('ConcurrentTransaction')
    }
    expect(await commitVersions(inner)).toEqual([0, 1])
    expect(await readRows(await DeltaTable.open(inner.rootUri, { storage: inner }))).toEqual([
      { id: '1', region: 'us' },
    ])
  })
})

describe('FaultyStorage: a concurrent writer in the commit window', () => {
  it('a blind append that loses the race to another append is retried at the next version and keeps both', async () => {
    const inner = new MemoryStorage('memory://faulty-race-append/')
    const faulty = new FaultyStorage(inner)
    const table = await createTestTable(inner.rootUri, [{ id: 1n, region: 'eu' }], { schema, storage: faulty })
    const hook = faulty.before({ op: 'put', path: COMMIT_FILE }, async ({ inner }) => {
      const other = await DeltaTable.open(inner.rootUri, { storage: inner })
      await other.write(rowsToArrow([{ id: 2n, region: 'us' }], schema))
    })
    const res = await table.write(rowsToArrow([{ id: 3n, region: 'eu' }], schema))
    expect(hook.fired).toBe(1)
    expect(res.version).toBe(3)
    expect(res.commit?.attempts).toBe(2)
    expect((await readRows(table)).map((r) => r.id)).toEqual(['1', '2', '3'])
  })

  it('a delete that loses the race to an append into the partition it read fails with ConcurrentAppend and commits nothing', async () => {
    const inner = new MemoryStorage('memory://faulty-race-delete/')
    const faulty = new FaultyStorage(inner)
    const table = await createTestTable(
      inner.rootUri,
      [
        { id: 1n, region: 'eu' },
        { id: 2n, region: 'us' },
      ],
      { schema, storage: faulty, partitionBy: ['region'] },
    )
    faulty.before({ op: 'put', path: COMMIT_FILE }, async ({ inner }) => {
      const other = await DeltaTable.open(inner.rootUri, { storage: inner })
      await other.write(rowsToArrow([{ id: 3n, region: 'eu' }], schema))
    })
    const err = await rejection(table.delete("region = 'eu'"))
    expect(err).toBeInstanceOf(CommitConflictError)
    expect((err as CommitConflictError).kind).toBe('ConcurrentAppend')
    expect((err as CommitConflictError).winningVersion).toBe(2)
    faulty.clearFaults()
    expect((await readRows(table)).map((r) => r.id)).toEqual(['1', '2', '3'])
    expect(await commitVersions(inner)).toEqual([0, 1, 2])
  })

  it('a hook on the nth commit put runs once, on that put only', async () => {
    const inner = new MemoryStorage('memory://faulty-race-nth/')
    const faulty = new FaultyStorage(inner)
    const table = await createTestTable(inner.rootUri, [], { schema, storage: faulty }) // put #1 of a commit file
    const seen: number[] = []
    faulty.before({ op: 'put', path: COMMIT_FILE, nth: 2 }, ({ call }) => {
      seen.push(call.seq)
    })
    await table.write(rowsToArrow([{ id: 1n, region: null }], schema)) // commit put #1 after registering
    await table.write(rowsToArrow([{ id: 2n, region: null }], schema)) // #2: the hook fires
    await table.write(rowsToArrow([{ id: 3n, region: null }], schema))
    expect(seen).toHaveLength(1)
    expect(faulty.calls.filter((c) => c.faults.includes('before')).map((c) => c.path)).toEqual([
      '_delta_log/00000000000000000002.json',
    ])
  })
})
