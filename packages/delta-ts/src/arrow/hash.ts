/**
 * Hash keys of exact scalars: a Map key that is equal exactly when the SQL values are equal, across int widths
 * (`1` int = `1n` long), decimal scales (`1.50` = `1.5`) and time units (readers already give µs). Used to group
 * rows (partition split, joins, IN lists) without comparing values pairwise.
 */
import type { DecimalValue, ScalarValue } from '../protocol/partition-values.js'

/** The canonical `unscaled e scale` of a decimal: trailing fractional zeros removed, so equal values match. */
export function decimalKey(d: DecimalValue): string {
  let { unscaled, scale } = d
  while (scale > 0 && unscaled % 10n === 0n) {
    unscaled /= 10n
    scale--
  }
  return `${unscaled}e${scale}`
}

/**
 * A string key for one non-null value, with a kind prefix so that values of different kinds never collide
 * (`n` integers of any width and integral decimals, `f` non-integral doubles, `s` strings, `b` booleans, `x`
 * binary as hex, `d` decimals with a fraction, `j` anything else as JSON).
 */
export function scalarKey(v: ScalarValue): string {
  if (typeof v === 'bigint') return `n${v}`
  if (typeof v === 'number') return Number.isInteger(v) ? `n${BigInt(v)}` : `f${v}`
  if (typeof v === 'string') return `s${v}`
  if (typeof v === 'boolean') return `b${v}`
  if (v instanceof Uint8Array) {
    let s = 'x'
    for (const b of v) s += b.toString(16).padStart(2, '0')
    return s
  }
  if (v !== null && typeof v === 'object' && 'unscaled' in v && 'scale' in v) {
    const k = decimalKey(v as DecimalValue)
    return k.endsWith('e0') ? `n${k.slice(0, -2)}` : `d${k}`
  }
  return `j${JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x))}`
}
