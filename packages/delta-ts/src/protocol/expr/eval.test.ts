import { describe, expect, it } from 'vitest'
import { DeltaError } from '../../errors.js'
import type { StructType } from '../schema.js'
import { bindExpr } from './bind.js'
import { compareOp, evaluateRow, likePrefix, likeToRegExp } from './eval.js'
import { parsePredicate } from './parse.js'

const schema: StructType = {
  type: 'struct',
  fields: [
    { name: 'x', type: 'integer', nullable: true },
    { name: 's', type: 'string', nullable: true },
  ],
}
const evalSql = (sql: string, row: Record<string, unknown>) =>
  evaluateRow(bindExpr(parsePredicate(sql), schema), (c) => (row[c.path[0]] ?? null) as never)

describe('evaluateRow', () => {
  it('follows Kleene logic for AND, OR and NOT with NULL', () => {
    expect(evalSql('x = 1 AND s = NULL', { x: 1, s: 'a' })).toBeNull()
    expect(evalSql('x = 2 AND s = NULL', { x: 1 })).toBe(false)
    expect(evalSql('x = 1 OR s = NULL', { x: 1 })).toBe(true)
    expect(evalSql('x = 2 OR s = NULL', { x: 1 })).toBeNull()
    expect(evalSql('NOT (x = 1)', { x: null })).toBeNull()
  })

  it('gives NULL for IN without a match when the list holds NULL, and for a NULL value', () => {
    expect(evalSql('x IN (1, NULL)', { x: 2 })).toBeNull()
    expect(evalSql('x IN (1, NULL)', { x: 1 })).toBe(true)
    expect(evalSql('x NOT IN (1, NULL)', { x: 2 })).toBeNull()
    expect(evalSql('x NOT IN (1, 3)', { x: 2 })).toBe(true)
    expect(evalSql('x IN (1)', { x: null })).toBeNull()
    expect(evalSql('x IS NULL', { x: null })).toBe(true)
  })
})

describe('null-safe equality', () => {
  it('is TRUE for two NULLs and equal values, FALSE for a NULL against a value, and never NULL', () => {
    expect(evalSql('x <=> NULL', { x: null })).toBe(true)
    expect(evalSql('x <=> NULL', { x: 1 })).toBe(false)
    expect(evalSql('x <=> 1', { x: null })).toBe(false)
    expect(evalSql('x <=> 1', { x: 1 })).toBe(true)
    expect(evalSql('x IS DISTINCT FROM 1', { x: null })).toBe(true)
    expect(evalSql('x IS NOT DISTINCT FROM 2', { x: 1 })).toBe(false)
    expect(evalSql("NOT (x <=> 1 AND s <=> 'a')", { x: 1, s: null })).toBe(true)
    expect(evalSql("NOT (x <=> 1 AND s <=> 'a')", { x: 1, s: 'a' })).toBe(false)
  })

  it('binds its operands like = (an unknown column or a non-comparable literal is INVALID_PREDICATE)', () => {
    expect(() => evalSql('nope <=> 1', {})).toThrow(DeltaError)
    expect(() => evalSql("x <=> 'abc'", { x: 1 })).toThrow(DeltaError)
  })
})

describe('compareOp', () => {
  it('orders NaN above every number and equal to itself, and -0 equal to 0', () => {
    expect(compareOp('>', NaN, Infinity)).toBe(true)
    expect(compareOp('=', NaN, NaN)).toBe(true)
    expect(compareOp('=', -0, 0)).toBe(true)
    expect(compareOp('<', 1, null)).toBeNull()
  })

  it('compares strings by code point like UTF-8 bytes', () => {
    expect(compareOp('<', '\uFFFD', '\u{1F600}')).toBe(true)
    expect(compareOp('<', 'Z', 'a')).toBe(true)
  })
})

describe('LIKE', () => {
  it('treats regex punctuation in patterns as literal characters', () => {
    const text = 'a-b.^$*+?()[]{}|/#!~,;:&<>=\'"'
    expect(likeToRegExp(text, '\\').test(text)).toBe(true)
    expect(likeToRegExp('a-b%', '\\').test('a-bc')).toBe(true)
    expect(likeToRegExp('a.c', '\\').test('abc')).toBe(false)
  })

  it('matches % across newlines, _ as one code point, and escapes wildcards', () => {
    expect(likeToRegExp('a%z', '\\').test('a\nz')).toBe(true)
    expect(likeToRegExp('_', '\\').test('\u{1F600}')).toBe(true)
    expect(likeToRegExp('100\\%', '\\').test('100%')).toBe(true)
    expect(likeToRegExp('100\\%', '\\').test('1000')).toBe(false)
    expect(likeToRegExp('a!_b', '!').test('a_b')).toBe(true)
    expect(likeToRegExp('a!_b', '!').test('axb')).toBe(false)
  })

  it('rejects a pattern ending in the escape character with INVALID_PREDICATE', () => {
    expect(() => likeToRegExp('abc\\', '\\')).toThrow(DeltaError)
  })

  it('extracts the literal prefix before the first unescaped wildcard', () => {
    expect(likePrefix('abc%d', '\\')).toBe('abc')
    expect(likePrefix('a\\%b_c', '\\')).toBe('a%b')
    expect(likePrefix('%abc', '\\')).toBe('')
    expect(likePrefix('exact', '\\')).toBe('exact')
  })
})
