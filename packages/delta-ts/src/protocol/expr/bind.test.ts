import { describe, expect, it } from 'vitest'
import { DeltaError } from '../../errors.js'
import type { StructType } from '../schema.js'
import { bindExpr } from './bind.js'
import { parsePredicate } from './parse.js'
import { exprToSql } from './sql.js'
import { and, type CompareExpr, col, type Expr, type InExpr, type LiteralExpr, lit, not, or } from './types.js'

const schema: StructType = {
  type: 'struct',
  fields: [
    { name: 'date', type: 'date', nullable: true },
    { name: 'department_id', type: 'integer', nullable: true },
    { name: 'id', type: 'long', nullable: false },
    { name: 'price', type: 'decimal(10,2)', nullable: true },
    { name: 'product_name', type: 'string', nullable: true },
    { name: 'ts', type: 'timestamp', nullable: true },
    { name: 'ts_ntz', type: 'timestamp_ntz', nullable: true },
    { name: 'score', type: 'double', nullable: true },
    { name: 'active', type: 'boolean', nullable: true },
    { name: 'payload', type: 'binary', nullable: true },
    {
      name: 'address',
      type: { type: 'struct', fields: [{ name: 'City', type: 'string', nullable: true }] },
      nullable: true,
    },
    { name: 'tags', type: { type: 'array', elementType: 'string', containsNull: true }, nullable: true },
  ],
}

const rhs = (e: Expr) => (e as CompareExpr).right as LiteralExpr
const bindSql = (sql: string) => bindExpr(parsePredicate(sql), schema)

function bindError(e: Expr | string): DeltaError {
  try {
    bindExpr(typeof e === 'string' ? parsePredicate(e) : e, schema)
  } catch (err) {
    expect(err).toBeInstanceOf(DeltaError)
    expect((err as DeltaError).code).toBe('INVALID_PREDICATE')
    return err as DeltaError
  }
  throw new Error('expected binding to fail')
}

describe('bindExpr', () => {
  it('types a date string against a date column as days since the epoch', () => {
    expect(rhs(bindSql("date >= '2024-01-01'"))).toEqual({ kind: 'literal', value: 19723, dataType: 'date' })
    expect(rhs(bindSql("date = DATE '1969-12-31'")).value).toBe(-1)
    expect(rhs(bindExpr(col('date').eq(new Date(Date.UTC(2024, 0, 1, 12))), schema)).value).toBe(19723)
  })

  it('types integers against long as bigint and against integer as number', () => {
    expect(rhs(bindSql('id = 42')).value).toBe(42n)
    expect(rhs(bindSql('id = 9223372036854775807')).value).toBe(9223372036854775807n)
    expect(rhs(bindSql('department_id = 4')).value).toBe(4)
    const e = bindSql('department_id IN (1, 4)') as InExpr
    expect(e.list.map((l) => l.value)).toEqual([1, 4])
  })

  it('keeps decimals exact at the column scale, and a finer literal at its own scale', () => {
    expect(rhs(bindSql('price = 12.5')).value).toEqual({ unscaled: 1250n, scale: 2 })
    expect(rhs(bindSql('price = 12345678.99')).value).toEqual({ unscaled: 1234567899n, scale: 2 })
    expect(rhs(bindSql('price < 0.125')).value).toEqual({ unscaled: 125n, scale: 3 })
    expect(rhs(bindExpr(col('price').eq(0.1), schema)).value).toEqual({ unscaled: 10n, scale: 2 })
    // Exponent numerals stay exact (no double rounding): 1e-50 is 1 / 10^50, 1.5e2 is 150.
    expect(rhs(bindSql('price > 1e-50')).value).toEqual({ unscaled: 1n, scale: 50 })
    expect(rhs(bindSql('price = 1.5e2')).value).toEqual({ unscaled: 15000n, scale: 2 })
    expect(rhs(bindSql('department_id >= 1e3')).value).toBe(1000)
  })

  it('types timestamps with zone as UTC µs and honours offsets; timestamp_ntz as wall clock', () => {
    expect(rhs(bindSql("ts = '2024-01-01 00:00:00.000001'")).value).toBe(1704067200000001n)
    expect(rhs(bindSql("ts = '2024-01-01T01:00:00+01:00'")).value).toBe(1704067200000000n)
    expect(rhs(bindSql("ts >= '2024-01-01'")).value).toBe(1704067200000000n)
    expect(rhs(bindSql("ts_ntz = TIMESTAMP_NTZ '2024-01-01 00:00:00.5'")).value).toBe(1704067200500000n)
    expect(rhs(bindExpr(col('ts').gt(new Date(Date.UTC(2024, 0, 1))), schema)).value).toBe(1704067200000000n)
    expect(bindError("ts_ntz = '2024-01-01 00:00:00Z'").message).toContain('timestamp_ntz literal has no time zone')
  })

  it('resolves nested paths case-insensitively and normalizes them to schema names', () => {
    const e = bindSql("ADDRESS.city = 'Oslo'") as CompareExpr
    expect(e.left).toEqual({ kind: 'column', path: ['address', 'City'], dataType: 'string' })
  })

  it('fails naming the unknown column and listing the available ones', () => {
    const err = bindError("dat >= '2024-01-01'")
    expect(err.message).toContain("unknown column 'dat'")
    expect(err.message).toContain('available columns: date, department_id')
    expect(bindError('address.zip = 1').message).toContain("unknown column 'address.zip'")
  })

  it('rejects literals that do not convert, naming column and type', () => {
    expect(bindError("date = 'yesterday'").message).toMatch(/column 'date' of type date .*not a date/)
    expect(bindError("department_id = 'x'").message).toMatch(/column 'department_id' of type integer/)
    expect(bindError('product_name = 5').message).toMatch(/expected a string literal/)
    expect(bindError("tags = 'a'").message).toMatch(/nested or variant/)
    expect(bindError("department_id LIKE '1%'").message).toMatch(/LIKE needs a string operand/)
    expect(bindError('department_id').message).toMatch(/not a predicate/)
    expect(bindError('date = ts').message).toMatch(/cannot compare column 'date' \(date\) = column 'ts' \(timestamp\)/)
  })

  it('accepts boolean columns and literals as predicates and binary/double special literals', () => {
    expect(bindSql('active AND NOT FALSE')).toMatchObject({
      kind: 'and',
      children: [{ kind: 'column', dataType: 'boolean' }, { kind: 'not' }],
    })
    expect(rhs(bindSql("payload = X'0102'")).value).toEqual(new Uint8Array([1, 2]))
    expect(rhs(bindSql("score > 'NaN'")).value).toBeNaN()
    expect(rhs(bindSql('score > 1.5')).value).toBe(1.5)
  })

  it('resolves qualified names against the given scopes and keeps the qualifier', () => {
    const source: StructType = { type: 'struct', fields: [{ name: 'id', type: 'long', nullable: false }] }
    const e = bindExpr(parsePredicate('target.id = source.id'), schema, {
      scopes: { target: schema, source },
    }) as CompareExpr
    expect(e.left).toEqual({ kind: 'column', path: ['id'], qualifier: 'target', dataType: 'long' })
    expect(e.right).toEqual({ kind: 'column', path: ['id'], qualifier: 'source', dataType: 'long' })
    expect(exprToSql(e)).toBe('target.id = source.id')
    expect(bindError(col('id', { qualifier: 'nope' }).eq(1)).message).toContain("unknown qualifier 'nope'")
  })

  it('is idempotent: binding a bound tree gives the same tree', () => {
    const once = bindSql(
      "date >= '2024-01-01' AND ts < '2024-02-01' AND price IN (1.25, 2) AND NOT product_name LIKE 'a%'",
    )
    expect(bindExpr(once, schema)).toEqual(once)
  })
})

describe('builder', () => {
  it('builds the same tree as the parser for the documented example', () => {
    const built = and(col('date').gte('2024-01-01'), col('department_id').in([1, 4]), col('product_name').isNotNull())
    const parsed = parsePredicate("date >= '2024-01-01' AND department_id IN (1, 4) AND product_name IS NOT NULL")
    expect(bindExpr(built, schema)).toEqual(bindExpr(parsed, schema))
  })

  it('flattens nested and/or, builds between, like, notIn and negation, and prints SQL', () => {
    const e = or(or(col('a').eq(1), col('b').lt(lit(2))), not(col('`x.y`.z').between(1, 3)))
    expect(e.kind).toBe('or')
    expect((e as { children: Expr[] }).children).toHaveLength(3)
    expect(exprToSql(e)).toBe('a = 1 OR b < 2 OR NOT (`x.y`.z >= 1 AND `x.y`.z <= 3)')
    expect(exprToSql(col('s').like('ab%'))).toBe("s LIKE 'ab%'")
    expect(exprToSql(col('s').notIn(['x', null]))).toBe("s NOT IN ('x', NULL)")
    expect(exprToSql(col('target.id').eq(col('source.id')))).toBe('target.id = source.id')
  })

  it('prints the DataFusion dialect: double-quoted identifiers, exact decimal casts, TIMESTAMP for ntz', () => {
    const e = bindSql(
      "price IN (1.5, -2) AND Date >= '2024-01-01' AND ts_ntz < '2024-01-01 10:00:00' AND address.City = 'O''s'",
    )
    expect(exprToSql(e, { dialect: 'datafusion' })).toBe(
      `"price" IN (CAST('1.50' AS DECIMAL(10,2)), CAST('-2.00' AS DECIMAL(10,2))) AND "date" >= DATE '2024-01-01' AND ` +
        `"ts_ntz" < TIMESTAMP '2024-01-01 10:00:00.000000' AND "address"."City" = 'O''s'`,
    )
  })

  it('prints bound literals in re-parseable typed form', () => {
    const e = bindSql("date = '2024-01-01' AND ts = '2024-01-01 00:00:00.000001' AND price = 1.5 AND id = 7")
    expect(exprToSql(e)).toBe(
      "date = DATE '2024-01-01' AND ts = TIMESTAMP '2024-01-01 00:00:00.000001Z' AND price = 1.50 AND id = 7",
    )
    expect(bindExpr(parsePredicate(exprToSql(e)), schema)).toEqual(e)
  })
})
