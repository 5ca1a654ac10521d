import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { isDeltaError } from '../src/index.js'
import { cleanupDirs, createOrders, type Order, ordersTable, readOrders, sortOrders } from './dml-fixtures.js'

/*
 * MERGE against an in-memory model: random target + random source + random clause lists; the model applies
 * Spark's semantics row by row (first clause whose condition holds; duplicate matches fail when a WHEN MATCHED
 * clause could modify the row), and the table scanned after the merge must hold exactly the model's rows.
 */
afterEach(cleanupDirs)

type Cond<R> = { sql?: string; js: (r: R) => boolean }
type Pair = { t: Order; s: Order }
interface MatchedClause {
  kind: 'update' | 'updateAll' | 'delete'
  cond: Cond<Pair>
}
interface NotMatchedClause {
  kind: 'insert' | 'insertAll'
  cond: Cond<Order>
}
interface BySourceClause {
  kind: 'update' | 'delete'
  cond: Cond<Order>
}

const always = { js: () => true }
const matchedConds: Cond<Pair>[] = [
  always,
  { sql: 'source.updated_at > target.updated_at', js: ({ t, s }) => s.updated_at > t.updated_at },
  { sql: "target.status = 'a'", js: ({ t }) => t.status === 'a' },
  { sql: 'source.amount IS NULL', js: ({ s }) => s.amount === null },
]
const insertConds: Cond<Order>[] = [
  always,
  { sql: 'source.updated_at > 4', js: (s) => s.updated_at > 4 },
  { sql: "status <> 'b'", js: (s) => s.status !== null && s.status !== 'b' },
]
const bySourceConds: Cond<Order>[] = [
  always,
  { sql: "target.status = 'b'", js: (t) => t.status === 'b' },
  { sql: "day = '2024-01-02'", js: (t) => t.day === '2024-01-02' },
]

const orderArb = (ids: fc.Arbitrary<number>) =>
  fc.record({
    id: ids,
    status: fc.constantFrom('a', 'b', null),
    amount: fc.option(fc.integer({ min: -5, max: 5 }), { nil: null }),
    updated_at: fc.integer({ min: 0, max: 9 }),
    day: fc.constantFrom('2024-01-01', '2024-01-02'),
  })

const clausesArb = fc.record({
  matched: fc.array(
    fc.record({
      kind: fc.constantFrom('update', 'updateAll', 'delete') as fc.Arbitrary<MatchedClause['kind']>,
      cond: fc.constantFrom(...matchedConds),
    }),
    { maxLength: 3 },
  ),
  notMatched: fc.array(
    fc.record({
      kind: fc.constantFrom('insert', 'insertAll') as fc.Arbitrary<NotMatchedClause['kind']>,
      cond: fc.constantFrom(...insertConds),
    }),
    { maxLength: 2 },
  ),
  bySource: fc.array(
    fc.record({
      kind: fc.constantFrom('update', 'delete') as fc.Arbitrary<BySourceClause['kind']>,
      cond: fc.constantFrom(...bySourceConds),
    }),
    { maxLength: 2 },
  ),
})

type Clauses = { matched: MatchedClause[]; notMatched: NotMatchedClause[]; bySource: BySourceClause[] }

/** The model: Spark MERGE semantics over plain rows. Returns the rows, or 'duplicate' for a cardinality error. */
function model(target: Order[], source: Order[], c: Clauses): Order[] | 'duplicate' {
  const out: Order[] = []
  const sourceMatched = new Set<number>()
  const onlyUnconditionalDelete = c.matched.length === 1 && c.matched[0].kind === 'delete' && !c.matched[0].cond.sql
  for (const t of target) {
    const ms = source.map((s, i) => [s, i] as const).filter(([s]) => s.id === t.id)
    for (const [, i] of ms) sourceMatched.add(i)
    if (ms.length > 1 && c.matched.length > 0 && !onlyUnconditionalDelete) return 'duplicate'
    if (ms.length > 0) {
      const s = ms[0][0]
      const clause = c.matched.find((m) => m.cond.js({ t, s }))
      if (!clause) out.push(t)
      else if (clause.kind === 'updateAll') out.push({ ...s })
      else if (clause.kind === 'update')
        out.push({ ...t, status: 'u', amount: t.amount === null || s.amount === null ? null : t.amount + s.amount })
      continue
    }
    const clause = c.bySource.find((m) => m.cond.js(t))
    if (!clause) out.push(t)
    else if (clause.kind === 'update') out.push({ ...t, status: 'orphan', updated_at: t.updated_at + 1 })
  }
  source.forEach((s, i) => {
    if (sourceMatched.has(i)) return
    const clause = c.notMatched.find((m) => m.cond.js(s))
    if (!clause) return
    out.push(
      clause.kind === 'insertAll'
        ? { ...s }
        : { id: s.id, status: 'ins', amount: null, updated_at: s.updated_at + 100, day: s.day },
    )
  })
  return sortOrders(out)
}

describe('MERGE matches an in-memory model (property)', () => {
  it('random targets, sources and clause lists give the model rows', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(orderArb(fc.integer({ min: 0, max: 12 })), { selector: (o) => o.id, maxLength: 8 }),
        fc.array(orderArb(fc.integer({ min: 0, max: 14 })), { maxLength: 6 }),
        clausesArb,
        fc.boolean(),
        async (target, source, clauses, partitioned) => {
          if (clauses.matched.length + clauses.notMatched.length + clauses.bySource.length === 0) return
          const table = await createOrders(target, { partitioned })
          let b = table.merge(ordersTable(source), { on: 'target.id = source.id' })
          for (const m of clauses.matched) {
            const condition = m.cond.sql
            if (m.kind === 'delete') b = b.whenMatchedDelete({ condition })
            else if (m.kind === 'updateAll') b = b.whenMatchedUpdateAll({ condition })
            else b = b.whenMatchedUpdate({ condition, set: { status: "'u'", amount: 'target.amount + source.amount' } })
          }
          for (const m of clauses.notMatched) {
            const condition = m.cond.sql
            if (m.kind === 'insertAll') b = b.whenNotMatchedInsertAll({ condition })
            else
              b = b.whenNotMatchedInsert({
                condition,
                values: { id: 'source.id', status: "'ins'", updated_at: 'source.updated_at + 100', day: 'source.day' },
              })
          }
          for (const m of clauses.bySource) {
            const condition = m.cond.sql
            if (m.kind === 'delete') b = b.whenNotMatchedBySourceDelete({ condition })
            else
              b = b.whenNotMatchedBySourceUpdate({
                condition,
                set: { status: "'orphan'", updated_at: 'updated_at + 1' },
              })
          }
          const expected = model(target, source, clauses)
          if (expected === 'duplicate') {
            const err = await b.execute().catch((e: unknown) => e)
            expect(isDeltaError(err, 'MERGE_DUPLICATE_SOURCE')).toBe(true)
            return
          }
          const r = await b.execute()
          expect(await readOrders(table)).toEqual(expected)
          expect(r.metrics.numOutputRows).toBe(
            r.metrics.numTargetRowsInserted + r.metrics.numTargetRowsUpdated + r.metrics.numCopiedRows,
          )
          cleanupDirs()
        },
      ),
      { numRuns: 40 },
    )
  }, 120_000)
})
