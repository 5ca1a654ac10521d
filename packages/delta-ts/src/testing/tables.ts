import type * as arrow from 'apache-arrow'
import {
  arrowToDeltaSchema,
  type DataType,
  DeltaError,
  DeltaTable,
  findField,
  Snapshot,
  type Storage,
  type StorageOptions,
  type StructField,
  type StructType,
} from 'delta-ts'
import { readData, rowsToArrow } from './arrow.js'
import { comparePlain, formatValue, isPlainObject } from './values.js'

/** A row as tests write it: column name → value. */
export type TestRow = Record<string, unknown>

/** Options of {@link createTestTable}. */
export interface CreateTestTableOptions {
  /**
   * The table schema (a Delta struct type or an Arrow schema). Without it the schema is inferred from the rows
   * (see {@link inferSchema}). Give one for types inference cannot pick: long from numbers, decimal, date,
   * timestamp_ntz, float, maps from plain objects, non-nullable fields.
   */
  schema?: StructType | arrow.Schema
  /** Partition columns, in order. */
  partitionBy?: string[]
  /** Table properties (`delta.*` and user keys), e.g. `{ 'delta.columnMapping.mode': 'name' }`. */
  properties?: Record<string, string>
  /** Use this storage (e.g. a {@link FaultyStorage} or a `MemoryStorage`) instead of resolving `uri`. */
  storage?: Storage
  /** Options of the backend `uri` resolves to (S3 endpoint, credentials...). */
  storageOptions?: StorageOptions
}

function kindOf(v: unknown): string {
  if (typeof v === 'bigint') return 'bigint'
  if (typeof v === 'number') return 'number'
  if (typeof v === 'string') return 'string'
  if (typeof v === 'boolean') return 'boolean'
  if (v instanceof Date) return 'Date'
  if (v instanceof Uint8Array) return 'Uint8Array'
  if (v instanceof Map) return 'Map'
  if (Array.isArray(v)) return 'array'
  if (isPlainObject(v)) return 'object'
  return typeof v === 'object' ? (Object.getPrototypeOf(v)?.constructor?.name ?? 'object') : typeof v
}

const INT32_MIN = -2147483648
const INT32_MAX = 2147483647

/** The Delta type of a set of non-null values, or undefined when there is no value to infer from. */
function inferType(values: unknown[], where: string): DataType | undefined {
  const present = values.filter((v) => v !== null && v !== undefined)
  if (present.length === 0) return undefined
  const kinds = new Set(present.map(kindOf))
  if (kinds.size === 2 && kinds.has('bigint') && kinds.has('number')) {
    if (present.every((v) => typeof v === 'bigint' || Number.isSafeInteger(v))) return 'long'
    throw new DeltaError('INVALID_ARGUMENT', `${where} mixes bigint and fractional numbers; give a schema`)
  }
  if (kinds.size > 1) {
    throw new DeltaError(
      'INVALID_ARGUMENT',
      `${where} mixes values of kinds ${[...kinds].join(' and ')}; give a schema to say which type it has`,
    )
  }
  const kind = [...kinds][0]
  switch (kind) {
    case 'bigint':
      return 'long'
    case 'number':
      return present.every((v) => Number.isInteger(v) && (v as number) >= INT32_MIN && (v as number) <= INT32_MAX)
        ? 'integer'
        : 'double'
    case 'string':
      return 'string'
    case 'boolean':
      return 'boolean'
    case 'Date':
      return 'timestamp'
    case 'Uint8Array':
      return 'binary'
    case 'array': {
      const elements = (present as unknown[][]).flat()
      const elementType = inferType(elements, `${where}[]`)
      if (!elementType)
        throw new DeltaError(
          'INVALID_ARGUMENT',
          `${where}: cannot infer the element type of empty arrays; give a schema`,
        )
      return { type: 'array', elementType, containsNull: true }
    }
    case 'Map': {
      const maps = present as Map<unknown, unknown>[]
      const keyType = inferType(
        maps.flatMap((m) => [...m.keys()]),
        `${where} keys`,
      )
      const valueType = inferType(
        maps.flatMap((m) => [...m.values()]),
        `${where} values`,
      )
      if (!keyType || !valueType)
        throw new DeltaError('INVALID_ARGUMENT', `${where}: cannot infer the types of empty maps; give a schema`)
      return { type: 'map', keyType, valueType, valueContainsNull: true }
    }
    case 'object':
      return inferStruct(present as Record<string, unknown>[], where)
    default:
      throw new DeltaError('INVALID_ARGUMENT', `${where}: cannot store a value of kind ${kind}`)
  }
}

function inferStruct(objects: readonly Record<string, unknown>[], where: string): StructType {
  const names: string[] = []
  const seen = new Set<string>()
  for (const o of objects)
    for (const k of Object.keys(o))
      if (!seen.has(k)) {
        seen.add(k)
        names.push(k)
      }
  const fields: StructField[] = names.map((name) => {
    const path = where === '' ? `column '${name}'` : `${where}.${name}`
    const type = inferType(
      objects.map((o) => o[name]),
      path,
    )
    if (!type)
      throw new DeltaError(
        'INVALID_ARGUMENT',
        `${path} is null in every row: its type cannot be inferred; give a schema`,
      )
    return { name, type, nullable: true, metadata: {} }
  })
  return { type: 'struct', fields }
}

/**
 * Infers a Delta schema from plain rows. Columns appear in the order their keys are first seen; every field is
 * nullable. Rules, per column over all its non-null values:
 *
 * - bigint → `long` (bigints mixed with integral numbers → `long` too);
 * - number → `integer` when every value is an integer in the int32 range, else `double` (for `long` from
 *   numbers, `float` or `decimal`, give a schema);
 * - string → `string`; boolean → `boolean`; Date → `timestamp`; Uint8Array (Buffer) → `binary`;
 * - plain object → `struct` (fields inferred the same way, the union of keys over all rows);
 * - array → `array` of the elements' inferred type; Map → `map` of the inferred key and value types.
 *
 * @throws DeltaError `INVALID_ARGUMENT` when a row is not a plain object, a column mixes kinds (say string and
 *   number), or a column (or every array/map) holds no value to infer from; the message names the column.
 */
export function inferSchema(rows: readonly TestRow[]): StructType {
  rows.forEach((row, i) => {
    if (!isPlainObject(row)) throw new DeltaError('INVALID_ARGUMENT', `row ${i} is not a plain object`)
  })
  if (rows.length === 0) throw new DeltaError('INVALID_ARGUMENT', 'cannot infer a schema from zero rows; give a schema')
  return inferStruct(rows, '')
}

function isArrowSchema(s: StructType | arrow.Schema): s is arrow.Schema {
  return (s as StructType).type !== 'struct' && Array.isArray((s as arrow.Schema).fields)
}

/**
 * Creates a Delta table at `uri` (a path, `file://` URL, `memory://name` or `s3://...`) holding `rows`, and
 * returns it. Version 0 creates the table; when there are rows, version 1 appends them (one `WRITE` commit,
 * through the same writer as `table.write`). Values keep their exact types: bigints as long, Dates and ISO
 * strings as microsecond timestamps, decimal strings without rounding, nested objects as structs (see
 * {@link inferSchema} and {@link rowsToArrow} for the accepted forms).
 *
 * @example
 * const table = await createTestTable('memory://orders', [
 *   { id: 1n, customer: 'ada', total: '12.50', placedAt: new Date('2024-05-01T10:00:00Z') },
 * ], {
 *   schema: { type: 'struct', fields: [
 *     { name: 'id', type: 'long', nullable: false },
 *     { name: 'customer', type: 'string', nullable: true },
 *     { name: 'total', type: 'decimal(10,2)', nullable: true },
 *     { name: 'placedAt', type: 'timestamp', nullable: true },
 *   ] },
 *   partitionBy: ['customer'],
 * })
 *
 * @throws DeltaError `INVALID_ARGUMENT` for a value that does not fit its column (naming row and column), a key
 *   that is not a column, or a schema that cannot be inferred; `TABLE_ALREADY_EXISTS` when `uri` already
 *   holds a table; `SCHEMA_MISMATCH` for a bad partition column; storage errors as the backend reports them.
 */
export async function createTestTable(
  uri: string,
  rows: readonly TestRow[],
  options: CreateTestTableOptions = {},
): Promise<DeltaTable> {
  if (!Array.isArray(rows)) throw new DeltaError('INVALID_ARGUMENT', 'createTestTable: rows must be an array')
  const schema = options.schema
    ? isArrowSchema(options.schema)
      ? arrowToDeltaSchema(options.schema)
      : options.schema
    : inferSchema(rows)
  // Convert before creating anything, so a bad value leaves no half-made table behind.
  const data = rowsToArrow(rows, schema)
  const table = await DeltaTable.create(uri, {
    schema,
    partitionBy: options.partitionBy,
    properties: options.properties,
    storage: options.storage,
    storageOptions: options.storageOptions,
  })
  if (rows.length > 0) await table.write(data)
  return table
}

/** What {@link readRows} reads: a table, one snapshot of it, or a table URI. */
export type RowSource = DeltaTable | Snapshot | string

/** Options of {@link readRows}. */
export interface ReadRowsOptions {
  /** Read this version (time travel) instead of the latest. Not with a Snapshot of another version. */
  version?: number
  /** Only these top-level columns, in this order (default: all, in schema order). */
  columns?: string[]
  /**
   * Sort by these columns (ascending, nulls first); rows equal on them are ordered by all columns, so the
   * order is always deterministic. Default: all columns in schema order.
   */
  orderBy?: string | readonly string[]
  /** Only rows matching this predicate (SQL text, as `table.scan({ filter })`). */
  filter?: string
  /** Storage options when `source` is a URI. */
  storageOptions?: StorageOptions
}

/** The snapshot a source and version name. */
export async function resolveSnapshot(
  source: RowSource,
  options: Pick<ReadRowsOptions, 'version' | 'storageOptions'> = {},
): Promise<Snapshot> {
  if (source instanceof Snapshot) {
    if (options.version !== undefined && options.version !== source.version)
      throw new DeltaError(
        'INVALID_ARGUMENT',
        `readRows: version ${options.version} was asked of a snapshot at version ${source.version}`,
      )
    return source
  }
  const table =
    typeof source === 'string'
      ? await DeltaTable.open(source, { storageOptions: options.storageOptions })
      : source instanceof DeltaTable
        ? source
        : undefined
  if (!table) throw new DeltaError('INVALID_ARGUMENT', 'readRows: expected a DeltaTable, a Snapshot or a table URI')
  return table.snapshot({ version: options.version })
}

/** The Delta field of each output column, in order (all columns when `columns` is undefined). */
export function outputFields(snapshot: Snapshot, columns: readonly string[] | undefined): StructField[] {
  if (!columns) return snapshot.schema.fields
  return columns.map((c) => {
    const f = findField(snapshot.schema, c)
    if (!f)
      throw new DeltaError(
        'INVALID_ARGUMENT',
        `column '${c}' is not in the table schema (${snapshot.schema.fields.map((x) => x.name).join(', ')})`,
      )
    return f
  })
}

/** A comparator of plain rows: the `orderBy` columns first, then every column in order. */
export function rowComparator(
  fields: readonly StructField[],
  orderBy: readonly string[] = [],
): (a: TestRow, b: TestRow) => number {
  const byName = new Map(fields.map((f) => [f.name.toLowerCase(), f]))
  const keys: StructField[] = []
  for (const name of orderBy) {
    const f = byName.get(name.toLowerCase())
    if (!f) throw new DeltaError('INVALID_ARGUMENT', `orderBy column '${name}' is not among the columns read`)
    keys.push(f)
  }
  for (const f of fields) if (!keys.includes(f)) keys.push(f)
  return (a, b) => {
    for (const f of keys) {
      const c = comparePlain(a[f.name], b[f.name], f.type)
      if (c !== 0) return c
    }
    return 0
  }
}

/**
 * Reads a table's rows as plain, JSON-safe objects in a deterministic order: the form tests compare against.
 * Every column is present in every row (null when null). Values, by Delta type (see `formatValue`):
 * byte/short/integer → number; long → string of digits; float/double → number (`"NaN"`, `"Infinity"`,
 * `"-Infinity"` as strings); decimal(p,s) → string with s fraction digits (`"12.50"`); binary → base64;
 * date → `"YYYY-MM-DD"`; timestamp → `"YYYY-MM-DDTHH:MM:SS.ffffffZ"`; timestamp_ntz → the same without `Z`;
 * struct → object; array → array; map → object keyed by the keys' plain form. `JSON.stringify` of the result
 * is exact and stable.
 *
 * Rows deleted by deletion vectors are not returned; partition and column-mapped columns read by logical name.
 *
 * @throws DeltaError `INVALID_ARGUMENT` for an unknown column (in `columns` or `orderBy`) or a `version` that
 *   contradicts the snapshot given; `TABLE_NOT_FOUND`, `VERSION_NOT_FOUND`, `INVALID_PREDICATE` and the scan's
 *   errors as they come.
 */
export async function readRows(source: RowSource, options: ReadRowsOptions = {}): Promise<TestRow[]> {
  const snapshot = await resolveSnapshot(source, options)
  const fields = outputFields(snapshot, options.columns)
  const table = await snapshot
    .scan({ columns: fields.map((f) => f.name), ...(options.filter !== undefined ? { filter: options.filter } : {}) })
    .toArrow()
  const rows: TestRow[] = []
  for (const batch of table.batches) {
    const columns = fields.map((f, k) => readData(batch.data.children[k], f.type))
    for (let i = 0; i < batch.numRows; i++) {
      const row: TestRow = {}
      fields.forEach((f, k) => {
        row[f.name] = formatValue(columns[k][i], f.type)
      })
      rows.push(row)
    }
  }
  const orderBy = typeof options.orderBy === 'string' ? [options.orderBy] : options.orderBy
  return rows.sort(rowComparator(fields, orderBy))
}
