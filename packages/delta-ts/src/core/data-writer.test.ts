import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import * as arrow from 'apache-arrow'
import fc from 'fast-check'
import * as pw from 'parquet-wasm'
import { describe, expect, it } from 'vitest'
import { runPythonJson } from '../../test/python-oracle.js'
import { decodeActionPath } from '../protocol/actions.js'
import type { StructType } from '../protocol/schema.js'
import { LocalStorage } from '../storage/local.js'
import { MemoryStorage } from '../storage/memory.js'
import { writeDataFiles } from './data-writer.js'

function vec(type: arrow.DataType, values: unknown[]): arrow.Vector {
  const b = arrow.makeBuilder({ type, nullValues: [null] })
  for (const v of values) b.append(v as never)
  return b.finish().toVector()
}
const readBack = (bytes: Uint8Array) => arrow.tableFromIPC(pw.readParquet(bytes).intoIPCStream())
const json = (v: unknown) => JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? Number(x) : x)))
const rowsOf = (t: arrow.Table) => t.toArray().map((r) => json(r.toJSON()))

const schema: StructType = {
  type: 'struct',
  fields: [
    { name: 'id', type: 'long', nullable: false, metadata: {} },
    { name: 'name', type: 'string', nullable: true, metadata: {} },
    { name: 'region', type: 'string', nullable: true, metadata: {} },
    { name: 'day', type: 'date', nullable: true, metadata: {} },
  ],
}

function sample(n: number, regions: (string | null)[]): arrow.Table {
  return new arrow.Table({
    id: vec(
      new arrow.Int64(),
      Array.from({ length: n }, (_, i) => BigInt(i)),
    ),
    name: vec(
      new arrow.Utf8(),
      Array.from({ length: n }, (_, i) => (i % 7 === 0 ? null : `name-${i}`)),
    ),
    region: vec(
      new arrow.Utf8(),
      Array.from({ length: n }, (_, i) => regions[i % regions.length]),
    ),
    day: vec(
      new arrow.DateDay(),
      Array.from({ length: n }, (_, i) => Date.UTC(2024, 0, 1 + (i % 2))),
    ),
  })
}

function tmpStorage(): { dir: string; storage: LocalStorage } {
  const dir = mkdtempSync(path.join(tmpdir(), 'delta-ts-dw-'))
  return { dir, storage: new LocalStorage(dir) }
}

describe('writeDataFiles', () => {
  it('writes an unpartitioned table as one zstd file with Spark-style name, exact size and stats', async () => {
    const { dir, storage } = tmpStorage()
    const data = sample(100, ['eu'])
    const adds = await writeDataFiles(storage, data, { schema, partitionColumns: [] })
    expect(adds).toHaveLength(1)
    const add = adds[0]
    expect(add.path).toMatch(/^part-00000-[0-9a-f-]{36}-c000\.zstd\.parquet$/)
    expect(add.size).toBe(statSync(path.join(dir, add.path)).size)
    expect(add.dataChange).toBe(true)
    expect(add.partitionValues).toEqual({})
    expect(JSON.parse(add.stats!)).toMatchObject({
      numRecords: 100,
      minValues: { id: 0, day: '2024-01-01' },
      maxValues: { id: 99 },
      nullCount: { name: 15 },
    })
    const back = readBack(readFileSync(path.join(dir, add.path)))
    expect(rowsOf(back)).toEqual(rowsOf(data))
  })

  it('splits rows by partition values into escaped Hive directories and leaves partition columns out of the files', async () => {
    const { dir, storage } = tmpStorage()
    const data = sample(60, ['eu', 'a/b:c d', null, '日本', 'x'])
    const adds = await writeDataFiles(storage, data, {
      schema,
      partitionColumns: ['region', 'day'],
      configuration: { 'delta.parquet.compression.codec': 'snappy' },
    })
    expect(adds).toHaveLength(10)
    const seen = new Map<string, number>()
    for (const add of adds) {
      const file = decodeActionPath(add.path)
      const expectedDir = `region=${add.partitionValues.region === null ? '__HIVE_DEFAULT_PARTITION__' : add.partitionValues.region!.replace('/', '%2F').replace(':', '%3A')}/day=${add.partitionValues.day}`
      expect(path.dirname(file)).toBe(expectedDir)
      expect(file).toMatch(/\.snappy\.parquet$/)
      const t = readBack(readFileSync(path.join(dir, file)))
      expect(t.schema.fields.map((f) => f.name)).toEqual(['id', 'name'])
      // Every row in the file belongs to the file's partition.
      for (const r of rowsOf(t)) {
        const orig = rowsOf(data)[r.id]
        expect(orig.region).toBe(add.partitionValues.region)
        expect(new Date(orig.day).toISOString().slice(0, 10)).toBe(add.partitionValues.day)
        expect(r.name).toBe(orig.name)
      }
      expect(JSON.parse(add.stats!).numRecords).toBe(t.numRows)
      seen.set(file, t.numRows)
    }
    expect([...seen.values()].reduce((a, b) => a + b, 0)).toBe(60)
    // The log path of the escaped directory is URI-encoded once more (Spark's double layer).
    expect(adds.some((a) => a.path.startsWith('region=a%252Fb%253Ac%20d/'))).toBe(true)
  })

  it('rolls to a new file when the target size is reached and keeps every row', async () => {
    const storage = new MemoryStorage()
    const data = sample(20_000, ['x'])
    const adds = await writeDataFiles(storage, data, {
      schema,
      partitionColumns: [],
      targetFileSize: 20_000,
      configuration: { 'delta.parquet.compression.codec': 'uncompressed' },
    })
    // 20k rows are ~1 MB of Arrow: with a 20 kB target the data needs many files...
    expect(adds.length).toBeGreaterThan(1)
    expect(adds.reduce((n, a) => n + JSON.parse(a.stats!).numRecords, 0)).toBe(20_000)
    expect(new Set(adds.map((a) => a.path)).size).toBe(adds.length)
    // After the first file the measured compression ratio keeps files near the target.
    for (const a of adds.slice(1)) expect(a.size).toBeLessThan(2 * 20_000)
  })

  it('streams an async iterable of batches in bounded buffers across partitions', async () => {
    const storage = new MemoryStorage()
    async function* batches() {
      for (let b = 0; b < 20; b++) yield* sample(500, ['p', 'q', 'r']).batches
    }
    const adds = await writeDataFiles(storage, batches(), {
      schema,
      partitionColumns: ['region'],
      maxBufferedBytes: 64 * 1024,
    })
    expect(adds.reduce((n, a) => n + JSON.parse(a.stats!).numRecords, 0)).toBe(10_000)
    // The buffer bound forced early flushes: more files than partitions.
    expect(adds.length).toBeGreaterThan(3)
    expect(new Set(adds.map((a) => a.partitionValues.region))).toEqual(new Set(['p', 'q', 'r']))
  })

  it('with flushPartitionOnChange, writes a partition once single-partition batches move on, and later rows of it go to a new file', async () => {
    const single = new WeakSet<arrow.RecordBatch>()
    const one = (n: number, region: string) => {
      const b = sample(n, [region]).batches[0]
      single.add(b)
      return b
    }
    const input = () => [
      one(10, 'p'),
      one(20, 'p'),
      one(30, 'q'),
      one(40, 'q'),
      sample(6, ['p', 'r']).batches[0],
      one(50, 'r'),
    ]
    const layout = async (flushPartitionOnChange: boolean) => {
      const adds = await writeDataFiles(new MemoryStorage(), input(), {
        schema,
        partitionColumns: ['region'],
        isSinglePartition: (b) => single.has(b),
        flushPartitionOnChange,
        concurrency: 1,
      })
      return adds.map((a) => `${a.partitionValues.region}:${JSON.parse(a.stats!).numRecords}`)
    }
    // p is flushed when q starts; q when r starts, after the mixed batch's rows were placed (its 3 p rows then
    // start a second p file; its 3 r rows join r's file).
    expect(await layout(true)).toEqual(['p:30', 'q:70', 'p:3', 'r:53'])
    expect(await layout(false)).toEqual(['p:33', 'q:70', 'r:53'])
  })

  it('writes physical column names and field ids under column mapping, and keys partitionValues and stats physically', async () => {
    const { dir, storage } = tmpStorage()
    const cm: StructType = {
      type: 'struct',
      fields: [
        {
          name: 'id',
          type: 'long',
          nullable: true,
          metadata: { 'delta.columnMapping.id': 1, 'delta.columnMapping.physicalName': 'col-a1' },
        },
        {
          name: 'info',
          type: {
            type: 'struct',
            fields: [
              {
                name: 'x',
                type: 'integer',
                nullable: true,
                metadata: { 'delta.columnMapping.id': 3, 'delta.columnMapping.physicalName': 'col-c3' },
              },
            ],
          },
          nullable: true,
          metadata: { 'delta.columnMapping.id': 2, 'delta.columnMapping.physicalName': 'col-b2' },
        },
        {
          name: 'part',
          type: 'string',
          nullable: true,
          metadata: { 'delta.columnMapping.id': 4, 'delta.columnMapping.physicalName': 'col-d4' },
        },
      ],
    }
    const data = new arrow.Table({
      id: vec(new arrow.Int64(), [1n, 2n]),
      info: vec(new arrow.Struct([new arrow.Field('x', new arrow.Int32())]), [{ x: 5 }, { x: 6 }]),
      part: vec(new arrow.Utf8(), ['k', 'k']),
    })
    const adds = await writeDataFiles(storage, data, {
      schema: cm,
      partitionColumns: ['part'],
      configuration: { 'delta.columnMapping.mode': 'name' },
    })
    expect(adds).toHaveLength(1)
    expect(adds[0].partitionValues).toEqual({ 'col-d4': 'k' })
    expect(adds[0].path.startsWith('col-d4=k/')).toBe(true)
    expect(JSON.parse(adds[0].stats!).maxValues).toEqual({ 'col-a1': 2, 'col-b2': { 'col-c3': 6 } })
    const file = path.join(dir, decodeActionPath(adds[0].path))
    const py = runPythonJson<{ names: string[]; ids: (number | null)[] }>(
      `
import json, sys, pyarrow.parquet as pq
s = pq.ParquetFile(sys.argv[1]).schema
print(json.dumps({"names": [s.column(i).path for i in range(len(s))],
  "ids": [s.to_arrow_schema().field("col-a1").metadata.get(b"PARQUET:field_id", b"").decode() or None]}))`,
      [file],
    )
    expect(py).toEqual({ names: ['col-a1', 'col-b2.col-c3'], ids: ['1'] })
  })

  it('fails with SCHEMA_MISMATCH before writing anything when the data does not fit', async () => {
    const storage = new MemoryStorage()
    const bad = new arrow.Table({ id: vec(new arrow.Utf8(), ['x']) })
    await expect(writeDataFiles(storage, bad, { schema, partitionColumns: [] })).rejects.toMatchObject({
      code: 'SCHEMA_MISMATCH',
    })
    const listed = []
    for await (const m of storage.list('')) listed.push(m)
    expect(listed).toEqual([])
  })

  it('stops with ABORTED when the signal fires', async () => {
    const ctrl = new AbortController()
    ctrl.abort()
    await expect(
      writeDataFiles(new MemoryStorage(), sample(10, ['a']), { schema, partitionColumns: [], signal: ctrl.signal }),
    ).rejects.toMatchObject({ code: 'ABORTED' })
  })

  it('produces files and add actions that Python deltalake reads as a table with the same rows', async () => {
    const { dir, storage } = tmpStorage()
    const data = sample(40, ['eu', 'us west', null])
    const adds = await writeDataFiles(storage, data, { schema, partitionColumns: ['region'] })
    mkdirSync(path.join(dir, '_delta_log'))
    const commit = [
      { protocol: { minReaderVersion: 1, minWriterVersion: 2 } },
      {
        metaData: {
          id: 'f1b0c4a2-0000-4000-8000-000000000001',
          format: { provider: 'parquet', options: {} },
          schemaString: JSON.stringify(schema),
          partitionColumns: ['region'],
          configuration: {},
          createdTime: 0,
        },
      },
      ...adds.map((add) => ({ add })),
    ]
    writeFileSync(
      path.join(dir, '_delta_log', '00000000000000000000.json'),
      commit.map((a) => JSON.stringify(a)).join('\n') + '\n',
    )
    const py = runPythonJson<{
      rows: { id: number; name: string | null; region: string | null; day: string }[]
      files: number
    }>(
      `
import json, sys
from deltalake import DeltaTable
dt = DeltaTable(sys.argv[1])
t = dt.to_pyarrow_table().sort_by("id")
rows = [{"id": r["id"], "name": r["name"], "region": r["region"], "day": str(r["day"])} for r in t.to_pylist()]
print(json.dumps({"rows": rows, "files": len(dt.file_uris())}))`,
      [dir],
    )
    expect(py.files).toBe(adds.length)
    expect(py.rows).toEqual(
      rowsOf(data).map((r) => ({
        id: r.id,
        name: r.name,
        region: r.region,
        day: new Date(r.day).toISOString().slice(0, 10),
      })),
    )
  })
})

describe('writeDataFiles partition encoding interop', () => {
  it('partition values with %, /, :, =, spaces, unicode and timestamps read back exactly in Python deltalake', async () => {
    const { dir, storage } = tmpStorage()
    const s: StructType = {
      type: 'struct',
      fields: [
        { name: 'id', type: 'integer', nullable: true, metadata: {} },
        { name: 'p', type: 'string', nullable: true, metadata: {} },
        { name: 't', type: 'timestamp', nullable: true, metadata: {} },
      ],
    }
    const weird = ['100%', 'a/b', 'x:y=z', 'sp ace', 'é😈', '%25', 'q?#[]^{}"\\', null]
    const ts = vec(
      new arrow.TimestampMicrosecond('UTC'),
      weird.map(() => 0),
    )
    ;(ts.data[0].values as BigInt64Array).set(weird.map((_, i) => 1_700_000_000_000_000n + BigInt(i) * 1_000_001n))
    const data = new arrow.Table({
      id: vec(
        new arrow.Int32(),
        weird.map((_, i) => i),
      ),
      p: vec(new arrow.Utf8(), weird),
      t: ts,
    })
    const adds = await writeDataFiles(storage, data, { schema: s, partitionColumns: ['p', 't'] })
    expect(adds).toHaveLength(weird.length)
    mkdirSync(path.join(dir, '_delta_log'))
    const commit = [
      { protocol: { minReaderVersion: 1, minWriterVersion: 2 } },
      {
        metaData: {
          id: 'f1b0c4a2-0000-4000-8000-000000000003',
          format: { provider: 'parquet', options: {} },
          schemaString: JSON.stringify(s),
          partitionColumns: ['p', 't'],
          configuration: {},
          createdTime: 0,
        },
      },
      ...adds.map((add) => ({ add })),
    ]
    writeFileSync(
      path.join(dir, '_delta_log', '00000000000000000000.json'),
      commit.map((a) => JSON.stringify(a)).join('\n') + '\n',
    )
    const py = runPythonJson<{ id: number; p: string | null; t: number }[]>(
      `
import json, sys
from deltalake import DeltaTable
t = DeltaTable(sys.argv[1]).to_pyarrow_table().sort_by("id")
print(json.dumps([{"id": r["id"], "p": r["p"], "t": t.column("t").cast("int64")[i].as_py()} for i, r in enumerate(t.to_pylist())]))`,
      [dir],
    )
    expect(py).toEqual(weird.map((p, i) => ({ id: i, p, t: 1_700_000_000_000_000 + i * 1_000_001 })))
  })
})

describe('writeDataFiles round trip property', () => {
  it('for random rows and partition layouts, reading every file back and re-attaching partition values gives the input rows', async () => {
    const { parsePartitionValue } = await import('../protocol/partition-values.js')
    const s: StructType = {
      type: 'struct',
      fields: [
        { name: 'k', type: 'integer', nullable: false, metadata: {} },
        { name: 'p1', type: 'string', nullable: true, metadata: {} },
        { name: 'p2', type: 'long', nullable: true, metadata: {} },
        { name: 'v', type: 'double', nullable: true, metadata: {} },
      ],
    }
    const row = fc.record({
      p1: fc.option(fc.constantFrom('a', 'b/c', 'd%e', 'ü f', ''), { nil: null }),
      p2: fc.option(fc.bigInt({ min: -3n, max: 3n }), { nil: null }),
      v: fc.option(fc.double({ noNaN: true }), { nil: null }),
    })
    await fc.assert(
      fc.asyncProperty(
        fc.array(row, { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 3 }),
        async (rows, nBatches) => {
          const storage = new MemoryStorage()
          const table = new arrow.Table({
            k: vec(
              new arrow.Int32(),
              rows.map((_, i) => i),
            ),
            p1: vec(
              new arrow.Utf8(),
              rows.map((r) => r.p1),
            ),
            p2: vec(
              new arrow.Int64(),
              rows.map((r) => r.p2),
            ),
            v: vec(
              new arrow.Float64(),
              rows.map((r) => r.v),
            ),
          })
          const size = Math.ceil(rows.length / nBatches)
          const batches = Array.from({ length: nBatches }, (_, b) => table.slice(b * size, (b + 1) * size)).flatMap(
            (t) => t.batches,
          )
          const adds = await writeDataFiles(storage, batches, {
            schema: s,
            partitionColumns: ['p1', 'p2'],
            targetFileSize: 2_000,
          })
          const back: { k: number; p1: unknown; p2: unknown; v: unknown }[] = []
          for (const add of adds) {
            const t = readBack(await storage.read(decodeActionPath(add.path)))
            expect(t.schema.fields.map((f) => f.name)).toEqual(['k', 'v'])
            for (const r of t.toArray()) {
              back.push({
                k: r.k,
                // The spec treats an empty string partition value as null (Spark does too).
                p1: parsePartitionValue(add.partitionValues.p1, 'string') ?? null,
                p2: parsePartitionValue(add.partitionValues.p2, 'long'),
                v: r.v,
              })
            }
          }
          back.sort((a, b) => a.k - b.k)
          expect(back).toEqual(rows.map((r, k) => ({ k, p1: r.p1 === '' ? null : r.p1, p2: r.p2, v: r.v })))
        },
      ),
      { numRuns: 25 },
    )
  })
})

describe('writeDataFiles under column mapping, read by deltalake', () => {
  // deltalake's to_pyarrow_table() returns nulls for column-mapped tables (Spark-written ones from the golden
  // corpus too); its DataFusion QueryBuilder resolves physical names and field ids, so the check goes through it.
  it.each(['name', 'id'])('mode %s: logical rows come back, partitionValues keyed by physical name', async (mode) => {
    const { dir, storage } = tmpStorage()
    const cm: StructType = {
      type: 'struct',
      fields: [
        {
          name: 'id',
          type: 'long',
          nullable: true,
          metadata: { 'delta.columnMapping.id': 1, 'delta.columnMapping.physicalName': 'col-a1' },
        },
        {
          name: 'info',
          type: {
            type: 'struct',
            fields: [
              {
                name: 'x',
                type: 'integer',
                nullable: true,
                metadata: { 'delta.columnMapping.id': 3, 'delta.columnMapping.physicalName': 'col-c3' },
              },
            ],
          },
          nullable: true,
          metadata: { 'delta.columnMapping.id': 2, 'delta.columnMapping.physicalName': 'col-b2' },
        },
        {
          name: 'part',
          type: 'string',
          nullable: true,
          metadata: { 'delta.columnMapping.id': 4, 'delta.columnMapping.physicalName': 'col-d4' },
        },
      ],
    }
    const configuration = { 'delta.columnMapping.mode': mode, 'delta.columnMapping.maxColumnId': '4' }
    const data = new arrow.Table({
      id: vec(new arrow.Int64(), [1n, 2n, 3n]),
      info: vec(new arrow.Struct([new arrow.Field('x', new arrow.Int32())]), [{ x: 5 }, { x: 6 }, null]),
      part: vec(new arrow.Utf8(), ['k', 'k', 'j']),
    })
    const adds = await writeDataFiles(storage, data, { schema: cm, partitionColumns: ['part'], configuration })
    mkdirSync(path.join(dir, '_delta_log'))
    const commit = [
      { protocol: { minReaderVersion: 2, minWriterVersion: 5 } },
      {
        metaData: {
          id: 'aaaaaaaa-0000-4000-8000-000000000009',
          format: { provider: 'parquet', options: {} },
          schemaString: JSON.stringify(cm),
          partitionColumns: ['part'],
          configuration,
          createdTime: 0,
        },
      },
      ...adds.map((add) => ({ add })),
    ]
    writeFileSync(
      path.join(dir, '_delta_log', '00000000000000000000.json'),
      commit.map((a) => JSON.stringify(a)).join('\n') + '\n',
    )
    const py = runPythonJson<{ cols: string[]; rows: unknown[] }>(
      `
import json, sys
import pyarrow as pa
from deltalake import DeltaTable, QueryBuilder
t = pa.table(QueryBuilder().register("t", DeltaTable(sys.argv[1])).execute("select * from t order by id").read_all())
print(json.dumps({"cols": t.column_names, "rows": t.to_pylist()}))`,
      [dir],
    )
    expect(py).toEqual({
      cols: ['id', 'info', 'part'],
      rows: [
        { id: 1, info: { x: 5 }, part: 'k' },
        { id: 2, info: { x: 6 }, part: 'k' },
        { id: 3, info: null, part: 'j' },
      ],
    })
    expect(
      adds.map((a) => a.partitionValues).sort((a, b) => String(a['col-d4']).localeCompare(String(b['col-d4']))),
    ).toEqual([{ 'col-d4': 'j' }, { 'col-d4': 'k' }])
  })
})
