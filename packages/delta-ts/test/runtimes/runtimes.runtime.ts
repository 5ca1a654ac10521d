/**
 * The same read/write script (examples/runtimes/app.mjs) under every runtime delta-ts claims: Node, Deno, Bun,
 * headless Chromium (a bundled page) and workerd, each against the moto S3 server (with CORS for the page) and a
 * golden table published by a local static HTTP server. Each run reports what worked per storage; the last test
 * checks the support table of docs/runtimes.md against exactly that. The runtimes come from
 * scripts/test-runtimes.mjs (npm packages in .tmp/runtimes-tools, Debian's chromium).
 */
import { execFile, spawn } from 'node:child_process'
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { promisify } from 'node:util'
import { CreateBucketCommand, PutBucketCorsCommand, S3Client } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DeltaTable } from '../../src/index.js'
import { goldenRoot, repoRoot } from '../golden.js'
import { freePort, type S3Server, startMoto } from '../s3-server.js'
import { type StaticServer, startStaticServer } from '../static-server.js'

const run = promisify(execFile)
const toolsDir = process.env.DELTA_TS_RUNTIMES_TOOLS ?? path.join(repoRoot, '.tmp', 'runtimes-tools')
const bin = (name: string) => path.join(toolsDir, 'node_modules', '.bin', name)
const requireTool = createRequire(path.join(toolsDir, 'package.json'))
const examples = path.join(repoRoot, 'examples')
const artifacts = path.join(repoRoot, '.tmp', 'artifacts')
const pkgDir = path.join(repoRoot, 'packages', 'delta-ts')
const wasmFile = path.join(
  path.dirname(createRequire(path.join(pkgDir, 'package.json')).resolve('parquet-wasm')),
  '..',
  'esm',
  'parquet_wasm_bg.wasm',
)
const BUCKET = 'runtimes'
const GOLDEN = 'dat/with_checkpoint/delta'

interface Cell {
  storage: string
  read: boolean
  write: boolean
  commit: boolean
}
interface DemoResult {
  runtime: string
  cells: Cell[]
  rows: Record<string, Record<string, unknown>[]>
}

/** The part of playwright-core's API used here (it is installed outside the workspace, without its types here). */
interface Page {
  on(event: 'console', f: (m: { type(): string; text(): string }) => void): void
  on(event: 'pageerror', f: (e: Error) => void): void
  goto(url: string): Promise<unknown>
  waitForFunction(f: () => unknown, arg: undefined, options: { timeout: number }): Promise<unknown>
  screenshot(options: { path: string; fullPage: boolean }): Promise<unknown>
  evaluate<T>(f: () => T): Promise<T>
  textContent(selector: string): Promise<string | null>
}
interface Chromium {
  launch(options: { executablePath: string; args: string[] }): Promise<{
    newPage(options: { viewport: { width: number; height: number } }): Promise<Page>
    close(): Promise<void>
  }>
}

/** What actually ran: runtime → storage → the operations that worked. */
const ran = new Map<string, Map<string, Set<string>>>()
function record(result: DemoResult): void {
  const byStorage = new Map<string, Set<string>>()
  for (const c of result.cells)
    byStorage.set(c.storage, new Set((['read', 'write', 'commit'] as const).filter((op) => c[op])))
  ran.set(result.runtime, byStorage)
}

let moto: S3Server
let site: string
let web: StaticServer
let expectedHttpRows: Record<string, unknown>[]

const plain = (v: unknown) => (typeof v === 'bigint' ? Number(v) : v)
const sortRows = (rows: Record<string, unknown>[]) =>
  rows.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1))

beforeAll(async () => {
  await mkdir(artifacts, { recursive: true })
  // A running server named by DELTA_TS_S3_ENDPOINT (as in the main suite) is used instead of a fresh moto.
  const given = process.env.DELTA_TS_S3_ENDPOINT
  moto = given ? { endpoint: given, stop: async () => {} } : await startMoto()
  const s3 = new S3Client({
    endpoint: moto.endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  })
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET })).catch((err: { name?: string }) => {
    if (err.name !== 'BucketAlreadyOwnedByYou' && err.name !== 'BucketAlreadyExists') throw err
  })
  // The page calls S3 from another origin: the bucket must allow it (docs/runtimes.md shows the same rule).
  await s3.send(
    new PutBucketCorsCommand({
      Bucket: BUCKET,
      CORSConfiguration: {
        CORSRules: [
          {
            AllowedOrigins: ['*'],
            AllowedMethods: ['GET', 'HEAD', 'PUT', 'POST', 'DELETE'],
            AllowedHeaders: ['*'],
            ExposeHeaders: ['ETag', 'Content-Length', 'Content-Range', 'Last-Modified', 'x-amz-request-id'],
            MaxAgeSeconds: 3000,
          },
        ],
      },
    }),
  )
  s3.destroy()
  // The site: the golden table, and (for the page) the bundled app with parquet-wasm and the decode worker.
  site = await mkdtemp(path.join(tmpdir(), 'delta-ts-runtimes-site-'))
  await cp(path.join(goldenRoot(), GOLDEN), path.join(site, 'golden'), { recursive: true })
  web = await startStaticServer(site)
  const local = await DeltaTable.open(path.join(goldenRoot(), GOLDEN))
  const t = await (await local.snapshot()).scan().toArrow()
  expectedHttpRows = sortRows(
    t.toArray().map((r) => Object.fromEntries(Object.entries(r.toJSON()).map(([k, v]) => [k, plain(v)]))),
  )
  expect(expectedHttpRows.length).toBeGreaterThan(0)
})

afterAll(async () => {
  await web?.close()
  await moto?.stop()
  if (site) await rm(site, { recursive: true, force: true })
})

const demoEnv = (): NodeJS.ProcessEnv => ({
  ...process.env,
  DELTA_TS_HTTP_TABLE: `${web.url}golden/`,
  DELTA_TS_S3_ENDPOINT: moto.endpoint,
  DELTA_TS_S3_BUCKET: BUCKET,
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
})

/** Checks one runtime's answer: the HTTP rows are the golden table's, each written table holds its 3 rows. */
function checkResult(result: DemoResult, runtime: string, storages: string[]): void {
  expect(result.runtime).toBe(runtime)
  expect(result.cells.map((c) => c.storage).sort()).toEqual([...storages].sort())
  expect(result.rows.http).toEqual(expectedHttpRows)
  for (const s of storages.filter((x) => x !== 'http'))
    expect(result.rows[s]).toEqual([1, 2, 3].map((id) => ({ id, runtime })))
  // Without local disk (the web build) a plain path fails with UNSUPPORTED_FEATURE.
  if (!storages.includes('local')) expect(result.rows.localDiskError).toEqual([{ code: 'UNSUPPORTED_FEATURE' }])
  record(result)
}

async function runScript(cmd: string, args: string[]): Promise<DemoResult> {
  const { stdout } = await run(cmd, args, { cwd: examples, env: demoEnv(), timeout: 150_000, maxBuffer: 1 << 24 })
  return JSON.parse(stdout.trim().split('\n').pop()!) as DemoResult
}

/**
 * Workers have no DOMParser, which the AWS SDK's browser build parses S3's XML with: bundle its other XML parser
 * (fast-xml-parser) instead, as docs/runtimes.md tells Worker authors to.
 */
const workersXmlParser = {
  name: 'workers-xml-parser',
  setup(build: { onLoad(o: { filter: RegExp }, f: (a: { path: string }) => Promise<{ contents: string }>): void }) {
    build.onLoad({ filter: /[\\/]@aws-sdk[\\/]xml-builder[\\/]dist-es[\\/]xml-parser\.browser\.js$/ }, async (a) => ({
      contents: await readFile(a.path.replace(/\.browser\.js$/, '.js'), 'utf8'),
      resolveDir: path.dirname(a.path),
    }))
  },
}

describe('the read/write script in every runtime', () => {
  it('Node (the built package): reads over HTTP, writes and commits on S3, local disk and memory', async () => {
    checkResult(await runScript(process.execPath, ['runtimes/node.mjs']), 'node', ['http', 's3', 'local', 'memory'])
  })

  it('Deno: reads over HTTP, writes and commits on S3, local disk and memory', async () => {
    const result = await runScript(bin('deno'), ['run', '-A', '--quiet', 'runtimes/deno.mjs'])
    checkResult(result, 'deno', ['http', 's3', 'local', 'memory'])
  })

  it('Bun: reads over HTTP, writes and commits on S3, local disk and memory', async () => {
    checkResult(await runScript(bin('bun'), ['runtimes/bun.mjs']), 'bun', ['http', 's3', 'local', 'memory'])
  })

  it('headless Chromium: a bundled page reads over HTTP, writes and commits on S3 through CORS, shows the rows', async () => {
    const esbuild = requireTool('esbuild') as { build(options: Record<string, unknown>): Promise<unknown> }
    await esbuild.build({
      entryPoints: [path.join(examples, 'runtimes', 'browser', 'main.mjs')],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      outfile: path.join(site, 'app.js'),
      logLevel: 'error',
    })
    const bundle = await readFile(path.join(site, 'app.js'), 'utf8')
    expect(bundle).not.toMatch(/from\s*["']node:/)
    await cp(path.join(examples, 'runtimes', 'browser', 'index.html'), path.join(site, 'index.html'))
    await cp(wasmFile, path.join(site, 'parquet_wasm_bg.wasm'))
    await cp(path.join(pkgDir, 'dist', 'web', 'decode-worker.js'), path.join(site, 'decode-worker.js'))
    const { chromium } = requireTool('playwright-core') as { chromium: Chromium }
    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    })
    try {
      const page = await browser.newPage({ viewport: { width: 900, height: 900 } })
      const logs: string[] = []
      page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`))
      page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`))
      const q = new URLSearchParams({ s3: moto.endpoint, bucket: BUCKET, http: `${web.url}golden/` })
      web.requests.length = 0
      await page.goto(`${web.url}index.html?${q}`)
      await page.waitForFunction(
        () =>
          (globalThis as { deltaResult?: unknown; deltaError?: unknown }).deltaResult ??
          (globalThis as { deltaError?: unknown }).deltaError,
        undefined,
        { timeout: 120_000 },
      )
      await page.screenshot({ path: path.join(artifacts, 'runtimes-chromium.png'), fullPage: true })
      const error = await page.evaluate(() => (globalThis as { deltaError?: string }).deltaError)
      expect(error, logs.join('\n')).toBeUndefined()
      const result = (await page.evaluate(() => (globalThis as { deltaResult?: unknown }).deltaResult)) as DemoResult
      checkResult(result, 'chromium', ['http', 's3', 'memory'])
      // The rows are on the page, and parquet decoding ran in the Web Worker (the page fetched its script).
      const text = await page.textContent('#out')
      expect(text).toContain('s3: 3 rows')
      expect(text).toContain(`http: ${expectedHttpRows.length} rows`)
      expect(web.requests.some((r) => r.startsWith('GET /decode-worker.js'))).toBe(true)
    } finally {
      await browser.close()
    }
  })

  it('workerd: a bundled Worker reads over HTTP, writes and commits on S3 and memory', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'delta-ts-workerd-'))
    try {
      const esbuild = requireTool('esbuild') as { build(options: Record<string, unknown>): Promise<unknown> }
      const wasmSpecifier = 'parquet-wasm/esm/parquet_wasm_bg.wasm'
      await esbuild.build({
        entryPoints: [path.join(examples, 'runtimes', 'workerd', 'worker.mjs')],
        bundle: true,
        format: 'esm',
        platform: 'browser',
        conditions: ['workerd', 'worker'],
        target: 'es2022',
        external: [wasmSpecifier],
        plugins: [workersXmlParser],
        outfile: path.join(dir, 'worker.js'),
        logLevel: 'error',
      })
      await cp(wasmFile, path.join(dir, 'parquet_wasm_bg.wasm'))
      const port = await freePort()
      // A network service that may reach loopback: workerd's default outbound refuses private addresses.
      await writeFile(
        path.join(dir, 'config.capnp'),
        `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "net", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);
const worker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "worker.js"),
    (name = "${wasmSpecifier}", wasm = embed "parquet_wasm_bg.wasm"),
  ],
  compatibilityDate = "2025-06-01",
  compatibilityFlags = ["nodejs_compat"],
  globalOutbound = "net",
);
`,
      )
      const child = spawn(bin('workerd'), ['serve', path.join(dir, 'config.capnp')], {
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let stderr = ''
      child.stderr.on('data', (d: Buffer) => {
        stderr = (stderr + d.toString()).slice(-8000)
      })
      try {
        const q = new URLSearchParams({ s3: moto.endpoint, bucket: BUCKET, http: `${web.url}golden/` })
        let res: Response | undefined
        for (let i = 0; i < 100 && !res; i++) {
          if (child.exitCode !== null) throw new Error(`workerd exited: ${stderr}`)
          res = await fetch(`http://127.0.0.1:${port}/?${q}`).catch(async () => {
            await new Promise((r) => setTimeout(r, 200))
            return undefined
          })
        }
        expect(res, stderr).toBeDefined()
        const body = await res!.text()
        expect(res!.status, `${body}\n${stderr}`).toBe(200)
        checkResult(JSON.parse(body) as DemoResult, 'workerd', ['http', 's3', 'memory'])
      } finally {
        child.kill('SIGTERM')
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('docs/runtimes.md: the support table claims exactly what ran', async () => {
    const doc = await readFile(path.join(repoRoot, 'docs', 'runtimes.md'), 'utf8')
    const start = doc.indexOf('<!-- support-table -->')
    expect(start).toBeGreaterThanOrEqual(0)
    const after = doc.slice(start).split('\n').slice(1)
    const end = after.findIndex((l) => !l.startsWith('|'))
    const lines = after.slice(0, end < 0 ? after.length : end)
    const cells = (l: string) =>
      l
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim())
    const header = cells(lines[0])
    const storageOf: Record<string, string> = {
      'local disk': 'local',
      'S3, R2, MinIO': 's3',
      'HTTP(S)': 'http',
      memory: 'memory',
    }
    const storages = header.slice(2).map((h) => storageOf[h])
    expect(storages.every(Boolean), header.join(' | ')).toBe(true)
    const claimed = new Map<string, Map<string, Set<string>>>()
    for (const l of lines.slice(2)) {
      const [, id, ...rest] = cells(l)
      const runtime = /`([a-z]+)`/.exec(id)?.[1]
      expect(runtime, l).toBeDefined()
      claimed.set(
        runtime!,
        new Map(rest.map((c, i) => [storages[i], new Set(c === '—' ? [] : c.split(',').map((s) => s.trim()))])),
      )
    }
    const asObject = (m: Map<string, Map<string, Set<string>>>) =>
      Object.fromEntries(
        [...m].map(([r, s]) => [
          r,
          Object.fromEntries(storages.map((st) => [st, [...(s.get(st) ?? [])].sort().join(',')])),
        ]),
      )
    expect(asObject(claimed)).toEqual(asObject(ran))
  })
})
