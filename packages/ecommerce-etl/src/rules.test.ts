import { describe, expect, it } from 'vitest'
import { DATASET_DEFS, type DatasetName, ORDER_ITEMS, ORDERS, PRODUCTS } from './datasets.js'
import { countReasons, dedupByKey, type RawRecord, validateBatch, validateRecord } from './rules.js'
import { parseTimestamp } from './values.js'

let n = 0
const rec = (fields: Record<string, string>): RawRecord => ({
  fields,
  file: 'f.xlsx',
  sheet: 'S1',
  row: ++n + 1,
  index: n,
})

const goodOrder = {
  order_num: '1',
  order_id: '10',
  user_id: '5',
  order_timestamp: '2025-01-02T03:04:05Z',
  total_amount: '12.50',
  date: '2025-01-02',
}
const goodItem = {
  id: '1',
  order_id: '10',
  user_id: '5',
  days_since_prior_order: '',
  product_id: '7',
  add_to_cart_order: '1',
  reordered: '1',
  order_timestamp: '2025-01-02T03:04:05Z',
  date: '',
}
const refs = { orderIds: new Set([10n]), productIds: new Set([7n]) }

function reasonsOf(def: typeof ORDERS, fields: Record<string, string>, r = refs): string[] {
  const out = validateRecord(def, rec(fields), r)
  return out.ok ? [] : out.rejection.reasons
}

describe('dataset rules', () => {
  it('accepts a clean order, typing every column and filling sheet_name/source_file from its origin', () => {
    const out = validateRecord(ORDERS, rec(goodOrder))
    expect(out.ok).toBe(true)
    if (!out.ok) return
    expect(out.row.values).toMatchObject({
      order_id: 10n,
      user_id: 5n,
      total_amount: 1250n,
      date: 20090,
      sheet_name: 'S1',
      source_file: 'f.xlsx',
    })
    expect(out.row.values.order_timestamp).toBe(parseTimestamp('2025-01-02T03:04:05Z'))
  })
  it('derives an empty order date from order_timestamp in UTC', () => {
    const out = validateRecord(ORDERS, rec({ ...goodOrder, order_timestamp: '2025-01-02T23:30:00-02:00', date: '' }))
    expect(out.ok && out.row.values.date).toBe(20091) // 2025-01-03 in UTC
  })
  it.each([
    ['products', { product_id: '', department_id: '1', department: 'd', product_name: 'p' }, ['MISSING_PRODUCT_ID']],
    ['products', { product_id: '1', department_id: '1', department: 'd', product_name: ' ' }, ['MISSING_PRODUCT_NAME']],
    ['products', { product_id: '1', department_id: 'three', department: 'd', product_name: 'p' }, ['BAD_NUMBER']],
    ['orders', { ...goodOrder, order_id: '' }, ['MISSING_ORDER_ID']],
    ['orders', { ...goodOrder, user_id: '' }, ['MISSING_USER_ID']],
    ['orders', { ...goodOrder, order_timestamp: '' }, ['MISSING_ORDER_TIMESTAMP']],
    ['orders', { ...goodOrder, order_timestamp: 'not a time', date: '' }, ['INVALID_TIMESTAMP']],
    ['orders', { ...goodOrder, date: '2025/01/02' }, ['INVALID_DATE']],
    ['orders', { ...goodOrder, date: '2025-01-03' }, ['INVALID_DATE']],
    ['orders', { ...goodOrder, total_amount: '12,50' }, ['BAD_NUMBER']],
    ['orders', { ...goodOrder, order_id: 'x1' }, ['BAD_NUMBER']],
    ['order_items', { ...goodItem, id: '' }, ['MISSING_ID']],
    ['order_items', { ...goodItem, order_id: '' }, ['MISSING_ORDER_ID']],
    ['order_items', { ...goodItem, user_id: '' }, ['MISSING_USER_ID']],
    ['order_items', { ...goodItem, product_id: '' }, ['MISSING_PRODUCT_ID']],
    ['order_items', { ...goodItem, order_id: '11' }, ['UNKNOWN_ORDER']],
    ['order_items', { ...goodItem, product_id: '8' }, ['UNKNOWN_PRODUCT']],
    ['order_items', { ...goodItem, days_since_prior_order: '1.5' }, ['BAD_NUMBER']],
    ['order_items', { ...goodItem, add_to_cart_order: 'first' }, ['BAD_NUMBER']],
    ['order_items', { ...goodItem, reordered: 'maybe' }, ['BAD_BOOLEAN']],
    ['order_items', { ...goodItem, order_timestamp: 'yesterday' }, ['INVALID_TIMESTAMP']],
    ['order_items', { ...goodItem, date: '15-01-2025' }, ['INVALID_DATE']],
  ])('%s row %j is rejected with exactly %j', (name, fields, expected) => {
    expect(reasonsOf(DATASET_DEFS[name as DatasetName], fields as Record<string, string>)).toEqual(expected)
  })
  it('reports every rule a row breaks, not only the first', () => {
    const reasons = reasonsOf(ORDER_ITEMS, { ...goodItem, id: '', order_id: '99', product_id: '98', reordered: 'x' })
    expect(reasons).toEqual(['BAD_BOOLEAN', 'MISSING_ID', 'UNKNOWN_ORDER', 'UNKNOWN_PRODUCT'])
  })
  it('accepts a clean item with a null days_since_prior_order and a reordered of "true"', () => {
    const out = validateRecord(ORDER_ITEMS, rec({ ...goodItem, reordered: 'true' }), refs)
    expect(out.ok && out.row.values).toMatchObject({ days_since_prior_order: null, reordered: true, date: 20090 })
  })
  it('validateBatch splits a batch and countReasons counts each reason per row', () => {
    const { accepted, rejected } = validateBatch(ORDERS, [
      rec(goodOrder),
      rec({ ...goodOrder, order_id: '', user_id: '' }),
      rec({ ...goodOrder, user_id: '' }),
    ])
    expect(accepted).toHaveLength(1)
    expect(countReasons(rejected)).toEqual({ MISSING_ORDER_ID: 1, MISSING_USER_ID: 2 })
    expect(rejected[0].record.sheet).toBe('S1')
  })
})

describe('dedupByKey', () => {
  const rows = (list: [string, string, string][]) =>
    validateBatch(
      ORDERS,
      list.map(([id, ts, amt]) =>
        rec({ ...goodOrder, order_id: id, order_timestamp: ts, total_amount: amt, date: '' }),
      ),
    ).accepted
  it('keeps the row with the latest order_timestamp even when it comes first', () => {
    const out = dedupByKey(
      ORDERS,
      rows([
        ['1', '2025-01-02T00:00:01Z', '2'],
        ['1', '2025-01-02T00:00:00Z', '1'],
      ]),
    )
    expect(out.duplicates).toBe(1)
    expect(out.rows.map((r) => r.values.total_amount)).toEqual([200n])
  })
  it('breaks timestamp ties by input order (the last one wins) and keeps first-seen key order', () => {
    const out = dedupByKey(
      ORDERS,
      rows([
        ['2', '2025-01-02T00:00:00Z', '1'],
        ['3', '2025-01-02T00:00:00Z', '5'],
        ['2', '2025-01-02T00:00:00Z', '3'],
      ]),
    )
    expect(out.rows.map((r) => [r.values.order_id, r.values.total_amount])).toEqual([
      [2n, 300n],
      [3n, 500n],
    ])
    expect(out.duplicates).toBe(1)
  })
  it('collapses products (no timestamp) to the last row in input order', () => {
    const { accepted } = validateBatch(PRODUCTS, [
      rec({ product_id: '1', product_name: 'a' }),
      rec({ product_id: '1', product_name: 'b' }),
    ])
    expect(dedupByKey(PRODUCTS, accepted).rows.map((r) => r.values.product_name)).toEqual(['b'])
  })
})
