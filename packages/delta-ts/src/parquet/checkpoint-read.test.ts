import { readFileSync } from 'node:fs'
import * as arrow from 'apache-arrow'
import { describe, expect, it } from 'vitest'
import { goldenRoot } from '../../test/golden.js'
import { CheckpointFiles } from '../arrow/file-actions.js'
import { takeRows } from '../arrow/take.js'
import { buildCheckpoint } from '../core/checkpoint-writer.js'
import type { Action } from '../protocol/actions.js'
import type { FileEntry } from '../protocol/file-entry.js'
import { MemoryStorage } from '../storage/memory.js'
import { readParquetActions, readParquetCheckpoint } from './checkpoint-read.js'
import { defaultDecoder, type ParquetDecoder } from './decoder.js'
import { openParquet } from './read.js'
import { writeParquet } from './write.js'

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

describe('readParquetCheckpoint over many row groups', () => {
  it('finds every action whatever row group holds it; adds read back whole, one partitionValues object per partition', async () => {
    const schemaString = JSON.stringify({
      type: 'struct',
      fields: [{ name: 'day', type: 'string', nullable: true, metadata: {} }],
    })
    const adds: Action[] = Array.from({ length: 9 }, (_, i) => ({
      add: {
        path: `day=d${i % 3}/part-${i}.parquet`,
        partitionValues: { day: `d${i % 3}` },
        size: 100 + i,
        modificationTime: 1_700_000_000_000 + i,
        dataChange: true,
        stats: `{"numRecords":${i}}`,
      },
    }))
    const others: Action[] = [
      { protocol: { minReaderVersion: 1, minWriterVersion: 2 } },
      {
        metaData: {
          id: 'x',
          format: { provider: 'parquet', options: {} },
          schemaString,
          partitionColumns: ['day'],
          configuration: {},
        },
      },
      { txn: { appId: 'job', version: 3 } },
      { remove: { path: 'day=d0/old.parquet', deletionTimestamp: 5, dataChange: true } },
    ]
    const { parquet } = buildCheckpoint([...others, ...adds], { version: 1 })
    // Rewritten with row groups of 2 rows, the non-add actions last: a txn and a remove share a group with adds.
    const mem = new MemoryStorage()
    await mem.put('one.parquet', parquet)
    const reader = await openParquet(mem, 'one.parquet')
    const batches = await reader.decodeRowGroup(
      0,
      reader.schema.fields.map((f) => f.name),
    )
    const table = new arrow.Table(batches)
    const n = table.numRows
    const order = Int32Array.from([...Array(n).keys()].map((i) => (i + 4) % n))
    const reordered = new arrow.Table(takeRows(table.batches[0], order))
    await mem.put('many.parquet', writeParquet(reordered, { maxRowGroupRows: 2, dictionary: false, codec: 'snappy' }))
    expect((await openParquet(mem, 'many.parquet')).rowGroups.length).toBe(Math.ceil(n / 2))
    const { actions, adds: addData } = await readParquetCheckpoint(mem, 'many.parquet')
    expect(actions.map((a) => Object.keys(a)[0]).sort()).toEqual(['metaData', 'protocol', 'remove', 'txn'])
    expect(actions.find((a) => a.txn)?.txn).toMatchObject({ appId: 'job', version: 3 })
    expect(actions.find((a) => a.remove)?.remove?.path).toBe('day=d0/old.parquet')
    const files = new CheckpointFiles(addData, 'many.parquet')
    expect(files.length).toBe(9)
    const entries: FileEntry[] = []
    files.liveEntries(undefined, entries)
    const byPath = new Map(entries.map((e) => [e.path, e]))
    expect([...byPath.keys()].sort()).toEqual(adds.map((a) => a.add?.path).sort())
    adds.forEach((a, i) => {
      const e = byPath.get(a.add?.path as string)
      expect([e?.size, e?.modificationTime, e?.partitionValues, e?.stats?.numRecords]).toEqual([
        a.add?.size,
        a.add?.modificationTime,
        a.add?.partitionValues,
        i,
      ])
    })
    // Files of one partition share their partitionValues object.
    const pv = (i: number) => byPath.get(`day=d${i % 3}/part-${i}.parquet`)?.partitionValues
    expect(pv(0)).toBe(pv(3))
    expect(pv(0)).not.toBe(pv(1))
  })
})
