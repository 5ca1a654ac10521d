import { createRequire } from 'node:module'
import * as arrow from 'apache-arrow'
import * as arrow19 from 'apache-arrow-19'
import { describe, expect, it } from 'vitest'
import {
  bindExpr,
  DeltaError,
  DeltaTable,
  dropMemoryStorage,
  enforceSchema,
  filterBatch,
  parsePredicate,
  type StructType,
  vectorValues,
  writeParquet,
} from '../src/index.js'

/**
 * Arrow data built by another apache-arrow copy than the one delta-ts imports: the CommonJS build of the same
 * version (what `require('apache-arrow')` gives an ES module app) and another major version (apache-arrow 19,
 * installed as the `apache-arrow-19` alias). delta-ts adopts them by shape; what it returns is always its own.
 */
const arrowCjs = createRequire(import.meta.url)('apache-arrow') as typeof arrow

/**
 * True when `x` is really an object of our copy's class. `instanceof` cannot tell: since apache-arrow 21.2 its
 * classes (not DataType) answer `instanceof` for objects of any copy.
 */
function isOurs(C: abstract new (...args: never[]) => unknown, x: unknown): boolean {
  return Function.prototype[Symbol.hasInstance].call(C, x)
}

const copies = [
  { name: 'the CommonJS build of the same version', A: arrowCjs },
  { name: 'apache-arrow 19 (another version)', A: arrow19 as unknown as typeof arrow },
] as const

const schema: StructType = {
  type: 'struct',
  fields: [
    { name: 'id', type: 'integer', nullable: false },
    { name: 'big', type: 'long', nullable: true },
    { name: 'name', type: 'string', nullable: true },
    { name: 'score', type: 'double', nullable: true },
    { name: 'ok', type: 'boolean', nullable: true },
    { name: 'day', type: 'date', nullable: true },
    { name: 'ts', type: 'timestamp', nullable: true },
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
    { name: 'tags', type: { type: 'array', elementType: 'string', containsNull: true }, nullable: true },
    {
      name: 'm',
      type: { type: 'map', keyType: 'string', valueType: 'integer', valueContainsNull: true },
      nullable: true,
    },
  ],
}

interface Row {
  id: number
  name: string | null
  big: bigint | null
  ts: bigint | null
}

/** A table of the given copy with every column of `schema` (the types built by that copy's own classes). */
function buildTable(A: typeof arrow, rows: Row[]): arrow.Table {
  const n = rows.length
  const ids = rows.map((r) => r.id)
  const micros = A.makeData({
    type: new A.Timestamp(A.TimeUnit.MICROSECOND, 'UTC'),
    length: n,
    data: BigInt64Array.from(rows.map((r) => r.ts ?? 0n)),
    nullBitmap: bitmap(rows.map((r) => r.ts !== null)),
  })
  return new A.Table({
    id: A.vectorFromArray(ids, new A.Int32()),
    big: A.vectorFromArray(
      rows.map((r) => r.big),
      new A.Int64(),
    ),
    name: A.vectorFromArray(
      rows.map((r) => r.name),
      new A.Utf8(),
    ),
    score: A.vectorFromArray(
      ids.map((i) => i / 4),
      new A.Float64(),
    ),
    ok: A.vectorFromArray(
      ids.map((i) => (i % 3 === 0 ? null : i % 2 === 0)),
      new A.Bool(),
    ),
    day: A.vectorFromArray(
      ids.map((i) => new Date(Date.UTC(2024, 0, i))),
      new A.DateDay(),
    ),
    ts: A.makeVector(micros),
    st: A.vectorFromArray(
      ids.map((i) => ({ x: i, y: `y${i}` })),
      new A.Struct<{ x: arrow.Int32; y: arrow.Utf8 }>([
        new A.Field('x', new A.Int32(), true),
        new A.Field('y', new A.Utf8(), true),
      ] as never),
    ),
    tags: A.vectorFromArray(
      ids.map((i) => [`t${i}`, null]),
      new A.List(new A.Field('element', new A.Utf8(), true)),
    ),
    m: A.vectorFromArray(
      ids.map((i) => new Map([[`k${i}`, i]])),
      new A.Map_(
        new A.Field(
          'entries',
          new A.Struct([new A.Field('key', new A.Utf8(), false), new A.Field('value', new A.Int32(), true)] as never),
          false,
        ) as never,
      ),
    ),
  }) as unknown as arrow.Table
}

function bitmap(valid: boolean[]): Uint8Array {
  const out = new Uint8Array(Math.ceil(valid.length / 8))
  valid.forEach((v, i) => {
    if (v) out[i >> 3] |= 1 << (i & 7)
  })
  return out
}

/** Rows as plain values, exact for int64 and µs timestamps (`get` would round them to float ms). */
function plainRows(t: arrow.Table): unknown[] {
  const ts = t
    .getChild('ts')!
    .data.flatMap((d) => [...(d.values as BigInt64Array)].map((x, i) => (d.getValid(i) ? x : null)))
  return t
    .toArray()
    .map((r, i) => {
      const j = r.toJSON() as Record<string, unknown>
      return {
        id: j.id,
        big: j.big,
        name: j.name,
        score: j.score,
        ok: j.ok,
        day: j.day,
        ts: ts[i],
        st: (j.st as arrow.StructRowProxy | null)?.toJSON() ?? null,
        tags: j.tags === null ? null : [...(j.tags as arrow.Vector)],
        m: j.m === null ? null : (j.m as { toJSON(): unknown }).toJSON(),
      }
    })
    .sort((a, b) => (a.id as number) - (b.id as number))
}

const rowsA: Row[] = [
  { id: 1, name: 'one', big: 2n ** 62n, ts: 1_704_067_200_123_456n },
  { id: 2, name: null, big: null, ts: null },
  { id: 3, name: 'three', big: -5n, ts: -1n },
]
const rowsB: Row[] = [
  { id: 3, name: 'THREE', big: 7n, ts: 42n },
  { id: 4, name: 'four', big: 4n, ts: 4n },
]

describe.each(copies)('Arrow data from $name', ({ A }) => {
  it('is not our class (so the test exercises adoption)', () => {
    const t = buildTable(A, rowsA)
    expect(isOurs(arrow.Table, t)).toBe(false)
    expect(isOurs(arrow.DataType, t.getChild('ts')!.type)).toBe(false)
  })

  it('writes, merges and reads back exactly; scans return our apache-arrow classes', async () => {
    const uri = `memory://arrow-copies-${Math.random()}`
    try {
      const table = await DeltaTable.create(uri, { schema })
      await table.write(buildTable(A, rowsA))
      // A RecordBatch and a stream of batches of the foreign copy too.
      await table.write(buildTable(A, [{ id: 10, name: 'ten', big: 10n, ts: 10n }]).batches[0])
      await table.write(buildTable(A, [{ id: 11, name: 'eleven', big: 11n, ts: 11n }]).batches)
      const merged = await table
        .merge(buildTable(A, rowsB), { on: 'target.id = source.id' })
        .whenMatchedUpdateAll()
        .whenNotMatchedInsertAll()
        .execute()
      expect(merged.metrics.numTargetRowsUpdated).toBe(1)
      expect(merged.metrics.numTargetRowsInserted).toBe(1)

      const out = await (await table.snapshot()).scan().toArrow()
      expect(isOurs(arrow.Table, out)).toBe(true)
      expect(isOurs(arrow.RecordBatch, out.batches[0])).toBe(true)
      expect(isOurs(arrow.Vector, out.getChild('id'))).toBe(true)
      for (const f of out.schema.fields) expect(isOurs(arrow.DataType, f.type)).toBe(true)
      // Our copy's IPC writer understands the result (a foreign result would serialize to 0 bytes).
      expect(arrow.tableFromIPC(arrow.tableToIPC(out)).numRows).toBe(6)

      const expected = plainRows(
        buildTable(arrow, [
          rowsA[0],
          rowsA[1],
          rowsB[0],
          rowsB[1],
          { id: 10, name: 'ten', big: 10n, ts: 10n },
          { id: 11, name: 'eleven', big: 11n, ts: 11n },
        ]),
      )
      expect(plainRows(out)).toEqual(expected)
    } finally {
      dropMemoryStorage(uri)
    }
  })

  it('creates a table from a foreign Arrow schema with the schema our copy gives', async () => {
    const [u1, u2] = [`memory://arrow-copies-s1-${Math.random()}`, `memory://arrow-copies-s2-${Math.random()}`]
    try {
      const foreign = await DeltaTable.create(u1, { schema: buildTable(A, rowsA).schema })
      const own = await DeltaTable.create(u2, { schema: buildTable(arrow, rowsA).schema })
      expect((await foreign.snapshot()).schema).toEqual((await own.snapshot()).schema)
      expect((await foreign.snapshot()).schema.fields.map((f) => f.name)).toEqual(schema.fields.map((f) => f.name))
    } finally {
      dropMemoryStorage(u1)
      dropMemoryStorage(u2)
    }
  })

  it('is accepted by the Arrow-taking helpers (enforceSchema, writeParquet, filterBatch, vectorValues)', () => {
    const foreign = buildTable(A, rowsA)
    const res = enforceSchema(foreign, { tableSchema: schema })
    expect(isOurs(arrow.Table, res.data)).toBe(true)
    expect(res.data.numRows).toBe(3)
    expect(writeParquet(foreign).byteLength).toBeGreaterThan(100)
    const kept = filterBatch(foreign.batches[0], bindExpr(parsePredicate('id >= 2'), schema))
    expect(isOurs(arrow.RecordBatch, kept)).toBe(true)
    expect([...kept.getChild('id')!]).toEqual([2, 3])
    expect(vectorValues(foreign.getChild('ts')!)).toEqual([1_704_067_200_123_456n, null, -1n])
  })
})

describe('Arrow data our copy cannot represent', () => {
  it('a view type from another copy is refused with ARROW_INCOMPATIBLE naming the fix, and nothing is written', async () => {
    const uri = `memory://arrow-copies-view-${Math.random()}`
    try {
      const table = await DeltaTable.create(uri, {
        schema: { type: 'struct', fields: [{ name: 's', type: 'string', nullable: true }] },
      })
      const views = new arrowCjs.Table({
        s: arrowCjs.vectorFromArray(['a', 'a string longer than twelve bytes', null], new arrowCjs.Utf8View()),
      }) as unknown as arrow.Table
      const err = await table.write(views).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(DeltaError)
      expect((err as DeltaError).code).toBe('ARROW_INCOMPATIBLE')
      expect((err as DeltaError).message).toMatch(/another apache-arrow instance/)
      expect((err as DeltaError).message).toMatch(/Utf8View/)
      expect((err as DeltaError).message).toMatch(/install one apache-arrow/)
      expect((await table.snapshot()).version).toBe(0)
    } finally {
      dropMemoryStorage(uri)
    }
  })

  it('something that is not Arrow data is refused with INVALID_ARGUMENT, not a TypeError', async () => {
    const uri = `memory://arrow-copies-bad-${Math.random()}`
    try {
      const table = await DeltaTable.create(uri, { schema })
      const err = await table
        .merge({ schema: { fields: 'nope' } } as unknown as arrow.Table, { on: 'target.id = source.id' })
        .whenNotMatchedInsertAll()
        .execute()
        .catch((e: unknown) => e)
      expect(err).toBeInstanceOf(DeltaError)
      expect((err as DeltaError).code).toBe('INVALID_ARGUMENT')
      expect((err as DeltaError).message).toMatch(/merge source must be an Arrow Table or RecordBatch/)
    } finally {
      dropMemoryStorage(uri)
    }
  })
})
