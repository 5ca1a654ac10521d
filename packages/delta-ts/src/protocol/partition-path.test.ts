import { readdirSync, readFileSync } from 'node:fs'
import * as path from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { goldenRoot } from '../../test/golden.js'
import { decodeActionPath } from './actions.js'
import {
  checkPartitionPath,
  encodeLogPath,
  escapePartitionPathName,
  HIVE_DEFAULT_PARTITION,
  parsePartitionPath,
  partitionPath,
  unescapePartitionPathName,
} from './partition-path.js'

/** Every add of a golden table's JSON commits: [path as logged, partitionValues, partition column order]. */
function goldenAdds(
  table: string,
): { path: string; partitionValues: Record<string, string | null>; columns: string[] }[] {
  const log = path.join(goldenRoot(), table, 'delta', '_delta_log')
  let columns: string[] = []
  const out: { path: string; partitionValues: Record<string, string | null>; columns: string[] }[] = []
  for (const f of readdirSync(log)
    .filter((n) => n.endsWith('.json'))
    .sort()) {
    for (const line of readFileSync(path.join(log, f), 'utf8').split('\n').filter(Boolean)) {
      const a = JSON.parse(line)
      if (a.metaData) columns = a.metaData.partitionColumns
      if (a.add) out.push({ path: a.add.path, partitionValues: a.add.partitionValues, columns })
    }
  }
  return out
}

describe('partitionPath', () => {
  it('escapes Hive special characters and keeps unicode and spaces in the directory name', () => {
    expect(partitionPath(['p'], { p: 'a:b/c=d?e%f#g' })).toBe('p=a%3Ab%2Fc%3Dd%3Fe%25f%23g')
    expect(partitionPath(['p'], { p: 'a b+é😈' })).toBe('p=a b+é😈')
    expect(escapePartitionPathName('"\'*\\{[]^\u0001\u007f')).toBe('%22%27%2A%5C%7B%5B%5D%5E%01%7F')
  })

  it('maps null, undefined and empty values to __HIVE_DEFAULT_PARTITION__ and joins columns in order', () => {
    expect(partitionPath(['a', 'b', 'c'], { a: null, b: '', c: 'x' })).toBe(
      `a=${HIVE_DEFAULT_PARTITION}/b=${HIVE_DEFAULT_PARTITION}/c=x`,
    )
    expect(partitionPath(['b', 'a'], { a: '1', b: '2' })).toBe('b=2/a=1')
    expect(partitionPath([], {})).toBe('')
  })

  it('escapes the column name too', () => {
    expect(partitionPath(['a=b'], { 'a=b': '1' })).toBe('a%3Db=1')
  })
})

describe('encodeLogPath', () => {
  it('percent-encodes the already-escaped directory once more, like Spark (":" ends up as %253A)', () => {
    expect(encodeLogPath(partitionPath(['ts'], { ts: '2021-09-08 11:11:11' }) + '/f.parquet')).toBe(
      'ts=2021-09-08%2011%253A11%253A11/f.parquet',
    )
  })

  it('keeps non-ASCII letters and emoji verbatim but encodes non-ASCII spaces and controls', () => {
    expect(encodeLogPath('data=😈/é')).toBe('data=😈/é')
    expect(encodeLogPath('a\u00a0b\u0085c\u3000')).toBe('a%C2%A0b%C2%85c%E3%80%80')
  })

  it('reproduces the add.path Spark wrote for every add in golden tables with escaped characters', () => {
    const tables = [
      'kernel-rs-golden/data-reader-escaped-chars',
      'dat/multi_partitioned',
      'kernel-rs-golden/data-reader-partition-values',
    ]
    let checked = 0
    for (const t of tables) {
      for (const add of goldenAdds(t)) {
        const dir = add.path.slice(0, add.path.lastIndexOf('/'))
        const file = add.path.slice(add.path.lastIndexOf('/') + 1)
        const expected = encodeLogPath(partitionPath(add.columns, add.partitionValues)) + '/' + file
        expect(expected).toBe(add.path)
        // And decoding the log path then un-escaping the directory gives the partition values back.
        expect(parsePartitionPath(decodeActionPath(dir))).toEqual(
          Object.fromEntries(
            add.columns.map((c) => [c, add.partitionValues[c] === '' ? null : add.partitionValues[c]]),
          ),
        )
        checked++
      }
    }
    expect(checked).toBeGreaterThanOrEqual(8)
  })
})

describe('round trips', () => {
  const noLoneSurrogate = (s: string) => !/\p{Cs}/u.test(s)
  it('value → directory → log path → decode → unescape returns the original value for any unicode string', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', minLength: 1 }).filter(noLoneSurrogate),
        fc.string({ unit: 'binary', minLength: 1 }).filter(noLoneSurrogate),
        (v1, v2) => {
          const dir = partitionPath(['c1', 'c 2'], { c1: v1, 'c 2': v2 })
          const logged = encodeLogPath(`${dir}/part-0.parquet`)
          const decoded = decodeActionPath(logged)
          expect(decoded).toBe(`${dir}/part-0.parquet`)
          expect(parsePartitionPath(decoded)).toEqual({ c1: v1, 'c 2': v2 })
          // The directory never gains an extra path segment, whatever the value holds.
          expect(dir.split('/')).toHaveLength(2)
        },
      ),
      { numRuns: 500 },
    )
  })

  it('unescape keeps a percent sign that is not followed by two hex digits', () => {
    expect(unescapePartitionPathName('100%')).toBe('100%')
    expect(unescapePartitionPathName('%zz%41')).toBe('%zzA')
  })
})

describe('checkPartitionPath', () => {
  it('accepts a segment of exactly 255 UTF-8 bytes and refuses 256, counting escapes and multi-byte characters', () => {
    expect(() => checkPartitionPath(['p'], { p: 'x'.repeat(253) })).not.toThrow()
    expect(() => checkPartitionPath(['p'], { p: 'x'.repeat(254) })).toThrow(/256 UTF-8 bytes/)
    // '/' escapes to %2F: 84 × 3 + 'p=' = 254 bytes; 85 × 3 + 2 = 257.
    expect(() => checkPartitionPath(['p'], { p: '/'.repeat(84) })).not.toThrow()
    expect(() => checkPartitionPath(['p'], { p: '/'.repeat(85) })).toThrow(/257 UTF-8 bytes/)
    // A 4-byte character counts 4.
    expect(() => checkPartitionPath(['p'], { p: '😈'.repeat(63) })).not.toThrow()
    expect(() => checkPartitionPath(['p'], { p: `${'😈'.repeat(63)}x` })).not.toThrow()
    expect(() => checkPartitionPath(['p'], { p: `${'😈'.repeat(63)}xy` })).toThrow(/256 UTF-8 bytes/)
  })

  it('refuses a NUL in a value or a column name with INVALID_ARGUMENT; null and empty values pass', () => {
    for (const [cols, values] of [
      [['p'], { p: 'a\0' }],
      [['p\0q'], { 'p\0q': 'a' }],
    ] as const) {
      let code: string | undefined
      try {
        checkPartitionPath(cols, values)
      } catch (err) {
        code = (err as { code?: string }).code
      }
      expect(code).toBe('INVALID_ARGUMENT')
    }
    expect(() => checkPartitionPath(['p', 'q'], { p: null, q: '' })).not.toThrow()
  })
})
