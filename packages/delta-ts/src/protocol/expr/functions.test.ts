import { describe, expect, it } from 'vitest'
import { daysFromCivil, type ScalarValue } from '../partition-values.js'
import type { StructType } from '../schema.js'
import { bindExpr, bindValueExpr } from './bind.js'
import { evaluateRow, operandValue } from './eval.js'
import { castScalar, formatPattern } from './functions.js'
import { parsePredicate } from './parse.js'
import { exprToSql } from './sql.js'
import type { Operand } from './types.js'

const schema: StructType = {
  type: 'struct',
  fields: [
    { name: 'ts', type: 'timestamp', nullable: true, metadata: {} },
    { name: 'd', type: 'date', nullable: true, metadata: {} },
    { name: 's', type: 'string', nullable: true, metadata: {} },
    { name: 'n', type: 'long', nullable: true, metadata: {} },
    { name: 'x', type: 'decimal(10,2)', nullable: true, metadata: {} },
  ],
}
const us = (iso: string) => BigInt(Date.parse(iso)) * 1000n
const row: Record<string, ScalarValue> = {
  ts: us('2024-03-05T23:30:15.250Z'),
  d: daysFromCivil(2024, 3, 5),
  s: 'héllo world',
  n: -42n,
  x: { unscaled: 12345n, scale: 2 },
}
const value = (sql: string, r: Record<string, ScalarValue> = row): ScalarValue =>
  operandValue(bindValueExpr(parsePredicate(sql) as Operand, schema), (c) => r[c.path[0]] ?? null)

describe('SQL functions of the expression language', () => {
  it('CAST between temporal, string and numeric types follows Spark (UTC, non-ANSI: impossible casts are NULL)', () => {
    expect(value('CAST(ts AS DATE)')).toBe(daysFromCivil(2024, 3, 5))
    expect(value('CAST(d AS TIMESTAMP)')).toBe(us('2024-03-05T00:00:00Z'))
    expect(value('CAST(ts AS STRING)')).toBe('2024-03-05 23:30:15.25')
    expect(value('CAST(d AS STRING)')).toBe('2024-03-05')
    expect(value("CAST('12' AS INT) + 1")).toBe(13)
    expect(value("CAST('abc' AS INT)")).toBeNull()
    expect(value('CAST(n AS INT)')).toBe(-42)
    expect(value('CAST(x AS BIGINT)')).toBe(123n)
    expect(value('CAST(x AS DECIMAL(5, 1))')).toEqual({ unscaled: 1235n, scale: 1 })
    expect(value("CAST('2024-02-30' AS DATE)")).toBeNull()
    expect(value('CAST(3000000000 AS INT)')).toBeNull()
  })

  it('YEAR / MONTH / DAY / HOUR / TO_DATE / DATE_FORMAT on timestamps, dates and strings', () => {
    expect([value('YEAR(ts)'), value('MONTH(ts)'), value('DAY(ts)'), value('HOUR(ts)')]).toEqual([2024, 3, 5, 23])
    expect(value('dayofmonth(d)')).toBe(5)
    expect(value("YEAR('1999-12-31')")).toBe(1999)
    expect(value("TO_DATE('2024-01-02 10:00:00')")).toBe(daysFromCivil(2024, 1, 2))
    expect(value("DATE_FORMAT(ts, 'yyyy-MM-dd HH:mm:ss.SSS')")).toBe('2024-03-05 23:30:15.250')
    expect(value("DATE_FORMAT(d, 'yyyyMM')")).toBe('202403')
    expect(value("DATE_FORMAT(ts, 'yy/M/d h a ''at'' mm')")).toBe('24/3/5 11 PM at 30')
    expect(formatPattern(-1n, 'yyyy-MM-dd HH:mm:ss')).toBe('1969-12-31 23:59:59')
  })

  it('SUBSTRING (1-based, negative from the end), CONCAT (NULL if any NULL), UPPER, LOWER, LENGTH in code points', () => {
    expect(value('SUBSTRING(s, 1, 5)')).toBe('héllo')
    expect(value('substr(s, 7)')).toBe('world')
    expect(value('SUBSTRING(s, -5, 3)')).toBe('wor')
    expect(value('SUBSTRING(s, 0, 2)')).toBe('hé')
    expect(value("CONCAT(s, '-', n)")).toBe('héllo world--42')
    expect(value('CONCAT(s, NULL)')).toBeNull()
    expect(value('UPPER(s)')).toBe('HÉLLO WORLD')
    expect(value('LENGTH(s)')).toBe(11)
    expect(value('ABS(n)')).toBe(42n)
    expect(value('COALESCE(n, 7)', { ...row, n: null })).toBe(7n)
  })

  it('functions compose with arithmetic and comparisons in predicates, NULL in gives NULL out', () => {
    const p = bindExpr(parsePredicate("YEAR(ts) * 100 + MONTH(ts) >= 202403 AND LOWER(s) LIKE 'hé%'"), schema)
    expect(evaluateRow(p, (c) => row[c.path[0]] ?? null)).toBe(true)
    expect(evaluateRow(p, (c) => ({ ...row, ts: null })[c.path[0]] ?? null)).toBeNull()
    expect(exprToSql(p)).toBe("(YEAR(ts) * 100) + MONTH(ts) >= 202403 AND LOWER(s) LIKE 'hé%'")
    expect(exprToSql(bindValueExpr(parsePredicate('CAST(n AS DECIMAL(5,1))') as Operand, schema))).toBe(
      'CAST(n AS DECIMAL(5, 1))',
    )
  })

  it('an unknown function, a wrong argument type or count is INVALID_PREDICATE naming it', () => {
    expect(() => parsePredicate('rand() > 1')).toThrow(/unsupported function 'rand'/)
    expect(() => bindExpr(parsePredicate('YEAR(n) > 1'), schema)).toThrow(/YEAR needs a date, timestamp or string/)
    expect(() => bindExpr(parsePredicate('UPPER(s, s) = s'), schema)).toThrow(/takes 1 argument/)
    expect(() => parsePredicate('CAST(s AS map) = 1')).toThrow(/unsupported type 'map'/)
  })

  it('castScalar round-trips decimals and rounds half up like Spark', () => {
    expect(castScalar('1.005', 'string', 'decimal(4,2)')).toEqual({ unscaled: 101n, scale: 2 })
    expect(castScalar(-2.5, 'double', 'decimal(3,0)')).toEqual({ unscaled: -3n, scale: 0 })
    expect(castScalar({ unscaled: 99999n, scale: 2 }, 'decimal(10,2)', 'decimal(4,2)')).toBeNull()
    expect(castScalar(1.0, 'double', 'string')).toBe('1.0')
  })
})
