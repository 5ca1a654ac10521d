import * as arrow from 'apache-arrow'
import { describe, expect, it } from 'vitest'
import { DeltaError } from '../errors.js'
import { MemoryStorage } from '../storage/memory.js'
import type { Storage } from '../storage/types.js'
import { openParquet, parseParquetLayout } from './read.js'
import { writeParquet } from './write.js'

/** Wraps a storage and counts the bytes and calls of every read, to prove what a reader fetched. */
class CountingStorage implements Storage {
  bytesRead = 0
  calls = 0
  wholeReads = 0
  constructor(private inner: Storage) {}
  get rootUri() {
    return this.inner.rootUri
  }
  list(prefix: string, o?: { startAfter?: string; signal?: AbortSignal }) {
    return this.inner.list(prefix, o)
  }
  async read(path: string) {
    this.wholeReads++
    const b = await this.inner.read(path)
    this.bytesRead += b.length
    return b
  }
  async readRange(path: string, start: number, end: number) {
    this.calls++
    const b = await this.inner.readRange(path, start, end)
    this.bytesRead += b.length
    return b
  }
  head(path: string) {
    return this.inner.head(path)
  }
  put(path: string, data: Uint8Array, o?: { overwrite?: boolean }) {
    return this.inner.put(path, data, o)
  }
  delete(path: string) {
    return this.inner.delete(path)
  }
}

function wideTable(rows: number): arrow.Table {
  const id = BigInt64Array.from({ length: rows }, (_, i) => BigInt(i))
  // Incompressible-ish payload columns so the projected column is a small share of the file.
  let seed = 7
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648)
  const cols: Record<string, arrow.Vector> = { id: arrow.makeVector(id) }
  for (let c = 0; c < 6; c++) cols[`payload${c}`] = arrow.makeVector(Float64Array.from({ length: rows }, rnd))
  cols.text = arrow.vectorFromArray(
    Array.from({ length: rows }, (_, i) => `row-${i}-${rnd().toString(36)}`),
    new arrow.Utf8(),
  )
  return new arrow.Table(cols)
}

describe('openParquet', () => {
  it('a projected read fetches the footer and one column chunk: far fewer bytes than the file', async () => {
    const mem = new MemoryStorage()
    const bytes = writeParquet(wideTable(200_000), { codec: 'snappy', maxRowGroupRows: 50_000 })
    await mem.put('f.parquet', bytes)
    const storage = new CountingStorage(mem)
    const reader = await openParquet(storage, 'f.parquet', { size: bytes.length })
    expect(reader.numRows).toBe(200_000)
    expect(reader.rowGroups.map((g) => g.numRows)).toEqual([50_000, 50_000, 50_000, 50_000])
    expect(reader.rowGroups[3].firstRow).toBe(150_000)
    let rows = 0
    let sum = 0n
    for (let g = 0; g < reader.rowGroups.length; g++) {
      for await (const batch of reader.readRowGroup(g, ['id'], 20_000)) {
        expect(batch.schema.fields.map((f) => f.name)).toEqual(['id'])
        expect(batch.numRows).toBeLessThanOrEqual(20_000)
        rows += batch.numRows
        for (const v of batch.getChild('id')!) sum += v as bigint
      }
    }
    expect(reader.cacheMisses).toBe(0)
    reader.close()
    expect(rows).toBe(200_000)
    expect(sum).toBe((199_999n * 200_000n) / 2n)
    expect(storage.wholeReads).toBe(0)
    // id is 1 of 8 columns (and the most compressible): the reader must not fetch the payload columns.
    expect(storage.bytesRead).toBeLessThan(bytes.length / 4)
  })

  it('decodes only rows offset .. offset + limit of a row group when asked, across batch and page boundaries', async () => {
    const mem = new MemoryStorage()
    const bytes = writeParquet(wideTable(120_000), { codec: 'snappy', maxRowGroupRows: 60_000 })
    await mem.put('f.parquet', bytes)
    const reader = await openParquet(mem, 'f.parquet')
    const batches = await reader.decodeRowGroup(1, ['id'], 10_000, { offset: 19_995, limit: 20_010 })
    const ids = batches.flatMap((b) => [...b.getChild('id')!].map(Number))
    expect(ids).toEqual(Array.from({ length: 20_010 }, (_, i) => 60_000 + 19_995 + i))
    expect(batches.every((b) => b.numRows <= 10_000)).toBe(true)
  })

  it('reports a missing file as FILE_NOT_FOUND and garbage as PARQUET_ERROR', async () => {
    const mem = new MemoryStorage()
    await expect(openParquet(mem, 'nope.parquet')).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' })
    await mem.put('junk.parquet', new TextEncoder().encode('this is not a parquet file at all'))
    await expect(openParquet(mem, 'junk.parquet')).rejects.toMatchObject({ code: 'PARQUET_ERROR' })
  })
})

describe('openParquet: storage failures', () => {
  it('surfaces a failed chunk read as the storage error, and parquet-wasm keeps working afterwards', async () => {
    const mem = new MemoryStorage()
    // Large enough that the column chunks lie outside the footer prefetch (the last 64 KiB).
    const bytes = writeParquet(wideTable(20_000), { codec: 'snappy' })
    expect(bytes.length).toBeGreaterThan(256 * 1024)
    await mem.put('f.parquet', bytes)
    const flaky = new CountingStorage(mem)
    const reader = await openParquet(flaky, 'f.parquet', { size: bytes.length })
    // From now on every ranged read fails, as a dropped connection would.
    flaky.readRange = async () => {
      throw new DeltaError('STORAGE_TRANSIENT', 'connection reset')
    }
    const drain = async () => {
      for await (const b of reader.readRowGroup(0, ['id', 'text'])) expect(b.numRows).toBeGreaterThan(0)
    }
    await expect(drain()).rejects.toMatchObject({ code: 'STORAGE_TRANSIENT' })
    reader.close()
    // No storage call happens inside the decoder: a fresh read must still decode.
    const again = await openParquet(mem, 'f.parquet', { size: bytes.length })
    let rows = 0
    for await (const b of again.readRowGroup(0, ['id'])) rows += b.numRows
    again.close()
    expect(rows).toBe(20_000)
  })

  it('reports a file missing at open as FILE_NOT_FOUND even when its size is given', async () => {
    await expect(openParquet(new MemoryStorage(), 'gone.parquet', { size: 1234 })).rejects.toMatchObject({
      code: 'FILE_NOT_FOUND',
    })
  })
})

describe('openParquet: damaged files', () => {
  it('refuses a column chunk whose pages are damaged with PARQUET_ERROR instead of handing it to wasm', async () => {
    const table = new arrow.Table({
      id: arrow.makeVector(BigInt64Array.from({ length: 10_000 }, (_, i) => BigInt(i * 7919))),
    })
    const bytes = writeParquet(table, { codec: 'snappy' })
    // Bytes 4.. are the first page header of the only column chunk: scramble it.
    for (let k = 4; k < 40; k += 3) bytes[k] ^= 0x5a
    const mem = new MemoryStorage()
    await mem.put('bad.parquet', bytes)
    const reader = await openParquet(mem, 'bad.parquet', { size: bytes.length })
    const drain = async () => {
      for await (const b of reader.readRowGroup(0, ['id'])) expect(b.numRows).toBeGreaterThan(0)
    }
    await expect(drain()).rejects.toMatchObject({ code: 'PARQUET_ERROR' })
    reader.close()
  })

  it('checks page CRCs where the writer stored them: one flipped bit in a Spark-written page is refused', async () => {
    const { goldenRoot } = await import('../../test/golden.js')
    const { readFileSync } = await import('node:fs')
    // Written by Spark 3.5 (parquet-mr 1.13), which stores a CRC in every page header.
    const dir = `${goldenRoot()}/kernel-rs-golden/basic-with-inserts-updates/delta`
    const bytes = new Uint8Array(
      readFileSync(`${dir}/part-00000-6dfaec75-bd45-4fd6-b20f-7d58c9341479-c000.snappy.parquet`),
    )
    const mem = new MemoryStorage()
    await mem.put('ok.parquet', bytes)
    const ok = await openParquet(mem, 'ok.parquet', { size: bytes.length })
    const columns = ok.schema.fields.map((f) => f.name)
    let rows = 0
    for await (const b of ok.readRowGroup(0, columns)) rows += b.numRows
    ok.close()
    expect(rows).toBeGreaterThan(0)
    // Flip one bit in the last byte of the first column chunk: page data (a chunk ends with its last page's
    // data), which only the page checksum can catch.
    const damaged = bytes.slice()
    const flen = new DataView(damaged.buffer).getUint32(damaged.length - 8, true)
    const layout = parseParquetLayout(damaged.subarray(damaged.length - 8 - flen, damaged.length - 8))!
    damaged[layout.rowGroups[0].chunks[0].end - 1] ^= 1
    await mem.put('flip.parquet', damaged)
    const bad = await openParquet(mem, 'flip.parquet', { size: damaged.length })
    const drain = async () => {
      for (let g = 0; g < bad.rowGroups.length; g++) for await (const _ of bad.readRowGroup(g, columns)) rows++
    }
    await expect(drain()).rejects.toMatchObject({ code: 'PARQUET_ERROR' })
    bad.close()
  })
})

describe('openParquet: small files', () => {
  it('reads a file smaller than the footer prefetch with one request, and never fetches a byte twice', async () => {
    const mem = new MemoryStorage()
    const bytes = writeParquet(wideTable(500), { codec: 'snappy' })
    expect(bytes.length).toBeLessThan(64 * 1024)
    await mem.put('small.parquet', bytes)
    const storage = new CountingStorage(mem)
    const reader = await openParquet(storage, 'small.parquet', { size: bytes.length })
    let rows = 0
    for await (const b of reader.readRowGroup(
      0,
      reader.schema.fields.map((f) => f.name),
    ))
      rows += b.numRows
    expect(reader.cacheMisses).toBe(0)
    reader.close()
    expect(rows).toBe(500)
    expect(storage.calls).toBe(1)
    expect(storage.bytesRead).toBe(bytes.length)
  })
})
