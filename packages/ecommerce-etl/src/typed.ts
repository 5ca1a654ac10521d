/**
 * Raw text columns typed straight into Arrow buffers: each cell is parsed into its slot of a typed array
 * (BigInt64Array words, Int32Array days, Decimal128 words, a bit per boolean), never into a bigint or a boxed
 * value per cell. The common shapes (plain digits, `YYYY-MM-DDTHH:MM:SSZ`, `YYYY-MM-DD`, `12.50`, `0`/`1`)
 * are parsed by arithmetic on char codes; anything else goes through the strict parsers of `values.ts`, so the
 * result is exactly theirs (null for a present cell that does not parse).
 */
import { type Data, type DataType, makeData, Utf8 } from 'apache-arrow'
import type { ColumnKind, DatasetDef } from './datasets.js'
import {
  daysFromCivil,
  digitsAt,
  isoZSeconds,
  parseBoolean,
  parseDate,
  parseDecimal,
  parseInt32,
  parseLong,
  parseTimestamp,
  utcDayOfMicros,
} from './values.js'

const TWO32 = 4294967296

/** A raw column's cells (`undefined`: the row is shorter than the header). */
export type Cells = readonly (string | undefined)[] | undefined

/**
 * 1 where a cell is present (not blank: `isBlank` of `values.ts`), without trimming cells that start or end
 * with a printable ASCII character (almost all of them).
 */
export function presentMask(cells: Cells, n: number): Uint8Array {
  const out = new Uint8Array(n)
  if (!cells) return out
  for (let i = 0; i < n; i++) {
    const c = cells[i]
    if (c === undefined || c.length === 0) continue
    const f = c.charCodeAt(0)
    const l = c.charCodeAt(c.length - 1)
    if ((f > 32 && f < 127) || (l > 32 && l < 127) || c.trim() !== '') out[i] = 1
  }
  return out
}

/** The value of a cell of only digits (1 to 15 of them: exact as a double), else -1. */
function plainDigits(s: string): number {
  const len = s.length
  if (len === 0 || len > 15) return -1
  let n = 0
  for (let k = 0; k < len; k++) {
    const d = s.charCodeAt(k) - 48
    if (d < 0 || d > 9) return -1
    n = n * 10 + d
  }
  return n
}

/** Stores an integer-valued double (|v| < 2^53) as int64 at `i` of the two-words-per-value view `w`. */
function setInt64(w: Int32Array, i: number, v: number): void {
  const hi = Math.floor(v / TWO32)
  w[2 * i] = v - hi * TWO32
  w[2 * i + 1] = hi
}

/** A typed dataset column being built: values in Arrow's layout and one validity byte per row. */
export interface TypedColumn {
  kind: ColumnKind
  /** BigInt64Array (long, timestamp), Int32Array (int, date), Uint32Array (decimal, 4 words a value), Uint8Array (boolean bits), strings (string). */
  values: BigInt64Array | Int32Array | Uint32Array | Uint8Array | (string | null)[]
  valid: Uint8Array
  /** timestamp columns: the UTC day of each valid value. */
  days?: Int32Array
}

/**
 * Types one raw column (see the module doc): blank or unparsable cells are null; blank `sheet_name` /
 * `source_file` cells take the row's origin (`fallback`).
 */
export function typeColumn(
  def: DatasetDef,
  kind: ColumnKind,
  cells: Cells,
  present: Uint8Array,
  n: number,
  fallback?: readonly string[],
): TypedColumn {
  const valid = new Uint8Array(n)
  switch (kind) {
    case 'long':
    case 'timestamp': {
      const values = new BigInt64Array(n)
      const w = new Int32Array(values.buffer)
      const days = kind === 'timestamp' ? new Int32Array(n) : undefined
      for (let i = 0; i < n; i++) {
        if (!present[i]) continue
        const c = cells?.[i] as string
        if (kind === 'long') {
          const v = plainDigits(c)
          if (v >= 0) {
            setInt64(w, i, v)
            valid[i] = 1
            continue
          }
          const b = parseLong(c)
          if (typeof b === 'bigint') {
            values[i] = b
            valid[i] = 1
          }
          continue
        }
        const secs = isoZSeconds(c)
        if (secs === Number.POSITIVE_INFINITY) continue
        if (!Number.isNaN(secs)) {
          setInt64(w, i, secs * 1_000_000)
          ;(days as Int32Array)[i] = Math.floor(secs / 86_400)
          valid[i] = 1
          continue
        }
        const b = parseTimestamp(c)
        if (typeof b === 'bigint') {
          values[i] = b
          ;(days as Int32Array)[i] = utcDayOfMicros(b)
          valid[i] = 1
        }
      }
      return { kind, values, valid, days }
    }
    case 'int': {
      const values = new Int32Array(n)
      for (let i = 0; i < n; i++) {
        if (!present[i]) continue
        const c = cells?.[i] as string
        const v = plainDigits(c)
        if (v >= 0 && v <= 2147483647) {
          values[i] = v
          valid[i] = 1
          continue
        }
        const p = parseInt32(c)
        if (typeof p === 'number') {
          values[i] = p
          valid[i] = 1
        }
      }
      return { kind, values, valid }
    }
    case 'date': {
      const values = new Int32Array(n)
      for (let i = 0; i < n; i++) {
        if (!present[i]) continue
        const c = cells?.[i] as string
        let d: number | null | undefined = null
        if (c.length === 10 && c.charCodeAt(4) === 45 && c.charCodeAt(7) === 45) {
          const y = digitsAt(c, 0, 4)
          const m = digitsAt(c, 5, 7)
          const day = digitsAt(c, 8, 10)
          d = y >= 0 && m >= 0 && day >= 0 ? daysFromCivil(y, m, day) : parseDate(c)
        } else d = parseDate(c)
        if (typeof d === 'number') {
          values[i] = d
          valid[i] = 1
        }
      }
      return { kind, values, valid }
    }
    case 'decimal': {
      const { precision, scale } = def.decimal
      const values = new Uint32Array(n * 4)
      const limit = 10 ** precision
      for (let i = 0; i < n; i++) {
        if (!present[i]) continue
        const c = cells?.[i] as string
        const fast = plainDecimal(c, scale, limit)
        if (fast >= 0) {
          const hi = Math.floor(fast / TWO32)
          values[4 * i] = fast - hi * TWO32
          values[4 * i + 1] = hi
          valid[i] = 1
          continue
        }
        const b = parseDecimal(c, precision, scale)
        if (typeof b === 'bigint') {
          let x = BigInt.asUintN(128, b)
          for (let k = 0; k < 4; k++) {
            values[4 * i + k] = Number(x & 0xffffffffn)
            x >>= 32n
          }
          valid[i] = 1
        }
      }
      return { kind, values, valid }
    }
    case 'boolean': {
      const values = new Uint8Array(Math.ceil(n / 8))
      for (let i = 0; i < n; i++) {
        if (!present[i]) continue
        const c = cells?.[i] as string
        const b = c === '1' ? true : c === '0' ? false : parseBoolean(c)
        if (typeof b !== 'boolean') continue
        if (b) values[i >> 3] |= 1 << (i & 7)
        valid[i] = 1
      }
      return { kind, values, valid }
    }
    case 'string': {
      const values: (string | null)[] = new Array(n)
      for (let i = 0; i < n; i++) {
        if (present[i]) {
          values[i] = cells?.[i] as string
          valid[i] = 1
        } else {
          const f = fallback?.[i]
          values[i] = f ? f : null
          if (f) valid[i] = 1
        }
      }
      return { kind, values, valid }
    }
  }
}

/**
 * The unscaled value of a plain non-negative decimal (`123`, `12.5`, `12.50`, at most 15 digits) at `scale`,
 * -1 for any other shape (or more fraction digits than `scale`, or a value of more than `precision` digits).
 */
function plainDecimal(s: string, scale: number, limit: number): number {
  const len = s.length
  if (len === 0 || len > 16) return -1
  let intPart = 0
  let k = 0
  for (; k < len; k++) {
    const d = s.charCodeAt(k) - 48
    if (d < 0 || d > 9) break
    intPart = intPart * 10 + d
  }
  if (k === 0) return -1
  let frac = 0
  let fracDigits = 0
  if (k < len) {
    if (s.charCodeAt(k) !== 46 /* . */) return -1
    k++
    let zeros = 0
    for (; k < len; k++) {
      const d = s.charCodeAt(k) - 48
      if (d < 0 || d > 9) return -1
      if (d === 0) zeros++
      else {
        for (; zeros > 0; zeros--) {
          frac *= 10
          fracDigits++
        }
        frac = frac * 10 + d
        fracDigits++
      }
    }
  }
  if (fracDigits > scale) return -1
  const v = intPart * 10 ** scale + frac * 10 ** (scale - fracDigits)
  return v < limit && v <= Number.MAX_SAFE_INTEGER ? v : -1
}

/** Packs one validity byte per row into an Arrow null bitmap; `undefined` when nothing is null. */
export function validityBitmap(valid: Uint8Array): { bitmap: Uint8Array | undefined; nulls: number } {
  const n = valid.length
  const bitmap = new Uint8Array(Math.ceil(n / 8))
  let nulls = 0
  for (let i = 0; i < n; i++) {
    if (valid[i]) bitmap[i >> 3] |= 1 << (i & 7)
    else nulls++
  }
  return { bitmap: nulls > 0 ? bitmap : undefined, nulls }
}

const encoder = new TextEncoder()

/**
 * Writes `str` as UTF-8 into `bytes` at `pos` and returns the number of bytes written: ASCII by a char-code
 * loop (most cells; several times faster than TextEncoder on short strings), anything else by TextEncoder.
 * `bytes` must have room for 3 bytes per UTF-16 code unit of `str` from `pos`.
 */
export function writeUtf8(str: string, bytes: Uint8Array, pos: number): number {
  for (let k = 0; k < str.length; k++) {
    const ch = str.charCodeAt(k)
    if (ch >= 0x80) return encoder.encodeInto(str, bytes.subarray(pos)).written
    bytes[pos + k] = ch
  }
  return str.length
}

/** A Utf8 column of the valid strings, written straight into its offsets and bytes. */
export function utf8Column(values: readonly (string | null | undefined)[], valid: Uint8Array): Data {
  const n = valid.length
  const { bitmap, nulls } = validityBitmap(valid)
  const offsets = new Int32Array(n + 1)
  let cap = 0
  for (let i = 0; i < n; i++) if (valid[i]) cap += (values[i] as string).length * 3
  const bytes = new Uint8Array(cap)
  let pos = 0
  for (let i = 0; i < n; i++) {
    if (valid[i]) {
      pos += writeUtf8(values[i] as string, bytes, pos)
    }
    offsets[i + 1] = pos
  }
  return makeData({
    type: new Utf8(),
    length: n,
    nullCount: nulls,
    nullBitmap: bitmap,
    valueOffsets: offsets,
    data: bytes.subarray(0, pos),
  })
}

/**
 * A Utf8 column that carries only which rows are null (every value is the empty string): what a predicate
 * reading the column only through `IS [NOT] NULL` needs, at the cost of its validity bitmap.
 */
export function nullOnlyUtf8(valid: Uint8Array): Data {
  const n = valid.length
  const { bitmap, nulls } = validityBitmap(valid)
  return makeData({
    type: new Utf8(),
    length: n,
    nullCount: nulls,
    nullBitmap: bitmap,
    valueOffsets: new Int32Array(n + 1),
    data: new Uint8Array(0),
  })
}

/** The Arrow data of a typed column, of `type` (the dataset column's Arrow type). */
export function typedColumnData(type: DataType, col: TypedColumn): Data {
  if (col.kind === 'string') return utf8Column(col.values as (string | null)[], col.valid)
  const { bitmap, nulls } = validityBitmap(col.valid)
  return makeData({
    type: type as never,
    length: col.valid.length,
    nullCount: nulls,
    nullBitmap: bitmap,
    data: col.values,
  } as never)
}
