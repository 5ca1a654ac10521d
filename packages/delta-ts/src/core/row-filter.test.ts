import {
  Binary,
  Bool,
  type Data,
  DateDay,
  Decimal,
  Field,
  Float64,
  Int32,
  Int64,
  List,
  Map_,
  makeData,
  RecordBatch,
  Struct,
  TimestampMicrosecond,
  TimestampNanosecond,
  Utf8,
  vectorFromArray,
} from 'apache-arrow'
import { describe, expect, it } from 'vitest'
import { DeltaError } from '../errors.js'
import { bindExpr } from '../protocol/expr/bind.js'
import { evaluateRow } from '../protocol/expr/eval.js'
import { parsePredicate } from '../protocol/expr/parse.js'
import { col } from '../protocol/expr/types.js'
import type { StructType } from '../protocol/schema.js'
import { evaluatePredicate, filterBatch, vectorValues } from './row-filter.js'

function validity(valid: boolean[]): { nullBitmap: Uint8Array; nullCount: number } {
  const bm = new Uint8Array(8)
  valid.forEach((v, i) => {
    if (v) bm[i >> 3] |= 1 << (i & 7)
  })
  return { nullBitmap: bm, nullCount: valid.filter((v) => !v).length }
}

// Six rows; row 5 is all-null where the column is nullable.
const N = 6
const valid = [true, true, true, true, true, false]
const micros = [1704067200000001n, 1704067200999999n, -1n, 0n, 1704153600000000n, 0n]
const unscaled = [125n, -99999n, 0n, 2n ** 70n, 1050n, 0n] // decimal(38,2)

function decimalWords(values: bigint[]): Uint32Array {
  const w = new Uint32Array(values.length * 4)
  values.forEach((v, i) => {
    let x = BigInt.asUintN(128, v)
    for (let k = 0; k < 4; k++) {
      w[i * 4 + k] = Number(x & 0xffffffffn)
      x >>= 32n
    }
  })
  return w
}

function makeBatch(): RecordBatch {
  const addrType = new Struct([new Field('city', new Utf8(), true), new Field('zip', new Int32(), true)])
  const cities = vectorFromArray(['Oslo', 'Lima', null, 'Oslo', 'Rome', 'x'], new Utf8()).data[0]
  const zips = vectorFromArray([1, 2, 3, 4, 5, 6], new Int32()).data[0]
  const columns: Record<string, Data> = {
    i: vectorFromArray([1, 2, 3, 4, 5, null], new Int32()).data[0],
    big: vectorFromArray([9007199254740993n, -1n, 0n, 5n, 9223372036854775807n, null], new Int64()).data[0],
    f: vectorFromArray([1.5, NaN, -0, 2.5, Infinity, null], new Float64()).data[0],
    dec: makeData({ type: new Decimal(2, 38, 128), length: N, ...validity(valid), data: decimalWords(unscaled) }),
    day: vectorFromArray([19723, 0, -1, 19724, 19723, null], new Int32()).data[0],
    ts: makeData({
      type: new TimestampMicrosecond('UTC'),
      length: N,
      ...validity(valid),
      data: BigInt64Array.from(micros),
    }),
    tsn: makeData({
      type: new TimestampNanosecond(),
      length: N,
      ...validity(valid),
      data: BigInt64Array.from(micros, (m) => m * 1000n + 7n),
    }),
    s: vectorFromArray(['apple', 'apricot', 'banana', 'a%b', '\u{1F600}', null], new Utf8()).data[0],
    dict: vectorFromArray(['red', 'green', 'red', 'blue', 'green', null]).data[0],
    bin: vectorFromArray(
      [
        new Uint8Array([1]),
        new Uint8Array([2, 3]),
        new Uint8Array([]),
        new Uint8Array([255]),
        new Uint8Array([1]),
        null,
      ],
      new Binary(),
    ).data[0],
    b: vectorFromArray([true, false, true, null, false, null], new Bool()).data[0],
    addr: makeData({
      type: addrType,
      length: N,
      ...validity([true, true, true, false, true, true]),
      children: [cities, zips],
    }),
    tags: vectorFromArray(
      [['a'], [], ['b', 'c'], null, ['d'], ['e', 'f']],
      new List(new Field('element', new Utf8(), true)),
    ).data[0],
    m: vectorFromArray(
      [
        new Map([['k', 1]]),
        new Map(),
        new Map([
          ['x', 2],
          ['y', 3],
        ]),
        null,
        new Map([['z', 4]]),
        new Map(),
      ],
      new Map_(
        new Field(
          'entries',
          new Struct([new Field('key', new Utf8(), false), new Field('value', new Int32(), true)]),
          false,
        ) as never,
      ),
    ).data[0],
  }
  // The DateDay column from int days.
  columns.day = makeData({
    type: new DateDay(),
    length: N,
    ...validity(valid),
    data: Int32Array.from([19723, 0, -1, 19724, 19723, 0]),
  })
  return new RecordBatch(columns as never)
}

const schema: StructType = {
  type: 'struct',
  fields: [
    { name: 'i', type: 'integer', nullable: true },
    { name: 'big', type: 'long', nullable: true },
    { name: 'f', type: 'double', nullable: true },
    { name: 'dec', type: 'decimal(38,2)', nullable: true },
    { name: 'day', type: 'date', nullable: true },
    { name: 'ts', type: 'timestamp', nullable: true },
    { name: 'tsn', type: 'timestamp_ntz', nullable: true },
    { name: 's', type: 'string', nullable: true },
    { name: 'dict', type: 'string', nullable: true },
    { name: 'bin', type: 'binary', nullable: true },
    { name: 'b', type: 'boolean', nullable: true },
    {
      name: 'addr',
      type: {
        type: 'struct',
        fields: [
          { name: 'city', type: 'string', nullable: true },
          { name: 'zip', type: 'integer', nullable: true },
        ],
      },
      nullable: true,
    },
    { name: 'tags', type: { type: 'array', elementType: 'string', containsNull: true }, nullable: true },
    {
      name: 'm',
      type: { type: 'map', keyType: 'string', valueType: 'integer', valueContainsNull: true },
      nullable: true,
    },
  ],
}

const batch = makeBatch()
const rows = (sql: string) =>
  [...evaluatePredicate(bindExpr(parsePredicate(sql), schema), batch)].flatMap((v, i) => (v ? [i] : []))

describe('evaluatePredicate', () => {
  it('compares every scalar type exactly, with null rows never selected', () => {
    expect(rows('i >= 3')).toEqual([2, 3, 4])
    expect(rows('big = 9007199254740993')).toEqual([0])
    expect(rows('big > 9007199254740992')).toEqual([0, 4])
    expect(rows('f > 2')).toEqual([1, 3, 4]) // NaN sorts above every number (Spark)
    expect(rows("f = 'NaN'")).toEqual([1])
    expect(rows('f = 0')).toEqual([2]) // -0 = 0
    expect(rows('dec = 1.25')).toEqual([0])
    expect(rows('dec > 10')).toEqual([3, 4])
    expect(rows('dec < 0')).toEqual([1])
    expect(rows("day = '2024-01-01'")).toEqual([0, 4])
    expect(rows("day < '1970-01-01'")).toEqual([2])
    expect(rows("ts = '2024-01-01 00:00:00.000001'")).toEqual([0])
    expect(rows("ts > '2024-01-01 00:00:00.999998' AND ts < '2024-01-01 00:00:01'")).toEqual([1])
    expect(rows("ts < '1970-01-01'")).toEqual([2])
    // Nanoseconds floor to µs: -1 µs + 7 ns is still in the µs before the epoch.
    expect(rows("tsn = '1969-12-31 23:59:59.999999'")).toEqual([2])
    expect(rows("s > 'b'")).toEqual([2, 4])
    expect(rows("dict IN ('red', 'blue')")).toEqual([0, 2, 3])
    expect(rows("bin = X'0203'")).toEqual([1])
    expect(rows("bin < X'02'")).toEqual([0, 2, 4])
    expect(rows('b')).toEqual([0, 2])
    expect(rows('NOT b')).toEqual([1, 4])
  })

  it('agrees with the row-at-a-time evaluator on nested AND / OR / NOT (short-circuited rows)', () => {
    const columns = new Map(batch.schema.fields.map((f, k) => [f.name, vectorValues(batch.getChildAt(k)!)]))
    for (const sql of [
      '(i >= 2 AND (b OR i = 5)) OR NOT (i < 4 AND b IS NULL)',
      "NOT (i > 1 AND (f > 2 OR NOT b)) AND (s LIKE 'a%' OR dec < 0 OR big IS NULL)",
      '(i = 1 OR i = 3 OR i = 5) AND NOT (b AND i = 3) AND (day IS NOT NULL OR f = 0)',
    ]) {
      const e = bindExpr(parsePredicate(sql), schema)
      const ref = Array.from({ length: N }, (_, i) =>
        evaluateRow(e, (c) => columns.get(c.path[0])![i]) === true ? 1 : 0,
      )
      expect([...evaluatePredicate(e, batch)], sql).toEqual(ref)
    }
  })

  it('evaluates integer arithmetic on int / long columns like the exact evaluator: nulls, zero divisors, values past 2^53, overflow', () => {
    const n = 400
    const ints = Array.from({ length: n }, (_, i) => (i % 11 === 0 ? null : ((i * 7919) % 2001) - 1000))
    const longs = Array.from({ length: n }, (_, i) =>
      i % 13 === 0 ? null : i === 7 ? 2n ** 60n + 3n : BigInt(i * 104729) - 20_000_000n,
    )
    const small = Array.from({ length: n }, (_, i) => (i % 5 === 0 ? 0 : i % 17) - 3)
    const t = new RecordBatch({
      a: vectorFromArray(ints, new Int32()).data[0],
      l: vectorFromArray(longs, new Int64()).data[0],
      z: vectorFromArray(small, new Int32()).data[0],
    })
    const s: StructType = {
      type: 'struct',
      fields: [
        { name: 'a', type: 'integer', nullable: true, metadata: {} },
        { name: 'l', type: 'long', nullable: true, metadata: {} },
        { name: 'z', type: 'integer', nullable: true, metadata: {} },
      ],
    }
    const columns = new Map(t.schema.fields.map((f, k) => [f.name, vectorValues(t.getChildAt(k)!)]))
    const cases = [
      'l % 100 = 0',
      'l % 7 != 3',
      'a % z = 1',
      '-a * 3 + 5 <= l % 1000',
      'a * a - 7 > 100',
      'l >= 10000000',
      '100 % z = 0 OR a + 1 < 0',
      'l + a > 0 AND l - a < 50000000',
    ]
    const slice = t.slice(0, 300)
    for (const sql of cases) {
      const e = bindExpr(parsePredicate(sql), s)
      const ref = Array.from({ length: n }, (_, i) =>
        evaluateRow(e, (c) => columns.get(c.path[0])![i]) === true ? 1 : 0,
      )
      expect([...evaluatePredicate(e, t)], sql).toEqual(ref)
      // A sliced batch (buffers read at an offset) and a batch without the 2^60 value.
      expect([...evaluatePredicate(e, slice)], `${sql} (slice)`).toEqual(ref.slice(0, 300))
      expect([...evaluatePredicate(e, t.slice(8, 400))], `${sql} (past 2^60)`).toEqual(ref.slice(8))
    }
    // An integer result outside its type is an error on the fast path too.
    const huge = bindExpr(parsePredicate('a * 3000000 > 0'), s)
    expect(() => evaluatePredicate(huge, t)).toThrow(expect.objectContaining({ code: 'ARITHMETIC_OVERFLOW' }))
  })

  it('matches decimal IN items whatever their scale', () => {
    expect(rows('dec IN (1.250, -999.99, 7)')).toEqual([0, 1])
    expect(rows('dec NOT IN (1.25, 10.5)')).toEqual([1, 2, 3])
  })

  it('applies three-valued logic to NOT, AND, OR, IN with NULL items, and IS NULL', () => {
    expect(rows('NOT (i >= 3)')).toEqual([0, 1])
    expect(rows('i >= 3 OR b')).toEqual([0, 2, 3, 4])
    expect(rows('i NOT IN (1, NULL)')).toEqual([])
    expect(rows('i IN (1, NULL)')).toEqual([0])
    expect(rows('i NOT IN (1, 2)')).toEqual([2, 3, 4])
    expect(rows('b IS NULL')).toEqual([3, 5])
    expect(rows('i IS NOT NULL AND b IS NOT NULL')).toEqual([0, 1, 2, 4])
    expect(rows('tags IS NULL OR m IS NULL')).toEqual([3])
  })

  it('matches LIKE with %, _ and escapes by code point', () => {
    expect(rows("s LIKE 'ap%'")).toEqual([0, 1])
    expect(rows("s LIKE '_pple'")).toEqual([0])
    expect(rows("s LIKE 'a\\%b'")).toEqual([3])
    expect(rows("s LIKE '_'")).toEqual([4]) // one emoji is one character
    expect(rows("s NOT LIKE '%a%'")).toEqual([4])
  })

  it('reads nested struct fields, a null struct making its fields null', () => {
    expect(rows("addr.city = 'Oslo'")).toEqual([0]) // row 3 has Oslo under a null struct
    expect(rows('addr.zip IS NULL')).toEqual([3])
    expect(rows('addr IS NULL')).toEqual([3])
  })

  it('resolves qualified columns through options.resolve (MERGE-style target/source names)', () => {
    const source: StructType = { type: 'struct', fields: [{ name: 'i', type: 'integer', nullable: true }] }
    const e = bindExpr(parsePredicate('target.big > 0 AND source.i = target.i'), schema, {
      scopes: { target: schema, source },
    })
    // Here both relations are the same batch; a MERGE would join two.
    const mask = evaluatePredicate(e, batch, { resolve: (c, b) => b.getChild(c.path[0]) ?? undefined })
    expect([...mask]).toEqual([1, 0, 0, 1, 1, 0])
    expect(() => evaluatePredicate(e, batch)).toThrow(/target.big/)
  })

  it('fails with INVALID_PREDICATE for a column missing from the batch', () => {
    const other: StructType = { type: 'struct', fields: [{ name: 'nope', type: 'integer', nullable: true }] }
    try {
      evaluatePredicate(bindExpr(col('nope').eq(1), other), batch)
      throw new Error('expected failure')
    } catch (err) {
      expect(err).toBeInstanceOf(DeltaError)
      expect((err as DeltaError).code).toBe('INVALID_PREDICATE')
      expect((err as DeltaError).message).toContain("column 'nope'")
    }
  })
})

describe('filterBatch', () => {
  it('keeps exactly the matching rows with exact values for every column type', () => {
    const out = filterBatch(batch, bindExpr(parsePredicate('i IN (2, 3, 5) OR i IS NULL'), schema))
    const keep = [1, 2, 4, 5]
    expect(out.numRows).toBe(4)
    expect(out.schema.fields).toEqual(batch.schema.fields)
    expect([...(out.getChild('ts')!.data[0].values as BigInt64Array)]).toEqual(keep.map((k) => micros[k]))
    expect(out.getChild('ts')!.isValid(3)).toBe(false)
    const words = out.getChild('dec')!.data[0].values as Uint32Array
    expect([...words]).toEqual([...decimalWords(keep.map((k) => unscaled[k]))])
    expect(out.getChild('big')!.toArray().slice(0, 3)).toEqual(BigInt64Array.from([-1n, 0n, 9223372036854775807n]))
    expect(out.getChild('s')!.toArray()).toEqual(['apricot', 'banana', '\u{1F600}', null])
    expect(out.getChild('dict')!.toArray()).toEqual(['green', 'red', 'green', null])
    expect(out.getChild('bin')!.get(0)).toEqual(new Uint8Array([2, 3]))
    expect(out.getChild('b')!.toArray()).toEqual([false, true, false, null])
    expect(out.getChild('day')!.data[0].values.slice(0, 3)).toEqual(Int32Array.from([0, -1, 19723]))
    expect(out.getChild('f')!.toArray()[0]).toBeNaN()
    const addr = out.getChild('addr')!
    expect(addr.getChildAt(0)!.toArray()).toEqual(['Lima', null, 'Rome', 'x'])
    expect(
      out
        .getChild('tags')!
        .toArray()
        .map((v: { toArray(): unknown[] } | null) => (v ? [...v.toArray()] : null)),
    ).toEqual([[], ['b', 'c'], ['d'], ['e', 'f']])
    const maps = out
      .getChild('m')!
      .toArray()
      .map((v: { toJSON(): unknown } | null) => v?.toJSON() ?? null)
    expect(maps).toEqual([{}, { x: 2, y: 3 }, { z: 4 }, {}])
  })

  it('returns the batch itself when every row matches, and an empty batch when none does', () => {
    expect(filterBatch(batch, bindExpr(parsePredicate('TRUE'), schema))).toBe(batch)
    const none = filterBatch(batch, bindExpr(parsePredicate('i > 100'), schema))
    expect(none.numRows).toBe(0)
    expect(none.schema.fields.map((f) => f.name)).toEqual(batch.schema.fields.map((f) => f.name))
  })

  it('filters a sliced batch relative to the slice', () => {
    const sliced = batch.slice(2, 5)
    const out = filterBatch(sliced, bindExpr(parsePredicate('i >= 4'), schema))
    expect(out.getChild('i')!.toArray()).toEqual(Int32Array.from([4, 5]))
    expect([...(out.getChild('ts')!.data[0].values as BigInt64Array)]).toEqual([micros[3], micros[4]])
    expect(out.getChild('b')!.toArray()).toEqual([null, false])
    expect(out.getChild('s')!.toArray()).toEqual(['a%b', '\u{1F600}'])
  })
})
