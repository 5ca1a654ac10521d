import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { DeltaTable, type MergeBuilder } from '../src/index.js'
import {
  cleanupDirs,
  type Order,
  order,
  orderSchema,
  ordersTable,
  readOrders,
  sortOrders,
  tmpDir,
} from './dml-fixtures.js'

/*
 * Random DML sequences on three copies of one table: deletion vectors (merge-on-read), copy-on-write, and a
 * plain JS model applying the same steps row by row. After every step all three hold the same rows.
 */
afterEach(cleanupDirs)

/** A predicate as SQL for the tables and as a row test for the model (no column is ever null here). */
type Pred = { sql: string; js: (o: Order) => boolean }
/** A MERGE condition over target and source rows. */
type PairPred = { sql?: string; js: (t: Order, s: Order) => boolean }

interface Merge {
  kind: 'merge'
  source: Order[]
  matched: { kind: 'delete' | 'updateAll' | 'touch'; cond: PairPred }[]
  insert?: Pred
  bySourceDelete?: Pred
}
type Step =
  | { kind: 'delete'; where: Pred }
  | { kind: 'update'; where: Pred; set: Assignment }
  | Merge
  | { kind: 'append'; rows: Order[] }
  | { kind: 'optimize' }

interface Assignment {
  sql: Record<string, string>
  js: (o: Order) => Order
}

const where: fc.Arbitrary<Pred> = fc.oneof(
  fc.integer({ min: 0, max: 159 }).map((n) => ({ sql: `id = ${n}`, js: (o: Order) => o.id === n })),
  fc
    .tuple(fc.integer({ min: 2, max: 9 }), fc.integer({ min: 0, max: 8 }))
    .map(([m, r]) => ({ sql: `id % ${m} = ${r % m}`, js: (o: Order) => o.id % m === r % m })),
  fc.integer({ min: 0, max: 120 }).map((n) => ({ sql: `updated_at < ${n}`, js: (o: Order) => o.updated_at < n })),
  fc.constantFrom<Pred>(
    { sql: "status = 'open'", js: (o) => o.status === 'open' },
    { sql: "day = '2024-01-02'", js: (o) => o.day === '2024-01-02' },
    { sql: "day = '2024-01-01' AND status = 'done'", js: (o) => o.day === '2024-01-01' && o.status === 'done' },
    { sql: 'amount > 500', js: (o) => o.amount! > 500 },
  ),
)

const assignments: Assignment[] = [
  { sql: { status: "'upd'" }, js: (o) => ({ ...o, status: 'upd' }) },
  {
    sql: { amount: 'amount + 1', updated_at: 'updated_at + 100' },
    js: (o) => ({ ...o, amount: o.amount! + 1, updated_at: o.updated_at + 100 }),
  },
  // Moves rows to another partition: the new versions land in another directory than the marked old ones.
  { sql: { day: "'2024-01-03'" }, js: (o) => ({ ...o, day: '2024-01-03' }) },
]

const pairPreds: PairPred[] = [
  { js: () => true },
  { sql: 'source.updated_at > target.updated_at', js: (t, s) => s.updated_at > t.updated_at },
  { sql: "target.status = 'open'", js: (t) => t.status === 'open' },
  { sql: 'target.id % 3 = 0', js: (t) => t.id % 3 === 0 },
]

const days = ['2024-01-01', '2024-01-02', '2024-01-03']
const mergeStep: fc.Arbitrary<Merge> = fc.record({
  kind: fc.constant('merge' as const),
  source: fc
    .uniqueArray(
      fc.record({
        id: fc.integer({ min: 0, max: 170 }),
        t: fc.integer({ min: 0, max: 150 }),
        d: fc.integer({ min: 0, max: 2 }),
      }),
      { selector: (r) => r.id, minLength: 1, maxLength: 25 },
    )
    .map((rs) => rs.map((r) => order(r.id, 'merged', r.t, days[r.d], r.t))),
  matched: fc.array(
    fc.record({
      kind: fc.constantFrom('delete' as const, 'updateAll' as const, 'touch' as const),
      cond: fc.constantFrom(...pairPreds),
    }),
    { maxLength: 2 },
  ),
  insert: fc.option(
    fc.constantFrom<Pred>(
      { sql: 'true', js: () => true },
      { sql: 'source.updated_at > 50', js: (s) => s.updated_at > 50 },
    ),
    { nil: undefined },
  ),
  bySourceDelete: fc.option(
    fc.constantFrom<Pred>(
      { sql: 'target.updated_at < 10', js: (t) => t.updated_at < 10 },
      { sql: "target.day = '2024-01-02' AND target.id % 4 = 1", js: (t) => t.day === '2024-01-02' && t.id % 4 === 1 },
    ),
    { nil: undefined },
  ),
})

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: where.map((p) => ({ kind: 'delete' as const, where: p })) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(where, fc.constantFrom(...assignments))
      .map(([p, set]) => ({ kind: 'update' as const, where: p, set })),
  },
  { weight: 3, arbitrary: mergeStep },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 100, max: 150 }).map((start) => ({
      kind: 'append' as const,
      rows: Array.from({ length: 10 }, (_, i) => order(start + i, i % 2 ? 'open' : 'done', i, '2024-01-03')),
    })),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'optimize' as const }) },
)

/** Spark's MERGE semantics over plain rows: the first clause whose condition holds acts (source ids are unique). */
function mergeModel(target: Order[], m: Merge): Order[] {
  const source = new Map(m.source.map((s) => [s.id, s]))
  const matchedIds = new Set<number>()
  const out: Order[] = []
  for (const t of target) {
    const s = source.get(t.id)
    if (s) {
      matchedIds.add(s.id)
      const c = m.matched.find((x) => x.cond.js(t, s))
      if (!c) out.push(t)
      else if (c.kind === 'updateAll') out.push({ ...s })
      else if (c.kind === 'touch') out.push({ ...t, status: 'touched' })
      continue
    }
    if (!m.bySourceDelete?.js(t)) out.push(t)
  }
  if (m.insert) for (const s of m.source) if (!matchedIds.has(s.id) && m.insert.js(s)) out.push({ ...s })
  return out
}

function model(rows: Order[], s: Step): Order[] {
  switch (s.kind) {
    case 'delete':
      return rows.filter((o) => !s.where.js(o))
    case 'update':
      return rows.map((o) => (s.where.js(o) ? s.set.js(o) : o))
    case 'merge':
      return mergeModel(rows, s)
    case 'append':
      return [...rows, ...s.rows]
    case 'optimize':
      return rows
  }
}

async function apply(table: DeltaTable, s: Step): Promise<void> {
  switch (s.kind) {
    case 'delete':
      await table.delete(s.where.sql)
      return
    case 'update':
      await table.update({ predicate: s.where.sql, set: s.set.sql })
      return
    case 'merge': {
      let b: MergeBuilder = table.merge(ordersTable(s.source), { on: 'target.id = source.id' })
      for (const c of s.matched) {
        const condition = c.cond.sql
        if (c.kind === 'delete') b = b.whenMatchedDelete({ condition })
        else if (c.kind === 'updateAll') b = b.whenMatchedUpdateAll({ condition })
        else b = b.whenMatchedUpdate({ condition, set: { status: "'touched'" } })
      }
      if (s.insert) b = b.whenNotMatchedInsertAll({ condition: s.insert.sql })
      if (s.bySourceDelete) b = b.whenNotMatchedBySourceDelete({ condition: s.bySourceDelete.sql })
      // A MERGE needs a clause: with none generated, one that never fires.
      if (s.matched.length === 0 && !s.insert && !s.bySourceDelete) b = b.whenMatchedDelete({ condition: 'false' })
      await b.execute()
      return
    }
    case 'append':
      await table.write(ordersTable(s.rows))
      return
    case 'optimize':
      await table.optimize()
  }
}

describe('DML with deletion vectors vs copy-on-write vs a model (property)', () => {
  it('random DELETE / UPDATE / MERGE / append / OPTIMIZE sequences leave the same rows after every step', async () => {
    const initial: Order[] = []
    for (const day of ['2024-01-01', '2024-01-02'])
      for (let i = 0; i < 50; i++) initial.push(order(initial.length, i % 3 ? 'open' : 'done', i * 2, day))
    let stepsWithVectors = 0
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 6 }), async (steps) => {
        const [dv, cow] = await Promise.all(
          [true, false].map(async (deletionVectors) => {
            const t = await DeltaTable.create(tmpDir(), { schema: orderSchema, partitionBy: ['day'], deletionVectors })
            await t.write(ordersTable(initial))
            return t
          }),
        )
        let rows = [...initial]
        for (const s of steps) {
          await Promise.all([apply(dv, s), apply(cow, s)])
          rows = model(rows, s)
          const want = sortOrders(rows)
          expect(await readOrders(dv)).toEqual(want)
          expect(await readOrders(cow)).toEqual(want)
          if ((await (await dv.snapshot()).files()).some((f) => f.deletionVector)) stepsWithVectors++
        }
        expect((await (await cow.snapshot()).files()).some((f) => f.deletionVector)).toBe(false)
        cleanupDirs()
      }),
      { numRuns: 15 },
    )
    // The DV table really ran merge-on-read (not copy-on-write twice).
    expect(stepsWithVectors).toBeGreaterThan(0)
  }, 300_000)
})
