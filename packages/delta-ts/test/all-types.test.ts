import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import * as arrow from 'apache-arrow'
import { afterAll, describe, expect, it } from 'vitest'
import { DeltaTable, deltaToArrowSchema, type StructType } from '../src/index.js'

/** Every Delta type written through table.write and read back exactly through table scans. */
const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

const schema: StructType = {
  type: 'struct',
  fields: [
    { name: 'b', type: 'byte', nullable: true },
    { name: 's', type: 'short', nullable: true },
    { name: 'i', type: 'integer', nullable: true },
    { name: 'l', type: 'long', nullable: false },
    { name: 'f', type: 'float', nullable: true },
    { name: 'd', type: 'double', nullable: true },
    { name: 'dec', type: 'decimal(12,2)', nullable: true },
    { name: 'big', type: 'decimal(38,6)', nullable: true },
    { name: 'str', type: 'string', nullable: true },
    { name: 'bin', type: 'binary', nullable: true },
    { name: 'bool', type: 'boolean', nullable: true },
    { name: 'date', type: 'date', nullable: true },
    { name: 'ts', type: 'timestamp', nullable: true },
    { name: 'ntz', type: 'timestamp_ntz', nullable: true },
    {
      name: 'st',
      type: {
        type: 'struct',
        fields: [
          { name: 'x', type: 'integer', nullable: true },
          { name: 'y', type: 'string', nullable: true },
        ],
      },
      nullable: true,
    },
    { name: 'arr', type: { type: 'array', elementType: 'long', containsNull: true }, nullable: true },
    {
      name: 'm',
      type: { type: 'map', keyType: 'string', valueType: 'integer', valueContainsNull: true },
      nullable: true,
    },
    { name: 'part', type: 'string', nullable: true },
  ],
}

/** Decimal128 words (little-endian 32-bit) of an unscaled bigint. */
function decimalData(type: arrow.Decimal, values: (bigint | null)[]): arrow.Data {
  const words = new Uint32Array(values.length * 4)
  const valid = new Uint8Array(Math.ceil(values.length / 8))
  values.forEach((v, i) => {
    if (v === null) return
    valid[i >> 3] |= 1 << (i & 7)
    let x = BigInt.asUintN(128, v)
    for (let w = 0; w < 4; w++) {
      words[i * 4 + w] = Number(x & 0xffffffffn)
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

function build(): arrow.Table {
  const aSchema = deltaToArrowSchema(schema)
  const t = (name: string) => aSchema.fields.find((f) => f.name === name)!.type
  const n = 3
  const cols: Record<string, arrow.Data> = {
    b: arrow.vectorFromArray([-128, 127, null], t('b')).data[0],
    s: arrow.vectorFromArray([-32768, 32767, null], t('s')).data[0],
    i: arrow.vectorFromArray([-2147483648, 2147483647, null], t('i')).data[0],
    l: arrow.makeData({ type: t('l') as arrow.Int64, data: BigInt64Array.from([-(2n ** 63n), 2n ** 63n - 1n, 0n]) }),
    f: arrow.vectorFromArray([1.5, -0.25, null], t('f')).data[0],
    d: arrow.vectorFromArray([Math.PI, -1e300, null], t('d')).data[0],
    dec: decimalData(t('dec') as arrow.Decimal, [123456789012n, -1n, null]),
    big: decimalData(t('big') as arrow.Decimal, [10n ** 37n + 7n, -(10n ** 30n), null]),
    str: arrow.vectorFromArray(['héllo ✓', '', null], t('str')).data[0],
    bin: arrow.vectorFromArray([new Uint8Array([0, 255]), new Uint8Array([]), null], t('bin')).data[0],
    bool: arrow.vectorFromArray([true, false, null], t('bool')).data[0],
    date: arrow.makeData({ type: t('date') as arrow.DateDay, data: Int32Array.from([0, 19723, -719162]) }),
    ts: arrow.makeData({
      type: t('ts') as arrow.TimestampMicrosecond,
      data: BigInt64Array.from([1_704_067_200_123_456n, -1n, 0n]),
    }),
    ntz: arrow.makeData({
      type: t('ntz') as arrow.TimestampMicrosecond,
      data: BigInt64Array.from([1n, 253_402_300_799_999_999n, 0n]),
    }),
    st: arrow.vectorFromArray([{ x: 1, y: 'a' }, { x: null, y: null }, null], t('st')).data[0],
    arr: arrow.vectorFromArray([[1n, null, 3n], [], null], t('arr')).data[0],
    m: arrow.vectorFromArray([new Map([['k', 1]]), new Map<string, number | null>([['z', null]]), null], t('m'))
      .data[0],
    part: arrow.vectorFromArray(['a/b=c %', 'ünï', null], t('part')).data[0],
  }
  const data = arrow.makeData({
    type: new arrow.Struct(aSchema.fields),
    length: n,
    children: aSchema.fields.map((f) => cols[f.name]),
  })
  return new arrow.Table(aSchema, [new arrow.RecordBatch(aSchema, data)])
}

/** Canonical text of a value: exact for bigints, decimals, µs timestamps, bytes and nested values. */
function canon(v: unknown): unknown {
  if (v === null || v === undefined) return null
  if (typeof v === 'bigint') return `${v}n`
  if (v instanceof Uint8Array) return `0x${Buffer.from(v).toString('hex')}`
  if (v instanceof Uint32Array) return `dec:${[...v].join(',')}`
  if (v instanceof arrow.Vector) return [...v].map(canon)
  if (v instanceof Map) return [...v.entries()].map(([k, x]) => [canon(k), canon(x)])
  if (typeof v === 'object' && v && 'toJSON' in v) {
    const j = (v as { toJSON(): unknown }).toJSON()
    if (j instanceof Map || (typeof j === 'object' && j !== null && !Array.isArray(j))) {
      return Object.fromEntries(Object.entries(j as object).map(([k, x]) => [k, canon(x)]))
    }
    return canon(j)
  }
  return v
}

function exactColumn(t: arrow.Table, name: string): unknown[] {
  const col = t.getChild(name)!
  if (arrow.DataType.isTimestamp(col.type)) {
    // get() returns float milliseconds; the exact microseconds are the raw int64 values.
    return col.data.flatMap((d) => [...(d.values as BigInt64Array)].map((x, i) => (d.getValid(i) ? `${x}µs` : null)))
  }
  if (arrow.DataType.isDecimal(col.type)) {
    return col.data.flatMap((d) =>
      Array.from({ length: d.length }, (_, i) =>
        d.getValid(i) ? [...(d.values as Uint32Array).subarray(i * 4, i * 4 + 4)].join(',') : null,
      ),
    )
  }
  return [...col].map(canon)
}

describe('every Delta type round-trips through write and scan', () => {
  for (const partitionBy of [[], ['part']]) {
    it(`writes and reads back exactly${partitionBy.length ? ' (partitioned by a string with special characters and null)' : ''}`, async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'delta-ts-types-'))
      dirs.push(dir)
      const table = await DeltaTable.create(dir, { schema, partitionBy })
      expect((await table.snapshot()).protocol).toMatchObject({
        minReaderVersion: 3,
        minWriterVersion: 7,
        readerFeatures: ['timestampNtz'],
      })
      const input = build()
      await table.write(input)
      const out = await (await (await DeltaTable.open(dir)).snapshot()).scan().toArrow()
      expect(out.numRows).toBe(3)
      const key = (t: arrow.Table) => [...t.getChild('l')!].map(String)
      const order = key(out).map((k) => key(input).indexOf(k))
      expect([...order].sort()).toEqual([0, 1, 2])
      for (const f of schema.fields) {
        const want = exactColumn(input, f.name)
        const got = exactColumn(out, f.name)
        expect(
          order.map((i) => want[i]),
          f.name,
        ).toEqual(got)
      }
      const files = await (await table.snapshot()).files()
      expect(files.reduce((s, f) => s + (f.stats?.numRecords ?? 0), 0)).toBe(3)
    })
  }
})
