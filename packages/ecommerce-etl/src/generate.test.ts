import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseCsvRecords } from './csv.js'
import { DATASET_DEFS, DATASETS } from './datasets.js'
import { CLEAN, generateData, writeGeneratedData } from './generate.js'
import { preprocess } from './preprocess.js'
import { countReasons, dedupByKey, validateBatch } from './rules.js'
import { LocalFileStore, readText } from './store.js'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'etl-gen-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('synthetic data generator', () => {
  it('is deterministic for a seed and differs for another seed', () => {
    const a = generateData({ seed: 7, orders: 50, products: 10 })
    const b = generateData({ seed: 7, orders: 50, products: 10 })
    const c = generateData({ seed: 8, orders: 50, products: 10 })
    expect(JSON.stringify(a)).toBe(JSON.stringify(b))
    expect(JSON.stringify(a)).not.toBe(JSON.stringify(c))
  })

  it('honours size and dirty-share options: clean data has no rejects or duplicates', () => {
    const d = generateData({ seed: 1, products: 20, orders: 100, dirty: CLEAN })
    expect(d.expected.products).toEqual({ input: 20, accepted: 20, duplicates: 0, rejected: 0, reasons: {} })
    expect(d.expected.orders).toEqual({ input: 100, accepted: 100, duplicates: 0, rejected: 0, reasons: {} })
    expect(d.expected.order_items.rejected).toBe(0)
    const dirty = generateData({
      seed: 1,
      products: 20,
      orders: 100,
      dirty: { ...CLEAN, invalidTimestamp: 0.1, duplicate: 0.05 },
    })
    expect(dirty.expected.orders).toEqual({
      input: 115,
      accepted: 100,
      duplicates: 5,
      rejected: 10,
      reasons: { INVALID_TIMESTAMP: 10 },
    })
  })

  it('writes files whose preprocessed rows, run through the rules and dedup, give exactly the expected counts', async () => {
    const raw = join(dir, 'wh', 'raw')
    const data = await writeGeneratedData(raw, { seed: 3, products: 30, orders: 200, months: 2 })
    expect(JSON.parse(await readFile(join(raw, 'expected.json'), 'utf8'))).toEqual(data.expected)
    const store = new LocalFileStore(join(dir, 'wh'))
    const pre = await preprocess(store, 'r')
    expect(pre.files.filter((f) => f.dataset === 'orders').map((f) => f.sheet)).toEqual(['2025-01', '2025-02'])
    const refs: { orderIds?: Set<bigint>; productIds?: Set<bigint> } = {}
    for (const name of DATASETS) {
      const def = DATASET_DEFS[name]
      const records = []
      for (const f of pre.files.filter((x) => x.dataset === name))
        records.push(...parseCsvRecords(await readText(store, f.path), f.rawPath, f.sheet, records.length))
      const { accepted, rejected } = validateBatch(def, records, refs)
      const { rows, duplicates } = dedupByKey(def, accepted)
      const e = data.expected[name]
      expect({
        name,
        input: records.length,
        accepted: rows.length,
        duplicates,
        rejected: rejected.length,
        reasons: countReasons(rejected),
      }).toEqual({
        name,
        input: e.input,
        accepted: e.accepted,
        duplicates: e.duplicates,
        rejected: e.rejected,
        reasons: Object.fromEntries(Object.entries(e.reasons).sort(([a], [b]) => (a < b ? -1 : 1))),
      })
      if (name === 'products') refs.productIds = new Set(rows.map((r) => r.values.product_id as bigint))
      if (name === 'orders') refs.orderIds = new Set(rows.map((r) => r.values.order_id as bigint))
    }
  })
})
