import * as path from 'node:path'
import { describe, expect, it } from 'vitest'
import { goldenRoot } from '../../test/golden.js'
import { loadDeletionVector, resolveTablePath } from '../core/deletion-vector-io.js'
import { LocalStorage } from '../storage/local.js'
import { MemoryStorage } from '../storage/memory.js'
import {
  crc32,
  DV_MAGIC,
  decodeDeletionVector,
  deletionVectorPath,
  survivingRows,
  z85Decode,
  z85Encode,
} from './deletion-vector.js'

/** Little-endian byte writer for hand-building bitmaps exactly as the RoaringBitmap format spec lays them out. */
class Bytes {
  parts: number[] = []
  u8(v: number) {
    this.parts.push(v & 0xff)
    return this
  }
  u16(v: number) {
    return this.u8(v).u8(v >>> 8)
  }
  u32(v: number) {
    return this.u16(v & 0xffff).u16(v >>> 16)
  }
  u64(v: number) {
    return this.u32(v >>> 0).u32(Math.floor(v / 2 ** 32))
  }
  get(): Uint8Array {
    return Uint8Array.from(this.parts)
  }
}

describe('z85', () => {
  it('decodes the ZeroMQ reference vector and round-trips random bytes', () => {
    // The Z85 spec's test vector: 8 bytes <-> "HelloWorld".
    expect([...z85Decode('HelloWorld')]).toEqual([0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b])
    const bytes = Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 0xff)
    expect(z85Decode(z85Encode(bytes))).toEqual(bytes)
  })

  it('rejects bad lengths and characters with INVALID_DELETION_VECTOR', () => {
    expect(() => z85Decode('abcd')).toThrow(expect.objectContaining({ code: 'INVALID_DELETION_VECTOR' }))
    expect(() => z85Decode('abcd~')).toThrow(expect.objectContaining({ code: 'INVALID_DELETION_VECTOR' }))
  })
})

describe('deletionVectorPath', () => {
  it('builds <prefix>/deletion_vector_<uuid>.bin from the Z85 UUID of a golden table', () => {
    // table-with-dv-small's log names this descriptor; its file sits beside the data file.
    expect(
      deletionVectorPath({
        storageType: 'u',
        pathOrInlineDv: 'vBn[lx{q8@P<9BNH/isA',
        offset: 1,
        sizeInBytes: 36,
        cardinality: 2,
      }),
    ).toBe('deletion_vector_61d16c75-6994-46b7-a15b-8b538852e50e.bin')
    expect(
      deletionVectorPath({
        storageType: 'u',
        pathOrInlineDv: 'ab' + 'vBn[lx{q8@P<9BNH/isA',
        sizeInBytes: 1,
        cardinality: 1,
      }),
    ).toBe('ab/deletion_vector_61d16c75-6994-46b7-a15b-8b538852e50e.bin')
  })
})

describe('decodeDeletionVector', () => {
  it('decodes array, bitmap and run containers across two 32-bit buckets', () => {
    const b = new Bytes().u32(DV_MAGIC).u64(2)
    // Bucket 0: no-run cookie, two containers: an array container {1, 5} at key 0, a full bitmap container
    // with bits 0..4999 at key 1.
    b.u32(0).u32(12346).u32(2).u16(0).u16(1).u16(1).u16(4999).u32(0).u32(0)
    b.u16(1).u16(5)
    const words = new Uint32Array(2048)
    for (let i = 0; i < 5000; i++) words[i >>> 5] |= 1 << (i & 31)
    for (const w of words) b.u32(w)
    // Bucket 1 (rows >= 2^32): run cookie with one container holding the run 10..12.
    b.u32(1)
      .u32(12347 | (0 << 16))
      .u8(1)
      .u16(0)
      .u16(2)
      .u16(1)
      .u16(10)
      .u16(2)
    const rows = decodeDeletionVector(b.get())
    expect(rows.length).toBe(2 + 5000 + 3)
    expect([...rows.slice(0, 3)]).toEqual([1, 5, 65536])
    expect(rows[5001]).toBe(65536 + 4999)
    expect([...rows.slice(5002)]).toEqual([2 ** 32 + 10, 2 ** 32 + 11, 2 ** 32 + 12])
  })

  it('refuses a wrong magic number and truncated data', () => {
    expect(() => decodeDeletionVector(new Bytes().u32(7).u64(0).get())).toThrow(
      expect.objectContaining({ code: 'INVALID_DELETION_VECTOR' }),
    )
    const truncated = new Bytes().u32(DV_MAGIC).u64(1).u32(0).u32(12346).u32(1).get()
    expect(() => decodeDeletionVector(truncated)).toThrow(expect.objectContaining({ code: 'INVALID_DELETION_VECTOR' }))
  })
})

describe('loadDeletionVector', () => {
  it('reads a u-type vector from a golden table file (Databricks-written)', async () => {
    const storage = new LocalStorage(path.join(goldenRoot(), 'kernel-rs-data/table-with-dv-small/delta'))
    const rows = await loadDeletionVector(storage, {
      storageType: 'u',
      pathOrInlineDv: 'vBn[lx{q8@P<9BNH/isA',
      offset: 1,
      sizeInBytes: 36,
      cardinality: 2,
    })
    // The table holds values 0..9 with 0 and 9 deleted (its expected output is 1..8).
    expect([...rows]).toEqual([0, 9])
  })

  it('decodes an inline vector from a golden table log', async () => {
    const rows = await loadDeletionVector(new MemoryStorage(), {
      storageType: 'i',
      pathOrInlineDv: '^Bg9^0rr910000000000iXQKl0rr91000935c8Xg000311onP9',
      sizeInBytes: 40,
      cardinality: 4,
    })
    expect(rows.length).toBe(4)
    expect([...rows]).toEqual([...rows].sort((a, b) => a - b))
  })

  it('fails with INVALID_DELETION_VECTOR on a checksum mismatch and on a wrong cardinality', async () => {
    const data = new Bytes().u32(DV_MAGIC).u64(1).u32(0).u32(12346).u32(1).u16(0).u16(0).u32(0).u16(3).get()
    const file = new Bytes().u8(1)
    const size = data.length
    file.parts.push((size >>> 24) & 0xff, (size >>> 16) & 0xff, (size >>> 8) & 0xff, size & 0xff, ...data)
    const crc = crc32(data)
    const good = [...file.parts, (crc >>> 24) & 0xff, (crc >>> 16) & 0xff, (crc >>> 8) & 0xff, crc & 0xff]
    const storage = new MemoryStorage()
    const uuidZ85 = 'vBn[lx{q8@P<9BNH/isA'
    const p = deletionVectorPath({ storageType: 'u', pathOrInlineDv: uuidZ85, sizeInBytes: size, cardinality: 1 })
    await storage.put(p, Uint8Array.from(good))
    const dv = { storageType: 'u' as const, pathOrInlineDv: uuidZ85, offset: 1, sizeInBytes: size, cardinality: 1 }
    expect([...(await loadDeletionVector(storage, dv))]).toEqual([3])
    await expect(loadDeletionVector(storage, { ...dv, cardinality: 2 })).rejects.toMatchObject({
      code: 'INVALID_DELETION_VECTOR',
    })
    const bad = Uint8Array.from(good)
    bad[bad.length - 1] ^= 1
    await storage.put(p, bad, { overwrite: true })
    await expect(loadDeletionVector(storage, dv)).rejects.toMatchObject({ code: 'INVALID_DELETION_VECTOR' })
  })
})

describe('helpers', () => {
  it('survivingRows keeps the rows of a range that are not deleted', () => {
    const deleted = Float64Array.from([2, 5, 6, 100])
    expect(survivingRows(deleted, 10, 50)).toBeUndefined()
    expect([...survivingRows(deleted, 0, 8)!]).toEqual([0, 1, 3, 4, 7])
    expect([...survivingRows(deleted, 5, 3)!]).toEqual([2])
  })

  it('resolveTablePath maps absolute URIs under the root to keys and refuses others', () => {
    const storage = new MemoryStorage('file:///data/t/')
    expect(resolveTablePath(storage, 'a/b.parquet')).toBe('a/b.parquet')
    expect(resolveTablePath(storage, 'file:///data/t/x/y.bin')).toBe('x/y.bin')
    expect(resolveTablePath(storage, 'file:/data/t/y.bin')).toBe('y.bin')
    expect(() => resolveTablePath(storage, 's3://other/y.bin')).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_FEATURE' }),
    )
  })
})
