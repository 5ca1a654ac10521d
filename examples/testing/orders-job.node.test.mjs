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

test('a lost commit response is settled by delta-ts itself: the batch lands once, at the first try', async () => {
  const inner = new MemoryStorage('memory://node-test-orders/')
  const storage = new FaultyStorage(inner)
  const table = await createTestTable(inner.rootUri, [{ id: 1n, customer: 'ada', total: '5' }], { schema, storage })

  storage.dropResponse({ op: 'put', path: COMMIT_FILE }) // the commit lands; the writer sees STORAGE_TRANSIENT
  const result = await loadOrders(table, [{ id: 2n, customer: 'grace', total: '12.5' }], 1)

  assert.equal(result.tries, 1) // delta-ts read the version back and found its own commit
  await assertRows(table, [
    { id: 1n, customer: 'ada', total: '5.00' },
    { id: 2n, customer: 'grace', total: '12.50' },
  ])
})

test('a commit whose outcome cannot be read back is retried by the job and loads once (idempotent txn)', async () => {
  const inner = new MemoryStorage('memory://node-test-unknown/')
  const storage = new FaultyStorage(inner)
  const table = await createTestTable(inner.rootUri, [{ id: 1n, customer: 'ada', total: '5' }], { schema, storage })

  // The commit lands, its response is lost, and the next 6 reads (delta-ts's read-back) fail too.
  storage.dropResponse({ op: 'put', path: COMMIT_FILE })
  storage.before({ op: 'put', path: COMMIT_FILE }, () => {
    storage.fail({ op: 'read', times: 6 })
  })
  const result = await loadOrders(table, [{ id: 2n, customer: 'grace', total: '12.5' }], 1)

  assert.equal(result.tries, 2) // the first try ended in COMMIT_OUTCOME_UNKNOWN
  assert.equal(result.alreadyLoaded, true) // the retry found its own commit (txn orders-job / 1)
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
