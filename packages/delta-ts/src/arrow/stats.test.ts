import { readdirSync, readFileSync } from 'node:fs'
import * as path from 'node:path'
import * as arrow from 'apache-arrow'
import fc from 'fast-check'
import * as pw from 'parquet-wasm'
import { describe, expect, it } from 'vitest'
import { goldenRoot } from '../../test/golden.js'
import { parseSchemaString, type StructType } from '../protocol/schema.js'
import { selectStatsLeaves, truncateMax, truncateMin } from '../protocol/stats.js'

import { computeFileStats } from './stats.js'

function vec(type: arrow.DataType, values: unknown[]): arrow.Vector {
  const b = arrow.makeBuilder({ type, nullValues: [null] })
  for (const v of values) b.append(v as never)
  return b.finish().toVector()
}
const f = (name: string, type: arrow.DataType, nullable = true) => new arrow.Field(name, type, nullable)
const schema = (fields: [string, unknown, boolean?, Record<string, unknown>?][]): StructType =>
  ({
    type: 'struct',
    fields: fields.map(([name, type, nullable, metadata]) => ({
      name,
      type,
      nullable: nullable ?? true,
      metadata: metadata ?? {},
    })),
  }) as StructType

/** Sets exact int64 values into a timestamp/int64 vector built from placeholder numbers. */
function setInt64(v: arrow.Vector, values: bigint[]): arrow.Vector {
  ;(v.data[0].values as BigInt64Array).set(values)
  return v
}

const utf8 = new TextEncoder()
const cmpCodePoints = (a: string, b: string) => {
  const x = utf8.encode(a)
  const y = utf8.encode(b)
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i]
  return x.length - y.length
}

describe('computeFileStats', () => {
  it('computes numRecords, min, max and nullCount for primitive types with nulls', () => {
    const t = new arrow.Table({
      i: vec(new arrow.Int32(), [3, null, -7, 10]),
      l: vec(new arrow.Int64(), [9007199254740993n, -1n, null, 5n]),
      d: vec(new arrow.Float64(), [1.5, -2.25, null, 0]),
      s: vec(new arrow.Utf8(), ['banana', 'apple', null, 'cherry']),
      dt: vec(new arrow.DateDay(), [Date.UTC(2024, 1, 29), null, Date.UTC(1999, 11, 31), Date.UTC(2000, 0, 1)]),
      dec: vec(new arrow.Decimal(2, 10, 128), [
        new Uint32Array([12345, 0, 0, 0]),
        new Uint32Array([0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff]),
        null,
        new Uint32Array([5, 0, 0, 0]),
      ]),
      b: vec(new arrow.Bool(), [true, false, null, true]),
      bin: vec(new arrow.Binary(), [new Uint8Array([1]), null, null, new Uint8Array([2])]),
    })
    const s = schema([
      ['i', 'integer'],
      ['l', 'long'],
      ['d', 'double'],
      ['s', 'string'],
      ['dt', 'date'],
      ['dec', 'decimal(10,2)'],
      ['b', 'boolean'],
      ['bin', 'binary'],
    ])
    const json = computeFileStats(t, { schema: s })
    // The long above 2^53 must be written exactly, not as a rounded double.
    expect(json).toContain('"l":9007199254740993')
    expect(json).toContain('"dec":-0.01')
    expect(JSON.parse(json)).toEqual({
      numRecords: 4,
      minValues: { i: -7, l: -1, d: -2.25, s: 'apple', dt: '1999-12-31', dec: -0.01 },
      maxValues: { i: 10, l: Number('9007199254740993'), d: 1.5, s: 'cherry', dt: '2024-02-29', dec: 123.45 },
      nullCount: { i: 1, l: 1, d: 1, s: 1, dt: 1, dec: 1, b: 1, bin: 2 },
    })
  })

  it('nests struct stats, counts a null parent as a null leaf and ignores values under a null parent', () => {
    const st = new arrow.Struct([f('x', new arrow.Int32()), f('y', new arrow.Struct([f('z', new arrow.Utf8())]))])
    const v = vec(st, [{ x: 1, y: { z: 'b' } }, null, { x: 5, y: null }, { x: null, y: { z: 'a' } }])
    // Plant a huge value under the null parent row: stats must not see it.
    ;(v.data[0].children[0].values as Int32Array)[1] = 999
    const t = new arrow.Table({
      s: v,
      list: vec(new arrow.List(f('element', new arrow.Int32())), [[1], null, [], null]),
    })
    const s = schema([
      [
        's',
        {
          type: 'struct',
          fields: [
            { name: 'x', type: 'integer', nullable: true },
            {
              name: 'y',
              type: { type: 'struct', fields: [{ name: 'z', type: 'string', nullable: true }] },
              nullable: true,
            },
          ],
        },
      ],
      ['list', { type: 'array', elementType: 'integer', containsNull: true }],
    ])
    expect(JSON.parse(computeFileStats(t, { schema: s }))).toEqual({
      numRecords: 4,
      minValues: { s: { x: 1, y: { z: 'a' } } },
      maxValues: { s: { x: 5, y: { z: 'b' } } },
      nullCount: { s: { x: 2, y: { z: 2 } }, list: 2 },
    })
  })

  it('writes timestamps as ISO-8601 ms: min truncated down, max rounded up, ntz without Z', () => {
    const ts = setInt64(vec(new arrow.TimestampMicrosecond('UTC'), [0, 0, 0]), [
      1_700_000_000_123_456n,
      1_700_000_000_000_001n,
      -1n,
    ])
    const ntz = setInt64(vec(new arrow.TimestampMicrosecond(), [0, 0]), [86_400_000_000n, 86_400_001_000n])
    const t = new arrow.Table({ ts, ntz: vec(new arrow.TimestampMicrosecond(), [0, 0, null]) })
    t.getChild('ntz')!.data[0].values.set((ntz.data[0].values as BigInt64Array).slice(0, 2))
    const stats = JSON.parse(
      computeFileStats(t, {
        schema: schema([
          ['ts', 'timestamp'],
          ['ntz', 'timestamp_ntz'],
        ]),
      }),
    )
    // -1 µs floors to 1969-12-31T23:59:59.999; 1_700_000_000_123_456 µs rounds up to .124.
    expect(stats.minValues).toEqual({ ts: '1969-12-31T23:59:59.999Z', ntz: '1970-01-02T00:00:00.000' })
    expect(stats.maxValues).toEqual({ ts: '2023-11-14T22:13:20.124Z', ntz: '1970-01-02T00:00:00.001' })
    expect(stats.nullCount).toEqual({ ts: 0, ntz: 1 })
  })

  it('ignores NaN for min, drops max when NaN is present and omits infinite bounds', () => {
    const t = new arrow.Table({
      a: vec(new arrow.Float64(), [1, Number.NaN, -3]),
      b: vec(new arrow.Float32(), [Number.NEGATIVE_INFINITY, 2, 1]),
      c: vec(new arrow.Float64(), [Number.NaN, null, Number.NaN]),
    })
    const stats = JSON.parse(
      computeFileStats(t, {
        schema: schema([
          ['a', 'double'],
          ['b', 'float'],
          ['c', 'double'],
        ]),
      }),
    )
    expect(stats.minValues).toEqual({ a: -3 })
    expect(stats.maxValues).toEqual({ b: 2 })
    expect(stats.nullCount).toEqual({ a: 0, b: 0, c: 1 })
  })

  it('truncates long strings: min to a 32-code-point prefix, max to prefix + U+10FFFF', () => {
    const long = 'é'.repeat(40)
    const t = new arrow.Table({ s: vec(new arrow.Utf8(), [long, 'a'.repeat(50)]) })
    const stats = JSON.parse(computeFileStats(t, { schema: schema([['s', 'string']]) }))
    expect(stats.minValues.s).toBe('a'.repeat(32))
    expect(stats.maxValues.s).toBe('é'.repeat(32) + '\u{10FFFF}')
  })

  it('orders strings by code point (UTF-8 bytes), not UTF-16 units', () => {
    // U+FF5E sorts below U+1F600 by code point, above it by UTF-16 unit.
    const t = new arrow.Table({ s: vec(new arrow.Utf8(), ['\u{1F600}', '\uFF5E']) })
    const stats = JSON.parse(computeFileStats(t, { schema: schema([['s', 'string']]) }))
    expect(stats.minValues.s).toBe('\uFF5E')
    expect(stats.maxValues.s).toBe('\u{1F600}')
  })

  it('string bounds bracket every value for arbitrary unicode strings', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.string({ unit: 'binary', maxLength: 60 }).filter((s) => !/\p{Cs}/u.test(s)),
          { minLength: 1, maxLength: 20 },
        ),
        (values) => {
          const t = new arrow.Table({ s: vec(new arrow.Utf8(), values) })
          const stats = JSON.parse(computeFileStats(t, { schema: schema([['s', 'string']]), stringPrefixLength: 8 }))
          for (const v of values) {
            expect(cmpCodePoints(stats.minValues.s, v)).toBeLessThanOrEqual(0)
            if (stats.maxValues?.s !== undefined) expect(cmpCodePoints(stats.maxValues.s, v)).toBeGreaterThanOrEqual(0)
          }
        },
      ),
      { numRuns: 300 },
    )
  })

  it('truncateMax grows over U+10FFFF runs and gives up when no short bound exists', () => {
    const top = '\u{10FFFF}'
    expect(truncateMax('ab' + top + 'c', 2)).toBe('ab' + top + top)
    expect(truncateMax(top.repeat(10) + 'x', 2)).toBeUndefined()
    expect(truncateMax('abc', 3)).toBe('abc')
    expect(truncateMin('😈😈😈', 2)).toBe('😈😈')
  })

  it('truncateMin and truncateMax agree with a code-point split on random strings (surrogate pairs, lone halves)', () => {
    const reference = (s: string, n: number) => {
      const cps = Array.from(s)
      return { min: cps.length <= n ? s : cps.slice(0, n).join(''), cps }
    }
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 20 }), fc.integer({ min: 1, max: 8 }), (s, n) => {
        const { min, cps } = reference(s, n)
        expect(truncateMin(s, n)).toBe(min)
        if (cps.length <= n) expect(truncateMax(s, n)).toBe(s)
        else if (cps[n] !== '\u{10FFFF}') expect(truncateMax(s, n)).toBe(`${min}\u{10FFFF}`)
      }),
      { numRuns: 500 },
    )
  })

  it('truncating a 140M-character string reads only its prefix (milliseconds, no RangeError)', () => {
    const huge = 'é'.repeat(140 * 1024 * 1024)
    huge.charCodeAt(0) // flatten V8's rope first, as a decoded string already is
    const t0 = performance.now()
    expect(truncateMin(huge, 32)).toBe('é'.repeat(32))
    expect(truncateMax(huge, 32)).toBe(`${'é'.repeat(32)}\u{10FFFF}`)
    // Before: Array.from over the whole string, a RangeError at this size (~4.8 s at 40 MB).
    expect(performance.now() - t0).toBeLessThan(200)
  })

  it('limits stats to the first delta.dataSkippingNumIndexedCols leaves, nested leaves counted, partitions excluded', () => {
    const st = new arrow.Struct([f('x', new arrow.Int32()), f('y', new arrow.Int32())])
    const t = new arrow.Table({
      a: vec(new arrow.Int32(), [1]),
      s: vec(st, [{ x: 2, y: 3 }]),
      c: vec(new arrow.Int32(), [4]),
    })
    const s = schema([
      ['p', 'string'],
      ['a', 'integer'],
      [
        's',
        {
          type: 'struct',
          fields: [
            { name: 'x', type: 'integer', nullable: true },
            { name: 'y', type: 'integer', nullable: true },
          ],
        },
      ],
      ['c', 'integer'],
    ])
    const two = JSON.parse(
      computeFileStats(t, {
        schema: s,
        partitionColumns: ['p'],
        configuration: { 'delta.dataSkippingNumIndexedCols': '2' },
      }),
    )
    expect(two.nullCount).toEqual({ a: 0, s: { x: 0 } })
    const all = JSON.parse(
      computeFileStats(t, {
        schema: s,
        partitionColumns: ['p'],
        configuration: { 'delta.dataSkippingNumIndexedCols': '-1' },
      }),
    )
    expect(all.maxValues).toEqual({ a: 1, s: { x: 2, y: 3 }, c: 4 })
    const zero = JSON.parse(
      computeFileStats(t, {
        schema: s,
        partitionColumns: ['p'],
        configuration: { 'delta.dataSkippingNumIndexedCols': '0' },
      }),
    )
    expect(zero).toEqual({ numRecords: 1 })
    const listed = JSON.parse(
      computeFileStats(t, {
        schema: s,
        partitionColumns: ['p'],
        configuration: { 'delta.dataSkippingStatsColumns': 'c, `s`.y' },
      }),
    )
    expect(listed.maxValues).toEqual({ s: { y: 3 }, c: 4 })
    expect(() =>
      computeFileStats(t, { schema: s, configuration: { 'delta.dataSkippingNumIndexedCols': 'x' } }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
    expect(() => selectStatsLeaves(s.fields, { 'delta.dataSkippingStatsColumns': 'nope' })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    )
  })

  it('keys stats by physical names under column mapping', () => {
    const t = new arrow.Table({ col: vec(new arrow.Int32(), [1, 2]) })
    const s = schema([
      ['col', 'integer', true, { 'delta.columnMapping.physicalName': 'col-5f3a', 'delta.columnMapping.id': 1 }],
    ])
    expect(JSON.parse(computeFileStats(t, { schema: s, columnMappingMode: 'name' }))).toEqual({
      numRecords: 2,
      minValues: { 'col-5f3a': 1 },
      maxValues: { 'col-5f3a': 2 },
      nullCount: { 'col-5f3a': 0 },
    })
  })

  it('respects slice offsets of the Arrow data', () => {
    const t = new arrow.Table({
      i: vec(new arrow.Int32(), [100, 1, 2, -100]),
      s: vec(new arrow.Utf8(), ['a', 'm', 'n', 'z']),
    }).slice(1, 3)
    const stats = JSON.parse(
      computeFileStats(t, {
        schema: schema([
          ['i', 'integer'],
          ['s', 'string'],
        ]),
      }),
    )
    expect(stats).toEqual({
      numRecords: 2,
      minValues: { i: 1, s: 'm' },
      maxValues: { i: 2, s: 'n' },
      nullCount: { i: 0, s: 0 },
    })
  })
})

describe('computeFileStats against Spark-written golden tables', () => {
  const tables = [
    'dat/all_primitive_types',
    'dat/nested_types',
    'dat/basic_partitioned',
    'dat/basic_append',
    'dat/multi_partitioned',
  ]
  it.each(tables)('reproduces the stats Spark wrote for every data file of %s', async (name) => {
    const root = path.join(goldenRoot(), name, 'delta')
    const log = path.join(root, '_delta_log')
    let s: StructType | undefined
    let partitionColumns: string[] = []
    let checked = 0
    for (const file of readdirSync(log)
      .filter((n) => n.endsWith('.json'))
      .sort()) {
      for (const line of readFileSync(path.join(log, file), 'utf8').split('\n').filter(Boolean)) {
        const a = JSON.parse(line)
        if (a.metaData) {
          s = parseSchemaString(a.metaData.schemaString)
          partitionColumns = a.metaData.partitionColumns
        }
        if (!a.add?.stats || !s) continue
        const bytes = readFileSync(path.join(root, decodeURIComponent(a.add.path)))
        const t = arrow.tableFromIPC(pw.readParquet(bytes).intoIPCStream())
        expect(JSON.parse(computeFileStats(t, { schema: s, partitionColumns }))).toEqual(JSON.parse(a.add.stats))
        checked++
      }
    }
    expect(checked).toBeGreaterThan(0)
  })
})

describe('computeFileStats bounds property', () => {
  it('min <= every value <= max and nullCount is exact for random longs, doubles, timestamps and decimals', () => {
    const isoToMicros = (s: string) => BigInt(Date.parse(s)) * 1000n
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            l: fc.option(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), { nil: null }),
            d: fc.option(fc.double({ noNaN: true, noDefaultInfinity: true }), { nil: null }),
            t: fc.option(fc.bigInt({ min: -30_000_000_000_000_000n, max: 200_000_000_000_000_000n }), { nil: null }),
            dec: fc.option(fc.bigInt({ min: -(10n ** 20n) + 1n, max: 10n ** 20n - 1n }), { nil: null }),
          }),
          { minLength: 1, maxLength: 40 },
        ),
        (rows) => {
          const ts = vec(
            new arrow.TimestampMicrosecond('UTC'),
            rows.map((r) => (r.t === null ? null : 0)),
          )
          const tv = ts.data[0].values as BigInt64Array
          rows.forEach((r, i) => {
            if (r.t !== null) tv[i] = r.t
          })
          const words = (u: bigint) => {
            let x = BigInt.asUintN(128, u)
            return new Uint32Array(
              Array.from({ length: 4 }, () => {
                const w = Number(x & 0xffffffffn)
                x >>= 32n
                return w
              }),
            )
          }
          const t = new arrow.Table({
            l: vec(
              new arrow.Int64(),
              rows.map((r) => r.l),
            ),
            d: vec(
              new arrow.Float64(),
              rows.map((r) => r.d),
            ),
            t: ts,
            dec: vec(
              new arrow.Decimal(3, 23, 128),
              rows.map((r) => (r.dec === null ? null : words(r.dec))),
            ),
          })
          const json = computeFileStats(t, {
            schema: schema([
              ['l', 'long'],
              ['d', 'double'],
              ['t', 'timestamp'],
              ['dec', 'decimal(23,3)'],
            ]),
          })
          // Exact text for longs and decimals: pull the raw JSON numbers out instead of JSON.parse rounding them.
          const raw = (section: string, col: string) =>
            new RegExp(`"${section}":\\{[^}]*"${col}":(-?[0-9.]+)`).exec(json)?.[1]
          const stats = JSON.parse(json)
          const present = <T>(xs: (T | null)[]) => xs.filter((x): x is T => x !== null)
          for (const [col, key] of [
            ['l', 'l'],
            ['d', 'd'],
            ['t', 't'],
            ['dec', 'dec'],
          ] as const) {
            expect(stats.nullCount[col]).toBe(rows.filter((r) => r[key] === null).length)
          }
          const ls = present(rows.map((r) => r.l))
          if (ls.length) {
            for (const v of ls) {
              expect(BigInt(raw('minValues', 'l')!) <= v).toBe(true)
              expect(BigInt(raw('maxValues', 'l')!) >= v).toBe(true)
            }
          }
          for (const v of present(rows.map((r) => r.d))) {
            expect(stats.minValues.d).toBeLessThanOrEqual(v)
            expect(stats.maxValues.d).toBeGreaterThanOrEqual(v)
          }
          for (const v of present(rows.map((r) => r.t))) {
            if (stats.minValues.t !== undefined) expect(isoToMicros(stats.minValues.t) <= v).toBe(true)
            if (stats.maxValues.t !== undefined) expect(isoToMicros(stats.maxValues.t) >= v).toBe(true)
          }
          const scaled = (s: string) => BigInt(s.replace('.', '').replace(/^(-?)0+(?=\d)/, '$1'))
          for (const v of present(rows.map((r) => r.dec))) {
            expect(scaled(raw('minValues', 'dec')!) <= v).toBe(true)
            expect(scaled(raw('maxValues', 'dec')!) >= v).toBe(true)
          }
        },
      ),
      { numRuns: 300 },
    )
  })
})
