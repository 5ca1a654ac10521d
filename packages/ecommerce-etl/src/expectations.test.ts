import { describe, expect, it } from 'vitest'
import { ORDER_ITEMS, ORDERS, PRODUCTS } from './datasets.js'
import {
  compileExpectations,
  ExpectationError,
  ExpectationFailedError,
  evaluateExpectations,
  expectationBatch,
  mergeExpectations,
} from './expectations.js'
import type { RawRecord } from './rules.js'
import { RULES, validateBatch } from './rules.js'

const rec = (fields: Record<string, string>, row = 2): RawRecord => ({
  fields,
  file: 'f.csv',
  sheet: '',
  row,
  index: 0,
})
const product = (id: string, dept: string, name: string) =>
  rec({ product_id: id, department_id: dept, department: 'd', product_name: name })

describe('expectations', () => {
  it('counts passes and failures per expectation; NULL fails like FALSE', () => {
    const compiled = compileExpectations(PRODUCTS, [
      { name: 'DEPT_POSITIVE', predicate: 'department_id > 0', action: 'drop' },
      { name: 'DEPT_POSITIVE_OR_NULL', predicate: 'department_id IS NULL OR department_id > 0', action: 'warn' },
    ])
    const { results, passed } = evaluateExpectations(
      PRODUCTS,
      [product('1', '2', 'a'), product('2', '', 'b'), product('3', '-1', 'c')],
      compiled,
    )
    expect(results.map((r) => [r.name, r.passed, r.failed])).toEqual([
      ['DEPT_POSITIVE', 1, 2],
      ['DEPT_POSITIVE_OR_NULL', 2, 1],
    ])
    expect([...passed[0]]).toEqual([1, 0, 0])
    expect([...passed[1]]).toEqual([1, 1, 0])
  })

  it('exposes typed columns, raw text, the derived UTC order date and LEFT JOIN lookups to predicates', () => {
    const item = rec({
      id: '1',
      order_id: '10',
      user_id: '5',
      product_id: '7',
      order_timestamp: '2025-01-02T23:30:00-02:00',
      date: '',
      reordered: 'x',
    })
    const { batch, values } = expectationBatch(ORDER_ITEMS, [item], { orderIds: new Set([10n]), productIds: new Set() })
    expect(values[0]).toMatchObject({ order_id: 10n, date: 20091, reordered: null })
    const row = batch.get(0)?.toJSON() as Record<string, { toJSON(): unknown }>
    expect(row.raw.toJSON()).toMatchObject({ reordered: 'x', date: null, order_id: '10' })
    expect((row.orders.toJSON() as { order_id: bigint | null }).order_id).toBe(10n)
    expect((row.products.toJSON() as { product_id: bigint | null }).product_id).toBeNull()
    const { results } = evaluateExpectations(
      ORDER_ITEMS,
      [item],
      compileExpectations(ORDER_ITEMS, [
        { name: 'DAY', predicate: "derived.order_date = DATE '2025-01-03'", action: 'warn' },
        { name: 'RAW', predicate: "raw.reordered = 'x' AND reordered IS NULL", action: 'warn' },
      ]),
    )
    expect(results.map((r) => r.passed)).toEqual([1, 1])
  })

  it('a fail expectation throws EXPECTATION_FAILED naming the expectation, the count and the first violating row', () => {
    const compiled = compileExpectations(PRODUCTS, [
      { name: 'SMALL_ID', predicate: 'product_id < 100', action: 'fail' },
    ])
    const records = [product('1', '1', 'a'), product('200', '1', 'b'), product('300', '1', 'c')].map((r, i) => ({
      ...r,
      row: i + 2,
    }))
    let err: unknown
    try {
      evaluateExpectations(PRODUCTS, records, compiled)
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(ExpectationFailedError)
    expect(err).toMatchObject({ code: 'EXPECTATION_FAILED', violations: 2, record: { row: 3 } })
    expect((err as Error).message).toContain('SMALL_ID (product_id < 100) failed on 2 row(s); first: f.csv row 3')
  })

  it.each([
    [{ name: 'X', predicate: 'no_such_column > 1', action: 'drop' }, /expectation X: .*no_such_column/],
    [{ name: 'X', predicate: 'product_id >', action: 'drop' }, /expectation X: invalid predicate/],
    [{ name: 'X', predicate: 'product_id > 1', action: 'ignore' }, /action must be drop, fail or warn/],
    [{ name: 'not a name', predicate: 'product_id > 1', action: 'drop' }, /must be an identifier/],
  ])('rejects the invalid expectation %j with INVALID_EXPECTATION', (e, message) => {
    expect(() => compileExpectations(PRODUCTS, [e as never])).toThrow(message)
    expect(() => compileExpectations(PRODUCTS, [e as never])).toThrow(ExpectationError)
  })

  it('rejects two expectations with one name', () => {
    const e = { name: 'A', predicate: 'product_id > 1', action: 'drop' } as const
    expect(() => compileExpectations(PRODUCTS, [e, e])).toThrow(/A is declared twice/)
  })

  it('mergeExpectations replaces a built-in by name in place and appends new ones', () => {
    const merged = mergeExpectations(RULES.orders, [
      { name: 'BIG', predicate: 'total_amount < 1000', action: 'warn' },
      { name: 'INVALID_DATE', predicate: 'TRUE', action: 'warn' },
    ])
    expect(merged.map((e) => e.name)).toEqual([...RULES.orders.map((e) => e.name), 'BIG'])
    expect(merged.find((e) => e.name === 'INVALID_DATE')).toMatchObject({ predicate: 'TRUE', action: 'warn' })
  })

  it('every built-in rule compiles against its dataset and every required column has a MISSING_ rule', () => {
    for (const def of [PRODUCTS, ORDERS, ORDER_ITEMS]) {
      expect(compileExpectations(def, RULES[def.name])).toHaveLength(RULES[def.name].length)
      for (const c of def.columns.filter((x) => x.required))
        expect(RULES[def.name].map((e) => e.name)).toContain(`MISSING_${c.name.toUpperCase()}`)
    }
  })

  it('warn failures keep the row and are counted; drop reasons list only drop expectations', () => {
    const out = validateBatch(PRODUCTS, [product('1', '1', 'Test a'), product('2', 'x', 'Test b')], {}, [
      ...RULES.products,
      { name: 'NO_TEST', predicate: "product_name NOT LIKE 'Test%'", action: 'warn' },
    ])
    expect(out.accepted.map((r) => r.values.product_id)).toEqual([1n])
    expect(out.warned).toBe(1)
    expect(out.rejected.map((r) => r.reasons)).toEqual([['BAD_NUMBER']])
    expect(out.rejected[0].details).toEqual(['BAD_NUMBER: product_id="2", department_id="x"'])
  })
})
