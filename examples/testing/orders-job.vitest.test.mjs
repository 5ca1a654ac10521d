// vitest: `import 'delta-ts/testing/vitest'` registers `toHaveRows`. Run with `vitest run` (here through
// `pnpm examples testing`, with testing/vitest.config.mjs).
import { DeltaTable, MemoryStorage } from 'delta-ts'
import { COMMIT_FILE, createTestTable, FaultyStorage, rowsToArrow } from 'delta-ts/testing'
import 'delta-ts/testing/vitest'
import { describe, expect, it } from 'vitest'
import { loadOrders } from './orders-job.mjs'

describe('orders job', () => {
  it('loads each batch once, also when another writer commits first', async () => {
    const inner = new MemoryStorage('memory://vitest-orders/')
    const storage = new FaultyStorage(inner)
    const table = await createTestTable(inner.rootUri, [{ id: 1n, customer: 'ada', total: '5' }], {
      schema: {
        type: 'struct',
        fields: [
          { name: 'id', type: 'long', nullable: false, metadata: {} },
          { name: 'customer', type: 'string', nullable: true, metadata: {} },
          { name: 'total', type: 'decimal(10,2)', nullable: true, metadata: {} },
        ],
      },
      storage,
    })
    // Another application appends while the job is committing: the job's append retries at the next version.
    storage.before({ op: 'put', path: COMMIT_FILE }, async ({ inner }) => {
      const other = await DeltaTable.open(inner.rootUri, { storage: inner })
      await other.write(rowsToArrow([{ id: 9n, customer: 'other', total: '1' }], (await other.snapshot()).schema))
    })
    const first = await loadOrders(table, [{ id: 2n, customer: 'grace', total: '12.5' }], 1)
    expect(first.version).toBe(3)

    const again = await loadOrders(table, [{ id: 2n, customer: 'grace', total: '12.5' }], 1)
    expect(again.alreadyLoaded).toBe(true)
    await expect(table).toHaveRows([
      { id: 1n, customer: 'ada', total: '5' },
      { id: 9n, customer: 'other', total: '1' },
      { id: 2n, customer: 'grace', total: '12.50' },
    ])
  })
})
