import * as arrow from 'apache-arrow'
import { describe, expect, it } from 'vitest'
import { MemoryStorage } from '../storage/memory.js'
import { defaultDecoder, inProcessDecoder, type ParquetDecoder } from './decoder.js'
import { openParquet } from './read.js'
import { writeParquet } from './write.js'

const N = 1000
const table = arrow.tableFromArrays({
  id: BigInt64Array.from({ length: N }, (_, i) => BigInt(i)),
  s: Array.from({ length: N }, (_, i) => `v${i % 37}`),
  d: Float64Array.from({ length: N }, (_, i) => i * 1.5),
})

async function readAll(mem: MemoryStorage, path: string, decoder: ParquetDecoder) {
  const r = await openParquet(mem, path, { decoder })
  const batches: arrow.RecordBatch[] = []
  for (let g = 0; g < r.rowGroups.length; g++)
    for await (const b of r.readRowGroup(g, ['id', 's', 'd'])) batches.push(b)
  r.close()
  return new arrow.Table(batches)
}

describe('parquet decoders', () => {
  it('the isolated and the in-process decoder read the same rows', async () => {
    const mem = new MemoryStorage()
    await mem.put('t.parquet', writeParquet(table))
    const isolated = await defaultDecoder()
    expect(isolated.isolated).toBe(true)
    const a = await readAll(mem, 't.parquet', isolated)
    const b = await readAll(mem, 't.parquet', inProcessDecoder())
    expect(a.numRows).toBe(N)
    expect(a.toArray().map((r) => r.toJSON())).toEqual(b.toArray().map((r) => r.toJSON()))
    expect(a.getChild('s')!.get(40)).toBe('v3')
  })

  it('a flipped byte that traps parquet-wasm fails that file with PARQUET_ERROR naming it; the next file reads', async () => {
    const mem = new MemoryStorage()
    const bytes = writeParquet(table)
    await mem.put('good.parquet', bytes)
    const decoder = (await defaultDecoder()) as ParquetDecoder & { pool: { crashes: number } }
    const before = decoder.pool.crashes
    // Offsets 30-200 are the first pages of a 1,000-row file: most flips there trap parquet-wasm 0.8.0
    // (`RuntimeError: unreachable` in a promise continuation), which in-process ends Node.
    for (let off = 30; off <= 200; off += 10) {
      const bad = bytes.slice()
      bad[off] ^= 0xff
      await mem.put(`bad-${off}.parquet`, bad)
      try {
        const t = await readAll(mem, `bad-${off}.parquet`, decoder)
        expect(t.numRows).toBe(N)
      } catch (err) {
        expect(err).toMatchObject({ code: 'PARQUET_ERROR', message: expect.stringContaining(`bad-${off}.parquet`) })
      }
    }
    expect(decoder.pool.crashes).toBeGreaterThan(before)
    const good = await readAll(mem, 'good.parquet', decoder)
    expect(good.numRows).toBe(N)
    expect(Number(good.getChild('id')!.get(999))).toBe(999)
  })
})
