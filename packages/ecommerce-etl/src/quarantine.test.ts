import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readRows } from 'delta-ts/testing'
import { afterAll, describe, expect, it } from 'vitest'
import { ORDERS } from './datasets.js'
import { quarantineRows, rejectionId, writeQuarantine } from './quarantine.js'
import type { Rejection } from './rules.js'
import { validateBatch } from './rules.js'
import { Warehouse } from './warehouse.js'

const dirs: string[] = []
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

const order = (id: string, user: string, row: number) => ({
  fields: { order_num: '1', order_id: id, user_id: user, order_timestamp: '2025-01-02T03:04:05Z', extra: 'e' },
  file: 'orders.xlsx',
  sheet: '2025-01',
  row,
  index: row,
})
const rejections = (): Rejection[] =>
  validateBatch(ORDERS, [order('', '5', 2), order('11', '', 3), order('12', '5', 4)]).rejected

describe('quarantine tables', () => {
  it('rows carry origin, reasons, original fields and other fields as JSON; ids depend on content', () => {
    const [a, b] = rejections()
    const t = quarantineRows(ORDERS, 'run-1', [a, b])
    const rows = t.toArray().map((r) => r.toJSON())
    expect(rows[0]).toMatchObject({
      run_id: 'run-1',
      file: 'orders.xlsx',
      sheet: '2025-01',
      row_number: 2,
      reasons: 'MISSING_ORDER_ID',
      field_order_id: '',
      field_total_amount: null,
      other_fields: '{"extra":"e"}',
    })
    expect(rejectionId(a)).toMatch(/^[0-9a-f]{64}$/)
    expect(rejectionId(a)).toBe(rejectionId({ ...a, record: { ...a.record, index: 99 } }))
    expect(rejectionId(a)).not.toBe(rejectionId({ ...a, record: { ...a.record, row: 9 } }))
  })

  it('writes once per run (txn), skips already-quarantined rows on a new run, and commits nothing when nothing is new', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'etl-quarantine-'))
    dirs.push(dir)
    const wh = await Warehouse.open(dir)
    const rej = rejections()
    const w1 = await writeQuarantine(wh, ORDERS, { runId: 'r1', runSeq: 1, appId: 'app/r1' }, rej.slice(0, 1))
    expect(w1).toMatchObject({ table: 'rejected/orders', rows: 1, inserted: 1, version: 1, alreadyApplied: false })
    // A retry of run 1 with other rows: its transaction is in the table, nothing is written.
    const retry = await writeQuarantine(wh, ORDERS, { runId: 'r1', runSeq: 1, appId: 'app/r1' }, rej)
    expect(retry).toMatchObject({ inserted: 0, version: 1, alreadyApplied: true })
    // Run 2 rejects the same first row again plus a new one: only the new one lands, under run 2.
    const w2 = await writeQuarantine(wh, ORDERS, { runId: 'r2', runSeq: 2, appId: 'app/r2' }, rej)
    expect(w2).toMatchObject({ rows: 2, inserted: 1, version: 2, alreadyApplied: false })
    const rows = await readRows((await wh.openQuarantine('orders'))!, { orderBy: 'row_number' })
    expect(rows.map((r) => [r.run_id, Number(r.row_number)])).toEqual([
      ['r1', 2],
      ['r2', 3],
    ])
    // Run 3 with nothing new: no commit.
    const w3 = await writeQuarantine(wh, ORDERS, { runId: 'r3', runSeq: 3, appId: 'app/r3' }, rej)
    expect(w3).toMatchObject({ inserted: 0, version: w2.version })
  })
})
