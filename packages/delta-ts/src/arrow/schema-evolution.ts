import * as arrow from 'apache-arrow'
import { DeltaError } from '../errors.js'
import { arrowToDeltaType, deltaToArrowType } from '../protocol/arrow-schema.js'
import {
  type DataType,
  decimalParams,
  isArray,
  isMap,
  isStruct,
  type StructField,
  type StructType,
} from '../protocol/schema.js'
import { isTypeWidening, withTypeChange } from '../protocol/schema-changes.js'
import { adoptAsTable } from './adopt.js'
import { batchesFromColumns } from './concat.js'
import { decimalUnscaledAt } from './scalar.js'

/**
 * Schema enforcement for writes, a kernel on Arrow buffers (Arrow in, Arrow out, no IO). Incoming Arrow data is checked against the
 * table schema and rewritten into exactly the Arrow layout of the table schema (`deltaToArrowType`), columns
 * in table order, so that every file of a table has the same physical schema.
 *
 * Rules (Spark/Delta semantics, delta-rs#2419 is what happens when the message does not say which field):
 * - columns match by name, exactly first, then case-insensitively (Delta column names are case-insensitive);
 * - a table column missing from the data is written as nulls if nullable, else a mismatch;
 * - a data column the table lacks is a mismatch, unless `schemaMode: 'merge'` adds it (nullable, at the end,
 *   nested struct fields too);
 * - `schemaMode: 'overwrite'` makes the data's schema the new table schema (the caller allows it only with
 *   an overwrite of the whole table);
 * - types must be equal or a lossless widening: byte→short→integer→long, byte/short/integer→double,
 *   float→double, integers→decimal with enough integer digits, decimal(p,s)→decimal(p',s') with s'>=s and
 *   p'-s'>=p-s, timestamps of any unit to µs (ns only when no sub-µs digits are present; a zone is required
 *   for `timestamp` and forbidden for `timestamp_ntz`), Date64→date, large/dictionary strings and binaries,
 *   and an all-null (Arrow Null) column into any nullable column;
 * - a null in a non-nullable field (at any depth, where the parents are valid) is a mismatch.
 * All problems are collected and reported together in one `SCHEMA_MISMATCH` error, one line per field path.
 */

/** How incoming data may change the table schema. */
export type SchemaMode = 'strict' | 'merge' | 'overwrite'

/** Options of {@link enforceSchema}. */
export interface EnforceSchemaOptions {
  /** The current table schema (logical names). */
  tableSchema: StructType
  /** Default `'strict'`. */
  schemaMode?: SchemaMode
  /**
   * Column mapping of the table, when enabled: fields added by `merge`/`overwrite` then get
   * `delta.columnMapping.id` (from `maxColumnId + 1` on) and a `col-<uuid>`-style physical name.
   */
  columnMapping?: { maxColumnId: number; newPhysicalName: () => string }
  /**
   * The table enables type widening (`delta.enableTypeWidening`): with `schemaMode: 'merge'`, a data column of
   * a wider type the `typeWidening` feature allows (int data into a short column, say) widens the table column
   * and records the change in its `delta.typeChanges` metadata, as Spark's schema evolution does.
   */
  typeWidening?: boolean
}

/** What {@link enforceSchema} returns: conformed data and the schema it conforms to. */
export interface EnforceSchemaResult {
  /** The data cast and reordered to {@link schema}, logical column names, table column order. */
  data: arrow.Table
  /** The schema the data conforms to: the table schema, or the merged / replacing schema. */
  schema: StructType
  /** True when {@link schema} differs from the table schema: the caller must commit a metaData action. */
  schemaChanged: boolean
  /** The new `delta.columnMapping.maxColumnId` when column mapping assigned ids, else undefined. */
  maxColumnId?: number
}

/**
 * Checks `data` against the table schema and returns it cast to the table's Arrow layout (see the module
 * doc for the rules). Throws `SCHEMA_MISMATCH` naming every offending field path; `INVALID_SCHEMA` when the
 * data holds an Arrow type with no Delta equivalent.
 */
export function enforceSchema(
  data: arrow.Table | arrow.RecordBatch,
  options: EnforceSchemaOptions,
): EnforceSchemaResult {
  // Data of any apache-arrow copy is adopted first (same buffers, our classes): see arrow/adopt.ts.
  const table = adoptAsTable(data, 'the data')
  const mode = options.schemaMode ?? 'strict'
  const problems: string[] = []
  const dataFields = table.schema.fields
  checkDuplicates(dataFields, '', problems)
  let target: StructType
  let maxColumnId = options.columnMapping?.maxColumnId
  const assignMapping = (f: StructField): StructField => {
    if (!options.columnMapping || maxColumnId === undefined) return f
    maxColumnId++
    const metadata = {
      ...(f.metadata ?? {}),
      'delta.columnMapping.id': maxColumnId,
      'delta.columnMapping.physicalName': options.columnMapping.newPhysicalName(),
    }
    const type = isStruct(f.type) ? { type: 'struct' as const, fields: f.type.fields.map(assignMapping) } : f.type
    return { ...f, type, metadata }
  }
  if (mode === 'overwrite') {
    target = { type: 'struct', fields: dataFields.map((f) => assignMapping(fieldFromArrow(f))) }
  } else {
    target =
      mode === 'merge'
        ? mergeStruct(options.tableSchema, dataFields, assignMapping, options.typeWidening === true)
        : options.tableSchema
    if (mode === 'strict') {
      for (const f of dataFields) {
        if (!findByName(options.tableSchema.fields, f.name)) {
          problems.push(
            `extra column '${f.name}' (${String(f.type)}) is not in the table schema (use schemaMode 'merge' to add it)`,
          )
        }
      }
    }
  }
  const n = table.numRows
  const columns: arrow.Data[][] = []
  for (const field of target.fields) {
    const df = findByName(dataFields, field.name)
    const src = df ? table.getChild(df.name) : null
    const chunks = src ? (src.data as arrow.Data[]) : []
    columns.push(castColumn(chunks, df?.type, field, n, field.name, problems).data as arrow.Data[])
  }
  if (problems.length) throw mismatch(problems)
  const arrowSchema = new arrow.Schema(
    target.fields.map((f) => new arrow.Field(f.name, deltaToArrowType(f.type), f.nullable)),
  )
  // Rebuild the batches under the target schema so field nullability and names are the table's.
  const result = new arrow.Table(arrowSchema, batchesFromColumns(arrowSchema, columns))
  assertNonNullableHoldNoNulls(result)
  const changed = JSON.stringify(target) !== JSON.stringify(options.tableSchema)
  return {
    data: result,
    schema: target,
    schemaChanged: changed,
    ...(maxColumnId !== options.columnMapping?.maxColumnId ? { maxColumnId } : {}),
  }
}

function mismatch(problems: string[]): DeltaError {
  return new DeltaError('SCHEMA_MISMATCH', `data does not match the table schema:\n- ${problems.join('\n- ')}`)
}

function findByName<T extends { name: string }>(fields: readonly T[], name: string): T | undefined {
  return fields.find((f) => f.name === name) ?? fields.find((f) => f.name.toLowerCase() === name.toLowerCase())
}

function checkDuplicates(fields: readonly arrow.Field[], prefix: string, problems: string[]): void {
  const seen = new Set<string>()
  for (const f of fields) {
    const k = f.name.toLowerCase()
    if (seen.has(k)) problems.push(`column '${prefix}${f.name}' appears more than once (names are case-insensitive)`)
    seen.add(k)
    if (arrow.DataType.isStruct(f.type)) checkDuplicates(f.type.children, `${prefix}${f.name}.`, problems)
  }
}

function fieldFromArrow(f: arrow.Field): StructField {
  return { name: f.name, type: arrowToDeltaType(f.type), nullable: f.nullable, metadata: {} }
}

/** The table struct with the data's extra fields appended (nullable: older files lack them), recursively. */
function mergeStruct(
  table: StructType,
  dataFields: readonly arrow.Field[],
  assign: (f: StructField) => StructField,
  widen: boolean,
): StructType {
  const fields = table.fields.map((tf) => {
    const df = findByName(dataFields, tf.name)
    if (df && isStruct(tf.type) && arrow.DataType.isStruct(df.type)) {
      return { ...tf, type: mergeStruct(tf.type, df.type.children, assign, widen) }
    }
    if (df && widen && typeof tf.type === 'string') {
      const wider = dataDeltaType(df.type)
      if (wider !== undefined && isTypeWidening(tf.type, wider)) return withTypeChange(tf, tf.type, wider)
    }
    return tf
  })
  for (const df of dataFields) {
    if (!findByName(table.fields, df.name)) fields.push(assign({ ...fieldFromArrow(df), nullable: true }))
  }
  return { type: 'struct', fields }
}

/** The Delta type of a data column, or undefined when it has none (the cast reports that). */
function dataDeltaType(t: arrow.DataType): DataType | undefined {
  try {
    return arrowToDeltaType(arrow.DataType.isDictionary(t) ? t.dictionary : t)
  } catch {
    return undefined
  }
}

// ---------------------------------------------------------------------------------------------------------
// Casting

const INT_RANK: Record<string, number> = { byte: 1, short: 2, integer: 3, long: 4 }
const INT_DIGITS: Record<string, number> = { byte: 3, short: 5, integer: 10, long: 19 }

/** Why `from` (Arrow) cannot be written losslessly as `to` (Delta), or undefined when it can. */
function castProblem(from: arrow.DataType, to: DataType): string | undefined {
  if (from.typeId === arrow.Type.Null) return undefined
  if (from.typeId === arrow.Type.Dictionary) return castProblem((from as arrow.Dictionary).dictionary, to)
  let src: DataType
  try {
    src = arrowToDeltaType(from)
  } catch (err) {
    return (err as Error).message
  }
  const name = (t: DataType) => (typeof t === 'string' ? t : t.type)
  if (isStruct(to) || isArray(to) || isMap(to)) {
    return typeof src === 'object' && src.type === to.type
      ? undefined
      : `type ${String(from)} cannot be written to a ${name(to)} column`
  }
  if (typeof src !== 'string') return `type ${String(from)} cannot be written to a ${to} column`
  if (src === to) {
    // Unsigned ints map to wider signed types, so equal names are fine; only narrowing is excluded below.
    if (from.typeId === arrow.Type.Timestamp && (from as arrow.Timestamp).unit === arrow.TimeUnit.NANOSECOND)
      return undefined
    return undefined
  }
  if (src in INT_RANK && to in INT_RANK) {
    return INT_RANK[src] < INT_RANK[to]
      ? undefined
      : `type ${src} (${String(from)}) does not fit a ${to} column without loss`
  }
  if (src in INT_RANK && to === 'double' && src !== 'long') return undefined
  if (src === 'float' && to === 'double') return undefined
  const dt = decimalParams(to)
  const ds = decimalParams(src)
  if (dt && src in INT_RANK) {
    return dt.precision - dt.scale >= INT_DIGITS[src]
      ? undefined
      : `type ${src} needs ${INT_DIGITS[src]} integer digits, ${to} has ${dt.precision - dt.scale}`
  }
  if (dt && ds) {
    return dt.scale >= ds.scale && dt.precision - dt.scale >= ds.precision - ds.scale
      ? undefined
      : `type ${src} does not fit a ${to} column without loss`
  }
  if ((src === 'timestamp' || src === 'timestamp_ntz') && (to === 'timestamp' || to === 'timestamp_ntz')) {
    return to === 'timestamp'
      ? 'a timestamp without time zone cannot be written to a timestamp (UTC) column: give the Arrow timestamp a zone, or use a timestamp_ntz column'
      : 'a timestamp with a time zone cannot be written to a timestamp_ntz column'
  }
  return `type ${src} (${String(from)}) cannot be written to a ${to} column`
}

function castColumn(
  chunks: arrow.Data[],
  fromType: arrow.DataType | undefined,
  field: StructField,
  length: number,
  path: string,
  problems: string[],
): arrow.Vector {
  const targetType = deltaToArrowType(field.type)
  if (fromType === undefined) {
    if (!field.nullable) problems.push(`column '${path}' is non-nullable but missing from the data`)
    return nullVector(targetType, length)
  }
  const why = castProblem(fromType, field.type)
  if (why) {
    problems.push(`column '${path}': ${why}`)
    return nullVector(targetType, length)
  }
  const out = chunks.map((d) => castData(d, field.type, targetType, path, problems))
  return out.length ? new arrow.Vector(out) : nullVector(targetType, 0)
}

function nullVector(type: arrow.DataType, length: number): arrow.Vector {
  const b = arrow.makeBuilder({ type, nullValues: [null] })
  for (let i = 0; i < length; i++) b.append(null)
  return b.finish().toVector()
}

/** A fresh validity bitmap (offset 0) for `d`, or undefined when it has no nulls. */
function validity(
  d: arrow.Data,
  extraInvalid?: (i: number) => boolean,
): { bitmap: Uint8Array | undefined; nullCount: number } {
  if (d.nullCount === 0 && !extraInvalid) return { bitmap: undefined, nullCount: 0 }
  const bitmap = new Uint8Array(Math.ceil(d.length / 8))
  let nulls = 0
  for (let i = 0; i < d.length; i++) {
    if (d.getValid(i) && !extraInvalid?.(i)) bitmap[i >> 3] |= 1 << (i & 7)
    else nulls++
  }
  return nulls === 0 ? { bitmap: undefined, nullCount: 0 } : { bitmap, nullCount: nulls }
}

function castData(
  d: arrow.Data,
  to: DataType,
  targetType: arrow.DataType,
  path: string,
  problems: string[],
): arrow.Data {
  const from = d.type as arrow.DataType
  if (from.typeId === arrow.Type.Null) return nullVector(targetType, d.length).data[0]
  if (isStruct(to)) {
    const st = from as arrow.Struct
    const { bitmap, nullCount } = validity(d)
    const children = to.fields.map((tf) => {
      const j = st.children.findIndex((c) => c.name === tf.name)
      const k = j >= 0 ? j : st.children.findIndex((c) => c.name.toLowerCase() === tf.name.toLowerCase())
      const childPath = `${path}.${tf.name}`
      if (k < 0) {
        if (!tf.nullable) problems.push(`column '${childPath}' is non-nullable but missing from the data`)
        return nullVector(deltaToArrowType(tf.type), d.length).data[0]
      }
      const cf = st.children[k]
      const why = castProblem(cf.type, tf.type)
      if (why) {
        problems.push(`column '${childPath}': ${why}`)
        return nullVector(deltaToArrowType(tf.type), d.length).data[0]
      }
      return castData(d.children[k], tf.type, deltaToArrowType(tf.type), childPath, problems)
    })
    for (const c of st.children) {
      if (!to.fields.some((tf) => tf.name.toLowerCase() === c.name.toLowerCase())) {
        problems.push(
          `extra column '${path}.${c.name}' (${String(c.type)}) is not in the table schema (use schemaMode 'merge' to add it)`,
        )
      }
    }
    return arrow.makeData({
      type: targetType as arrow.Struct,
      length: d.length,
      nullCount,
      nullBitmap: bitmap,
      children,
    })
  }
  if (isArray(to) || isMap(to)) {
    const childTo: DataType = isArray(to)
      ? to.elementType
      : {
          type: 'struct',
          fields: [
            { name: 'key', type: to.keyType, nullable: false },
            { name: 'value', type: to.valueType, nullable: to.valueContainsNull },
          ],
        }
    const childTarget = (targetType as arrow.List | arrow.Map_).children[0].type as arrow.DataType
    const srcChild = d.children[0]
    const why = castProblem(srcChild.type as arrow.DataType, childTo)
    if (why) {
      problems.push(`column '${path}' elements: ${why}`)
      return nullVector(targetType, d.length).data[0]
    }
    // Map entries: accept any entry field names by position (key, value).
    let childData = srcChild
    if (isMap(to) && arrow.DataType.isStruct(srcChild.type)) {
      const renamed = new arrow.Struct(
        srcChild.type.children.map((c, i) => new arrow.Field(i === 0 ? 'key' : 'value', c.type, c.nullable)),
      )
      childData = arrow.makeData({
        type: renamed,
        offset: srcChild.offset,
        length: srcChild.length,
        nullCount: srcChild.nullCount,
        nullBitmap: srcChild.nullBitmap,
        children: srcChild.children,
      })
    }
    const child = castData(
      childData,
      childTo,
      childTarget,
      isArray(to) ? `${path}.element` : `${path}.entries`,
      problems,
    )
    const { bitmap, nullCount } = validity(d)
    const valueOffsets = new Int32Array(d.length + 1)
    if (from.typeId === arrow.Type.FixedSizeList) {
      // A FixedSizeList becomes a List: row i spans [i*size, (i+1)*size) of the (already sliced) child.
      const size = (from as arrow.FixedSizeList).listSize
      for (let i = 0; i <= d.length; i++) valueOffsets[i] = i * size
    } else {
      const srcOffsets = d.valueOffsets as Int32Array | BigInt64Array
      for (let i = 0; i <= d.length; i++) valueOffsets[i] = Number(srcOffsets[i])
    }
    return arrow.makeData({
      type: targetType as never,
      length: d.length,
      nullCount,
      nullBitmap: bitmap,
      valueOffsets,
      child,
    } as never)
  }
  return castPrimitive(d, to, targetType, path, problems)
}

function sameArrowType(a: arrow.DataType, b: arrow.DataType): boolean {
  // Decimal128 and Decimal256 print alike: the bit width decides the layout.
  if (a instanceof arrow.Decimal && b instanceof arrow.Decimal && a.bitWidth !== b.bitWidth) return false
  return String(a) === String(b) && a.typeId === b.typeId
}

function castPrimitive(
  d: arrow.Data,
  to: DataType,
  targetType: arrow.DataType,
  path: string,
  problems: string[],
): arrow.Data {
  const from = d.type as arrow.DataType
  if (
    sameArrowType(from, targetType) &&
    !(arrow.DataType.isTimestamp(from) && from.timezone !== (targetType as arrow.Timestamp).timezone)
  ) {
    return d
  }
  const n = d.length
  const { bitmap, nullCount } = validity(d)
  const valid = (i: number) => d.getValid(i)
  const mk = (values: ArrayLike<unknown>) =>
    arrow.makeData({
      type: targetType as never,
      length: n,
      nullCount,
      nullBitmap: bitmap,
      data: values,
    } as never) as arrow.Data
  if (to === 'timestamp' || to === 'timestamp_ntz') {
    const raw = d.values as BigInt64Array | Int32Array
    const unit = (from as arrow.Timestamp).unit as number
    const out = new BigInt64Array(n)
    let lossy = 0
    for (let i = 0; i < n; i++) {
      if (!valid(i)) continue
      const v = BigInt(raw[i])
      if (unit === 0) out[i] = v * 1_000_000n
      else if (unit === 1) out[i] = v * 1000n
      else if (unit === 2) out[i] = v
      else {
        if (v % 1000n !== 0n) lossy++
        out[i] = v / 1000n
      }
    }
    if (lossy)
      problems.push(
        `column '${path}': ${lossy} nanosecond timestamp(s) have sub-microsecond digits that Delta cannot store (truncate them first)`,
      )
    return mk(out)
  }
  if (to === 'date') {
    const raw = d.values as BigInt64Array | Int32Array
    const out = new Int32Array(n)
    let lossy = 0
    for (let i = 0; i < n; i++) {
      if (!valid(i)) continue
      const ms = Number(raw[i])
      if (ms % 86_400_000 !== 0) lossy++
      out[i] = Math.floor(ms / 86_400_000)
    }
    if (lossy) problems.push(`column '${path}': ${lossy} Date64 value(s) are not whole days`)
    return mk(out)
  }
  const dp = decimalParams(to)
  if (dp) {
    const out = new Uint32Array(n * 4)
    const vec = new arrow.Vector([d])
    for (let i = 0; i < n; i++) {
      if (!valid(i)) continue
      let unscaled: bigint
      if (arrow.DataType.isDecimal(from)) {
        unscaled =
          decimalUnscaledAt(d.values as Uint32Array, i, from.bitWidth / 32) * 10n ** BigInt(dp.scale - from.scale)
      } else {
        unscaled = BigInt(vec.get(i) as number | bigint) * 10n ** BigInt(dp.scale)
      }
      let u = BigInt.asUintN(128, unscaled)
      for (let w = 0; w < 4; w++) {
        out[i * 4 + w] = Number(u & 0xffffffffn)
        u >>= 32n
      }
    }
    return mk(out)
  }
  // Everything else (int/float widening, large and dictionary strings/binaries): through a builder.
  const vec = new arrow.Vector([d])
  const b = arrow.makeBuilder({ type: targetType, nullValues: [null, undefined] })
  const toLong = to === 'long'
  for (let i = 0; i < n; i++) {
    const v = vec.get(i)
    b.append(
      (v === null || v === undefined
        ? null
        : toLong
          ? BigInt(v as number | bigint)
          : typeof v === 'bigint'
            ? Number(v)
            : v) as never,
    )
  }
  return b.finish().flush()
}

// ---------------------------------------------------------------------------------------------------------
// Nullability

/**
 * Throws `SCHEMA_MISMATCH` naming the column when a non-nullable field holds a null in a row where all its
 * ancestors are valid (a null under a null parent struct is fine: the parent's definition level covers it).
 * Parquet writers fail on such data with opaque messages, or write files other readers reject.
 */
export function assertNonNullableHoldNoNulls(table: arrow.Table): void {
  for (const field of table.schema.fields) {
    const vec = table.getChild(field.name)
    if (!vec) continue
    for (const chunk of vec.data) checkData(chunk, field, field.name, undefined)
  }
}

function checkData(
  data: arrow.Data,
  field: arrow.Field,
  path: string,
  parentValid: ((i: number) => boolean) | undefined,
): void {
  if (!field.nullable && data.nullCount > 0) {
    for (let i = 0; i < data.length; i++) {
      if (!data.getValid(i) && (parentValid === undefined || parentValid(i))) {
        throw new DeltaError(
          'SCHEMA_MISMATCH',
          `column '${path}' is non-nullable but holds a null at row ${i} (make the field nullable or fill the value)`,
        )
      }
    }
  }
  const type = data.type as arrow.DataType
  if (arrow.DataType.isStruct(type)) {
    const valid = (i: number) => data.getValid(i) && (parentValid === undefined || parentValid(i))
    type.children.forEach((child, j) => {
      checkData(data.children[j], child, `${path}.${child.name}`, valid)
    })
  } else if (arrow.DataType.isList(type) || arrow.DataType.isMap(type)) {
    const child = data.children[0]
    const childField = type.children[0]
    if (!child || !childField || !needsCheck(child, childField)) return
    // Element k belongs to the parent row whose offsets span it.
    const owner = new Int32Array(child.length).fill(-1)
    const offsets = data.valueOffsets as Int32Array
    for (let i = 0; i < data.length; i++) for (let k = offsets[i]; k < offsets[i + 1]; k++) owner[k] = i
    const valid = (k: number) =>
      owner[k] >= 0 && data.getValid(owner[k]) && (parentValid === undefined || parentValid(owner[k]))
    checkData(child, childField, arrow.DataType.isMap(type) ? `${path}.entries` : `${path}.element`, valid)
  }
}

// Cheap pre-check: does any non-nullable field below `field` hold a null at all?
function needsCheck(data: arrow.Data, field: arrow.Field): boolean {
  if (!field.nullable && data.nullCount > 0) return true
  return (data.children ?? []).some((c, j) => {
    const f = (data.type as arrow.DataType).children?.[j]
    return f ? needsCheck(c, f) : false
  })
}
