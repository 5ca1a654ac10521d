import { spawn } from 'node:child_process'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DeltaError } from '../src/errors.js'
import type { ObjectMeta, Storage } from '../src/storage/types.js'

/** What a backend's test file hands the contract suite: a fresh, empty storage and a way to dispose of it. */
export interface ContractFixture {
  storage: Storage
  cleanup(): Promise<void>
}

const enc = new TextEncoder()
const dec = new TextDecoder()

async function collect(it: AsyncIterable<ObjectMeta>): Promise<ObjectMeta[]> {
  const out: ObjectMeta[] = []
  for await (const m of it) out.push(m)
  return out
}

/** Resolves to the DeltaError code the promise rejects with; fails the test when it resolves or throws another error. */
async function errorCode(p: Promise<unknown>): Promise<string> {
  try {
    await p
  } catch (err) {
    expect(err).toBeInstanceOf(DeltaError)
    return (err as DeltaError).code
  }
  throw new Error('expected a DeltaError, but the call succeeded')
}

/**
 * The storage contract (src/storage/types.ts) as one vitest suite that every backend runs unchanged. `make` is
 * called before every test and must return an empty storage (a fresh directory, bucket prefix or map);
 * `cleanup` runs after it.
 */
export function storageContractSuite(name: string, make: () => Promise<ContractFixture>): void {
  describe(`${name} storage contract`, () => {
    let fx: ContractFixture
    let s: Storage
    beforeEach(async () => {
      fx = await make()
      s = fx.storage
    })
    afterEach(async () => {
      await fx.cleanup()
    })

    it('list returns keys under the prefix recursively, sorted by byte order, with sizes', async () => {
      const keys = [
        '_delta_log/00000000000000000001.json',
        'x/a0',
        '_delta_log/00000000000000000000.json',
        'x/a/b',
        '_delta_log/_sidecars/s.parquet',
        'x/a-b',
        '_delta_log2/other.json',
        'part-0.parquet',
      ]
      for (const [i, k] of keys.entries()) await s.put(k, enc.encode('y'.repeat(i + 1)))

      const all = await collect(s.list(''))
      expect(all.map((m) => m.path)).toEqual([...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))))
      // '-' (0x2d) < '/' (0x2f) < '0' (0x30): a directory walk that sorted per level would get this wrong.
      expect((await collect(s.list('x/'))).map((m) => m.path)).toEqual(['x/a-b', 'x/a/b', 'x/a0'])
      for (const m of all) expect(m.size).toBe(keys.indexOf(m.path) + 1)

      const log = await collect(s.list('_delta_log/'))
      expect(log.map((m) => m.path)).toEqual([
        '_delta_log/00000000000000000000.json',
        '_delta_log/00000000000000000001.json',
        '_delta_log/_sidecars/s.parquet',
      ])
      // A prefix need not end at a folder boundary.
      const commits = await collect(s.list('_delta_log/0000'))
      expect(commits.map((m) => m.path)).toEqual([
        '_delta_log/00000000000000000000.json',
        '_delta_log/00000000000000000001.json',
      ])
    })

    it('list with startAfter returns only keys strictly greater, whether or not startAfter exists', async () => {
      for (let v = 0; v < 5; v++) await s.put(`_delta_log/${String(v).padStart(20, '0')}.json`, enc.encode(`${v}`))
      const after1 = await collect(s.list('_delta_log/', { startAfter: '_delta_log/00000000000000000001.json' }))
      expect(after1.map((m) => m.path)).toEqual([
        '_delta_log/00000000000000000002.json',
        '_delta_log/00000000000000000003.json',
        '_delta_log/00000000000000000004.json',
      ])
      const afterMissing = await collect(s.list('_delta_log/', { startAfter: '_delta_log/00000000000000000003' }))
      expect(afterMissing.map((m) => m.path)).toEqual([
        '_delta_log/00000000000000000003.json',
        '_delta_log/00000000000000000004.json',
      ])
      const afterAll = await collect(s.list('_delta_log/', { startAfter: '_delta_log/zzz' }))
      expect(afterAll).toEqual([])
    })

    it('list of a missing prefix yields nothing instead of failing', async () => {
      await s.put('a/file', enc.encode('x'))
      expect(await collect(s.list('missing/'))).toEqual([])
      expect(await collect(s.list('a/file/deeper/'))).toEqual([])
      expect(await collect(s.list('b'))).toEqual([])
    })

    it('read returns exactly the bytes written, including empty objects and all byte values', async () => {
      const bytes = new Uint8Array(256)
      for (let i = 0; i < 256; i++) bytes[i] = i
      await s.put('bin/all-bytes', bytes)
      await s.put('bin/empty', new Uint8Array(0))
      expect(await s.read('bin/all-bytes')).toEqual(bytes)
      expect((await s.read('bin/empty')).byteLength).toBe(0)
      expect((await s.head('bin/empty')).size).toBe(0)
    })

    it('readRange returns [start, end) and clamps an end past the size', async () => {
      const data = enc.encode('0123456789')
      await s.put('r/ten', data)
      expect(dec.decode(await s.readRange('r/ten', 2, 5))).toBe('234')
      expect(dec.decode(await s.readRange('r/ten', 0, 10))).toBe('0123456789')
      expect(dec.decode(await s.readRange('r/ten', 7, 1000))).toBe('789')
      expect(dec.decode(await s.readRange('r/ten', 9, 10))).toBe('9')
      expect(dec.decode(await s.readRange('r/ten', 6, Number.POSITIVE_INFINITY))).toBe('6789')
      expect((await s.readRange('r/ten', 4, 4)).byteLength).toBe(0)
      expect((await s.readRange('r/ten', 10, 20)).byteLength).toBe(0)
    })

    it('head reports size and a modification time close to the write', async () => {
      const before = Date.now()
      await s.put('h/obj', enc.encode('hello'))
      const after = Date.now()
      const meta = await s.head('h/obj')
      expect(meta.path).toBe('h/obj')
      expect(meta.size).toBe(5)
      // Object stores report whole seconds; allow one second below and some clock skew above.
      expect(meta.lastModified).toBeGreaterThanOrEqual(before - 1000)
      expect(meta.lastModified).toBeLessThanOrEqual(after + 5000)
      const listed = await collect(s.list('h/'))
      expect(listed).toHaveLength(1)
      expect(listed[0].size).toBe(5)
      expect(Math.abs(listed[0].lastModified - meta.lastModified)).toBeLessThanOrEqual(1000)
    })

    it('modification times are whole milliseconds in head and list', async () => {
      for (let i = 0; i < 5; i++) await s.put(`ms/obj${i}`, enc.encode(`v${i}`))
      const listed = await collect(s.list('ms/'))
      expect(listed).toHaveLength(5)
      for (const m of listed) {
        expect(Number.isInteger(m.lastModified)).toBe(true)
        expect(Number.isInteger((await s.head(m.path)).lastModified)).toBe(true)
      }
    })

    it('put with overwrite:true replaces an existing object', async () => {
      await s.put('o/file', enc.encode('first version'), { overwrite: true })
      await s.put('o/file', enc.encode('second'), { overwrite: true })
      expect(dec.decode(await s.read('o/file'))).toBe('second')
      expect((await s.head('o/file')).size).toBe(6)
    })

    it('put without overwrite creates a missing object and fails with FILE_ALREADY_EXISTS on an existing one, keeping the original bytes', async () => {
      await s.put('p/commit.json', enc.encode('original'))
      expect(await errorCode(s.put('p/commit.json', enc.encode('intruder')))).toBe('FILE_ALREADY_EXISTS')
      expect(await errorCode(s.put('p/commit.json', enc.encode('intruder'), { overwrite: false }))).toBe(
        'FILE_ALREADY_EXISTS',
      )
      expect(dec.decode(await s.read('p/commit.json'))).toBe('original')
      expect((await collect(s.list('p/'))).map((m) => m.path)).toEqual(['p/commit.json'])
    })

    it('delete removes an object, and deleting a missing object succeeds', async () => {
      await s.put('d/file', enc.encode('x'))
      await s.delete('d/file')
      expect(await errorCode(s.read('d/file'))).toBe('FILE_NOT_FOUND')
      expect(await collect(s.list('d/'))).toEqual([])
      await expect(s.delete('d/file')).resolves.toBeUndefined()
      await expect(s.delete('never/existed')).resolves.toBeUndefined()
    })

    it('read, readRange and head of a missing key fail with FILE_NOT_FOUND', async () => {
      expect(await errorCode(s.read('missing.json'))).toBe('FILE_NOT_FOUND')
      expect(await errorCode(s.readRange('missing.json', 0, 10))).toBe('FILE_NOT_FOUND')
      expect(await errorCode(s.readRange('missing.json', 3, 3))).toBe('FILE_NOT_FOUND')
      expect(await errorCode(s.head('missing.json'))).toBe('FILE_NOT_FOUND')
    })

    it('keys with spaces, %, =, + and unicode round-trip through put, read, head and list', async () => {
      const keys = [
        'date=2024-01-01/city=New York/part 0.parquet',
        'pct/100%25 literal %.json',
        'eq/a=b=c/x+y.parquet',
        'uni/ünïcødé/日本語-😀.parquet',
      ]
      for (const k of keys) await s.put(k, enc.encode(`content of ${k}`))
      for (const k of keys) {
        expect(dec.decode(await s.read(k))).toBe(`content of ${k}`)
        expect((await s.head(k)).size).toBe(enc.encode(`content of ${k}`).byteLength)
      }
      const listed = (await collect(s.list(''))).map((m) => m.path)
      expect([...listed].sort()).toEqual([...keys].sort())
      expect((await collect(s.list('date=2024-01-01/city=New York/'))).map((m) => m.path)).toEqual([keys[0]])
      expect(await errorCode(s.put(keys[3], enc.encode('again')))).toBe('FILE_ALREADY_EXISTS')
    })

    it('20 concurrent put-if-absent calls on one key: exactly one wins and the content is the winner’s', async () => {
      const key = '_delta_log/00000000000000000007.json'
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) => s.put(key, enc.encode(`{"commitInfo":{"txnId":"writer-${i}"}}\n`))),
      )
      const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []))
      expect(winners).toHaveLength(1)
      for (const r of results) {
        if (r.status === 'rejected') {
          expect(r.reason).toBeInstanceOf(DeltaError)
          expect((r.reason as DeltaError).code).toBe('FILE_ALREADY_EXISTS')
        }
      }
      expect(dec.decode(await s.read(key))).toBe(`{"commitInfo":{"txnId":"writer-${winners[0]}"}}\n`)
      expect((await collect(s.list('_delta_log/'))).map((m) => m.path)).toEqual([key])
    })
  })
}

/**
 * Runs `count` OS processes of `node [nodeArgs] --import tsx <workerFile> ...args(id)` and releases them together: each
 * worker must print `ready` once loaded, then wait for a line on stdin before racing, then print one JSON line
 * with its result and exit 0. Resolves to the parsed results in worker order; rejects when any worker fails.
 */
export async function raceInProcesses<T>(options: {
  count: number
  workerFile: string
  args: (id: number) => string[]
  cwd: string
  env?: NodeJS.ProcessEnv
  /** Extra node flags, e.g. `--conditions=source` so that `delta-ts` self-imports resolve to src/. */
  nodeArgs?: string[]
}): Promise<T[]> {
  const procs = Array.from({ length: options.count }, (_, id) => {
    const child = spawn(
      process.execPath,
      [...(options.nodeArgs ?? []), '--import', 'tsx', options.workerFile, ...options.args(id)],
      {
        stdio: ['pipe', 'pipe', 'pipe'],
        cwd: options.cwd,
        env: { ...process.env, ...options.env },
      },
    )
    let out = ''
    let err = ''
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString()
    })
    const ready = new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString()
        if (out.startsWith('ready\n')) resolve()
      })
      child.once('exit', (code) => reject(new Error(`worker ${id} exited before ready (${code}): ${err}`)))
    })
    const done = new Promise<T>((resolve, reject) => {
      child.once('exit', (code) => {
        if (code !== 0) reject(new Error(`worker ${id} exited with ${code}: ${err}`))
        else resolve(JSON.parse(out.slice('ready\n'.length)) as T)
      })
    })
    // Both are awaited below; these handlers only keep an early failure from being reported as unhandled.
    ready.catch(() => {})
    done.catch(() => {})
    return { child, ready, done }
  })
  try {
    await Promise.all(procs.map((p) => p.ready))
  } catch (err) {
    for (const p of procs) p.child.kill()
    throw err
  }
  // Everyone is loaded and waiting: release them together.
  for (const p of procs) p.child.stdin.end('go\n')
  return Promise.all(procs.map((p) => p.done))
}

/** What a read-only backend's test file hands {@link readOnlyStorageContractSuite}. */
export interface ReadOnlyContractFixture {
  storage: Storage
  cleanup(): Promise<void>
}

/**
 * The read part of the storage contract, for backends that cannot write (HTTP): `make(files)` must return a
 * storage whose objects are exactly `files` (put there by other means, e.g. a directory a server serves).
 * Listing is checked only for `_delta_log/`, the one prefix such a backend must answer.
 */
export function readOnlyStorageContractSuite(
  name: string,
  make: (files: Record<string, Uint8Array>) => Promise<ReadOnlyContractFixture>,
): void {
  describe(`${name} storage contract (read-only part)`, () => {
    const fixtures: ReadOnlyContractFixture[] = []
    const open = async (files: Record<string, Uint8Array>) => {
      const fx = await make(files)
      fixtures.push(fx)
      return fx.storage
    }
    afterEach(async () => {
      for (const fx of fixtures.splice(0)) await fx.cleanup()
    })
    const commit = (v: number) => `_delta_log/${String(v).padStart(20, '0')}.json`

    it('read returns exactly the bytes stored, including empty objects and all byte values', async () => {
      const bytes = new Uint8Array(256)
      for (let i = 0; i < 256; i++) bytes[i] = i
      const s = await open({ 'bin/all-bytes': bytes, 'bin/empty': new Uint8Array(0) })
      expect(await s.read('bin/all-bytes')).toEqual(bytes)
      expect((await s.read('bin/empty')).byteLength).toBe(0)
      expect((await s.head('bin/empty')).size).toBe(0)
    })

    it('readRange returns [start, end) and clamps an end past the size', async () => {
      const s = await open({ 'r/ten': enc.encode('0123456789') })
      expect(dec.decode(await s.readRange('r/ten', 2, 5))).toBe('234')
      expect(dec.decode(await s.readRange('r/ten', 0, 10))).toBe('0123456789')
      expect(dec.decode(await s.readRange('r/ten', 7, 1000))).toBe('789')
      expect(dec.decode(await s.readRange('r/ten', 9, 10))).toBe('9')
      expect(dec.decode(await s.readRange('r/ten', 6, Number.POSITIVE_INFINITY))).toBe('6789')
      expect((await s.readRange('r/ten', 4, 4)).byteLength).toBe(0)
      expect((await s.readRange('r/ten', 10, 20)).byteLength).toBe(0)
    })

    it('head reports size and a whole-millisecond modification time close to when the object was stored', async () => {
      const before = Date.now()
      const s = await open({ 'h/obj': enc.encode('hello') })
      const after = Date.now()
      const meta = await s.head('h/obj')
      expect(meta.path).toBe('h/obj')
      expect(meta.size).toBe(5)
      expect(Number.isInteger(meta.lastModified)).toBe(true)
      expect(meta.lastModified).toBeGreaterThanOrEqual(before - 1000)
      expect(meta.lastModified).toBeLessThanOrEqual(after + 5000)
    })

    it('read, readRange and head of a missing key fail with FILE_NOT_FOUND', async () => {
      const s = await open({ 'present.json': enc.encode('{}') })
      expect(await errorCode(s.read('missing.json'))).toBe('FILE_NOT_FOUND')
      expect(await errorCode(s.readRange('missing.json', 0, 10))).toBe('FILE_NOT_FOUND')
      expect(await errorCode(s.readRange('missing.json', 3, 3))).toBe('FILE_NOT_FOUND')
      expect(await errorCode(s.head('missing.json'))).toBe('FILE_NOT_FOUND')
    })

    it('keys with spaces, %, =, + and unicode read back through read and head', async () => {
      const keys = [
        'date=2024-01-01/city=New York/part 0.parquet',
        'pct/100%25 literal %.json',
        'eq/a=b=c/x+y.parquet',
        'uni/ünïcødé/日本語-😀.parquet',
      ]
      const s = await open(Object.fromEntries(keys.map((k) => [k, enc.encode(`content of ${k}`)])))
      for (const k of keys) {
        expect(dec.decode(await s.read(k))).toBe(`content of ${k}`)
        expect((await s.head(k)).size).toBe(enc.encode(`content of ${k}`).byteLength)
      }
    })

    it('list of _delta_log/ returns the commits sorted, with sizes, and honours startAfter', async () => {
      const files: Record<string, Uint8Array> = {}
      for (let v = 0; v < 5; v++) files[commit(v)] = enc.encode(`${v}`.repeat(v + 1))
      const s = await open(files)
      const all = await collect(s.list('_delta_log/'))
      expect(all.map((m) => m.path)).toEqual(Object.keys(files))
      for (const m of all) expect(m.size).toBe(files[m.path].byteLength)
      const after1 = await collect(s.list('_delta_log/', { startAfter: commit(1) }))
      expect(after1.map((m) => m.path)).toEqual([commit(2), commit(3), commit(4)])
      const afterMissing = await collect(s.list('_delta_log/', { startAfter: '_delta_log/00000000000000000003' }))
      expect(afterMissing.map((m) => m.path)).toEqual([commit(3), commit(4)])
      expect(await collect(s.list('_delta_log/', { startAfter: '_delta_log/zzz' }))).toEqual([])
    })

    it('list of _delta_log/ of a missing table yields nothing instead of failing', async () => {
      const s = await open({ 'other/file': enc.encode('x') })
      expect(await collect(s.list('_delta_log/'))).toEqual([])
    })
  })
}
