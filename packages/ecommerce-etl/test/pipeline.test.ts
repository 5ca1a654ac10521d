/**
 * The whole pipeline on a real local warehouse (temp folder) with delta-ts tables: exact counts on generated
 * data, rerun idempotence, a retried run that must not apply twice, a failing step with a failure notification
 * to a real local webhook receiver, and two pipelines writing one warehouse at once.
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Storage } from 'delta-ts'
import { assertRows, type Fault, FaultyStorage, readRows } from 'delta-ts/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readCatalog } from '../src/catalog.js'
import { DATASETS, type DatasetName } from '../src/datasets.js'
import { type ExpectedCounts, type GenerateOptions, writeGeneratedData } from '../src/generate.js'
import { ConsoleNotifier, WebhookNotifier } from '../src/notify.js'
import { listRuns, type PipelineResult, runPipeline } from '../src/pipeline.js'
import { type FileStore, listAll, readText } from '../src/store.js'
import { Warehouse } from '../src/warehouse.js'

let dir: string
let server: Server
let hookUrl: string
const hooks: { status: string; steps: { name: string; status: string }[] }[] = []

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'etl-pipeline-'))
  server = createServer((req, res) => {
    let body = ''
    req.on('data', (c) => {
      body += c
    })
    req.on('end', () => {
      hooks.push(JSON.parse(body))
      res.statusCode = 200
      res.end('ok')
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  hookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/etl`
})
afterAll(async () => {
  await new Promise((r) => server.close(r))
  await rm(dir, { recursive: true, force: true })
})

const SMALL: GenerateOptions = { seed: 11, products: 30, orders: 150, months: 2 }
const quiet = () => [new ConsoleNotifier(() => undefined)]

/**
 * Every row of every table in delta-ts/testing's exact plain form (longs, decimals and µs timestamps as
 * strings), sorted by key, for byte-for-byte comparisons between runs.
 */
async function tableContents(warehouse: string): Promise<Record<string, string>> {
  const wh = await Warehouse.open(warehouse)
  const out: Record<string, string> = {}
  for (const name of DATASETS) {
    const t = await wh.openTable(name)
    if (!t) continue
    const key = name === 'order_items' ? 'id' : name === 'orders' ? 'order_id' : 'product_id'
    out[name] = JSON.stringify(await readRows(t, { orderBy: key }))
  }
  return out
}

function expectCounts(r: PipelineResult, expected: Record<DatasetName, ExpectedCounts>): void {
  for (const name of DATASETS) {
    const j = r.jobs[name]
    const e = expected[name]
    expect({
      name,
      input: j?.inputRows,
      accepted: j?.accepted,
      rejected: j?.rejected,
      duplicates: j?.duplicates,
      reasons: j?.rejectedByReason,
    }).toEqual({
      name,
      input: e.input,
      accepted: e.accepted,
      rejected: e.rejected,
      duplicates: e.duplicates,
      reasons: Object.fromEntries(Object.entries(e.reasons).sort(([a], [b]) => (a < b ? -1 : 1))),
    })
    expect(j?.balanced).toBe(true)
  }
}

describe('pipeline on a local warehouse', () => {
  const wh = () => join(dir, 'wh1')
  const input = () => join(dir, 'in1')
  let first: PipelineResult
  let expected: Record<DatasetName, ExpectedCounts>

  it('loads generated data with exactly the expected accepted, rejected and duplicate counts', async () => {
    expected = (await writeGeneratedData(input(), SMALL)).expected
    first = await runPipeline({ warehouse: wh(), raw: input(), notifiers: quiet() })
    expect(first.steps.map((s) => [s.name, s.status])).toEqual([
      ['preprocess', 'succeeded'],
      ['products', 'succeeded'],
      ['orders', 'succeeded'],
      ['order_items', 'succeeded'],
      ['catalog', 'succeeded'],
      ['preview', 'succeeded'],
    ])
    expectCounts(first, expected)
    for (const name of DATASETS) {
      expect(first.jobs[name]).toMatchObject({ inserted: expected[name].accepted, updated: 0, alreadyApplied: false })
      expect(first.preview?.counts[name]).toBe(expected[name].accepted)
    }
    // Rejected rows, run logs, catalog and archive are where the layout says.
    const wstore = (await Warehouse.open(wh())).store
    const keys = (await listAll(wstore, '')).map((o) => o.path)
    for (const name of DATASETS) expect(keys).toContain(`rejected/${name}/${first.runId}.csv`)
    for (const job of ['products_job', 'orders_job', 'order_items_job', 'preprocess_job', 'pipeline'])
      expect(keys).toContain(`logs/${job}/${first.runId}.json`)
    expect(keys.filter((k) => k.startsWith('raw/'))).toEqual([])
    expect(keys.filter((k) => k.startsWith(`archive/${first.runId}/`)).sort()).toEqual([
      `archive/${first.runId}/order_items/order_items.xlsx`,
      `archive/${first.runId}/orders/orders.xlsx`,
      `archive/${first.runId}/products/products.csv`,
    ])
    const log = JSON.parse(await readText(wstore, `logs/orders_job/${first.runId}.json`))
    expect(log).toMatchObject({
      inputRows: expected.orders.input,
      rejectedByReason: expect.any(Object),
      filesWritten: [`rejected/orders/${first.runId}.csv`],
    })
    expect(log.tableVersion).toBeGreaterThanOrEqual(1)
    const rejected = await readText(wstore, `rejected/order_items/${first.runId}.csv`)
    expect(rejected.trim().split('\n')).toHaveLength(expected.order_items.rejected + 1)
    expect(rejected).toMatch(/order_items\.xlsx,2025-0[12],\d+,UNKNOWN_ORDER,/)
    const cat = await readCatalog(await Warehouse.open(wh()))
    expect(Object.keys(cat?.tables ?? {}).sort()).toEqual([
      'lakehouse_dwh.order_items',
      'lakehouse_dwh.orders',
      'lakehouse_dwh.products',
    ])
    expect(cat?.tables['lakehouse_dwh.orders'].partitionColumns).toEqual(['date'])
    expect(cat?.tables['lakehouse_dwh.products'].partitionColumns).toEqual(['department_id'])
    expect(first.preview?.topDepartments.reduce((s, d) => s + d.items, 0)).toBeLessThanOrEqual(
      expected.order_items.accepted,
    )
  })

  it('a rerun of the same input reports 0 inserted, 0 updated and leaves the tables identical', async () => {
    const before = await tableContents(wh())
    const versions = Object.fromEntries(DATASETS.map((n) => [n, first.jobs[n]?.tableVersion]))
    const again = await runPipeline({ warehouse: wh(), raw: input(), notifiers: quiet() })
    expect(again.status).toBe('succeeded')
    expectCounts(again, expected)
    for (const name of DATASETS) {
      expect(again.jobs[name]).toMatchObject({
        inserted: 0,
        updated: 0,
        unchanged: expected[name].accepted,
        tableVersion: versions[name],
      })
    }
    expect(await tableContents(wh())).toEqual(before)
    expect(again.runSeq).toBe(first.runSeq + 1)
  })

  it('a retried run (same run id) recognises its committed transactions and does not apply changed data twice', async () => {
    const changed = join(dir, 'in1-changed')
    // Same keys, different amounts: a new run would update; a retry of run 1 must not.
    await writeGeneratedData(changed, { ...SMALL, seed: 12 })
    const before = await tableContents(wh())
    const retry = await runPipeline({ warehouse: wh(), raw: changed, runId: first.runId, notifiers: quiet() })
    expect(retry.status).toBe('succeeded')
    expect(retry.runSeq).toBe(first.runSeq)
    for (const name of DATASETS)
      expect(retry.jobs[name]).toMatchObject({ alreadyApplied: true, inserted: 0, updated: 0 })
    expect(await tableContents(wh())).toEqual(before)
    const runs = await listRuns((await Warehouse.open(wh())).store)
    expect(runs.map((r) => r.status)).toEqual(['succeeded', 'succeeded'])
  })
})

describe('upsert semantics', () => {
  it('a second run updates changed rows, inserts new keys and leaves identical rows alone (exact MERGE counts)', async () => {
    const wh = join(dir, 'wh-upsert')
    const in1 = join(dir, 'up-1')
    const in2 = join(dir, 'up-2')
    await mkdir(in1, { recursive: true })
    await mkdir(in2, { recursive: true })
    const head = 'product_id,department_id,department,product_name\n'
    await writeFile(join(in1, 'products.csv'), `${head}1,1,produce,Apple\n2,1,produce,Pear\n3,2,dairy,Milk\n`)
    await writeFile(join(in2, 'products.csv'), `${head}2,1,produce,Nashi Pear\n3,2,dairy,Milk\n4,3,bakery,Bread\n`)
    const r1 = await runPipeline({ warehouse: wh, raw: in1, notifiers: quiet() })
    expect(r1.jobs.products).toMatchObject({ inputRows: 3, inserted: 3, updated: 0 })
    const r2 = await runPipeline({ warehouse: wh, raw: in2, notifiers: quiet() })
    expect(r2.status).toBe('succeeded')
    expect(r2.jobs.products).toMatchObject({ inputRows: 3, accepted: 3, inserted: 1, updated: 1, unchanged: 1 })
    expect(r2.jobs.products?.tableVersion).toBe((r1.jobs.products?.tableVersion ?? 0) + 1)
    const products = await (await Warehouse.open(wh)).openTable('products')
    await assertRows(
      products!,
      [
        { product_id: 1n, product_name: 'Apple' },
        { product_id: 2n, product_name: 'Nashi Pear' },
        { product_id: 3n, product_name: 'Milk' },
        { product_id: 4n, product_name: 'Bread' },
      ],
      { columns: ['product_id', 'product_name'] },
    )
  })
})

describe('pipeline failure handling', () => {
  it('a failing orders step skips order_items, catalog and preview, keeps orders raw files, and posts a failure to the webhook', async () => {
    const wh = join(dir, 'wh-fail')
    const input = join(dir, 'in-fail')
    await writeGeneratedData(input, SMALL)
    // A corrupt commit in the orders table makes every read of it fail.
    const log = join(wh, 'warehouse/lakehouse-dwh/orders/_delta_log')
    await rm(log, { recursive: true, force: true })
    await mkdir(log, { recursive: true })
    await writeFile(join(log, '00000000000000000000.json'), '{"protocol": {"minReaderVersion": 1, this is not json\n')
    hooks.length = 0
    const r = await runPipeline({ warehouse: wh, raw: input, notifiers: [new WebhookNotifier(hookUrl)] })
    expect(r.status).toBe('failed')
    expect(r.steps.map((s) => [s.name, s.status])).toEqual([
      ['preprocess', 'succeeded'],
      ['products', 'succeeded'],
      ['orders', 'failed'],
      ['order_items', 'skipped'],
      ['catalog', 'skipped'],
      ['preview', 'skipped'],
    ])
    expect(r.steps[2].errorCode).toBe('INVALID_LOG')
    expect(r.jobs.order_items).toBeUndefined()
    expect(hooks).toHaveLength(1)
    expect(hooks[0].status).toBe('failed')
    expect(hooks[0].steps.find((s) => s.name === 'order_items')?.status).toBe('skipped')
    // Only committed data moves to archive/: products did, orders and order_items stay in raw/.
    expect(await readdir(join(wh, 'raw/orders'))).toEqual(['orders.xlsx'])
    expect(await readdir(join(wh, 'raw/order_items'))).toEqual(['order_items.xlsx'])
    expect(await readdir(join(wh, 'raw/products'))).toEqual([])
    expect((await listRuns((await Warehouse.open(wh)).store)).map((x) => x.status)).toEqual(['failed'])
  })
})

describe('transient storage errors', () => {
  it('an orders step hit by STORAGE_TRANSIENT is retried and the run lands with exact counts', async () => {
    const wh = join(dir, 'wh-transient')
    const input = join(dir, 'in-transient')
    const { expected } = await writeGeneratedData(input, SMALL)
    // The first two reads of an orders CSV fail like a throttled S3 GET would (STORAGE_TRANSIENT).
    let fault: Fault | undefined
    const wrapStore = (store: FileStore): FileStore => {
      const faulty = new FaultyStorage(store as unknown as Storage)
      fault = faulty.fail({ op: 'read', path: (p) => p.startsWith('preprocessed/orders/'), times: 2 })
      return faulty as unknown as FileStore
    }
    const r = await runPipeline({
      warehouse: wh,
      raw: input,
      notifiers: quiet(),
      wrapStore,
      retry: { baseDelayMs: 10 },
    })
    expect(fault?.fired).toBe(2)
    expect(r.status).toBe('succeeded')
    expect(r.steps.find((s) => s.name === 'orders')).toMatchObject({ status: 'succeeded', attempts: 3 })
    expectCounts(r, expected)
    expect(r.jobs.orders).toMatchObject({ inserted: expected.orders.accepted, updated: 0 })
  })
})

describe('concurrent pipelines', () => {
  it('two pipelines writing one warehouse at once with different inputs both land', async () => {
    const wh = join(dir, 'wh-conc')
    const a = await writeGeneratedData(join(dir, 'in-a'), { ...SMALL, seed: 21 }, '_a')
    const b = await writeGeneratedData(join(dir, 'in-b'), { ...SMALL, seed: 22, idOffset: 500_000_000 }, '_b')
    const [ra, rb] = await Promise.all([
      runPipeline({ warehouse: wh, raw: join(dir, 'in-a'), notifiers: quiet() }),
      runPipeline({ warehouse: wh, raw: join(dir, 'in-b'), notifiers: quiet() }),
    ])
    expect([ra.status, rb.status]).toEqual(['succeeded', 'succeeded'])
    expect(ra.runSeq).not.toBe(rb.runSeq)
    expectCounts(ra, a.expected)
    expectCounts(rb, b.expected)
    const contents = await tableContents(wh)
    for (const name of DATASETS) {
      expect(JSON.parse(contents[name])).toHaveLength(a.expected[name].accepted + b.expected[name].accepted)
      expect((ra.jobs[name]?.inserted ?? 0) + (rb.jobs[name]?.inserted ?? 0)).toBe(
        a.expected[name].accepted + b.expected[name].accepted,
      )
    }
  })
})
