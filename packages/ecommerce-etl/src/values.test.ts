import { describe, expect, it } from 'vitest'
import {
  formatDecimal,
  formatTimestamp,
  parseBoolean,
  parseDate,
  parseDecimal,
  parseInt32,
  parseLong,
  parseTimestamp,
  utcDayOfMicros,
} from './values.js'

describe('value parsers', () => {
  it('parseLong accepts integers and Excel-style .0, rejects text, fractions and int64 overflow', () => {
    expect(parseLong('42')).toBe(42n)
    expect(parseLong(' -7 ')).toBe(-7n)
    expect(parseLong('12.0')).toBe(12n)
    expect(parseLong('9223372036854775807')).toBe(9223372036854775807n)
    expect(parseLong('9223372036854775808')).toBeNull()
    expect(parseLong('1.5')).toBeNull()
    expect(parseLong('abc')).toBeNull()
    expect(parseLong('')).toBeUndefined()
  })
  it('parseInt32 rejects values beyond 32 bits', () => {
    expect(parseInt32('2147483647')).toBe(2147483647)
    expect(parseInt32('2147483648')).toBeNull()
  })
  it('parseDecimal gives the unscaled value and refuses extra fraction digits or precision', () => {
    expect(parseDecimal('12.5', 12, 2)).toBe(1250n)
    expect(parseDecimal('-0.01', 12, 2)).toBe(-1n)
    expect(parseDecimal('3', 12, 2)).toBe(300n)
    expect(parseDecimal('1.230', 12, 2)).toBe(123n)
    expect(parseDecimal('1.005', 12, 2)).toBeNull()
    expect(parseDecimal('12345678901.00', 12, 2)).toBeNull()
    expect(parseDecimal('1,5', 12, 2)).toBeNull()
    expect(formatDecimal(-1n, 2)).toBe('-0.01')
    expect(formatDecimal(1250n, 2)).toBe('12.50')
  })
  it('parseBoolean takes 0/1/true/false and nothing else', () => {
    expect([parseBoolean('1'), parseBoolean('TRUE'), parseBoolean('0'), parseBoolean('false')]).toEqual([
      true,
      true,
      false,
      false,
    ])
    expect(parseBoolean('maybe')).toBeNull()
  })
  it('parseDate takes only real YYYY-MM-DD calendar dates', () => {
    expect(parseDate('1970-01-02')).toBe(1)
    expect(parseDate('2024-02-29')).toBe(19782)
    expect(parseDate('2025-02-29')).toBeNull()
    expect(parseDate('2025/01/15')).toBeNull()
    expect(parseDate('15-01-2025')).toBeNull()
  })
  it('parseTimestamp keeps microseconds, honours offsets and treats no zone as UTC', () => {
    expect(parseTimestamp('1970-01-01T00:00:00.000001Z')).toBe(1n)
    expect(parseTimestamp('1970-01-01 01:00:00+01:00')).toBe(0n)
    expect(parseTimestamp('2025-01-02 03:04:05')).toBe(parseTimestamp('2025-01-02T03:04:05Z'))
    expect(parseTimestamp('2025-02-30 10:00:00')).toBeNull()
    expect(parseTimestamp('yesterday')).toBeNull()
    expect(formatTimestamp(parseTimestamp('2025-01-02T03:04:05.123456Z') as bigint)).toBe('2025-01-02T03:04:05.123456Z')
  })
  it('utcDayOfMicros floors negative timestamps to the previous day', () => {
    expect(utcDayOfMicros(-1n)).toBe(-1)
    expect(utcDayOfMicros(86_400_000_000n)).toBe(1)
  })
})

describe('fast paths', () => {
  it('parse plain digits and Z timestamps exactly as the general (regex) path does', () => {
    // A leading space sends a cell down the general path.
    for (const s of ['0', '007', '123456789012345', '999999999999999', '1234567890123456'])
      expect(parseLong(s)).toBe(parseLong(` ${s}`))
    for (const s of [
      '2025-01-02T03:04:05Z',
      '1969-12-31T23:59:59Z',
      '2024-02-29T00:00:00Z',
      '2025-02-29T00:00:00Z',
      '2025-01-02T24:00:00Z',
      '2025-13-02T03:04:05Z',
      '2025-01-02T03:60:05Z',
    ])
      expect(parseTimestamp(s)).toBe(parseTimestamp(` ${s}`))
  })
})
