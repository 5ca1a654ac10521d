import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import * as arrow from 'apache-arrow'
import * as pw from 'parquet-wasm'
import { describe, expect, it } from 'vitest'
import { runPythonJson } from '../../test/python-oracle.js'
import { codecFileSuffix, codecFromConfiguration, writeParquet } from './write.js'

function readBack(bytes: Uint8Array): arrow.Table {
  return arrow.tableFromIPC(pw.readParquet(bytes).intoIPCStream())
}

function vec(type: arrow.DataType, values: unknown[]): arrow.Vector {
  const b = arrow.makeBuilder({ type, nullValues: [null] })
  for (const v of values) b.append(v as never)
  return b.finish().toVector()
}

const f = (name: string, type: arrow.DataType, nullable = true) => new arrow.Field(name, type, nullable)

/** One column of every type Delta tables use, with nulls, extremes and unicode. */
function allTypesTable(): arrow.Table {
  const dec = (words: number[]) => new Uint32Array(words)
  const tsUtc = new arrow.TimestampMicrosecond('UTC')
  const tsNtz = new arrow.TimestampMicrosecond()
  const struct = new arrow.Struct([f('x', new arrow.Int32(), false), f('y', new arrow.Utf8())])
  const list = new arrow.List(f('element', new arrow.Int64()))
  const map = new arrow.Map_(
    new arrow.Field(
      'entries',
      new arrow.Struct<{ key: arrow.Utf8; value: arrow.Float64 }>([
        new arrow.Field('key', new arrow.Utf8(), false),
        new arrow.Field('value', new arrow.Float64(), true),
      ] as never),
      false,
    ),
  )
  const columns: Record<string, arrow.Vector> = {
    i8: vec(new arrow.Int8(), [-128, 127, null]),
    i16: vec(new arrow.Int16(), [-32768, 32767, null]),
    i32: vec(new arrow.Int32(), [-2147483648, 2147483647, null]),
    i64: vec(new arrow.Int64(), [-9223372036854775808n, 9223372036854775807n, null]),
    f32: vec(new arrow.Float32(), [1.5, Number.NaN, null]),
    f64: vec(new arrow.Float64(), [-0.1, Number.POSITIVE_INFINITY, null]),
    bool: vec(new arrow.Bool(), [true, false, null]),
    str: vec(new arrow.Utf8(), ['héllo wörld', '😈 日本語 \u0000 nul', null]),
    bin: vec(new arrow.Binary(), [new Uint8Array([0, 255, 1]), new Uint8Array([]), null]),
    date: vec(new arrow.DateDay(), [Date.UTC(1970, 0, 1), Date.UTC(2999, 11, 31), null]),
    ts: vec(tsUtc, [0, 1, null]),
    ts_ntz: vec(tsNtz, [0, 1, null]),
    // decimal(10,2): 123.45 and -0.01; decimal(38,18): a 128-bit value.
    d10: vec(new arrow.Decimal(2, 10, 128), [
      dec([12345, 0, 0, 0]),
      dec([0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff]),
      null,
    ]),
    d38: vec(new arrow.Decimal(18, 38, 128), [dec([1, 2, 3, 0x4000000]), dec([0, 0, 0, 0]), null]),
    st: vec(struct, [{ x: 1, y: 'a' }, { x: 2, y: null }, null]),
    arr: vec(list, [[1n, null, 3n], [], null]),
    m: vec(map, [
      new Map([
        ['k', 1.5],
        ['ü', null],
      ]),
      new Map(),
      null,
    ]),
  }
  return new arrow.Table(columns)
}

// Exact microseconds: Arrow JS get() returns float milliseconds, so read the raw int64 buffer.
function micros(v: arrow.Vector): bigint[] {
  return v.data.flatMap((d) => Array.from(d.values as BigInt64Array).slice(d.offset, d.offset + d.length))
}

describe('writeParquet', () => {
  it('round-trips every Delta type exactly through parquet-wasm, nulls included', () => {
    const t = allTypesTable()
    // Exact µs survive: 1_700_000_000_123_456 µs would lose digits as float ms.
    const exact = [1_700_000_000_123_456n, -62_135_596_800_000_001n, 0n]
    const tsCol = t.getChild('ts')!.data[0]
    ;(tsCol.values as BigInt64Array).set(exact)
    const back = readBack(writeParquet(t))
    expect(back.numRows).toBe(3)
    expect(back.schema.fields.map((x) => x.name)).toEqual(t.schema.fields.map((x) => x.name))
    for (const field of t.schema.fields) {
      const a = t.getChild(field.name)!
      const b = back.getChild(field.name)!
      expect(String(b.type), field.name).toBe(String(a.type))
      for (let i = 0; i < 3; i++) {
        const av = a.get(i)
        const bv = b.get(i)
        const norm = (v: unknown): unknown =>
          v === null
            ? null
            : typeof v === 'object' && v !== null && 'toJSON' in v
              ? (v as { toJSON(): unknown }).toJSON()
              : v
        expect(
          String(JSON.stringify(norm(bv), (_k, x) => (typeof x === 'bigint' ? `${x}n` : x))),
          `${field.name}[${i}]`,
        ).toBe(String(JSON.stringify(norm(av), (_k, x) => (typeof x === 'bigint' ? `${x}n` : x))))
      }
    }
    expect(micros(back.getChild('ts')!).slice(0, 2)).toEqual(exact.slice(0, 2))
    expect((back.getChild('ts')!.type as arrow.Timestamp).timezone).toBe('UTC')
    expect((back.getChild('ts_ntz')!.type as arrow.Timestamp).timezone).toBeNull()
    expect(Number.isNaN(back.getChild('f32')!.get(1))).toBe(true)
  })

  it('writes timestamps as isAdjustedToUTC true/false and opens in pyarrow with the same values', () => {
    const bytes = writeParquet(allTypesTable(), { codec: 'snappy' })
    const dir = mkdtempSync(path.join(tmpdir(), 'delta-ts-pq-'))
    const file = path.join(dir, 'all.parquet')
    writeFileSync(file, bytes)
    const py = runPythonJson<{
      rows: number
      ts: string
      ntz: string
      utc: boolean[]
      str: string[]
      d10: string
      codec: string
      version: string
    }>(
      `
import json, sys, pyarrow.parquet as pq
f = pq.ParquetFile(sys.argv[1])
t = f.read()
sch = f.schema
def col(n): return sch.column([i for i in range(len(sch)) if sch.column(i).path == n][0])
print(json.dumps({
  "rows": t.num_rows,
  "ts": str(t.schema.field("ts").type), "ntz": str(t.schema.field("ts_ntz").type),
  "utc": [col("ts").logical_type.to_json().find('"isAdjustedToUTC": true') >= 0,
          col("ts_ntz").logical_type.to_json().find('"isAdjustedToUTC": false') >= 0],
  "str": t.column("str").to_pylist()[:2],
  "d10": str(t.column("d10").to_pylist()[0]),
  "codec": f.metadata.row_group(0).column(0).compression,
  "version": f.metadata.format_version,
}))`,
      [file],
    )
    expect(py).toEqual({
      rows: 3,
      ts: 'timestamp[us, tz=UTC]',
      ntz: 'timestamp[us]',
      utc: [true, true],
      str: ['héllo wörld', '😈 日本語 \u0000 nul'],
      d10: '123.45',
      codec: 'SNAPPY',
      version: '2.6',
    })
  })

  it('bounds row groups by the row limit', async () => {
    const n = 10_000
    const t = new arrow.Table({
      a: vec(
        new arrow.Int32(),
        Array.from({ length: n }, (_, i) => i),
      ),
    })
    const bytes = writeParquet(t, { maxRowGroupRows: 3000 })
    const pf = await pw.ParquetFile.fromFile(new Blob([bytes as Uint8Array<ArrayBuffer>]))
    const md = pf.metadata()
    expect(md.numRowGroups()).toBe(4)
    expect(md.rowGroups().map((g) => g.numRows())).toEqual([3000, 3000, 3000, 1000])
    expect(
      readBack(bytes)
        .getChild('a')!
        .get(n - 1),
    ).toBe(n - 1)
  })

  it('refuses a null in a non-nullable struct child with SCHEMA_MISMATCH naming the column', () => {
    const struct = new arrow.Struct([f('x', new arrow.Int32(), false)])
    const t = new arrow.Table({ s: vec(struct, [{ x: 1 }, { x: null }]) })
    expect(() => writeParquet(t)).toThrow(
      expect.objectContaining({ code: 'SCHEMA_MISMATCH', message: expect.stringContaining("'s.x'") }),
    )
  })

  it('accepts a null in a non-nullable child when the parent struct itself is null', () => {
    const struct = new arrow.Struct([f('x', new arrow.Int32(), false)])
    const t = new arrow.Table({ s: vec(struct, [{ x: 1 }, null]) })
    const back = readBack(writeParquet(t))
    expect(back.getChild('s')!.get(1)).toBeNull()
    expect(back.getChild('s')!.get(0)!.toJSON()).toEqual({ x: 1 })
  })

  it('reads the codec from delta.parquet.compression.codec, zstd by default, and rejects unknown codecs', () => {
    expect(codecFromConfiguration(undefined)).toBe('zstd')
    expect(codecFromConfiguration({ 'delta.parquet.compression.codec': 'SNAPPY' })).toBe('snappy')
    expect(codecFromConfiguration({ 'delta.parquet.compression.codec': 'none' })).toBe('uncompressed')
    expect(() => codecFromConfiguration({ 'delta.parquet.compression.codec': 'lzo' })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    )
    expect(codecFileSuffix('zstd')).toBe('.zstd')
    expect(codecFileSuffix('uncompressed')).toBe('')
  })

  it('produces smaller files with zstd than uncompressed for repetitive data, both readable', () => {
    const t = new arrow.Table({
      s: vec(
        new arrow.Utf8(),
        Array.from({ length: 5000 }, (_, i) => `value-${i % 50}-${'x'.repeat(40)}`),
      ),
    })
    const z = writeParquet(t, { codec: 'zstd' })
    const u = writeParquet(t, { codec: 'uncompressed' })
    const g = writeParquet(t, { codec: 'gzip' })
    expect(z.length).toBeLessThan(u.length)
    for (const b of [z, u, g]) expect(readBack(b).getChild('s')!.get(4999)).toBe(`value-49-${'x'.repeat(40)}`)
  })
})
