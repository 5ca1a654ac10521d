import { describe, expect, it } from 'vitest'
import { DeltaError } from '../../errors.js'
import type { FileEntry } from '../file-entry.js'
import type { ScalarValue } from '../partition-values.js'
import { fileMayMatch, partitionMayMatch } from '../pruning.js'
import type { StructType } from '../schema.js'
import { bindExpr } from './bind.js'
import { evaluateRow } from './eval.js'
import { parsePredicate } from './parse.js'
import { exprToSql } from './sql.js'
import { arith, col, type Expr, lit, neg } from './types.js'

const schema: StructType = {
  type: 'struct',
  fields: [
    { name: 'b', type: 'byte', nullable: true },
    { name: 'i', type: 'integer', nullable: true },
    { name: 'l', type: 'long', nullable: true },
    { name: 'd', type: 'decimal(10,2)', nullable: true },
    { name: 'd2', type: 'decimal(5,3)', nullable: true },
    { name: 'big', type: 'decimal(38,0)', nullable: true },
    { name: 'f', type: 'double', nullable: true },
    { name: 'r', type: 'float', nullable: true },
    { name: 's', type: 'string', nullable: true },
    { name: 'p', type: 'integer', nullable: true },
  ],
}

const bind = (sql: string) => bindExpr(parsePredicate(sql), schema)

/** The bound type of the left side of `sql` (a comparison). */
function leftType(sql: string): unknown {
  const e = bind(sql)
  if (e.kind !== 'compare') throw new Error('not a comparison')
  return e.left.dataType
}

function run(sql: string, row: Record<string, ScalarValue>): boolean | null {
  return evaluateRow(bind(sql), (c) => row[c.path[0]] ?? null)
}

async function code(f: () => unknown): Promise<string | undefined> {
  try {
    await f()
  } catch (err) {
    return err instanceof DeltaError ? err.code : String(err)
  }
  return undefined
}

describe('arithmetic in predicates: parsing and printing', () => {
  it.each([
    ['i + 1 * 2 = 9', 'i + (1 * 2) = 9'],
    ['(i + 1) * 2 = 16', '(i + 1) * 2 = 16'],
    ['i % 3 = 1', 'i % 3 = 1'],
    ['i - -1 = 8', 'i - -1 = 8'],
    ['- i < -5', '-i < -5'],
    ['-(i + l) > 0', '-(i + l) > 0'],
    ['10 - 4 - 3 = i', '(10 - 4) - 3 = i'],
    ['l / 100 * 7 = i', '(l / 100) * 7 = i'],
    ['i % 3 IN (1, 2)', 'i % 3 IN (1, 2)'],
    ['i * 2 IS NOT NULL', 'i * 2 IS NOT NULL'],
  ])('%s parses with SQL precedence and prints as %s, which parses back to the same tree', (sql, printed) => {
    const e = parsePredicate(sql)
    expect(exprToSql(e)).toBe(printed)
    expect(parsePredicate(printed)).toEqual(e)
  })

  it('parenthesized predicates and parenthesized values both parse', () => {
    expect(exprToSql(parsePredicate('(i = 1 OR l = 2) AND (f + 1) > 0'))).toBe('(i = 1 OR l = 2) AND f + 1 > 0')
    expect(exprToSql(parsePredicate('((i)) = 1'))).toBe('i = 1')
    expect(exprToSql(parsePredicate('NOT (i % 2 = 0)'))).toBe('NOT (i % 2 = 0)')
  })

  it('BETWEEN takes arithmetic on every side', () => {
    expect(exprToSql(parsePredicate('l + 1 BETWEEN i - 1 AND i * 2'))).toBe('l + 1 >= i - 1 AND l + 1 <= i * 2')
  })

  it('the builder makes the same nodes as the parser', () => {
    expect(exprToSql({ kind: 'compare', op: '=', left: arith('%', col('i'), 3), right: lit(1) })).toBe('i % 3 = 1')
    expect(exprToSql({ kind: 'compare', op: '<', left: neg(col('i')), right: lit(0) })).toBe('-i < 0')
  })

  it('a dangling operator is INVALID_PREDICATE with its position', () => {
    expect(() => parsePredicate('i + = 1')).toThrow(/position 4/)
    expect(() => parsePredicate('i % ')).toThrow(expect.objectContaining({ code: 'INVALID_PREDICATE' }))
    expect(() => parsePredicate('(i + 1 = 2')).toThrow(expect.objectContaining({ code: 'INVALID_PREDICATE' }))
  })
})

describe('arithmetic in predicates: Spark result types', () => {
  it.each([
    ['b + b > 0', 'byte'],
    ['b + i > 0', 'integer'],
    ['i + l > 0', 'long'],
    ['i % 3 = 1', 'integer'],
    ['i / 2 > 0', 'double'],
    ['l / l > 0', 'double'],
    ['r + i > 0', 'float'],
    ['r * r > 0', 'float'],
    ['r / 2 > 0', 'double'],
    ['f + i > 0', 'double'],
    ['d + f > 0', 'double'],
    ['d + r > 0', 'double'],
    ['d * 2 > 0', 'decimal(12,2)'],
    ['d * i > 0', 'decimal(21,2)'],
    ['d / 3 > 0', 'decimal(14,6)'],
    ['d / i > 0', 'decimal(21,13)'],
    ['d + d2 > 0', 'decimal(12,3)'],
    ['d - 0.01 > 0', 'decimal(11,2)'],
    ['d % 1 > 0', 'decimal(3,2)'],
    ['d2 * d2 > 0', 'decimal(11,6)'],
    ['big * big > 0', 'decimal(38,0)'],
    ['big / d > 0', 'decimal(38,6)'],
    ['i * 1.5 > 0', 'decimal(13,1)'],
    ['i * 1.5e0 > 0', 'double'],
    ['-d > 0', 'decimal(10,2)'],
    ['i + 3000000000 > 0', 'long'],
  ])('%s computes in %s', (sql, type) => {
    expect(leftType(sql)).toBe(type)
  })

  it('non-numeric operands and arithmetic used as a predicate are INVALID_PREDICATE', async () => {
    expect(await code(() => bind("s + 1 = 'a'"))).toBe('INVALID_PREDICATE')
    expect(await code(() => bind("i + 'x' = 1"))).toBe('INVALID_PREDICATE')
    expect(await code(() => bind('i + 1'))).toBe('INVALID_PREDICATE')
    expect(await code(() => bind("i + 1 = 'x'"))).toBe('INVALID_PREDICATE')
  })

  it('binding a bound tree again changes nothing', () => {
    const once = bind('(d + 1.5) * i > 2 AND -l < 0')
    expect(bindExpr(once, schema)).toEqual(once)
  })
})

describe('arithmetic in predicates: values', () => {
  const row = {
    b: 100,
    i: 7,
    l: 100n,
    d: { unscaled: 1234n, scale: 2 },
    d2: { unscaled: 1500n, scale: 3 },
    f: 2.5,
    r: 0.5,
  }

  it.each([
    ['i % 3 = 1', true],
    ['-i % 3 = -1', true],
    ['i % -3 = 1', true],
    ['i / 2 = 3.5', true],
    ['i + l = 107', true],
  ])('%s is %s', (sql, want) => {
    expect(run(sql, row)).toBe(want)
  })

  it('integer and decimal overflow are ARITHMETIC_OVERFLOW, never a wrapped value', async () => {
    expect(await code(() => run('b + b = 200', row))).toBe('ARITHMETIC_OVERFLOW')
    expect(await code(() => run('i * 2 > 0', { i: 2147483647 }))).toBe('ARITHMETIC_OVERFLOW')
    expect(await code(() => run('-i > 0', { i: -2147483648 }))).toBe('ARITHMETIC_OVERFLOW')
    expect(await code(() => run('l * l > 0', { l: 2n ** 62n }))).toBe('ARITHMETIC_OVERFLOW')
  })

  it('decimals are exact and round half up to the result scale', () => {
    expect(run('d / 3 = 4.113333', row)).toBe(true) // 12.34 / 3 at scale 6 (3 is a decimal(1,0))
    expect(run('d / i = 1.7628571428571', row)).toBe(true) // 12.34 / 7 at scale 13
    expect(run('d * 2 = 24.68', row)).toBe(true)
    expect(run('d + d2 = 13.84', row)).toBe(true)
    expect(run('d % 1 = 0.34', row)).toBe(true)
    expect(run('d / 3 = 2', { d: { unscaled: 600n, scale: 2 } })).toBe(true)
    // decimal(5,3) / an integer literal has scale 6.
    expect(run('d2 / 3 = 0.000333', { d2: { unscaled: 1n, scale: 3 } })).toBe(true)
    expect(run('d2 / 6 = 0.000167', { d2: { unscaled: 1n, scale: 3 } })).toBe(true)
    expect(run('d2 / 6 = -0.000167', { d2: { unscaled: -1n, scale: 3 } })).toBe(true)
  })

  it('float arithmetic rounds to float, double arithmetic to double', () => {
    // 0.1f * 3 is computed in float; compared with the decimal 0.3 it is widened to double, as in Spark.
    expect(run('r * 3 = 0.30000001192092896', { r: Math.fround(0.1) })).toBe(true)
    expect(run('r * 3 = 0.3', { r: Math.fround(0.1) })).toBe(false)
    expect(run('f * 3 = 0.30000000000000004', { f: 0.1 })).toBe(true)
  })

  it('NULL operands and zero divisors give NULL', () => {
    expect(run('i + l IS NULL', { i: 1, l: null })).toBe(true)
    expect(run('i / 0 IS NULL', row)).toBe(true)
    expect(run('l % 0 IS NULL', row)).toBe(true)
    expect(run('d / 0 IS NULL', row)).toBe(true)
    expect(run('f / 0 IS NULL', row)).toBe(true)
    expect(run('i + NULL > 0', row)).toBe(null)
  })
})

describe('arithmetic in predicates: pruning', () => {
  const f: FileEntry = {
    path: 'x.parquet',
    partitionValues: { p: '4' },
    size: 1,
    modificationTime: 0,
    stats: { numRecords: 10, minValues: { i: 0 }, maxValues: { i: 10 }, nullCount: { i: 0 } },
    add: { path: 'x.parquet', partitionValues: { p: '4' }, size: 1, modificationTime: 0, dataChange: true },
  }
  const ctx = { schema, partitionColumns: ['p'], columnMappingMode: 'none' as const }
  const may = (sql: string) => fileMayMatch(bind(sql), f, ctx)

  it('keeps every file an arithmetic predicate on columns might match (no bounds are derived)', () => {
    expect(may('i % 3 = 1')).toBe(true)
    expect(may('i * 100 > 5000')).toBe(true)
    expect(partitionMayMatch(bind('p % 2 = 1'), f, ctx)).toBe(true)
  })

  it('folds arithmetic on literals alone', () => {
    expect(may('1 + 1 = 3')).toBe(false)
    expect(may('1 + 1 = 2 AND i > 100')).toBe(false)
    expect(may('2 * 3 = 6')).toBe(true)
  })

  it('prunes on the other conjuncts of an arithmetic predicate', () => {
    const e: Expr = bind('i % 3 = 1 AND i > 100')
    expect(fileMayMatch(e, f, ctx)).toBe(false)
  })
})
