import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { cleanupDirs, createOrders, type Order, ordersTable, readOrders, sortOrders } from './dml-fixtures.js'

/*
 * UPDATE against a model (random rows, predicate and assignments from templates with JS twins) and OPTIMIZE
 * as a no-op on contents (random sequences of small appends, any target size).
 */
afterEach(cleanupDirs)

const orderArb = fc.record({
  id: fc.integer({ min: 0, max: 50 }),
  status: fc.constantFrom('a', 'b', null),
  amount: fc.option(fc.integer({ min: -5, max: 5 }), { nil: null }),
  updated_at: fc.integer({ min: 0, max: 9 }),
  day: fc.constantFrom('2024-01-01', '2024-01-02', '2024-01-03'),
})

const predicates: { sql?: string; js: (o: Order) => boolean }[] = [
  { js: () => true },
  { sql: "status = 'a'", js: (o) => o.status === 'a' },
  { sql: 'status IS NULL OR amount > 0', js: (o) => o.status === null || (o.amount !== null && o.amount > 0) },
  { sql: "day IN ('2024-01-02') AND updated_at >= 5", js: (o) => o.day === '2024-01-02' && o.updated_at >= 5 },
  { sql: 'NOT (id < 25)', js: (o) => !(o.id < 25) },
]
const assignments: { set: Record<string, string>; js: (o: Order) => Order }[] = [
  { set: { status: "'z'" }, js: (o) => ({ ...o, status: 'z' }) },
  {
    set: { amount: 'amount * 2 + updated_at', updated_at: '0' },
    js: (o) => ({ ...o, amount: o.amount === null ? null : o.amount * 2 + o.updated_at, updated_at: 0 }),
  },
  { set: { day: "'2024-02-01'", status: 'NULL' }, js: (o) => ({ ...o, day: '2024-02-01', status: null }) },
  { set: { amount: 'updated_at - id' }, js: (o) => ({ ...o, amount: o.updated_at - o.id }) },
]

describe('UPDATE and OPTIMIZE properties', () => {
  it('UPDATE leaves exactly the model rows', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(orderArb, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 3 }),
        fc.constantFrom(...predicates),
        fc.constantFrom(...assignments),
        async (writes, pred, assign) => {
          const t = await createOrders([])
          for (const w of writes) await t.write(ordersTable(w))
          const all = writes.flat()
          const r = await t.update({ predicate: pred.sql, set: assign.set })
          expect(r.metrics.numUpdatedRows).toBe(all.filter(pred.js).length)
          expect(await readOrders(t)).toEqual(sortOrders(all.map((o) => (pred.js(o) ? assign.js(o) : o))))
          cleanupDirs()
        },
      ),
      { numRuns: 25 },
    )
  }, 120_000)

  it('OPTIMIZE never changes the rows and leaves at most one small file per partition at a large target', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(orderArb, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 6 }),
        async (writes) => {
          const t = await createOrders([])
          for (const w of writes) await t.write(ordersTable(w))
          const before = await readOrders(t)
          await t.optimize()
          expect(await readOrders(t)).toEqual(before)
          const files = await (await t.snapshot()).files()
          const perDay = new Map<string, number>()
          for (const f of files)
            perDay.set(String(f.partitionValues.day), (perDay.get(String(f.partitionValues.day)) ?? 0) + 1)
          expect([...perDay.values()].every((n) => n === 1)).toBe(true)
          cleanupDirs()
        },
      ),
      { numRuns: 20 },
    )
  }, 120_000)
})
