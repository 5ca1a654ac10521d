import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { claimRun, listRuns, stageRawFiles } from './pipeline.js'
import { LocalFileStore, listAll } from './store.js'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'etl-runs-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('run registry and staging', () => {
  it('ten concurrent claims get ten distinct run sequence numbers 1..10', async () => {
    const store = new LocalFileStore(join(dir, 'wh'))
    const runs = await Promise.all(Array.from({ length: 10 }, () => claimRun(store, 'wh')))
    expect(runs.map((r) => r.seq).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    expect(new Set(runs.map((r) => r.runId)).size).toBe(10)
    expect((await listRuns(store)).map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    const again = await claimRun(store, 'wh', runs[3].runId)
    expect(again.seq).toBe(runs[3].seq)
    await expect(claimRun(store, 'wh', 'run-nope')).rejects.toThrow(/unknown run id/)
  })

  it('stages files into raw/<dataset>/ by folder or file name and leaves other files out', async () => {
    const input = join(dir, 'input')
    await mkdir(join(input, 'orders'), { recursive: true })
    await writeFile(join(input, 'orders', 'jan.xlsx'), 'x')
    await writeFile(join(input, 'order_items_feb.xlsx'), 'y')
    await writeFile(join(input, 'products.csv'), 'z')
    await writeFile(join(input, 'expected.json'), '{}')
    const store = new LocalFileStore(join(dir, 'wh2'))
    expect(await stageRawFiles(store, input)).toEqual([
      'raw/order_items/order_items_feb.xlsx',
      'raw/orders/jan.xlsx',
      'raw/products/products.csv',
    ])
    expect((await listAll(store, '')).map((o) => o.path)).toEqual([
      'raw/order_items/order_items_feb.xlsx',
      'raw/orders/jan.xlsx',
      'raw/products/products.csv',
    ])
  })
})
