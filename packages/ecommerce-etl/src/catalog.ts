/**
 * The catalog (what the Glue crawlers kept) and the preview query (what Athena ran): `catalog.json` at the
 * warehouse root maps `lakehouse_dwh.<table>` to location, schema, partition columns and latest version;
 * the preview reads the tables back and reports counts, sample rows and the top departments by items ordered.
 */
import type { Table } from 'apache-arrow'
import { arrowToRows } from './arrow.js'
import { catalogName, DATASET_DEFS, DATASETS, type DatasetName } from './datasets.js'
import type { TypedValue } from './rules.js'
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
}

/**
 * Rewrites `catalog.json` from the tables' latest snapshots; tables that do not exist yet are left out.
 * Returns the catalog written.
 */
export async function refreshCatalog(warehouse: Warehouse): Promise<Catalog> {
  const catalog: Catalog = { database: 'lakehouse_dwh', tables: {} }
  for (const name of DATASETS) {
    const table = await warehouse.openTable(name)
    if (!table) continue
    const snap = await table.snapshot()
    catalog.tables[catalogName(name)] = {
      name: catalogName(name),
      location: warehouse.tableUri(name),
      schema: snap.schema,
      partitionColumns: [...snap.partitionColumns],
      version: snap.version,
      numFiles: (await snap.files()).length,
      refreshedAt: new Date().toISOString(),
    }
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
}

/** Renders a typed value for display (dates, timestamps and decimals as text). */
export function displayValue(kind: string, v: TypedValue): string {
  if (v === null || v === undefined) return ''
  if (kind === 'date') return formatDate(v as number)
  if (kind === 'timestamp') return formatTimestamp(v as bigint)
  if (kind === 'decimal') return formatDecimal(v as bigint, 2)
  return String(v)
}

/**
 * Runs the preview query over the tables: counts, `sampleRows` rows of each (smallest keys first), and the top
 * `top` departments by number of order items (order_items ⋈ products on product_id).
 */
export async function preview(
  warehouse: Warehouse,
  options: { sampleRows?: number; top?: number } = {},
): Promise<Preview> {
  const out: Preview = { counts: {}, samples: {}, topDepartments: [] }
  const loaded: Partial<Record<DatasetName, Record<string, TypedValue>[]>> = {}
  for (const name of DATASETS) {
    const table = await warehouse.openTable(name)
    if (!table) continue
    const def = DATASET_DEFS[name]
    const rows = arrowToRows((await (await table.snapshot()).scan({}).toArrow()) as Table)
    loaded[name] = rows
    out.counts[name] = rows.length
    const sorted = [...rows].sort((a, b) => ((a[def.key] as bigint) < (b[def.key] as bigint) ? -1 : 1))
    out.samples[name] = sorted
      .slice(0, options.sampleRows ?? 3)
      .map((r) => Object.fromEntries(def.columns.map((c) => [c.name, displayValue(c.kind, r[c.name])])))
  }
  if (loaded.products && loaded.order_items) {
    const dep = new Map(loaded.products.map((p) => [p.product_id, (p.department as string) ?? 'unknown']))
    const counts = new Map<string, number>()
    for (const it of loaded.order_items) {
      const d = dep.get(it.product_id) ?? 'unknown'
      counts.set(d, (counts.get(d) ?? 0) + 1)
    }
    out.topDepartments = [...counts.entries()]
      .map(([department, items]) => ({ department, items }))
      .sort((a, b) => b.items - a.items || (a.department < b.department ? -1 : 1))
      .slice(0, options.top ?? 5)
  }
  return out
}
