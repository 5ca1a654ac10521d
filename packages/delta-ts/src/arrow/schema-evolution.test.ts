import * as arrow from 'apache-arrow'
import { describe, expect, it } from 'vitest'
import type { StructType } from '../protocol/schema.js'
import { enforceSchema } from './schema-evolution.js'

function vec(type: arrow.DataType, values: unknown[]): arrow.Vector {
  const b = arrow.makeBuilder({ type, nullValues: [null] })
  for (const v of values) b.append(v as never)
  return b.finish().toVector()
}
const f = (name: string, type: arrow.DataType, nullable = true) => new arrow.Field(name, type, nullable)
const table = (fields: arrow.Field[], cols: arrow.Vector[]) =>
  new arrow.Table(new arrow.Schema(fields), [
    new arrow.RecordBatch(
      new arrow.Schema(fields),
      arrow.makeData({
        type: new arrow.Struct(fields),
        length: cols[0]?.length ?? 0,
        nullCount: 0,
        children: cols.map((c) => c.data[0]),
      }),
    ),
  ])
const schema = (fields: [string, unknown, boolean?][]): StructType =>
  ({
    type: 'struct',
    fields: fields.map(([name, type, nullable]) => ({ name, type, nullable: nullable ?? true, metadata: {} })),
  }) as StructType

const mismatchWith = (...parts: string[]) =>
  expect.objectContaining({
    code: 'SCHEMA_MISMATCH',
    message: expect.stringMatching(
      new RegExp(parts.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[\\s\\S]*')),
    ),
  })

describe('enforceSchema', () => {
  it('reorders columns to table order, matches names case-insensitively and fills a missing nullable column with nulls', () => {
    const data = table(
      [f('B', new arrow.Utf8()), f('a', new arrow.Int32())],
      [vec(new arrow.Utf8(), ['x', 'y']), vec(new arrow.Int32(), [1, 2])],
    )
    const r = enforceSchema(data, {
      tableSchema: schema([
        ['a', 'integer'],
        ['b', 'string'],
        ['c', 'double'],
      ]),
    })
    expect(r.schemaChanged).toBe(false)
    expect(r.data.schema.fields.map((x) => `${x.name}:${x.type}`)).toEqual(['a:Int32', 'b:Utf8', 'c:Float64'])
    expect(r.data.toArray().map((row) => row.toJSON())).toEqual([
      { a: 1, b: 'x', c: null },
      { a: 2, b: 'y', c: null },
    ])
  })

  it('widens int32 into long, float into double, int into double and decimals to a wider decimal exactly', () => {
    const data = new arrow.Table({
      l: vec(new arrow.Int32(), [2147483647, null]),
      d: vec(new arrow.Float32(), [1.5, 2]),
      i: vec(new arrow.Int16(), [-3, 4]),
      dec: vec(new arrow.Decimal(2, 5, 128), [
        new Uint32Array([12345, 0, 0, 0]),
        new Uint32Array([0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff]),
      ]),
      di: vec(new arrow.Int32(), [7, -7]),
    })
    const r = enforceSchema(data, {
      tableSchema: schema([
        ['l', 'long'],
        ['d', 'double'],
        ['i', 'double'],
        ['dec', 'decimal(12,4)'],
        ['di', 'decimal(12,2)'],
      ]),
    })
    expect(r.data.getChild('l')!.get(0)).toBe(2147483647n)
    expect(r.data.getChild('l')!.get(1)).toBeNull()
    expect(String(r.data.getChild('d')!.type)).toBe('Float64')
    expect(r.data.getChild('i')!.toArray()).toEqual(new Float64Array([-3, 4]))
    // 123.45 → unscaled 1234500 at scale 4; -0.01 → -100.
    expect(BigInt(String(r.data.getChild('dec')!.get(0)))).toBe(1234500n)
    expect(BigInt(String(r.data.getChild('dec')!.get(1)))).toBe(-100n)
    expect(BigInt(String(r.data.getChild('di')!.get(1)))).toBe(-700n)
  })

  it('converts ms/ns timestamps with a zone to µs UTC exactly and refuses sub-µs digits', () => {
    const ns = vec(new arrow.TimestampNanosecond('America/New_York'), [0, 0])
    ;(ns.data[0].values as BigInt64Array).set([1_700_000_000_123_456_000n, -1_000n])
    const r = enforceSchema(new arrow.Table({ t: ns }), { tableSchema: schema([['t', 'timestamp']]) })
    expect(String(r.data.getChild('t')!.type)).toBe('Timestamp<MICROSECOND, UTC>')
    expect(Array.from(r.data.getChild('t')!.data[0].values as BigInt64Array)).toEqual([1_700_000_000_123_456n, -1n])
    ;(ns.data[0].values as BigInt64Array).set([1n, 2_000n])
    expect(() => enforceSchema(new arrow.Table({ t: ns }), { tableSchema: schema([['t', 'timestamp']]) })).toThrow(
      mismatchWith("'t'", 'sub-microsecond'),
    )
  })

  it('refuses a zoneless timestamp for a timestamp column and a zoned one for timestamp_ntz', () => {
    const data = new arrow.Table({
      a: vec(new arrow.TimestampMicrosecond(), [0]),
      b: vec(new arrow.TimestampMicrosecond('UTC'), [0]),
    })
    expect(() =>
      enforceSchema(data, {
        tableSchema: schema([
          ['a', 'timestamp'],
          ['b', 'timestamp_ntz'],
        ]),
      }),
    ).toThrow(mismatchWith("column 'a'", 'without time zone', "column 'b'", 'timestamp_ntz'))
  })

  it('reports every problem at once: narrowing type, extra column, missing non-nullable column', () => {
    const data = new arrow.Table({ a: vec(new arrow.Int64(), [1n]), extra: vec(new arrow.Utf8(), ['x']) })
    expect(() =>
      enforceSchema(data, {
        tableSchema: schema([
          ['a', 'integer'],
          ['req', 'string', false],
        ]),
      }),
    ).toThrow(
      mismatchWith(
        "extra column 'extra'",
        "schemaMode 'merge'",
        "column 'a'",
        'long',
        "'req' is non-nullable but missing",
      ),
    )
  })

  it('refuses a null in a non-nullable column and in a non-nullable nested field, naming the path', () => {
    expect(() =>
      enforceSchema(new arrow.Table({ a: vec(new arrow.Int32(), [1, null]) }), {
        tableSchema: schema([['a', 'integer', false]]),
      }),
    ).toThrow(mismatchWith("column 'a' is non-nullable but holds a null at row 1"))
    const st = new arrow.Struct([f('x', new arrow.Int32())])
    const nested = schema([['s', { type: 'struct', fields: [{ name: 'x', type: 'integer', nullable: false }] }]])
    expect(() =>
      enforceSchema(new arrow.Table({ s: vec(st, [{ x: 1 }, { x: null }]) }), { tableSchema: nested }),
    ).toThrow(mismatchWith("'s.x'", 'row 1'))
    // Null parent: fine.
    const ok = enforceSchema(new arrow.Table({ s: vec(st, [{ x: 1 }, null]) }), { tableSchema: nested })
    expect(ok.data.getChild('s')!.get(1)).toBeNull()
  })

  it("adds new columns, nested ones too, as nullable with schemaMode 'merge' and reports the change", () => {
    const st = new arrow.Struct([f('x', new arrow.Int32()), f('y', new arrow.Utf8())])
    const data = new arrow.Table({
      s: vec(st, [{ x: 1, y: 'n' }]),
      a: vec(new arrow.Int32(), [5]),
      z: vec(new arrow.Bool(), [true]),
    })
    const tableSchema = schema([
      ['a', 'long', false],
      ['s', { type: 'struct', fields: [{ name: 'x', type: 'integer', nullable: true, metadata: {} }] }],
    ])
    const r = enforceSchema(data, { tableSchema, schemaMode: 'merge' })
    expect(r.schemaChanged).toBe(true)
    expect(r.schema).toEqual({
      type: 'struct',
      fields: [
        { name: 'a', type: 'long', nullable: false, metadata: {} },
        {
          name: 's',
          type: {
            type: 'struct',
            fields: [
              { name: 'x', type: 'integer', nullable: true, metadata: {} },
              { name: 'y', type: 'string', nullable: true, metadata: {} },
            ],
          },
          nullable: true,
          metadata: {},
        },
        { name: 'z', type: 'boolean', nullable: true, metadata: {} },
      ],
    })
    expect(r.data.toArray()[0].toJSON()).toMatchObject({ a: 5n, z: true })
    expect(r.data.getChild('s')!.get(0)!.toJSON()).toEqual({ x: 1, y: 'n' })
  })

  it('assigns column mapping ids and physical names to merged columns', () => {
    let n = 0
    const r = enforceSchema(new arrow.Table({ a: vec(new arrow.Int32(), [1]), b: vec(new arrow.Int32(), [2]) }), {
      tableSchema: schema([['a', 'integer']]),
      schemaMode: 'merge',
      columnMapping: { maxColumnId: 4, newPhysicalName: () => `col-${++n}` },
    })
    expect(r.maxColumnId).toBe(5)
    expect(r.schema.fields[1].metadata).toEqual({
      'delta.columnMapping.id': 5,
      'delta.columnMapping.physicalName': 'col-1',
    })
  })

  it("replaces the schema with schemaMode 'overwrite'", () => {
    const data = new arrow.Table({ q: vec(new arrow.Float64(), [1.5]) })
    const r = enforceSchema(data, { tableSchema: schema([['a', 'integer', false]]), schemaMode: 'overwrite' })
    expect(r.schemaChanged).toBe(true)
    expect(r.schema.fields).toEqual([{ name: 'q', type: 'double', nullable: true, metadata: {} }])
    expect(r.data.getChild('q')!.get(0)).toBe(1.5)
  })

  it('casts lists and maps element-wise and keeps their nulls and offsets', () => {
    const list = vec(new arrow.List(f('item', new arrow.Int32())), [[1, null], null, [], [3]])
    const map = vec(
      new arrow.Map_(
        new arrow.Field(
          'entries',
          new arrow.Struct([f('k', new arrow.Utf8(), false), f('v', new arrow.Int32())] as never),
          false,
        ),
      ),
      [new Map([['a', 1]]), null, new Map([['b', null]]), new Map()],
    )
    const r = enforceSchema(new arrow.Table({ l: list, m: map }), {
      tableSchema: schema([
        ['l', { type: 'array', elementType: 'long', containsNull: true }],
        ['m', { type: 'map', keyType: 'string', valueType: 'long', valueContainsNull: true }],
      ]),
    })
    const l = r.data.getChild('l')!
    expect(String(l.type)).toBe('List<Int64>')
    expect([...l.get(0)!]).toEqual([1n, null])
    expect(l.get(1)).toBeNull()
    expect([...l.get(3)!]).toEqual([3n])
    const m = r.data.getChild('m')!
    expect(m.get(0)!.toJSON()).toEqual({ a: 1n })
    expect(m.get(1)).toBeNull()
    expect(m.get(2)!.toJSON()).toEqual({ b: null })
  })

  it('accepts dictionary and large strings, and an all-null Arrow column into a nullable column', () => {
    const dict = arrow.vectorFromArray(['x', 'y', 'x'], new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32()))
    const large = arrow.vectorFromArray(['p', null, 'q'], new arrow.LargeUtf8())
    const nul = arrow.vectorFromArray([null, null, null], new arrow.Null())
    const r = enforceSchema(new arrow.Table({ d: dict, l: large, n: nul }), {
      tableSchema: schema([
        ['d', 'string'],
        ['l', 'string'],
        ['n', 'date'],
      ]),
    })
    expect(r.data.toArray().map((x) => x.toJSON())).toEqual([
      { d: 'x', l: 'p', n: null },
      { d: 'y', l: null, n: null },
      { d: 'x', l: 'q', n: null },
    ])
    expect(String(r.data.getChild('l')!.type)).toBe('Utf8')
  })

  it('handles sliced input and zero rows', () => {
    const t = new arrow.Table({
      a: vec(new arrow.Int32(), [1, 2, 3, 4]),
      s: vec(new arrow.Struct([f('x', new arrow.Int32())]), [{ x: 1 }, null, { x: 3 }, { x: 4 }]),
    }).slice(1, 3)
    const s = schema([
      ['a', 'long'],
      ['s', { type: 'struct', fields: [{ name: 'x', type: 'long', nullable: true }] }],
    ])
    const r = enforceSchema(t, { tableSchema: s })
    expect(
      r.data
        .toArray()
        .map((x) => JSON.parse(JSON.stringify(x.toJSON(), (_k, v) => (typeof v === 'bigint' ? Number(v) : v)))),
    ).toEqual([
      { a: 2, s: null },
      { a: 3, s: { x: 3 } },
    ])
    const empty = enforceSchema(t.slice(0, 0), { tableSchema: s })
    expect(empty.data.numRows).toBe(0)
    expect(empty.data.schema.fields.map((x) => x.name)).toEqual(['a', 's'])
  })
})
