import * as arrow from 'apache-arrow'
import { describe, expect, it } from 'vitest'
import type { StructType } from '../protocol/schema.js'
import { readData, rowsToArrow } from '../testing/arrow.js'
import { batchesFromColumns, concatBatches, concatData } from './concat.js'
import { scalarKey } from './hash.js'
import { groupRows, mostlyUniqueColumns } from './partition.js'
import { scalarReader, vectorScalarReader } from './scalar.js'
import { splitData, takeData } from './take.js'

/** The Arrow kernels of arrow/ on every layout a Delta table holds. */
const schema: StructType = {
  type: 'struct',
  fields: [
    ['b', 'boolean'],
    ['i', 'integer'],
    ['l', 'long'],
    ['d', 'double'],
    ['s', 'string'],
    ['bin', 'binary'],
    ['dt', 'date'],
    ['ts', 'timestamp'],
    ['dec', 'decimal(20,3)'],
    ['arr', { type: 'array', elementType: 'string', containsNull: true }],
    ['m', { type: 'map', keyType: 'string', valueType: 'long', valueContainsNull: true }],
    ['st', { type: 'struct', fields: [{ name: 'x', type: 'integer', nullable: true, metadata: {} }] }],
  ].map(([name, type]) => ({ name: name as string, type: type as never, nullable: true, metadata: {} })),
}

function rows(n: number): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) =>
    i % 7 === 3
      ? {}
      : {
          b: i % 2 === 0,
          i: i * 3 - 50,
          l: BigInt(i) * 10_000_000_000n - 7n,
          d: i / 3,
          s: `v${i % 5}-${'é'.repeat(i % 3)}`,
          bin: Uint8Array.of(i & 255, 7),
          dt: '2024-01-01',
          ts: 1_700_000_000_123_456n + BigInt(i),
          dec: `${i}.125`,
          arr: i % 3 === 0 ? null : [`a${i}`, null],
          m: { [`k${i}`]: BigInt(i) },
          st: i % 4 === 0 ? null : { x: i },
        },
  )
}

const table = rowsToArrow(rows(101), schema)
const batch = table.batches[0]

function columnValues(data: arrow.Data, k: number): unknown[] {
  return readData(data, schema.fields[k].type)
}

describe('concatData', () => {
  it('joins sliced chunks of every layout into one offset-0 Data holding the same values', () => {
    const cuts = [0, 1, 9, 40, 41, 101]
    const pieces = cuts.slice(1).map((end, k) => batch.slice(cuts[k], end))
    schema.fields.forEach((_, k) => {
      const joined = concatData(pieces.map((p) => p.data.children[k]))
      expect(joined.offset).toBe(0)
      expect(joined.length).toBe(101)
      expect(columnValues(joined, k)).toEqual(columnValues(batch.data.children[k], k))
    })
    const all = concatBatches(batch.schema, pieces)
    expect(all.numRows).toBe(101)
  })
})

describe('batchesFromColumns', () => {
  it('zips alike-chunked columns into batches without copying, and joins differently chunked ones into one batch', () => {
    const cuts = [0, 30, 31, 101]
    const chunked = (k: number) => cuts.slice(1).map((end, c) => batch.data.children[k].slice(cuts[c], end - cuts[c]))
    const columns = schema.fields.map((_, k) => chunked(k))
    const zipped = batchesFromColumns(batch.schema, columns)
    expect(zipped.map((b) => b.numRows)).toEqual([30, 1, 70])
    expect(zipped[2].data.children[4]).toBe(columns[4][2])
    // One column in a single chunk: every column is joined into one contiguous chunk.
    const mixed = batchesFromColumns(batch.schema, [[batch.data.children[0]], ...columns.slice(1)])
    expect(mixed.map((b) => b.numRows)).toEqual([101])
    schema.fields.forEach((_, k) => {
      expect(columnValues(mixed[0].data.children[k], k)).toEqual(columnValues(batch.data.children[k], k))
    })
    // Zero rows keep one empty batch, so that nested column types keep their children.
    const empty = batchesFromColumns(
      batch.schema,
      schema.fields.map((_, k) => [batch.data.children[k].slice(0, 0)]),
    )
    expect(empty.map((b) => [b.numRows, b.data.children.length])).toEqual([[0, schema.fields.length]])
  })
})

describe('takeData', () => {
  it('gathers rows in any order with repeats, values exact for every layout', () => {
    const idx = Int32Array.from([100, 0, 3, 3, 57, 1])
    schema.fields.forEach((_, k) => {
      const all = columnValues(batch.data.children[k], k)
      expect(columnValues(takeData(batch.data.children[k], idx), k)).toEqual(Array.from(idx, (i) => all[i]))
    })
  })

  it('gathers rows of a sliced column (offset into its buffers) exactly', () => {
    const sliced = batch.slice(13, 80)
    const idx = Int32Array.from([66, 0, 5, 40])
    schema.fields.forEach((_, k) => {
      const all = columnValues(batch.data.children[k], k)
      const got = columnValues(takeData(sliced.data.children[k], idx), k)
      expect(got).toEqual(Array.from(idx, (i) => all[i + 13]))
    })
  })
})

describe('splitData', () => {
  it('splits every layout by group in row order, the same values as a take of each group, sliced input too', () => {
    for (const [from, to] of [
      [0, 101],
      [13, 80],
    ]) {
      const part = batch.slice(from, to)
      const n = to - from
      const gid = Int32Array.from({ length: n }, (_, i) => (i * 7 + (i >> 2)) % 3)
      const counts = new Int32Array(3)
      for (const g of gid) counts[g]++
      const rowsOf = [0, 1, 2].map((g) => Int32Array.from({ length: n }, (_, i) => i).filter((i) => gid[i] === g))
      schema.fields.forEach((_, k) => {
        const parts = splitData(part.data.children[k], gid, counts)
        expect(parts.map((d) => d.length)).toEqual([...counts])
        const all = columnValues(batch.data.children[k], k)
        parts.forEach((d, g) => {
          expect(d.offset).toBe(0)
          expect(columnValues(d, k)).toEqual(Array.from(rowsOf[g], (i) => all[i + from]))
        })
      })
    }
  })
})

describe('scalarReader and scalarKey', () => {
  it('reads exact values: int64 and µs timestamps as bigint, dates as days, decimals unscaled', () => {
    const read = (name: string) => scalarReader(batch.getChild(name)!.data[0])
    expect(read('l')(5)).toBe(49_999_999_993n)
    expect(read('ts')(5)).toBe(1_700_000_000_123_461n)
    expect(read('dt')(5)).toBe(19_723)
    expect(read('dec')(5)).toEqual({ unscaled: 5125n, scale: 3 })
    expect(read('s')(3)).toBeNull()
    const chunked = new arrow.Vector([batch.slice(0, 50).data.children[2], batch.slice(50, 101).data.children[2]])
    expect(vectorScalarReader(chunked)(60)).toBe(599_999_999_993n)
  })

  it('gives equal keys to equal SQL values across widths and decimal scales, distinct keys otherwise', () => {
    expect(scalarKey(1)).toBe(scalarKey(1n))
    expect(scalarKey({ unscaled: 150n, scale: 2 })).toBe(scalarKey({ unscaled: 15n, scale: 1 }))
    expect(scalarKey({ unscaled: 100n, scale: 2 })).toBe(scalarKey(1n))
    expect(scalarKey('1')).not.toBe(scalarKey(1))
    expect(scalarKey(1.5)).not.toBe(scalarKey('1.5'))
    expect(scalarKey(Uint8Array.of(1, 2))).not.toBe(scalarKey(Uint8Array.of(1, 2, 0)))
  })
})

describe('groupRows', () => {
  it('numbers groups by first appearance and lists each group’s rows ascending, nulls in their own group', () => {
    const key = arrow.vectorFromArray([3, 1, 3, null, 1, 2, null], new arrow.Int32()).data[0]
    const g = groupRows([key], 7)
    expect(g.rows.map((r) => [...r])).toEqual([[0, 2], [1, 4], [3, 6], [5]])
    expect([...g.first]).toEqual([0, 1, 3, 5])
  })

  it('groups on several columns and on the fast Int32 path alike', () => {
    const a = arrow.vectorFromArray([1, 1, 2, 2, 1], new arrow.Int32()).data[0]
    const b = arrow.vectorFromArray(['x', 'y', 'x', 'x', 'x'], new arrow.Utf8()).data[0]
    expect(groupRows([a, b], 5).rows.map((r) => [...r])).toEqual([[0, 4], [1], [2, 3]])
    expect(groupRows([a], 5).rows.map((r) => [...r])).toEqual([
      [0, 1, 4],
      [2, 3],
    ])
    expect(groupRows([], 3).rows.map((r) => [...r])).toEqual([[0, 1, 2]])
  })
})

describe('mostlyUniqueColumns', () => {
  it('names the flat columns whose sampled values are mostly distinct, not low-cardinality or nested ones', () => {
    const n = 10_000
    const t = new arrow.Table({
      id: arrow.vectorFromArray(
        Array.from({ length: n }, (_, i) => i),
        new arrow.Int32(),
      ),
      status: arrow.vectorFromArray(
        Array.from({ length: n }, (_, i) => ['a', 'b', 'c'][i % 3]),
        new arrow.Utf8(),
      ),
      note: arrow.vectorFromArray(
        Array.from({ length: n }, (_, i) => `n${i * 7}`),
        new arrow.Utf8(),
      ),
    })
    expect(mostlyUniqueColumns(concatBatches(t.schema, t.batches))).toEqual(['id', 'note'])
    expect(mostlyUniqueColumns(batch)).toEqual([]) // too few rows to judge
  })
})
