import { type Field, type RecordBatch, type Struct, Type, type Vector } from 'apache-arrow'
import { adoptRecordBatch, adoptVector } from '../arrow/adopt.js'
import { decimalKey } from '../arrow/hash.js'
import { evalIntOperand, type IntColumn } from '../arrow/int-eval.js'
import { type ScalarReader, vectorScalarReader } from '../arrow/scalar.js'
import { takeRows } from '../arrow/take.js'
import { DeltaError } from '../errors.js'
import { evalArith, evalNegate } from '../protocol/expr/arith.js'
import { compareOp, flipOp, likeToRegExp, nullSafeEquals } from '../protocol/expr/eval.js'
import { evalFunc } from '../protocol/expr/functions.js'
import type { ColumnExpr, CompareOp, Expr, Operand } from '../protocol/expr/types.js'
import { type DecimalValue, isDecimalValue, type ScalarValue } from '../protocol/partition-values.js'
import type { DataType } from '../protocol/schema.js'

/*
 * Row filtering of Arrow record batches with a bound predicate, SQL semantics (a NULL result drops the row).
 * Values are read exactly from the Arrow buffers in the ScalarValue model (int64 and timestamps as bigint µs,
 * dates as days, decimals as { unscaled, scale }) because `Vector.get` rounds timestamps to float ms and gives
 * decimals as raw words. Evaluation is column-at-a-time: each node yields one tri-state code per row.
 */

const FALSE = 0
const TRUE = 1
const NULL = 2

type Reader = ScalarReader

/** Resolves a column reference to the batch column holding it; the default looks names up in the batch. */
export type ColumnResolver = (c: ColumnExpr, batch: RecordBatch) => Vector | undefined

/** Options of {@link evaluatePredicate} and {@link filterBatch}. */
export interface RowFilterOptions {
  /**
   * Finds the top-level batch column of a reference (for renamed or qualified columns, e.g. MERGE's
   * `source.x`). Nested paths below it are followed by field name. Default: the batch field named `path[0]`
   * (exact, then case-insensitive); qualified references need a resolver.
   */
  resolve?: ColumnResolver
}

function findChildIndex(fields: readonly Field[], name: string): number {
  const exact = fields.findIndex((f) => f.name === name)
  if (exact >= 0) return exact
  const lower = name.toLowerCase()
  return fields.findIndex((f) => f.name.toLowerCase() === lower)
}

function defaultResolve(c: ColumnExpr, batch: RecordBatch): Vector | undefined {
  if (c.qualifier !== undefined) return undefined
  const i = findChildIndex(batch.schema.fields, c.path[0])
  return i < 0 ? undefined : (batch.getChildAt(i) ?? undefined)
}

/**
 * The exact {@link ScalarValue}s of a vector (null for nulls): int64 and timestamps as bigint (timestamps in µs
 * whatever the unit), dates as days, decimals as `{ unscaled, scale }`, strings, binary, booleans, numbers.
 * Structs yield `{}` and lists / maps their Arrow values (only their nullness is meaningful). Never throws.
 */
export function vectorValues(input: Vector): ScalarValue[] {
  const vec = adoptVector(input, 'vectorValues input')
  const read = vectorScalarReader(vec)
  return Array.from({ length: vec.length }, (_, i) => read(i))
}

/** The vector chain of a column reference: the top-level column and each struct field down to the leaf. */
function columnChain(c: ColumnExpr, batch: RecordBatch, options: RowFilterOptions): Vector[] {
  const top = (options.resolve ?? defaultResolve)(c, batch)
  const name = [...(c.qualifier !== undefined ? [c.qualifier] : []), ...c.path].join('.')
  if (!top)
    throw new DeltaError(
      'INVALID_PREDICATE',
      `column '${name}' of the predicate is not in the batch (columns: ${batch.schema.fields.map((f) => f.name).join(', ')})`,
    )
  const chain: Vector[] = [top]
  let cur: Vector = top
  for (const part of c.path.slice(1)) {
    if (cur.type.typeId !== Type.Struct)
      throw new DeltaError('INVALID_PREDICATE', `column '${name}': '${part}' is below a non-struct column`)
    const idx = findChildIndex((cur.type as Struct).children, part)
    const child = idx < 0 ? null : cur.getChildAt(idx)
    if (!child) throw new DeltaError('INVALID_PREDICATE', `column '${name}' of the predicate is not in the batch`)
    chain.push(child)
    cur = child
  }
  return chain
}

/** Row validity of one vector without decoding values. */
function validity(vec: Vector): (i: number) => boolean {
  if (vec.nullCount === 0) return () => true
  if (vec.data.length === 1) {
    const d = vec.data[0]
    return (i) => d.getValid(i)
  }
  return (i) => vec.isValid(i)
}

/** Is the column's value non-null in row i? A null parent struct makes its fields null. */
function columnValidity(c: ColumnExpr, batch: RecordBatch, options: RowFilterOptions): (i: number) => boolean {
  const checks = columnChain(c, batch, options)
    .filter((v) => v.nullCount !== 0)
    .map(validity)
  if (checks.length === 0) return () => true
  if (checks.length === 1) return checks[0]
  return (i) => checks.every((f) => f(i))
}

function columnReader(c: ColumnExpr, batch: RecordBatch, options: RowFilterOptions): Reader {
  const chain = columnChain(c, batch, options)
  const leaf = vectorScalarReader(chain[chain.length - 1])
  if (chain.length === 1) return leaf
  const parents = chain
    .slice(0, -1)
    .filter((v) => v.nullCount !== 0)
    .map(validity)
  if (parents.length === 0) return leaf
  return (i) => {
    for (const p of parents) if (!p(i)) return null
    return leaf(i)
  }
}

function operandReader(o: Operand, batch: RecordBatch, options: RowFilterOptions): Reader {
  switch (o.kind) {
    case 'column':
      return columnReader(o, batch, options)
    case 'literal': {
      const v = (o.value ?? null) as ScalarValue
      return () => v
    }
    case 'arith': {
      const l = operandReader(o.left, batch, options)
      const r = operandReader(o.right, batch, options)
      const { op } = o
      const type = boundType(o)
      return (i) => evalArith(op, l(i), r(i), type)
    }
    case 'negate': {
      const v = operandReader(o.operand, batch, options)
      const type = boundType(o)
      return (i) => evalNegate(v(i), type)
    }
    case 'func': {
      const readers = o.args.map((a) => operandReader(a, batch, options))
      const types = o.args.map((a) => a.dataType ?? 'string')
      return (i) =>
        evalFunc(
          o,
          readers.map((r) => r(i)),
          types,
        )
    }
  }
}

/**
 * The exact values of a bound value expression ({@link bindValue}) for every row of `batch`, in the
 * {@link ScalarValue} model, with the predicate language's arithmetic (Spark typing, NULL on a zero divisor,
 * `ARITHMETIC_OVERFLOW` on overflow).
 *
 * @throws DeltaError `INVALID_PREDICATE` when a referenced column is not in the batch, `ARITHMETIC_OVERFLOW`.
 */
export function evaluateValue(value: Operand, input: RecordBatch, options: RowFilterOptions = {}): ScalarValue[] {
  const batch = adoptRecordBatch(input, 'evaluateValue batch')
  const read = operandReader(value, batch, options)
  const out: ScalarValue[] = new Array(batch.numRows)
  for (let i = 0; i < batch.numRows; i++) out[i] = read(i)
  return out
}

function boundType(o: { dataType?: DataType }): DataType {
  if (o.dataType === undefined) throw new DeltaError('INVALID_ARGUMENT', 'arithmetic is not bound; call bindExpr first')
  return o.dataType
}

const code = (r: boolean | null) => (r === null ? NULL : r ? TRUE : FALSE)

/**
 * `column op literal` as a per-value test with native comparisons when value and literal are both numbers
 * (NaN handled as the greatest value, equal to itself) or both bigints; other kinds use compareOp.
 */
function columnVsLiteral(
  a: Operand,
  b: Operand,
  op: CompareOp,
): { column: ColumnExpr; test: (v: ScalarValue) => number } | undefined {
  if (a.kind !== 'column' || b.kind !== 'literal') return undefined
  const lit = (b.value ?? null) as ScalarValue
  if (lit === null) return { column: a, test: () => NULL }
  const slow = (v: ScalarValue) => code(compareOp(op, v, lit))
  const native = (x: number | bigint, y: number | bigint): boolean => {
    switch (op) {
      case '=':
        return x === y
      case '!=':
        return x !== y
      case '<':
        return x < y
      case '<=':
        return x <= y
      case '>':
        return x > y
      case '>=':
        return x >= y
    }
  }
  if (typeof lit === 'bigint') {
    return {
      column: a,
      test: (v) => (v === null ? NULL : typeof v === 'bigint' ? (native(v, lit) ? TRUE : FALSE) : slow(v)),
    }
  }
  if (typeof lit === 'number' && !Number.isNaN(lit)) {
    // A NaN value is above every number: only >, >= and != hold.
    const nanResult = op === '>' || op === '>=' || op === '!=' ? TRUE : FALSE
    return {
      column: a,
      test: (v) => {
        if (v === null) return NULL
        if (typeof v !== 'number') return slow(v)
        if (Number.isNaN(v)) return nanResult
        // -0 === 0 natively, as in compareScalars.
        return native(v, lit) ? TRUE : FALSE
      },
    }
  }
  return { column: a, test: slow }
}

/**
 * `left op right` on integer operands without BigInt (arrow/int-eval.ts): when both sides are integer
 * arithmetic of top-level integer columns and literals whose values stay below 2^53, compares doubles;
 * otherwise undefined and the caller compares exact values row by row.
 */
function intCompare(
  op: CompareOp,
  left: Operand,
  right: Operand,
  batch: RecordBatch,
  options: RowFilterOptions,
  out: Uint8Array,
  rows: Int32Array | undefined,
): Uint8Array | undefined {
  // A bare column against a literal is served by columnVsLiteral unless the column is an int64 (whose values
  // would each be read as a BigInt).
  if (left.kind !== 'arith' && right.kind !== 'arith' && left.kind !== 'negate' && right.kind !== 'negate') {
    const col = left.kind === 'column' ? left : right.kind === 'column' ? right : undefined
    if (col?.dataType !== 'long') return undefined
  }
  const column = (c: ColumnExpr) => {
    if (c.path.length !== 1) return undefined
    const vec = (options.resolve ?? defaultResolve)(c, batch)
    return vec && vec.data.length === 1 ? vec.data[0] : undefined
  }
  const n = batch.numRows
  const a = evalIntOperand(left, column, n)
  const b = a && evalIntOperand(right, column, n)
  if (!a || !b) return undefined
  if (a.kind === 'const' && b.kind === 'const') return undefined
  const m = rows ? rows.length : n
  const get = (c: IntColumn): [Float64Array | undefined, number, Uint8Array | undefined, boolean] =>
    c.kind === 'const' ? [undefined, c.value ?? 0, undefined, c.value === null] : [c.values, 0, c.nulls, false]
  const [xv, xc, xn, xNull] = get(a)
  const [yv, yc, yn, yNull] = get(b)
  if (xNull || yNull) {
    for (let k = 0; k < m; k++) out[rows ? rows[k] : k] = NULL
    return out
  }
  if (!rows && !xn && !yn && xv && !yv && (op === '=' || op === '!=')) {
    // The common shape (`id % 100 = 0`): every row, no nulls, rows against a constant; one tight loop.
    const hit = op === '=' ? TRUE : FALSE
    const miss = op === '=' ? FALSE : TRUE
    for (let i = 0; i < m; i++) out[i] = xv[i] === yc ? hit : miss
    return out
  }
  for (let k = 0; k < m; k++) {
    const i = rows ? rows[k] : k
    if (xn?.[i] || yn?.[i]) {
      out[i] = NULL
      continue
    }
    const x = xv ? xv[i] : xc
    const y = yv ? yv[i] : yc
    let r: boolean
    switch (op) {
      case '=':
        r = x === y
        break
      case '!=':
        r = x !== y
        break
      case '<':
        r = x < y
        break
      case '<=':
        r = x <= y
        break
      case '>':
        r = x > y
        break
      default:
        r = x >= y
    }
    out[i] = r ? TRUE : FALSE
  }
  return out
}

/**
 * Tri-state codes of `e` for the rows listed in `rows` (every row when undefined); entries of other rows are
 * unspecified. AND / OR pass on only the rows still undecided, so later conjuncts skip rows already FALSE.
 */
function evalNode(e: Expr, batch: RecordBatch, options: RowFilterOptions, rows?: Int32Array): Uint8Array {
  const n = batch.numRows
  const out = new Uint8Array(n)
  const m = rows ? rows.length : n
  switch (e.kind) {
    case 'func': {
      const r = operandReader(e, batch, options)
      for (let k = 0; k < m; k++) {
        const i = rows ? rows[k] : k
        const v = r(i)
        out[i] = code(v === null || v === undefined ? null : v === true)
      }
      return out
    }
    case 'arith':
    case 'negate':
      throw new DeltaError('INVALID_PREDICATE', 'a number is not a predicate')
    case 'literal':
      return out.fill(code(e.value === null || e.value === undefined ? null : e.value === true))
    case 'column': {
      const r = columnReader(e, batch, options)
      for (let k = 0; k < m; k++) {
        const i = rows ? rows[k] : k
        const v = r(i)
        out[i] = v === null ? NULL : v === true ? TRUE : FALSE
      }
      return out
    }
    case 'compare': {
      const ints = intCompare(e.op, e.left, e.right, batch, options, out, rows)
      if (ints) return ints
      const fast = columnVsLiteral(e.left, e.right, e.op) ?? columnVsLiteral(e.right, e.left, flipOp(e.op))
      if (fast) {
        const r = columnReader(fast.column, batch, options)
        const test = fast.test
        for (let k = 0; k < m; k++) {
          const i = rows ? rows[k] : k
          out[i] = test(r(i))
        }
        return out
      }
      const l = operandReader(e.left, batch, options)
      const r = operandReader(e.right, batch, options)
      for (let k = 0; k < m; k++) {
        const i = rows ? rows[k] : k
        out[i] = code(compareOp(e.op, l(i), r(i)))
      }
      return out
    }
    case 'nullSafeEq': {
      const l = operandReader(e.left, batch, options)
      const r = operandReader(e.right, batch, options)
      const { negated } = e
      for (let k = 0; k < m; k++) {
        const i = rows ? rows[k] : k
        out[i] = nullSafeEquals(l(i), r(i)) !== negated ? TRUE : FALSE
      }
      return out
    }
    case 'in': {
      const r = operandReader(e.value, batch, options)
      const items = e.list.map((l) => (l.value ?? null) as ScalarValue)
      const hasNull = items.some((v) => v === null)
      const nonNull = items.filter((v) => v !== null)
      const kinds = new Set(nonNull.map((v) => typeof v))
      // Primitive items of one kind: a Set lookup (SameValueZero: NaN = NaN and -0 = 0, as compareScalars).
      // Decimal items: a Set of normalized keys (1.50 and 1.5 are the same key).
      const allDecimal = nonNull.length > 0 && nonNull.every(isDecimalValue)
      const primitive =
        kinds.size === 1 && ['string', 'number', 'bigint', 'boolean'].includes([...kinds][0])
          ? [...kinds][0]
          : undefined
      const set = primitive
        ? new Set(nonNull)
        : allDecimal
          ? new Set(nonNull.map((v) => decimalKey(v as DecimalValue)))
          : undefined
      const miss = hasNull ? NULL : e.negated ? TRUE : FALSE
      const hit = e.negated ? FALSE : TRUE
      for (let k = 0; k < m; k++) {
        const i = rows ? rows[k] : k
        const v = r(i)
        if (v === null) {
          out[i] = NULL
          continue
        }
        let found: boolean
        if (set && primitive !== undefined && typeof v === primitive) found = set.has(v)
        else if (set && allDecimal && isDecimalValue(v)) found = set.has(decimalKey(v))
        else found = nonNull.some((x) => compareOp('=', v, x) === true)
        out[i] = found ? hit : miss
      }
      return out
    }
    case 'isNull': {
      if (e.operand.kind === 'column') {
        const valid = columnValidity(e.operand, batch, options)
        for (let k = 0; k < m; k++) {
          const i = rows ? rows[k] : k
          out[i] = valid(i) === e.negated ? TRUE : FALSE
        }
        return out
      }
      if (e.operand.kind !== 'literal') {
        const r = operandReader(e.operand, batch, options)
        for (let k = 0; k < m; k++) {
          const i = rows ? rows[k] : k
          out[i] = (r(i) === null) !== e.negated ? TRUE : FALSE
        }
        return out
      }
      const isNull = e.operand.value === null || e.operand.value === undefined
      return out.fill(isNull !== e.negated ? TRUE : FALSE)
    }
    case 'like': {
      const r = operandReader(e.operand, batch, options)
      const re = likeToRegExp(e.pattern, e.escape)
      for (let k = 0; k < m; k++) {
        const i = rows ? rows[k] : k
        const v = r(i)
        out[i] = v === null ? NULL : re.test(String(v)) !== e.negated ? TRUE : FALSE
      }
      return out
    }
    case 'and':
    case 'or': {
      const dominant = e.kind === 'and' ? FALSE : TRUE
      out.fill(e.kind === 'and' ? TRUE : FALSE)
      // A private copy: it is compacted in place below, and `rows` belongs to the caller.
      let active = rows ? rows.slice() : Int32Array.from({ length: n }, (_, i) => i)
      for (const c of e.children) {
        if (active.length === 0) break
        const part = evalNode(c, batch, options, active)
        let undecided = 0
        for (let k = 0; k < active.length; k++) {
          const i = active[k]
          if (part[i] === dominant) out[i] = dominant
          else {
            if (part[i] === NULL) out[i] = NULL
            active[undecided++] = i
          }
        }
        // Compacted in place: the first `undecided` entries are the rows the next child must still decide.
        active = active.subarray(0, undecided)
      }
      return out
    }
    case 'not': {
      const part = evalNode(e.child, batch, options, rows)
      for (let k = 0; k < m; k++) {
        const i = rows ? rows[k] : k
        out[i] = part[i] === NULL ? NULL : part[i] === TRUE ? FALSE : TRUE
      }
      return out
    }
  }
}

/**
 * Evaluates a bound predicate ({@link bindExpr}) on every row of `batch` with SQL three-valued logic. Returns
 * one byte per row: 1 when the predicate is TRUE, 0 when it is FALSE or NULL (null never selects a row).
 * Columns are found by name in the batch (nested fields through struct children; a null struct makes its
 * fields null), or through `options.resolve`.
 *
 * @throws DeltaError `INVALID_PREDICATE` when a referenced column is not in the batch or a LIKE pattern is
 *   malformed.
 */
export function evaluatePredicate(boundExpr: Expr, input: RecordBatch, options: RowFilterOptions = {}): Uint8Array {
  const codes = evalNode(boundExpr, adoptRecordBatch(input, 'evaluatePredicate batch'), options)
  for (let i = 0; i < codes.length; i++) codes[i] = codes[i] === TRUE ? 1 : 0
  return codes
}

/**
 * Keeps exactly the rows of `batch` for which the bound predicate is TRUE (SQL semantics: NULL drops the row),
 * preserving order, schema and exact values for every column type. Returns `batch` itself when every row
 * matches.
 *
 * @throws DeltaError `INVALID_PREDICATE` as {@link evaluatePredicate}.
 */
export function filterBatch(input: RecordBatch, boundExpr: Expr, options: RowFilterOptions = {}): RecordBatch {
  const batch = adoptRecordBatch(input, 'filterBatch batch')
  const mask = evaluatePredicate(boundExpr, batch, options)
  let count = 0
  for (let i = 0; i < mask.length; i++) count += mask[i]
  if (count === mask.length) return batch
  const idx = new Int32Array(count)
  let k = 0
  for (let i = 0; i < mask.length; i++) if (mask[i]) idx[k++] = i
  return takeRows(batch, idx)
}

/**
 * The value of a bound value expression (column, literal, arithmetic, function call) for every row of
 * `input`, in the ScalarValue model (what {@link evaluatePredicate} compares).
 *
 * @throws DeltaError `ARITHMETIC_OVERFLOW` when integer or decimal arithmetic overflows its result type.
 */
export function evaluateOperand(bound: Operand, input: RecordBatch, options: RowFilterOptions = {}): ScalarValue[] {
  const batch = adoptRecordBatch(input, 'evaluateOperand batch')
  const r = operandReader(bound, batch, options)
  const out: ScalarValue[] = new Array(batch.numRows)
  for (let i = 0; i < batch.numRows; i++) out[i] = r(i)
  return out
}
