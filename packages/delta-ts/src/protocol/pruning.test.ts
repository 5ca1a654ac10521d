import { describe, expect, it } from 'vitest'
import { DeltaError } from '../errors.js'
import { bindExpr } from './expr/bind.js'
import { parsePredicate } from './expr/parse.js'
import { col } from './expr/types.js'
import { type FileEntry, type FileStats, fileEntryOf } from './file-entry.js'
import {
  addColumns,
  fileMayMatch,
  type PruningContext,
  partitionMayMatch,
  pruneColumns,
  pruneFiles,
} from './pruning.js'
import type { StructType } from './schema.js'

const schema: StructType = {
  type: 'struct',
  fields: [
    { name: 'region', type: 'string', nullable: true },
    { name: 'day', type: 'date', nullable: true },
    { name: 'hour', type: 'timestamp', nullable: true },
    { name: 'bucket', type: 'integer', nullable: true },
    { name: 'flag', type: 'boolean', nullable: true },
    { name: 'id', type: 'long', nullable: true },
    { name: 'name', type: 'string', nullable: true },
    { name: 'score', type: 'double', nullable: true },
    { name: 'amount', type: 'decimal(10,2)', nullable: true },
    { name: 'wide', type: 'decimal(20,10)', nullable: true },
    { name: 'fl', type: 'float', nullable: true },
    { name: 'ts', type: 'timestamp', nullable: true },
    { name: 'd', type: 'date', nullable: true },
    {
      name: 'nested',
      type: { type: 'struct', fields: [{ name: 'inner', type: 'integer', nullable: true }] },
      nullable: true,
    },
  ],
}
const ctx: PruningContext = {
  schema,
  partitionColumns: ['region', 'day', 'hour', 'bucket', 'flag'],
  columnMappingMode: 'none',
}

let n = 0
function file(partitionValues: Record<string, string | null>, stats?: FileStats): FileEntry {
  const path = `part-${n++}.parquet`
  return {
    path,
    partitionValues,
    size: 1,
    modificationTime: 0,
    stats,
    add: { path, partitionValues, size: 1, modificationTime: 0, dataChange: true },
  }
}
const mayMatch = (sql: string, f: FileEntry, c: PruningContext = ctx) =>
  fileMayMatch(bindExpr(parsePredicate(sql), c.schema), f, c)
const partMatch = (sql: string, f: FileEntry) => partitionMayMatch(bindExpr(parsePredicate(sql), schema), f, ctx)

describe('partition pruning', () => {
  const f = file({ region: 'eu', day: '2024-03-01', hour: '2024-03-01 10:00:00', bucket: '7', flag: 'true' })

  it('compares strings, dates, integers and booleans by type', () => {
    expect(partMatch("region = 'eu'", f)).toBe(true)
    expect(partMatch("region = 'us'", f)).toBe(false)
    expect(partMatch("day >= '2024-01-01'", f)).toBe(true)
    expect(partMatch("day < '2024-03-01'", f)).toBe(false)
    // 7 < 10 numerically although '7' > '10' as strings.
    expect(partMatch('bucket < 10', f)).toBe(true)
    expect(partMatch('bucket IN (1, 4)', f)).toBe(false)
    expect(partMatch('flag', f)).toBe(true)
    expect(partMatch('NOT flag', f)).toBe(false)
  })

  it('reads both timestamp serializations as the same instant', () => {
    const iso = file({ hour: '2024-03-01T10:00:00.000000Z' })
    for (const g of [f, iso]) {
      expect(partMatch("hour = '2024-03-01 10:00:00'", g)).toBe(true)
      expect(partMatch("hour > '2024-03-01 10:00:00'", g)).toBe(false)
      expect(partMatch("hour >= '2024-03-01T09:30:00-01:00'", g)).toBe(false)
    }
  })

  it('treats a null partition (null or missing key) with three-valued logic', () => {
    const nul = file({ region: null })
    const missing = file({})
    for (const g of [nul, missing]) {
      expect(partMatch('region IS NULL', g)).toBe(true)
      expect(partMatch('region IS NOT NULL', g)).toBe(false)
      expect(partMatch("region = 'eu'", g)).toBe(false)
      expect(partMatch("NOT (region = 'eu')", g)).toBe(false)
      expect(partMatch("region NOT IN ('eu')", g)).toBe(false)
      expect(partMatch("region = 'eu' OR region IS NULL", g)).toBe(true)
    }
  })

  it('never prunes on data columns or unparsable partition values', () => {
    expect(partMatch('id = 5', f)).toBe(true)
    expect(partMatch('bucket = 1', file({ bucket: 'not-a-number' }))).toBe(true)
  })
})

describe('data skipping on stats', () => {
  const stats = (
    minValues: Record<string, unknown>,
    maxValues: Record<string, unknown>,
    nullCount: Record<string, unknown>,
    numRecords = 10,
    tightBounds?: boolean,
  ): FileStats => ({
    numRecords,
    minValues,
    maxValues,
    nullCount,
    ...(tightBounds === undefined ? {} : { tightBounds }),
  })

  it('skips by min/max for every comparison and keeps overlapping ranges', () => {
    const f = file({}, stats({ id: 10 }, { id: 20 }, { id: 0 }))
    expect(mayMatch('id = 15', f)).toBe(true)
    expect(mayMatch('id = 21', f)).toBe(false)
    expect(mayMatch('id < 10', f)).toBe(false)
    expect(mayMatch('id <= 10', f)).toBe(true)
    expect(mayMatch('id > 20', f)).toBe(false)
    expect(mayMatch('id >= 20', f)).toBe(true)
    expect(mayMatch('id IN (1, 2, 30)', f)).toBe(false)
    expect(mayMatch('id IN (1, 12)', f)).toBe(true)
    expect(mayMatch('id BETWEEN 21 AND 30', f)).toBe(false)
    expect(mayMatch('5 > id', f)).toBe(false)
  })

  it('decides IN lists of thousands of values by binary search with the same answers as item by item', () => {
    const list = Array.from({ length: 5000 }, (_, i) => BigInt(i * 10))
    const e = bindExpr(col('id').in(list), schema)
    const notIn = bindExpr(col('id').notIn(list), schema)
    for (const [lo, hi, expected] of [
      [1, 9, false], // between two items
      [95, 105, true], // contains 100
      [50000, 60000, false], // above every item
      [-5, -1, false], // below every item
      [49990, 49990, true], // exactly the last item
    ] as const) {
      const f = file({}, stats({ id: lo }, { id: hi }, { id: 0 }))
      expect(fileMayMatch(e, f, ctx), `[${lo}, ${hi}]`).toBe(expected)
    }
    // NOT IN is excluded only when every row equals one item.
    expect(fileMayMatch(notIn, file({}, stats({ id: 100 }, { id: 100 }, { id: 0 })), ctx)).toBe(false)
    expect(fileMayMatch(notIn, file({}, stats({ id: 100 }, { id: 101 }, { id: 0 })), ctx)).toBe(true)
    // A string item extending a possibly truncated max is kept; NaN items are checked against hidden NaNs.
    expect(mayMatch("name IN ('zz', 'abcz')", file({}, stats({ name: 'a' }, { name: 'abc' }, { name: 0 })))).toBe(true)
    expect(mayMatch("name IN ('zz', 'abd')", file({}, stats({ name: 'a' }, { name: 'abc' }, { name: 0 })))).toBe(false)
    expect(mayMatch("score IN (100, 'NaN')", file({}, stats({ score: 1 }, { score: 5 }, { score: 0 })))).toBe(true)
    expect(mayMatch('score IN (100, 200)', file({}, stats({ score: 1 }, { score: 5 }, { score: 0 })))).toBe(false)
  })

  it('uses nullCount and numRecords for IS NULL, all-null columns, != and NOT', () => {
    const noNulls = file({}, stats({ id: 1 }, { id: 1 }, { id: 0 }))
    expect(mayMatch('id IS NULL', noNulls)).toBe(false)
    expect(mayMatch('id != 1', noNulls)).toBe(false)
    expect(mayMatch('NOT (id = 1)', noNulls)).toBe(false)
    expect(mayMatch('id NOT IN (1, 2)', noNulls)).toBe(false)
    const allNull = file({}, stats({}, {}, { id: 10 }))
    expect(mayMatch('id IS NOT NULL', allNull)).toBe(false)
    expect(mayMatch('id = 1 OR NOT (id = 1)', allNull)).toBe(false)
    expect(mayMatch('id IS NULL', allNull)).toBe(true)
    expect(mayMatch('id = 1', file({}, { numRecords: 0 }))).toBe(false)
  })

  it('keeps files without stats or without the column in stats', () => {
    expect(mayMatch('id = 99', file({}))).toBe(true)
    expect(mayMatch('id = 99', file({}, { numRecords: 5 }))).toBe(true)
    expect(mayMatch('id = 99', file({}, stats({ name: 'a' }, { name: 'b' }, {})))).toBe(true)
  })

  it('never excludes a literal that extends a possibly truncated string max', () => {
    // A writer that truncated 'abcdef' to the prefix 'abc' without a tie-breaker.
    const f = file({}, stats({ name: 'aaa' }, { name: 'abc' }, { name: 0 }))
    expect(mayMatch("name = 'abcdef'", f)).toBe(true)
    expect(mayMatch("name > 'abc'", f)).toBe(true)
    expect(mayMatch("name LIKE 'abcd%'", f)).toBe(true)
    expect(mayMatch("name > 'abd'", f)).toBe(false)
    expect(mayMatch("name = 'abd'", f)).toBe(false)
    expect(mayMatch("name LIKE 'b%'", f)).toBe(false)
    expect(mayMatch("name LIKE '%b'", f)).toBe(true)
    expect(mayMatch("name < 'aaa'", f)).toBe(false)
    expect(mayMatch("name LIKE 'a%'", f)).toBe(true)
    // min = max = 'ab' may be the truncation of longer values, so != 'ab' cannot be excluded.
    const same = file({}, stats({ name: 'ab' }, { name: 'ab' }, { name: 0 }))
    expect(mayMatch("name != 'ab'", same)).toBe(true)
    expect(mayMatch("name = 'ab'", same)).toBe(true)
    // Spark-style tie-breaker max: prefix + U+10FFFF bounds every continuation of the prefix.
    const spark = file({}, stats({ name: 'a' }, { name: 'abc\u{10FFFF}' }, { name: 0 }))
    expect(mayMatch("name = 'abczzz'", spark)).toBe(true)
    expect(mayMatch("name = 'abd'", spark)).toBe(false)
  })

  it('orders strings by code point (UTF-8), not UTF-16 units', () => {
    // U+FFFD < U+1F600 in UTF-8, but '\uFFFD' > '\uD83D' in UTF-16 code units.
    const f = file({}, stats({ name: '\uFFFD' }, { name: '\uFFFD' }, { name: 0 }))
    expect(mayMatch("name < '\u{1F600}'", f)).toBe(true)
    expect(mayMatch("name > '\u{1F600}'", f)).toBe(false)
  })

  it('widens millisecond-truncated timestamp bounds by 1 ms', () => {
    const f = file({}, stats({ ts: '2024-01-01T00:00:00.123Z' }, { ts: '2024-01-01T00:00:00.123Z' }, { ts: 0 }))
    expect(mayMatch("ts = '2024-01-01 00:00:00.123456'", f)).toBe(true)
    expect(mayMatch("ts > '2024-01-01 00:00:00.123001'", f)).toBe(true)
    expect(mayMatch("ts > '2024-01-01 00:00:00.125'", f)).toBe(false)
    expect(mayMatch("ts < '2024-01-01 00:00:00.121'", f)).toBe(false)
    // An offset in the stats string is honoured.
    const off = file(
      {},
      stats({ ts: '2024-01-01T01:00:00.000+01:00' }, { ts: '2024-01-01T01:00:00.000+01:00' }, { ts: 0 }),
    )
    expect(mayMatch("ts > '2024-01-01 00:00:01'", off)).toBe(false)
  })

  it('does not trust a float max against conditions a hidden NaN could satisfy', () => {
    const f = file({}, stats({ score: 1 }, { score: 5 }, { score: 0 }))
    expect(mayMatch('score > 10', f)).toBe(true)
    expect(mayMatch("score = 'NaN'", f)).toBe(true)
    expect(mayMatch('score = 10', f)).toBe(false)
    expect(mayMatch('score < 1', f)).toBe(false)
  })

  it('reads decimals, dates and nested struct stats', () => {
    const f = file(
      {},
      stats(
        { amount: 10.5, d: '2024-01-10', nested: { inner: 3 } },
        { amount: 99.99, d: '2024-01-20', nested: { inner: 9 } },
        { amount: 0, d: 0, nested: { inner: 0 } },
      ),
    )
    // Decimal bounds that arrive as doubles are widened by a few ulps, so only a literal beyond them skips.
    expect(mayMatch('amount < 10.49', f)).toBe(false)
    expect(mayMatch('amount <= 10.50', f)).toBe(true)
    expect(mayMatch('amount > 100', f)).toBe(false)
    expect(mayMatch('amount > 99.98', f)).toBe(true)
    expect(mayMatch("d > '2024-01-20'", f)).toBe(false)
    expect(mayMatch("d = '2024-01-15'", f)).toBe(true)
    expect(mayMatch('nested.inner > 9', f)).toBe(false)
    expect(mayMatch('nested.inner = 5', f)).toBe(true)
    expect(mayMatch('nested.inner IS NULL', f)).toBe(false)
  })

  it('ignores long and decimal bounds that a double cannot hold exactly', () => {
    // What JSON.parse makes of a long beyond 2^53 written by a writer.
    const parsed = JSON.parse('9007199254740993') as number
    const big = file({}, stats({ id: parsed }, { id: parsed }, { id: 0 }))
    expect(mayMatch('id = 9007199254740993', big)).toBe(true)
    expect(mayMatch('id = 1', big)).toBe(true)
    // JSON.parse turns the exact -9999999999.9999999999 into the double -1e10.
    const w = JSON.parse('-9999999999.9999999999') as number
    const wide = file({}, stats({ wide: w }, { wide: w }, { wide: 0 }))
    expect(mayMatch('wide = -9999999999.9999999999', wide)).toBe(true)
    expect(mayMatch('wide IN (-9999999999.9999999999, 3)', wide)).toBe(true)
    expect(mayMatch('wide > -9999999999', wide)).toBe(false)
  })

  it('reads float bounds back as float32 values', () => {
    // The float 1.1f is written as 1.1 but is 1.100000023841858 as a double, which is > 1.1.
    const f = file({}, stats({ fl: 1.1 }, { fl: 1.1 }, { fl: 0 }))
    expect(mayMatch('fl > 1.1', f)).toBe(true)
    expect(mayMatch('fl < 1.1', f)).toBe(false)
  })

  it('keeps using bounds when tightBounds is false (deletion vectors)', () => {
    const f = file({}, stats({ id: 10 }, { id: 20 }, { id: 0 }, 10, false))
    expect(mayMatch('id > 20', f)).toBe(false)
    expect(mayMatch('id = 15', f)).toBe(true)
  })

  it('looks up stats by physical names under column mapping', () => {
    const mapped: StructType = {
      type: 'struct',
      fields: [
        { name: 'id', type: 'long', nullable: true, metadata: { 'delta.columnMapping.physicalName': 'col-1a2b' } },
        {
          name: 's',
          type: {
            type: 'struct',
            fields: [
              {
                name: 'x',
                type: 'integer',
                nullable: true,
                metadata: { 'delta.columnMapping.physicalName': 'col-3c' },
              },
            ],
          },
          nullable: true,
          metadata: { 'delta.columnMapping.physicalName': 'col-2b' },
        },
        { name: 'p', type: 'integer', nullable: true, metadata: { 'delta.columnMapping.physicalName': 'col-9p' } },
      ],
    }
    const mctx: PruningContext = { schema: mapped, partitionColumns: ['p'], columnMappingMode: 'name' }
    const f = file(
      { 'col-9p': '3' },
      stats({ 'col-1a2b': 1, 'col-2b': { 'col-3c': 5 } }, { 'col-1a2b': 2, 'col-2b': { 'col-3c': 6 } }, {}),
    )
    expect(mayMatch('id > 2', f, mctx)).toBe(false)
    expect(mayMatch('id = 2', f, mctx)).toBe(true)
    expect(mayMatch('s.x < 5', f, mctx)).toBe(false)
    expect(mayMatch('p = 3', f, mctx)).toBe(true)
    expect(mayMatch('p = 4', f, mctx)).toBe(false)
  })

  it('rejects an unbound expression with INVALID_ARGUMENT', () => {
    const f = file({})
    expect(() => fileMayMatch(col('id').eq(1), f, ctx)).toThrow(DeltaError)
    try {
      fileMayMatch(col('id').eq(1), f, ctx)
    } catch (err) {
      expect((err as DeltaError).code).toBe('INVALID_ARGUMENT')
    }
  })
})

describe('pruneFiles', () => {
  it('counts files pruned by partition, skipped by stats and kept, in input order', () => {
    const files = [
      file({ region: 'us' }, { numRecords: 3, minValues: { id: 1 }, maxValues: { id: 3 }, nullCount: { id: 0 } }),
      file({ region: 'eu' }, { numRecords: 3, minValues: { id: 1 }, maxValues: { id: 3 }, nullCount: { id: 0 } }),
      file({ region: 'eu' }, { numRecords: 3, minValues: { id: 5 }, maxValues: { id: 9 }, nullCount: { id: 0 } }),
      file({ region: 'eu' }),
      file({ region: 'eu' }, { numRecords: 0 }),
    ]
    const { files: kept, stats } = pruneFiles(files, bindExpr(parsePredicate("region = 'eu' AND id >= 5"), schema), ctx)
    expect(kept.map((f) => f.path)).toEqual([files[2].path, files[3].path])
    expect(stats).toEqual({ total: 5, prunedByPartition: 1, skippedByStats: 2, kept: 2 })
  })
})

describe('columnar pruning when the partition filter keeps few files (stats read file by file)', () => {
  it('decides as per-file pruning, for every comparison, over JSON stats (some malformed, some absent)', () => {
    // 32 buckets x 8 files: a bucket filter keeps 8 of 256 files (under a sixteenth), so the stats phase reads
    // just those files' stats instead of building columns of all 256.
    let seed = 3
    const rand = (k: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648
      return seed % k
    }
    const adds = Array.from({ length: 256 }, (_, k) => {
      const lo = rand(100) - 50
      const hi = lo + rand(20)
      const text = JSON.stringify({
        numRecords: rand(5) === 0 ? 0 : 10,
        minValues: { id: lo, score: lo / 4, d: '2024-01-01', name: `n${lo}` },
        maxValues: { id: hi, score: hi / 4, d: '2024-02-01', name: `n${hi}` },
        nullCount: { id: rand(3) === 0 ? 10 : 0, score: 0 },
      })
      const stats = k % 7 === 3 ? text.slice(0, -1) : k % 11 === 5 ? undefined : text
      return {
        path: `f${k}`,
        partitionValues: { region: 'eu', day: '2024-01-01', hour: null, bucket: String(k % 32), flag: 'true' },
        size: 1,
        modificationTime: 0,
        dataChange: true,
        stats,
      }
    })
    const entries = adds.map(fileEntryOf)
    let checked = 0
    for (const b of [0, 3, 17])
      for (const cond of [
        'id < 0',
        'id >= 10',
        'id = 5',
        'id != 5',
        'id IS NULL',
        'score > 3.5',
        "name > 'n3'",
        "d < '2024-01-15'",
      ]) {
        const expr = bindExpr(parsePredicate(`bucket = ${b} AND ${cond}`), schema)
        const want = pruneFiles(entries, expr, ctx)
        const got = pruneColumns(addColumns(adds, ctx), expr, ctx)
        expect(got.stats, cond).toEqual(want.stats)
        expect(
          entries.filter((_, i) => got.keep[i] === 1),
          cond,
        ).toEqual(want.files)
        expect(want.stats.prunedByPartition).toBe(248)
        checked += want.stats.skippedByStats
      }
    // Not vacuous: the stats phase skipped files.
    expect(checked).toBeGreaterThan(24)
  })
})
