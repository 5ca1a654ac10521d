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
import { queryWarehouse } from '../src/sql.js'
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
 * Every row of every table (warehouse and quarantine) in delta-ts/testing's exact plain form (longs, decimals
 * and µs timestamps as strings), sorted by key, plus each table's version, for byte-for-byte comparisons
 * between runs.
 */
async function tableContents(warehouse: string): Promise<Record<string, string>> {
  const wh = await Warehouse.open(warehouse)
  const out: Record<string, string> = {}
  for (const name of DATASETS) {
    const t = await wh.openTable(name)
    if (t) {
      const key = name === 'order_items' ? 'id' : name === 'orders' ? 'order_id' : 'product_id'
      out[name] = JSON.stringify({ v: (await t.snapshot()).version, rows: await readRows(t, { orderBy: key }) })
    }
    const q = await wh.openQuarantine(name)
    if (q)
      out[`quarantine.${name}`] = JSON.stringify({
        v: (await q.snapshot()).version,
        rows: await readRows(q, { orderBy: 'rejection_id' }),
      })
  }
  return out
}

/** Reason counts of a quarantine table, read back through SQL (a row with two reasons counts under both). */
async function quarantinedReasons(warehouse: string, name: DatasetName): Promise<Record<string, number>> {
  const r = await queryWarehouse(
    await Warehouse.open(warehouse),
    `SELECT reason, count(*)::INTEGER AS n FROM (SELECT unnest(string_split(reasons, ';')) AS reason FROM quarantine.${name}) GROUP BY reason ORDER BY reason`,
  )
  return Object.fromEntries(r.rows.map((x) => [x.reason as string, x.n as number]))
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
    // Quarantine tables, run logs, catalog and archive are where the layout says.
    const wstore = (await Warehouse.open(wh())).store
    const keys = (await listAll(wstore, '')).map((o) => o.path)
    for (const name of DATASETS) expect(keys).toContain(`rejected/${name}/_delta_log/00000000000000000001.json`)
    expect(keys.filter((k) => k.startsWith('rejected/') && k.endsWith('.csv'))).toEqual([])
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
      quarantine: { table: 'rejected/orders', rows: expected.orders.rejected, inserted: expected.orders.rejected },
    })
    expect(log.tableVersion).toBeGreaterThanOrEqual(1)
    for (const name of DATASETS) {
      const j = first.jobs[name]
      // Per-expectation counts: every input row is counted once per expectation; failures are the reasons.
      for (const e of j?.expectations ?? []) expect(e.passed + e.failed).toBe(expected[name].input)
      expect(
        Object.fromEntries((j?.expectations ?? []).filter((e) => e.failed > 0).map((e) => [e.name, e.failed])),
      ).toEqual(expected[name].reasons)
      // The quarantine tables hold exactly the rejected rows with their reasons (read back through SQL).
      expect(await quarantinedReasons(wh(), name)).toEqual(expected[name].reasons)
    }
    const items = await readRows((await (await Warehouse.open(wh())).openQuarantine('order_items'))!, {
      orderBy: 'row_number',
    })
    expect(items).toHaveLength(expected.order_items.rejected)
    const unknown = items.find((r) => r.reasons === 'UNKNOWN_ORDER')
    expect(unknown).toMatchObject({
      run_id: first.runId,
      file: 'order_items.xlsx',
      sheet: expect.stringMatching(/^2025-0[12]$/),
    })
    expect(unknown?.details).toMatch(/^UNKNOWN_ORDER: order_id="\d+"$/)
    expect(Number(unknown?.row_number)).toBeGreaterThan(1)
    expect(unknown?.field_order_id).toMatch(/^\d+$/)
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

  it('a rerun of the same input reports 0 inserted, 0 updated and leaves warehouse and quarantine tables byte-identical', async () => {
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
    for (const name of DATASETS)
      expect(again.jobs[name]?.quarantine).toMatchObject({ rows: expected[name].rejected, inserted: 0 })
    expect(Object.keys(before)).toHaveLength(6)
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
      expect(JSON.parse(contents[name]).rows).toHaveLength(a.expected[name].accepted + b.expected[name].accepted)
      // Both pipelines' rejected rows are in the quarantine table, under their own run ids.
      const q = JSON.parse(contents[`quarantine.${name}`]).rows as { run_id: string }[]
      expect(q.filter((x) => x.run_id === ra.runId)).toHaveLength(a.expected[name].rejected)
      expect(q.filter((x) => x.run_id === rb.runId)).toHaveLength(b.expected[name].rejected)
      expect((ra.jobs[name]?.inserted ?? 0) + (rb.jobs[name]?.inserted ?? 0)).toBe(
        a.expected[name].accepted + b.expected[name].accepted,
      )
    }
  })
})

describe('expectations and quarantine tables', () => {
  const writeInput = async (d: string, files: Record<string, string>) => {
    await mkdir(d, { recursive: true })
    for (const [name, body] of Object.entries(files)) await writeFile(join(d, name), body)
  }
  const P = 'product_id,department_id,department,product_name\n'
  const O = 'order_num,order_id,user_id,order_timestamp,total_amount,date\n'
  const I = 'id,order_id,user_id,days_since_prior_order,product_id,add_to_cart_order,reordered,order_timestamp,date\n'
  const TS = '2025-01-02T03:04:05Z'

  it('a dirty row of every built-in rule lands in its quarantine table with exactly its reasons, origin and fields', async () => {
    const wh = join(dir, 'wh-every-rule')
    const input = join(dir, 'in-every-rule')
    await writeInput(input, {
      'products.csv': `${P}1,1,produce,Apple\n,1,produce,NoId\n2,1,produce,\n3,three,produce,Pear\n`,
      'orders.csv': `${O}1,10,5,${TS},12.50,2025-01-02\n2,,5,${TS},1,\n3,11,,${TS},1,\n4,12,5,,1,2025-01-02\n5,13,5,not a time,1,\n6,14,5,${TS},1,2025/01/02\n7,15,5,${TS},1,2025-01-03\n8,16,5,${TS},12;50,\n`,
      'order_items.csv': [
        `${I}1,10,5,,1,1,1,${TS},`,
        `,10,5,,1,1,1,${TS},`,
        `3,,5,,1,1,1,${TS},`,
        `4,10,,,1,1,1,${TS},`,
        `5,10,5,,,1,1,${TS},`,
        `6,10,5,,1,1,1,,`,
        `7,10,5,1.5,1,1,1,${TS},`,
        `8,10,5,,1,1,maybe,${TS},`,
        `9,10,5,,1,1,1,yesterday,`,
        `10,10,5,,1,1,1,${TS},15-01-2025`,
        `11,99,5,,1,1,1,${TS},`,
        `12,10,5,,98,1,1,${TS},`,
        `13,99,5,,98,x,1,${TS},\n`,
      ].join('\n'),
    })
    const r = await runPipeline({ warehouse: wh, raw: input, notifiers: quiet() })
    expect(r.status).toBe('succeeded')
    const w = await Warehouse.open(wh)
    const got = async (name: DatasetName) =>
      (await readRows((await w.openQuarantine(name))!, { orderBy: 'row_number' })).map((x) => [
        Number(x.row_number),
        x.reasons,
      ])
    expect(await got('products')).toEqual([
      [3, 'MISSING_PRODUCT_ID'],
      [4, 'MISSING_PRODUCT_NAME'],
      [5, 'BAD_NUMBER'],
    ])
    expect(await got('orders')).toEqual([
      [3, 'MISSING_ORDER_ID'],
      [4, 'MISSING_USER_ID'],
      [5, 'MISSING_ORDER_TIMESTAMP'],
      [6, 'INVALID_TIMESTAMP'],
      [7, 'INVALID_DATE'],
      [8, 'INVALID_DATE'],
      [9, 'BAD_NUMBER'],
    ])
    expect(await got('order_items')).toEqual([
      [3, 'MISSING_ID'],
      [4, 'MISSING_ORDER_ID'],
      [5, 'MISSING_USER_ID'],
      [6, 'MISSING_PRODUCT_ID'],
      [7, 'MISSING_ORDER_TIMESTAMP'],
      [8, 'BAD_NUMBER'],
      [9, 'BAD_BOOLEAN'],
      [10, 'INVALID_TIMESTAMP'],
      [11, 'INVALID_DATE'],
      [12, 'UNKNOWN_ORDER'],
      [13, 'UNKNOWN_PRODUCT'],
      [14, 'BAD_NUMBER;UNKNOWN_ORDER;UNKNOWN_PRODUCT'],
    ])
    const [bad] = (await readRows((await w.openQuarantine('orders'))!)).filter((x) => Number(x.row_number) === 9)
    expect(bad).toMatchObject({
      run_id: r.runId,
      file: 'orders.csv',
      field_order_id: '16',
      field_total_amount: '12;50',
      field_date: '',
      details: 'BAD_NUMBER: order_num="8", order_id="16", user_id="5", total_amount="12;50"',
    })
    expect(r.jobs.order_items).toMatchObject({ accepted: 1, rejected: 12 })
    // Quarantine tables time-travel like the warehouse: version 0 is the empty table the first rejection created.
    const v0 = await queryWarehouse(w, 'SELECT count(*)::INTEGER AS n FROM quarantine.orders', {
      versions: { 'quarantine.orders': 0 },
    })
    expect(v0.rows).toEqual([{ n: 0 }])
    expect(v0.versions['quarantine.orders']).toBe(0)
    const now = await queryWarehouse(w, 'SELECT count(*)::INTEGER AS n FROM quarantine.orders')
    expect(now.rows).toEqual([{ n: 7 }])
    expect(now.versions['quarantine.orders']).toBe(1)
  })

  it('user expectations through runPipeline: drop adds a reason, warn keeps and counts, an override changes a built-in', async () => {
    const wh = join(dir, 'wh-custom')
    const input = join(dir, 'in-custom')
    await writeInput(input, { 'products.csv': `${P}1,1,produce,Apple\n2,,,Test product\n3,x,dairy,Milk\n` })
    const r = await runPipeline({
      warehouse: wh,
      raw: input,
      notifiers: quiet(),
      expectations: {
        products: [
          { name: 'NO_TEST_PRODUCTS', predicate: "product_name NOT LIKE 'Test%'", action: 'drop' },
          { name: 'HAS_DEPARTMENT', predicate: 'department IS NOT NULL', action: 'warn' },
          // A bad department_id is kept (as null) instead of dropping the product.
          {
            name: 'BAD_NUMBER',
            predicate:
              '(raw.product_id IS NULL OR product_id IS NOT NULL) AND (raw.department_id IS NULL OR department_id IS NOT NULL)',
            action: 'warn',
          },
        ],
      },
    })
    expect(r.status).toBe('succeeded')
    expect(r.jobs.products).toMatchObject({ inputRows: 3, accepted: 2, rejected: 1, warned: 1, inserted: 2 })
    expect(r.jobs.products?.expectations.map((e) => [e.name, e.action, e.passed, e.failed])).toEqual([
      ['MISSING_PRODUCT_ID', 'drop', 3, 0],
      ['MISSING_PRODUCT_NAME', 'drop', 3, 0],
      ['BAD_NUMBER', 'warn', 2, 1],
      ['NO_TEST_PRODUCTS', 'drop', 2, 1],
      ['HAS_DEPARTMENT', 'warn', 2, 1],
    ])
    const w = await Warehouse.open(wh)
    await assertRows(
      (await w.openTable('products'))!,
      [
        { product_id: 1n, department_id: 1n },
        { product_id: 3n, department_id: null },
      ],
      { columns: ['product_id', 'department_id'] },
    )
    const q = await queryWarehouse(w, 'SELECT field_product_name AS name, reasons FROM quarantine.products')
    expect(q.rows).toEqual([{ name: 'Test product', reasons: 'NO_TEST_PRODUCTS' }])
    // The run log carries the same counts.
    const log = JSON.parse(await readText(w.store, `logs/products_job/${r.runId}.json`))
    expect(log.expectations).toEqual(JSON.parse(JSON.stringify(r.jobs.products?.expectations)))
  })

  it('a violated fail expectation stops the step with an error naming it and a violating row; nothing is written', async () => {
    const wh = join(dir, 'wh-fail-exp')
    const input = join(dir, 'in-fail-exp')
    await writeInput(input, { 'products.csv': `${P}1,1,produce,Apple\n2,1,produce,Pear\n-3,1,produce,Bad\n` })
    const r = await runPipeline({
      warehouse: wh,
      raw: input,
      notifiers: quiet(),
      retry: { baseDelayMs: 1 },
      expectations: { products: [{ name: 'POSITIVE_ID', predicate: 'product_id > 0', action: 'fail' }] },
    })
    expect(r.status).toBe('failed')
    const step = r.steps.find((s) => s.name === 'products')
    expect(step).toMatchObject({ status: 'failed', errorCode: 'EXPECTATION_FAILED' })
    expect(step?.error).toContain('expectation POSITIVE_ID (product_id > 0) failed on 1 row(s)')
    expect(step?.error).toContain('products.csv row 4')
    expect(step?.error).toContain('"product_id":"-3"')
    const w = await Warehouse.open(wh)
    expect(await w.openTable('products')).toBeUndefined()
    expect(await w.openQuarantine('products')).toBeUndefined()
  })
})
