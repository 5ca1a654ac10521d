import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { DeltaTable } from '../src/index.js'
import { cleanupDirs, type Order, order, orderSchema, ordersTable, readOrders, tmpDir } from './dml-fixtures.js'

afterEach(cleanupDirs)

/** One step of a random DML sequence: a DELETE predicate, an append, or an OPTIMIZE. */
type Step = { kind: 'delete'; predicate: string } | { kind: 'append'; rows: Order[] } | { kind: 'optimize' }

const predicate = fc.oneof(
  fc.integer({ min: 0, max: 99 }).map((n) => `id = ${n}`),
  fc.tuple(fc.integer({ min: 2, max: 9 }), fc.integer({ min: 0, max: 8 })).map(([m, r]) => `id % ${m} = ${r % m}`),
  fc.integer({ min: 0, max: 120 }).map((n) => `updated_at < ${n}`),
  fc.constantFrom("status = 'open'", "day = '2024-01-02'", "day = '2024-01-01' AND status = 'done'", 'amount > 500'),
)
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: predicate.map((p) => ({ kind: 'delete' as const, predicate: p })) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 100, max: 150 }).map((start) => ({
      kind: 'append' as const,
      rows: Array.from({ length: 10 }, (_, i) => order(start + i, i % 2 ? 'open' : 'done', i, '2024-01-03')),
    })),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'optimize' as const }) },
)

async function apply(table: DeltaTable, steps: Step[]): Promise<void> {
  for (const s of steps) {
    if (s.kind === 'delete') await table.delete(s.predicate)
    else if (s.kind === 'append') await table.write(ordersTable(s.rows))
    else await table.optimize()
  }
}

describe('DELETE with deletion vectors vs copy-on-write (property)', () => {
  it('random DELETE / append / OPTIMIZE sequences leave the same rows on a DV table and a copy-on-write table', async () => {
    const initial: Order[] = []
    for (const day of ['2024-01-01', '2024-01-02'])
      for (let i = 0; i < 50; i++) initial.push(order(initial.length, i % 3 ? 'open' : 'done', i * 2, day))
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 5 }), async (steps) => {
        const tables = await Promise.all(
          [true, false].map(async (deletionVectors) => {
            const t = await DeltaTable.create(tmpDir(), { schema: orderSchema, partitionBy: ['day'], deletionVectors })
            await t.write(ordersTable(initial))
            await apply(t, steps)
            return t
          }),
        )
        const [dv, cow] = await Promise.all(tables.map(readOrders))
        expect(dv).toEqual(cow)
        cleanupDirs()
      }),
      { numRuns: 12 },
    )
  }, 120_000)
})
