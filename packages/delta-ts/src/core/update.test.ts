import * as arrow from 'apache-arrow'
import { afterEach, describe, expect, it } from 'vitest'
import { cleanupDirs, createOrders, order, readOrders, tmpDir } from '../../test/dml-fixtures.js'
import { arith, col, DeltaTable, exprToSql, lit, parseValue } from '../index.js'

afterEach(cleanupDirs)

const rows = [
  order(1, 'pending', 10),
  order(2, 'paid', 10),
  order(3, 'pending', 10, '2024-01-02'),
  order(4, 'paid', 10, '2024-01-03'),
]

describe('UPDATE', () => {
  it("sets a literal on matching rows only and reports Spark's UPDATE commitInfo", async () => {
    const t = await createOrders(rows)
    const r = await t.update({ predicate: "status = 'pending'", set: { status: "'cancelled'" } })
    expect(r.metrics).toMatchObject({ numUpdatedRows: 2, numCopiedRows: 1, numFilesRemoved: 2, numFilesAdded: 2 })
    expect(await readOrders(t)).toEqual([
      order(1, 'cancelled', 10),
      order(2, 'paid', 10),
      order(3, 'cancelled', 10, '2024-01-02'),
      order(4, 'paid', 10, '2024-01-03'),
    ])
    const [h] = await t.history({ limit: 1 })
    expect(h.operation).toBe('UPDATE')
    expect(JSON.parse(h.operationParameters!.predicate as string)).toEqual([
      "status = 'cancelled'".replace('cancelled', 'pending'),
    ])
    expect(h.operationMetrics).toMatchObject({
      numUpdatedRows: '2',
      numCopiedRows: '1',
      numRemovedFiles: '2',
      numAddedFiles: '2',
    })
  })

  it('evaluates arithmetic and column references, exactly for int64', async () => {
    const t = await createOrders([order(1, 'a', 2 ** 53), order(2, 'b', 5)])
    await t.update({
      predicate: 'id = 1',
      set: { updated_at: 'updated_at + 3', amount: 'amount * 1.5 - 1', status: 'day' },
    })
    const [a, b] = await readOrders(t)
    const snap = await t.snapshot()
    const exact = await snap.scan({ filter: 'id = 1' }).toArrow()
    expect(exact.getChild('updated_at')!.get(0)).toBe(9007199254740995n)
    expect(a).toMatchObject({ amount: 14, status: '2024-01-01' })
    expect(b).toEqual(order(2, 'b', 5))
  })

  it('updating a partition column moves rows to the new partition; without a predicate every row changes', async () => {
    const t = await createOrders(rows)
    await t.update({ predicate: "day = '2024-01-01'", set: { day: "'2024-01-09'" } })
    expect((await readOrders(t)).filter((o) => o.day === '2024-01-09').map((o) => o.id)).toEqual([1, 2])
    expect(await (await t.snapshot()).files({ filter: "day = '2024-01-01'" })).toHaveLength(0)
    const all = await t.update({ set: { amount: 'NULL' } })
    expect(all.metrics.numUpdatedRows).toBe(4)
    expect((await readOrders(t)).every((o) => o.amount === null)).toBe(true)
  })

  it('commits nothing when no row matches', async () => {
    const t = await createOrders(rows)
    const v = await t.version()
    const r = await t.update({ predicate: 'id = 99', set: { status: "'x'" } })
    expect(r).toMatchObject({ version: v, metrics: { numUpdatedRows: 0 } })
    expect(await t.version()).toBe(v)
  })

  it('rejects bad assignments: unknown column, null into a non-nullable column, overflow, non-numeric arithmetic', async () => {
    const t = await createOrders(rows)
    await expect(t.update({ set: { nope: '1' } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(t.update({ set: { id: 'NULL' } })).rejects.toMatchObject({ code: 'SCHEMA_MISMATCH' })
    // Arithmetic on a string is an invalid expression (as in a predicate); a long overflow is the evaluator's.
    await expect(t.update({ set: { status: 'status + 1' } })).rejects.toMatchObject({ code: 'INVALID_PREDICATE' })
    await expect(t.update({ set: { updated_at: 'updated_at * 9223372036854775807' } })).rejects.toMatchObject({
      code: 'ARITHMETIC_OVERFLOW',
    })
    await expect(t.update({ set: { status: "'unterminated" } })).rejects.toMatchObject({ code: 'INVALID_PREDICATE' })
    expect(await readOrders(t)).toEqual(rows)
  })

  it('sets timestamps and dates from typed literals exactly (µs)', async () => {
    const schema = new arrow.Schema([
      new arrow.Field('id', new arrow.Int32(), false),
      new arrow.Field('ts', new arrow.TimestampMicrosecond('UTC'), true),
      new arrow.Field('d', new arrow.DateDay(), true),
    ])
    const t = await DeltaTable.create(tmpDir(), { schema })
    await t.write(
      new arrow.Table(schema, [
        new arrow.RecordBatch(
          schema,
          arrow.makeData({
            type: new arrow.Struct(schema.fields),
            length: 1,
            nullCount: 0,
            children: [
              arrow.makeData({ type: new arrow.Int32(), data: Int32Array.of(1) }),
              arrow.makeData({ type: new arrow.TimestampMicrosecond('UTC'), data: BigInt64Array.of(0n) }),
              arrow.makeData({ type: new arrow.DateDay(), data: Int32Array.of(0) }),
            ],
          }),
        ),
      ]),
    )
    await t.update({ set: { ts: "TIMESTAMP '2024-05-06 07:08:09.123456'", d: "DATE '2024-05-06'" } })
    const out = await (await t.snapshot()).scan().toArrow()
    expect(out.getChild('ts')!.data[0].values[0]).toBe(1714979289123456n)
    expect(out.getChild('d')!.data[0].values[0]).toBe(19849)
  })
})

describe('value expressions (the predicate language)', () => {
  it('parse with precedence into the predicate nodes and print back', () => {
    expect(parseValue('a + b * 2')).toEqual(
      arith('+', col('a'), arith('*', col('b'), { kind: 'literal', value: 2, text: '2' })),
    )
    expect(parseValue(exprToSql(parseValue('a + b * 2 - -3')))).toEqual(parseValue('a + b * 2 - -3'))
    expect(exprToSql(parseValue("'it''s'"))).toBe("'it''s'")
  })
  it('report the position of a syntax error', () => {
    expect(() => parseValue('a + * b')).toThrow(/position 4/)
  })
  it('SET takes expression nodes as well as SQL text and computes them like the predicate language', async () => {
    const t = await createOrders(rows)
    await t.update({ predicate: 'id = 1', set: { amount: arith('*', col('amount'), lit(3)) } })
    await t.update({ predicate: 'id = 2', set: { amount: 'amount / 4' } })
    const out = await readOrders(t)
    expect(out.find((o) => o.id === 1)?.amount).toBe(30)
    expect(out.find((o) => o.id === 2)?.amount).toBe(5)
  })
})
