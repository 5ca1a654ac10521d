import {
  type DataType as ArrowType,
  type Data,
  type Decimal,
  type Field,
  makeVector,
  type Struct,
  type Table,
  type Timestamp,
  TimeUnit,
  Type,
  type Vector,
} from 'apache-arrow'
import type { DataType, StructType } from '../../src/protocol/schema.js'

/**
 * The interop "wire form" on the TypeScript side: the same lossless JSON rendering of rows that
 * py/canon.py produces from pyarrow, so rows read by delta-ts and rows read by deltalake or Spark compare
 * exactly. Rules (see py/canon.py): integers as decimal strings, floats as numbers (NaN, ±Infinity and -0
 * as strings), decimals as fixed-scale strings, dates as YYYY-MM-DD, timestamps as epoch-microsecond strings,
 * binary as hex, structs as objects, lists as arrays, maps as [key, value] pairs in stored order.
 */
export type Wire = null | boolean | number | string | Wire[] | { [k: string]: Wire }
export type WireRow = Record<string, Wire>

/**
 * Finds the chunk of `vec` holding row `i` and the row's index inside that chunk. Arrow JS slices value and
 * offset buffers when it slices Data, so the index needs no `offset` for those buffers.
 */
function locate(vec: Vector, i: number): [Data, number] {
  let j = i
  for (const d of vec.data) {
    if (j < d.length) return [d, j]
    j -= d.length
  }
  throw new RangeError(`row ${i} out of range (${vec.length})`)
}

/** A 64-bit signed integer stored at slot `k` of an Int64-backed buffer. */
function int64At(values: BigInt64Array | Int32Array | Uint32Array, k: number): bigint {
  if (values instanceof BigInt64Array) return values[k]
  const lo = BigInt(values[2 * k] >>> 0)
  const hi = BigInt.asIntN(32, BigInt(values[2 * k + 1]))
  return (hi << 32n) | lo
}

const MICROS_PER_UNIT: Record<number, [bigint, bigint]> = {
  [TimeUnit.SECOND]: [1_000_000n, 1n],
  [TimeUnit.MILLISECOND]: [1_000n, 1n],
  [TimeUnit.MICROSECOND]: [1n, 1n],
  [TimeUnit.NANOSECOND]: [1n, 1_000n],
}

/** Floor division for bigint (timestamps before 1970 must round toward -infinity, like Python's //). */
function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q
}

function formatDecimal(unscaled: bigint, scale: number): string {
  const neg = unscaled < 0n
  let digits = (neg ? -unscaled : unscaled).toString()
  if (scale > 0) {
    digits = digits.padStart(scale + 1, '0')
    digits = `${digits.slice(0, -scale)}.${digits.slice(-scale)}`
  }
  return neg ? `-${digits}` : digits
}

function decimalAt(d: Data<Decimal>, j: number): string {
  const words = d.type.bitWidth / 32
  const values = d.values as unknown as Uint32Array
  // Arrow JS slices value buffers when it slices Data (only the validity bitmap keeps `offset`).
  const base = j * words
  let v = 0n
  for (let w = words - 1; w >= 0; w--) v = (v << 32n) | BigInt(values[base + w] >>> 0)
  return formatDecimal(BigInt.asIntN(d.type.bitWidth, v), d.type.scale)
}

function hex(bytes: Uint8Array): string {
  let s = ''
  for (const b of bytes) s += b.toString(16).padStart(2, '0')
  return s
}

function isoDate(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10)
}

function wireFloat(x: number): Wire {
  if (Number.isNaN(x)) return 'NaN'
  if (x === Number.POSITIVE_INFINITY) return 'Infinity'
  if (x === Number.NEGATIVE_INFINITY) return '-Infinity'
  // JSON.stringify(-0) is "0": keep the sign visible to the comparison.
  if (Object.is(x, -0)) return '-0'
  return x
}

/** Row `i` of an Arrow JS vector in wire form. */
export function wireValue(vec: Vector, i: number): Wire {
  if (!vec.isValid(i)) return null
  const t = vec.type as ArrowType
  switch (t.typeId) {
    case Type.Null:
      return null
    case Type.Int:
    case Type.Int8:
    case Type.Int16:
    case Type.Int32:
    case Type.Int64:
    case Type.Uint8:
    case Type.Uint16:
    case Type.Uint32:
    case Type.Uint64:
      return String(vec.get(i))
    case Type.Float:
    case Type.Float16:
    case Type.Float32:
    case Type.Float64:
      return wireFloat(Number(vec.get(i)))
    case Type.Bool:
      return Boolean(vec.get(i))
    case Type.Utf8:
    case Type.LargeUtf8:
      return String(vec.get(i))
    case Type.Binary:
    case Type.LargeBinary:
    case Type.FixedSizeBinary:
      return hex(vec.get(i) as Uint8Array)
    case Type.Decimal: {
      const [d, j] = locate(vec, i)
      return decimalAt(d as Data<Decimal>, j)
    }
    case Type.Date:
    case Type.DateDay:
    case Type.DateMillisecond:
      return isoDate(Number(vec.get(i)))
    case Type.Timestamp:
    case Type.TimestampSecond:
    case Type.TimestampMillisecond:
    case Type.TimestampMicrosecond:
    case Type.TimestampNanosecond: {
      // get() returns float milliseconds, which cannot hold every microsecond: read the raw int64.
      const [d, j] = locate(vec, i)
      const raw = int64At(d.values as BigInt64Array, j)
      const [mul, div] = MICROS_PER_UNIT[(d.type as Timestamp).unit]
      return String(floorDiv(raw * mul, div))
    }
    case Type.Struct: {
      const out: Record<string, Wire> = {}
      const fields = (t as Struct).children
      fields.forEach((f: Field, k: number) => {
        out[f.name] = wireValue(vec.getChildAt(k) as Vector, i)
      })
      return out
    }
    case Type.List:
    case Type.FixedSizeList: {
      const sub = vec.get(i) as Vector
      const out: Wire[] = []
      for (let k = 0; k < sub.length; k++) out.push(wireValue(sub, k))
      return out
    }
    case Type.Map: {
      // Walk the entries struct through the offsets: MapRow.get() would lose timestamp precision.
      const [d, j] = locate(vec, i)
      const offsets = d.valueOffsets as Int32Array
      const start = offsets[j]
      const end = offsets[j + 1]
      const entries = makeVector(d.children[0]) as Vector<Struct>
      const keys = entries.getChildAt(0) as Vector
      const vals = entries.getChildAt(1) as Vector
      const out: Wire[] = []
      for (let k = start; k < end; k++) out.push([wireValue(keys, k), wireValue(vals, k)])
      return out
    }
    case Type.Dictionary:
      return vec.get(i) as Wire
    default:
      throw new TypeError(`no wire form for Arrow type ${String(t)}`)
  }
}

/** Wire rows of an Arrow JS table (column names as keys). */
export function wireRows(table: Table): WireRow[] {
  const cols = table.schema.fields.map((f, k) => [f.name, table.getChildAt(k) as Vector] as const)
  const rows: WireRow[] = []
  for (let i = 0; i < table.numRows; i++) {
    const r: WireRow = {}
    for (const [name, v] of cols) r[name] = wireValue(v, i)
    rows.push(r)
  }
  return rows
}

/** Stable JSON: object keys sorted at every level, so two renderings of equal rows are equal strings. */
export function stableJson(v: Wire): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v)
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`
  const keys = Object.keys(v).sort()
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stableJson(v[k])}`).join(',')}}`
}

/** Rows as sorted stable-JSON strings: the order-free multiset both sides of a comparison reduce to. */
export function canonicalRows(rows: WireRow[]): string[] {
  return rows.map(stableJson).sort()
}

/** A Delta schema reduced to names, types and nullability (field metadata dropped), for comparison. */
export function schemaShape(t: DataType | StructType): unknown {
  if (typeof t === 'string') return t.replace(/\s+/g, '')
  if (t.type === 'struct')
    return t.fields.map((f) => ({ name: f.name, type: schemaShape(f.type), nullable: f.nullable }))
  if (t.type === 'array') return { array: schemaShape(t.elementType), containsNull: t.containsNull }
  return { map: [schemaShape(t.keyType), schemaShape(t.valueType)], valueContainsNull: t.valueContainsNull }
}
