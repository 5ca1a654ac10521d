import * as arrow from 'apache-arrow'
import { DeltaError } from '../errors.js'
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
  type StructType,
} from './schema.js'

/** The parquet field-id key that Arrow schemas produced from parquet (and written to parquet) use. */
export const PARQUET_FIELD_ID_KEY = 'PARQUET:field_id'

/** Options of {@link deltaToArrowSchema} and {@link deltaToArrowType}. */
export interface ArrowSchemaOptions {
  /**
   * Produce the physical (in-file) schema of a column-mapped table: every struct field, nested too, takes its
   * `delta.columnMapping.physicalName`, and carries its `delta.columnMapping.id` as `PARQUET:field_id`
   * metadata. `'none'` (the default) gives the logical schema.
   */
  columnMapping?: ColumnMappingMode
}

/**
 * The Arrow type of one Delta type: byte/short/integer/long → Int8/16/32/64; float/double → Float32/64;
 * decimal(p,s) → Decimal128(p,s); string → Utf8; binary → Binary; boolean → Bool; date → DateDay;
 * timestamp → Timestamp(µs, 'UTC'); timestamp_ntz → Timestamp(µs, no zone); struct → Struct; array → List
 * (child `element`); map → Map(entries: struct<key, value>); variant → Struct<value: binary, metadata: binary>;
 * void (Spark's NullType) → Null.
 *
 * @throws DeltaError `INVALID_SCHEMA` for a type name outside the Delta type system.
 */
export function deltaToArrowType(type: DataType, opts: ArrowSchemaOptions = {}): arrow.DataType {
  if (isStruct(type)) return new arrow.Struct(type.fields.map((f) => deltaToArrowField(f, opts)))
  if (isArray(type))
    return new arrow.List(new arrow.Field('element', deltaToArrowType(type.elementType, opts), type.containsNull))
  if (isMap(type)) {
    const entries = new arrow.Struct([
      new arrow.Field('key', deltaToArrowType(type.keyType, opts), false),
      new arrow.Field('value', deltaToArrowType(type.valueType, opts), type.valueContainsNull),
    ])
    return new arrow.Map_(new arrow.Field('entries', entries, false), false)
  }
  switch (type) {
    case 'byte':
      return new arrow.Int8()
    case 'short':
      return new arrow.Int16()
    case 'integer':
      return new arrow.Int32()
    case 'long':
      return new arrow.Int64()
    case 'float':
      return new arrow.Float32()
    case 'double':
      return new arrow.Float64()
    case 'string':
      return new arrow.Utf8()
    case 'binary':
      return new arrow.Binary()
    case 'boolean':
      return new arrow.Bool()
    case 'date':
      return new arrow.DateDay()
    case 'timestamp':
      return new arrow.TimestampMicrosecond('UTC')
    case 'timestamp_ntz':
      return new arrow.TimestampMicrosecond(null)
    case 'void' as string:
      // Spark's NullType: a column that only ever holds null.
      return new arrow.Null()
    case 'variant':
      // The shredding-free physical layout of the variant spec: two binary children.
      return new arrow.Struct([
        new arrow.Field('value', new arrow.Binary(), false),
        new arrow.Field('metadata', new arrow.Binary(), false),
      ])
    default: {
      const dp = decimalParams(type)
      if (dp) return new arrow.Decimal(dp.scale, dp.precision, 128)
      throw new DeltaError('INVALID_SCHEMA', `unknown Delta type ${JSON.stringify(type)}`)
    }
  }
}

/** The Arrow field of one Delta struct field (physical name and field id under column mapping). */
export function deltaToArrowField(field: StructField, opts: ArrowSchemaOptions = {}): arrow.Field {
  const mode = opts.columnMapping ?? 'none'
  const name = physicalName(field, mode)
  const metadata = new Map<string, string>()
  const id = mode === 'none' ? undefined : fieldId(field)
  if (id !== undefined) metadata.set(PARQUET_FIELD_ID_KEY, String(id))
  return new arrow.Field(name, deltaToArrowType(field.type, opts), field.nullable, metadata)
}

/**
 * The Arrow schema of a Delta table schema, fields in schema order, nullability carried over. With
 * `opts.columnMapping` set to `'name'` or `'id'`, the physical schema that the table's parquet files hold.
 *
 * @throws DeltaError `INVALID_SCHEMA` for a type outside the Delta type system.
 */
export function deltaToArrowSchema(schema: StructType, opts: ArrowSchemaOptions = {}): arrow.Schema {
  return new arrow.Schema(schema.fields.map((f) => deltaToArrowField(f, opts)))
}

/**
 * The Delta type of an Arrow type. Accepts what parquet readers produce beyond {@link deltaToArrowType}'s
 * output: LargeUtf8 / Utf8View / Dictionary<Utf8> → string; LargeBinary / BinaryView / FixedSizeBinary →
 * binary; any timestamp unit (zone → timestamp, none → timestamp_ntz); DateMillisecond → date; LargeList /
 * FixedSizeList → array; unsigned ints to the next wider signed type (uint64 → decimal(20,0)); Float16 → float.
 *
 * @throws DeltaError `INVALID_SCHEMA` for Arrow types with no Delta equivalent (time of day, durations,
 *   intervals, unions, decimals wider than 38 digits).
 */
export function arrowToDeltaType(t: arrow.DataType): DataType {
  switch (t.typeId) {
    case arrow.Type.Int: {
      const it = t as arrow.Int
      if (it.isSigned) return ({ 8: 'byte', 16: 'short', 32: 'integer', 64: 'long' } as const)[it.bitWidth]
      return ({ 8: 'short', 16: 'integer', 32: 'long', 64: 'decimal(20,0)' } as const)[it.bitWidth]
    }
    case arrow.Type.Float:
      return (t as arrow.Float).precision === arrow.Precision.DOUBLE ? 'double' : 'float'
    case arrow.Type.Utf8:
    case arrow.Type.LargeUtf8:
    case arrow.Type.Utf8View:
      return 'string'
    case arrow.Type.Binary:
    case arrow.Type.LargeBinary:
    case arrow.Type.BinaryView:
    case arrow.Type.FixedSizeBinary:
      return 'binary'
    case arrow.Type.Bool:
      return 'boolean'
    case arrow.Type.Decimal: {
      const d = t as arrow.Decimal
      if (d.precision < 1 || d.precision > 38 || d.scale < 0 || d.scale > d.precision) {
        throw new DeltaError(
          'INVALID_SCHEMA',
          `Arrow type ${String(t)} (precision ${d.precision}, scale ${d.scale}) has no Delta equivalent: Delta decimals have precision 1..38 and 0 <= scale <= precision`,
        )
      }
      return `decimal(${d.precision},${d.scale})`
    }
    case arrow.Type.Date:
      return 'date'
    case arrow.Type.Timestamp:
      return (t as arrow.Timestamp).timezone ? 'timestamp' : 'timestamp_ntz'
    case arrow.Type.Dictionary:
      return arrowToDeltaType((t as arrow.Dictionary).dictionary)
    case arrow.Type.Null:
      // An all-null column of unknown type: string is what Spark infers for it.
      return 'string'
    case arrow.Type.List:
    case arrow.Type.LargeList:
    case arrow.Type.FixedSizeList: {
      const child = (t as arrow.List).children[0]
      return { type: 'array', elementType: arrowToDeltaType(child.type), containsNull: child.nullable }
    }
    case arrow.Type.Struct:
      return arrowToDeltaStruct((t as arrow.Struct).children)
    case arrow.Type.Map: {
      const [key, value] = (t as arrow.Map_).children[0].type.children as arrow.Field[]
      return {
        type: 'map',
        keyType: arrowToDeltaType(key.type),
        valueType: arrowToDeltaType(value.type),
        valueContainsNull: value.nullable,
      }
    }
    default:
      throw new DeltaError('INVALID_SCHEMA', `Arrow type ${String(t)} has no Delta equivalent`)
  }
}

function arrowToDeltaStruct(fields: arrow.Field[]): StructType {
  return {
    type: 'struct',
    fields: fields.map((f) => ({ name: f.name, type: arrowToDeltaType(f.type), nullable: f.nullable, metadata: {} })),
  }
}

/**
 * The Delta schema of an Arrow schema (field names, order and nullability kept; see
 * {@link arrowToDeltaType} for the type mapping).
 *
 * @throws DeltaError `INVALID_SCHEMA` for Arrow types with no Delta equivalent.
 */
export function arrowToDeltaSchema(schema: arrow.Schema): StructType {
  return arrowToDeltaStruct(schema.fields)
}
