import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import * as arrow from 'apache-arrow'
import { afterAll, describe, expect, it } from 'vitest'
import { writeParquet } from '../parquet/write.js'
import { DV_MAGIC, z85Encode } from '../protocol/deletion-vector.js'
import type { StructType } from '../protocol/schema.js'
import { Scan } from './scan.js'
import { DeltaTable } from './table.js'

/*
 * Scans of small real tables written here: parquet files from parquet-wasm plus a hand-written _delta_log, so
 * each test controls exactly what the files hold (older files without a column, narrower types, physical
 * names, field ids, partition values, deletion vectors).
 */

const root = mkdtempSync(path.join(tmpdir(), 'delta-ts-scan-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let counter = 0

interface FileSpec {
  data?: arrow.Table
  partitionValues?: Record<string, string | null>
  deletionVector?: Record<string, unknown>
  rowGroupRows?: number
}

async function makeTable(
  schema: StructType,
  files: FileSpec[],
  opts: {
    partitionColumns?: string[]
    configuration?: Record<string, string>
    protocol?: Record<string, unknown>
  } = {},
) {
  const dir = path.join(root, `t${counter++}`)
  mkdirSync(path.join(dir, '_delta_log'), { recursive: true })
  const lines: unknown[] = [
    { protocol: opts.protocol ?? { minReaderVersion: 1, minWriterVersion: 2 } },
    {
      metaData: {
        id: `id-${counter}`,
        format: { provider: 'parquet', options: {} },
        schemaString: JSON.stringify(schema),
        partitionColumns: opts.partitionColumns ?? [],
        configuration: opts.configuration ?? {},
        createdTime: 0,
      },
    },
  ]
  files.forEach((f, i) => {
    const name = `part-${i}.parquet`
    const bytes = writeParquet(f.data ?? new arrow.Table({ dummy: arrow.vectorFromArray([0]) }), {
      codec: 'snappy',
      maxRowGroupRows: f.rowGroupRows,
    })
    writeFileSync(path.join(dir, name), bytes)
    lines.push({
      add: {
        path: name,
        partitionValues: f.partitionValues ?? {},
        size: bytes.length,
        modificationTime: 0,
        dataChange: true,
        ...(f.deletionVector ? { deletionVector: f.deletionVector } : {}),
      },
    })
  })
  writeFileSync(
    path.join(dir, '_delta_log', '00000000000000000000.json'),
    lines.map((l) => JSON.stringify(l)).join('\n') + '\n',
  )
  return (await DeltaTable.open(dir)).snapshot()
}

const field = (name: string, type: StructType['fields'][number]['type'], metadata: Record<string, unknown> = {}) => ({
  name,
  type,
  nullable: true,
  metadata,
})

/** The exact values of a column: timestamps as µs bigints from the buffers, decimals as unscaled bigints. */
function values(t: arrow.Table, name: string): unknown[] {
  const out: unknown[] = []
  const col = t.getChild(name)!
  for (const d of col.data) {
    const type = d.type as arrow.DataType
    for (let i = 0; i < d.length; i++) {
      if (!d.getValid(i)) out.push(null)
      else if (type.typeId === arrow.Type.Timestamp) out.push((d.values as BigInt64Array)[i])
      else if (type.typeId === arrow.Type.Decimal) {
        const w = d.values as Uint32Array
        let v = 0n
        for (let k = 3; k >= 0; k--) v = (v << 32n) | BigInt(w[i * 4 + k])
        out.push(BigInt.asIntN(128, v))
      } else if (type.typeId === arrow.Type.Date) out.push((d.values as Int32Array)[i])
      else out.push(arrow.makeVector(d).get(i))
    }
  }
  return out
}

describe('Scan: partition columns', () => {
  it('materializes every primitive partition type, null partitions, both timestamp forms and unicode', async () => {
    const schema: StructType = {
      type: 'struct',
      fields: [
        field('id', 'integer'),
        field('b', 'byte'),
        field('l', 'long'),
        field('d', 'double'),
        field('dec', 'decimal(20,3)'),
        field('bool', 'boolean'),
        field('date', 'date'),
        field('ts', 'timestamp'),
        field('ntz', 'timestamp_ntz'),
        field('s', 'string'),
        field('bin', 'binary'),
      ],
    }
    const parts = schema.fields.slice(1).map((f) => f.name)
    const data = (ids: number[]) => new arrow.Table({ id: arrow.vectorFromArray(ids, new arrow.Int32()) })
    const snap = await makeTable(
      schema,
      [
        {
          data: data([1, 2]),
          partitionValues: {
            b: '-7',
            l: '9007199254740993',
            d: '2.5',
            dec: '-12345678901234567.891',
            bool: 'true',
            date: '2024-02-29',
            ts: '2024-02-29 23:59:59.123456',
            ntz: '2024-02-29T23:59:59.123456Z',
            s: 'a/b=c %2F ü 日本 😈',
            bin: 'AB',
          },
        },
        { data: data([3]), partitionValues: Object.fromEntries(parts.map((p) => [p, null])) },
      ],
      { partitionColumns: parts },
    )
    const t = await new Scan(snap).toArrow()
    expect(t.numRows).toBe(3)
    const row = (name: string) => values(t, name)
    expect(row('id')).toEqual([1, 2, 3])
    expect(row('b')).toEqual([-7, -7, null])
    expect(row('l')).toEqual([9007199254740993n, 9007199254740993n, null])
    expect(row('d')).toEqual([2.5, 2.5, null])
    expect(row('dec')).toEqual([-12345678901234567891n, -12345678901234567891n, null])
    expect(row('bool')).toEqual([true, true, null])
    expect(row('date')).toEqual([19782, 19782, null])
    expect(row('ts')).toEqual([1709251199123456n, 1709251199123456n, null])
    expect(row('ntz')).toEqual([1709251199123456n, 1709251199123456n, null])
    expect(row('s')).toEqual(['a/b=c %2F ü 日本 😈', 'a/b=c %2F ü 日本 😈', null])
    expect(row('bin')).toEqual([new Uint8Array([65, 66]), new Uint8Array([65, 66]), null])
    expect((t.schema.fields.find((f) => f.name === 'ts')!.type as arrow.Timestamp).timezone).toBe('UTC')
    expect((t.schema.fields.find((f) => f.name === 'ntz')!.type as arrow.Timestamp).timezone).toBeFalsy()
  })

  it('a scan of partition columns only fetches no column chunk and still counts rows and deletions', async () => {
    const schema: StructType = { type: 'struct', fields: [field('id', 'long'), field('p', 'string')] }
    const dv = dvInline([0, 2])
    const snap = await makeTable(
      schema,
      [
        {
          data: new arrow.Table({ id: arrow.vectorFromArray([1n, 2n, 3n, 4n]) }),
          partitionValues: { p: 'x' },
          deletionVector: dv,
        },
      ],
      { partitionColumns: ['p'], protocol: DV_PROTOCOL },
    )
    const t = await new Scan(snap, { columns: ['p'] }).toArrow()
    expect(values(t, 'p')).toEqual(['x', 'x'])
  })
})

describe('Scan: schema evolution', () => {
  it('reads a column missing from an older file as null and widens narrower file types to the table type', async () => {
    const schema: StructType = {
      type: 'struct',
      fields: [
        field('a', 'long'),
        field('f', 'double'),
        field('dec', 'decimal(12,2)'),
        field('ts', 'timestamp_ntz'),
        field('added', 'string'),
      ],
    }
    const old = new arrow.Table({
      a: arrow.vectorFromArray([1, -2], new arrow.Int16()),
      f: arrow.vectorFromArray([1.5, 2.25], new arrow.Float32()),
      dec: arrow.vectorFromArray([7, -8], new arrow.Int32()),
      // Built from day numbers directly: vectorFromArray would read numbers as epoch milliseconds.
      ts: arrow.makeVector(
        arrow.makeData({ type: new arrow.DateDay(), length: 2, nullCount: 0, data: Int32Array.of(19782, 0) }),
      ),
    })
    const snap = await makeTable(schema, [{ data: old }], {
      configuration: { 'delta.enableTypeWidening': 'true' },
      protocol: {
        minReaderVersion: 3,
        minWriterVersion: 7,
        readerFeatures: ['typeWidening'],
        writerFeatures: ['typeWidening'],
      },
    })
    const t = await new Scan(snap).toArrow()
    expect(values(t, 'a')).toEqual([1n, -2n])
    expect(values(t, 'f')).toEqual([1.5, 2.25])
    expect(values(t, 'dec')).toEqual([700n, -800n])
    expect(values(t, 'ts')).toEqual([19782n * 86_400_000_000n, 0n])
    expect(values(t, 'added')).toEqual([null, null])
    expect(t.schema.fields.map((f) => String(f.type))).toEqual([
      'Int64',
      'Float64',
      expect.stringMatching(/^Decimal/),
      'Timestamp<MICROSECOND>',
      'Utf8',
    ])
    const dec = t.schema.fields[2].type as arrow.Decimal
    expect([dec.precision, dec.scale]).toEqual([12, 2])
  })

  it('widens integers to double and decimals to a larger scale exactly', async () => {
    const schema: StructType = { type: 'struct', fields: [field('x', 'double'), field('d', 'decimal(20,6)')] }
    const dec = arrow.makeData({
      type: new arrow.Decimal(2, 9, 128),
      length: 2,
      nullCount: 0,
      data: Uint32Array.of(12345, 0, 0, 0, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff),
    })
    const data = new arrow.Table({ x: arrow.vectorFromArray([7, -128], new arrow.Int8()), d: arrow.makeVector(dec) })
    const snap = await makeTable(schema, [{ data }], {
      configuration: { 'delta.enableTypeWidening': 'true' },
      protocol: {
        minReaderVersion: 3,
        minWriterVersion: 7,
        readerFeatures: ['typeWidening'],
        writerFeatures: ['typeWidening'],
      },
    })
    const t = await new Scan(snap).toArrow()
    expect(values(t, 'x')).toEqual([7, -128])
    // 123.45 and -0.01 at scale 2 become 123.450000 and -0.010000 at scale 6.
    expect(values(t, 'd')).toEqual([123_450_000n, -10_000n])
  })

  it('refuses a file column whose type cannot be read as the table type with SCHEMA_MISMATCH', async () => {
    const schema: StructType = { type: 'struct', fields: [field('n', 'long')] }
    const data = new arrow.Table({ n: arrow.vectorFromArray(['not a number'], new arrow.Utf8()) })
    const snap = await makeTable(schema, [{ data }])
    await expect(new Scan(snap).toArrow()).rejects.toMatchObject({ code: 'SCHEMA_MISMATCH' })
  })

  it('normalizes millisecond and nanosecond file timestamps to exact microseconds, before 1970 too', async () => {
    const schema: StructType = {
      type: 'struct',
      fields: [field('ms', 'timestamp'), field('ns', 'timestamp'), field('us', 'timestamp')],
    }
    const ms = arrow.makeData({
      type: new arrow.TimestampMillisecond('UTC'),
      length: 2,
      nullCount: 0,
      data: BigInt64Array.of(1_000_123n, -1n),
    })
    const ns = arrow.makeData({
      type: new arrow.TimestampNanosecond('UTC'),
      length: 2,
      nullCount: 0,
      data: BigInt64Array.of(1_000_123_456_789n, -1n),
    })
    const us = arrow.makeData({
      type: new arrow.TimestampMicrosecond('UTC'),
      length: 2,
      nullCount: 0,
      data: BigInt64Array.of(1_614_556_800_123_456n, -62_135_596_800_000_000n),
    })
    const data = new arrow.Table({ ms: arrow.makeVector(ms), ns: arrow.makeVector(ns), us: arrow.makeVector(us) })
    const snap = await makeTable(schema, [{ data }])
    const t = await new Scan(snap).toArrow()
    expect(values(t, 'ms')).toEqual([1_000_123_000n, -1000n])
    // parquet stores nanoseconds; the scan floors to µs (so -1 ns is the microsecond before the epoch).
    expect(values(t, 'ns')).toEqual([1_000_123_456n, -1n])
    expect(values(t, 'us')).toEqual([1_614_556_800_123_456n, -62_135_596_800_000_000n])
  })
})

describe('Scan: column mapping', () => {
  const nested = (mode: 'name' | 'id') => {
    const m = (id: number, phys: string) => ({ 'delta.columnMapping.id': id, 'delta.columnMapping.physicalName': phys })
    const schema: StructType = {
      type: 'struct',
      fields: [
        field('id', 'long', m(1, 'col-aaa')),
        field(
          'info',
          {
            type: 'struct',
            fields: [field('city', 'string', m(3, 'col-ccc')), field('zip', 'integer', m(4, 'col-ddd'))],
          },
          m(2, 'col-bbb'),
        ),
        field(
          'tags',
          {
            type: 'array',
            elementType: { type: 'struct', fields: [field('k', 'string', m(6, 'col-fff'))] },
            containsNull: true,
          },
          m(5, 'col-eee'),
        ),
      ],
    }
    const fid = (id: number) => new Map([['PARQUET:field_id', String(id)]])
    // Under id mode the file's names are deliberately not the physical names: only ids can match them.
    const nm = (phys: string, other: string) => (mode === 'name' ? phys : other)
    const infoType = new arrow.Struct([
      new arrow.Field(nm('col-ccc', 'x3'), new arrow.Utf8(), true, fid(3)),
      new arrow.Field(nm('col-ddd', 'x4'), new arrow.Int32(), true, fid(4)),
    ])
    const tagType = new arrow.Struct([new arrow.Field(nm('col-fff', 'x6'), new arrow.Utf8(), true, fid(6))])
    const listType = new arrow.List(new arrow.Field('element', tagType, true))
    const fileSchema = new arrow.Schema([
      new arrow.Field(nm('col-aaa', 'x1'), new arrow.Int64(), true, fid(1)),
      new arrow.Field(nm('col-bbb', 'x2'), infoType, true, fid(2)),
      new arrow.Field(nm('col-eee', 'x5'), listType, true, fid(5)),
    ])
    const rows = [
      { id: 1n, info: { city: 'Zürich', zip: 8000 }, tags: [{ k: 'a' }, { k: 'b' }] },
      { id: 2n, info: null, tags: [] },
    ]
    const vecs = [
      arrow.vectorFromArray(
        rows.map((r) => r.id),
        new arrow.Int64(),
      ),
      arrow.vectorFromArray(
        rows.map((r) =>
          r.info ? { [infoType.children[0].name]: r.info.city, [infoType.children[1].name]: r.info.zip } : null,
        ),
        infoType,
      ),
      arrow.vectorFromArray(
        rows.map((r) => r.tags.map((x) => ({ [tagType.children[0].name]: x.k }))),
        listType,
      ),
    ]
    const batch = new arrow.RecordBatch(
      fileSchema,
      arrow.makeData({
        type: new arrow.Struct(fileSchema.fields),
        length: 2,
        nullCount: 0,
        children: vecs.map((v) => v.data[0]),
      }),
    )
    return { schema, data: new arrow.Table([batch]) }
  }

  for (const mode of ['name', 'id'] as const) {
    it(`maps ${mode}-mode physical columns back to logical names, nested structs and lists too`, async () => {
      const { schema, data } = nested(mode)
      const snap = await makeTable(schema, [{ data }], {
        configuration: { 'delta.columnMapping.mode': mode, 'delta.columnMapping.maxColumnId': '6' },
        protocol: { minReaderVersion: 2, minWriterVersion: 5 },
      })
      const t = await new Scan(snap).toArrow()
      expect(t.schema.fields.map((f) => f.name)).toEqual(['id', 'info', 'tags'])
      expect(values(t, 'id')).toEqual([1n, 2n])
      const info = t.getChild('info')!
      expect(info.get(0)?.toJSON()).toEqual({ city: 'Zürich', zip: 8000 })
      expect(info.get(1)).toBeNull()
      expect(
        t
          .getChild('tags')!
          .get(0)!
          .toArray()
          .map((s: { k: string }) => s.k),
      ).toEqual(['a', 'b'])
      expect(t.getChild('tags')!.get(1)!.length).toBe(0)
    })
  }
})

const DV_PROTOCOL = {
  minReaderVersion: 3,
  minWriterVersion: 7,
  readerFeatures: ['deletionVectors'],
  writerFeatures: ['deletionVectors'],
}

/** An inline deletion vector: magic, one 32-bit bucket with one array container (rows < 65536). */
function dvInline(rows: number[]) {
  const b: number[] = []
  const u16 = (v: number) => b.push(v & 0xff, (v >>> 8) & 0xff)
  const u32 = (v: number) => {
    u16(v & 0xffff)
    u16(v >>> 16)
  }
  u32(DV_MAGIC)
  u32(1)
  u32(0)
  u32(0)
  u32(12346)
  u32(1)
  u16(0)
  u16(rows.length - 1)
  u32(0)
  for (const r of rows) u16(r)
  const bytes = Uint8Array.from(b)
  return { storageType: 'i', pathOrInlineDv: z85Encode(bytes), sizeInBytes: bytes.length, cardinality: rows.length }
}

describe('Scan: deletion vectors and batching', () => {
  it('drops deleted rows across batch and row-group boundaries and keeps batches within batchSize', async () => {
    const n = 1000
    const data = new arrow.Table({ id: arrow.makeVector(BigInt64Array.from({ length: n }, (_, i) => BigInt(i))) })
    const deleted = [0, 99, 100, 101, 250, 251, 999]
    const snap = await makeTable(
      { type: 'struct', fields: [field('id', 'long')] },
      [{ data, rowGroupRows: 250, deletionVector: dvInline(deleted) }],
      { protocol: DV_PROTOCOL },
    )
    const scan = new Scan(snap, { batchSize: 100 })
    const seen: bigint[] = []
    let batches = 0
    for await (const b of scan.batches()) {
      batches++
      expect(b.numRows).toBeLessThanOrEqual(100)
      for (const v of b.getChild('id')!) seen.push(v as bigint)
    }
    expect(batches).toBeGreaterThanOrEqual(10)
    const want = Array.from({ length: n }, (_, i) => i)
      .filter((i) => !deleted.includes(i))
      .map(BigInt)
    expect(seen).toEqual(want)
  })

  it('_metadata.row_index gives each live row its physical index in the file, counting deleted rows', async () => {
    const n = 600
    const data = new arrow.Table({ id: arrow.makeVector(BigInt64Array.from({ length: n }, (_, i) => BigInt(i * 7))) })
    const deleted = [0, 1, 249, 250, 599]
    const snap = await makeTable(
      { type: 'struct', fields: [field('id', 'long')] },
      [{ data, rowGroupRows: 250, deletionVector: dvInline(deleted) }],
      { protocol: DV_PROTOCOL },
    )
    const t = await new Scan(snap, { batchSize: 100, columns: ['id', '_metadata.row_index'] }).toArrow()
    const want = Array.from({ length: n }, (_, i) => i).filter((i) => !deleted.includes(i))
    expect(t.getChild('_metadata.row_index')!.toArray()).toEqual(BigInt64Array.from(want.map(BigInt)))
    expect([...t.getChild('id')!].map(Number)).toEqual(want.map((i) => i * 7))
  })
})

describe('Scan: options', () => {
  const schema: StructType = {
    type: 'struct',
    fields: [field('a', 'integer'), field('b', 'string'), field('c', 'double')],
  }
  const data = new arrow.Table({
    a: arrow.vectorFromArray([1, 2, 3], new arrow.Int32()),
    b: arrow.vectorFromArray(['x', 'y', null], new arrow.Utf8()),
    c: arrow.vectorFromArray([0.5, 1.5, 2.5], new arrow.Float64()),
  })

  it('returns the requested columns in the requested order, matching names case-insensitively', async () => {
    const snap = await makeTable(schema, [{ data }])
    const t = await new Scan(snap, { columns: ['C', 'a'] }).toArrow()
    expect(t.schema.fields.map((f) => f.name)).toEqual(['c', 'a'])
    expect(values(t, 'c')).toEqual([0.5, 1.5, 2.5])
    expect(values(t, 'a')).toEqual([1, 2, 3])
  })

  it('rejects an unknown column, a bad batch size and a bad concurrency with INVALID_ARGUMENT', async () => {
    const snap = await makeTable(schema, [{ data }])
    expect(() => new Scan(snap, { columns: ['nope'] })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
    expect(() => new Scan(snap, { batchSize: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
    for (const concurrency of [0, -1, 1.5, Number.NaN, '2' as unknown as number]) {
      expect(() => new Scan(snap, { concurrency })).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('concurrency') }),
      )
    }
  })

  it('stops with ABORTED when the signal fires', async () => {
    const snap = await makeTable(schema, [{ data }])
    const ac = new AbortController()
    ac.abort()
    await expect(new Scan(snap, { signal: ac.signal }).toArrow()).rejects.toMatchObject({ code: 'ABORTED' })
  })

  it('returns only rows where the filter is true, reading filter columns that are not projected', async () => {
    const snap = await makeTable(schema, [{ data }])
    const t = await snap.scan({ columns: ['b'], filter: 'a >= 2' }).toArrow()
    expect(t.schema.fields.map((f) => f.name)).toEqual(['b'])
    expect(values(t, 'b')).toEqual(['y', null])
  })

  it('an empty table scans to an empty Arrow table with the table schema', async () => {
    const snap = await makeTable(schema, [])
    const t = await snap.scan().toArrow()
    expect(t.numRows).toBe(0)
    expect(t.schema.fields.map((f) => f.name)).toEqual(['a', 'b', 'c'])
  })
})

describe('Scan: many files', () => {
  const schema: StructType = { type: 'struct', fields: [field('id', 'long')] }
  const file = (from: number) => ({
    data: new arrow.Table({ id: arrow.vectorFromArray([BigInt(from), BigInt(from + 1)]) }),
  })

  it('reads every file in log order while prefetching the next, and stops cleanly when the consumer breaks', async () => {
    const snap = await makeTable(schema, [file(0), file(2), file(4), file(6)])
    const all = await snap.scan().toArrow()
    expect(values(all, 'id')).toEqual([0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n])
    let got = 0
    for await (const b of snap.scan().batches()) {
      got += b.numRows
      break
    }
    expect(got).toBe(2)
  })

  it('reports a data file that vanished as FILE_NOT_FOUND after yielding the files before it', async () => {
    const snap = await makeTable(schema, [file(0), file(2)])
    rmSync(path.join(root, `t${counter - 1}`, 'part-1.parquet'))
    const seen: bigint[] = []
    const run = async () => {
      for await (const b of snap.scan().batches()) for (const v of b.getChild('id')!) seen.push(v as bigint)
    }
    await expect(run()).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' })
    expect(seen).toEqual([0n, 1n])
  })

  it('reports a vanished middle file after the files before it at every concurrency, though it opens early', async () => {
    const snap = await makeTable(schema, [file(0), file(2), file(4)])
    rmSync(path.join(root, `t${counter - 1}`, 'part-1.parquet'))
    for (const concurrency of [1, 2, 3]) {
      const seen: bigint[] = []
      const run = async () => {
        for await (const b of snap.scan({ concurrency }).batches())
          for (const v of b.getChild('id')!) seen.push(v as bigint)
      }
      await expect(run()).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' })
      expect(seen).toEqual([0n, 1n])
    }
  })
})

describe('Scan: bounded streaming', () => {
  it('a consumer that stops after the first batch has fetched only its decode window of row groups, not the file', async () => {
    const n = 40_000
    let seed = 1
    const rnd = () => (seed = (seed * 48271) % 2147483647)
    const data = new arrow.Table({
      id: arrow.makeVector(BigInt64Array.from({ length: n }, (_, i) => BigInt(i))),
      noise: arrow.makeVector(Float64Array.from({ length: n }, rnd)),
    })
    const snap0 = await makeTable({ type: 'struct', fields: [field('id', 'long'), field('noise', 'double')] }, [
      { data, rowGroupRows: 10_000 },
    ])
    const { LocalStorage } = await import('../storage/local.js')
    let bytes = 0
    class Counting extends LocalStorage {
      override async readRange(p: string, s: number, e: number, o?: { signal?: AbortSignal }) {
        const b = await super.readRange(p, s, e, o)
        if (p.endsWith('.parquet')) bytes += b.length
        return b
      }
    }
    const dir = path.join(root, `t${counter - 1}`)
    const snap = await (await DeltaTable.open(dir, { storage: new Counting(dir) })).snapshot()
    const fileSize = (await snap.files())[0].size
    for await (const b of snap.scan({ batchSize: 10_000, concurrency: 1 }).batches()) {
      expect(b.numRows).toBe(10_000)
      break
    }
    expect(snap0.version).toBe(0)
    // Two of four row groups (the one consumed, the one decoding beside it) plus the footer.
    expect(bytes).toBeGreaterThan(0)
    expect(bytes).toBeLessThan(fileSize * 0.7)
    const single = bytes
    // With two tasks in flight the scan reads two row groups ahead, and no more: not the fourth.
    bytes = 0
    for await (const b of snap.scan({ batchSize: 10_000, concurrency: 2 }).batches()) {
      expect(b.numRows).toBe(10_000)
      break
    }
    expect(bytes).toBeGreaterThan(single)
    expect(bytes).toBeLessThan(fileSize * 0.9)
  })
})

describe('Scan: concurrency', () => {
  it('interleaved scans of several files give each consumer exactly its rows', async () => {
    const schema: StructType = { type: 'struct', fields: [field('id', 'long')] }
    const file = (from: number, n: number) => ({
      data: new arrow.Table({ id: arrow.makeVector(BigInt64Array.from({ length: n }, (_, i) => BigInt(from + i))) }),
      rowGroupRows: 300,
    })
    const snap = await makeTable(schema, [file(0, 1000), file(1000, 1000), file(2000, 1000)])
    const collect = async (batchSize: number) => {
      const out: bigint[] = []
      for await (const b of snap.scan({ batchSize }).batches()) for (const v of b.getChild('id')!) out.push(v as bigint)
      return out
    }
    const results = await Promise.all([collect(100), collect(7), collect(1000), collect(333)])
    const want = Array.from({ length: 3000 }, (_, i) => BigInt(i))
    for (const r of results) expect(r).toEqual(want)
  })

  it('batchesWithFile tags every batch with its file, in file order, and skips a file with no row left', async () => {
    const schema: StructType = { type: 'struct', fields: [field('id', 'long')] }
    const file = (from: number, n: number) => ({
      data: new arrow.Table({ id: arrow.makeVector(BigInt64Array.from({ length: n }, (_, i) => BigInt(from + i))) }),
      rowGroupRows: 300,
    })
    const snap = await makeTable(schema, [file(0, 1000), file(1000, 500), file(2000, 700), file(3000, 100)])
    const files = await snap.scan().files()
    // Each file's ids, read alone: where every tagged row must come from.
    const home = new Map<bigint, string>()
    for (const f of files)
      for (const v of (await snap.scan({ files: [f] }).toArrow()).getChild('id')!) home.set(v, f.path)
    const scan = snap.scan({ filter: 'id < 1200 or (id >= 2600 and id < 3000)', batchSize: 128 })
    const seen: [string, bigint][] = []
    for await (const { file: f, batch } of scan.batchesWithFile())
      for (const v of batch.getChild('id')!) seen.push([f.path, v as bigint])
    const untagged: bigint[] = []
    for await (const batch of scan.batches()) for (const v of batch.getChild('id')!) untagged.push(v as bigint)
    expect(seen.map(([, v]) => v)).toEqual(untagged)
    expect(untagged).toHaveLength(1300)
    for (const [p, v] of seen) expect(p).toBe(home.get(v))
    // Files come in scan order, each once (a run per file), and the file whose rows are all filtered out is absent.
    const runs = seen.map(([p]) => p).filter((p, i, a) => i === 0 || a[i - 1] !== p)
    expect(runs).toEqual(files.map((f) => f.path).filter((p) => seen.some(([q]) => q === p)))
    expect(new Set(runs).size).toBe(3)
    expect(runs).not.toContain(home.get(3000n))
  })
})

describe('arithmetic filters through the public API', () => {
  it('scan, delete and update accept + - * / % predicates and agree with row-by-row arithmetic', async () => {
    const dir = path.join(root, `arith${counter++}`)
    const table = await DeltaTable.create(dir, {
      schema: {
        type: 'struct',
        fields: [
          { name: 'id', type: 'long', nullable: true, metadata: {} },
          { name: 'price', type: 'decimal(10,2)', nullable: true, metadata: {} },
        ],
      },
    })
    const ids = [...Array(12).keys()]
    await table.write(
      new arrow.Table({
        id: arrow.makeVector(BigInt64Array.from(ids, BigInt)),
        price: arrow.makeVector(
          arrow.makeData({
            type: new arrow.Decimal(2, 10, 128),
            length: ids.length,
            data: Uint32Array.from(ids.flatMap((i) => [i * 150, 0, 0, 0])),
          }),
        ),
      }),
    )
    const idsOf = async (filter: string) =>
      Array.from(
        (await (await table.snapshot()).scan({ columns: ['id'], filter }).toArrow()).getChild('id')!.toArray(),
        Number,
      ).sort((a, b) => a - b)
    expect(await idsOf('id % 3 = 1')).toEqual(ids.filter((i) => i % 3 === 1))
    expect(await idsOf('price * 2 > 20')).toEqual(ids.filter((i) => i * 1.5 * 2 > 20))
    expect(await idsOf('price / id = 1.5')).toEqual(ids.filter((i) => i > 0))
    expect(await idsOf('-id + 10 < 0')).toEqual(ids.filter((i) => 10 - i < 0))
    await table.delete('id % 2 = 0')
    expect(await idsOf('id >= 0')).toEqual(ids.filter((i) => i % 2 === 1))
    const updated = await table.update({ predicate: 'id * 10 > 80', set: { price: '0' } })
    expect(updated.metrics.numUpdatedRows).toBe(2)
    expect(await idsOf('price = 0')).toEqual([9, 11])
  })
})
