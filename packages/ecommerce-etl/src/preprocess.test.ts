import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { writeGeneratedData } from './generate.js'
import { preprocess } from './preprocess.js'
import { type FileStore, LocalFileStore, listAll, readText } from './store.js'

const dirs: string[] = []
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

async function warehouseWith(input: string): Promise<LocalFileStore> {
  const dir = await mkdtemp(join(tmpdir(), 'etl-pre-'))
  dirs.push(dir)
  await cp(input, join(dir, 'raw'), { recursive: true })
  await rm(join(dir, 'raw', 'expected.json'))
  return new LocalFileStore(dir)
}

async function csvs(store: LocalFileStore): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const o of await listAll(store, 'preprocessed/')) out[o.path] = await readText(store, o.path)
  return out
}

describe('preprocess', () => {
  it('converts the sheets of several workbooks on the worker pool to exactly the CSVs of the single-threaded path', async () => {
    const input = await mkdtemp(join(tmpdir(), 'etl-pre-in-'))
    dirs.push(input)
    await writeGeneratedData(input, { seed: 5, products: 20, orders: 300, months: 3 })
    // A corrupt workbook is reported by both paths and does not stop the others.
    await writeFile(join(input, 'orders', 'orders_broken.xlsx'), 'PK\u0003\u0004 not really a zip')
    const single = await warehouseWith(input)
    const pooled = await warehouseWith(input)
    const a = await preprocess(single, 'r1', { workers: 0 })
    const b = await preprocess(pooled, 'r1', { workers: 2 })
    expect(b).toEqual(a)
    expect(a.files.filter((f) => f.sheet !== '')).toHaveLength(6) // 3 months x (orders, order_items)
    expect(a.errors.map((e) => e.rawPath)).toEqual(['raw/orders/orders_broken.xlsx'])
    expect(a.errors[0].error).toMatch(/corrupt or unreadable \.xlsx/)
    expect(await csvs(pooled)).toEqual(await csvs(single))
    expect(Object.keys(await csvs(single))).toHaveLength(7) // + products.csv
    // A store without local paths (S3): the workbook's bytes are shared with the workers; same CSVs.
    const remote = await warehouseWith(input)
    const bytesOnly: FileStore = {
      rootUri: remote.rootUri,
      list: (p) => remote.list(p),
      read: (p) => remote.read(p),
      put: (p, d, o) => remote.put(p, d, o),
      delete: (p) => remote.delete(p),
    }
    expect(await preprocess(bytesOnly, 'r1', { workers: 2 })).toEqual(a)
    expect(await csvs(remote)).toEqual(await csvs(single))
  })
})
