import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isAlreadyExists, joinKey, LocalFileStore, listAll, readText, writeText } from './store.js'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'etl-store-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('LocalFileStore', () => {
  it('lists recursively under a prefix, sorted by key, and lists nothing for a missing prefix', async () => {
    const s = new LocalFileStore(join(dir, 'a'))
    await writeText(s, 'raw/orders/b.xlsx', 'x')
    await writeText(s, 'raw/orders/a.csv', 'y')
    await writeText(s, 'raw/products/p.csv', 'z')
    await writeText(s, 'rawish.txt', 'w')
    expect((await listAll(s, 'raw/')).map((o) => o.path)).toEqual([
      'raw/orders/a.csv',
      'raw/orders/b.xlsx',
      'raw/products/p.csv',
    ])
    expect(await listAll(s, 'nothing/')).toEqual([])
    expect(await readText(s, 'raw/orders/a.csv')).toBe('y')
  })

  it('put-if-absent has exactly one winner among 20 concurrent writers; delete of a missing key is fine', async () => {
    const s = new LocalFileStore(join(dir, 'b'))
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        s.put('logs/runs/1.json', new TextEncoder().encode(String(i)), { overwrite: false }),
      ),
    )
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    expect(results.filter((r) => r.status === 'rejected' && isAlreadyExists(r.reason))).toHaveLength(19)
    expect((await listAll(s, 'logs/')).map((o) => o.path)).toEqual(['logs/runs/1.json'])
    await s.delete('logs/none.json')
    expect(joinKey('a/', '/b', '', 'c')).toBe('a/b/c')
  })
})
