import { describe, expect, it } from 'vitest'
import { DeltaError } from '../../errors.js'
import { parsePredicate } from './parse.js'
import { exprToSql } from './sql.js'
import type { Expr } from './types.js'

function parseError(sql: string): DeltaError {
  try {
    parsePredicate(sql)
  } catch (err) {
    expect(err).toBeInstanceOf(DeltaError)
    return err as DeltaError
  }
  throw new Error(`expected ${sql} to fail`)
}

describe('parsePredicate', () => {
  it('parses <=>, IS NOT DISTINCT FROM and IS DISTINCT FROM into null-safe equality and prints them back', () => {
    const a = { kind: 'column', path: ['t', 'a'] }
    const b = { kind: 'column', path: ['s', 'a'] }
    expect(parsePredicate('t.a <=> s.a')).toEqual({ kind: 'nullSafeEq', left: a, right: b, negated: false })
    expect(parsePredicate('t.a IS NOT DISTINCT FROM s.a')).toEqual({
      kind: 'nullSafeEq',
      left: a,
      right: b,
      negated: false,
    })
    expect(parsePredicate('t.a is distinct from s.a')).toEqual({ kind: 'nullSafeEq', left: a, right: b, negated: true })
    const e = parsePredicate('NOT (x <=> 1 AND y IS DISTINCT FROM NULL)')
    expect(exprToSql(e)).toBe('NOT (x <=> 1 AND y IS DISTINCT FROM NULL)')
    expect(parsePredicate(exprToSql(e))).toEqual(e)
    expect(parseError('x IS DISTINCT y').message).toContain('expected FROM')
    expect(parseError('x <=>').message).toContain("after '<=>'")
  })

  it('parses the documented example into AND of compare, IN and IS NOT NULL', () => {
    const e = parsePredicate("date >= '2024-01-01' AND department_id IN (1, 4) AND product_name IS NOT NULL")
    expect(e).toEqual({
      kind: 'and',
      children: [
        {
          kind: 'compare',
          op: '>=',
          left: { kind: 'column', path: ['date'] },
          right: { kind: 'literal', value: '2024-01-01' },
        },
        {
          kind: 'in',
          value: { kind: 'column', path: ['department_id'] },
          list: [
            { kind: 'literal', value: 1, text: '1' },
            { kind: 'literal', value: 4, text: '4' },
          ],
          negated: false,
        },
        { kind: 'isNull', operand: { kind: 'column', path: ['product_name'] }, negated: true },
      ],
    })
  })

  it('gives NOT precedence over AND and AND over OR', () => {
    const e = parsePredicate('NOT a = 1 OR b = 2 AND c = 3') as Extract<Expr, { kind: 'or' }>
    expect(e.kind).toBe('or')
    expect(e.children[0].kind).toBe('not')
    expect(e.children[1].kind).toBe('and')
  })

  it('maps <> and == to != and =, and accepts every comparison operator', () => {
    for (const [text, op] of [
      ['<>', '!='],
      ['!=', '!='],
      ['==', '='],
      ['=', '='],
      ['<', '<'],
      ['<=', '<='],
      ['>', '>'],
      ['>=', '>='],
    ]) {
      const e = parsePredicate(`x ${text} 1`)
      expect(e).toMatchObject({ kind: 'compare', op })
    }
  })

  it('reads nested and backtick-quoted column paths', () => {
    expect(parsePredicate('address.city = 1')).toMatchObject({ left: { path: ['address', 'city'] } })
    expect(parsePredicate('`my col`.`a.b` = 1')).toMatchObject({ left: { path: ['my col', 'a.b'] } })
    expect(parsePredicate('`we``ird` = 1')).toMatchObject({ left: { path: ['we`ird'] } })
  })

  it('reads identifiers in any script and requires backticks for other characters', () => {
    expect(parsePredicate("café = 1 AND 名前 = 'x'")).toMatchObject({
      children: [{ left: { path: ['café'] } }, { left: { path: ['名前'] } }],
    })
    expect(parsePredicate('`prix €` > 1')).toMatchObject({ left: { path: ['prix €'] } })
    expect(() => parsePredicate('prix€ > 1')).toThrow(/position 4: unexpected character '€'/)
    expect(exprToSql(parsePredicate('`prix €` > 1 AND café = 1'))).toBe('`prix €` > 1 AND café = 1')
  })

  it('keeps numeral text for exact binding and makes big integers bigint', () => {
    expect(parsePredicate('x = 12.50')).toMatchObject({ right: { value: 12.5, text: '12.50' } })
    expect(parsePredicate('x = -3')).toMatchObject({ right: { value: -3, text: '-3' } })
    expect(parsePredicate('x = 9223372036854775807')).toMatchObject({ right: { value: 9223372036854775807n } })
    expect(parsePredicate('x = 1e3')).toMatchObject({ right: { value: 1000, text: '1e3' } })
  })

  it('reads strings with doubled quotes, typed literals, hex, booleans and NULL', () => {
    expect(parsePredicate("s = 'it''s'")).toMatchObject({ right: { value: "it's" } })
    expect(parsePredicate('s = "dq"')).toMatchObject({ right: { value: 'dq' } })
    expect(parsePredicate("d = DATE '2024-02-29'")).toMatchObject({ right: { value: '2024-02-29', typeHint: 'date' } })
    expect(parsePredicate("t < timestamp_ntz '2024-01-01 10:00:00'")).toMatchObject({
      right: { typeHint: 'timestamp_ntz' },
    })
    expect(parsePredicate("b = X'00ff'")).toMatchObject({ right: { value: new Uint8Array([0, 255]) } })
    expect(parsePredicate('flag = true')).toMatchObject({ right: { value: true } })
    expect(parsePredicate('x = NULL')).toMatchObject({ right: { value: null } })
  })

  it('rewrites BETWEEN to an inclusive range and NOT BETWEEN to its negation', () => {
    expect(parsePredicate('x BETWEEN 1 AND 5')).toMatchObject({
      kind: 'and',
      children: [
        { op: '>=', right: { value: 1 } },
        { op: '<=', right: { value: 5 } },
      ],
    })
    expect(parsePredicate('x NOT BETWEEN 1 AND 5')).toMatchObject({ kind: 'not', child: { kind: 'and' } })
  })

  it('parses LIKE, NOT LIKE with ESCAPE, NOT IN and parentheses', () => {
    expect(parsePredicate("name LIKE 'ab%'")).toMatchObject({
      kind: 'like',
      pattern: 'ab%',
      escape: '\\',
      negated: false,
    })
    expect(parsePredicate("name NOT LIKE 'a!%%' ESCAPE '!'")).toMatchObject({
      kind: 'like',
      escape: '!',
      negated: true,
    })
    expect(parsePredicate("x NOT IN ('a', NULL)")).toMatchObject({
      kind: 'in',
      negated: true,
      list: [{ value: 'a' }, { value: null }],
    })
    expect(parsePredicate('(a = 1 OR b = 2) AND c = 3')).toMatchObject({
      kind: 'and',
      children: [{ kind: 'or' }, { kind: 'compare' }],
    })
  })

  it('reports the position and what was expected for a missing value', () => {
    const err = parseError('date >= ')
    expect(err.code).toBe('INVALID_PREDICATE')
    expect(err.message).toContain('position 8')
    expect(err.message).toContain("expected a column or a literal after '>='")
    expect(err.message).toContain('found end of input')
  })

  it('reports an unclosed parenthesis, a stray token and an unterminated string with their positions', () => {
    expect(parseError('(a = 1').message).toMatch(/position 6: expected '\)', found end of input/)
    expect(parseError('a = 1 b = 2').message).toMatch(/position 6: expected AND, OR or end of input, found 'b'/)
    expect(parseError("a = 'abc").message).toMatch(/position 4: unterminated string literal/)
    expect(parseError('a IN 1').message).toMatch(/position 5: expected '\(' after IN/)
    expect(parseError('a IS 1').message).toMatch(/expected NULL, NOT NULL or DISTINCT FROM after IS/)
    expect(parseError('a # 1').message).toMatch(/position 2: unexpected character '#'/)
    expect(parseError('').message).toMatch(/position 0: expected a predicate/)
    expect(parseError('a IN (b)').message).toMatch(/expected a literal in the IN list, found a column/)
  })

  it('round-trips through exprToSql to the same tree', () => {
    const inputs = [
      "date >= '2024-01-01' AND department_id IN (1, 4) AND product_name IS NOT NULL",
      "NOT (a = 1 OR `we ird`.x <> 'q''s') AND b IS NULL",
      "name NOT LIKE 'a!%%' ESCAPE '!' OR n NOT IN (1.50, -2)",
      "d = DATE '2024-02-29' AND t < TIMESTAMP '2024-01-01 00:00:00' AND b = X'00FF'",
      'flag AND NOT other OR x BETWEEN 1 AND 2',
    ]
    for (const sql of inputs) {
      const e = parsePredicate(sql)
      expect(parsePredicate(exprToSql(e))).toEqual(e)
    }
  })
})
