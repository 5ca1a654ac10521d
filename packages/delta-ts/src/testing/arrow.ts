/**
 * Stored values ↔ Arrow columns for `delta-ts/testing`, built directly on Arrow buffers so that 64-bit
 * integers, microsecond timestamps and 128-bit decimals stay exact (Arrow's builders go through JS numbers or
 * milliseconds for some of them).
 */
import * as arrow from 'apache-arrow'
import {
  type DataType,
  DeltaError,
  decimalParams,
  deltaToArrowSchema,
  isArray,
  isMap,
  isStruct,
  type StructType,
} from 'delta-ts'
import { coerceValue, isPlainObject, type Stored, type StoredMap, VARIANT_AS_STRUCT } from './values.js'

function validity(values: readonly Stored[]): { nullCount: number; nullBitmap?: Uint8Array } {
  let nullCount = 0
  for (const v of values) if (v === null) nullCount++
  if (nullCount === 0) return { nullCount }
  const bitmap = new Uint8Array(Math.ceil(values.length / 8))
  values.forEach((v, i) => {
    if (v !== null) bitmap[i >> 3] |= 1 << (i & 7)
  })
  return { nullCount, nullBitmap: bitmap }
}

const utf8 = new TextEncoder()

function offsetsAndBytes(parts: Uint8Array[]): { valueOffsets: Int32Array; data: Uint8Array } {
  const valueOffsets = new Int32Array(parts.length + 1)
  let total = 0
  parts.forEach((p, i) => {
    total += p.byteLength
    valueOffsets[i + 1] = total
  })
  const data = new Uint8Array(total)
  parts.forEach((p, i) => {
    data.set(p, valueOffsets[i])
  })
  return { valueOffsets, data }
}

/** One Arrow column (Data) of stored values of Delta type `type`, whose Arrow type is `at`. */
export function buildData(values: readonly Stored[], type: DataType, at: arrow.DataType): arrow.Data {
  const length = values.length
  const { nullCount, nullBitmap } = validity(values)
  const base = { type: at, length, nullCount, nullBitmap }
  const make = (props: Record<string, unknown>) => arrow.makeData({ ...base, ...props } as any) as arrow.Data
  if (isStruct(type)) {
    const children = type.fields.map((f, k) =>
      buildData(
        values.map((v) => (v === null ? null : ((v as Record<string, Stored>)[f.name] ?? null))),
        f.type,
        at.children[k].type,
      ),
    )
    return make({ children })
  }
  if (isArray(type)) {
    const items: Stored[] = []
    const valueOffsets = new Int32Array(length + 1)
    values.forEach((v, i) => {
      if (v !== null) items.push(...(v as Stored[]))
      valueOffsets[i + 1] = items.length
    })
    return make({ valueOffsets, child: buildData(items, type.elementType, at.children[0].type) })
  }
  if (isMap(type)) {
    const keys: Stored[] = []
    const vals: Stored[] = []
    const valueOffsets = new Int32Array(length + 1)
    values.forEach((v, i) => {
      if (v !== null)
        for (const [k, x] of (v as StoredMap).mapEntries) {
          keys.push(k)
          vals.push(x)
        }
      valueOffsets[i + 1] = keys.length
    })
    const entriesType = at.children[0].type as arrow.Struct
    const entries = arrow.makeData({
      type: entriesType,
      length: keys.length,
      nullCount: 0,
      children: [
        buildData(keys, type.keyType, entriesType.children[0].type),
        buildData(vals, type.valueType, entriesType.children[1].type),
      ],
    })
    return make({ valueOffsets, child: entries })
  }
  switch (type) {
    case 'byte':
      return make({ data: Int8Array.from(values, (v) => (v as number) ?? 0) })
    case 'short':
      return make({ data: Int16Array.from(values, (v) => (v as number) ?? 0) })
    case 'integer':
    case 'date':
      return make({ data: Int32Array.from(values, (v) => (v as number) ?? 0) })
    case 'long':
    case 'timestamp':
    case 'timestamp_ntz':
      return make({ data: BigInt64Array.from(values, (v) => (v as bigint) ?? 0n) })
    case 'float':
      return make({ data: Float32Array.from(values, (v) => (v as number) ?? 0) })
    case 'double':
      return make({ data: Float64Array.from(values, (v) => (v as number) ?? 0) })
    case 'boolean': {
      const bits = new Uint8Array(Math.ceil(length / 8))
      values.forEach((v, i) => {
        if (v === true) bits[i >> 3] |= 1 << (i & 7)
      })
      return make({ data: bits })
    }
    case 'string':
      return make(offsetsAndBytes(values.map((v) => (v === null ? new Uint8Array(0) : utf8.encode(v as string)))))
    case 'binary':
      return make(offsetsAndBytes(values.map((v) => (v === null ? new Uint8Array(0) : (v as Uint8Array)))))
    case 'void':
      return arrow.makeData({ type: new arrow.Null(), length })
    default: {
      if (!decimalParams(type))
        throw new DeltaError('INVALID_ARGUMENT', `type ${JSON.stringify(type)} is not supported`)
      // Decimal128: four little-endian 32-bit words of the two's complement unscaled value.
      const words = new Uint32Array(length * 4)
      values.forEach((v, i) => {
        let x = BigInt.asUintN(128, (v as bigint) ?? 0n)
        for (let w = 0; w < 4; w++) {
          words[i * 4 + w] = Number(x & 0xffffffffn)
          x >>= 32n
        }
      })
      return make({ data: words })
    }
  }
}

/**
 * Converts plain JavaScript rows to an Arrow table with the exact Arrow types delta-ts writes for `schema`
 * (see `coerceValue` in values.ts for the accepted value forms). Row keys that are not columns are an error,
 * missing keys are null.
 *
 * @throws DeltaError `INVALID_ARGUMENT` naming the row and column of a value that does not fit its column.
 */
export function rowsToArrow(rows: readonly Record<string, unknown>[], schema: StructType): arrow.Table {
  const names = new Set(schema.fields.map((f) => f.name))
  rows.forEach((row, i) => {
    if (!isPlainObject(row)) throw new DeltaError('INVALID_ARGUMENT', `row ${i} is not a plain object`)
    for (const k of Object.keys(row))
      if (!names.has(k))
        throw new DeltaError(
          'INVALID_ARGUMENT',
          `row ${i} has a key '${k}' that is not a column (columns: ${[...names].join(', ')})`,
        )
  })
  const arrowSchema = deltaToArrowSchema(schema)
  const children = schema.fields.map((f, k) =>
    buildData(
      rows.map((row, i) => coerceValue(row[f.name], f.type, f.nullable, `row ${i} column ${f.name}`)),
      f.type,
      arrowSchema.fields[k].type,
    ),
  )
  const data = arrow.makeData({
    type: new arrow.Struct(arrowSchema.fields),
    length: rows.length,
    nullCount: 0,
    children,
  })
  return new arrow.Table([new arrow.RecordBatch(arrowSchema, data)])
}

function valid(data: arrow.Data, i: number): boolean {
  return data.nullCount === 0 || data.getValid(i)
}

/**
 * The stored values of one Arrow column chunk as delta-ts scans produce it (the Arrow types of
 * `deltaToArrowType`), read from the buffers: exact for int64, µs timestamps and decimals.
 */
export function readData(data: arrow.Data, type: DataType): Stored[] {
  if (type === 'variant') return readData(data, VARIANT_AS_STRUCT)
  const n = data.length
  const out = new Array<Stored>(n)
  if (isStruct(type)) {
    const children = type.fields.map((f, k) => readData(data.children[k], f.type))
    for (let i = 0; i < n; i++)
      out[i] = valid(data, i) ? Object.fromEntries(type.fields.map((f, k) => [f.name, children[k][i]])) : null
    return out
  }
  if (isArray(type) || isMap(type)) {
    const offsets = data.valueOffsets as Int32Array
    const child = data.children[0]
    if (isArray(type)) {
      const items = readData(child, type.elementType)
      for (let i = 0; i < n; i++) out[i] = valid(data, i) ? items.slice(offsets[i], offsets[i + 1]) : null
      return out
    }
    const keys = readData(child.children[0], type.keyType)
    const vals = readData(child.children[1], type.valueType)
    for (let i = 0; i < n; i++) {
      if (!valid(data, i)) {
        out[i] = null
        continue
      }
      const mapEntries: [Stored, Stored][] = []
      for (let k = offsets[i]; k < offsets[i + 1]; k++) mapEntries.push([keys[k], vals[k]])
      out[i] = { mapEntries }
    }
    return out
  }
  if (data.type.typeId === arrow.Type.Null) return out.fill(null)
  switch (type) {
    case 'long':
    case 'timestamp':
    case 'timestamp_ntz': {
      const v = data.values as BigInt64Array
      for (let i = 0; i < n; i++) out[i] = valid(data, i) ? BigInt(v[i]) : null
      return out
    }
    case 'date': {
      const v = data.values as Int32Array
      for (let i = 0; i < n; i++) out[i] = valid(data, i) ? v[i] : null
      return out
    }
    case 'binary': {
      const offsets = data.valueOffsets as Int32Array
      const bytes = data.values as Uint8Array
      for (let i = 0; i < n; i++) out[i] = valid(data, i) ? bytes.slice(offsets[i], offsets[i + 1]) : null
      return out
    }
    default: {
      const dp = decimalParams(type)
      if (dp) {
        const stride = (data.type as arrow.Decimal).bitWidth / 32
        const words = data.values as Uint32Array
        for (let i = 0; i < n; i++) {
          if (!valid(data, i)) {
            out[i] = null
            continue
          }
          let x = 0n
          for (let w = stride - 1; w >= 0; w--) x = (x << 32n) | BigInt(words[i * stride + w])
          out[i] = BigInt.asIntN(stride * 32, x)
        }
        return out
      }
      // string, boolean, byte/short/integer, float/double: Arrow's accessor is exact.
      const vec = arrow.makeVector(data)
      for (let i = 0; i < n; i++) out[i] = valid(data, i) ? (vec.get(i) as Stored) : null
      return out
    }
  }
}
