// node:test + node:assert: run with `node --test` (here through `pnpm examples testing`).
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MemoryStorage } from 'delta-ts'
import { assertRows, COMMIT_FILE, createTestTable, FaultyStorage, readRows } from 'delta-ts/testing'
import { loadOrders } from './orders-job.mjs'

const schema = {
  type: 'struct',
  fields: [
    { name: 'id', type: 'long', nullable: false, metadata: {} },
    { name: 'customer', type: 'string', nullable: true, metadata: {} },
    { name: 'total', type: 'decimal(10,2)', nullable: true, metadata: {} },
  ],
}

test('a batch lands once even when the commit response is lost', async () => {
  const inner = new MemoryStorage('memory://node-test-orders/')
  const storage = new FaultyStorage(inner)
  const table = await createTestTable(inner.rootUri, [{ id: 1n, customer: 'ada', total: '5' }], { schema, storage })

  storage.dropResponse({ op: 'put', path: COMMIT_FILE }) // the commit lands; the job sees STORAGE_TRANSIENT
  const result = await loadOrders(table, [{ id: 2n, customer: 'grace', total: '12.5' }], 1)

  assert.equal(result.tries, 2)
  assert.equal(result.alreadyLoaded, true) // the retry found its own commit
  await assertRows(table, [
    { id: 1n, customer: 'ada', total: '5.00' },
    { id: 2n, customer: 'grace', total: '12.50' },
  ])
})

test('a storage outage longer than the retries fails the job and loads nothing', async () => {
  const inner = new MemoryStorage('memory://node-test-outage/')
  const storage = new FaultyStorage(inner)
  const table = await createTestTable(inner.rootUri, [], { schema, storage })
  storage.fail({ op: 'put', path: COMMIT_FILE, times: Number.POSITIVE_INFINITY })

  await assert.rejects(loadOrders(table, [{ id: 3n, customer: 'alan', total: '1' }], 1), { code: 'STORAGE_TRANSIENT' })
  assert.deepEqual(await readRows(table), [])
})
