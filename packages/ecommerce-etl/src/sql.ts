/**
 * SQL over the warehouse, where the seed ran Athena: an embedded DuckDB (`@duckdb/node-api`) answers queries
 * over `lakehouse_dwh.<table>` and the quarantine tables `quarantine.<table>` (rows dropped by expectations). Each table a query names is read through delta-ts at one pinned snapshot
 * version (so deletion vectors, column mapping and partition values are honoured exactly as delta-ts reads
 * them, and every table of one query is at one version) and loaded into DuckDB's memory in column chunks.
 *
 * Why not DuckDB's own readers: its `delta` extension and `httpfs` (for S3) are downloaded at run time, which
 * a locked-down machine (and this one) cannot do, and `read_parquet` over the data files would ignore
 * deletion vectors and column mapping.
 */
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api'
import { Table as ArrowTable, type RecordBatch, type Schema, type Vector } from 'apache-arrow'
import { DATASET_DEFS, DATASETS, type DatasetName } from './datasets.js'
import { quarantineRows } from './quarantine.js'
import type { Warehouse } from './warehouse.js'

/**
 * A table SQL can name: a dataset (`orders` is `lakehouse_dwh.orders`) or its quarantine table
 * (`quarantine.orders`, stored under `rejected/orders/`).
 */
export type SqlTable = DatasetName | `quarantine.${DatasetName}`

/** The SQL tables, in catalog order: the three datasets, then their quarantine tables. */
export const SQL_TABLES: readonly SqlTable[] = [...DATASETS, ...DATASETS.map((d) => `quarantine.${d}` as const)]

/** The qualified SQL name of a table: `lakehouse_dwh.orders`, `quarantine.orders`. */
export function sqlName(t: SqlTable): string {
  return t.startsWith('quarantine.') ? t : `lakehouse_dwh.${t}`
}

/** The result of {@link queryWarehouse}. */
export interface QueryResult {
  columns: string[]
  /** Rows as JSON-safe values (bigints and decimals as strings, dates and timestamps as ISO text). */
  rows: Record<string, unknown>[]
  /** The snapshot version each table was read at (-1: a quarantine table that does not exist yet, read empty). */
  versions: Partial<Record<SqlTable, number>>
  /** Time spent reading the tables through delta-ts and loading them into DuckDB, and running the query. */
  timings: { loadMs: number; queryMs: number }
}

/** Options of {@link queryWarehouse}. */
export interface QueryOptions {
  /** Read a table at this version instead of its latest (time travel). */
  versions?: Partial<Record<SqlTable, number>>
  /**
   * Restrict a table to the rows matching a delta-ts predicate (pushed into its scan: files pruned, rows
   * filtered while reading), for queries that need a few rows of a large table (the preview's samples).
   */
  filters?: Partial<Record<SqlTable, string>>
  /**
   * Statements the session is going to run (a session option): each table is loaded once with the columns all
   * of them reference, instead of being reloaded when a later statement needs another column.
   */
  statements?: readonly string[]
}

/** Tables a query names as `lakehouse_dwh.<table>` or `quarantine.<table>` (case-insensitive), in catalog order. */
export function referencedTables(sql: string): SqlTable[] {
  const named = new Set(
    [...sql.matchAll(/\b(lakehouse_dwh|quarantine)\s*\.\s*"?([A-Za-z_][A-Za-z0-9_]*)"?/gi)].map((m) =>
      m[1].toLowerCase() === 'quarantine' ? `quarantine.${m[2].toLowerCase()}` : m[2].toLowerCase(),
    ),
  )
  return SQL_TABLES.filter((t) => named.has(t))
}

/** DuckDB's name for an Arrow type; undefined for a type this loader does not carry. */
function duckType(type: { typeId: number; toString(): string } & Record<string, unknown>): string | undefined {
  const t = type as unknown as {
    typeId: number
    bitWidth?: number
    isSigned?: boolean
    precision?: number
    scale?: number
    unit?: number
    timezone?: string | null
  }
  // Arrow's Type enum (stable across the supported apache-arrow majors).
  switch (t.typeId) {
    case 2: // Int
      return t.isSigned === false
        ? { 8: 'UTINYINT', 16: 'USMALLINT', 32: 'UINTEGER', 64: 'UBIGINT' }[t.bitWidth ?? 32]
        : { 8: 'TINYINT', 16: 'SMALLINT', 32: 'INTEGER', 64: 'BIGINT' }[t.bitWidth ?? 32]
    case 3: // Float
      return (t as { precision?: number }).precision === 2 ? 'DOUBLE' : 'FLOAT'
    case 4: // Binary
    case 19: // LargeBinary
      return 'BLOB'
    case 5: // Utf8
    case 20: // LargeUtf8
      return 'VARCHAR'
    case 6: // Bool
      return 'BOOLEAN'
    case 7: // Decimal
      return `DECIMAL(${t.precision}, ${t.scale})`
    case 8: // Date
      return 'DATE'
    case 10: // Timestamp
      return t.timezone ? 'TIMESTAMPTZ' : 'TIMESTAMP'
    default:
      return undefined
  }
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`
const CHUNK_ROWS = 2048 // DuckDB's vector size: the most rows one data chunk holds

/** Reads the value of row `i` of an Arrow vector as the DuckDB value of `sqlType`. */
function columnReader(
  vector: Vector,
  sqlType: string,
  duck: typeof import('@duckdb/node-api'),
): (i: number) => DuckDBValue {
  const type = vector.type as unknown as { typeId: number; unit?: number; scale?: number; precision?: number }
  if (type.typeId === 8) {
    // Arrow JS gives epoch milliseconds for both date units; DuckDB wants days.
    return (i) => {
      const v = vector.get(i) as number | Date | null
      return v === null ? null : duck.dateValue(Math.round(Number(v instanceof Date ? v.getTime() : v) / 86_400_000))
    }
  }
  if (type.typeId === 10) {
    // Exact microseconds from the raw int64 values (Vector.get rounds to milliseconds).
    const perMicro = [1_000_000n, 1000n, 1n, 1n][type.unit ?? 2]
    const divide = type.unit === 3
    const make = sqlType === 'TIMESTAMPTZ' ? duck.timestampTZValue : duck.timestampValue
    return (i) => {
      if (!vector.isValid(i)) return null
      const raw = rawInt64(vector, i)
      return make(divide ? raw / 1000n : raw * perMicro)
    }
  }
  if (type.typeId === 7) {
    const scale = type.scale ?? 0
    const precision = type.precision ?? 38
    return (i) => (vector.isValid(i) ? duck.decimalValue(rawInt128(vector, i), precision, scale) : null)
  }
  if (type.typeId === 4 || type.typeId === 19)
    return (i) => {
      const v = vector.get(i) as Uint8Array | null
      return v === null ? null : duck.blobValue(v)
    }
  return (i) => (vector.get(i) as DuckDBValue) ?? null
}

/** The int64 at row `i` of a fixed-width 64-bit vector (timestamps), across its chunks. */
function rawInt64(vector: Vector, i: number): bigint {
  let row = i
  for (const d of vector.data) {
    if (row < d.length) {
      const v = d.values as unknown as BigInt64Array | Int32Array
      if (v instanceof BigInt64Array) return v[d.offset + row]
      // Old Arrow JS keeps int64 as pairs of int32 (low, high).
      const k = 2 * (d.offset + row)
      return (BigInt(v[k + 1]) << 32n) | BigInt(v[k] >>> 0)
    }
    row -= d.length
  }
  throw new RangeError(`row ${i} out of range`)
}

/** The signed 128-bit decimal at row `i` of a Decimal vector, across its chunks. */
function rawInt128(vector: Vector, i: number): bigint {
  let row = i
  for (const d of vector.data) {
    if (row < d.length) {
      const words = d.values as unknown as Uint32Array
      const k = 4 * (d.offset + row)
      let v = 0n
      for (let w = 3; w >= 0; w--) v = (v << 32n) | BigInt(words[k + w])
      return BigInt.asIntN(128, v)
    }
    row -= d.length
  }
  throw new RangeError(`row ${i} out of range`)
}

/**
 * Loads Arrow batches into a new DuckDB table `<schema>.<name>` of `arrowSchema`, batch by batch and column
 * chunk by column chunk, so the JS side holds one batch at a time.
 */
async function loadTable(
  connection: DuckDBConnection,
  schema: string,
  name: string,
  arrowSchema: Schema,
  batches: AsyncIterable<RecordBatch> | Iterable<RecordBatch>,
): Promise<void> {
  const duck = await import('@duckdb/node-api')
  const fields = arrowSchema.fields
  const types = fields.map((f) => {
    const t = duckType(f.type as never)
    if (!t) throw new Error(`${schema}.${name}.${f.name}: type ${f.type} is not supported by the SQL loader`)
    return t
  })
  await connection.run(
    `CREATE OR REPLACE TABLE ${schema}.${quote(name)} (${fields.map((f, i) => `${quote(f.name)} ${types[i]}`).join(', ')})`,
  )
  const appender = await connection.createAppender(name, schema)
  const chunkTypes = fields.map((_, i) => appender.columnType(i))
  for await (const batch of batches) {
    const table = new ArrowTable([batch])
    const columns = fields.map((f) => table.getChild(f.name) as Vector)
    const readers = columns.map((c, i) => columnReader(c, types[i], duck))
    for (let start = 0; start < table.numRows; start += CHUNK_ROWS) {
      const n = Math.min(CHUNK_ROWS, table.numRows - start)
      const chunk = duck.DuckDBDataChunk.create(chunkTypes, n)
      for (let c = 0; c < fields.length; c++) {
        const values = new Array<DuckDBValue>(n)
        const read = readers[c]
        for (let r = 0; r < n; r++) values[r] = read(start + r)
        chunk.setColumnValues(c, values)
      }
      appender.appendDataChunk(chunk)
    }
  }
  appender.flushSync()
  appender.closeSync()
}

/**
 * The columns of a table that a statement can reference: those whose names occur in its text as words or
 * quoted identifiers (a conservative superset), every column when the text has a `*` other than `count(*)`.
 * At least one column is kept (a table must have one).
 */
export function referencedColumns(sql: string, columns: readonly string[]): string[] {
  if (sql.replace(/count\s*\(\s*\*\s*\)/gi, '').includes('*')) return [...columns]
  const words = new Set(
    [...sql.matchAll(/"((?:[^"]|"")+)"|([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) =>
      (m[1] !== undefined ? m[1].replace(/""/g, '"') : m[2]).toLowerCase(),
    ),
  )
  const used = columns.filter((c) => words.has(c.toLowerCase()))
  return used.length > 0 ? used : columns.slice(0, 1)
}

/**
 * A SQL session over the warehouse: one embedded DuckDB in memory. Tables are loaded on first reference and
 * stay pinned at the version they were loaded at, so every query of a session sees one snapshot of each
 * table. `close()` frees DuckDB's memory; a closed session refuses queries.
 */
export class WarehouseSql {
  private readonly loaded: Partial<Record<SqlTable, number>> = {}
  /** The columns loaded of each table: only those its queries so far can reference. */
  private readonly loadedColumns: Partial<Record<SqlTable, Set<string>>> = {}
  private closed = false
  private constructor(
    private readonly warehouse: Warehouse,
    private readonly instance: import('@duckdb/node-api').DuckDBInstance,
    private readonly connection: DuckDBConnection,
    private readonly pins: Partial<Record<SqlTable, number>>,
    private readonly filters: Partial<Record<SqlTable, string>>,
    private readonly statements: readonly string[] = [],
  ) {}

  /** Opens a session. `options.versions` pins tables to versions (time travel); others load at their latest. */
  static async open(warehouse: Warehouse, options: QueryOptions = {}): Promise<WarehouseSql> {
    const { DuckDBInstance } = await import('@duckdb/node-api')
    const instance = await DuckDBInstance.create(':memory:')
    const connection = await instance.connect()
    // Timestamps render in UTC, as delta-ts and Spark store them.
    await connection.run("SET TimeZone = 'UTC'")
    await connection.run('CREATE SCHEMA lakehouse_dwh')
    await connection.run('CREATE SCHEMA quarantine')
    return new WarehouseSql(
      warehouse,
      instance,
      connection,
      options.versions ?? {},
      options.filters ?? {},
      options.statements ?? [],
    )
  }

  /** The version each loaded table was read at. */
  get versions(): Partial<Record<SqlTable, number>> {
    return { ...this.loaded }
  }

  /**
   * Runs one SQL statement. The tables it names as `lakehouse_dwh.<table>` or `quarantine.<table>` are read
   * through delta-ts and loaded first (once per session); a named warehouse table that does not exist yet is
   * an error naming it, a quarantine table that does not exist yet (nothing was ever dropped) reads as empty. SQL errors
   * are DuckDB's, with its message. Results are JSON-safe.
   */
  async query(sql: string): Promise<QueryResult> {
    if (this.closed) throw new Error('the SQL session is closed')
    const t0 = performance.now()
    for (const name of referencedTables(sql)) {
      const quarantined = name.startsWith('quarantine.')
      const dataset = (quarantined ? name.slice('quarantine.'.length) : name) as DatasetName
      const have = this.loadedColumns[name]
      if (this.loaded[name] === -1) continue // an empty quarantine table, loaded whole
      const table = quarantined ? await this.warehouse.openQuarantine(dataset) : await this.warehouse.openTable(dataset)
      const pinned = this.loaded[name] ?? this.pins[name]
      if (!table && (!quarantined || pinned !== undefined))
        throw new Error(`${sqlName(name)} does not exist yet (no run has written it)`)
      if (!table) {
        // Nothing dropped yet: the empty table, with the schema the first rejection will create.
        const empty = quarantineRows(DATASET_DEFS[dataset], '', [])
        await loadTable(this.connection, 'quarantine', dataset, empty.schema, empty.batches)
        this.loaded[name] = -1
        continue
      }
      const snap = await table.snapshot(pinned === undefined ? {} : { version: pinned })
      const all = snap.schema.fields.map((f) => f.name)
      // This statement's columns and those of the announced statements naming the same table.
      const planned = this.statements.filter((st) => referencedTables(st).includes(name))
      const wanted = referencedColumns([sql, ...planned].join('\n'), all)
      if (have && wanted.every((c) => have.has(c))) continue
      // Load (or reload, at the same version, with the columns a new query needs too) only what is referenced.
      const columns = all.filter((c) => wanted.includes(c) || have?.has(c))
      const scan = snap.scan({ columns, ...(this.filters[name] ? { filter: this.filters[name] } : {}) })
      await loadTable(
        this.connection,
        quarantined ? 'quarantine' : 'lakehouse_dwh',
        dataset,
        scan.schema,
        scan.batches(),
      )
      this.loaded[name] = snap.version
      this.loadedColumns[name] = new Set(columns)
    }
    const t1 = performance.now()
    const reader = await this.connection.runAndReadAll(sql)
    return {
      columns: reader.columnNames(),
      rows: reader.getRowObjectsJson() as Record<string, unknown>[],
      versions: this.versions,
      timings: { loadMs: Math.round(t1 - t0), queryMs: Math.round(performance.now() - t1) },
    }
  }

  /** Closes the session (idempotent). */
  close(): void {
    if (this.closed) return
    this.closed = true
    this.connection.closeSync()
    this.instance.closeSync()
  }
}

/** Runs one SQL statement in a fresh {@link WarehouseSql} session and closes it. */
export async function queryWarehouse(
  warehouse: Warehouse,
  sql: string,
  options: QueryOptions = {},
): Promise<QueryResult> {
  const session = await WarehouseSql.open(warehouse, options)
  try {
    return await session.query(sql)
  } finally {
    session.close()
  }
}
