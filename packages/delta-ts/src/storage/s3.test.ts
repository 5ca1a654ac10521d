import { randomUUID } from 'node:crypto'
import { promises as fs } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { beforeAll, describe, expect, inject, it } from 'vitest'
import { freePort, startFaultProxy, testCredentials } from '../../test/s3-server.js'
import { raceInProcesses, storageContractSuite } from '../../test/storage-contract.js'
import { DeltaTable } from '../core/table.js'
import { DeltaError } from '../errors.js'
import { S3Storage, type S3StorageOptions } from './s3.js'

// The SDK warns on Node 20 about its future Node 22 requirement; tests only.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

const enc = new TextEncoder()
const dec = new TextDecoder()

/** The endpoint of the test server started by test/global-setup.ts; fails (never skips) when there is none. */
function endpoint(): string {
  const e = inject('s3Endpoint')
  if (!e) throw new Error(inject('s3Error') || 'no S3 test server: test/global-setup.ts did not run')
  return e
}

function connection(): S3StorageOptions {
  return { endpoint: endpoint(), forcePathStyle: true, region: 'us-east-1', credentials: testCredentials }
}

function rawClient(options: { maxAttempts?: number } = {}): S3Client {
  return new S3Client({ ...connection(), maxAttempts: options.maxAttempts ?? 1 })
}

async function newBucket(): Promise<string> {
  const bucket = `delta-ts-${randomUUID().slice(0, 8)}`
  await rawClient().send(new CreateBucketCommand({ Bucket: bucket }))
  return bucket
}

async function errorOf(p: Promise<unknown>): Promise<DeltaError> {
  try {
    await p
  } catch (err) {
    expect(err).toBeInstanceOf(DeltaError)
    return err as DeltaError
  }
  throw new Error('expected a DeltaError, but the call succeeded')
}

/** Byte equality without vitest's element-by-element diffing, which takes minutes on megabytes. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))
}

async function keys(storage: S3Storage, prefix = ''): Promise<string[]> {
  const out: string[] = []
  for await (const m of storage.list(prefix)) out.push(m.path)
  return out
}

describe('the S3 test server', () => {
  it('is atomic: 50 concurrent conditional PUTs on one key have exactly one winner, in each of 5 rounds', async () => {
    const bucket = await newBucket()
    const client = rawClient()
    for (let round = 0; round < 5; round++) {
      const results = await Promise.allSettled(
        Array.from({ length: 50 }, (_, i) =>
          client.send(
            new PutObjectCommand({
              Bucket: bucket,
              Key: `race/${round}`,
              Body: `writer ${i} `.repeat(500),
              IfNoneMatch: '*',
            }),
          ),
        ),
      )
      const statuses = results.map((r) =>
        r.status === 'fulfilled'
          ? 200
          : (r.reason as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode,
      )
      expect(statuses.filter((s) => s === 200)).toHaveLength(1)
      expect(statuses.filter((s) => s === 412)).toHaveLength(49)
    }
  })
})

let contractBucket = ''
beforeAll(async () => {
  contractBucket = await newBucket()
})

storageContractSuite('S3Storage (moto)', async () => {
  const storage = new S3Storage(`s3://${contractBucket}/contract-${randomUUID()}`, connection())
  return {
    storage,
    cleanup: async () => {
      for (const k of await keys(storage)) await storage.delete(k)
    },
  }
})

describe('S3Storage specifics', () => {
  let bucket = ''
  beforeAll(async () => {
    bucket = await newBucket()
  })
  const make = (options: S3StorageOptions = {}) =>
    new S3Storage(`s3://${bucket}/t-${randomUUID()}/`, { ...connection(), ...options })

  it('parses the URI into bucket and prefix and roots keys under the prefix', async () => {
    const s = new S3Storage(`s3://${bucket}/deep/table`, connection())
    expect(s.bucket).toBe(bucket)
    expect(s.prefix).toBe('deep/table/')
    expect(s.rootUri).toBe(`s3://${bucket}/deep/table/`)
    await s.put('_delta_log/00000000000000000000.json', enc.encode('{}'))
    const atBucketRoot = new S3Storage(`s3://${bucket}`, connection())
    expect(atBucketRoot.prefix).toBe('')
    expect(await keys(atBucketRoot, 'deep/table/')).toEqual(['deep/table/_delta_log/00000000000000000000.json'])
    // A sibling prefix that shares the leading characters is not part of the table.
    await atBucketRoot.put('deep/table2/x', enc.encode('x'))
    expect(await keys(s)).toEqual(['_delta_log/00000000000000000000.json'])
    expect(() => new S3Storage('http://bucket/x')).toThrowError(/not an s3:\/\/ URI/)
  })

  it('lists across pages with StartAfter on the first page only, in order', async () => {
    const s = make({ listPageSize: 2 })
    let listCalls = 0
    s.client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'ListObjectsV2Command') listCalls++
        return next(args)
      },
      { step: 'initialize', name: 'countLists' },
    )
    const all = Array.from({ length: 7 }, (_, v) => `_delta_log/${String(v).padStart(20, '0')}.json`)
    for (const k of [...all].reverse()) await s.put(k, enc.encode(k))
    expect(await keys(s, '_delta_log/')).toEqual(all)
    expect(listCalls).toBe(4)
    listCalls = 0
    const after: string[] = []
    for await (const m of s.list('_delta_log/', { startAfter: all[2] })) after.push(m.path)
    expect(after).toEqual(all.slice(3))
    expect(listCalls).toBe(2)
  })

  it('uploads large objects in parts, reads them back whole and by range, and keeps put-if-absent semantics', async () => {
    const MiB = 1024 * 1024
    const s = make({ multipartThreshold: 6 * MiB, partSize: 5 * MiB })
    const parts: number[] = []
    s.client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'UploadPartCommand') parts.push((args.input as { PartNumber: number }).PartNumber)
        return next(args)
      },
      { step: 'initialize', name: 'countParts' },
    )
    const data = new Uint8Array(11 * MiB)
    for (let i = 0; i < data.length; i += 4096) data[i] = (i / 4096) % 251
    await s.put('big/part-0.parquet', data)
    expect(parts.sort()).toEqual([1, 2, 3])
    expect((await s.head('big/part-0.parquet')).size).toBe(data.length)
    expect(sameBytes(await s.read('big/part-0.parquet'), data)).toBe(true)
    // A range across the first part boundary.
    const range = await s.readRange('big/part-0.parquet', 5 * MiB - 8192, 5 * MiB + 8192)
    expect(sameBytes(range, data.subarray(5 * MiB - 8192, 5 * MiB + 8192))).toBe(true)

    const other = new Uint8Array(7 * MiB).fill(7)
    const err = await errorOf(s.put('big/part-0.parquet', other))
    expect(err.code).toBe('FILE_ALREADY_EXISTS')
    expect(err.cause).toBeDefined()
    expect((await s.head('big/part-0.parquet')).size).toBe(data.length)
    await s.put('big/part-0.parquet', other, { overwrite: true })
    expect(sameBytes(await s.read('big/part-0.parquet'), other)).toBe(true)
  })

  it('refuses put-if-absent with UNSAFE_COMMIT when conditional writes are off and single-writer mode is not chosen', async () => {
    const s = make({ conditionalWrites: false })
    const err = await errorOf(s.put('_delta_log/00000000000000000000.json', enc.encode('{}')))
    expect(err.code).toBe('UNSAFE_COMMIT')
    expect(await keys(s)).toEqual([])
    // Overwrites need no condition and still work.
    await s.put('data/file', enc.encode('x'), { overwrite: true })
    expect(await keys(s)).toEqual(['data/file'])
  })

  it('in unsafeSingleWriter mode creates a missing key and reports FILE_ALREADY_EXISTS for an existing one', async () => {
    const s = make({ conditionalWrites: false, unsafeSingleWriter: true })
    await s.put('_delta_log/00000000000000000000.json', enc.encode('first'))
    const err = await errorOf(s.put('_delta_log/00000000000000000000.json', enc.encode('second')))
    expect(err.code).toBe('FILE_ALREADY_EXISTS')
    expect(dec.decode(await s.read('_delta_log/00000000000000000000.json'))).toBe('first')
  })

  it('translates a missing bucket to STORAGE_ERROR and an unreachable endpoint to STORAGE_TRANSIENT, keeping the cause', async () => {
    const noBucket = new S3Storage(`s3://no-such-bucket-${randomUUID().slice(0, 8)}/t`, connection())
    const e1 = await errorOf(noBucket.read('x'))
    expect(e1.code).toBe('STORAGE_ERROR')
    expect((e1.cause as { name?: string }).name).toBe('NoSuchBucket')

    const port = await freePort()
    const unreachable = new S3Storage(`s3://${bucket}/t`, {
      ...connection(),
      endpoint: `http://127.0.0.1:${port}`,
      maxAttempts: 1,
    })
    const e2 = await errorOf(unreachable.read('x'))
    expect(e2.code).toBe('STORAGE_TRANSIENT')
    expect(e2.cause).toBeDefined()
    const e3 = await errorOf(unreachable.put('y', enc.encode('y'), { overwrite: true }))
    expect(e3.code).toBe('STORAGE_TRANSIENT')
  })

  it('reports a client with no credentials or no region as STORAGE_CONFIG (permanent), not STORAGE_TRANSIENT', async () => {
    const saved = { ...process.env }
    try {
      for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_REGION'])
        delete process.env[k]
      // The default chain would otherwise ask the instance metadata service, which is not ours to call.
      process.env.AWS_EC2_METADATA_DISABLED = 'true'
      process.env.AWS_CONFIG_FILE = '/nonexistent/aws-config'
      process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/aws-credentials'
      const { credentials: _omit, ...noCredentials } = connection()
      const e1 = await errorOf(new S3Storage(`s3://${bucket}/t`, { ...noCredentials, maxAttempts: 1 }).read('x'))
      expect(e1.code).toBe('STORAGE_CONFIG')
      expect(e1.message).toMatch(/credentials/)
      expect((e1.cause as { name?: string }).name).toBe('CredentialsProviderError')
      const e2 = await errorOf(new S3Storage(`s3://${bucket}/t`, { maxAttempts: 1 }).read('x'))
      expect(e2.code).toBe('STORAGE_CONFIG')
      expect(e2.message).toMatch(/region/)
      const e3 = await errorOf(DeltaTable.open(`s3://${bucket}/t`, { storageOptions: { s3: { maxAttempts: 1 } } }))
      expect(e3.code).toBe('STORAGE_CONFIG')
    } finally {
      process.env = saved
    }
  })

  it('reports a store that rejects If-None-Match (501 NotImplemented) as STORAGE_ERROR naming conditionalWrites, without retrying', async () => {
    const s = make({ maxAttempts: 1 })
    let puts = 0
    s.client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName !== 'PutObjectCommand') return next(args)
        puts++
        throw Object.assign(new Error('A header you provided implies functionality that is not implemented'), {
          name: 'NotImplemented',
          $metadata: { httpStatusCode: 501 },
        })
      },
      { step: 'finalizeRequest', priority: 'low', name: 'inject501' },
    )
    const err = await errorOf(s.put('_delta_log/00000000000000000000.json', enc.encode('{}')))
    expect(err.code).toBe('STORAGE_ERROR')
    expect(err.message).toMatch(/conditionalWrites: false/)
    expect(puts).toBe(1)
  })

  it('passes the AbortSignal on: an aborted read or put fails with ABORTED and writes nothing', async () => {
    const s = make()
    await s.put('a/file', enc.encode('x'))
    const signal = AbortSignal.abort()
    expect((await errorOf(s.read('a/file', { signal }))).code).toBe('ABORTED')
    expect((await errorOf(s.put('a/new', enc.encode('y'), { signal }))).code).toBe('ABORTED')
    expect(await keys(s)).toEqual(['a/file'])
  })
})

/**
 * Fault injection: an SDK middleware inside the retry loop (finalizeRequest, low priority) that lets chosen
 * PutObject requests reach the server and then throws a connection-reset error instead of returning the
 * response (success or error alike), which is what a client sees when the connection drops after the server applied the write.
 */
function injectFaults(storage: S3Storage, plan: (attempt: number) => 'pass' | 'drop-response' | 'drop-request') {
  let attempt = 0
  const seen: string[] = []
  storage.client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'PutObjectCommand') return next(args)
      const action = plan(attempt++)
      seen.push(action)
      if (action === 'drop-request') throw connectionReset()
      if (action === 'pass') return next(args)
      // Whatever the server answered (200 or 412), the client never sees it.
      await next(args).catch(() => undefined)
      throw connectionReset()
    },
    { step: 'finalizeRequest', priority: 'low', name: 'injectFaults' },
  )
  return seen
}

function connectionReset(): Error {
  return Object.assign(new Error('socket hang up (injected after the server applied the write)'), {
    code: 'ECONNRESET',
  })
}

describe('S3Storage ambiguous put-if-absent', () => {
  let bucket = ''
  beforeAll(async () => {
    bucket = await newBucket()
  })
  const root = () => `s3://${bucket}/amb-${randomUUID()}/`
  const commit = (writer: string) => enc.encode(`{"commitInfo":{"txnId":"${writer}"}}\n`)
  const key = '_delta_log/00000000000000000001.json'

  it('a dropped response whose SDK retry gets 412 is recognised as our own write: success, one object, our bytes', async () => {
    const r = root()
    const s = new S3Storage(r, { ...connection(), maxAttempts: 3 })
    const seen = injectFaults(s, (n) => (n === 0 ? 'drop-response' : 'pass'))
    await s.put(key, commit('A'))
    // The SDK re-sent the PUT, which met the object written by the first attempt (412) and was reconciled.
    expect(seen).toEqual(['drop-response', 'pass'])
    expect(dec.decode(await s.read(key))).toBe(dec.decode(commit('A')))
    const b = new S3Storage(r, connection())
    expect((await errorOf(b.put(key, commit('B')))).code).toBe('FILE_ALREADY_EXISTS')
    expect(await keys(s)).toEqual([key])
  })

  it('a dropped response with no SDK retry is resolved by reading the key back: success without a second PUT', async () => {
    const s = new S3Storage(root(), { ...connection(), maxAttempts: 1 })
    const seen = injectFaults(s, () => 'drop-response')
    await s.put(key, commit('A'))
    expect(seen).toEqual(['drop-response'])
    expect(dec.decode(await s.read(key))).toBe(dec.decode(commit('A')))
  })

  it('a request lost before the server applied it finds the key absent and is sent again: success, nothing lost', async () => {
    const s = new S3Storage(root(), { ...connection(), maxAttempts: 1 })
    const seen = injectFaults(s, (n) => (n < 2 ? 'drop-request' : 'pass'))
    await s.put(key, commit('A'))
    expect(seen).toEqual(['drop-request', 'drop-request', 'pass'])
    expect(dec.decode(await s.read(key))).toBe(dec.decode(commit('A')))
  })

  it('when another writer took the key while our request was lost, we report FILE_ALREADY_EXISTS and keep their commit', async () => {
    const r = root()
    const a = new S3Storage(r, { ...connection(), maxAttempts: 1 })
    const b = new S3Storage(r, connection())
    let bWrote = false
    a.client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'PutObjectCommand' && !bWrote) {
          bWrote = true
          await b.put(key, commit('B'))
          throw connectionReset()
        }
        return next(args)
      },
      { step: 'finalizeRequest', priority: 'low', name: 'loseRequestWhileBWrites' },
    )
    expect((await errorOf(a.put(key, commit('A')))).code).toBe('FILE_ALREADY_EXISTS')
    expect(dec.decode(await a.read(key))).toBe(dec.decode(commit('B')))
  })

  it('a multipart commit whose CompleteMultipartUpload response is lost, and whose retry finds the upload gone, is recognised as ours', async () => {
    const MiB = 1024 * 1024
    const s = new S3Storage(root(), { ...connection(), maxAttempts: 3, multipartThreshold: 6 * MiB, partSize: 5 * MiB })
    let completes = 0
    s.client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName !== 'CompleteMultipartUploadCommand') return next(args)
        completes++
        if (completes === 1) {
          await next(args)
          throw connectionReset()
        }
        // What AWS answers when a completed upload is completed again.
        throw Object.assign(new Error('The specified upload does not exist (injected)'), {
          name: 'NoSuchUpload',
          $metadata: { httpStatusCode: 404 },
        })
      },
      { step: 'finalizeRequest', priority: 'low', name: 'loseCompleteResponse' },
    )
    const data = new Uint8Array(7 * MiB).fill(42)
    await s.put('big/part-0.parquet', data)
    expect(completes).toBe(2)
    expect(sameBytes(await s.read('big/part-0.parquet'), data)).toBe(true)
  })

  it('a 409 ConditionalRequestConflict is retried until the put succeeds', async () => {
    const s = new S3Storage(root(), { ...connection(), maxAttempts: 1 })
    let conflicts = 0
    s.client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'PutObjectCommand' && conflicts < 2) {
          conflicts++
          throw Object.assign(new Error('A conflicting conditional operation is in progress (injected)'), {
            name: 'ConditionalRequestConflict',
            $metadata: { httpStatusCode: 409 },
          })
        }
        return next(args)
      },
      { step: 'finalizeRequest', priority: 'low', name: 'inject409' },
    )
    await s.put(key, commit('A'))
    expect(conflicts).toBe(2)
    expect(dec.decode(await s.read(key))).toBe(dec.decode(commit('A')))
  })

  it('a put that never reaches the server gives up with STORAGE_TRANSIENT after putRetries rounds and writes nothing', async () => {
    const s = new S3Storage(root(), { ...connection(), maxAttempts: 1, putRetries: 2 })
    const seen = injectFaults(s, () => 'drop-request')
    const err = await errorOf(s.put(key, commit('A')))
    expect(err.code).toBe('STORAGE_TRANSIENT')
    expect((err.cause as { code?: string }).code).toBe('ECONNRESET')
    expect(seen).toHaveLength(3)
    expect(await keys(s)).toEqual([])
  })

  it('20 writers racing with every first response dropped: exactly one success, and the stored commit is the winner’s', async () => {
    const r = root()
    const writers = Array.from({ length: 20 }, () => {
      const s = new S3Storage(r, { ...connection(), maxAttempts: 2 })
      injectFaults(s, (n) => (n === 0 ? 'drop-response' : 'pass'))
      return s
    })
    const results = await Promise.allSettled(writers.map((s, i) => s.put(key, commit(`W${i}`))))
    const winners = results.flatMap((res, i) => (res.status === 'fulfilled' ? [i] : []))
    expect(winners).toHaveLength(1)
    for (const res of results) {
      if (res.status === 'rejected') expect((res.reason as DeltaError).code).toBe('FILE_ALREADY_EXISTS')
    }
    expect(dec.decode(await writers[0].read(key))).toBe(dec.decode(commit(`W${winners[0]}`)))
  })
})

const s3Ts = fileURLToPath(new URL('./s3.ts', import.meta.url))

/** Worker for the cross-process race: loads S3Storage from source, waits for "go", creates each key once. */
const s3WorkerSource = `
import { S3Storage } from ${JSON.stringify(s3Ts)}
const [endpoint, uri, id, keyCount] = process.argv.slice(2)
const storage = new S3Storage(uri, {
  endpoint, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
})
process.stdout.write('ready\\n')
process.stdin.once('data', async () => {
  const results = await Promise.all(Array.from({ length: Number(keyCount) }, async (_, k) => {
    const key = '_delta_log/' + String(k).padStart(20, '0') + '.json'
    try {
      await storage.put(key, new TextEncoder().encode('writer ' + id + ' key ' + k))
      return { ok: true }
    } catch (err) {
      return { ok: false, code: err.code ?? String(err) }
    }
  }))
  process.stdout.write(JSON.stringify(results) + '\\n')
  process.stdin.pause()
})
`

describe('S3Storage across OS processes', () => {
  it('8 processes racing put-if-absent on 10 keys each: exactly one winner per key, and the object is the winner’s', async () => {
    const bucket = await newBucket()
    const uri = `s3://${bucket}/race`
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'delta-ts-s3race-'))
    const workerFile = path.join(dir, 's3-race-worker.mts')
    await fs.writeFile(workerFile, s3WorkerSource)
    const keyCount = 10
    try {
      const results = await raceInProcesses<{ ok: boolean; code?: string }[]>({
        count: 8,
        workerFile,
        args: (id) => [endpoint(), uri, String(id), String(keyCount)],
        cwd: path.dirname(s3Ts),
        env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      })
      const storage = new S3Storage(uri, connection())
      for (let k = 0; k < keyCount; k++) {
        const key = `_delta_log/${String(k).padStart(20, '0')}.json`
        const winners = results.flatMap((r, id) => (r[k].ok ? [id] : []))
        expect(winners, `winners of ${key}`).toHaveLength(1)
        for (const r of results) if (!r[k].ok) expect(r[k].code).toBe('FILE_ALREADY_EXISTS')
        expect(dec.decode(await storage.read(key))).toBe(`writer ${winners[0]} key ${k}`)
      }
      expect(await keys(storage)).toHaveLength(keyCount)
    } finally {
      await fs.rm(dir, { recursive: true, force: true })
    }
  })
})

describe('S3Storage through a faulty network (loopback TCP proxy in front of moto)', () => {
  const commit = (writer: string) => enc.encode(`{"commitInfo":{"txnId":"${writer}"}}\n`)
  const key = '_delta_log/00000000000000000003.json'

  it('a connection reset after the server applied the PUT: the SDK retry meets 412, we recognise our commit, nothing doubled', async () => {
    const bucket = await newBucket()
    const proxy = await startFaultProxy(endpoint(), (n) => (n === 0 ? 'drop' : 'pass'))
    try {
      const viaProxy = new S3Storage(`s3://${bucket}/t`, { ...connection(), endpoint: proxy.endpoint, maxAttempts: 3 })
      await viaProxy.put(key, commit('A'))
      expect(proxy.puts).toEqual(['drop', 'pass'])
      const direct = new S3Storage(`s3://${bucket}/t`, connection())
      expect(dec.decode(await direct.read(key))).toBe(dec.decode(commit('A')))
      expect((await errorOf(direct.put(key, commit('B')))).code).toBe('FILE_ALREADY_EXISTS')
      expect(await keys(direct)).toEqual([key])
    } finally {
      await proxy.close()
    }
  }, 30_000)

  it.each([
    ['requestTimeoutMs', { requestTimeoutMs: 500 }],
    ['idleTimeoutMs', { idleTimeoutMs: 500 }],
  ] as const)(
    'a response that never comes: %s ends the wait and reading the key back proves the commit is ours',
    async (_name, timeout) => {
      const bucket = await newBucket()
      const proxy = await startFaultProxy(endpoint(), (n) => (n === 0 ? 'hang' : 'pass'))
      try {
        const viaProxy = new S3Storage(`s3://${bucket}/t`, {
          ...connection(),
          ...timeout,
          endpoint: proxy.endpoint,
          maxAttempts: 1,
        })
        const started = Date.now()
        await viaProxy.put(key, commit('A'))
        expect(Date.now() - started).toBeGreaterThanOrEqual(400)
        // Only one PUT: the outcome was settled by HEAD + GET, not by sending the commit again.
        expect(proxy.puts).toEqual(['hang'])
        const direct = new S3Storage(`s3://${bucket}/t`, connection())
        expect(dec.decode(await direct.read(key))).toBe(dec.decode(commit('A')))
      } finally {
        await proxy.close()
      }
    },
    30_000,
  )
})
