/**
 * The three datasets of the lakehouse (products, orders, order_items): their columns, keys, partitioning and
 * exact Arrow schemas. Everything else (rules, conversion, jobs, catalog) reads from these definitions, so a
 * column is declared once.
 */
import {
  Bool,
  type DataType,
  DateDay,
  Decimal,
  Field,
  Int32,
  Int64,
  Schema,
  TimestampMicrosecond,
  Utf8,
} from 'apache-arrow'

/** Name of a dataset; also the folder name under raw/, preprocessed/, rejected/ and the Delta table name. */
export type DatasetName = 'products' | 'orders' | 'order_items'

/** The datasets in dependency order (order_items references the other two). */
export const DATASETS: readonly DatasetName[] = ['products', 'orders', 'order_items']

/** Logical column types of the issue: long → Int64, int → Int32, decimal(12,2), date, timestamp (µs, UTC). */
export type ColumnKind = 'long' | 'int' | 'string' | 'decimal' | 'date' | 'timestamp' | 'boolean'

/** One column of a dataset. `required` columns reject a row when empty. */
export interface ColumnDef {
  name: string
  kind: ColumnKind
  required: boolean
}

/** A dataset: its table columns, primary key, partition columns and the job that loads it. */
export interface DatasetDef {
  name: DatasetName
  /** Job name: the run-log folder (`logs/<job>/`) and the transaction appId prefix. */
  job: string
  columns: readonly ColumnDef[]
  key: string
  partitionBy: readonly string[]
  /** Precision and scale of the decimal columns (decimal(12,2) in this model). */
  decimal: { precision: number; scale: number }
}

const c = (name: string, kind: ColumnKind, required = false): ColumnDef => ({ name, kind, required })

/** products: keyed by product_id, partitioned by department_id. */
export const PRODUCTS: DatasetDef = {
  name: 'products',
  job: 'products_job',
  columns: [
    c('product_id', 'long', true),
    c('department_id', 'long'),
    c('department', 'string'),
    c('product_name', 'string', true),
  ],
  key: 'product_id',
  partitionBy: ['department_id'],
  decimal: { precision: 12, scale: 2 },
}

/** orders: keyed by order_id, partitioned by date. */
export const ORDERS: DatasetDef = {
  name: 'orders',
  job: 'orders_job',
  columns: [
    c('order_num', 'long'),
    c('order_id', 'long', true),
    c('user_id', 'long', true),
    c('order_timestamp', 'timestamp', true),
    c('total_amount', 'decimal'),
    c('date', 'date'),
    c('sheet_name', 'string'),
    c('source_file', 'string'),
  ],
  key: 'order_id',
  partitionBy: ['date'],
  decimal: { precision: 12, scale: 2 },
}

/** order_items: keyed by id, partitioned by date; order_id and product_id must exist. */
export const ORDER_ITEMS: DatasetDef = {
  name: 'order_items',
  job: 'order_items_job',
  columns: [
    c('id', 'long', true),
    c('order_id', 'long', true),
    c('user_id', 'long', true),
    c('days_since_prior_order', 'int'),
    c('product_id', 'long', true),
    c('add_to_cart_order', 'int'),
    c('reordered', 'boolean'),
    c('order_timestamp', 'timestamp', true),
    c('date', 'date'),
    c('sheet_name', 'string'),
    c('source_file', 'string'),
  ],
  key: 'id',
  partitionBy: ['date'],
  decimal: { precision: 12, scale: 2 },
}

/** Dataset definitions by name. */
export const DATASET_DEFS: Readonly<Record<DatasetName, DatasetDef>> = {
  products: PRODUCTS,
  orders: ORDERS,
  order_items: ORDER_ITEMS,
}

/** The Arrow type of a dataset column kind (decimals with the dataset's precision and scale). */
export function arrowType(kind: ColumnKind, def: DatasetDef): DataType {
  switch (kind) {
    case 'long':
      return new Int64()
    case 'int':
      return new Int32()
    case 'string':
      return new Utf8()
    case 'decimal':
      return new Decimal(def.decimal.scale, def.decimal.precision, 128)
    case 'date':
      return new DateDay()
    case 'timestamp':
      return new TimestampMicrosecond('UTC')
    case 'boolean':
      return new Bool()
  }
}

/**
 * The exact Arrow schema of a dataset's Delta table: long → Int64, int → Int32, decimal(12,2) → Decimal128,
 * date → DateDay, timestamp → Timestamp(µs, UTC). Required columns are non-nullable, except partition columns,
 * which Delta stores in the log rather than in the files and which stay nullable.
 */
export function arrowSchema(def: DatasetDef): Schema {
  return new Schema(
    def.columns.map(
      (col) => new Field(col.name, arrowType(col.kind, def), !col.required || def.partitionBy.includes(col.name)),
    ),
  )
}

/** Delta table name in the catalog (`lakehouse_dwh.<dataset>`). */
export function catalogName(name: DatasetName): string {
  return `lakehouse_dwh.${name}`
}

/** Guesses the dataset of a raw file from its folder or file name (`order_items*` before `orders*`). */
export function datasetOfPath(path: string): DatasetName | undefined {
  const parts = path.toLowerCase().split('/')
  for (const part of parts.slice(0, -1)) if ((DATASETS as readonly string[]).includes(part)) return part as DatasetName
  const base = parts[parts.length - 1]
  if (base.startsWith('order_items') || base.startsWith('order-items') || base.startsWith('orderitems'))
    return 'order_items'
  if (base.startsWith('orders')) return 'orders'
  if (base.startsWith('products')) return 'products'
  return undefined
}
