/**
 * Arrow conversion: from what a parquet file holds to the table's Arrow types (moved here from parquet/read.ts,
 * which is IO and footer planning only).
 *
 * Files of one table differ: old files lack columns added later, Spark writes INT96 (nanosecond) or millisecond
 * timestamps (parquet/int96.ts has parquet-wasm decode those as microseconds already), widened columns hold
 * narrower types, column-mapped files name fields physically. Every column is converted to the Arrow type
 * deltaToArrowSchema gives for its Delta type, optionally keeping only the rows of a selection (deletion
 * vectors, row filters). Values are moved as typed arrays, never through `Vector.get()`, which loses timestamp
 * microseconds.
 */
import * as arrow from 'apache-arrow'
import { DeltaError } from '../errors.js'
import { PARQUET_FIELD_ID_KEY } from '../protocol/arrow-schema.js'
import type { DecimalValue, ScalarValue } from '../protocol/partition-values.js'
import {
  type ColumnMappingMode,
  type DataType,
  decimalParams,
  fieldId,
  isArray,
  isMap,
  isStruct,
  physicalName,
  type StructField,
} from '../protocol/schema.js'

/** Row positions to keep, in output order; undefined keeps every row. */
export type Selection = Int32Array | undefined

const mk = (props: Record<string, unknown>): arrow.Data => arrow.makeData(props as never)

function selLength(src: arrow.Data, sel: Selection): number {
  return sel ? sel.length : src.length
}

/** The validity of the selected rows: a fresh bitmap, or none when all are valid. */
function gatherValidity(src: arrow.Data, sel: Selection): { nullBitmap?: Uint8Array; nullCount: number } {
  const n = selLength(src, sel)
  if (src.typeId !== arrow.Type.Null && src.nullCount === 0) return { nullCount: 0 }
  const bm = new Uint8Array((n + 7) >> 3)
  let nulls = 0
  for (let i = 0; i < n; i++) {
    if (src.getValid(sel ? sel[i] : i)) bm[i >> 3] |= 1 << (i & 7)
    else nulls++
  }
  return nulls === 0 ? { nullCount: 0 } : { nullBitmap: bm, nullCount: nulls }
}

/** An all-null column of `type` with `n` rows (a column that an older file does not have). */
export function nullData(type: arrow.DataType, n: number): arrow.Data {
  const validity = { nullBitmap: new Uint8Array((n + 7) >> 3), nullCount: n }
  switch (type.typeId) {
    case arrow.Type.Null:
      return mk({ type, length: n, nullCount: n })
    case arrow.Type.Struct:
      return mk({ type, length: n, ...validity, children: type.children.map((f: arrow.Field) => nullData(f.type, n)) })
    case arrow.Type.List:
    case arrow.Type.Map:
      return mk({
        type,
        length: n,
        ...validity,
        valueOffsets: new Int32Array(n + 1),
        child: emptyData(type.children[0].type),
      })
    case arrow.Type.Utf8:
    case arrow.Type.Binary:
      return mk({ type, length: n, ...validity, valueOffsets: new Int32Array(n + 1), data: new Uint8Array(0) })
    case arrow.Type.Bool:
      return mk({ type, length: n, ...validity, data: new Uint8Array((n + 7) >> 3) })
    case arrow.Type.Decimal:
      return mk({ type, length: n, ...validity, data: new Uint32Array(n * 4) })
    default: {
      const Ctor = (type as { ArrayType: new (n: number) => ArrayLike<unknown> }).ArrayType
      return mk({ type, length: n, ...validity, data: new Ctor(n) })
    }
  }
}

function emptyData(type: arrow.DataType): arrow.Data {
  const d = nullData(type, 0)
  return d.clone(type, 0, 0, 0)
}

const TEXT = new TextEncoder()

function decimalToWords(unscaled: bigint, out: Uint32Array, at: number): void {
  let v = BigInt.asUintN(128, unscaled)
  for (let w = 0; w < 4; w++) {
    out[at + w] = Number(v & 0xffffffffn)
    v >>= 32n
  }
}

function wordsToDecimal(words: Uint32Array, at: number, stride: number): bigint {
  let v = 0n
  for (let w = stride - 1; w >= 0; w--) v = (v << 32n) | BigInt(words[at + w])
  return BigInt.asIntN(stride * 32, v)
}

/**
 * A one-row column holding `value` (a partition value) as `type`; broadcast it with a selection of zeros.
 *
 * @throws DeltaError `INTERNAL` for a non-primitive type (partition columns are primitive).
 */
export function scalarData(value: ScalarValue, type: arrow.DataType): arrow.Data {
  if (value === null) return nullData(type, 1)
  const base = { type, length: 1, nullCount: 0 }
  switch (type.typeId) {
    case arrow.Type.Int: {
      const t = type as arrow.Int
      const Ctor = t.ArrayType as unknown as new (n: number) => Int32Array | BigInt64Array
      const data = new Ctor(1)
      data[0] = (t.bitWidth === 64 ? BigInt(value as number | bigint) : Number(value)) as never
      return mk({ ...base, data })
    }
    case arrow.Type.Float:
      return mk({
        ...base,
        data:
          (type as arrow.Float).precision === arrow.Precision.SINGLE
            ? Float32Array.of(value as number)
            : Float64Array.of(value as number),
      })
    case arrow.Type.Bool:
      return mk({ ...base, data: Uint8Array.of(value ? 1 : 0) })
    case arrow.Type.Date:
      return mk({ ...base, data: Int32Array.of(value as number) })
    case arrow.Type.Timestamp:
      return mk({ ...base, data: BigInt64Array.of(value as bigint) })
    case arrow.Type.Decimal: {
      const d = value as DecimalValue
      const scale = (type as arrow.Decimal).scale
      const unscaled =
        d.scale === scale
          ? d.unscaled
          : d.scale < scale
            ? d.unscaled * 10n ** BigInt(scale - d.scale)
            : d.unscaled / 10n ** BigInt(d.scale - scale)
      const data = new Uint32Array(4)
      decimalToWords(unscaled, data, 0)
      return mk({ ...base, data })
    }
    case arrow.Type.Utf8:
    case arrow.Type.Binary: {
      const bytes = typeof value === 'string' ? TEXT.encode(value) : (value as Uint8Array)
      return mk({ ...base, valueOffsets: Int32Array.of(0, bytes.length), data: bytes })
    }
    default:
      throw new DeltaError('INTERNAL', `no constant column for Arrow type ${String(type)}`)
  }
}

function mismatch(where: string, src: arrow.DataType, target: arrow.DataType): DeltaError {
  return new DeltaError(
    'SCHEMA_MISMATCH',
    `column ${where}: file type ${String(src)} cannot be read as ${String(target)}`,
  )
}

/** Finds the child of a file struct that holds a table field (by field id, physical name, or name). */
export function matchFileField(
  fileFields: readonly arrow.Field[],
  field: StructField,
  mode: ColumnMappingMode,
): number {
  if (mode === 'id') {
    const id = fieldId(field)
    if (id !== undefined) {
      const i = fileFields.findIndex((f) => f.metadata.get(PARQUET_FIELD_ID_KEY) === String(id))
      if (i >= 0) return i
    }
  }
  const name = physicalName(field, mode)
  const exact = fileFields.findIndex((f) => f.name === name)
  if (exact >= 0 || mode !== 'none') return exact
  // Spark resolves parquet columns case-insensitively by default.
  const lower = name.toLowerCase()
  return fileFields.findIndex((f) => f.name.toLowerCase() === lower)
}

interface ConvertCtx {
  mode: ColumnMappingMode
  where: string
}

/**
 * Converts one column read from a file into `target` (the Arrow type of Delta type `delta`), keeping the rows
 * in `sel`. Struct children are matched by column mapping (`ctx.mode`), renamed to logical names, and missing
 * children read as null. Widening casts (integers, float → double, integer → double or decimal, decimal scale
 * increase, date → timestamp_ntz) and timestamp unit changes (s/ms/ns → µs) happen here.
 *
 * @throws DeltaError `SCHEMA_MISMATCH` when the file type cannot be read as the target type.
 */
export function convertColumn(
  src: arrow.Data,
  delta: DataType,
  target: arrow.DataType,
  sel: Selection,
  ctx: ConvertCtx,
): arrow.Data {
  const st = src.type as arrow.DataType
  if (st.typeId === arrow.Type.Dictionary) return convertDictionary(src, delta, target, sel, ctx)
  if (st.typeId === arrow.Type.Null) return nullData(target, selLength(src, sel))
  const n = selLength(src, sel)
  const at = (i: number) => (sel ? sel[i] : i)
  switch (target.typeId) {
    case arrow.Type.Null:
      return nullData(target, n)
    case arrow.Type.Struct: {
      if (st.typeId !== arrow.Type.Struct || !isStruct(delta)) throw mismatch(ctx.where, st, target)
      const children = delta.fields.map((f, k) => {
        const tf = target.children[k] as arrow.Field
        const i = matchFileField(st.children, f, ctx.mode)
        if (i < 0) return nullData(tf.type, n)
        return convertColumn(src.children[i], f.type, tf.type, sel, { mode: ctx.mode, where: `${ctx.where}.${f.name}` })
      })
      return mk({ type: target, length: n, ...gatherValidity(src, sel), children })
    }
    case arrow.Type.List:
    case arrow.Type.Map: {
      const isList = st.typeId === arrow.Type.List || st.typeId === arrow.Type.LargeList
      if (
        !(isList || st.typeId === arrow.Type.Map) ||
        (target.typeId === arrow.Type.Map) !== (st.typeId === arrow.Type.Map)
      ) {
        throw mismatch(ctx.where, st, target)
      }
      const offs = src.valueOffsets as Int32Array | BigInt64Array
      const newOffsets = new Int32Array(n + 1)
      let childSel: Int32Array | undefined
      if (sel || offs instanceof BigInt64Array || Number(offs[0]) !== 0) {
        let total = 0
        for (let i = 0; i < n; i++) total += Number(offs[at(i) + 1]) - Number(offs[at(i)])
        childSel = new Int32Array(total)
        let k = 0
        for (let i = 0; i < n; i++) {
          const a = Number(offs[at(i)])
          const b = Number(offs[at(i) + 1])
          for (let j = a; j < b; j++) childSel[k++] = j
          newOffsets[i + 1] = k
        }
      } else {
        newOffsets.set(offs as Int32Array)
      }
      const child = src.children[0]
      let newChild: arrow.Data
      if (target.typeId === arrow.Type.Map) {
        if (!isMap(delta)) throw mismatch(ctx.where, st, target)
        const entriesType = target.children[0].type as arrow.Struct
        const [kf, vf] = entriesType.children
        const keys = convertColumn(child.children[0], delta.keyType, kf.type, childSel, {
          mode: ctx.mode,
          where: `${ctx.where}.key`,
        })
        const values = convertColumn(child.children[1], delta.valueType, vf.type, childSel, {
          mode: ctx.mode,
          where: `${ctx.where}.value`,
        })
        newChild = mk({ type: entriesType, length: keys.length, nullCount: 0, children: [keys, values] })
      } else {
        if (!isArray(delta)) throw mismatch(ctx.where, st, target)
        newChild = convertColumn(child, delta.elementType, target.children[0].type, childSel, {
          mode: ctx.mode,
          where: `${ctx.where}[]`,
        })
      }
      return mk({ type: target, length: n, ...gatherValidity(src, sel), valueOffsets: newOffsets, child: newChild })
    }
    case arrow.Type.Utf8:
    case arrow.Type.Binary:
      return convertBytes(src, target, sel, ctx)
    case arrow.Type.Bool: {
      if (st.typeId !== arrow.Type.Bool) throw mismatch(ctx.where, st, target)
      if (!sel && src.offset === 0) return src.clone(target)
      const bits = new Uint8Array((n + 7) >> 3)
      const vals = src.values as Uint8Array
      for (let i = 0; i < n; i++) {
        const j = at(i) + src.offset
        if ((vals[j >> 3] >> (j & 7)) & 1) bits[i >> 3] |= 1 << (i & 7)
      }
      return mk({ type: target, length: n, ...gatherValidity(src, sel), data: bits })
    }
    default:
      return convertFixed(src, delta, target, sel, ctx)
  }
}

function convertDictionary(
  src: arrow.Data,
  delta: DataType,
  target: arrow.DataType,
  sel: Selection,
  ctx: ConvertCtx,
): arrow.Data {
  const dict = src.dictionary!.data
  if (dict.length !== 1) throw new DeltaError('PARQUET_ERROR', `column ${ctx.where}: chunked dictionary`)
  const n = selLength(src, sel)
  const idx = src.values as ArrayLike<number | bigint>
  const dsel = new Int32Array(n)
  for (let i = 0; i < n; i++) {
    const j = sel ? sel[i] : i
    dsel[i] = src.getValid(j) ? Number(idx[j]) : 0
  }
  const out = convertColumn(dict[0], delta, target, dsel, ctx)
  const v = gatherValidity(src, sel)
  if (v.nullCount === 0) return out
  return out.clone(
    out.type,
    0,
    out.length,
    v.nullCount,
    [out.valueOffsets, out.values, v.nullBitmap, undefined] as never,
    out.children,
  )
}

function convertBytes(src: arrow.Data, target: arrow.DataType, sel: Selection, ctx: ConvertCtx): arrow.Data {
  const st = src.type as arrow.DataType
  const n = selLength(src, sel)
  const offsetTypes = [arrow.Type.Utf8, arrow.Type.Binary, arrow.Type.LargeUtf8, arrow.Type.LargeBinary]
  if (
    (target.typeId === arrow.Type.Utf8 && st.typeId === arrow.Type.Utf8) ||
    (target.typeId === arrow.Type.Binary && st.typeId === arrow.Type.Binary)
  ) {
    if (!sel) return src.clone(target)
  }
  const stringish = [arrow.Type.Utf8, arrow.Type.LargeUtf8, arrow.Type.Utf8View]
  const binaryish = [arrow.Type.Binary, arrow.Type.LargeBinary, arrow.Type.BinaryView, arrow.Type.FixedSizeBinary]
  const ok =
    target.typeId === arrow.Type.Utf8
      ? stringish.includes(st.typeId)
      : binaryish.includes(st.typeId) || stringish.includes(st.typeId)
  if (!ok) throw mismatch(ctx.where, st, target)
  const validity = gatherValidity(src, sel)
  const offsets = new Int32Array(n + 1)
  if (offsetTypes.includes(st.typeId)) {
    const so = src.valueOffsets as Int32Array | BigInt64Array
    const sv = src.values as Uint8Array
    let total = 0
    for (let i = 0; i < n; i++) {
      const j = sel ? sel[i] : i
      total += Number(so[j + 1]) - Number(so[j])
    }
    const data = new Uint8Array(total)
    let k = 0
    for (let i = 0; i < n; i++) {
      const j = sel ? sel[i] : i
      const a = Number(so[j])
      const b = Number(so[j + 1])
      data.set(sv.subarray(a, b), k)
      k += b - a
      offsets[i + 1] = k
    }
    return mk({ type: target, length: n, ...validity, valueOffsets: offsets, data })
  }
  // Views and fixed-size binary: rare in Delta files; go through the vector accessors (exact for bytes).
  const vec = arrow.makeVector(src)
  const parts: Uint8Array[] = []
  let k = 0
  for (let i = 0; i < n; i++) {
    const j = sel ? sel[i] : i
    const v = vec.isValid(j) ? vec.get(j) : null
    const b = v === null ? new Uint8Array(0) : typeof v === 'string' ? TEXT.encode(v) : (v as Uint8Array)
    parts.push(b)
    k += b.length
    offsets[i + 1] = k
  }
  const data = new Uint8Array(k)
  let p = 0
  for (const b of parts) {
    data.set(b, p)
    p += b.length
  }
  return mk({ type: target, length: n, ...validity, valueOffsets: offsets, data })
}

const MICROS_PER_UNIT: Record<number, bigint> = {
  [arrow.TimeUnit.SECOND]: 1_000_000n,
  [arrow.TimeUnit.MILLISECOND]: 1000n,
  [arrow.TimeUnit.MICROSECOND]: 1n,
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b
  return a % b !== 0n && a < 0n ? q - 1n : q
}

function convertFixed(
  src: arrow.Data,
  delta: DataType,
  target: arrow.DataType,
  sel: Selection,
  ctx: ConvertCtx,
): arrow.Data {
  const st = src.type as arrow.DataType
  const n = selLength(src, sel)
  const at = (i: number) => (sel ? sel[i] : i)
  const sv = src.values as ArrayLike<number | bigint> & { length: number }
  const out = (data: ArrayLike<unknown>) => mk({ type: target, length: n, ...gatherValidity(src, sel), data })
  // Same physical layout and no row selection: share the buffers.
  const sameLayout =
    st.typeId === target.typeId &&
    (st.typeId !== arrow.Type.Int ||
      ((st as arrow.Int).bitWidth === (target as arrow.Int).bitWidth && (st as arrow.Int).isSigned)) &&
    (st.typeId !== arrow.Type.Float || (st as arrow.Float).precision === (target as arrow.Float).precision) &&
    (st.typeId !== arrow.Type.Date || (st as arrow.Date_).unit === (target as arrow.Date_).unit) &&
    (st.typeId !== arrow.Type.Timestamp || (st as arrow.Timestamp).unit === (target as arrow.Timestamp).unit) &&
    (st.typeId !== arrow.Type.Decimal ||
      ((st as arrow.Decimal).scale === (target as arrow.Decimal).scale &&
        (st as arrow.Decimal).bitWidth === (target as arrow.Decimal).bitWidth))
  switch (target.typeId) {
    case arrow.Type.Int: {
      if (st.typeId !== arrow.Type.Int) throw mismatch(ctx.where, st, target)
      if (sameLayout && !sel) return src.clone(target)
      const t = target as arrow.Int
      const Ctor = t.ArrayType as unknown as new (n: number) => Int8Array | Int16Array | Int32Array | BigInt64Array
      const data = new Ctor(n)
      if (t.bitWidth === 64) for (let i = 0; i < n; i++) (data as BigInt64Array)[i] = BigInt(sv[at(i)])
      else for (let i = 0; i < n; i++) (data as Int32Array)[i] = Number(sv[at(i)])
      return out(data)
    }
    case arrow.Type.Float: {
      if (sameLayout && !sel) return src.clone(target)
      if (st.typeId !== arrow.Type.Float && st.typeId !== arrow.Type.Int) throw mismatch(ctx.where, st, target)
      if (st.typeId === arrow.Type.Float && (st as arrow.Float).precision === arrow.Precision.HALF)
        throw mismatch(ctx.where, st, target)
      const data =
        (target as arrow.Float).precision === arrow.Precision.SINGLE ? new Float32Array(n) : new Float64Array(n)
      for (let i = 0; i < n; i++) data[i] = Number(sv[at(i)])
      return out(data)
    }
    case arrow.Type.Decimal: {
      if (sameLayout && !sel) return src.clone(target)
      const scale = (target as arrow.Decimal).scale
      const data = new Uint32Array(n * 4)
      if (st.typeId === arrow.Type.Decimal) {
        const ss = (st as arrow.Decimal).scale
        const stride = (st as arrow.Decimal).bitWidth / 32
        const words = src.values as Uint32Array
        if (ss > scale) throw mismatch(ctx.where, st, target)
        const f = 10n ** BigInt(scale - ss)
        for (let i = 0; i < n; i++) decimalToWords(wordsToDecimal(words, at(i) * stride, stride) * f, data, i * 4)
      } else if (st.typeId === arrow.Type.Int) {
        const f = 10n ** BigInt(scale)
        for (let i = 0; i < n; i++) decimalToWords(BigInt(sv[at(i)]) * f, data, i * 4)
      } else throw mismatch(ctx.where, st, target)
      return out(data)
    }
    case arrow.Type.Date: {
      if (sameLayout && !sel) return src.clone(target)
      const data = new Int32Array(n)
      if (st.typeId === arrow.Type.Date && (st as arrow.Date_).unit === arrow.DateUnit.DAY) {
        for (let i = 0; i < n; i++) data[i] = Number(sv[at(i)])
      } else if (st.typeId === arrow.Type.Date) {
        for (let i = 0; i < n; i++) data[i] = Math.floor(Number(sv[at(i)]) / 86_400_000)
      } else if (st.typeId === arrow.Type.Int && (st as arrow.Int).bitWidth === 32) {
        for (let i = 0; i < n; i++) data[i] = Number(sv[at(i)])
      } else throw mismatch(ctx.where, st, target)
      return out(data)
    }
    case arrow.Type.Timestamp: {
      if (sameLayout && !sel) return src.clone(target)
      const data = new BigInt64Array(n)
      if (st.typeId === arrow.Type.Timestamp) {
        const unit = (st as arrow.Timestamp).unit
        if (unit === arrow.TimeUnit.NANOSECOND) {
          for (let i = 0; i < n; i++) data[i] = floorDiv(BigInt(sv[at(i)]), 1000n)
        } else {
          const f = MICROS_PER_UNIT[unit]
          for (let i = 0; i < n; i++) data[i] = BigInt(sv[at(i)]) * f
        }
      } else if (st.typeId === arrow.Type.Date && (st as arrow.Date_).unit === arrow.DateUnit.DAY) {
        for (let i = 0; i < n; i++) data[i] = BigInt(sv[at(i)]) * 86_400_000_000n
      } else if (st.typeId === arrow.Type.Int && (st as arrow.Int).bitWidth === 64) {
        // A bare INT64 column under a timestamp field: Delta writers use microseconds.
        for (let i = 0; i < n; i++) data[i] = BigInt(sv[at(i)])
      } else throw mismatch(ctx.where, st, target)
      return out(data)
    }
    default:
      if (decimalParams(delta) === undefined && st.typeId === target.typeId && !sel) return src.clone(target)
      throw mismatch(ctx.where, st, target)
  }
}
