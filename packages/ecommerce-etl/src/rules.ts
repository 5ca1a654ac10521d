/**
 * The dataset rules, declared as expectations (`expectations.ts`): turn raw records (text cells) into typed
 * rows, or list every rule a row breaks. Pure functions; the jobs feed them records and reference key sets.
 */
import type { RecordBatch } from 'apache-arrow'
import { takeRows } from 'delta-ts'
import type { RawBatch } from './columns.js'
import { recordAt } from './columns.js'
import type { DatasetDef, DatasetName } from './datasets.js'
import {
  type CompiledExpectation,
  compileExpectations,
  type Expectation,
  type ExpectationResult,
  evaluateExpectations,
  type KeyLookup,
} from './expectations.js'
import { Int64Table, int64Words } from './keys.js'

/**
 * Why a row was rejected: the name of a `drop` expectation it failed. The built-in ones ({@link RULES}):
 * `MISSING_<COLUMN>` for an empty required column (MISSING_ORDER_ID, MISSING_USER_ID, MISSING_PRODUCT_ID,
 * MISSING_PRODUCT_NAME, MISSING_ID, MISSING_ORDER_TIMESTAMP), INVALID_TIMESTAMP, INVALID_DATE, BAD_NUMBER,
 * BAD_BOOLEAN, UNKNOWN_ORDER, UNKNOWN_PRODUCT; user expectations add their own names.
 */
export type RejectReason = string

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
  orderIds?: KeyLookup
  productIds?: KeyLookup
}

const missing = (col: string, description: string): Expectation => ({
  name: `MISSING_${col.toUpperCase()}`,
  predicate: `raw.${col} IS NOT NULL`,
  action: 'drop',
  description,
})
const parsed = (name: string, cols: readonly string[], description: string): Expectation => ({
  name,
  predicate: cols.map((c) => `(raw.${c} IS NULL OR ${c} IS NOT NULL)`).join(' AND '),
  action: 'drop',
  description,
})
const dateAgrees: Expectation = {
  name: 'INVALID_DATE',
  predicate: 'raw.date IS NULL OR (date IS NOT NULL AND (derived.order_date IS NULL OR date = derived.order_date))',
  action: 'drop',
  description: 'a present date is YYYY-MM-DD and is the UTC day of order_timestamp',
}

/**
 * The datasets' rules, declared as expectations (see `expectations.ts` for what a predicate sees). Their names
 * are the reject reason codes; all `drop`. A user adds or overrides expectations by name through
 * `runPipeline({ expectations })`.
 */
export const RULES: Readonly<Record<DatasetName, readonly Expectation[]>> = {
  products: [
    missing('product_id', 'product_id is present'),
    missing('product_name', 'product_name is present'),
    parsed('BAD_NUMBER', ['product_id', 'department_id'], 'numeric cells are 64-bit integers'),
  ],
  orders: [
    missing('order_id', 'order_id is present'),
    missing('user_id', 'user_id is present'),
    missing('order_timestamp', 'order_timestamp is present'),
    parsed('BAD_NUMBER', ['order_num', 'order_id', 'user_id', 'total_amount'], 'integers and decimal(12,2) parse'),
    parsed('INVALID_TIMESTAMP', ['order_timestamp'], 'order_timestamp is an ISO-8601 timestamp'),
    dateAgrees,
  ],
  order_items: [
    missing('id', 'id is present'),
    missing('order_id', 'order_id is present'),
    missing('user_id', 'user_id is present'),
    missing('product_id', 'product_id is present'),
    missing('order_timestamp', 'order_timestamp is present'),
    parsed(
      'BAD_NUMBER',
      ['id', 'order_id', 'user_id', 'days_since_prior_order', 'product_id', 'add_to_cart_order'],
      'integers parse (64-bit ids, 32-bit counters)',
    ),
    parsed('BAD_BOOLEAN', ['reordered'], 'reordered is 0/1/true/false'),
    parsed('INVALID_TIMESTAMP', ['order_timestamp'], 'order_timestamp is an ISO-8601 timestamp'),
    dateAgrees,
    {
      name: 'UNKNOWN_ORDER',
      predicate: 'order_id IS NULL OR orders.order_id IS NOT NULL',
      action: 'drop',
      description: 'order_id is in orders',
    },
    {
      name: 'UNKNOWN_PRODUCT',
      predicate: 'product_id IS NULL OR products.product_id IS NOT NULL',
      action: 'drop',
      description: 'product_id is in products',
    },
  ],
}

/** The outcome of {@link validateBatch}. */
export interface ValidatedBatch {
  accepted: TypedRow[]
  rejected: Rejection[]
  /** Per-expectation pass/fail counts over the whole batch, in declaration order. */
  expectations: ExpectationResult[]
  /** Accepted rows that failed at least one `warn` expectation. */
  warned: number
}

/**
 * Validates one record against the dataset's rules; see {@link validateBatch}. Every broken rule is reported
 * (not only the first), so a rejected row tells the whole story.
 */
export function validateRecord(
  def: DatasetDef,
  record: RawRecord,
  refs: ReferenceKeys = {},
  expectations: readonly Expectation[] = RULES[def.name],
): { ok: true; row: TypedRow } | { ok: false; rejection: Rejection } {
  const { accepted, rejected } = validateBatch(def, [record], refs, expectations)
  return accepted.length === 1 ? { ok: true, row: accepted[0] } : { ok: false, rejection: rejected[0] }
}

/**
 * Validates a batch with the dataset's expectations (default: {@link RULES}), evaluated on columns by
 * delta-ts's expression engine. A row failing a `drop` expectation is rejected with the names of all the
 * `drop` expectations it fails (unique, sorted) and, per reason, the raw cells the predicate reads; `warn`
 * failures are counted only. Keeps input order in both outputs.
 *
 * @throws ExpectationError for an invalid expectation; ExpectationFailedError when a `fail` one is violated.
 */
export function validateBatch(
  def: DatasetDef,
  records: readonly RawRecord[],
  refs: ReferenceKeys = {},
  expectations: readonly Expectation[] = RULES[def.name],
): ValidatedBatch {
  const compiled = compileExpectations(def, expectations)
  const { values, passed, results } = evaluateExpectations(def, records, compiled, refs)
  const { keep, rejected, warned } = classifyRows(compiled, passed, records.length, (i) => records[i])
  const accepted: TypedRow[] = []
  for (let i = 0; i < records.length; i++) if (keep[i]) accepted.push({ values: values[i], source: records[i] })
  return { accepted, rejected, expectations: results, warned }
}

/**
 * Splits a batch by its expectation masks: `keep` is 1 for accepted rows (all `drop` expectations passed),
 * `rejected` lists the others in input order with the names of all the `drop` expectations they fail (unique,
 * sorted) and, per reason, the raw cells the predicate reads; rows failing only `warn` ones are kept and
 * counted in `warned`. `recordOf` is called for rejected rows only.
 */
export function classifyRows(
  compiled: readonly CompiledExpectation[],
  passed: readonly Uint8Array[],
  n: number,
  recordOf: (i: number) => RawRecord,
): { keep: Uint8Array; rejected: Rejection[]; warned: number } {
  const keep = new Uint8Array(n).fill(1)
  for (const mask of passed) for (let i = 0; i < n; i++) keep[i] &= mask[i]
  const rejected: Rejection[] = []
  let warned = 0
  // Expectation indices by name order (drop ones only): a rejected row's reasons come out sorted without a sort.
  const byName = compiled
    .map((_, k) => k)
    .filter((k) => compiled[k].action !== 'warn')
    .sort((a, b) => (compiled[a].name < compiled[b].name ? -1 : compiled[a].name > compiled[b].name ? 1 : a - b))
  const warns = compiled.map((_, k) => k).filter((k) => compiled[k].action === 'warn')
  for (let i = 0; i < n; i++) {
    // Rows that passed everything (most of them) skip the per-expectation bookkeeping.
    if (keep[i]) continue
    let record: RawRecord | undefined
    let reasons: string[] | undefined
    let details: string[] | undefined
    for (const k of byName) {
      if (passed[k][i]) continue
      const e = compiled[k]
      record ??= recordOf(i)
      reasons ??= []
      details ??= []
      if (reasons[reasons.length - 1] !== e.name) reasons.push(e.name)
      let cells = ''
      for (let c = 0; c < e.columns.length; c++) {
        const col = e.columns[c]
        cells += `${c > 0 ? ', ' : ''}${col}=${JSON.stringify(record.fields[col] ?? '')}`
      }
      details.push(`${e.name}: ${cells}`)
    }
    if (reasons && record && details) {
      rejected.push({ record, reasons, details })
      continue
    }
    for (const k of warns)
      if (!passed[k][i]) {
        warned++
        break
      }
    keep[i] = 1
  }
  return { keep, rejected, warned }
}

/** {@link classifyRows} for a raw batch: rejected rows' records are rebuilt from its columns. */
export function classifyBatch(
  compiled: readonly CompiledExpectation[],
  passed: readonly Uint8Array[],
  raw: RawBatch,
): { keep: Uint8Array; rejected: Rejection[]; warned: number } {
  return classifyRows(compiled, passed, raw.length, (i) => recordAt(raw, i))
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

/**
 * {@link dedupByKey} on columns: collapses rows of `batches` (typed dataset columns first, as the jobs'
 * accepted batches) with the same key through a hash table of the key column, keeping the row with the
 * greatest `order_timestamp` (when the dataset has one; a null timestamp is the lowest), ties to the later row.
 * Survivors keep input order. Rows with a null key are all kept. `masks` (per batch, 1 = take part) leaves
 * other rows out entirely (the jobs pass their accepted rows this way, so survivors are taken in one copy).
 * Returns the survivors (one batch per input batch that has any), the number dropped and the surviving keys.
 */
export function dedupBatches(
  def: DatasetDef,
  batches: readonly RecordBatch[],
  masks?: readonly Uint8Array[],
): { batches: RecordBatch[]; duplicates: number; keys: Int64Table } {
  const keyAt = def.columns.findIndex((c) => c.name === def.key)
  const tsAt = def.columns.findIndex((c) => c.name === 'order_timestamp')
  const total = batches.reduce((n, b) => n + b.numRows, 0)
  const index = new Int64Table(total, true)
  const keep = new Uint8Array(total)
  // Where each global row lives, to compare timestamps of rows in other batches.
  const starts: number[] = []
  let g = 0
  for (const b of batches) {
    starts.push(g)
    g += b.numRows
  }
  const tsOf = (row: number): bigint | null => {
    let k = starts.length - 1
    while (starts[k] > row) k--
    const d = batches[k].data.children[tsAt]
    const i = row - starts[k]
    return d.getValid(i) ? (d.values as unknown as BigInt64Array)[d.offset + i] : null
  }
  let duplicates = 0
  g = 0
  batches.forEach((b, k) => {
    const kd = b.data.children[keyAt]
    const w = int64Words(kd)
    const td = tsAt >= 0 ? b.data.children[tsAt] : undefined
    const mask = masks?.[k]
    for (let i = 0; i < b.numRows; i++, g++) {
      if (mask && !mask[i]) continue
      if (kd.nullCount > 0 && !kd.getValid(i)) {
        keep[g] = 1
        continue
      }
      const slot = index.find(w[2 * i], w[2 * i + 1])
      if (slot < 0) {
        index.insertAt(slot, w[2 * i], w[2 * i + 1], g)
        keep[g] = 1
        continue
      }
      duplicates++
      const prev = index.valueAt(slot)
      if (td) {
        const a = tsOf(prev)
        const v = td.getValid(i) ? (td.values as unknown as BigInt64Array)[td.offset + i] : null
        if (v === null ? a !== null : a !== null && v < a) continue
      }
      keep[prev] = 0
      keep[g] = 1
      index.setValueAt(slot, g)
    }
  })
  const out: RecordBatch[] = []
  batches.forEach((b, k) => {
    const idx: number[] = []
    for (let i = 0; i < b.numRows; i++) if (keep[starts[k] + i]) idx.push(i)
    if (idx.length > 0) out.push(idx.length === b.numRows ? b : takeRows(b, Int32Array.from(idx)))
  })
  return { batches: out, duplicates, keys: index }
}
