/**
 * The dataset rules: turn one raw record (text cells) into a typed row, or list every rule it breaks.
 * Pure functions; the jobs feed them records and reference key sets.
 */
import type { ColumnDef, DatasetDef } from './datasets.js'
import {
  isBlank,
  parseBoolean,
  parseDate,
  parseDecimal,
  parseInt32,
  parseLong,
  parseTimestamp,
  utcDayOfMicros,
} from './values.js'

/**
 * Why a row was rejected. `MISSING_<COLUMN>` for an empty required column (MISSING_ORDER_ID, MISSING_USER_ID,
 * MISSING_PRODUCT_ID, MISSING_PRODUCT_NAME, MISSING_ID, MISSING_ORDER_TIMESTAMP); the others are fixed codes.
 */
export type RejectReason =
  | `MISSING_${string}`
  | 'INVALID_TIMESTAMP'
  | 'INVALID_DATE'
  | 'BAD_NUMBER'
  | 'BAD_BOOLEAN'
  | 'UNKNOWN_ORDER'
  | 'UNKNOWN_PRODUCT'

/** A raw input row with where it came from. `index` is its position in the batch (input order). */
export interface RawRecord {
  fields: Record<string, string>
  file: string
  sheet: string
  /** Row number in the original file or sheet (1 is the header). */
  row: number
  index: number
}

/** A typed cell: bigint for long, number for int/date (days), bigint unscaled for decimal, µs bigint for timestamp. */
export type TypedValue = bigint | number | string | boolean | null

/** A row that passed every rule, with its typed values by column name. */
export interface TypedRow {
  values: Record<string, TypedValue>
  source: RawRecord
}

/** A row that broke at least one rule; `reasons` is unique and sorted, `details` names the columns. */
export interface Rejection {
  record: RawRecord
  reasons: RejectReason[]
  details: string[]
}

/** Keys that referencing rows must find (order_items → orders, products). */
export interface ReferenceKeys {
  orderIds?: ReadonlySet<bigint>
  productIds?: ReadonlySet<bigint>
}

function missingCode(col: ColumnDef): RejectReason {
  return `MISSING_${col.name.toUpperCase()}`
}

/**
 * Validates one record against the dataset's rules. Every broken rule is reported (not only the first), so a
 * rejected row tells the whole story. `sheet_name` and `source_file`, when the dataset has them and the record
 * does not, come from the record's origin. An empty `date` is derived from `order_timestamp` (UTC day); a
 * present date must be `YYYY-MM-DD` and agree with it.
 */
export function validateRecord(
  def: DatasetDef,
  record: RawRecord,
  refs: ReferenceKeys = {},
): { ok: true; row: TypedRow } | { ok: false; rejection: Rejection } {
  const reasons = new Set<RejectReason>()
  const details: string[] = []
  const values: Record<string, TypedValue> = {}
  const bad = (reason: RejectReason, col: string, msg: string) => {
    reasons.add(reason)
    details.push(`${col}: ${msg}`)
  }
  for (const col of def.columns) {
    const raw = record.fields[col.name]
    if (col.kind === 'date') continue // needs the timestamp; handled below
    if (isBlank(raw)) {
      if (col.name === 'sheet_name') values[col.name] = record.sheet || null
      else if (col.name === 'source_file') values[col.name] = record.file || null
      else {
        values[col.name] = null
        if (col.required) bad(missingCode(col), col.name, 'required value is empty')
      }
      continue
    }
    let v: TypedValue | undefined
    switch (col.kind) {
      case 'long':
        v = parseLong(raw)
        if (v === null) bad('BAD_NUMBER', col.name, `not a 64-bit integer: ${JSON.stringify(raw)}`)
        break
      case 'int':
        v = parseInt32(raw)
        if (v === null) bad('BAD_NUMBER', col.name, `not a 32-bit integer: ${JSON.stringify(raw)}`)
        break
      case 'decimal':
        v = parseDecimal(raw, def.decimal.precision, def.decimal.scale)
        if (v === null)
          bad(
            'BAD_NUMBER',
            col.name,
            `not a decimal(${def.decimal.precision},${def.decimal.scale}): ${JSON.stringify(raw)}`,
          )
        break
      case 'timestamp':
        v = parseTimestamp(raw)
        if (v === null) bad('INVALID_TIMESTAMP', col.name, `not a timestamp: ${JSON.stringify(raw)}`)
        break
      case 'boolean':
        v = parseBoolean(raw)
        if (v === null) bad('BAD_BOOLEAN', col.name, `not 0/1/true/false: ${JSON.stringify(raw)}`)
        break
      case 'string':
        v = raw
        break
    }
    values[col.name] = v ?? null
  }
  for (const col of def.columns) {
    if (col.kind !== 'date') continue
    const raw = record.fields[col.name]
    const ts = values.order_timestamp
    const derived = typeof ts === 'bigint' ? utcDayOfMicros(ts) : null
    if (isBlank(raw)) {
      values[col.name] = derived
      continue
    }
    const d = parseDate(raw)
    if (d === null || d === undefined) bad('INVALID_DATE', col.name, `not a YYYY-MM-DD date: ${JSON.stringify(raw)}`)
    else if (derived !== null && d !== derived)
      bad('INVALID_DATE', col.name, `${raw} disagrees with order_timestamp (UTC day)`)
    values[col.name] = d ?? null
  }
  if (
    def.key !== 'order_id' &&
    refs.orderIds &&
    typeof values.order_id === 'bigint' &&
    !refs.orderIds.has(values.order_id)
  ) {
    bad('UNKNOWN_ORDER', 'order_id', `${values.order_id} is not in orders`)
  }
  if (
    def.key !== 'product_id' &&
    refs.productIds &&
    typeof values.product_id === 'bigint' &&
    !refs.productIds.has(values.product_id)
  ) {
    bad('UNKNOWN_PRODUCT', 'product_id', `${values.product_id} is not in products`)
  }
  if (reasons.size > 0) return { ok: false, rejection: { record, reasons: [...reasons].sort(), details } }
  return { ok: true, row: { values, source: record } }
}

/** Validates a batch; see {@link validateRecord}. Keeps input order in both outputs. */
export function validateBatch(
  def: DatasetDef,
  records: readonly RawRecord[],
  refs: ReferenceKeys = {},
): { accepted: TypedRow[]; rejected: Rejection[] } {
  const accepted: TypedRow[] = []
  const rejected: Rejection[] = []
  for (const r of records) {
    const out = validateRecord(def, r, refs)
    if (out.ok) accepted.push(out.row)
    else rejected.push(out.rejection)
  }
  return { accepted, rejected }
}

/** Counts rejected rows per reason (a row breaking two rules counts under both). */
export function countReasons(rejected: readonly Rejection[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const r of rejected) for (const reason of r.reasons) out[reason] = (out[reason] ?? 0) + 1
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)))
}

/**
 * Collapses rows with the same key: the survivor has the greatest `order_timestamp` (when the dataset has one),
 * ties going to the later row in input order. Returns survivors in first-seen key order and the number dropped.
 */
export function dedupByKey(def: DatasetDef, rows: readonly TypedRow[]): { rows: TypedRow[]; duplicates: number } {
  const best = new Map<TypedValue, TypedRow>()
  const hasTs = def.columns.some((c) => c.name === 'order_timestamp')
  for (const row of rows) {
    const k = row.values[def.key]
    const prev = best.get(k)
    if (prev === undefined) {
      best.set(k, row)
      continue
    }
    if (hasTs) {
      const a = prev.values.order_timestamp as bigint
      const b = row.values.order_timestamp as bigint
      if (b < a) continue
    }
    best.set(k, row) // later in input order wins ties (Map keeps the first insertion position)
  }
  return { rows: [...best.values()], duplicates: rows.length - best.size }
}
