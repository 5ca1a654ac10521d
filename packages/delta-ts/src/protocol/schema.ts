import { DeltaError } from '../errors.js'

/**
 * Delta schema types (PROTOCOL.md §Schema Serialization Format). A schema is a {@link StructType}; the log
 * stores it as JSON in `metaData.schemaString`.
 */
export type PrimitiveTypeName =
  | 'string'
  | 'long'
  | 'integer'
  | 'short'
  | 'byte'
  | 'float'
  | 'double'
  | 'boolean'
  | 'binary'
  | 'date'
  | 'timestamp'
  | 'timestamp_ntz'
  | 'variant'
  /** Spark's NullType: a column that only ever holds null. */
  | 'void'
  | `decimal(${number},${number})`

export type DataType = PrimitiveTypeName | StructType | ArrayType | MapType

export interface StructField {
  name: string
  type: DataType
  nullable: boolean
  metadata?: Record<string, unknown>
}

export interface StructType {
  type: 'struct'
  fields: StructField[]
}

export interface ArrayType {
  type: 'array'
  elementType: DataType
  containsNull: boolean
}

export interface MapType {
  type: 'map'
  keyType: DataType
  valueType: DataType
  valueContainsNull: boolean
}

const PRIMITIVES = new Set([
  'string',
  'long',
  'integer',
  'short',
  'byte',
  'float',
  'double',
  'boolean',
  'binary',
  'date',
  'timestamp',
  'timestamp_ntz',
  'variant',
  'void',
])

const DECIMAL = /^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/

/** Precision and scale of a `decimal(p,s)` type name, or undefined for any other type. */
export function decimalParams(t: DataType): { precision: number; scale: number } | undefined {
  if (typeof t !== 'string') return undefined
  if (t === ('decimal' as string)) return { precision: 10, scale: 0 }
  const m = DECIMAL.exec(t)
  return m ? { precision: Number(m[1]), scale: Number(m[2]) } : undefined
}

export function isStruct(t: DataType): t is StructType {
  return typeof t === 'object' && t.type === 'struct'
}
export function isArray(t: DataType): t is ArrayType {
  return typeof t === 'object' && t.type === 'array'
}
export function isMap(t: DataType): t is MapType {
  return typeof t === 'object' && t.type === 'map'
}

/**
 * Parses `metaData.schemaString`. Throws `INVALID_SCHEMA` naming the offending field when the JSON is not a
 * Delta struct type.
 */
export function parseSchemaString(schemaString: string): StructType {
  let json: unknown
  try {
    json = JSON.parse(schemaString)
  } catch (err) {
    throw new DeltaError('INVALID_SCHEMA', `schemaString is not valid JSON: ${(err as Error).message}`, { cause: err })
  }
  const t = parseDataType(json, '<root>')
  if (!isStruct(t)) throw new DeltaError('INVALID_SCHEMA', 'schemaString must be a struct type')
  return t
}

/** Validates and normalizes one JSON data type. */
export function parseDataType(json: unknown, where: string): DataType {
  if (typeof json === 'string') {
    if (PRIMITIVES.has(json)) return json as PrimitiveTypeName
    if (json === 'decimal') return 'decimal(10,0)'
    const m = DECIMAL.exec(json)
    if (m) return `decimal(${Number(m[1])},${Number(m[2])})` as PrimitiveTypeName
    throw new DeltaError('INVALID_SCHEMA', `unknown data type '${json}' at ${where}`)
  }
  if (typeof json !== 'object' || json === null) {
    throw new DeltaError('INVALID_SCHEMA', `invalid data type at ${where}`)
  }
  const o = json as Record<string, unknown>
  switch (o.type) {
    case 'struct': {
      if (!Array.isArray(o.fields)) throw new DeltaError('INVALID_SCHEMA', `struct without fields at ${where}`)
      return {
        type: 'struct',
        fields: o.fields.map((f: any, i: number) => {
          if (typeof f?.name !== 'string') throw new DeltaError('INVALID_SCHEMA', `field ${i} of ${where} has no name`)
          const path = where === '<root>' ? f.name : `${where}.${f.name}`
          return {
            name: f.name,
            type: parseDataType(f.type, path),
            nullable: f.nullable !== false,
            metadata: (f.metadata as Record<string, unknown>) ?? {},
          }
        }),
      }
    }
    case 'array':
      return {
        type: 'array',
        elementType: parseDataType(o.elementType, `${where}[]`),
        containsNull: o.containsNull !== false,
      }
    case 'map':
      return {
        type: 'map',
        keyType: parseDataType(o.keyType, `${where}.key`),
        valueType: parseDataType(o.valueType, `${where}.value`),
        valueContainsNull: o.valueContainsNull !== false,
      }
    default:
      throw new DeltaError('INVALID_SCHEMA', `unknown data type ${JSON.stringify(json)} at ${where}`)
  }
}

/** Serializes a schema for `metaData.schemaString`. */
export function schemaToString(schema: StructType): string {
  return JSON.stringify(schema)
}

/** Finds a top-level field by name (case-sensitive first, then case-insensitive like Spark). */
export function findField(schema: StructType, name: string): StructField | undefined {
  return (
    schema.fields.find((f) => f.name === name) ?? schema.fields.find((f) => f.name.toLowerCase() === name.toLowerCase())
  )
}

/** Resolves a nested field path (`a.b.c`) through structs. */
export function findFieldPath(schema: StructType, path: readonly string[]): StructField | undefined {
  let current: StructType = schema
  let field: StructField | undefined
  for (let i = 0; i < path.length; i++) {
    field = findField(current, path[i])
    if (!field) return undefined
    if (i < path.length - 1) {
      if (!isStruct(field.type)) return undefined
      current = field.type
    }
  }
  return field
}

/** The column mapping mode of a table (`delta.columnMapping.mode`). */
export type ColumnMappingMode = 'none' | 'name' | 'id'

export function columnMappingMode(configuration: Record<string, string | null> | undefined): ColumnMappingMode {
  const mode = configuration?.['delta.columnMapping.mode']
  return mode === 'name' || mode === 'id' ? mode : 'none'
}

/** The physical (in-file) name of a field under column mapping; the logical name otherwise. */
export function physicalName(field: StructField, mode: ColumnMappingMode): string {
  if (mode === 'none') return field.name
  const p = field.metadata?.['delta.columnMapping.physicalName']
  return typeof p === 'string' ? p : field.name
}

/** The parquet field id of a field under column mapping, if any. */
export function fieldId(field: StructField): number | undefined {
  const id = field.metadata?.['delta.columnMapping.id']
  return typeof id === 'number' ? id : undefined
}
