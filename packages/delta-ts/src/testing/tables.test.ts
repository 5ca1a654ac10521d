import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runPythonJson } from '../../test/python-oracle.js'
import { DeltaTable, dropMemoryStorage, isDeltaError, type StructType } from '../index.js'
import { createTestTable, inferSchema, readRows } from '../testing.js'

const tmp = mkdtempSync(path.join(tmpdir(), 'delta-ts-testing-tables-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

let n = 0
/** A fresh memory:// URI per test. */
function memUri(): string {
  const name = `testing-tables-${n++}`
  dropMemoryStorage(name)
  return `memory://${name}`
}

const field = (name: string, type: StructType['fields'][number]['type'], nullable = true) => ({
  name,
  type,
  nullable,
  metadata: {},
})

async function rejection(p: Promise<unknown>) {
  try {
    await p
  } catch (err) {
    return err as Error & { code?: string }
  }
  throw new Error('expected a rejection')
}

describe('inferSchema', () => {
  it('infers long from bigint, integer/double from numbers, timestamp from Date, binary, struct, array and map', () => {
    const schema = inferSchema([
      {
        id: 1n,
        qty: 3,
        price: 2.5,
        name: 'a',
        ok: true,
        at: new Date(0),
        raw: new Uint8Array([1]),
        address: { city: 'x', zip: 1 },
        tags: ['t'],
        attrs: new Map([['k', 1n]]),
      },
      { id: 2n, qty: 4, price: 3, name: null, ok: false },
    ])
    const types = Object.fromEntries(schema.fields.map((f) => [f.name, f.type]))
    expect(types).toEqual({
      id: 'long',
      qty: 'integer',
      price: 'double',
      name: 'string',
      ok: 'boolean',
      at: 'timestamp',
      raw: 'binary',
      address: {
        type: 'struct',
        fields: [field('city', 'string'), field('zip', 'integer')],
      },
      tags: { type: 'array', elementType: 'string', containsNull: true },
      attrs: { type: 'map', keyType: 'string', valueType: 'long', valueContainsNull: true },
    })
    expect(schema.fields.every((f) => f.nullable)).toBe(true)
  })

  it('infers double for integral numbers beyond int32 and long for bigints mixed with integral numbers', () => {
    const schema = inferSchema([
      { big: 2 ** 40, mixed: 1n },
      { big: 1, mixed: 2 },
    ])
    expect(schema.fields.map((f) => f.type)).toEqual(['double', 'long'])
  })

  it('rejects columns that mix kinds or hold only nulls, naming the column', () => {
    const mixed = (() => {
      try {
        inferSchema([{ a: 1 }, { a: 'x' }])
      } catch (e) {
        return e as Error & { code: string }
      }
    })()
    expect(mixed?.code).toBe('INVALID_ARGUMENT')
    expect(mixed?.message).toMatch(/column 'a' mixes values of kinds number and string/)
    expect(() => inferSchema([{ a: null }, { a: undefined }])).toThrow(/column 'a' is null in every row/)
    expect(() => inferSchema([{ a: [] }])).toThrow(/empty arrays/)
    expect(() => inferSchema([])).toThrow(/zero rows/)
  })
})

describe('createTestTable + readRows', () => {
  it('round-trips inferred types exactly into the documented plain form', async () => {
    const table = await createTestTable(memUri(), [
      {
        id: 9007199254740993n,
        qty: -3,
        price: 0.1,
        name: 'ünï',
        ok: true,
        at: new Date('2024-02-29T23:59:59.123Z'),
        raw: new Uint8Array([0, 255, 7]),
        address: { city: 'Oslo', zip: 150 },
        tags: ['a', null, 'b'],
        attrs: new Map([
          ['z', 1n],
          ['a', 2n],
        ]),
      },
      { id: -1n, qty: 0, price: Number.NaN, name: null, ok: false, address: null, tags: [], attrs: new Map() },
    ])
    expect(await table.version()).toBe(1)
    const rows = await readRows(table)
    expect(rows).toEqual([
      {
        id: '-1',
        qty: 0,
        price: 'NaN',
        name: null,
        ok: false,
        at: null,
        raw: null,
        address: null,
        tags: [],
        attrs: {},
      },
      {
        id: '9007199254740993',
        qty: -3,
        price: 0.1,
        name: 'ünï',
        ok: true,
        at: '2024-02-29T23:59:59.123000Z',
        raw: Buffer.from([0, 255, 7]).toString('base64'),
        address: { city: 'Oslo', zip: 150 },
        tags: ['a', null, 'b'],
        attrs: { a: '2', z: '1' },
      },
    ])
    // JSON-safe: a JSON round trip changes nothing.
    expect(JSON.parse(JSON.stringify(rows))).toEqual(rows)
  })

  it('takes a given schema: decimals from strings without rounding, µs timestamps from ISO text, dates, ntz, maps from objects', async () => {
    const schema: StructType = {
      type: 'struct',
      fields: [
        field('id', 'long', false),
        field('amount', 'decimal(10,2)'),
        field('big', 'decimal(38,18)'),
        field('ts', 'timestamp'),
        field('local', 'timestamp_ntz'),
        field('day', 'date'),
        field('f', 'float'),
        field('small', 'short'),
        field('m', { type: 'map', keyType: 'integer', valueType: 'string', valueContainsNull: true }),
      ],
    }
    const table = await createTestTable(
      memUri(),
      [
        {
          id: 1,
          amount: '12.5',
          big: '-12345678901234567890.123456789012345678',
          ts: '2024-01-31T12:00:00.123456+02:00',
          local: '2024-01-31 12:00:00.000001',
          day: '2024-02-29',
          f: 0.1,
          small: -7,
          m: { 2: 'two', 1: 'one' },
        },
        { id: '2', amount: 0, big: null, ts: 1_700_000_000_000, local: null, day: new Date('1969-12-31T00:00:00Z') },
      ],
      { schema },
    )
    expect((await table.snapshot()).schema.fields.map((f) => f.type)).toEqual(schema.fields.map((f) => f.type))
    expect(await readRows(table, { orderBy: 'id' })).toEqual([
      {
        id: '1',
        amount: '12.50',
        big: '-12345678901234567890.123456789012345678',
        ts: '2024-01-31T10:00:00.123456Z',
        local: '2024-01-31T12:00:00.000001',
        day: '2024-02-29',
        f: Math.fround(0.1),
        small: -7,
        m: { 1: 'one', 2: 'two' },
      },
      {
        id: '2',
        amount: '0.00',
        big: null,
        ts: `${new Date(1_700_000_000_000).toISOString().slice(0, -1)}000Z`,
        local: null,
        day: '1969-12-31',
        f: null,
        small: null,
        m: null,
      },
    ])
  })

  it('rejects values that do not fit their column, naming row and column, and creates nothing', async () => {
    const uri = memUri()
    const schema: StructType = { type: 'struct', fields: [field('amount', 'decimal(5,2)'), field('id', 'long', false)] }
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ amount: '1.234', id: 1n }, /row 0 column amount: 1.234 has more than 2 fraction digits/],
      [{ amount: '1234.5', id: 1n }, /does not fit decimal\(5,2\)/],
      [{ amount: '1.5', id: null }, /row 0 column id: null in a non-nullable field/],
      [{ amount: '1.5', id: 1.5 }, /not an integer/],
      [{ amount: '1.5', id: 1n, extra: 1 }, /key 'extra' that is not a column/],
    ]
    for (const [row, message] of cases) {
      const err = await rejection(createTestTable(uri, [row], { schema }))
      expect(err.code).toBe('INVALID_ARGUMENT')
      expect(err.message).toMatch(message)
    }
    const open = await rejection(DeltaTable.open(uri))
    expect(open.code).toBe('TABLE_NOT_FOUND')
    const date = await rejection(
      createTestTable(memUri(), [{ d: new Date('2024-01-01T10:00:00Z') }], {
        schema: { type: 'struct', fields: [field('d', 'date')] },
      }),
    )
    expect(date.message).toMatch(/has a time of day/)
  })

  it('creates partitioned, column-mapped tables with properties, readable by logical names', async () => {
    const table = await createTestTable(
      memUri(),
      [
        { region: 'eu', id: 1n, total: 10.5 },
        { region: 'us', id: 2n, total: 3 },
        { region: null, id: 3n, total: 1 },
      ],
      { partitionBy: ['region'], properties: { 'delta.columnMapping.mode': 'name', 'app.owner': 'tests' } },
    )
    const snap = await table.snapshot()
    expect(snap.partitionColumns).toEqual(['region'])
    expect(snap.columnMappingMode).toBe('name')
    expect(snap.properties['app.owner']).toBe('tests')
    expect(new Set((await snap.files()).map((f) => Object.values(f.partitionValues)[0]))).toEqual(
      new Set(['eu', 'us', null]),
    )
    expect(await readRows(table, { orderBy: 'id' })).toEqual([
      { region: 'eu', id: '1', total: 10.5 },
      { region: 'us', id: '2', total: 3 },
      { region: null, id: '3', total: 1 },
    ])
  })

  it('creates an empty table from a schema alone', async () => {
    const table = await createTestTable(memUri(), [], {
      schema: { type: 'struct', fields: [field('id', 'long')] },
    })
    expect(await table.version()).toBe(0)
    expect(await readRows(table)).toEqual([])
  })
})

describe('readRows options', () => {
  it('reads a past version, selected columns, a filter, and orders longs numerically with nulls first', async () => {
    const table = await createTestTable(memUri(), [
      { id: 10n, v: 'ten' },
      { id: 9n, v: 'nine' },
    ])
    await table.write(
      (await import('../testing/arrow.js')).rowsToArrow(
        [
          { id: null, v: 'none' },
          { id: 100n, v: 'hundred' },
        ],
        (await table.snapshot()).schema,
      ),
    )
    expect(await readRows(table, { version: 1, columns: ['v', 'id'] })).toEqual([
      { v: 'nine', id: '9' },
      { v: 'ten', id: '10' },
    ])
    expect((await readRows(table)).map((r) => r.id)).toEqual([null, '9', '10', '100'])
    expect((await readRows(table, { orderBy: 'v' })).map((r) => r.v)).toEqual(['hundred', 'nine', 'none', 'ten'])
    expect(await readRows(table, { filter: 'id > 9' })).toEqual([
      { id: '10', v: 'ten' },
      { id: '100', v: 'hundred' },
    ])
    const snap1 = await table.snapshot({ version: 1 })
    expect(await readRows(snap1)).toEqual(await readRows(table, { version: 1 }))
    const err = await rejection(readRows(snap1, { version: 2 }))
    expect(isDeltaError(err, 'INVALID_ARGUMENT')).toBe(true)
    expect((await rejection(readRows(table, { columns: ['nope'] }))).code).toBe('INVALID_ARGUMENT')
    expect((await rejection(readRows(table, { orderBy: 'nope' }))).code).toBe('INVALID_ARGUMENT')
  })

  it('agrees with deltalake (Python) on a local table of exact types: longs past 2^53, µs timestamps, decimals, nesting', async () => {
    const dir = path.join(tmp, 'oracle')
    await createTestTable(
      dir,
      [
        {
          id: 9007199254740993n,
          amount: '-0.05',
          at: '2023-06-01T00:00:00.000007Z',
          s: { a: 1, b: ['x', 'y'] },
        },
        { id: -9223372036854775808n, amount: '99999999.99', at: new Date('1970-01-01T00:00:00Z'), s: null },
      ],
      {
        schema: {
          type: 'struct',
          fields: [
            field('id', 'long'),
            field('amount', 'decimal(10,2)'),
            field('at', 'timestamp'),
            field('s', {
              type: 'struct',
              fields: [field('a', 'integer'), field('b', { type: 'array', elementType: 'string', containsNull: true })],
            }),
          ],
        },
      },
    )
    // deltalake reads the same table; its values are rendered in the plain form independently, in Python.
    const oracle = runPythonJson<Record<string, unknown>[]>(
      `
import json, sys, datetime
from deltalake import DeltaTable
rows = DeltaTable(sys.argv[1]).to_pyarrow_table().to_pylist()
def ts(v):
    return v.astimezone(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.%fZ')
out = [{'id': str(r['id']), 'amount': format(r['amount'], 'f'), 'at': ts(r['at']), 's': r['s']} for r in rows]
out.sort(key=lambda r: int(r['id']))
print(json.dumps(out))
`,
      [dir],
    )
    expect(await readRows(dir, { orderBy: 'id' })).toEqual(oracle)
  })
})
