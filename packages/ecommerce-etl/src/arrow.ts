/**
 * Conversion between typed rows and Arrow tables with the exact dataset schemas, built from typed arrays so
 * that 64-bit integers, microsecond timestamps and decimals keep every digit (Arrow JS builders go through
 * float milliseconds for timestamps).
 */
import {
  type Data,
  type DataType,
  makeData,
  RecordBatch,
  type Schema,
  Struct,
  Table,
  TimeUnit,
  Type,
  Utf8,
} from 'apache-arrow'
import { arrowSchema, type DatasetDef } from './datasets.js'
import type { TypedRow, TypedValue } from './rules.js'
import { writeUtf8 } from './typed.js'

function nullBitmap(values: readonly TypedValue[]): { bitmap: Uint8Array; nulls: number } {
  const bitmap = new Uint8Array(Math.ceil(values.length / 8))
  let nulls = 0
  values.forEach((v, i) => {
    if (v === null || v === undefined) nulls++
    else bitmap[i >> 3] |= 1 << (i & 7)
  })
  return { bitmap, nulls }
}

/** Writes a signed bigint as 128-bit two's complement little-endian into four 32-bit words at `offset`. */
function writeInt128(words: Uint32Array, offset: number, v: bigint): void {
  let x = BigInt.asUintN(128, v)
  for (let w = 0; w < 4; w++) {
    words[offset + w] = Number(x & 0xffffffffn)
    x >>= 32n
  }
}

function readInt128(words: Uint32Array, offset: number): bigint {
  let x = 0n
  for (let w = 3; w >= 0; w--) x = (x << 32n) | BigInt(words[offset + w])
  return BigInt.asIntN(128, x)
}

/** A Utf8 column written straight into its offsets and bytes (Arrow's builders are ~10x slower here). */
function utf8Data(values: readonly TypedValue[], nullBitmap: Uint8Array | undefined, nullCount: number): Data {
  const length = values.length
  const offsets = new Int32Array(length + 1)
  let cap = 0
  for (const v of values) if (v !== null && v !== undefined) cap += String(v).length * 3
  const bytes = new Uint8Array(cap)
  let pos = 0
  for (let i = 0; i < length; i++) {
    const v = values[i]
    if (v !== null && v !== undefined) {
      pos += writeUtf8(String(v), bytes, pos)
    }
    offsets[i + 1] = pos
  }
  return makeData({
    type: new Utf8(),
    length,
    nullCount,
    nullBitmap,
    valueOffsets: offsets,
    data: bytes.subarray(0, pos),
  })
}

/** One Arrow column (Data) of `type` from typed values (null for null); see {@link rowsToArrow}. */
export function columnData(type: DataType, values: readonly TypedValue[]): Data {
  const length = values.length
  const { bitmap, nulls } = nullBitmap(values)
  const nullBitmapOrNone = nulls > 0 ? bitmap : undefined
  switch (type.typeId) {
    case Type.Int: {
      const is64 = (type as unknown as { bitWidth: number }).bitWidth === 64
      const data = is64 ? new BigInt64Array(length) : new Int32Array(length)
      values.forEach((v, i) => {
        if (v !== null && v !== undefined)
          (data as unknown as (number | bigint)[])[i] = is64 ? BigInt(v as bigint) : Number(v)
      })
      return makeData({ type: type as never, length, nullCount: nulls, nullBitmap: nullBitmapOrNone, data } as never)
    }
    case Type.Date: {
      const data = new Int32Array(length)
      values.forEach((v, i) => {
        if (v !== null) data[i] = v as number
      })
      return makeData({ type: type as never, length, nullCount: nulls, nullBitmap: nullBitmapOrNone, data } as never)
    }
    case Type.Timestamp: {
      const data = new BigInt64Array(length)
      values.forEach((v, i) => {
        if (v !== null) data[i] = v as bigint
      })
      return makeData({ type: type as never, length, nullCount: nulls, nullBitmap: nullBitmapOrNone, data } as never)
    }
    case Type.Decimal: {
      const data = new Uint32Array(length * 4)
      values.forEach((v, i) => {
        if (v !== null) writeInt128(data, i * 4, v as bigint)
      })
      return makeData({ type: type as never, length, nullCount: nulls, nullBitmap: nullBitmapOrNone, data } as never)
    }
    case Type.Bool: {
      const data = new Uint8Array(Math.ceil(length / 8))
      values.forEach((v, i) => {
        if (v === true) data[i >> 3] |= 1 << (i & 7)
      })
      return makeData({ type: type as never, length, nullCount: nulls, nullBitmap: nullBitmapOrNone, data } as never)
    }
    case Type.Utf8:
      return utf8Data(values, nullBitmapOrNone, nulls)
    default:
      throw new Error(`unsupported column type ${type}`)
  }
}

/**
 * Builds an Arrow table with the dataset's exact schema ({@link arrowSchema}) from typed rows. Throws when a
 * value does not fit its column type (a bug upstream: rows come from the rules, which type every value).
 */
export function rowsToArrow(def: DatasetDef, rows: readonly TypedRow[] | readonly Record<string, TypedValue>[]): Table {
  const schema = arrowSchema(def)
  const vals = rows.map((r) =>
    'values' in r && 'source' in r ? (r as TypedRow).values : (r as Record<string, TypedValue>),
  )
  const children = schema.fields.map((f) =>
    columnData(
      f.type,
      vals.map((v) => v[f.name] ?? null),
    ),
  )
  const struct = makeData({ type: new Struct(schema.fields), length: rows.length, nullCount: 0, children })
  return new Table([new RecordBatch(schema as Schema, struct)])
}

/**
 * Reads an Arrow table back into plain typed rows (the inverse of {@link rowsToArrow}): Int64 → bigint, Int32 →
 * number, Date → days since epoch, Timestamp → microseconds (any unit is rescaled), Decimal → unscaled bigint,
 * Bool → boolean, Utf8 → string. Only `columns` (default: all) are read.
 */
export function arrowToRows(table: Table, columns?: readonly string[]): Record<string, TypedValue>[] {
  const names = columns ?? table.schema.fields.map((f) => f.name)
  const out: Record<string, TypedValue>[] = Array.from({ length: table.numRows }, () => ({}))
  for (const name of names) {
    const vec = table.getChild(name)
    if (!vec) continue
    let base = 0
    for (const data of vec.data) {
      const type = data.type as DataType
      const values = data.values as unknown as ArrayLike<number | bigint>
      const off = data.offset
      for (let i = 0; i < data.length; i++) {
        const row = out[base + i]
        if (!data.getValid(i)) {
          row[name] = null
          continue
        }
        switch (type.typeId) {
          case Type.Int: {
            const v = values[off + i]
            row[name] = typeof v === 'bigint' ? v : Number(v)
            if ((type as unknown as { bitWidth: number }).bitWidth === 64) row[name] = BigInt(v)
            break
          }
          case Type.Date: {
            const unit = (type as unknown as { unit: number }).unit
            const v = Number(values[off + i])
            // DateDay stores days; DateMillisecond stores ms (values are int64 as two int32 words in old Arrow).
            row[name] = unit === 0 ? v : Math.floor(Number(vec.get(base + i)) / 86_400_000)
            break
          }
          case Type.Timestamp: {
            const unit = (type as unknown as { unit: TimeUnit }).unit
            const v = BigInt(values[off + i])
            row[name] =
              unit === TimeUnit.MICROSECOND
                ? v
                : unit === TimeUnit.MILLISECOND
                  ? v * 1000n
                  : unit === TimeUnit.SECOND
                    ? v * 1_000_000n
                    : v / 1000n
            break
          }
          case Type.Decimal:
            row[name] = readInt128(data.values as unknown as Uint32Array, (off + i) * 4)
            break
          default:
            row[name] = data.type.typeId === Type.Bool ? Boolean(vec.get(base + i)) : (vec.get(base + i) as TypedValue)
        }
      }
      base += data.length
    }
  }
  return out
}
