import * as arrow from 'apache-arrow'
import { describe, expect, it } from 'vitest'
import { dataToJs } from '../arrow/to-js.js'
import type { AddAction } from '../protocol/actions.js'
import { deltaToArrowType } from '../protocol/arrow-schema.js'
import type { DataType, StructField, StructType } from '../protocol/schema.js'
import { addsData, partitionParsedData, statsParsedData, stringData, stringMapData } from './checkpoint-columns.js'
import { buildData, parseJsonExact, typedStats } from './checkpoint-writer.js'

const F = (name: string, type: DataType): StructField => ({ name, type, nullable: true, metadata: {} })
const leaves: StructType = {
  type: 'struct',
  fields: [
    F('id', 'long'),
    F('i', 'integer'),
    F('sh', 'short'),
    F('d', 'double'),
    F('f', 'float'),
    F('amount', 'decimal(20,2)'),
    F('small', 'decimal(5,1)'),
    F('ts', 'timestamp'),
    F('ntz', 'timestamp_ntz'),
    F('day', 'date'),
    F('s', 'string'),
    F('nested', { type: 'struct', fields: [F('x', 'string'), F('y', 'long')] }),
  ],
}
const counts: StructType = {
  type: 'struct',
  fields: [F('id', 'long'), F('flag', 'long'), F('nested', { type: 'struct', fields: [F('x', 'long')] })],
}
const statsType: StructType = {
  type: 'struct',
  fields: [F('numRecords', 'long'), F('minValues', leaves), F('maxValues', leaves), F('nullCount', counts)],
}

/** What the object path (the writer before column building) gives for each text. */
const objectPath = (texts: readonly (string | undefined)[]) =>
  dataToJs(
    buildData(
      statsType,
      texts.map((t) => (t ? typedStats(parseJsonExact(t), statsType) : null)),
    ),
  )

const columnData = (texts: readonly (string | undefined)[]) =>
  statsParsedData(
    statsType,
    texts.length,
    (i) => texts[i],
    (t) => typedStats(parseJsonExact(t), statsType),
  )
const columnPath = (texts: readonly (string | undefined)[]) => dataToJs(columnData(texts))

/** Row `i` of the leaf at `names` under struct data `d`, straight from its buffer (no conversion). */
const rawLeaf = (d: arrow.Data, names: string[], i: number): unknown => {
  let cur = d
  for (const name of names) cur = cur.children[(cur.type as arrow.Struct).children.findIndex((f) => f.name === name)]
  return cur.getValid(i) ? (cur.values as ArrayLike<unknown>)[i] : null
}

describe('statsParsedData', () => {
  const texts = [
    '{"numRecords":3,"minValues":{"id":9007199254740993,"i":-7,"sh":12,"d":1.5,"f":0.25,"amount":12345678901234567.89,"small":-1.5,"ts":"2024-01-01T00:00:00.123Z","ntz":"2024-01-01T00:00:00","day":"2024-02-29","s":"a\\"b\\u00e9","nested":{"x":"z","y":-9007199254740993}},"maxValues":{"id":12,"d":-2e3,"amount":"-0.01","s":"é"},"nullCount":{"id":0,"flag":3,"nested":{"x":2}}}',
    // Sections absent, empty, or not objects; leaves holding objects, arrays, booleans and nulls.
    '{"numRecords":1}',
    '{"numRecords":2,"minValues":{},"maxValues":null,"nullCount":[1,2]}',
    '{"minValues":{"id":{"a":1},"i":[1],"d":true,"s":null,"nested":"x"}}',
    // Numbers where strings are expected and strings where numbers are: converted as typedStats converts them.
    '{"minValues":{"id":"123","i":"4","d":"1e2","s":5,"ts":5,"day":19000,"amount":3,"small":"bad"}}',
    // Members the stats type does not know, at every depth, and whitespace everywhere.
    ' { "tightBounds" : true , "numRecords" : 10 , "minValues" : { "other" : { "deep" : [ 1 , { "x" : "}" } ] } , "id" : 1.9 } } ',
    // Longs beyond 2^53, fractional longs, 16+ digit doubles, a decimal with more digits than its scale.
    '{"numRecords":12345678901234567,"minValues":{"id":-1.7,"d":0.1234567890123456789,"small":1.25},"maxValues":{"id":1e3}}',
    // Handed to the exact parser: duplicate keys, escaped keys, NaN literals.
    '{"numRecords":1,"minValues":{"id":1},"minValues":{"i":2}}',
    '{"min\\u0056alues":{"id":1},"numRecords":4}',
    '{"numRecords":1,"minValues":{"d":NaN,"id":5}}',
    'null',
    undefined,
    '',
  ]

  it('gives every value the object path gives, exact longs and decimals included, one text at a time and together', () => {
    expect(columnPath(texts)).toEqual(objectPath(texts))
    for (const t of texts) expect(columnPath([t])).toEqual(objectPath([t]))
    const d = columnData(texts)
    expect(rawLeaf(d, ['minValues', 'id'], 0)).toBe(9007199254740993n)
    expect(rawLeaf(d, ['minValues', 'nested', 'y'], 0)).toBe(-9007199254740993n)
    expect(rawLeaf(d, ['numRecords'], 6)).toBe(12345678901234567n)
    expect((columnPath(texts)[0] as Record<string, Record<string, unknown>>).minValues.s).toBe('a"bé')
  })

  it('hands only the texts it cannot read exactly to the object path', () => {
    const handed: string[] = []
    statsParsedData(
      statsType,
      texts.length,
      (i) => texts[i],
      (t) => {
        handed.push(t)
        return typedStats(parseJsonExact(t), statsType)
      },
    )
    expect(handed).toEqual([texts[7], texts[8], texts[9], 'null'])
  })

  it('fails on malformed stats JSON with INVALID_LOG, as the object path does', () => {
    for (const bad of ['{"numRecords":', '{"numRecords":1,}', '{"minValues":{"id":1}', '   ', '{"a":1}x']) {
      expect(() => columnPath([bad])).toThrow(expect.objectContaining({ code: 'INVALID_LOG' }))
    }
  })

  it('a row read by the exact parser after a partial pass keeps none of the pass values', () => {
    // The pass writes minValues.id = 1 before it meets the duplicate; the exact parser's last section wins.
    const t = '{"minValues":{"id":1,"i":3},"numRecords":2,"minValues":{"i":5}}'
    const [row] = columnPath([t]) as Record<string, Record<string, unknown>>[]
    expect(row.minValues).toMatchObject({ id: null, i: 5 })
    expect(row.numRecords).toBe(2)
  })
})

describe('column builders', () => {
  it('stringData encodes strings, nulls and lone surrogates as TextEncoder does per value', () => {
    const values = ['a', null, 'é', '\ud800', '\udc00', undefined, '𝄞', '']
    const d = stringData(new arrow.Utf8(), values.length, (i) => values[i])
    expect(d.nullCount).toBe(2)
    expect(dataToJs(d)).toEqual(
      values.map((v) => (v == null ? null : new TextDecoder().decode(new TextEncoder().encode(v)))),
    )
  })

  it('stringMapData writes entries in key order, null maps and null values', () => {
    const maps: (Record<string, string | null> | null)[] = [{ a: '1', b: null }, null, {}, { c: 'x' }]
    const type = deltaToArrowType({ type: 'map', keyType: 'string', valueType: 'string', valueContainsNull: true })
    const out = dataToJs(stringMapData(type, maps.length, (i) => maps[i]))
    expect(out.map((m) => (m instanceof Map ? Object.fromEntries(m) : m))).toEqual(maps)
  })

  it('partitionParsedData types each partition column once per distinct text; unparseable values are null', () => {
    const type: StructType = { type: 'struct', fields: [F('day', 'date'), F('n', 'long'), F('p', 'decimal(4,1)')] }
    const rows = [
      ['2024-01-02', '5', '1.5'],
      ['2024-01-02', 'x', null],
      [null, '9223372036854775807', '123.4'],
    ]
    const d = partitionParsedData(type, rows.length, (i, k) => rows[i][k])
    expect([0, 1, 2].map((i) => rawLeaf(d, ['day'], i))).toEqual([19724, 19724, null])
    expect([0, 1, 2].map((i) => rawLeaf(d, ['n'], i))).toEqual([5n, null, 9223372036854775807n])
    expect(dataToJs(d).map((r) => (r as Record<string, unknown>).p)).toEqual([1.5, null, 123.4])
  })

  it('addsData builds every add field from the actions as buildData does from row objects', () => {
    const adds: AddAction[] = [
      {
        path: 'p=1/a.parquet',
        partitionValues: { p: '1' },
        size: 2 ** 40 + 3,
        modificationTime: 1700000000000,
        dataChange: true,
        tags: { k: 'v' },
        stats: '{"numRecords":1}',
        baseRowId: 7,
        deletionVector: { storageType: 'u', pathOrInlineDv: 'ab', offset: 1, sizeInBytes: 10, cardinality: 2 },
      },
      { path: 'p=2/b.parquet', partitionValues: { p: null }, size: 1, modificationTime: 2, dataChange: false },
    ]
    const type: StructType = {
      type: 'struct',
      fields: [
        F('path', 'string'),
        F('partitionValues', { type: 'map', keyType: 'string', valueType: 'string', valueContainsNull: true }),
        F('size', 'long'),
        F('modificationTime', 'long'),
        F('dataChange', 'boolean'),
        F('tags', { type: 'map', keyType: 'string', valueType: 'string', valueContainsNull: true }),
        F('baseRowId', 'long'),
        F('stats', 'string'),
      ],
    }
    const d = addsData(adds, type, deltaToArrowType(type) as arrow.Struct, {
      asJson: true,
      exactStats: () => null,
      dvRow: () => null,
      buildData,
    })
    const expected = buildData(
      type,
      adds.map((a) => ({ ...a, tags: a.tags ?? null, baseRowId: a.baseRowId ?? null })),
    )
    expect(dataToJs(d)).toEqual(dataToJs(expected))
  })
})
