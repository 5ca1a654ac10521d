import * as arrow from 'apache-arrow'
import { describe, expect, it } from 'vitest'
import { buildIntKeyIndex, intKeyValues } from './int-join.js'

const int64 = (values: (bigint | null)[]) => arrow.vectorFromArray(values, new arrow.Int64()).data[0] as arrow.Data

function pairs(build: arrow.Data, probe: arrow.Data): [number, number][] {
  const index = buildIntKeyIndex(intKeyValues(build)!)!
  const pt: number[] = []
  const ps: number[] = []
  index.probe(intKeyValues(probe)!, pt, ps)
  return pt.map((t, k) => [t, ps[k]])
}

describe('intKeyValues', () => {
  it('reads int64 words as doubles, nulls and values beyond 2^53 as NaN, and counts only the latter as unsafe', () => {
    const k = intKeyValues(int64([1n, -5n, null, 2n ** 60n, -(2n ** 53n) + 1n]))!
    expect([...k.values].slice(0, 2)).toEqual([1, -5])
    expect(Number.isNaN(k.values[2]) && Number.isNaN(k.values[3])).toBe(true)
    expect(k.values[4]).toBe(-(2 ** 53) + 1)
    expect(k.unsafe).toBe(1)
  })

  it('writes into a scratch buffer large enough for the column and allocates when it is too small', () => {
    const scratch = new Float64Array(8).fill(99)
    const k = intKeyValues(int64([4n, null, -2n]), scratch)!
    expect(k.values.buffer).toBe(scratch.buffer)
    expect(k.values.length).toBe(3)
    expect([k.values[0], k.values[2]]).toEqual([4, -2])
    expect(Number.isNaN(k.values[1])).toBe(true)
    const small = new Float64Array(1)
    const own = intKeyValues(int64([1n, 2n]), small)!
    expect(own.values.buffer).not.toBe(small.buffer)
    expect([...own.values]).toEqual([1, 2])
  })

  it('reads narrow and unsigned integers and refuses other types', () => {
    expect([...intKeyValues(arrow.makeVector(Int32Array.of(3, -1)).data[0])!.values]).toEqual([3, -1])
    expect([...intKeyValues(arrow.makeVector(BigUint64Array.of(7n)).data[0])!.values]).toEqual([7])
    expect(intKeyValues(arrow.makeVector(Float64Array.of(1)).data[0])).toBeUndefined()
  })
})

describe('buildIntKeyIndex', () => {
  it('pairs equal keys, probe rows ascending and duplicate build rows ascending; nulls match nothing', () => {
    const build = int64([5n, 3n, 5n, null, 9n])
    const expected: [number, number][] = [
      [0, 1],
      [2, 0],
      [2, 2],
      [3, 4],
    ]
    // Ascending probe keys take the merge join, unordered ones the hash table: same pairs.
    expect(pairs(build, int64([3n, 4n, 5n, 9n, null]))).toEqual(expected)
    expect(pairs(build, int64([9n, 3n, 5n]))).toEqual([
      [0, 4],
      [1, 1],
      [2, 0],
      [2, 2],
    ])
  })

  it('gives the same pairs on both paths for many random keys', () => {
    let seed = 7
    const rnd = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) | 0
      return (seed >>> 8) / 2 ** 24
    }
    const build = int64(Array.from({ length: 5000 }, () => BigInt(Math.floor(rnd() * 20000) - 10000)))
    const sorted = Array.from({ length: 20000 }, (_, i) => BigInt(i - 10000))
    const shuffled = [...sorted].sort(() => rnd() - 0.5)
    const viaMerge = pairs(build, int64(sorted)).map(([t, s]) => [Number(sorted[t]), s])
    const viaHash = pairs(build, int64(shuffled)).map(([t, s]) => [Number(shuffled[t]), s])
    const order = (a: number[], b: number[]) => a[0] - b[0] || a[1] - b[1]
    expect(viaHash.sort(order)).toEqual(viaMerge.sort(order))
    expect(viaMerge.length).toBe(5000)
  })

  it('refuses a build side with a key beyond 2^53', () => {
    expect(buildIntKeyIndex(intKeyValues(int64([1n, 2n ** 60n]))!)).toBeUndefined()
  })
})
