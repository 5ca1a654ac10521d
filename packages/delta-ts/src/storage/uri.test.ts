import { execFile } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { promises as fs } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { testCredentials } from '../../test/s3-server.js'
import { DeltaError } from '../errors.js'
import { LocalStorage } from './local.js'
import { MemoryStorage } from './memory.js'
import { S3Storage } from './s3.js'
import { dropMemoryStorage, missingSdkError, resolveStorage } from './uri.js'

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

const enc = new TextEncoder()
const dec = new TextDecoder()

async function errorCode(p: Promise<unknown>): Promise<string> {
  try {
    await p
  } catch (err) {
    expect(err).toBeInstanceOf(DeltaError)
    return (err as DeltaError).code
  }
  throw new Error('expected a DeltaError, but the call succeeded')
}

describe('resolveStorage', () => {
  let dir = ''
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'delta-ts-uri-'))
  })
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true })
  })

  it('maps plain paths and file:// URLs (with encoded spaces) to LocalStorage at that directory', async () => {
    const tableDir = path.join(dir, 'my table')
    const fromPath = await resolveStorage(tableDir)
    expect(fromPath).toBeInstanceOf(LocalStorage)
    expect((fromPath as LocalStorage).root).toBe(tableDir)
    const fromUrl = await resolveStorage(pathToFileURL(tableDir).href)
    expect(fromUrl).toBeInstanceOf(LocalStorage)
    expect((fromUrl as LocalStorage).root).toBe(tableDir)
    await fromUrl.put('_delta_log/00000000000000000000.json', enc.encode('{}'))
    expect(dec.decode(await fromPath.read('_delta_log/00000000000000000000.json'))).toBe('{}')
    const relative = await resolveStorage('relative/table')
    expect((relative as LocalStorage).root).toBe(path.resolve('relative/table'))
  })

  it('returns the same MemoryStorage for the same memory:// name, a different one per name, and a fresh one after dropMemoryStorage', async () => {
    const name = `t-${randomUUID()}`
    const a = await resolveStorage(`memory://${name}`)
    const b = await resolveStorage(`memory://${name}/`)
    const other = await resolveStorage(`memory://${name}-other`)
    expect(a).toBeInstanceOf(MemoryStorage)
    expect(b).toBe(a)
    expect(other).not.toBe(a)
    expect(a.rootUri).toBe(`memory://${name}/`)
    await a.put('k', enc.encode('v'))
    expect(dec.decode(await b.read('k'))).toBe('v')
    expect(await errorCode(other.read('k'))).toBe('FILE_NOT_FOUND')
    expect(dropMemoryStorage(`memory://${name}`)).toBe(true)
    const fresh = await resolveStorage(`memory://${name}`)
    expect(fresh).not.toBe(a)
    expect(await errorCode(fresh.read('k'))).toBe('FILE_NOT_FOUND')
  })

  it('loads S3Storage for s3:// URIs with the given options, and it works against the test server', async () => {
    const endpoint = inject('s3Endpoint')
    if (!endpoint) throw new Error(inject('s3Error') || 'no S3 test server')
    const bucket = `uri-${randomUUID().slice(0, 8)}`
    const s3 = { endpoint, forcePathStyle: true, region: 'us-east-1', credentials: testCredentials }
    await new S3Client({ ...s3, maxAttempts: 1 }).send(new CreateBucketCommand({ Bucket: bucket }))
    const storage = await resolveStorage(`s3://${bucket}/tables/orders`, { s3 })
    expect(storage).toBeInstanceOf(S3Storage)
    expect(storage.rootUri).toBe(`s3://${bucket}/tables/orders/`)
    await storage.put('_delta_log/00000000000000000000.json', enc.encode('{"commitInfo":{}}'))
    const again = await resolveStorage(`s3a://${bucket}/tables/orders/`, { s3 })
    expect(dec.decode(await again.read('_delta_log/00000000000000000000.json'))).toBe('{"commitInfo":{}}')
  })

  it('rejects empty URIs, unknown schemes, malformed file URLs and bucketless s3 URIs with INVALID_ARGUMENT', async () => {
    expect(await errorCode(resolveStorage(''))).toBe('INVALID_ARGUMENT')
    expect(await errorCode(resolveStorage('gs://bucket/table'))).toBe('INVALID_ARGUMENT')
    expect(await errorCode(resolveStorage('abfss://c@acct.dfs.core.windows.net/t'))).toBe('INVALID_ARGUMENT')
    expect(await errorCode(resolveStorage('file://remote-host/share/t'))).toBe('INVALID_ARGUMENT')
    expect(await errorCode(resolveStorage('s3:///no-bucket'))).toBe('INVALID_ARGUMENT')
  })

  it('does not load the AWS SDK until an s3:// URI is resolved (checked in a fresh Node process)', async () => {
    // A resolve hook in the child refuses every @aws-sdk/* module, so any eager import fails loudly.
    const hook = `data:text/javascript,${encodeURIComponent(
      'export async function resolve(s, c, next) { if (s.startsWith("@aws-sdk/")) throw new Error("AWS SDK loaded: " + s); return next(s, c) }',
    )}`
    const uriTs = fileURLToPath(new URL('./uri.ts', import.meta.url))
    const script = `
      import { register } from 'node:module'
      register(${JSON.stringify(hook)})
      const { resolveStorage } = await import(${JSON.stringify(pathToFileURL(uriTs).href)})
      const out = {}
      await resolveStorage(${JSON.stringify(dir)})
      await resolveStorage('memory://lazy')
      out.localAndMemory = 'ok'
      try { await resolveStorage('s3://bucket/t'); out.s3 = 'loaded without the SDK?' }
      catch (err) { out.s3 = String(err.message) }
      console.log(JSON.stringify(out))
    `
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', '--input-type=module', '-e', script],
      { cwd: path.dirname(uriTs) },
    )
    const out = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { localAndMemory?: string; s3?: string }
    expect(out.localAndMemory).toBe('ok')
    expect(out.s3).toMatch(/AWS SDK loaded: @aws-sdk\/client-s3/)
  })
})

describe('missingSdkError', () => {
  // Real resolution failures, from a directory with no node_modules: what Node throws when delta-ts/s3 is loaded
  // in a project without the optional peer dependency @aws-sdk/client-s3 (the packed-project check in
  // scripts/pack-smoke-arrow.mjs runs the whole path).
  it('turns a missing @aws-sdk/client-s3 (import and require) into MISSING_DEPENDENCY naming the install command', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'delta-ts-no-sdk-'))
    try {
      const mod = path.join(dir, 'uses-sdk.mjs')
      await fs.writeFile(mod, "import '@aws-sdk/client-s3'\n")
      // Both loads run in a plain Node process (vitest would resolve them through the workspace).
      const script = `import { createRequire } from 'node:module'
const out = (e) => ({ code: e.code, message: e.message })
const viaImport = await import(${JSON.stringify(pathToFileURL(mod).href)}).then(() => null, out)
let viaRequire = null
try { createRequire(${JSON.stringify(mod)})('@aws-sdk/client-s3') } catch (e) { viaRequire = out(e) }
console.log(JSON.stringify([viaImport, viaRequire]))`
      const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
        cwd: dir,
        // pnpm's bin shims put its store on NODE_PATH, where require would find the SDK.
        env: { ...process.env, NODE_PATH: '' },
      })
      const thrown = JSON.parse(stdout) as { code: string; message: string }[]
      expect(thrown.map((t) => t.code)).toEqual(['ERR_MODULE_NOT_FOUND', 'MODULE_NOT_FOUND'])
      const [viaImport, viaRequire] = thrown.map((t) => Object.assign(new Error(t.message), { code: t.code }))
      for (const cause of [viaImport, viaRequire]) {
        const err = missingSdkError(cause, 's3://bucket/t')
        expect(err).toBeInstanceOf(DeltaError)
        expect(err?.code).toBe('MISSING_DEPENDENCY')
        expect(err?.message).toMatch(/^s3:\/\/bucket\/t: s3:\/\/ tables need the AWS SDK.*npm i @aws-sdk\/client-s3$/)
        expect(err?.cause).toBe(cause)
      }
    } finally {
      await fs.rm(dir, { recursive: true, force: true })
    }
  })

  it('leaves other load failures alone', async () => {
    const other = await import(pathToFileURL(path.join(os.tmpdir(), 'no-such-module-here.mjs')).href).catch(
      (e: unknown) => e,
    )
    expect(missingSdkError(other, 's3://bucket/t')).toBeUndefined()
    expect(missingSdkError(new Error('boom'), 's3://bucket/t')).toBeUndefined()
  })
})
