/**
 * Expectations, as Delta Live Tables has them: a dataset's data-quality rules declared as data (a name, a SQL
 * predicate, an action), evaluated column-at-a-time with delta-ts's expression engine (`parsePredicate`,
 * `bindExpr`, `evaluatePredicate`) over one Arrow batch of the job's input.
 *
 * What a predicate sees (the "expectation row"; every column nullable):
 * - each dataset column, typed (long → BIGINT, decimal(12,2), DATE, TIMESTAMP …): null when the cell is blank
 *   or does not parse; `sheet_name` / `source_file` filled from the row's origin when blank; a blank `date`
 *   derived from `order_timestamp` (UTC day);
 * - `raw.<column>`: the cell's original text, null when blank (so `raw.x IS NOT NULL AND x IS NULL` is "did
 *   not parse");
 * - `derived.order_date`: the UTC day of `order_timestamp` (datasets with that column);
 * - `orders.order_id` / `products.product_id` (datasets referencing them): the key found in the referenced
 *   table, null when not found, as a LEFT JOIN would give it (DLT's way of checking referential integrity).
 *   Without reference keys the join is not made and every key counts as found.
 *
 * A row passes an expectation when its predicate is TRUE; FALSE and NULL fail it (write `x IS NULL OR x > 0`
 * to let nulls through).
 */

import { type Data, DateDay, Field, Int64, makeData, RecordBatch, Schema, Struct, Table, Utf8 } from 'apache-arrow'
import { arrowToDeltaSchema, type BoundExpr, bindExpr, type Expr, evaluatePredicate, parsePredicate } from 'delta-ts'
import { arrowToRows } from './arrow.js'
import { batchOfRecords, type RawBatch, recordAt } from './columns.js'
import { arrowType, type ColumnKind, type DatasetDef } from './datasets.js'
import { Int64Table } from './keys.js'
import type { RawRecord, ReferenceKeys, TypedValue } from './rules.js'
import {
  nullOnlyUtf8,
  presentMask,
  type TypedColumn,
  typeColumn,
  typedColumnData,
  utf8Column,
  validityBitmap,
} from './typed.js'
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

/** What a failing row does: `drop` quarantines it, `fail` stops the job, `warn` counts it and keeps the row. */
export type ExpectationAction = 'drop' | 'fail' | 'warn'

/** One expectation: `name` is the reason code a dropped row carries; `predicate` must hold for a good row. */
export interface Expectation {
  name: string
  /** SQL predicate over the expectation row (see the module doc), e.g. `raw.order_id IS NOT NULL`. */
  predicate: string
  action: ExpectationAction
  /** What the rule means, for docs and logs. */
  description?: string
}

/** Per-expectation counts of one job run (in the run log and the CLI summary). */
export interface ExpectationResult {
  name: string
  action: ExpectationAction
  predicate: string
  passed: number
  failed: number
}

/** A `fail` expectation was violated: the job stops before writing anything. */
export class ExpectationFailedError extends Error {
  /** Error code, as the runner reports it. */
  readonly code = 'EXPECTATION_FAILED'
  constructor(
    readonly dataset: string,
    readonly expectation: Expectation,
    /** The first violating row. */
    readonly record: RawRecord,
    readonly violations: number,
  ) {
    super(
      `${dataset}: expectation ${expectation.name} (${expectation.predicate}) failed on ${violations} row(s); first: ` +
        `${record.file}${record.sheet ? ` sheet ${record.sheet}` : ''} row ${record.row} ${JSON.stringify(record.fields)}`,
    )
    this.name = 'ExpectationFailedError'
  }
}

/** An invalid expectation (bad name, action or predicate): thrown before any row is read. */
export class ExpectationError extends Error {
  readonly code = 'INVALID_EXPECTATION'
}

/**
 * Merges user expectations into a dataset's defaults: one with the name of a default replaces it (to change
 * its predicate or action, e.g. `warn` instead of `drop`), others are appended in their order.
 */
export function mergeExpectations(defaults: readonly Expectation[], extra: readonly Expectation[] = []): Expectation[] {
  const out = defaults.map((e) => extra.find((x) => x.name === e.name) ?? e)
  for (const e of extra) if (!defaults.some((d) => d.name === e.name)) out.push(e)
  return out
}

const REFERENCES: readonly { table: string; key: string; refs: keyof ReferenceKeys }[] = [
  { table: 'orders', key: 'order_id', refs: 'orderIds' },
  { table: 'products', key: 'product_id', refs: 'productIds' },
]

/** The parts of the expectation row beyond the dataset columns that this dataset has. */
function extras(def: DatasetDef) {
  const names = new Set(def.columns.map((c) => c.name))
  return {
    derivedDate: names.has('order_timestamp'),
    lookups: REFERENCES.filter((r) => names.has(r.key) && def.key !== r.key),
  }
}

/** The Arrow schema of a dataset's expectation row (see the module doc). */
export function expectationSchema(def: DatasetDef): Schema {
  const { derivedDate, lookups } = extras(def)
  const fields = def.columns.map((c) => new Field(c.name, arrowType(c.kind, def), true))
  fields.push(new Field('raw', new Struct(def.columns.map((c) => new Field(c.name, new Utf8(), true))), false))
  if (derivedDate) fields.push(new Field('derived', new Struct([new Field('order_date', new DateDay(), true)]), false))
  for (const l of lookups) fields.push(new Field(l.table, new Struct([new Field(l.key, new Int64(), true)]), false))
  return new Schema(fields)
}

/** Types one cell: null when blank or unparsable. */
function typeCell(kind: ColumnKind, raw: string, def: DatasetDef): TypedValue {
  switch (kind) {
    case 'long':
      return parseLong(raw) ?? null
    case 'int':
      return parseInt32(raw) ?? null
    case 'decimal':
      return parseDecimal(raw, def.decimal.precision, def.decimal.scale) ?? null
    case 'timestamp':
      return parseTimestamp(raw) ?? null
    case 'boolean':
      return parseBoolean(raw) ?? null
    case 'date':
      return parseDate(raw) ?? null
    case 'string':
      return raw
  }
}

/**
 * Types one record into the dataset columns: null for a blank or unparsable cell, `sheet_name` /
 * `source_file` from the origin when blank, a blank `date` derived from `order_timestamp` (UTC day).
 */
export function typeRecord(def: DatasetDef, record: RawRecord): Record<string, TypedValue> {
  const values: Record<string, TypedValue> = {}
  for (const col of def.columns) {
    const raw = record.fields[col.name]
    if (isBlank(raw)) {
      if (col.name === 'sheet_name') values[col.name] = record.sheet || null
      else if (col.name === 'source_file') values[col.name] = record.file || null
      else values[col.name] = null
      continue
    }
    values[col.name] = typeCell(col.kind, raw, def) ?? null
  }
  for (const col of def.columns) {
    if (col.kind !== 'date' || !isBlank(record.fields[col.name])) continue
    const ts = values.order_timestamp
    values[col.name] = typeof ts === 'bigint' ? utcDayOfMicros(ts) : null
  }
  return values
}

function structData(type: Struct, children: Data[], length: number) {
  return makeData({ type, length, nullCount: 0, children })
}

/** Keys a lookup column finds: a bigint set, or an {@link Int64Table} probed without a bigint per row. */
export type KeyLookup = ReadonlySet<bigint> | Int64Table

/**
 * Builds the expectation-row batch (see the module doc) of a raw batch, column by column, and the typed
 * dataset columns (as Arrow data, the first `def.columns.length` children of the batch). Cells are parsed
 * straight into Arrow buffers (`typed.ts`). `rawText` names the `raw.<column>` fields whose text a predicate
 * reads (default: all); the others carry only which rows are null, which is all `raw.x IS [NOT] NULL` sees.
 */
export function expectationBatchOf(
  def: DatasetDef,
  raw: RawBatch,
  refs: ReferenceKeys = {},
  rawText?: ReadonlySet<string>,
): RecordBatch {
  const schema = expectationSchema(def)
  const { derivedDate, lookups } = extras(def)
  const n = raw.length
  const present = new Map<string, Uint8Array>()
  const typed = new Map<string, TypedColumn>()
  for (const c of def.columns) {
    const cells = raw.columns.get(c.name)
    const p = presentMask(cells, n)
    present.set(c.name, p)
    const fallback = c.name === 'sheet_name' ? raw.sheet : c.name === 'source_file' ? raw.file : undefined
    typed.set(c.name, typeColumn(def, c.kind, cells, p, n, fallback))
  }
  const ts = derivedDate ? (typed.get('order_timestamp') as TypedColumn) : undefined
  // A blank date is the UTC day of order_timestamp.
  if (ts) {
    const tsDays = ts.days as Int32Array
    for (const c of def.columns) {
      if (c.kind !== 'date') continue
      const col = typed.get(c.name) as TypedColumn
      const p = present.get(c.name) as Uint8Array
      const vals = col.values as Int32Array
      for (let i = 0; i < n; i++)
        if (!p[i]) {
          vals[i] = tsDays[i]
          col.valid[i] = ts.valid[i]
        }
    }
  }
  const children = def.columns.map((c, i) => typedColumnData(schema.fields[i].type, typed.get(c.name) as TypedColumn))
  const rawType = schema.fields[def.columns.length].type as Struct
  children.push(
    structData(
      rawType,
      def.columns.map((c) =>
        rawText && !rawText.has(c.name)
          ? nullOnlyUtf8(present.get(c.name) as Uint8Array)
          : utf8Column(raw.columns.get(c.name) ?? [], present.get(c.name) as Uint8Array),
      ),
      n,
    ),
  )
  let next = def.columns.length + 1
  if (ts) {
    const days = makeData({
      type: new DateDay(),
      length: n,
      ...nullInfo(ts.valid),
      data: ts.days as Int32Array,
    })
    children.push(structData(schema.fields[next++].type as Struct, [days], n))
  }
  for (const l of lookups) {
    const keys = refs[l.refs]
    const key = typed.get(l.key) as TypedColumn
    const vals = key.values as BigInt64Array
    const found = new Uint8Array(n)
    if (keys === undefined) found.set(key.valid)
    else if (keys instanceof Int64Table) {
      const w = new Int32Array(vals.buffer)
      for (let i = 0; i < n; i++) if (key.valid[i] && keys.has(w[2 * i], w[2 * i + 1])) found[i] = 1
    } else for (let i = 0; i < n; i++) if (key.valid[i] && keys.has(vals[i])) found[i] = 1
    const data = makeData({ type: new Int64(), length: n, ...nullInfo(found), data: vals })
    children.push(structData(schema.fields[next++].type as Struct, [data], n))
  }
  const data = makeData({ type: new Struct(schema.fields), length: n, nullCount: 0, children })
  return new RecordBatch(schema, data)
}

function nullInfo(valid: Uint8Array): { nullCount: number; nullBitmap: Uint8Array | undefined } {
  const { bitmap, nulls } = validityBitmap(valid)
  return { nullCount: nulls, nullBitmap: bitmap }
}

/**
 * The `raw.<column>` fields whose text the expectations read: every one referenced other than as the operand
 * of `IS [NOT] NULL` (the one use the default rules make of them).
 */
export function rawTextColumns(expectations: readonly CompiledExpectation[]): Set<string> {
  const out = new Set<string>()
  const walk = (node: unknown, underIsNull: boolean): void => {
    if (!node || typeof node !== 'object') return
    const e = node as Record<string, unknown>
    if (e.kind === 'column') {
      const path = e.path as string[]
      if (path.length === 2 && path[0] === 'raw' && !underIsNull) out.add(path[1])
      return
    }
    for (const [k, v] of Object.entries(e)) {
      if (k === 'dataType') continue
      const under = e.kind === 'isNull' && k === 'operand'
      if (Array.isArray(v)) for (const x of v) walk(x, false)
      else if (v && typeof v === 'object') walk(v, under)
    }
  }
  for (const e of expectations) walk(e.bound, false)
  return out
}

/**
 * The typed values of row `i` of an expectation batch's dataset columns (for the record API and tests; the
 * jobs keep the columns).
 */
function rowValues(def: DatasetDef, batch: RecordBatch): Record<string, TypedValue>[] {
  const table = new Table(
    new RecordBatch(
      new Schema(batch.schema.fields.slice(0, def.columns.length)),
      makeData({
        type: new Struct(batch.schema.fields.slice(0, def.columns.length)),
        length: batch.numRows,
        nullCount: 0,
        children: batch.data.children.slice(0, def.columns.length),
      }),
    ),
  )
  return arrowToRows(table)
}

/** Builds the expectation-row batch of `records` and their typed values (one entry per record, in order). */
export function expectationBatch(
  def: DatasetDef,
  records: readonly RawRecord[],
  refs: ReferenceKeys = {},
): { batch: RecordBatch; values: Record<string, TypedValue>[] } {
  const batch = expectationBatchOf(def, batchOfRecords(records), refs)
  return { batch, values: rowValues(def, batch) }
}

/** An expectation checked and bound against a dataset's expectation row. */
export interface CompiledExpectation extends Expectation {
  bound: BoundExpr
  /** Dataset columns the predicate reads (for the rejection details). */
  columns: string[]
}

function columnsOf(e: Expr, def: DatasetDef, out: Set<string>): void {
  const node = e as unknown as Record<string, unknown>
  if (node.kind === 'column') {
    const path = node.path as string[]
    const last = path[path.length - 1]
    if (def.columns.some((c) => c.name === last)) out.add(last)
    return
  }
  for (const v of Object.values(node)) {
    if (Array.isArray(v))
      for (const x of v) if (x && typeof x === 'object' && 'kind' in x) columnsOf(x as Expr, def, out)
    if (v && typeof v === 'object' && 'kind' in (v as object)) columnsOf(v as Expr, def, out)
  }
}

/**
 * Checks and binds expectations against a dataset's expectation row.
 *
 * @throws ExpectationError for an empty or duplicate name, an unknown action, or a predicate that does not
 *   parse or bind (unknown column, type mismatch), naming the expectation.
 */
export function compileExpectations(def: DatasetDef, expectations: readonly Expectation[]): CompiledExpectation[] {
  const schema = arrowToDeltaSchema(expectationSchema(def))
  const seen = new Set<string>()
  return expectations.map((e) => {
    if (typeof e.name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(e.name))
      throw new ExpectationError(`${def.name}: expectation name ${JSON.stringify(e.name)} must be an identifier`)
    if (seen.has(e.name)) throw new ExpectationError(`${def.name}: expectation ${e.name} is declared twice`)
    seen.add(e.name)
    if (!['drop', 'fail', 'warn'].includes(e.action))
      throw new ExpectationError(`${def.name}: expectation ${e.name}: action must be drop, fail or warn`)
    let bound: BoundExpr
    try {
      bound = bindExpr(parsePredicate(e.predicate), schema)
    } catch (err) {
      throw new ExpectationError(`${def.name}: expectation ${e.name}: ${(err as Error).message}`)
    }
    const cols = new Set<string>()
    columnsOf(bound, def, cols)
    return { ...e, bound, columns: [...cols] }
  })
}

/** The outcome of evaluating expectations over one batch. */
export interface BatchOutcome {
  /** The expectation-row batch; its first `def.columns.length` children are the typed dataset columns. */
  batch: RecordBatch
  /** Per expectation (declaration order): 1 where the row passed. */
  passed: Uint8Array[]
  results: ExpectationResult[]
}

/**
 * Evaluates compiled expectations over a raw batch, on columns. `fail` expectations are counted like the
 * others; {@link firstFailure} says which one stops the job (callers check once all batches are counted).
 */
export function evaluateBatch(
  def: DatasetDef,
  raw: RawBatch,
  expectations: readonly CompiledExpectation[],
  refs: ReferenceKeys = {},
): BatchOutcome {
  const batch = expectationBatchOf(def, raw, refs, rawTextColumns(expectations))
  const passed: Uint8Array[] = []
  const results: ExpectationResult[] = []
  for (const e of expectations) {
    const mask = raw.length === 0 ? new Uint8Array(0) : evaluatePredicate(e.bound, batch)
    let ok = 0
    for (let i = 0; i < mask.length; i++) ok += mask[i]
    passed.push(mask)
    results.push({ name: e.name, action: e.action, predicate: e.predicate, passed: ok, failed: mask.length - ok })
  }
  return { batch, passed, results }
}

/**
 * The {@link ExpectationFailedError} of the first `fail` expectation (declaration order) that a row of the batch
 * violates, naming its first violating row; undefined when none is violated. `violations` overrides the count
 * (a job counts over all its batches).
 */
export function firstFailure(
  def: DatasetDef,
  raw: RawBatch,
  expectations: readonly CompiledExpectation[],
  outcome: Pick<BatchOutcome, 'passed' | 'results'>,
  violations?: (k: number) => number,
): ExpectationFailedError | undefined {
  for (let k = 0; k < expectations.length; k++) {
    const e = expectations[k]
    if (e.action !== 'fail' || outcome.results[k].failed === 0) continue
    const at = outcome.passed[k].indexOf(0)
    return new ExpectationFailedError(def.name, e, recordAt(raw, at), violations?.(k) ?? outcome.results[k].failed)
  }
  return undefined
}

/** The outcome of evaluating expectations over a batch of records. */
export interface ExpectationOutcome {
  /** Typed values of every record (dataset columns), in input order. */
  values: Record<string, TypedValue>[]
  /** Per expectation (declaration order): 1 where the row passed. */
  passed: Uint8Array[]
  results: ExpectationResult[]
}

/**
 * Evaluates compiled expectations over `records`. Throws {@link ExpectationFailedError} for the first `fail`
 * expectation (in declaration order) that any row violates, naming the first violating row.
 */
export function evaluateExpectations(
  def: DatasetDef,
  records: readonly RawRecord[],
  expectations: readonly CompiledExpectation[],
  refs: ReferenceKeys = {},
): ExpectationOutcome {
  const raw = batchOfRecords(records)
  const outcome = evaluateBatch(def, raw, expectations, refs)
  const failure = firstFailure(def, raw, expectations, outcome)
  if (failure) throw failure
  return { values: rowValues(def, outcome.batch), passed: outcome.passed, results: outcome.results }
}
