/**
 * The catalog (what the Glue crawlers kept) and the preview query (what Athena ran): `catalog.json` at the
 * warehouse root maps `lakehouse_dwh.<table>` to location, schema, partition columns and latest version;
 * the preview reads the tables back and reports counts, sample rows and the top departments by items ordered.
 */
import type { DeltaTable } from 'delta-ts'
import { catalogName, DATASET_DEFS, DATASETS, type DatasetName } from './datasets.js'
import type { TypedValue } from './rules.js'
import { WarehouseSql } from './sql.js'
import { readText, writeText } from './store.js'
import { formatDate, formatDecimal, formatTimestamp } from './values.js'
import type { Warehouse } from './warehouse.js'

/** Key of the catalog file under the warehouse root. */
export const CATALOG_PATH = 'catalog.json'

/** One catalog entry. */
export interface CatalogEntry {
  name: string
  location: string
  /** The Delta schema as the table's metadata holds it. */
  schema: unknown
  partitionColumns: string[]
  version: number
  numFiles: number
  refreshedAt: string
}

/** The catalog file. */
export interface Catalog {
  database: 'lakehouse_dwh'
  tables: Record<string, CatalogEntry>
  /** The quarantine tables that exist, as `quarantine.<dataset>` (their SQL names). */
  quarantine: Record<string, CatalogEntry>
}

/**
 * Rewrites `catalog.json` from the latest snapshots of the warehouse tables and of the quarantine tables
 * (`quarantine.<dataset>`, under `rejected/`); tables that do not exist yet are left out.
 * Returns the catalog written.
 */
export async function refreshCatalog(warehouse: Warehouse): Promise<Catalog> {
  const catalog: Catalog = { database: 'lakehouse_dwh', tables: {}, quarantine: {} }
  const entry = async (name: string, table: DeltaTable, location: string): Promise<CatalogEntry> => {
    const snap = await table.snapshot()
    return {
      name,
      location,
      schema: snap.schema,
      partitionColumns: [...snap.partitionColumns],
      version: snap.version,
      numFiles: (await snap.files()).length,
      refreshedAt: new Date().toISOString(),
    }
  }
  for (const name of DATASETS) {
    const table = await warehouse.openTable(name)
    if (table) catalog.tables[catalogName(name)] = await entry(catalogName(name), table, warehouse.tableUri(name))
  }
  for (const name of DATASETS) {
    const table = await warehouse.openQuarantine(name)
    if (table)
      catalog.quarantine[`quarantine.${name}`] = await entry(`quarantine.${name}`, table, warehouse.quarantineUri(name))
  }
  await writeText(warehouse.store, CATALOG_PATH, `${JSON.stringify(catalog, null, 2)}\n`)
  return catalog
}

/** Reads `catalog.json`, or `undefined` when there is none yet. */
export async function readCatalog(warehouse: Warehouse): Promise<Catalog | undefined> {
  try {
    return JSON.parse(await readText(warehouse.store, CATALOG_PATH)) as Catalog
  } catch {
    return undefined
  }
}

/** The preview result: row counts, a few rows per table (as display strings) and top departments. */
export interface Preview {
  counts: Partial<Record<DatasetName, number>>
  samples: Partial<Record<DatasetName, Record<string, string>[]>>
  topDepartments: { department: string; items: number }[]
  /** The snapshot version each table was read at (all queries of one preview see the same versions). */
  versions: Partial<Record<DatasetName, number>>
  /** The SQL the preview ran, in order (what the seed's Athena preview query was). */
  queries: string[]
}

/** Renders a typed value for display (dates, timestamps and decimals as text). */
export function displayValue(kind: string, v: TypedValue): string {
  if (v === null || v === undefined) return ''
  if (kind === 'date') return formatDate(v as number)
  if (kind === 'timestamp') return formatTimestamp(v as bigint)
  if (kind === 'decimal') return formatDecimal(v as bigint, 2)
  return String(v)
}

/** Renders a DuckDB JSON value for display: as it is, nested values as JSON, null as empty. */
function displayJson(v: unknown): string {
  if (v === null || v === undefined) return ''
  return typeof v === 'object' ? JSON.stringify(v) : String(v)
}

/**
 * Runs the preview queries with SQL over the warehouse (an embedded DuckDB reading the tables through
 * delta-ts, see `sql.ts`): counts, `sampleRows` rows of each table (smallest keys first), and the top `top`
 * departments by number of order items (order_items ⋈ products on product_id; items whose product is unknown
 * or has no department count as `unknown`). Tables that do not exist yet are left out.
 */
export async function preview(
  warehouse: Warehouse,
  options: { sampleRows?: number; top?: number } = {},
): Promise<Preview> {
  const out: Preview = { counts: {}, samples: {}, topDepartments: [], versions: {}, queries: [] }
  const present: DatasetName[] = []
  for (const name of DATASETS) if (await warehouse.openTable(name)) present.push(name)
  const countSql = (name: DatasetName) => `SELECT count(*) AS n FROM lakehouse_dwh.${name}`
  // The sample's keys from the key column alone; its rows are read below with the keys pushed into the scan,
  // so a preview never loads a whole table's columns (memory stays flat as the warehouse grows).
  const keySql = (name: DatasetName) =>
    `SELECT ${DATASET_DEFS[name].key} FROM lakehouse_dwh.${name} ORDER BY ${DATASET_DEFS[name].key} LIMIT ${options.sampleRows ?? 3}`
  const topSql =
    present.includes('products') && present.includes('order_items')
      ? `SELECT coalesce(p.department, 'unknown') AS department, count(*) AS items
FROM lakehouse_dwh.order_items i LEFT JOIN lakehouse_dwh.products p ON i.product_id = p.product_id
GROUP BY 1 ORDER BY items DESC, department LIMIT ${options.top ?? 5}`
      : undefined
  // Announced up front, so each table is loaded once with every column the preview reads.
  const statements = [...present.flatMap((name) => [countSql(name), keySql(name)]), ...(topSql ? [topSql] : [])]
  const session = await WarehouseSql.open(warehouse, { statements })
  const samples: { name: DatasetName; keys: string[] }[] = []
  const run = async (sql: string) => {
    out.queries.push(sql)
    return (await session.query(sql)).rows
  }
  try {
    for (const name of present) {
      const def = DATASET_DEFS[name]
      out.counts[name] = Number((await run(countSql(name)))[0].n)
      const keys = await run(keySql(name))
      samples.push({ name, keys: keys.map((r) => String(r[def.key])) })
    }
    if (topSql) {
      const rows = await run(topSql)
      out.topDepartments = rows.map((r) => ({ department: String(r.department), items: Number(r.items) }))
    }
    out.versions = session.versions
  } finally {
    session.close()
  }
  const filters: Partial<Record<DatasetName, string>> = {}
  for (const { name, keys } of samples)
    filters[name] = keys.length > 0 ? `${DATASET_DEFS[name].key} IN (${keys.join(', ')})` : 'false'
  const sampler = await WarehouseSql.open(warehouse, { versions: out.versions, filters })
  try {
    for (const { name } of samples) {
      const def = DATASET_DEFS[name]
      const sql = `SELECT ${def.columns.map((c) => c.name).join(', ')} FROM lakehouse_dwh.${name} ORDER BY ${def.key}`
      out.queries.push(`${sql} -- rows where ${filters[name]}`)
      const rows = (await sampler.query(sql)).rows
      out.samples[name] = rows.map((r) => Object.fromEntries(def.columns.map((c) => [c.name, displayJson(r[c.name])])))
    }
  } finally {
    sampler.close()
  }
  return out
}
