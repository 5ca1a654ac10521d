/**
 * Adoption of Arrow objects built by another copy of apache-arrow.
 *
 * delta-ts imports `apache-arrow` as a peer dependency, so in a normal install the application and delta-ts share
 * one copy. A second copy still happens: another major version nested under some package, or the CommonJS build
 * (`require('apache-arrow')`) loaded beside the ES module build (`import`). Objects of that copy fail every
 * `instanceof` check of ours and apache-arrow's own visitors (IPC writer, vector getters) misread them, which
 * surfaced as TypeErrors, "Buffer count mismatched" and "Unrecognized type 'NONE'".
 *
 * So every entry point that takes Arrow data passes it through here first: objects are recognised by their
 * shape (`typeId`, `fields`, `data`, `children`, ...), never by `instanceof`, and rebuilt with the classes of
 * the copy delta-ts imports over the same typed arrays (no buffer is copied; the one layout difference between
 * the supported versions — 64-bit timestamps and dates as `Int32Array` pairs in apache-arrow 15 — is bridged by
 * viewing the same memory as the other typed array). What cannot be adopted (a type this copy does not know)
 * is refused with `ARROW_INCOMPATIBLE`, naming both copies and the fix.
 *
 * This module is the Arrow data kernel layer: it may touch Arrow buffers; `protocol/` must not.
 */
import * as arrow from 'apache-arrow'
import { DeltaError } from '../errors.js'

/** The peer range of apache-arrow delta-ts is tested with (package.json `peerDependencies`). */
export const SUPPORTED_ARROW_RANGE = '>=15.0.0 <22'

/** Which build of apache-arrow this delta-ts loaded (the CommonJS bundle of delta-ts requires the CJS build). */
const OUR_BUILD: string =
  typeof module === 'object' && module !== null && typeof exports === 'object' ? 'CommonJS build' : 'ES module build'

type Obj = Record<string | symbol, unknown>

/**
 * True when `x` really is an instance of our copy's class `C`. Not `instanceof`: since apache-arrow 21.2 its
 * classes answer `instanceof` for objects of any copy (`Symbol.hasInstance` on a marker), whose contents are
 * still foreign, so only the prototype chain tells our objects apart.
 */
function ours(C: abstract new (...args: never[]) => unknown, x: unknown): boolean {
  return Function.prototype[Symbol.hasInstance].call(C, x)
}

function isObject(x: unknown): x is Obj {
  return typeof x === 'object' && x !== null
}

/** An Arrow DataType from any copy: a numeric `typeId` and no `type` of its own (Data, Vector and Field have one). */
export function isArrowDataType(x: unknown): x is arrow.DataType {
  if (ours(arrow.DataType, x)) return true
  return isObject(x) && typeof x.typeId === 'number' && !('type' in x) && !('data' in x)
}

/** An Arrow Field from any copy: `name`, a DataType `type`, boolean `nullable`. */
export function isArrowField(x: unknown): x is arrow.Field {
  if (ours(arrow.Field, x)) return true
  return isObject(x) && typeof x.name === 'string' && typeof x.nullable === 'boolean' && isArrowDataType(x.type)
}

/** An Arrow Schema from any copy: an array of fields and a metadata map. */
export function isArrowSchema(x: unknown): x is arrow.Schema {
  if (ours(arrow.Schema, x)) return true
  return isObject(x) && Array.isArray(x.fields) && x.metadata instanceof Map && x.fields.every(isArrowField)
}

/** An Arrow Data (one contiguous chunk) from any copy. */
export function isArrowData(x: unknown): x is arrow.Data {
  if (ours(arrow.Data, x)) return true
  return (
    isObject(x) &&
    isArrowDataType(x.type) &&
    typeof x.offset === 'number' &&
    typeof x.length === 'number' &&
    Array.isArray(x.children)
  )
}

/** An Arrow Vector from any copy: a DataType and an array of Data chunks. */
export function isArrowVector(x: unknown): x is arrow.Vector {
  if (ours(arrow.Vector, x)) return true
  return isObject(x) && isArrowDataType(x.type) && Array.isArray(x.data) && x.data.every(isArrowData)
}

/** An Arrow RecordBatch from any copy: a schema, one struct Data and a row count. */
export function isArrowRecordBatch(x: unknown): x is arrow.RecordBatch {
  if (ours(arrow.RecordBatch, x)) return true
  return isObject(x) && isArrowSchema(x.schema) && isArrowData(x.data) && typeof x.numRows === 'number'
}

/** An Arrow Table from any copy: a schema and an array of record batches. */
export function isArrowTable(x: unknown): x is arrow.Table {
  if (ours(arrow.Table, x)) return true
  return isObject(x) && isArrowSchema(x.schema) && Array.isArray(x.batches) && x.batches.every(isArrowRecordBatch)
}

/** What `x` is, for messages: its constructor name and, when it is not one of ours, that it is foreign. */
function describe(x: unknown): string {
  if (x === null) return 'null'
  if (!isObject(x)) return typeof x
  if (Array.isArray(x)) return 'an array'
  const name = (x.constructor as { name?: string } | undefined)?.name
  return name ? `a ${name}` : 'an object'
}

function incompatible(what: string, problem: string): DeltaError {
  return new DeltaError(
    'ARROW_INCOMPATIBLE',
    `${what} comes from another apache-arrow instance (another version, or the CommonJS build loaded beside the ` +
      `ES module one) and ${problem}, which delta-ts cannot adopt into the apache-arrow it uses (the ` +
      `${OUR_BUILD} that 'apache-arrow' resolves to from delta-ts). Fix: install one apache-arrow for the ` +
      `application and delta-ts (its peer dependency range is ${SUPPORTED_ARROW_RANGE}; \`npm ls apache-arrow\` ` +
      'shows the copies), and build the data with the same module system (import or require) as delta-ts.',
  )
}

/** `c` itself, or ARROW_INCOMPATIBLE when our copy lacks that class (an older apache-arrow). */
function present<C>(c: C | undefined, what: string, typeName: string): C {
  if (typeof c !== 'function') throw incompatible(what, `holds Arrow type ${typeName}`)
  return c
}

/** The same DataType as an instance of our copy's classes (types hold no buffers). */
export function adoptDataType(t: unknown, what = 'the data'): arrow.DataType {
  if (ours(arrow.DataType, t)) return t as arrow.DataType
  if (!isArrowDataType(t)) throw new DeltaError('INVALID_ARGUMENT', `${what}: ${describe(t)} is not an Arrow DataType`)
  // Property reads go through a loose view: the foreign object has the fields of its own version.
  const x = t as unknown as Record<string, never>
  const name = `${String(t)} (typeId ${t.typeId})`
  const child = (i: number) => adoptField((x.children as unknown[])[i], what)
  switch (t.typeId) {
    case arrow.Type.Null:
      return new arrow.Null()
    case arrow.Type.Int:
      return new arrow.Int(x.isSigned, x.bitWidth)
    case arrow.Type.Float:
      return new arrow.Float(x.precision)
    case arrow.Type.Binary:
      return new arrow.Binary()
    case arrow.Type.Utf8:
      return new arrow.Utf8()
    case arrow.Type.Bool:
      return new arrow.Bool()
    case arrow.Type.Decimal:
      return new arrow.Decimal(x.scale, x.precision, x.bitWidth)
    case arrow.Type.Date:
      return new arrow.Date_(x.unit)
    case arrow.Type.Time:
      return new arrow.Time(x.unit, x.bitWidth)
    case arrow.Type.Timestamp:
      return new arrow.Timestamp(x.unit, x.timezone)
    case arrow.Type.Interval:
      if (x.unit === arrow.IntervalUnit.MONTH_DAY_NANO && typeof arrow.IntervalMonthDayNano !== 'function')
        throw incompatible(what, `holds Arrow type ${name}`)
      return new arrow.Interval(x.unit)
    case arrow.Type.Duration:
      return new arrow.Duration(x.unit)
    case arrow.Type.FixedSizeBinary:
      return new arrow.FixedSizeBinary(x.byteWidth)
    case arrow.Type.List:
      return new arrow.List(child(0))
    case arrow.Type.FixedSizeList:
      return new arrow.FixedSizeList(x.listSize, child(0))
    case arrow.Type.Struct:
      return new arrow.Struct((x.children as unknown as arrow.Field[]).map((_, i) => child(i)))
    case arrow.Type.Map:
      return new arrow.Map_(child(0) as never, x.keysSorted)
    case arrow.Type.Union:
      return new arrow.Union(
        x.mode,
        Array.from(x.typeIds as unknown as ArrayLike<number>),
        (x.children as unknown as arrow.Field[]).map((_, i) => child(i)),
      )
    case arrow.Type.Dictionary:
      return new arrow.Dictionary(
        adoptDataType(x.dictionary, what),
        adoptDataType(x.indices, what) as never,
        x.id,
        x.isOrdered,
      )
    case arrow.Type.LargeBinary:
      return new (present(arrow.LargeBinary, what, name))()
    case arrow.Type.LargeUtf8:
      return new (present(arrow.LargeUtf8, what, name))()
    default:
      // Types newer than this copy (or that delta-ts does not map: views, large lists, run-end encoding).
      // Adopting them buffer by buffer would misread their layout, so they are refused.
      throw incompatible(what, `holds Arrow type ${name}`)
  }
}

/** The same Field (name, nullability, metadata) with an adopted type. */
export function adoptField(f: unknown, what = 'the data'): arrow.Field {
  if (ours(arrow.Field, f)) return f as arrow.Field
  if (!isArrowField(f)) throw new DeltaError('INVALID_ARGUMENT', `${what}: ${describe(f)} is not an Arrow Field`)
  return new arrow.Field(f.name, adoptDataType(f.type, `${what}, field '${f.name}'`), f.nullable, copyMetadata(f))
}

function copyMetadata(x: { metadata?: unknown }): Map<string, string> {
  return x.metadata instanceof Map ? new Map(x.metadata as Map<string, string>) : new Map()
}

/** The same Schema with adopted fields. */
export function adoptSchema(s: unknown, what = 'the data'): arrow.Schema {
  if (ours(arrow.Schema, s)) return s as arrow.Schema
  if (!isArrowSchema(s)) throw new DeltaError('INVALID_ARGUMENT', `${what}: ${describe(s)} is not an Arrow Schema`)
  return new arrow.Schema(
    (s.fields as unknown[]).map((f) => adoptField(f, what)),
    copyMetadata(s),
  )
}

type Buffer = ArrayBufferView | undefined
type TypedArrayCtor = { new (buffer: ArrayBufferLike, byteOffset: number, length: number): ArrayBufferView } & {
  BYTES_PER_ELEMENT: number
}

/**
 * The values buffer as the typed array our copy's type expects. Between the supported versions only the element
 * type of 64-bit timestamps and dates differs (apache-arrow 15: Int32Array pairs; 16+: BigInt64Array), so a
 * mismatch is bridged by viewing the same bytes (copied only when the view would be misaligned).
 */
function valuesFor(type: arrow.DataType, values: Buffer): Buffer {
  const want = (type as { ArrayType?: unknown }).ArrayType as TypedArrayCtor | undefined
  if (!values || !want || typeof want !== 'function' || values instanceof (want as unknown as typeof Uint8Array))
    return values
  const isInt = (v: ArrayBufferView) =>
    v instanceof Int32Array || v instanceof Uint32Array || v instanceof BigInt64Array || v instanceof BigUint64Array
  const wantInt = [Int32Array, Uint32Array, BigInt64Array, BigUint64Array].includes(want as never)
  if (!isInt(values) || !wantInt || values.byteLength % want.BYTES_PER_ELEMENT !== 0) return values
  const n = values.byteLength / want.BYTES_PER_ELEMENT
  if (values.byteOffset % want.BYTES_PER_ELEMENT === 0) return new want(values.buffer, values.byteOffset, n)
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength).slice()
  return new want(bytes.buffer, 0, n)
}

/** The same Data chunk, rebuilt with our classes over the same buffers (children and dictionary too). */
export function adoptData(d: unknown, what = 'the data'): arrow.Data {
  if (ours(arrow.Data, d)) return d as arrow.Data
  if (!isArrowData(d)) throw new DeltaError('INVALID_ARGUMENT', `${what}: ${describe(d)} is not an Arrow Data`)
  const x = d as unknown as Record<string, unknown>
  const variadic = x.variadicBuffers
  if (Array.isArray(variadic) && variadic.length > 0) throw incompatible(what, 'holds variadic (view) buffers')
  const type = adoptDataType(d.type, what)
  const buffers: Buffer[] = [
    x.valueOffsets as Buffer,
    valuesFor(type, x.values as Buffer),
    x.nullBitmap as Buffer,
    x.typeIds as Buffer,
  ]
  const children = (d.children as unknown[]).map((c) => adoptData(c, what))
  const dictionary = x.dictionary === undefined ? undefined : adoptVector(x.dictionary, what)
  return new arrow.Data(type, d.offset, d.length, d.nullCount, buffers as never, children, dictionary)
}

/** The same Vector over adopted Data chunks. */
export function adoptVector(v: unknown, what = 'the data'): arrow.Vector {
  if (ours(arrow.Vector, v)) return v as arrow.Vector
  if (!isArrowVector(v)) throw new DeltaError('INVALID_ARGUMENT', `${what}: ${describe(v)} is not an Arrow Vector`)
  return new arrow.Vector((v.data as unknown[]).map((d) => adoptData(d, what)))
}

/** The same RecordBatch: adopted schema and struct Data. */
export function adoptRecordBatch(b: unknown, what = 'the data'): arrow.RecordBatch {
  if (ours(arrow.RecordBatch, b)) return b as arrow.RecordBatch
  if (!isArrowRecordBatch(b))
    throw new DeltaError('INVALID_ARGUMENT', `${what}: ${describe(b)} is not an Arrow RecordBatch`)
  const schema = adoptSchema(b.schema, what)
  const data = adoptData(b.data, what) as arrow.Data<arrow.Struct>
  // The struct Data's type carries the field names; keep the schema's fields (metadata included) on it.
  const struct = new arrow.Data(
    new arrow.Struct(schema.fields),
    data.offset,
    data.length,
    data.nullCount,
    [undefined, undefined, data.nullBitmap] as never,
    data.children,
  )
  return new arrow.RecordBatch(schema, struct as arrow.Data<arrow.Struct>)
}

/** The same Table: adopted schema and batches. */
export function adoptTable(t: unknown, what = 'the data'): arrow.Table {
  if (ours(arrow.Table, t)) return t as arrow.Table
  if (!isArrowTable(t)) throw new DeltaError('INVALID_ARGUMENT', `${what}: ${describe(t)} is not an Arrow Table`)
  const schema = adoptSchema(t.schema, what)
  return new arrow.Table(
    schema,
    (t.batches as unknown[]).map((b) => adoptRecordBatch(b, what)),
  )
}

/**
 * A Table or RecordBatch of any apache-arrow copy as one of ours (same buffers). Throws `INVALID_ARGUMENT` when
 * `x` is neither, `ARROW_INCOMPATIBLE` when it holds a type our copy cannot represent.
 */
export function adoptTableOrBatch(x: unknown, what = 'the data'): arrow.Table | arrow.RecordBatch {
  if (ours(arrow.Table, x)) return x as arrow.Table
  if (ours(arrow.RecordBatch, x)) return x as arrow.RecordBatch
  if (isArrowTable(x)) return adoptTable(x, what)
  if (isArrowRecordBatch(x)) return adoptRecordBatch(x, what)
  throw new DeltaError('INVALID_ARGUMENT', `${what} must be an Arrow Table or RecordBatch, got ${describe(x)}`)
}

/** {@link adoptTableOrBatch} as a Table (a batch becomes a one-batch table). */
export function adoptAsTable(x: unknown, what = 'the data'): arrow.Table {
  const t = adoptTableOrBatch(x, what)
  return ours(arrow.RecordBatch, t) ? new arrow.Table([t as arrow.RecordBatch]) : (t as arrow.Table)
}
