import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import * as arrow from 'apache-arrow'
import { afterAll, describe, expect, it } from 'vitest'
import { DeltaTable, type FileEntry } from '../src/index.js'

/**
 * Writes on the encode pool: the same rows written single-threaded (`concurrency: 1`, the caller's thread) and
 * on 4 worker threads must give the same files (byte for byte), the same add actions in the same order, and
 * the same bytes read back.
 */
const root = mkdtempSync(path.join(tmpdir(), 'delta-ts-write-pool-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

const N = 30_000
const DAYS = 7

function input(): arrow.Table {
  const id = new BigInt64Array(N)
  const date = new Int32Array(N)
  const amount = new Uint32Array(N * 4)
  const ts = new BigInt64Array(N)
  const names: (string | null)[] = []
  const inner: (number | null)[] = []
  for (let i = 0; i < N; i++) {
    id[i] = BigInt(i) * 1_000_003n - 7n
    date[i] = 19_700 + ((i * 7919) % DAYS)
    const cents = BigInt((i * 104_729) % 10_000_000) - 5_000_000n
    const u = BigInt.asUintN(128, cents)
    for (let w = 0; w < 4; w++) amount[i * 4 + w] = Number((u >> BigInt(32 * w)) & 0xffffffffn)
    ts[i] = 1_700_000_000_000_000n + BigInt(i) * 1_234_567n
    names.push(i % 11 === 0 ? null : `name-${(i * 31) % 977}-${'é'.repeat(i % 5)}`)
    inner.push(i % 13 === 0 ? null : i % 1000)
  }
  const struct = new arrow.Struct([new arrow.Field('x', new arrow.Int32(), true)])
  return new arrow.Table({
    id: arrow.makeVector(id),
    date: arrow.makeVector(arrow.makeData({ type: new arrow.DateDay(), length: N, data: date })),
    amount: arrow.makeVector(arrow.makeData({ type: new arrow.Decimal(2, 12, 128), length: N, data: amount })),
    ts: arrow.makeVector(arrow.makeData({ type: new arrow.TimestampMicrosecond('UTC'), length: N, data: ts })),
    name: arrow.vectorFromArray(names, new arrow.Utf8()),
    s: arrow.makeVector(
      arrow.makeData({
        type: struct,
        length: N,
        nullCount: 0,
        children: [arrow.vectorFromArray(inner, new arrow.Int32()).data[0]],
      }),
    ),
  })
}

async function writeWith(concurrency: number, partitionBy: string[]) {
  const dir = path.join(root, `c${concurrency}-${partitionBy.join('_') || 'none'}`)
  const data = input()
  await DeltaTable.create(dir, { schema: data.schema, partitionBy })
  const table = await DeltaTable.open(dir)
  // Small files: several files per partition, so files roll while earlier ones are still encoding.
  await table.write(data, { concurrency, targetFileSize: 64 * 1024 })
  const snap = await table.snapshot()
  const files = await snap.files()
  // Order by the file index in the name (part-<index>-<uuid>): the order the writer flushed them in.
  const index = (f: FileEntry) => Number(/part-(\d{5})-/.exec(f.path)?.[1])
  const ordered = [...files].sort((a, b) => index(a) - index(b))
  const scanned = await snap.scan().toArrow()
  return {
    files: ordered.map((f) => ({
      index: index(f),
      dir: path.dirname(f.path),
      partitionValues: f.partitionValues,
      stats: f.stats,
      size: f.size,
      bytes: readFileSync(path.join(dir, f.path)),
    })),
    scanned: arrow.tableToIPC(scanned, 'stream'),
    rows: scanned.numRows,
  }
}

describe('writes on the encode pool', () => {
  it.each([[[] as string[]], [['date']]])(
    'partitionBy %j: 1 and 4 workers write byte-identical files, the same adds in order and the same rows',
    async (partitionBy) => {
      const one = await writeWith(1, partitionBy)
      const four = await writeWith(4, partitionBy)
      expect(one.rows).toBe(N)
      expect(one.files.length).toBeGreaterThan(partitionBy.length ? DAYS : 1)
      expect(four.files.map((f) => f.index)).toEqual(one.files.map((f) => f.index))
      for (let k = 0; k < one.files.length; k++) {
        const a = one.files[k]
        const b = four.files[k]
        expect({ dir: b.dir, pv: b.partitionValues, stats: b.stats, size: b.size }).toEqual({
          dir: a.dir,
          pv: a.partitionValues,
          stats: a.stats,
          size: a.size,
        })
        expect(Buffer.compare(a.bytes, b.bytes)).toBe(0)
      }
      expect(Buffer.compare(Buffer.from(one.scanned), Buffer.from(four.scanned))).toBe(0)
    },
  )

  it('rejects a concurrency that is not a positive integer with INVALID_ARGUMENT', async () => {
    const dir = path.join(root, 'bad')
    const data = input()
    await DeltaTable.create(dir, { schema: data.schema })
    const table = await DeltaTable.open(dir)
    await expect(table.write(data, { concurrency: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(table.write(data, { concurrency: 1.5 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
  })
})
