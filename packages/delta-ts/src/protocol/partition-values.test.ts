import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isDeltaError } from '../errors.js'
import {
  civilFromDays,
  compareScalars,
  daysFromCivil,
  decimalToString,
  parsePartitionValue,
  type ScalarValue,
  serializePartitionValue,
} from './partition-values.js'

describe('parsePartitionValue', () => {
  it('parses every primitive type into its JS representation', () => {
    expect(parsePartitionValue('-128', 'byte')).toBe(-128)
    expect(parsePartitionValue('32767', 'short')).toBe(32767)
    expect(parsePartitionValue('-2147483648', 'integer')).toBe(-2147483648)
    expect(parsePartitionValue('9223372036854775807', 'long')).toBe(9223372036854775807n)
    expect(parsePartitionValue('1.5', 'float')).toBe(1.5)
    expect(parsePartitionValue('-0.1', 'double')).toBe(-0.1)
    expect(parsePartitionValue('NaN', 'double')).toBeNaN()
    expect(parsePartitionValue('true', 'boolean')).toBe(true)
    expect(parsePartitionValue('false', 'boolean')).toBe(false)
    expect(parsePartitionValue('1970-01-02', 'date')).toBe(1)
    expect(parsePartitionValue('1969-12-31', 'date')).toBe(-1)
    expect(parsePartitionValue('0001-01-01', 'date')).toBe(-719162)
    expect(parsePartitionValue('12345678901234567890.12', 'decimal(38,2)')).toEqual({
      unscaled: 1234567890123456789012n,
      scale: 2,
    })
    expect(parsePartitionValue('-1.5', 'decimal(5,3)')).toEqual({ unscaled: -1500n, scale: 3 })
    expect(parsePartitionValue('1E+2', 'decimal(5,0)')).toEqual({ unscaled: 100n, scale: 0 })
    expect(parsePartitionValue('\u0001\u0002\u00ff', 'binary')).toEqual(new Uint8Array([1, 2, 0xc3, 0xbf]))
    expect(parsePartitionValue('😈', 'binary')).toEqual(new Uint8Array([0xf0, 0x9f, 0x98, 0x88]))
    expect(parsePartitionValue('a/b=c %d ü 日本', 'string')).toBe('a/b=c %d ü 日本')
  })

  it('reads both timestamp serializations to the same exact microsecond', () => {
    const expected = 1_614_556_800_123_456n + 3_600_000_000n
    expect(parsePartitionValue('2021-03-01 01:00:00.123456', 'timestamp')).toBe(expected)
    expect(parsePartitionValue('2021-03-01T01:00:00.123456Z', 'timestamp')).toBe(expected)
    expect(parsePartitionValue('2021-03-01T02:00:00.123456+01:00', 'timestamp')).toBe(expected)
    expect(parsePartitionValue('2021-03-01 01:00:00.123456', 'timestamp_ntz')).toBe(expected)
    expect(parsePartitionValue('1970-01-01 00:00:00', 'timestamp')).toBe(0n)
    expect(parsePartitionValue('1969-12-31 23:59:59.999999', 'timestamp')).toBe(-1n)
    expect(parsePartitionValue('1970-01-01 00:00:00.5', 'timestamp')).toBe(500_000n)
  })

  it('maps null, a missing key and the empty string to null except for strings', () => {
    expect(parsePartitionValue(null, 'integer')).toBeNull()
    expect(parsePartitionValue(undefined, 'date')).toBeNull()
    expect(parsePartitionValue('', 'timestamp')).toBeNull()
    expect(parsePartitionValue('', 'string')).toBe('')
    expect(parsePartitionValue(null, 'string')).toBeNull()
  })

  it('throws INVALID_LOG on garbage and out-of-range values', () => {
    const cases: [string, any][] = [
      ['abc', 'integer'],
      ['128', 'byte'],
      ['2147483648', 'integer'],
      ['1.5', 'long'],
      ['yes', 'boolean'],
      ['2021-02-30', 'date'],
      ['2021-13-01', 'date'],
      ['2021-01-01 25:00:00', 'timestamp'],
      ['1.234', 'decimal(5,2)'],
      ['123456', 'decimal(5,0)'],
      ['1.2.3', 'double'],
    ]
    for (const [raw, type] of cases) {
      let caught: unknown
      try {
        parsePartitionValue(raw, type)
      } catch (e) {
        caught = e
      }
      expect(isDeltaError(caught, 'INVALID_LOG'), `${raw} as ${type}`).toBe(true)
    }
  })
})

describe('serializePartitionValue', () => {
  it('writes the spec formats', () => {
    expect(serializePartitionValue(0, 'date')).toBe('1970-01-01')
    expect(serializePartitionValue(-719162, 'date')).toBe('0001-01-01')
    expect(serializePartitionValue(1_000_001n, 'timestamp')).toBe('1970-01-01T00:00:01.000001Z')
    expect(serializePartitionValue(-1n, 'timestamp')).toBe('1969-12-31T23:59:59.999999Z')
    expect(serializePartitionValue(1_000_001n, 'timestamp_ntz')).toBe('1970-01-01 00:00:01.000001')
    expect(serializePartitionValue(-1n, 'timestamp_ntz')).toBe('1969-12-31 23:59:59.999999')
    expect(serializePartitionValue({ unscaled: -5n, scale: 3 }, 'decimal(10,3)')).toBe('-0.005')
    expect(serializePartitionValue({ unscaled: 5n, scale: 1 }, 'decimal(10,3)')).toBe('0.500')
    expect(serializePartitionValue(new Uint8Array([0, 65, 0xc3, 0x88]), 'binary')).toBe('\u0000A\u00c8')
    expect(serializePartitionValue(12n, 'long')).toBe('12')
    expect(serializePartitionValue(null, 'string')).toBeNull()
  })

  it('rejects a value of the wrong JS type with INVALID_ARGUMENT', () => {
    expect(() => serializePartitionValue('x', 'integer')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
    expect(() => serializePartitionValue(1, 'timestamp')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
    expect(() => serializePartitionValue(new Uint8Array([0xff]), 'binary')).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    )
  })

  it('round-trips random values of every primitive type through serialize and parse', () => {
    const micros = fc.bigInt({ min: -62135596800000000n, max: 253402300799999999n })
    const cases: [any, fc.Arbitrary<ScalarValue>][] = [
      ['byte', fc.integer({ min: -128, max: 127 })],
      ['integer', fc.integer()],
      ['long', fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })],
      ['double', fc.double({ noNaN: true })],
      ['float', fc.float({ noNaN: true })],
      ['boolean', fc.boolean()],
      ['date', fc.integer({ min: -719162, max: 2932896 })],
      ['timestamp', micros],
      ['timestamp_ntz', micros],
      [
        'decimal(38,6)',
        fc.bigInt({ min: -(10n ** 38n) + 1n, max: 10n ** 38n - 1n }).map((u) => ({ unscaled: u, scale: 6 })),
      ],
      ['string', fc.string({ unit: 'grapheme' })],
      // An empty binary serializes to '', which the spec reads back as null: the round trip needs one byte.
      ['binary', fc.string({ unit: 'grapheme', minLength: 1 }).map((s) => new TextEncoder().encode(s))],
    ]
    for (const [type, arb] of cases) {
      fc.assert(
        fc.property(arb, (v) => {
          const back = parsePartitionValue(serializePartitionValue(v, type), type)
          if (typeof v === 'number' && Object.is(v, -0)) return back === 0
          expect(compareScalars(back, v)).toBe(0)
          return true
        }),
        { numRuns: 200 },
      )
    }
  })
})

describe('compareScalars', () => {
  it('orders numbers, decimals, strings by UTF-8 bytes, binary, nulls first and NaN last', () => {
    expect(compareScalars(1, 2)).toBeLessThan(0)
    expect(compareScalars(3n, 2)).toBeGreaterThan(0)
    expect(compareScalars({ unscaled: 150n, scale: 2 }, { unscaled: 15n, scale: 1 })).toBe(0)
    expect(compareScalars({ unscaled: 151n, scale: 2 }, 1.5)).toBeGreaterThan(0)
    expect(compareScalars(NaN, Infinity)).toBeGreaterThan(0)
    expect(compareScalars(NaN, NaN)).toBe(0)
    expect(compareScalars(null, 0)).toBeLessThan(0)
    // U+FF5E (3 UTF-8 bytes, one UTF-16 unit) sorts before U+1F600 (4 bytes, surrogate pair) in UTF-8.
    expect(compareScalars('\uff5e', '😀')).toBeLessThan(0)
    expect(compareScalars('ab', 'abc')).toBeLessThan(0)
    expect(compareScalars(new Uint8Array([1, 255]), new Uint8Array([2]))).toBeLessThan(0)
    expect(compareScalars(false, true)).toBeLessThan(0)
    expect(compareScalars([1, 2], [1, 3])).toBeLessThan(0)
    expect(compareScalars({ a: 1, b: 'x' }, { a: 1, b: 'y' })).toBeLessThan(0)
  })

  it('is antisymmetric and transitive on random doubles and strings', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.double(), fc.string())), (xs) => {
        const byNum = xs.filter((x) => typeof x === 'number').sort(compareScalars)
        for (let i = 1; i < byNum.length; i++) expect(compareScalars(byNum[i - 1], byNum[i])).toBeLessThanOrEqual(0)
        for (const a of xs)
          for (const b of xs.slice(0, 5))
            expect(Math.sign(compareScalars(a, b)) + Math.sign(compareScalars(b, a)) === 0).toBe(true)
      }),
      { numRuns: 100 },
    )
  })
})

describe('calendar helpers', () => {
  it('daysFromCivil and civilFromDays are inverse over 20000 years', () => {
    for (let d = -4_000_000; d < 4_000_000; d += 997) {
      const { year, month, day } = civilFromDays(d)
      expect(daysFromCivil(year, month, day)).toBe(d)
    }
    expect(decimalToString({ unscaled: 12n, scale: 4 })).toBe('0.0012')
  })
})
