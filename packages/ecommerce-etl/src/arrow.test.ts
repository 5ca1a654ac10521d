import { TimeUnit, Type, tableFromIPC, tableToIPC } from 'apache-arrow'
import { describe, expect, it } from 'vitest'
import { arrowToRows, rowsToArrow } from './arrow.js'
import { arrowSchema, ORDER_ITEMS, ORDERS, PRODUCTS } from './datasets.js'
import { validateBatch } from './rules.js'

describe('Arrow conversion', () => {
  it('declares the exact types of the issue: Int64, Int32, Decimal128(12,2), DateDay, Timestamp(µs, UTC), Bool', () => {
    const s = arrowSchema(ORDER_ITEMS)
    const t = (n: string) => s.fields.find((f) => f.name === n)?.type as unknown as Record<string, unknown>
    expect(t('id').typeId).toBe(Type.Int)
    expect(t('id').bitWidth).toBe(64)
    expect(t('add_to_cart_order').bitWidth).toBe(32)
    expect(t('reordered').typeId).toBe(Type.Bool)
    expect(t('order_timestamp')).toMatchObject({ typeId: Type.Timestamp, unit: TimeUnit.MICROSECOND, timezone: 'UTC' })
    expect(t('date')).toMatchObject({ typeId: Type.Date, unit: 0 })
    const amount = arrowSchema(ORDERS).fields.find((f) => f.name === 'total_amount')?.type as unknown as Record<
      string,
      unknown
    >
    expect(amount).toMatchObject({ typeId: Type.Decimal, precision: 12, scale: 2, bitWidth: 128 })
    expect(s.fields.find((f) => f.name === 'id')?.nullable).toBe(false)
    expect(arrowSchema(PRODUCTS).fields.find((f) => f.name === 'department_id')?.nullable).toBe(true)
  })

  it('round-trips typed rows through Arrow IPC without losing int64 digits, microseconds, decimals or nulls', () => {
    const fields = [
      {
        order_num: '9223372036854775807',
        order_id: '1',
        user_id: '2',
        order_timestamp: '2025-01-02T03:04:05.123456Z',
        total_amount: '-1234567890.99',
        date: '',
      },
      {
        order_num: '',
        order_id: '2',
        user_id: '3',
        order_timestamp: '1969-12-31T23:59:59.999999Z',
        total_amount: '',
        date: '1969-12-31',
      },
    ]
    const { accepted } = validateBatch(
      ORDERS,
      fields.map((f, i) => ({ fields: f, file: 'x.csv', sheet: '', row: i + 2, index: i })),
    )
    expect(accepted).toHaveLength(2)
    const table = tableFromIPC(tableToIPC(rowsToArrow(ORDERS, accepted), 'stream'))
    expect(table.numRows).toBe(2)
    const back = arrowToRows(table)
    expect(back).toEqual(accepted.map((r) => r.values))
    expect(back[0].order_num).toBe(9223372036854775807n)
    expect(back[1].total_amount).toBeNull()
    expect(back[1].order_timestamp).toBe(-1n)
  })

  it('writes booleans and nullable int32 columns bit-exactly', () => {
    const rows = [
      {
        id: 1n,
        order_id: 1n,
        user_id: 1n,
        days_since_prior_order: null,
        product_id: 1n,
        add_to_cart_order: 3,
        reordered: true,
        order_timestamp: 0n,
        date: 0,
      },
      {
        id: 2n,
        order_id: 1n,
        user_id: 1n,
        days_since_prior_order: 30,
        product_id: 1n,
        add_to_cart_order: null,
        reordered: false,
        order_timestamp: 0n,
        date: 0,
      },
    ]
    const back = arrowToRows(rowsToArrow(ORDER_ITEMS, rows))
    expect(back.map((r) => [r.days_since_prior_order, r.add_to_cart_order, r.reordered])).toEqual([
      [null, 3, true],
      [30, null, false],
    ])
  })
})
