import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { goldenRoot } from '../../test/golden.js'
import { MemoryStorage } from '../storage/memory.js'
import { readParquetActions } from './checkpoint-read.js'
import { defaultDecoder, type ParquetDecoder } from './decoder.js'

describe('readParquetActions on damaged checkpoints', () => {
  it('every flipped byte gives the actions or INVALID_LOG naming the file, even where parquet-wasm traps', async () => {
    const bytes = new Uint8Array(
      readFileSync(`${goldenRoot()}/dat/with_checkpoint/delta/_delta_log/00000000000000000002.checkpoint.parquet`),
    )
    const mem = new MemoryStorage()
    await mem.put('good.checkpoint.parquet', bytes)
    const intact = await readParquetActions(mem, 'good.checkpoint.parquet')
    expect(intact.filter((a) => a.add)).toHaveLength(1)
    const decoder = (await defaultDecoder()) as ParquetDecoder & { pool: { crashes: number } }
    const before = decoder.pool.crashes
    let errors = 0
    // ~100 offsets spread over the file: pages, footer, magic.
    for (let off = 4; off < bytes.length; off += Math.ceil(bytes.length / 100)) {
      const bad = bytes.slice()
      bad[off] ^= 0xff
      const name = `bad-${off}.checkpoint.parquet`
      await mem.put(name, bad)
      try {
        await readParquetActions(mem, name)
      } catch (err) {
        expect(err).toMatchObject({ code: 'INVALID_LOG', message: expect.stringContaining(name) })
        errors++
      }
    }
    expect(errors).toBeGreaterThan(0)
    // Some of these flips trap parquet-wasm: in-process they would have ended the test run.
    expect(decoder.pool.crashes).toBeGreaterThan(before)
    expect(await readParquetActions(mem, 'good.checkpoint.parquet')).toEqual(intact)
  })
})
