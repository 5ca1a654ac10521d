import { takeRows } from 'delta-ts'
import { describe, expect, it } from 'vitest'
import { csvBatches, recordAt } from './columns.js'
import { parseCsvRecords } from './csv.js'
import { ORDERS } from './datasets.js'
import { compileExpectations, evaluateBatch } from './expectations.js'
import { Int64Table } from './keys.js'
import { classifyBatch, dedupBatches, dedupByKey, type Rejection, RULES, validateBatch } from './rules.js'

// A BOM, a quoted field with an escaped quote and a line break, an empty line, a short row, a row of blanks.
const tricky =
  '\ufefforder_num,order_id,user_id,order_timestamp,total_amount,date\n' +
  '1,10,5,2025-01-02T03:04:05Z,"12.50",\n' +
  '\n' +
  '2,"1""1",5,"2025-01-02\nT03",1.00,2025-01-02\n' +
  '3,12,5\n' +
  ',,,,,\n' +
  '4,13,6,2025-01-03T00:00:00Z,2.00,2025-01-03'

describe('csvBatches', () => {
  it('cuts CSV into column batches with the same cells, origins and row numbers as parseCsvRecords', () => {
    const records = parseCsvRecords(tricky, 'o.csv')
    for (const batchRows of [1, 2, 100]) {
      const batches = [...csvBatches(tricky, 'o.csv', '', { batchRows })]
      expect(batches.map((b) => b.length)).toEqual(
        batchRows === 1 ? [1, 1, 1, 1, 1] : batchRows === 2 ? [2, 2, 1] : [5],
      )
      const rebuilt = batches.flatMap((b) => Array.from({ length: b.length }, (_, i) => recordAt(b, i)))
      expect(rebuilt).toEqual(records)
    }
  })

  it('reads CRLF files like LF files', () => {
    // (csv-parse counts a CRLF inside a quoted field as two lines; here the line numbers are the file's.)
    const crlf = tricky.replace('"2025-01-02\nT03"', '"2025-01-02 T03"').replace(/\n/g, '\r\n')
    const rebuilt = [...csvBatches(crlf, 'o.csv')].flatMap((b) =>
      Array.from({ length: b.length }, (_, i) => recordAt(b, i)),
    )
    expect(rebuilt).toEqual(parseCsvRecords(crlf, 'o.csv'))
  })

  it('reports an unclosed quote with its line', () => {
    expect(() => [...csvBatches('a,b\n1,"open\n', 'x.csv')]).toThrow(/Quote Not Closed.*line 2/)
  })
})

describe('columnar validation and dedup', () => {
  const csv = `order_num,order_id,user_id,order_timestamp,total_amount,date
1,10,5,2025-01-02T03:04:05Z,1.00,
2,11,5,2025-01-02T03:04:05Z,2.00,
3,10,5,2025-01-02T03:04:06Z,3.00,
4,,5,2025-01-02T03:04:05Z,4.00,
5,11,5,2025-01-02T03:04:04Z,5.00,
6,12,5,2025-01-02T03:04:05Z,6.00,
7,12,5,2025-01-02T03:04:05Z,7.00,
`
  it('gives the same accepted rows, rejections and survivors as the record path, across batch boundaries', () => {
    const compiled = compileExpectations(ORDERS, RULES.orders)
    const accepted: number[] = []
    const rejected: Rejection[] = []
    for (const raw of csvBatches(csv, 'o.csv', '', { batchRows: 3 })) {
      const { batch, passed } = evaluateBatch(ORDERS, raw, compiled)
      const c = classifyBatch(compiled, passed, raw)
      rejected.push(...c.rejected)
      const idx = [...c.keep.keys()].filter((i) => c.keep[i])
      accepted.push(...idx.map((i) => Number(batch.get(i)?.order_num)))
    }
    const records = parseCsvRecords(csv, 'o.csv')
    const byRecords = validateBatch(ORDERS, records)
    expect(rejected).toEqual(byRecords.rejected)
    expect(accepted).toEqual(byRecords.accepted.map((r) => Number(r.values.order_num)))

    // dedupBatches over column batches keeps the same survivors as dedupByKey over rows.
    const batches = [...csvBatches(csv, 'o.csv', '', { batchRows: 3 })].map((raw) => {
      const { batch, passed } = evaluateBatch(ORDERS, raw, compiled)
      const keep = classifyBatch(compiled, passed, raw).keep
      const sel = [...keep.keys()].filter((i) => keep[i])
      return { batch, sel }
    })
    const cols = batches.map(({ batch, sel }) => takeRows(batch, Int32Array.from(sel)))
    const out = dedupBatches(ORDERS, cols)
    const rows = dedupByKey(ORDERS, byRecords.accepted)
    expect(out.duplicates).toBe(rows.duplicates)
    const survivors = out.batches.flatMap((b) => b.toArray().map((r) => Number(r.order_num)))
    expect(survivors.sort()).toEqual(rows.rows.map((r) => Number(r.values.order_num)).sort())
    expect(survivors.sort()).toEqual([2, 3, 7])
    expect([10n, 11n, 12n].every((k) => out.keys.hasBigInt(k))).toBe(true)
    expect(out.keys.hasBigInt(13n)).toBe(false)
  })
})

describe('Int64Table', () => {
  it('holds 64-bit keys exactly (negative, beyond 2^53, halves that collide as 32-bit words) while growing', () => {
    const t = new Int64Table(2)
    const keys = [0n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 53n + 1n, 2n ** 32n, 1n, 2n ** 32n + 1n]
    for (let i = 0n; i < 5000n; i++) keys.push(i * 7919n - 10_000n)
    const uniq = new Set(keys)
    for (const k of keys) t.addBigInt(k)
    expect(t.size).toBe(uniq.size)
    for (const k of uniq) expect(t.hasBigInt(k)).toBe(true)
    for (const k of [2n ** 53n, 2n ** 33n, 3n, -(2n ** 62n)]) expect(t.hasBigInt(k)).toBe(uniq.has(k))
  })
})
