import * as arrow from 'apache-arrow'
import { afterAll, describe, expect, it } from 'vitest'
import { nodeWorkerSpawner } from '../worker/node.js'
import { defaultDecoder } from './decoder.js'
import { ENCODE_HANDLER_SOURCE, encoderFor, inProcessEncoder, pooledEncoder } from './encoder.js'
import { encodeRequest } from './write.js'

const table = new arrow.Table({
  id: arrow.vectorFromArray(
    Array.from({ length: 5000 }, (_, i) => i),
    new arrow.Int32(),
  ),
  s: arrow.vectorFromArray(
    Array.from({ length: 5000 }, (_, i) => `row ${i % 17}`),
    new arrow.Utf8(),
  ),
})

const pool = pooledEncoder(nodeWorkerSpawner(ENCODE_HANDLER_SOURCE, ['parquet-wasm']), 2)
afterAll(() => pool.pool.close())

describe('parquet encoders', () => {
  it('the pooled encoder writes the same bytes as the in-process one, tasks answered in any order', async () => {
    const local = await inProcessEncoder().encode(encodeRequest(table, { codec: 'zstd' }))
    const pooled = await Promise.all([1, 2, 3].map(() => pool.encode(encodeRequest(table, { codec: 'zstd' }))))
    for (const b of pooled) expect(Buffer.compare(Buffer.from(b), Buffer.from(local))).toBe(0)
    expect(pool.concurrency).toBe(2)
  })

  it('reports bytes parquet-wasm cannot read as PARQUET_ERROR, and the pool keeps working', async () => {
    const bad = { ipc: Uint8Array.of(1, 2, 3, 4), props: encodeRequest(table).props }
    await expect(pool.encode({ ...bad })).rejects.toMatchObject({ code: 'PARQUET_ERROR' })
    await expect(inProcessEncoder().encode({ ...bad })).rejects.toMatchObject({ code: 'PARQUET_ERROR' })
    expect((await pool.encode(encodeRequest(table))).length).toBeGreaterThan(0)
  })

  it('encodes on the decoder pool: one set of workers runs both tasks, bytes equal the in-process encoder', async () => {
    const decoder = (await defaultDecoder()) as Awaited<ReturnType<typeof defaultDecoder>> & { pool?: unknown }
    const encoder = (await encoderFor(2)) as Awaited<ReturnType<typeof encoderFor>> & { pool?: unknown }
    expect(encoder.pool).toBeDefined()
    expect(encoder.pool).toBe(decoder.pool)
    const local = await inProcessEncoder().encode(encodeRequest(table, { codec: 'zstd' }))
    const shared = await Promise.all([1, 2, 3].map(() => encoder.encode(encodeRequest(table, { codec: 'zstd' }))))
    for (const b of shared) expect(Buffer.compare(Buffer.from(b), Buffer.from(local))).toBe(0)
  })

  it('concurrency 1 is the in-process encoder; larger sizes share one pool per size', async () => {
    expect((await encoderFor(1)).concurrency).toBe(1)
    const a = await encoderFor(3)
    expect(a.concurrency).toBe(3)
    expect(await encoderFor(3)).toBe(a)
  })
})
