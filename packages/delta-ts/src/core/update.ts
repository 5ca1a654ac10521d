import * as arrow from 'apache-arrow'
import { scalarData } from '../arrow/convert.js'
import { DeltaError } from '../errors.js'
import { deltaToArrowType } from '../protocol/arrow-schema.js'
import { bindExpr, type ColumnExpr, type Expr, type LiteralExpr, type PredicateInput } from '../protocol/expr/index.js'
import { type Token, tokenize } from '../protocol/expr/parse.js'
import { isDecimalValue } from '../protocol/partition-values.js'
import { decimalParams, findField, type StructField, type StructType } from '../protocol/schema.js'
import { enforceSchema } from '../protocol/schema-evolution.js'
import { takeData } from './arrow-take.js'
import { bindPredicate, predicateSql, rewriteMatchingRows } from './dml-support.js'
import type { Snapshot } from './snapshot.js'
import { type CommitOptions, type CommitResult, Transaction } from './transaction.js'

/*
 * UPDATE, and the assignment expressions (`SET col = expr`) that UPDATE and MERGE share.
 *
 * An assignment's right-hand side is a small SQL value expression:
 *   expr    := term (('+' | '-') term)*
 *   term    := unary (('*' | '/') unary)*
 *   unary   := '-' unary | primary
 *   primary := column | number | 'string' | TRUE | FALSE | NULL | DATE 'd' | TIMESTAMP 't' | TIMESTAMP_NTZ 't'
 *            | X'hex' | '(' expr ')'
 * A bare column or literal is evaluated exactly for every type (cast to the target column's type by the
 * write path's lossless widening rules). Arithmetic is supported on integer and floating-point operands only:
 * integers compute exactly in bigint (`/` is floating division, truncated toward zero into an integer column,
 * division by zero gives NULL as in Spark), anything with a float or a fractional literal computes in double.
 */

/** A value expression (the right-hand side of an assignment). */
export type ValueExpr =
  | { kind: 'column'; column: ColumnExpr }
  | { kind: 'literal'; literal: LiteralExpr }
  | { kind: 'arith'; op: '+' | '-' | '*' | '/'; left: ValueExpr; right: ValueExpr }
  | { kind: 'neg'; operand: ValueExpr }

/** Assignments: target column name → SQL value expression (`"'cancelled'"`, `'source.amount'`, `'qty + 1'`). */
export type Assignments = Record<string, string>

function invalid(sql: string, pos: number, msg: string): never {
  throw new DeltaError(
    'INVALID_PREDICATE',
    `invalid value expression at position ${pos}: ${msg}\n${sql}\n${' '.repeat(pos)}^`,
  )
}

/**
 * Parses an assignment's value expression (grammar in the module comment). Qualified names (`source.x`) parse
 * as paths; binding decides whether the first part is a qualifier.
 *
 * @throws DeltaError `INVALID_PREDICATE` with the position of the problem.
 */
export function parseValueExpr(sql: string): ValueExpr {
  const toks = tokenize(sql, 'value expression')
  let p = 0
  const peek = () => toks[p]
  const isOp = (t: Token, s: string) => t.kind === 'op' && t.text === s
  const expr = (): ValueExpr => {
    let left = term()
    while (isOp(peek(), '+') || isOp(peek(), '-')) {
      const op = toks[p++].text as '+' | '-'
      left = { kind: 'arith', op, left, right: term() }
    }
    return left
  }
  const term = (): ValueExpr => {
    let left = unary()
    while (isOp(peek(), '*') || isOp(peek(), '/')) {
      const op = toks[p++].text as '*' | '/'
      left = { kind: 'arith', op, left, right: unary() }
    }
    return left
  }
  const unary = (): ValueExpr => {
    if (isOp(peek(), '-')) {
      p++
      const t = peek()
      if (t.kind === 'number') {
        p++
        return numLit(`-${t.text}`)
      }
      return { kind: 'neg', operand: unary() }
    }
    if (isOp(peek(), '+')) p++
    return primary()
  }
  const numLit = (text: string): ValueExpr => {
    const asInt = /^-?\d+$/.test(text)
    const value = asInt ? (Number.isSafeInteger(Number(text)) ? Number(text) : BigInt(text)) : Number(text)
    return { kind: 'literal', literal: { kind: 'literal', value, text } }
  }
  const primary = (): ValueExpr => {
    const t = toks[p++]
    if (t.kind === 'lparen') {
      const e = expr()
      if (toks[p++].kind !== 'rparen') invalid(sql, toks[p - 1].pos, "expected ')'")
      return e
    }
    if (t.kind === 'number') return numLit(t.text)
    if (t.kind === 'string') return { kind: 'literal', literal: { kind: 'literal', value: t.value } }
    if (t.kind === 'hex') {
      const bytes = new Uint8Array(t.value.length / 2)
      for (let k = 0; k < bytes.length; k++) bytes[k] = parseInt(t.value.slice(2 * k, 2 * k + 2), 16)
      return { kind: 'literal', literal: { kind: 'literal', value: bytes } }
    }
    if (t.kind === 'ident' || t.kind === 'qident') {
      const lower = t.value.toLowerCase()
      if (t.kind === 'ident' && (lower === 'true' || lower === 'false'))
        return { kind: 'literal', literal: { kind: 'literal', value: lower === 'true' } }
      if (t.kind === 'ident' && lower === 'null') return { kind: 'literal', literal: { kind: 'literal', value: null } }
      if (
        t.kind === 'ident' &&
        (lower === 'date' || lower === 'timestamp' || lower === 'timestamp_ntz') &&
        peek().kind === 'string'
      ) {
        return { kind: 'literal', literal: { kind: 'literal', value: toks[p++].value, typeHint: lower } }
      }
      const path = [t.value]
      while (peek().kind === 'dot') {
        p++
        const n = toks[p++]
        if (n.kind !== 'ident' && n.kind !== 'qident') invalid(sql, n.pos, 'expected a field name after .')
        path.push(n.value)
      }
      return { kind: 'column', column: { kind: 'column', path } }
    }
    invalid(sql, t.pos, t.kind === 'eof' ? 'unexpected end of input' : `unexpected '${t.text}'`)
  }
  const e = expr()
  if (peek().kind !== 'eof') invalid(sql, peek().pos, `unexpected '${peek().text}'`)
  return e
}

/** Prints a value expression back as SQL (for commitInfo). */
export function valueExprToSql(e: ValueExpr): string {
  switch (e.kind) {
    case 'column':
      return [...(e.column.qualifier ? [e.column.qualifier] : []), ...e.column.path].map(quoteIdent).join('.')
    case 'literal': {
      const v = e.literal.value
      if (e.literal.text !== undefined) return e.literal.text
      if (v === null || v === undefined) return 'NULL'
      if (typeof v === 'string')
        return `${e.literal.typeHint ? `${e.literal.typeHint.toUpperCase()} ` : ''}'${v.replaceAll("'", "''")}'`
      if (v instanceof Uint8Array) return `X'${[...v].map((b) => b.toString(16).padStart(2, '0')).join('')}'`
      if (typeof v === 'boolean') return v ? 'true' : 'false'
      return String(v)
    }
    case 'arith':
      return `(${valueExprToSql(e.left)} ${e.op} ${valueExprToSql(e.right)})`
    case 'neg':
      return `(- ${valueExprToSql(e.operand)})`
  }
}

function quoteIdent(s: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(s) ? s : `\`${s.replaceAll('`', '``')}\``
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

/** {@link qualifyColumn} over every column of a predicate. */
export function qualifyExpr(e: Expr, scopes: readonly Scope[]): Expr {
  const op = <T extends Expr>(o: T): T => qualifyExpr(o, scopes) as T
  switch (e.kind) {
    case 'column':
      return qualifyColumn(e, scopes)
    case 'literal':
      return e
    case 'arith':
      return { ...e, left: op(e.left), right: op(e.right) }
    case 'negate':
      return { ...e, operand: op(e.operand) }
    case 'compare':
      return { ...e, left: op(e.left), right: op(e.right) }
    case 'in':
      return { ...e, value: op(e.value) }
    case 'isNull':
      return { ...e, operand: op(e.operand) }
    case 'like':
      return { ...e, operand: op(e.operand) }
    case 'and':
    case 'or':
      return { kind: e.kind, children: e.children.map((c) => qualifyExpr(c, scopes)) }
    case 'not':
      return { kind: 'not', child: qualifyExpr(e.child, scopes) }
  }
}

/** Binds a predicate whose columns may belong to any of `scopes` (qualified names); INVALID_PREDICATE on errors. */
export function bindScoped(e: Expr, scopes: readonly Scope[]): Expr {
  const q = qualifyExpr(e, scopes)
  return bindExpr(q, scopes[0].schema, { scopes: Object.fromEntries(scopes.map((s) => [s.alias, s.schema])) })
}

/** An assignment bound to its target field. */
export interface BoundAssignment {
  field: StructField
  expr: ValueExpr
  /** The original text, for commitInfo. */
  sql: string
}

function bindValue(e: ValueExpr, field: StructField, scopes: readonly Scope[], arithmetic: boolean): ValueExpr {
  switch (e.kind) {
    case 'column': {
      const q = qualifyColumn(e.column, scopes)
      const bound = bindExpr({ kind: 'isNull', operand: q, negated: false }, scopes[0].schema, {
        scopes: Object.fromEntries(scopes.map((s) => [s.alias, s.schema])),
      })
      const column = (bound as { operand: ColumnExpr }).operand
      if (arithmetic && !isArithType(column.dataType)) {
        throw new DeltaError(
          'INVALID_ARGUMENT',
          `arithmetic on column '${column.path.join('.')}' of type ${JSON.stringify(column.dataType)} is not supported (integers and floating point only)`,
        )
      }
      return { kind: 'column', column }
    }
    case 'literal': {
      if (arithmetic) {
        if (typeof e.literal.value !== 'number' && typeof e.literal.value !== 'bigint') {
          throw new DeltaError('INVALID_ARGUMENT', `arithmetic needs numeric operands, got ${valueExprToSql(e)}`)
        }
        return e
      }
      // Reuse the predicate binder's literal conversion by comparing the literal with the target column.
      const one: StructType = { type: 'struct', fields: [{ ...field, nullable: true }] }
      const b = bindExpr(
        { kind: 'compare', op: '=', left: { kind: 'column', path: [field.name] }, right: e.literal },
        one,
      )
      const literal = (b as { right: LiteralExpr }).right
      assertLiteralFits(literal, field)
      return { kind: 'literal', literal }
    }
    case 'arith':
      return { ...e, left: bindValue(e.left, field, scopes, true), right: bindValue(e.right, field, scopes, true) }
    case 'neg':
      return { ...e, operand: bindValue(e.operand, field, scopes, true) }
  }
}

const INT_TYPES = new Set(['byte', 'short', 'integer', 'long'])
function isArithType(t: unknown): boolean {
  return typeof t === 'string' && (INT_TYPES.has(t) || t === 'float' || t === 'double')
}

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

/**
 * Parses and binds assignments against the target schema. Column references resolve in `scopes` (the first
 * scope for unqualified names that several relations have). Throws INVALID_ARGUMENT for an unknown target
 * column or an unsupported expression, INVALID_PREDICATE for a syntax error or an unknown referenced column.
 */
export function bindAssignments(set: Assignments, target: StructType, scopes: readonly Scope[]): BoundAssignment[] {
  const out: BoundAssignment[] = []
  for (const [name, sql] of Object.entries(set)) {
    const field = findField(target, name)
    if (!field) {
      throw new DeltaError(
        'INVALID_ARGUMENT',
        `SET names unknown column '${name}'; table columns: ${target.fields.map((f) => f.name).join(', ')}`,
      )
    }
    if (out.some((a) => a.field.name === field.name))
      throw new DeltaError('INVALID_ARGUMENT', `column '${field.name}' is assigned twice`)
    if (typeof sql !== 'string')
      throw new DeltaError('INVALID_ARGUMENT', `the value of '${name}' must be a SQL expression string`)
    out.push({ field, expr: bindValue(parseValueExpr(sql), field, scopes, false), sql })
  }
  return out
}

/** Finds the batch column of a bound column reference. */
export type ValueResolver = (c: ColumnExpr) => arrow.Data

/**
 * The Arrow Data of `field`'s table type for every row of a batch with `n` rows.
 *
 * @throws DeltaError SCHEMA_MISMATCH when a referenced column does not widen to the field's type,
 *   CONSTRAINT_VIOLATION when an integer result overflows the column, INVALID_ARGUMENT for arithmetic into a
 *   non-numeric column.
 */
export function evaluateValue(e: ValueExpr, field: StructField, n: number, resolve: ValueResolver): arrow.Data {
  const targetType = deltaToArrowType(field.type)
  if (e.kind === 'literal') {
    return takeData(scalarData((e.literal.value ?? null) as never, targetType), new Int32Array(n))
  }
  if (e.kind === 'column') return castData(resolve(e.column), field)
  const values = arith(e, n, resolve)
  return numericData(values, field, targetType)
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

type Num = number | bigint | null

function isFloatExpr(e: ValueExpr): boolean {
  switch (e.kind) {
    case 'column':
      return e.column.dataType === 'float' || e.column.dataType === 'double'
    case 'literal':
      return (
        typeof e.literal.value === 'number' &&
        (!Number.isInteger(e.literal.value) || (e.literal.text ?? '').includes('.'))
      )
    case 'arith':
      return e.op === '/' || isFloatExpr(e.left) || isFloatExpr(e.right)
    case 'neg':
      return isFloatExpr(e.operand)
  }
}

function arith(e: ValueExpr, n: number, resolve: ValueResolver): Num[] {
  const float = isFloatExpr(e)
  const conv = (v: Num): Num => (v === null ? null : float ? Number(v) : BigInt(v))
  const rec = (x: ValueExpr): Num[] => {
    switch (x.kind) {
      case 'literal': {
        const v = conv((x.literal.value ?? null) as Num)
        return new Array<Num>(n).fill(v)
      }
      case 'column': {
        const vec = arrow.makeVector(resolve(x.column))
        const out: Num[] = new Array(n)
        for (let i = 0; i < n; i++) out[i] = conv((vec.get(i) ?? null) as Num)
        return out
      }
      case 'neg':
        return rec(x.operand).map((v) => (v === null ? null : typeof v === 'bigint' ? -v : -v))
      case 'arith': {
        const l = rec(x.left)
        const r = rec(x.right)
        const out: Num[] = new Array(n)
        for (let i = 0; i < n; i++) {
          const a = l[i]
          const b = r[i]
          if (a === null || b === null) out[i] = null
          else if (x.op === '/') out[i] = Number(b) === 0 ? null : Number(a) / Number(b)
          else if (typeof a === 'bigint' && typeof b === 'bigint')
            out[i] = x.op === '+' ? a + b : x.op === '-' ? a - b : a * b
          else {
            const fa = Number(a)
            const fb = Number(b)
            out[i] = x.op === '+' ? fa + fb : x.op === '-' ? fa - fb : fa * fb
          }
        }
        return out
      }
    }
  }
  return rec(e)
}

const INT_RANGE: Record<string, [bigint, bigint]> = {
  byte: [-128n, 127n],
  short: [-32768n, 32767n],
  integer: [-2147483648n, 2147483647n],
  long: [-(2n ** 63n), 2n ** 63n - 1n],
}

function numericData(values: Num[], field: StructField, type: arrow.DataType): arrow.Data {
  const n = values.length
  const bitmap = new Uint8Array((n + 7) >> 3)
  let nulls = 0
  for (let i = 0; i < n; i++) {
    if (
      values[i] === null ||
      (typeof values[i] === 'number' &&
        Number.isNaN(values[i]) &&
        typeof field.type === 'string' &&
        INT_TYPES.has(field.type))
    )
      nulls++
    else bitmap[i >> 3] |= 1 << (i & 7)
  }
  const validity = nulls > 0 ? { nullBitmap: bitmap, nullCount: nulls } : { nullCount: 0 }
  const t = field.type
  if (typeof t === 'string' && INT_TYPES.has(t)) {
    const [lo, hi] = INT_RANGE[t]
    const Ctor = (type as arrow.Int).ArrayType as unknown as new (n: number) => { [i: number]: number | bigint }
    const data = new Ctor(n)
    for (let i = 0; i < n; i++) {
      const v = values[i]
      if (v === null || (typeof v === 'number' && !Number.isFinite(v))) continue
      const b = typeof v === 'bigint' ? v : BigInt(Math.trunc(v))
      if (b < lo || b > hi)
        throw new DeltaError('CONSTRAINT_VIOLATION', `value ${b} overflows column '${field.name}' of type ${t}`)
      data[i] = t === 'long' ? b : Number(b)
    }
    return arrow.makeData({ type: type as arrow.Int, length: n, data: data as never, ...validity })
  }
  if (t === 'float' || t === 'double') {
    const data = t === 'float' ? new Float32Array(n) : new Float64Array(n)
    for (let i = 0; i < n; i++) if (values[i] !== null) data[i] = Number(values[i])
    return arrow.makeData({ type: type as arrow.Float, length: n, data, ...validity })
  }
  throw new DeltaError(
    'INVALID_ARGUMENT',
    `arithmetic results cannot be assigned to column '${field.name}' of type ${JSON.stringify(t)}`,
  )
}

/**
 * Builds a batch in the table's Arrow layout (every field nullable; the writer enforces nullability) from a
 * context of `n` rows: assigned fields evaluate their expression, the others take `fallback(field)`.
 */
export function buildRows(
  schema: StructType,
  assignments: readonly BoundAssignment[],
  n: number,
  resolve: ValueResolver,
  fallback: (field: StructField) => arrow.Data,
): arrow.RecordBatch {
  const byName = new Map(assignments.map((a) => [a.field.name, a]))
  const fields = schema.fields.map((f) => new arrow.Field(f.name, deltaToArrowType(f.type), true))
  const children = schema.fields.map((f) => {
    const a = byName.get(f.name)
    return a ? evaluateValue(a.expr, f, n, resolve) : fallback(f)
  })
  const arrowSchema = new arrow.Schema(fields)
  return new arrow.RecordBatch(
    arrowSchema,
    arrow.makeData({ type: new arrow.Struct(fields), length: n, nullCount: 0, children }),
  )
}

/** Options of `table.update`. */
export interface UpdateOptions extends CommitOptions {
  /** Rows to update (SQL text or an expression); all rows when omitted. */
  predicate?: PredicateInput
  /** Target column → SQL value expression over the row's columns and literals (see {@link parseValueExpr}). */
  set: Assignments
}

/** What `table.update` did. */
export interface UpdateResult {
  /** The committed version, or the current one when no row matched (nothing is committed then). */
  version: number
  numUpdatedRows: number
  numCopiedRows: number
  numAddedFiles: number
  numRemovedFiles: number
  commit?: CommitResult
}

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
  const transform = (matched: arrow.RecordBatch): arrow.RecordBatch => {
    const resolve: ValueResolver = (c) => {
      const i = matched.schema.fields.findIndex((f) => f.name === c.path[0])
      if (i < 0) throw new DeltaError('INTERNAL', `column ${c.path[0]} missing from the scanned batch`)
      return matched.data.children[i]
    }
    return buildRows(snapshot.schema, assignments, matched.numRows, resolve, (f) =>
      resolve({ kind: 'column', path: [f.name] }),
    )
  }
  const m = await rewriteMatchingRows(snapshot, txn, p, transform, options.signal)
  if (m.numMatchedRows === 0) {
    return { version: snapshot.version, numUpdatedRows: 0, numCopiedRows: 0, numAddedFiles: 0, numRemovedFiles: 0 }
  }
  const staged = txn.stagedActions
  txn.setMetrics({
    numUpdatedRows: m.numMatchedRows,
    numCopiedRows: m.numCopiedRows,
    numAddedFiles: m.numAddedFiles,
    numRemovedFiles: m.numRemovedFiles,
    numAddedBytes: staged.reduce((s, a) => s + (a.add?.size ?? 0), 0),
    numRemovedBytes: staged.reduce((s, a) => s + (a.remove?.size ?? 0), 0),
    numAddedChangeFiles: 0,
    executionTimeMs: Date.now() - started,
  })
  const commit = await txn.commit(options)
  return {
    version: commit.version,
    numUpdatedRows: m.numMatchedRows,
    numCopiedRows: m.numCopiedRows,
    numAddedFiles: m.numAddedFiles,
    numRemovedFiles: m.numRemovedFiles,
    commit,
  }
}
