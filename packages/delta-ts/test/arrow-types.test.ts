import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import * as arrow from 'apache-arrow'
import { afterAll, describe, expect, it } from 'vitest'
import { DeltaError, type DeltaErrorCode, DeltaTable, type StructType } from '../src/index.js'

/**
 * Every Arrow type apache-arrow can construct, with nulls, top-level and nested inside a struct, a list and a
 * map value, through DeltaTable.create(arrowSchema) → write → scan. Each type either round-trips (same values,
 * or the documented widening of docs/writing.md "Arrow types"), or is refused with a typed DeltaError before
 * anything is written. The table in docs/writing.md is checked against {@link CASES} below.
 */
const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})
function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'delta-ts-arrow-types-'))
  dirs.push(dir)
  return dir
}

/** Decimal words (little-endian 32-bit) of unscaled bigints. */
function decimalData(type: arrow.Decimal, values: (bigint | null)[]): arrow.Data {
  const stride = type.bitWidth / 32
  const words = new Uint32Array(values.length * stride)
  const valid = new Uint8Array(Math.ceil(values.length / 8))
  values.forEach((v, i) => {
    if (v === null) return
    valid[i >> 3] |= 1 << (i & 7)
    let x = BigInt.asUintN(type.bitWidth, v)
    for (let w = 0; w < stride; w++) {
      words[i * stride + w] = Number(x & 0xffffffffn)
      x >>= 32n
    }
  })
  return arrow.makeData({
    type,
    length: values.length,
    data: words,
    nullBitmap: valid,
    nullCount: values.filter((v) => v === null).length,
  })
}

function unionData(mode: arrow.UnionMode): arrow.Data {
  const ints = arrow.vectorFromArray([1, 2, 3], new arrow.Int32()).data[0]
  const strs = arrow.vectorFromArray(['a', 'b', 'c'], new arrow.Utf8()).data[0]
  const type =
    mode === arrow.UnionMode.Dense
      ? new arrow.DenseUnion([0, 1], [new arrow.Field('i', ints.type, true), new arrow.Field('s', strs.type, true)])
      : new arrow.SparseUnion([0, 1], [new arrow.Field('i', ints.type, true), new arrow.Field('s', strs.type, true)])
  return arrow.makeData({
    type,
    length: 3,
    typeIds: Int8Array.from([0, 1, 0]),
    valueOffsets: mode === arrow.UnionMode.Dense ? Int32Array.from([0, 0, 1]) : undefined,
    children: [ints, strs],
  } as never)
}

interface Case {
  /** Name in docs/writing.md's table. */
  name: string
  type: arrow.DataType
  /** Three values, at least one null (and data for the type when `values` cannot build it). */
  data: () => arrow.Data
  /** The Delta type the column becomes, or the code of the refusal at create. */
  delta: string | { refuse: DeltaErrorCode }
  /** Expected read-back of one value, from the input value (default: the same value). */
  expect?: (v: unknown) => unknown
}

const TIMESTAMPS = {
  Second: arrow.TimestampSecond,
  Millisecond: arrow.TimestampMillisecond,
  Microsecond: arrow.TimestampMicrosecond,
  Nanosecond: arrow.TimestampNanosecond,
}
const TIMES = {
  Second: arrow.TimeSecond,
  Millisecond: arrow.TimeMillisecond,
  Microsecond: arrow.TimeMicrosecond,
  Nanosecond: arrow.TimeNanosecond,
}
const DURATIONS = {
  Second: arrow.DurationSecond,
  Millisecond: arrow.DurationMillisecond,
  Microsecond: arrow.DurationMicrosecond,
  Nanosecond: arrow.DurationNanosecond,
}
/** A struct type of any fields (apache-arrow's generic cannot infer a mixed field list). */
const struct = (fields: arrow.Field[]) => new arrow.Struct(fields as never)
const v = (values: unknown[], type: arrow.DataType) => () => arrow.vectorFromArray(values, type).data[0]
const utf8 = new arrow.Utf8()
const ms = (x: unknown) => (x === null ? null : Number(x))

const CASES: Case[] = [
  { name: 'Null', type: new arrow.Null(), data: v([null, null, null], new arrow.Null()), delta: 'string' },
  { name: 'Bool', type: new arrow.Bool(), data: v([true, false, null], new arrow.Bool()), delta: 'boolean' },
  { name: 'Int8', type: new arrow.Int8(), data: v([-128, 127, null], new arrow.Int8()), delta: 'byte' },
  { name: 'Int16', type: new arrow.Int16(), data: v([-32768, 32767, null], new arrow.Int16()), delta: 'short' },
  {
    name: 'Int32',
    type: new arrow.Int32(),
    data: v([-(2 ** 31), 2 ** 31 - 1, null], new arrow.Int32()),
    delta: 'integer',
  },
  {
    name: 'Int64',
    type: new arrow.Int64(),
    data: v([-(2n ** 63n), 2n ** 63n - 1n, null], new arrow.Int64()),
    delta: 'long',
  },
  { name: 'Uint8', type: new arrow.Uint8(), data: v([0, 255, null], new arrow.Uint8()), delta: 'short' },
  { name: 'Uint16', type: new arrow.Uint16(), data: v([0, 65535, null], new arrow.Uint16()), delta: 'integer' },
  { name: 'Uint32', type: new arrow.Uint32(), data: v([0, 2 ** 32 - 1, null], new arrow.Uint32()), delta: 'long' },
  {
    name: 'Uint64',
    type: new arrow.Uint64(),
    data: v([0n, 2n ** 64n - 1n, null], new arrow.Uint64()),
    delta: 'decimal(20,0)',
    // Read back as Decimal128(20,0): the same unscaled value in four little-endian 32-bit words.
    expect: (x) =>
      x === null
        ? null
        : Uint32Array.from([0, 1, 2, 3], (w) => Number(((x as bigint) >> BigInt(32 * w)) & 0xffffffffn)),
  },
  { name: 'Float16', type: new arrow.Float16(), data: v([1.5, -0.25, null], new arrow.Float16()), delta: 'float' },
  { name: 'Float32', type: new arrow.Float32(), data: v([1.5, -0.25, null], new arrow.Float32()), delta: 'float' },
  {
    name: 'Float64',
    type: new arrow.Float64(),
    data: v([Math.PI, -1e300, null], new arrow.Float64()),
    delta: 'double',
  },
  { name: 'Utf8', type: utf8, data: v(['héllo ✓', '', null], utf8), delta: 'string' },
  { name: 'LargeUtf8', type: new arrow.LargeUtf8(), data: v(['x', '', null], new arrow.LargeUtf8()), delta: 'string' },
  { name: 'Utf8View', type: new arrow.Utf8View(), data: v(['x', '', null], new arrow.Utf8View()), delta: 'string' },
  {
    name: 'Binary',
    type: new arrow.Binary(),
    data: v([new Uint8Array([0, 255]), new Uint8Array([]), null], new arrow.Binary()),
    delta: 'binary',
  },
  {
    name: 'LargeBinary',
    type: new arrow.LargeBinary(),
    data: v([new Uint8Array([0, 255]), new Uint8Array([]), null], new arrow.LargeBinary()),
    delta: 'binary',
  },
  {
    name: 'BinaryView',
    type: new arrow.BinaryView(),
    data: v([new Uint8Array([0, 255]), new Uint8Array([]), null], new arrow.BinaryView()),
    delta: 'binary',
  },
  {
    name: 'FixedSizeBinary',
    type: new arrow.FixedSizeBinary(2),
    data: v([new Uint8Array([0, 255]), new Uint8Array([7, 8]), null], new arrow.FixedSizeBinary(2)),
    delta: 'binary',
  },
  {
    name: 'Date32 (DateDay)',
    type: new arrow.DateDay(),
    data: v([0, 19723 * 86_400_000, null], new arrow.DateDay()),
    delta: 'date',
  },
  {
    name: 'Date64 (DateMillisecond)',
    type: new arrow.DateMillisecond(),
    data: v([0, 19723 * 86_400_000, null], new arrow.DateMillisecond()),
    delta: 'date',
  },
  ...(['Second', 'Millisecond', 'Microsecond', 'Nanosecond'] as const).flatMap((unit): Case[] => {
    const make = (tz: string | null) => new TIMESTAMPS[unit](tz)
    const values = unit === 'Second' ? [1_704_067_200_000, -86_400_000, null] : [1_704_067_200_123, -86_400_000, null]
    // vectorFromArray takes milliseconds; nanoseconds are built exactly (whole microseconds, which Delta keeps).
    const v =
      unit === 'Nanosecond'
        ? (_: unknown[], type: arrow.DataType) => () =>
            arrow.makeData({
              type: type as arrow.TimestampNanosecond,
              length: 3,
              nullCount: 1,
              nullBitmap: Uint8Array.from([0b011]),
              data: BigInt64Array.from([1_704_067_200_123_456_000n, -86_400_000_000_000n, 0n]),
            })
        : (vals: unknown[], type: arrow.DataType) => () => arrow.vectorFromArray(vals, type).data[0]
    return [
      {
        name: `Timestamp(${unit}, no zone)`,
        type: make(null),
        data: v(values, make(null)),
        delta: 'timestamp_ntz',
        expect: ms,
      },
      {
        name: `Timestamp(${unit}, UTC)`,
        type: make('UTC'),
        data: v(values, make('UTC')),
        delta: 'timestamp',
        expect: ms,
      },
      {
        name: `Timestamp(${unit}, Europe/Paris)`,
        type: make('Europe/Paris'),
        data: v(values, make('Europe/Paris')),
        delta: 'timestamp',
        expect: ms,
      },
    ]
  }),
  ...(['Second', 'Millisecond', 'Microsecond', 'Nanosecond'] as const).map(
    (unit): Case => ({
      name: `Time(${unit})`,
      type: new TIMES[unit](),
      data: v(unit === 'Second' || unit === 'Millisecond' ? [1, 2, null] : [1n, 2n, null], new TIMES[unit]()),
      delta: { refuse: 'INVALID_SCHEMA' },
    }),
  ),
  ...(['Second', 'Millisecond', 'Microsecond', 'Nanosecond'] as const).map(
    (unit): Case => ({
      name: `Duration(${unit})`,
      type: new DURATIONS[unit](),
      data: v([1n, 2n, null], new DURATIONS[unit]()),
      delta: { refuse: 'INVALID_SCHEMA' },
    }),
  ),
  {
    name: 'Interval(YearMonth)',
    type: new arrow.IntervalYearMonth(),
    data: () => arrow.makeData({ type: new arrow.IntervalYearMonth(), length: 2, data: Int32Array.from([1, 2]) }),
    delta: { refuse: 'INVALID_SCHEMA' },
  },
  {
    name: 'Interval(DayTime)',
    type: new arrow.IntervalDayTime(),
    data: () => arrow.makeData({ type: new arrow.IntervalDayTime(), length: 1, data: Int32Array.from([1, 2]) }),
    delta: { refuse: 'INVALID_SCHEMA' },
  },
  {
    name: 'Interval(MonthDayNano)',
    type: new arrow.IntervalMonthDayNano(),
    data: () =>
      arrow.makeData({ type: new arrow.IntervalMonthDayNano(), length: 1, data: Int32Array.from([1, 2, 3, 0]) }),
    delta: { refuse: 'INVALID_SCHEMA' },
  },
  {
    name: 'Decimal128(12,2)',
    type: new arrow.Decimal(2, 12, 128),
    data: () => decimalData(new arrow.Decimal(2, 12, 128), [123456789012n, -1n, null]),
    delta: 'decimal(12,2)',
  },
  {
    name: 'Decimal256(20,4)',
    type: new arrow.Decimal(4, 20, 256),
    data: () => decimalData(new arrow.Decimal(4, 20, 256), [10n ** 19n + 7n, -5n, null]),
    delta: 'decimal(20,4)',
    // Rewritten as Decimal128: the same unscaled value in four words.
    expect: (x) => (x === null ? null : `dec:${[...(x as Uint32Array).subarray(0, 4)].join(',')}`),
  },
  {
    name: 'Decimal256(50,0)',
    type: new arrow.Decimal(0, 50, 256),
    data: () => decimalData(new arrow.Decimal(0, 50, 256), [10n ** 45n, null]),
    delta: { refuse: 'INVALID_SCHEMA' },
  },
  {
    name: 'List',
    type: new arrow.List(new arrow.Field('item', new arrow.Int32(), true)),
    data: v([[1, null, 3], [], null], new arrow.List(new arrow.Field('item', new arrow.Int32(), true))),
    delta: '{"type":"array","elementType":"integer","containsNull":true}',
  },
  {
    name: 'LargeList',
    type: new arrow.LargeList(new arrow.Field('item', new arrow.Int32(), true)),
    data: v([[1, null, 3], [], null], new arrow.LargeList(new arrow.Field('item', new arrow.Int32(), true))),
    delta: '{"type":"array","elementType":"integer","containsNull":true}',
  },
  {
    name: 'FixedSizeList',
    type: new arrow.FixedSizeList(3, new arrow.Field('e', new arrow.Float32(), true)),
    data: v(
      [[0.5, -1, 2], null, [3, null, 4]],
      new arrow.FixedSizeList(3, new arrow.Field('e', new arrow.Float32(), true)),
    ),
    delta: '{"type":"array","elementType":"float","containsNull":true}',
  },
  {
    name: 'Struct',
    type: new arrow.Struct([new arrow.Field('x', new arrow.Int32(), true), new arrow.Field('y', utf8, true)]),
    data: v(
      [{ x: 1, y: 'a' }, { x: null, y: null }, null],
      new arrow.Struct([new arrow.Field('x', new arrow.Int32(), true), new arrow.Field('y', utf8, true)]),
    ),
    delta:
      '{"type":"struct","fields":[{"name":"x","type":"integer","nullable":true,"metadata":{}},{"name":"y","type":"string","nullable":true,"metadata":{}}]}',
  },
  {
    name: 'Map',
    type: new arrow.Map_(
      new arrow.Field(
        'entries',
        struct([new arrow.Field('key', utf8, false), new arrow.Field('value', new arrow.Int32(), true)]),
        false,
      ),
    ),
    data: v(
      [new Map([['k', 1]]), new Map<string, number | null>([['z', null]]), null],
      new arrow.Map_(
        new arrow.Field(
          'entries',
          struct([new arrow.Field('key', utf8, false), new arrow.Field('value', new arrow.Int32(), true)]),
          false,
        ),
      ),
    ),
    delta: '{"type":"map","keyType":"string","valueType":"integer","valueContainsNull":true}',
  },
  {
    name: 'Dictionary<Int32, Utf8>',
    type: new arrow.Dictionary(utf8, new arrow.Int32()),
    data: v(['a', null, 'a'], new arrow.Dictionary(utf8, new arrow.Int32())),
    delta: 'string',
  },
  {
    name: 'Dictionary<Int8, Int64>',
    type: new arrow.Dictionary(new arrow.Int64(), new arrow.Int8()),
    data: v([5n, null, 5n], new arrow.Dictionary(new arrow.Int64(), new arrow.Int8())),
    delta: 'long',
  },
  {
    name: 'Union(Dense)',
    type: unionData(arrow.UnionMode.Dense).type,
    data: () => unionData(arrow.UnionMode.Dense),
    delta: { refuse: 'INVALID_SCHEMA' },
  },
  {
    name: 'Union(Sparse)',
    type: unionData(arrow.UnionMode.Sparse).type,
    data: () => unionData(arrow.UnionMode.Sparse),
    delta: { refuse: 'INVALID_SCHEMA' },
  },
]

/** Comparable text of a value read from Arrow (numbers and bigints alike as decimal text). */
function canon(x: unknown): unknown {
  if (x === null || x === undefined) return null
  if (typeof x === 'bigint' || typeof x === 'number') return String(x)
  if (x instanceof Uint8Array) return `0x${Buffer.from(x).toString('hex')}`
  if (x instanceof Uint32Array) return `dec:${[...x].join(',')}`
  if (x instanceof arrow.Vector) return [...x].map(canon)
  if (x instanceof Map) return [...x.entries()].map(([k, y]) => [canon(k), canon(y)])
  if (typeof x === 'object' && 'toJSON' in (x as object)) {
    const j = (x as { toJSON(): unknown }).toJSON()
    if (j instanceof Map || (typeof j === 'object' && j !== null && !Array.isArray(j))) {
      return Object.fromEntries(Object.entries(j as object).map(([k, y]) => [k, canon(y)]))
    }
    return canon(j)
  }
  return x
}

const bits = (n: number, valid: boolean[]) => {
  const b = new Uint8Array(Math.ceil(n / 8))
  valid.forEach((ok, i) => {
    if (ok) b[i >> 3] |= 1 << (i & 7)
  })
  return b
}

/** The column shapes each type is tried in: top level, and nested in a struct, a list and a map value. */
const NESTINGS = {
  top: { wrapType: (t: arrow.DataType) => t, wrap: (d: arrow.Data) => d, unwrap: (x: unknown[]) => x },
  struct: {
    wrapType: (t: arrow.DataType) => new arrow.Struct([new arrow.Field('v', t, true)]),
    wrap: (d: arrow.Data) =>
      arrow.makeData({
        type: new arrow.Struct([new arrow.Field('v', d.type, true)]),
        length: d.length,
        nullCount: 0,
        children: [d],
      }),
    unwrap: (rows: unknown[]) => rows.map((r) => (r as Record<string, unknown>).v),
  },
  list: {
    // One row holding all values, plus a null list and an empty list.
    wrapType: (t: arrow.DataType) => new arrow.List(new arrow.Field('element', t, true)),
    wrap: (d: arrow.Data) =>
      arrow.makeData({
        type: new arrow.List(new arrow.Field('element', d.type, true)),
        length: 3,
        nullCount: 1,
        nullBitmap: bits(3, [true, false, true]),
        valueOffsets: Int32Array.from([0, d.length, d.length, d.length]),
        child: d,
      }),
    unwrap: (rows: unknown[]) =>
      (rows[0] as unknown[]).concat([`null:${rows[1]}`, `len:${(rows[2] as unknown[]).length}`]),
  },
  map: {
    wrapType: (t: arrow.DataType) =>
      new arrow.Map_(
        new arrow.Field(
          'entries',
          struct([new arrow.Field('key', new arrow.Int32(), false), new arrow.Field('value', t, true)]),
          false,
        ),
      ),
    wrap: (d: arrow.Data) => {
      const keys = arrow.vectorFromArray(
        Array.from({ length: d.length }, (_, i) => i),
        new arrow.Int32(),
      ).data[0]
      const entries = struct([new arrow.Field('key', new arrow.Int32(), false), new arrow.Field('value', d.type, true)])
      return arrow.makeData({
        type: new arrow.Map_(new arrow.Field('entries', entries, false)),
        length: 1,
        nullCount: 0,
        valueOffsets: Int32Array.from([0, d.length]),
        child: arrow.makeData({ type: entries, length: d.length, nullCount: 0, children: [keys, d] }),
      })
    },
    // The map's keys are 0..n-1: its values in key order.
    unwrap: (rows: unknown[]) => Object.values(rows[0] as Record<string, unknown>),
  },
} as const

/** Rows of column `v` read as plain JS (the nested shapes as arrays / objects before canon). */
function plain(x: unknown): unknown {
  if (x instanceof arrow.Vector) return [...x].map(plain)
  if (x instanceof Map) return [...x.entries()].map(([k, y]) => [k, plain(y)])
  if (x && typeof x === 'object' && !(x instanceof Uint8Array) && !(x instanceof Uint32Array) && 'toJSON' in x) {
    const j = (x as { toJSON(): unknown }).toJSON()
    if (typeof j === 'object' && j !== null && !Array.isArray(j))
      return Object.fromEntries(Object.entries(j).map(([k, y]) => [k, plain(y)]))
  }
  return x
}

function tableOf(type: arrow.DataType, d: arrow.Data): arrow.Table {
  const id = arrow.vectorFromArray(
    Array.from({ length: d.length }, (_, i) => i),
    new arrow.Int32(),
  ).data[0]
  const schema = new arrow.Schema([new arrow.Field('id', new arrow.Int32(), false), new arrow.Field('v', type, true)])
  const batch = arrow.makeData({
    type: new arrow.Struct(schema.fields),
    length: d.length,
    nullCount: 0,
    children: [id, d],
  })
  return new arrow.Table(schema, [new arrow.RecordBatch(schema, batch)])
}

async function expectRefusal(p: Promise<unknown>, code: DeltaErrorCode): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err, 'refused').toBeInstanceOf(DeltaError)
  expect((err as DeltaError).code, (err as Error).message).toBe(code)
}

function dataFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.parquet'))
}

describe('every Arrow type through create → write → read', () => {
  for (const c of CASES) {
    for (const [nest, shape] of Object.entries(NESTINGS)) {
      const refused = typeof c.delta === 'object'
      it(`${c.name} ${nest === 'top' ? 'at top level' : `inside a ${nest}`} ${refused ? 'is refused with a typed error before anything is written' : 'round-trips'}`, async () => {
        const dir = tempDir()
        const type = shape.wrapType(c.type)
        const input = tableOf(type, shape.wrap(c.data()))
        if (typeof c.delta === 'object') {
          await expectRefusal(DeltaTable.create(dir, { schema: input.schema }), c.delta.refuse)
          expect(existsSync(path.join(dir, '_delta_log', '00000000000000000000.json'))).toBe(false)
          expect(dataFiles(dir)).toEqual([])
          // Writing such data into an existing table is refused too, and leaves the version unchanged.
          const other = tempDir()
          const t = await DeltaTable.create(other, {
            schema: new arrow.Schema([
              new arrow.Field('id', new arrow.Int32(), false),
              new arrow.Field('v', utf8, true),
            ]),
          })
          await expectRefusal(t.write(input), 'SCHEMA_MISMATCH')
          expect((await (await DeltaTable.open(other)).snapshot()).version).toBe(0)
          expect(dataFiles(other)).toEqual([])
          return
        }
        const table = await DeltaTable.create(dir, { schema: input.schema })
        const field = (await table.snapshot()).schema.fields.find((f) => f.name === 'v')!
        const top =
          nest === 'top'
            ? field.type
            : nest === 'struct'
              ? (field.type as { fields: { type: unknown }[] }).fields[0].type
              : nest === 'list'
                ? (field.type as { elementType: unknown }).elementType
                : (field.type as { valueType: unknown }).valueType
        expect(typeof top === 'string' ? top : JSON.stringify(top)).toBe(c.delta)
        await table.write(input)
        const out = await (await (await DeltaTable.open(dir)).snapshot()).scan().toArrow()
        const ids = [...out.getChild('id')!] as number[]
        const outRows = [...out.getChild('v')!].map(plain)
        const inRows = [...input.getChild('v')!].map(plain)
        const got = shape.unwrap(ids.map((_, k) => outRows[ids.indexOf(k)]))
        const want = shape
          .unwrap(inRows)
          .map((x) => (typeof x === 'string' && /^(null|len):/.test(x) ? x : (c.expect ?? ((y) => y))(x)))
        expect(got.map(canon), `${c.name} ${nest}`).toEqual(want.map(canon))
      })
    }
  }
})

describe('docs/writing.md "Arrow types" table', () => {
  it('lists every tested Arrow type with the Delta type it becomes, or refused', () => {
    const doc = readFileSync(path.join(import.meta.dirname, '../../../docs/writing.md'), 'utf8')
    const section = doc.slice(doc.indexOf('### Arrow types'), doc.indexOf('## Appending and overwriting'))
    const rows = new Map(
      section
        .split('\n')
        .filter((l) => l.startsWith('| ') && !l.startsWith('| Arrow type'))
        .map((l) => l.split('|').map((c) => c.trim()))
        .map((c) => [c[1], c[2]] as const),
    )
    const want = new Map(
      CASES.map((c) => {
        if (typeof c.delta === 'object') return [c.name, '*refused*'] as const
        const t = c.delta.startsWith('{') ? (JSON.parse(c.delta) as { type: string }).type : c.delta
        return [c.name, t] as const
      }),
    )
    expect(Object.fromEntries(rows)).toEqual(Object.fromEntries(want))
  })
})

describe('create validates a Delta StructType schema before version 0', () => {
  for (const [what, type] of [
    ['an unknown type name', 'text'],
    ['a decimal over 38 digits', 'decimal(50,0)'],
    ['a decimal with scale over precision', 'decimal(5,7)'],
    ['an unknown type nested in an array', { type: 'array', elementType: 'uuid', containsNull: true }],
  ] as const) {
    it(`${what} is refused with INVALID_SCHEMA and leaves no log behind`, async () => {
      const dir = tempDir()
      const schema = {
        type: 'struct',
        fields: [
          { name: 'id', type: 'integer', nullable: false },
          { name: 'x', type, nullable: true },
        ],
      } as unknown as StructType
      await expectRefusal(DeltaTable.create(dir, { schema }), 'INVALID_SCHEMA')
      expect(existsSync(path.join(dir, '_delta_log', '00000000000000000000.json'))).toBe(false)
    })
  }
})
