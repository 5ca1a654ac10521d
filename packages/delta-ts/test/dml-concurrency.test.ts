import { afterEach, describe, expect, it } from 'vitest'
import { bindPredicate, deleteRowsWhere, predicateSql } from '../src/core/dml-support.js'
import { optimizeTable } from '../src/core/optimize.js'
import type { Snapshot } from '../src/core/snapshot.js'
import { Transaction } from '../src/core/transaction.js'
import { updateTable } from '../src/core/update.js'
import { CommitConflictError, type DeltaTable, MergeBuilder } from '../src/index.js'
import { cleanupDirs, createOrders, order, ordersTable, readOrders } from './dml-fixtures.js'

/*
 * Races on a real local table: each writer works from the same pinned snapshot (so both read version v), the
 * first commits v+1 and the second loses the put-if-absent of v+1, runs the conflict checks against the
 * winner, and either commits v+2 or fails with COMMIT_CONFLICT.
 */
afterEach(cleanupDirs)

const rows = [
  order(1, 'new', 10),
  order(2, 'new', 10),
  order(3, 'new', 10, '2024-01-02'),
  order(4, 'new', 10, '2024-01-02'),
]

function pinnedMerge(snapshot: Snapshot, source: Parameters<DeltaTable['merge']>[0], on: string): MergeBuilder {
  return new MergeBuilder({ snapshot: async () => snapshot }, source, { on })
}

describe('DML under concurrency (two transactions racing on a local table)', () => {
  it('merges into different partitions both commit; the loser retries at the next version', async () => {
    const t = await createOrders(rows)
    const snap = await t.snapshot()
    const on = 'target.id = source.id AND target.day = source.day'
    const a = await pinnedMerge(snap, ordersTable([order(1, 'A', 20), order(5, 'A', 20)]), on)
      .whenMatchedUpdateAll()
      .whenNotMatchedInsertAll()
      .execute()
    const b = await pinnedMerge(
      snap,
      ordersTable([order(3, 'B', 20, '2024-01-02'), order(6, 'B', 20, '2024-01-02')]),
      on,
    )
      .whenMatchedUpdateAll()
      .whenNotMatchedInsertAll()
      .execute()
    expect(a.commit?.attempts).toBe(1)
    expect(b.commit?.attempts).toBe(2)
    expect(b.version).toBe(a.version + 1)
    expect(await readOrders(t)).toEqual([
      order(1, 'A', 20),
      order(2, 'new', 10),
      order(3, 'B', 20, '2024-01-02'),
      order(4, 'new', 10, '2024-01-02'),
      order(5, 'A', 20),
      order(6, 'B', 20, '2024-01-02'),
    ])
  })

  it('overlapping merges conflict: the second fails with COMMIT_CONFLICT and leaves the first result', async () => {
    const t = await createOrders(rows)
    const snap = await t.snapshot()
    await pinnedMerge(snap, ordersTable([order(2, 'A', 20)]), 'target.id = source.id')
      .whenMatchedUpdateAll()
      .execute()
    const err = await pinnedMerge(snap, ordersTable([order(2, 'B', 30)]), 'target.id = source.id')
      .whenMatchedUpdateAll()
      .execute()
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(CommitConflictError)
    expect((await readOrders(t)).find((o) => o.id === 2)?.status).toBe('A')
  })

  it('a merge whose inserts land in a range another merge read conflicts (ConcurrentAppend)', async () => {
    const t = await createOrders(rows)
    const snap = await t.snapshot()
    await pinnedMerge(
      snap,
      ordersTable([order(7, 'A', 1, '2024-01-02')]),
      'target.id = source.id AND target.day = source.day',
    )
      .whenNotMatchedInsertAll()
      .execute()
    const err = await pinnedMerge(
      snap,
      ordersTable([order(3, 'B', 1, '2024-01-02'), order(8, 'B', 1, '2024-01-02')]),
      'target.id = source.id AND target.day = source.day',
    )
      .whenMatchedUpdateAll()
      .execute()
      .catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'COMMIT_CONFLICT' })
    expect((err as CommitConflictError).message).toMatch(/ConcurrentAppend/)
  })

  it('an update in one partition and an update in another both commit', async () => {
    const t = await createOrders(rows)
    const snap = await t.snapshot()
    await updateTable(snap, { predicate: "day = '2024-01-01'", set: { status: "'x'" } })
    const second = await updateTable(snap, { predicate: "day = '2024-01-02'", set: { status: "'y'" } })
    expect(second.commit?.attempts).toBe(2)
    expect((await readOrders(t)).map((o) => o.status)).toEqual(['x', 'x', 'y', 'y'])
  })

  it('optimize does not conflict with a concurrent append and keeps the appended rows', async () => {
    const t = await createOrders([])
    for (let i = 0; i < 3; i++) await t.write(ordersTable([order(i, 's', i)]))
    const snap = await t.snapshot()
    await t.write(ordersTable([order(100, 'late', 1)]))
    const r = await optimizeTable(snap)
    expect(r.commit?.attempts).toBe(2)
    expect((await readOrders(t)).map((o) => o.id)).toEqual([0, 1, 2, 100])
    expect((await t.snapshot()).numFiles).toBe(2)
  })

  it('optimize conflicts with a concurrent delete of a file it compacts', async () => {
    const t = await createOrders([])
    for (let i = 0; i < 3; i++) await t.write(ordersTable([order(i, 's', i)]))
    const snap = await t.snapshot()
    await t.delete('id = 1')
    const err = await optimizeTable(snap).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'COMMIT_CONFLICT' })
    expect((await readOrders(t)).map((o) => o.id)).toEqual([0, 2])
  })

  it('a delete that read files a concurrent OPTIMIZE already compacted conflicts; the row is neither resurrected nor lost', async () => {
    const t = await createOrders([])
    for (let i = 0; i < 3; i++) await t.write(ordersTable([order(i, 's', i)]))
    const snap = await t.snapshot()
    // OPTIMIZE wins: its removes carry dataChange: false, and the DELETE read one of the files they remove.
    const optimized = await optimizeTable(snap)
    expect(optimized.metrics.numFilesRemoved).toBe(3)
    const p = bindPredicate('id = 1', snap)
    const txn = new Transaction(snap, 'DELETE', { predicate: JSON.stringify([predicateSql(p)]) })
    const m = await deleteRowsWhere(snap, txn, p)
    expect(m.numFilesRemoved).toBe(1)
    const err = await txn.commit().catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'COMMIT_CONFLICT' })
    // The losing DELETE committed nothing (no version after OPTIMIZE's), so it cannot have revived the
    // compacted copy of its file; rerun on the new snapshot, it deletes the row from the compacted file.
    expect((await t.snapshot()).version).toBe(optimized.version)
    expect((await readOrders(t)).map((o) => o.id)).toEqual([0, 1, 2])
    await t.delete('id = 1')
    expect((await readOrders(t)).map((o) => o.id)).toEqual([0, 2])
  })

  it('a merge with a NOT MATCHED BY SOURCE clause reads the whole table: any concurrent append conflicts', async () => {
    const t = await createOrders(rows)
    const snap = await t.snapshot()
    await t.write(ordersTable([order(50, 'late', 1, '2024-03-01')]))
    const err = await pinnedMerge(snap, ordersTable([order(1, 'A', 20)]), 'target.id = source.id')
      .whenNotMatchedBySourceDelete()
      .execute()
      .catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'COMMIT_CONFLICT' })
    expect((await readOrders(t)).map((o) => o.id)).toEqual([1, 2, 3, 4, 50])
  })
})
