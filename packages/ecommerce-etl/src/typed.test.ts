import { Field, makeData, RecordBatch, Schema, Struct, Table } from 'apache-arrow'
import { describe, expect, it } from 'vitest'
import { arrowToRows } from './arrow.js'
import { batchOfRecords } from './columns.js'
import { arrowType, type ColumnKind, ORDER_ITEMS, ORDERS } from './datasets.js'
import { compileExpectations, evaluateBatch, expectationBatchOf, rawTextColumns, typeRecord } from './expectations.js'
import { RULES } from './rules.js'
import { presentMask, typeColumn, typedColumnData } from './typed.js'
import { isBlank, parseBoolean, parseDate, parseDecimal, parseInt32, parseLong, parseTimestamp } from './values.js'

const strict = (kind: ColumnKind, s: string): unknown => {
  if (isBlank(s)) return null
  const v = {
    long: () => parseLong(s),
    int: () => parseInt32(s),
    decimal: () => parseDecimal(s, 12, 2),
    timestamp: () => parseTimestamp(s),
    date: () => parseDate(s),
    boolean: () => parseBoolean(s),
    string: () => s,
  }[kind]()
  return v ?? null
}

const CELLS: Record<Exclude<ColumnKind, 'string'>, string[]> = {
  long: [
    '0',
    '42',
    '007',
    '999999999999999',
    '9007199254740993',
    '9223372036854775807',
    '9223372036854775808',
    '-7',
    ' 12 ',
    '12.0',
    '1.5',
    'abc',
    '',
    ' ',
    '\u00a0',
    '4294967296',
    '4294967295',
  ],
  int: ['0', '2147483647', '2147483648', '-2147483648', '12.0', 'x', ''],
  decimal: [
    '0',
    '12.5',
    '12.50',
    '0.05',
    '.5',
    '5.',
    '1.234',
    '1.230',
    '9999999999.99',
    '99999999999.99',
    '-3.10',
    '0012.00',
    'abc',
    '',
    '123456789012345.0',
  ],
  timestamp: [
    '2025-01-02T03:04:05Z',
    '2025-02-30T00:00:00Z',
    '2025-01-02T24:00:00Z',
    '2025-01-02 03:04:05',
    '2025-01-02T03:04:05.123456Z',
    '2025-01-02T23:30:00-02:00',
    '1969-12-31T23:59:59Z',
    '0050-01-01T00:00:00Z',
    '2025-01-02',
    'soon',
    '',
  ],
  date: ['2025-01-02', '2024-02-29', '2025-02-29', '2025-13-01', '0099-01-01', ' 2025-01-02 ', '2025/01/02', ''],
  boolean: ['1', '0', 'true', 'FALSE', 'yes', '1.0', '2', ''],
}

describe('typed columns', () => {
  it('parse every cell into Arrow buffers exactly as the strict parsers do, fast shapes and fallbacks alike', () => {
    for (const [kind, cells] of Object.entries(CELLS) as [Exclude<ColumnKind, 'string'>, string[]][]) {
      const n = cells.length
      const col = typeColumn(ORDERS, kind, cells, presentMask(cells, n), n)
      const data = typedColumnData(arrowType(kind, ORDERS), col)
      for (let i = 0; i < n; i++) {
        const want = strict(kind, cells[i])
        expect([kind, cells[i], data.getValid(i)]).toEqual([kind, cells[i], want !== null])
      }
      const rows = arrowToRows(tableOf(kind, data))
      expect(rows.map((r) => r.v)).toEqual(cells.map((c) => strict(kind, c)))
    }
  })

  it('give the same typed rows as the record path, a blank date taking the UTC day of order_timestamp', () => {
    const records = [
      {
        order_num: '1',
        order_id: '10',
        user_id: '5',
        order_timestamp: '2025-01-02T23:30:00-02:00',
        total_amount: '1.5',
        date: '',
      },
      {
        order_num: 'x',
        order_id: '11',
        user_id: '5',
        order_timestamp: '2025-01-02T03:04:05Z',
        total_amount: '',
        date: '2025-01-02',
      },
      { order_num: '3', order_id: '12', user_id: '', order_timestamp: 'bad', total_amount: '2', date: '' },
    ].map((fields, i) => ({ fields, file: 'f.csv', sheet: i === 0 ? 's1' : '', row: i + 2, index: i }))
    const batch = expectationBatchOf(ORDERS, batchOfRecords(records))
    const typed = arrowToRows(
      new Table(Object.fromEntries(ORDERS.columns.map((c) => [c.name, batch.getChild(c.name) as never])) as never),
    )
    expect(typed).toEqual(records.map((r) => typeRecord(ORDERS, r)))
  })

  it('keep raw text only for the fields a predicate reads beyond IS NULL, with the same outcomes', () => {
    expect([...rawTextColumns(compileExpectations(ORDER_ITEMS, RULES.order_items))]).toEqual([])
    const custom = compileExpectations(ORDER_ITEMS, [
      ...RULES.order_items,
      { name: 'RAW_X', predicate: "raw.reordered IS NULL OR raw.reordered <> 'x'", action: 'warn' },
    ])
    expect([...rawTextColumns(custom)]).toEqual(['reordered'])
    const records = [
      {
        id: '1',
        order_id: '10',
        user_id: '5',
        product_id: '7',
        order_timestamp: '2025-01-02T03:04:05Z',
        reordered: 'x',
      },
      {
        id: '',
        order_id: '10',
        user_id: '5',
        product_id: '7',
        order_timestamp: '2025-01-02T03:04:05Z',
        reordered: '1',
      },
    ].map((fields, i) => ({ fields, file: 'f.csv', sheet: '', row: i + 2, index: i }))
    const raw = batchOfRecords(records)
    const outcome = evaluateBatch(ORDER_ITEMS, raw, custom)
    expect(outcome.results.map((r) => [r.name, r.passed])).toEqual(
      custom.map((e) => [e.name, e.name === 'MISSING_ID' || e.name === 'BAD_BOOLEAN' || e.name === 'RAW_X' ? 1 : 2]),
    )
  })
})

function tableOf(kind: ColumnKind, data: ReturnType<typeof typedColumnData>): Table {
  const fields = [new Field('v', arrowType(kind, ORDERS), true)]
  return new Table([
    new RecordBatch(
      new Schema(fields),
      makeData({ type: new Struct(fields), length: data.length, nullCount: 0, children: [data] }),
    ),
  ])
}
