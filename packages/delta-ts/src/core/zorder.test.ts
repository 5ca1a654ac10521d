import { describe, expect, it } from 'vitest'
import { interleave, normalizedRanks } from './zorder.js'

describe('Z-order keys', () => {
  it('normalized ranks keep order, map equal values together and spread skewed values over the bit range', () => {
    const r = normalizedRanks([1000, 1, 1, null, 5, 1e9], 3)
    // nulls first, then 1, 5, 1000, 1e9: 5 distinct values scaled to 0..7
    expect(Array.from(r)).toEqual([4, 1, 1, 0, 3, 6])
    const s = normalizedRanks(['b', 'a', 'c', 'a'], 2)
    expect(Array.from(s)).toEqual([1, 0, 2, 0])
    const big = normalizedRanks([10n, -5n, 10n], 1)
    expect(Array.from(big)).toEqual([1, 0, 1])
  })

  it('interleaves bits most significant first, column 0 leading', () => {
    // x = 0b10, y = 0b01 → x1 y0 x0 y1 = 0b1001
    expect(Array.from(interleave([Float64Array.of(2), Float64Array.of(1)], 2))).toEqual([9])
    // the Z-curve visits the 2x2 quadrants in order (0,0) (0,1) (1,0) (1,1) for x leading
    const xs = Float64Array.of(0, 0, 1, 1)
    const ys = Float64Array.of(0, 1, 0, 1)
    expect(Array.from(interleave([xs, ys], 1))).toEqual([0, 1, 2, 3])
  })
})
