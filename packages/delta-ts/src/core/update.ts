import * as arrow from 'apache-arrow'
import { scalarData } from '../arrow/convert.js'
import { DeltaError } from '../errors.js'
import { deltaToArrowType } from '../protocol/arrow-schema.js'
import {
  bindExpr,
  bindValue,
  type ColumnExpr,
  type Expr,
  exprToSql,
  type LiteralExpr,
  type Operand,
  type PredicateInput,
  parseValue,
} from '../protocol/expr/index.js'
import { type DecimalValue, isDecimalValue, type ScalarValue } from '../protocol/partition-values.js'
import { decimalParams, findField, type StructField, type StructType } from '../protocol/schema.js'
import { enforceSchema } from '../protocol/schema-evolution.js'
import { takeData } from './arrow-take.js'
import { bindPredicate, predicateSql, rewriteMatchingRows } from './dml-support.js'
import type { FileMetrics, OperationResult } from './result.js'
import type { RewriteMetrics } from './rewrite.js'
import { evaluateValue, type RowFilterOptions } from './row-filter.js'
import type { Snapshot } from './snapshot.js'
import { type CommitOptions, Transaction } from './transaction.js'

/*
 * UPDATE, and the assignments (`SET col = expr`) that UPDATE and MERGE share.
 *
 * The right-hand side of an assignment is a value expression of the predicate language (protocol/expr): SQL
 * text parsed by `parseValue` (columns, literals, `+ - * / %`, unary minus, parentheses) or expression nodes
 * built with `col`, `lit`, `arith`, `neg`. It is bound with `bindValue` (Spark's arithmetic typing) and
 * evaluated by the same evaluator as predicates, so `amount * 1.1` means the same in a WHERE and in a SET.
 * A bare column is cast to the target column's type by the write path's lossless widening rules, a literal is
 * converted like a literal compared with the column; an arithmetic result is stored into the column like
 * Spark's store assignment: integers range-checked (CONSTRAINT_VIOLATION on overflow), a floating or decimal
 * value into an integer column truncated toward zero, decimals rounded half up to the column's scale.
 */

/** @deprecated A value expression is an {@link Operand} of the predicate language; use `Operand`. */
export type ValueExpr = Operand

/**
 * Assignments: target column name → value expression, as SQL text (`"'cancelled'"`, `'source.amount'`,
 * `'qty + 1'`) or as an expression node (`arith('+', col('qty'), lit(1))`).
 */
export type Assignments = Record<string, string | Operand>

/**
 * Parses an assignment's value expression (see `parseValue` in the predicate language). Qualified names
 * (`source.x`) parse as paths; binding decides whether the first part is a qualifier.
 *
 * @deprecated use `parseValue` (same grammar, same nodes).
 * @throws DeltaError `INVALID_PREDICATE` with the position of the problem.
 */
export function parseValueExpr(sql: string): Operand {
  return parseValue(sql)
}

/** Relations a value or condition may reference, in the order unqualified names are looked up. */
export interface Scope {
  /** The qualifier (`target`, `source`, or an alias). */
  alias: string
  schema: StructType
}

/**
 * Gives every column reference its relation: a dotted name whose first part is an alias takes that
 * qualifier; an unqualified name takes the first scope whose schema has it (so unqualified names prefer the
 * target in matched clauses, the source in insert clauses, as Spark resolves them).
 */
export function qualifyColumn(c: ColumnExpr, scopes: readonly Scope[]): ColumnExpr {
  if (c.qualifier !== undefined) return c
  if (c.path.length > 1) {
    const s = scopes.find((x) => x.alias.toLowerCase() === c.path[0].toLowerCase())
    if (s) return { kind: 'column', path: c.path.slice(1), qualifier: s.alias }
  }
  const owner = scopes.find((s) => findField(s.schema, c.path[0]))
  return owner ? { ...c, qualifier: owner.alias } : c
}

/** {@link qualifyColumn} over every column of a predicate or value expression. */
export function qualifyExpr<E extends Expr>(e: E, scopes: readonly Scope[]): E {
  const op = <T extends Expr>(o: T): T => qualifyExpr(o, scopes)
  const x = e as Expr
  switch (x.kind) {
    case 'column':
      return qualifyColumn(x, scopes) as E
    case 'literal':
      return e
    case 'arith':
      return { ...x, left: op(x.left), right: op(x.right) } as E
    case 'negate':
      return { ...x, operand: op(x.operand) } as E
    case 'func':
      return { ...x, args: x.args.map(op) } as E
    case 'compare':
    case 'nullSafeEq':
      return { ...x, left: op(x.left), right: op(x.right) } as E
    case 'in':
      return { ...x, value: op(x.value) } as E
    case 'isNull':
    case 'like':
      return { ...x, operand: op(x.operand) } as E
    case 'and':
    case 'or':
      return { kind: x.kind, children: x.children.map((c) => qualifyExpr(c, scopes)) } as E
    case 'not':
      return { kind: 'not', child: qualifyExpr(x.child, scopes) } as E
  }
}

const scopeOptions = (scopes: readonly Scope[]) => ({
  scopes: Object.fromEntries(scopes.map((s) => [s.alias, s.schema])),
})

/** Binds a predicate whose columns may belong to any of `scopes` (qualified names); INVALID_PREDICATE on errors. */
export function bindScoped(e: Expr, scopes: readonly Scope[]): Expr {
  return bindExpr(qualifyExpr(e, scopes), scopes[0].schema, scopeOptions(scopes))
}

/** An assignment bound to its target field. */
export interface BoundAssignment {
  field: StructField
  /** The bound value expression. */
  expr: Operand
  /** The expression as SQL, for commitInfo. */
  sql: string
}

const INT_TYPES = new Set(['byte', 'short', 'integer', 'long'])

function assertLiteralFits(l: LiteralExpr, field: StructField): void {
  const v = l.value
  if (v === null || v === undefined) return
  const t = field.type
  if (
    typeof t === 'string' &&
    INT_TYPES.has(t) &&
    !(typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v)))
  ) {
    throw new DeltaError('INVALID_ARGUMENT', `value ${String(v)} does not fit column '${field.name}' of type ${t}`)
  }
  if (decimalParams(t) && isDecimalValue(v) && v.scale > decimalParams(t)!.scale) {
    throw new DeltaError('INVALID_ARGUMENT', `value has more fractional digits than column '${field.name}' (${t})`)
  }
}

function isNumericTarget(t: StructField['type']): boolean {
  return typeof t === 'string' && (INT_TYPES.has(t) || t === 'float' || t === 'double' || !!decimalParams(t))
}

/** Binds one value expression for `field`. */
function bindAssignmentValue(value: Operand, field: StructField, scopes: readonly Scope[]): Operand {
  if (value.kind === 'literal') {
    // A literal takes the target column's type, converted like a literal compared with the column.
    const one: StructType = { type: 'struct', fields: [{ ...field, nullable: true }] }
    const b = bindExpr({ kind: 'compare', op: '=', left: { kind: 'column', path: [field.name] }, right: value }, one)
    const literal = (b as { right: LiteralExpr }).right
    assertLiteralFits(literal, field)
    return literal
  }
  const bound = bindValue(qualifyExpr(value, scopes), scopes[0].schema, scopeOptions(scopes))
  if ((bound.kind === 'arith' || bound.kind === 'negate') && !isNumericTarget(field.type)) {
    throw new DeltaError(
      'INVALID_ARGUMENT',
      `arithmetic results cannot be assigned to column '${field.name}' of type ${JSON.stringify(field.type)}`,
    )
  }
  return bound
}

/**
 * Parses (SQL text) and binds assignments against the target schema. Column references resolve in `scopes`
 * (the first scope for unqualified names that several relations have). Throws INVALID_ARGUMENT for an unknown
 * or twice-assigned target column or a value that cannot go into its column, INVALID_PREDICATE for a syntax
 * error, an unknown referenced column or arithmetic on non-numeric operands.
 */
export function bindAssignments(set: Assignments, target: StructType, scopes: readonly Scope[]): BoundAssignment[] {
  const out: BoundAssignment[] = []
  for (const [name, value] of Object.entries(set)) {
    const field = findField(target, name)
    if (!field) {
      throw new DeltaError(
        'INVALID_ARGUMENT',
        `SET names unknown column '${name}'; table columns: ${target.fields.map((f) => f.name).join(', ')}`,
      )
    }
    if (out.some((a) => a.field.name === field.name))
      throw new DeltaError('INVALID_ARGUMENT', `column '${field.name}' is assigned twice`)
    const node =
      typeof value === 'string'
        ? parseValue(value)
        : value !== null && typeof value === 'object' && 'kind' in value
          ? value
          : undefined
    if (!node)
      throw new DeltaError(
        'INVALID_ARGUMENT',
        `the value of '${name}' must be a SQL value expression or an expression node (col, lit, arith)`,
      )
    out.push({ field, expr: bindAssignmentValue(node, field, scopes), sql: exprToSql(node) })
  }
  return out
}

/**
 * Casts a column to `field`'s table type with the write path's (lossless widening) rules; returns `d` itself
 * when it already has that type. SCHEMA_MISMATCH when the cast would lose information.
 */
export function castData(d: arrow.Data, field: StructField): arrow.Data {
  const targetType = deltaToArrowType(field.type)
  if (String(d.type) === String(targetType) && d.type.typeId === targetType.typeId) return d
  const res = enforceSchema(new arrow.Table({ [field.name]: arrow.makeVector(d) }), {
    tableSchema: { type: 'struct', fields: [{ ...field, nullable: true }] },
  })
  const b = res.data.batches
  if (b.length !== 1) throw new DeltaError('INTERNAL', 'cast produced more than one batch')
  return b[0].data.children[0]
}

const INT_RANGE: Record<string, [bigint, bigint]> = {
  byte: [-128n, 127n],
  short: [-32768n, 32767n],
  integer: [-2147483648n, 2147483647n],
  long: [-(2n ** 63n), 2n ** 63n - 1n],
}

/** `v` (number, bigint or decimal) as a bigint truncated toward zero; undefined for NaN / infinities. */
function truncToBigInt(v: number | bigint | DecimalValue): bigint | undefined {
  if (typeof v === 'bigint') return v
  if (typeof v === 'number') return Number.isFinite(v) ? BigInt(Math.trunc(v)) : undefined
  return v.unscaled / 10n ** BigInt(v.scale)
}

function toNumber(v: number | bigint | DecimalValue): number {
  if (typeof v === 'number') return v
  if (typeof v === 'bigint') return Number(v)
  return Number(v.unscaled) / 10 ** v.scale
}

/** The unscaled value of `v` at `scale`, rounding half up (away from zero) when `v` has more digits. */
function rescale(v: number | bigint | DecimalValue, scale: number): bigint {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new DeltaError('CONSTRAINT_VIOLATION', `${v} does not fit a decimal column`)
    return rescale({ unscaled: BigInt(Math.round(v * 1e9)), scale: 9 }, scale)
  }
  const d: DecimalValue = typeof v === 'bigint' ? { unscaled: v, scale: 0 } : v
  if (d.scale <= scale) return d.unscaled * 10n ** BigInt(scale - d.scale)
  const div = 10n ** BigInt(d.scale - scale)
  const q = d.unscaled / div
  const r = d.unscaled % div
  const abs = r < 0n ? -r : r
  return abs * 2n >= div ? q + (d.unscaled < 0n ? -1n : 1n) : q
}

/** Arrow Data of `field`'s type from computed values (store assignment, module comment). */
function numericData(values: readonly ScalarValue[], field: StructField): arrow.Data {
  const n = values.length
  const type = deltaToArrowType(field.type)
  const bitmap = new Uint8Array((n + 7) >> 3)
  let nulls = 0
  const num = (i: number) => values[i] as number | bigint | DecimalValue
  const valid = (i: number) => {
    const v = values[i]
    const ok =
      v !== null &&
      v !== undefined &&
      !(typeof v === 'number' && Number.isNaN(v) && INT_TYPES.has(field.type as string))
    if (ok) bitmap[i >> 3] |= 1 << (i & 7)
    else nulls++
    return ok
  }
  const t = field.type
  const finish = (extra: Record<string, unknown>) =>
    arrow.makeData({
      type,
      length: n,
      ...(nulls > 0 ? { nullBitmap: bitmap, nullCount: nulls } : { nullCount: 0 }),
      ...extra,
    } as never) as arrow.Data
  if (typeof t === 'string' && INT_TYPES.has(t)) {
    const [lo, hi] = INT_RANGE[t]
    const Ctor = (type as arrow.Int).ArrayType as unknown as new (n: number) => { [i: number]: number | bigint }
    const data = new Ctor(n)
    for (let i = 0; i < n; i++) {
      if (!valid(i)) continue
      const b = truncToBigInt(num(i))
      if (b === undefined || b < lo || b > hi)
        throw new DeltaError(
          'CONSTRAINT_VIOLATION',
          `value ${String(values[i])} overflows column '${field.name}' of type ${t}`,
        )
      data[i] = t === 'long' ? b : Number(b)
    }
    return finish({ data })
  }
  if (t === 'float' || t === 'double') {
    const data = t === 'float' ? new Float32Array(n) : new Float64Array(n)
    for (let i = 0; i < n; i++) if (valid(i)) data[i] = toNumber(num(i))
    return finish({ data })
  }
  const dec = decimalParams(t)
  if (dec) {
    const words = new Uint32Array(n * 4)
    const limit = 10n ** BigInt(dec.precision)
    for (let i = 0; i < n; i++) {
      if (!valid(i)) continue
      const u = rescale(num(i), dec.scale)
      if (u >= limit || u <= -limit)
        throw new DeltaError(
          'CONSTRAINT_VIOLATION',
          `value ${String(values[i])} overflows column '${field.name}' of type ${t}`,
        )
      let x = BigInt.asUintN(128, u)
      for (let k = 0; k < 4; k++) {
        words[i * 4 + k] = Number(x & 0xffffffffn)
        x >>= 32n
      }
    }
    return finish({ data: words })
  }
  throw new DeltaError(
    'INVALID_ARGUMENT',
    `arithmetic results cannot be assigned to column '${field.name}' of type ${JSON.stringify(t)}`,
  )
}

/**
 * The Arrow Data of `field`'s table type for every row of `batch`: a literal repeated, a column cast, an
 * arithmetic result computed by the predicate language's evaluator and stored like Spark's store assignment.
 *
 * @throws DeltaError SCHEMA_MISMATCH when a referenced column does not widen to the field's type,
 *   CONSTRAINT_VIOLATION when a result does not fit the column, ARITHMETIC_OVERFLOW when the arithmetic
 *   overflows its own type.
 */
export function assignedData(
  e: Operand,
  field: StructField,
  batch: arrow.RecordBatch,
  options: RowFilterOptions = {},
): arrow.Data {
  const n = batch.numRows
  if (e.kind === 'literal') {
    return takeData(scalarData((e.value ?? null) as never, deltaToArrowType(field.type)), new Int32Array(n))
  }
  if (e.kind === 'column') {
    const vec = (options.resolve ?? defaultColumn)(e, batch)
    if (!vec || e.path.length !== 1) {
      throw new DeltaError(
        'INVALID_ARGUMENT',
        `column '${[e.qualifier, ...e.path].filter(Boolean).join('.')}' is not available here (nested field references are not supported in assignments)`,
      )
    }
    return castData(vec.data.length === 1 ? vec.data[0] : arrow.makeVector(vec).data[0], field)
  }
  return numericData(evaluateValue(e, batch, options), field)
}

function defaultColumn(c: ColumnExpr, batch: arrow.RecordBatch): arrow.Vector | undefined {
  if (c.qualifier !== undefined) return undefined
  const i = batch.schema.fields.findIndex((f) => f.name === c.path[0])
  return i < 0 ? undefined : (batch.getChildAt(i) ?? undefined)
}

/**
 * Builds a batch in the table's Arrow layout (every field nullable; the writer enforces nullability) from a
 * context batch: assigned fields evaluate their expression over it, the others take `fallback(field)`.
 */
export function buildRows(
  schema: StructType,
  assignments: readonly BoundAssignment[],
  context: arrow.RecordBatch,
  options: RowFilterOptions,
  fallback: (field: StructField) => arrow.Data,
): arrow.RecordBatch {
  const byName = new Map(assignments.map((a) => [a.field.name, a]))
  const fields = schema.fields.map((f) => new arrow.Field(f.name, deltaToArrowType(f.type), true))
  const children = schema.fields.map((f) => {
    const a = byName.get(f.name)
    return a ? assignedData(a.expr, f, context, options) : fallback(f)
  })
  const arrowSchema = new arrow.Schema(fields)
  return new arrow.RecordBatch(
    arrowSchema,
    arrow.makeData({ type: new arrow.Struct(fields), length: context.numRows, nullCount: 0, children }),
  )
}

/** Options of `table.update`. */
export interface UpdateOptions extends CommitOptions {
  /** Rows to update (SQL text or an expression); all rows when omitted. */
  predicate?: PredicateInput
  /** Target column → SQL value expression over the row's columns and literals (see {@link parseValueExpr}). */
  set: Assignments
}

/** What `table.update` changed: the rewrite engine's metrics plus the updated row count. */
export interface UpdateMetrics extends RewriteMetrics, FileMetrics {
  /** Rows updated. */
  numUpdatedRows: number
}

/**
 * What `table.update` did (see {@link OperationResult}): `version` is the committed one, or the current one
 * when no row matched (nothing is committed then).
 */
export interface UpdateResult extends OperationResult<UpdateMetrics> {}

/**
 * UPDATE: rewrites the files that hold rows matching `predicate` (after pruning by partition values and
 * stats), applying the assignments to matching rows and copying the others; a changed partition column moves
 * the row to its new partition. Commits `UPDATE` with Spark's operationParameters (`predicate` as a JSON
 * array) and metrics (numUpdatedRows, numCopiedRows, numAddedFiles, numRemovedFiles, numAddedBytes,
 * numRemovedBytes, executionTimeMs). Nothing is committed when no row matches.
 *
 * @throws DeltaError INVALID_ARGUMENT (empty `set`, unknown column, unsupported expression), INVALID_PREDICATE,
 *   SCHEMA_MISMATCH / CONSTRAINT_VIOLATION when a value does not fit its column (e.g. null into a non-nullable
 *   column, integer overflow), COMMIT_CONFLICT when a concurrent commit touched the rows it read.
 */
export async function updateTable(snapshot: Snapshot, options: UpdateOptions): Promise<UpdateResult> {
  const started = Date.now()
  if (!options.set || Object.keys(options.set).length === 0)
    throw new DeltaError('INVALID_ARGUMENT', 'update needs at least one SET assignment')
  const p = bindPredicate(options.predicate ?? 'true', snapshot)
  const scopes: Scope[] = [{ alias: 'target', schema: snapshot.schema }]
  const assignments = bindAssignments(options.set, snapshot.schema, scopes)
  const txn = new Transaction(snapshot, 'UPDATE', {
    predicate: JSON.stringify(options.predicate === undefined ? [] : [predicateSql(p)]),
  })
  const transform = (matched: arrow.RecordBatch): arrow.RecordBatch =>
    // UPDATE has one relation: qualified references (`target.x`) name the batch's own columns.
    buildRows(
      snapshot.schema,
      assignments,
      matched,
      { resolve: (c, b) => defaultColumn({ ...c, qualifier: undefined }, b) },
      (f) => {
        const i = matched.schema.fields.findIndex((x) => x.name === f.name)
        if (i < 0) throw new DeltaError('INTERNAL', `column ${f.name} missing from the scanned batch`)
        return matched.data.children[i]
      },
    )
  const m = await rewriteMatchingRows(snapshot, txn, p, transform, options.signal)
  const metrics = (): UpdateMetrics => ({
    ...m,
    numUpdatedRows: m.numRowsRemoved,
    executionTimeMs: Date.now() - started,
  })
  if (m.numRowsRemoved === 0) return { version: snapshot.version, metrics: metrics() }
  // Spark's UPDATE operationMetrics names.
  txn.setMetrics({
    numUpdatedRows: m.numRowsRemoved,
    numCopiedRows: m.numCopiedRows,
    numAddedFiles: m.numFilesAdded,
    numRemovedFiles: m.numFilesRemoved,
    numAddedBytes: m.numBytesAdded,
    numRemovedBytes: m.numBytesRemoved,
    numDeletionVectorsAdded: m.numDeletionVectorsAdded,
    numDeletionVectorsUpdated: m.numDeletionVectorsUpdated,
    numDeletionVectorsRemoved: m.numDeletionVectorsRemoved,
    numAddedChangeFiles: m.numChangeFilesAdded,
    executionTimeMs: Date.now() - started,
  })
  const commit = await txn.commit(options)
  return { version: commit.version, metrics: metrics(), commit }
}
