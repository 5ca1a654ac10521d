import * as arrow from 'apache-arrow'
import { DeltaError } from '../errors.js'
import type { MetadataAction } from '../protocol/actions.js'
import { deltaToArrowType } from '../protocol/arrow-schema.js'
import type { IdentityRule, WriteRules } from '../protocol/constraints.js'
import { readWriteRules } from '../protocol/constraints.js'
import { castScalar } from '../protocol/expr/functions.js'
import type { ColumnExpr, Expr } from '../protocol/expr/types.js'
import { compareScalars, type DecimalValue, type ScalarValue } from '../protocol/partition-values.js'
import { type DataType, parseSchemaString, type StructType, schemaToString } from '../protocol/schema.js'
import { evaluateOperand, evaluatePredicate } from './row-filter.js'

/*
 * Applies a table's write rules (protocol/constraints.ts) to every batch the data writer turns into files: the
 * one choke point of append, overwrite, UPDATE, DELETE rewrites and MERGE. Per batch:
 *
 *   identity columns: nulls get the next values of the IdentityAllocator (append, MERGE insert)
 *   generated columns: computed; given values verified (appends) or recomputed (DML rewrites)
 *   NOT NULL of identity / generated columns, then CHECK constraints and invariants: a row whose expression is
 *   FALSE or NULL refuses the batch with CONSTRAINT_VIOLATION (Spark's rule), before any file is written.
 */

/**
 * Hands out identity values for one transaction, continuing each column's high-water mark, and writes the new
 * marks into the metadata the transaction commits. Two concurrent transactions both change the metadata, so
 * the second one conflicts (MetadataChanged) and must re-run: no value is ever handed out twice.
 */
export class IdentityAllocator {
  private readonly next = new Map<string, { rule: IdentityRule; hwm?: bigint }>()
  private advancedAny = false

  constructor(rules: readonly IdentityRule[]) {
    for (const r of rules)
      this.next.set(r.field.name, { rule: r, ...(r.highWaterMark !== undefined ? { hwm: r.highWaterMark } : {}) })
  }

  /** True once a value was handed out (or an explicit value raised a mark). */
  get advanced(): boolean {
    return this.advancedAny
  }

  /** The next value of `column`. */
  take(column: string): bigint {
    const s = this.next.get(column)
    if (!s) throw new DeltaError('INTERNAL', `'${column}' is not an identity column`)
    const v = s.hwm === undefined ? s.rule.start : s.hwm + s.rule.step
    s.hwm = v
    this.advancedAny = true
    return v
  }

  /** An explicitly written value (BY DEFAULT): the mark moves past it, as Spark does, so later values stay unique. */
  observe(column: string, v: bigint): void {
    const s = this.next.get(column)
    if (!s) return
    const beyond = s.hwm === undefined ? true : s.rule.step > 0n ? v > s.hwm : v < s.hwm
    const inDirection = s.rule.step > 0n ? v >= s.rule.start : v <= s.rule.start
    if (beyond && inDirection) {
      s.hwm = v
      this.advancedAny = true
    }
  }

  /** The high-water marks by column (columns that handed out nothing are absent). */
  highWaterMarks(): Map<string, bigint> {
    const out = new Map<string, bigint>()
    for (const [k, s] of this.next) if (s.hwm !== undefined) out.set(k, s.hwm)
    return out
  }

  /** `metadata` with each identity field's `delta.identity.highWaterMark` set to this allocator's mark. */
  applyTo(metadata: MetadataAction): MetadataAction {
    const schema = parseSchemaString(metadata.schemaString)
    const marks = this.highWaterMarks()
    const fields = schema.fields.map((f) => {
      const m = marks.get(f.name)
      if (m === undefined) return f
      const old = f.metadata?.['delta.identity.highWaterMark']
      const step = BigInt((f.metadata?.['delta.identity.step'] as number | undefined) ?? 1)
      // Never move a mark backwards (a concurrent writer's larger mark already landed in this metadata).
      if (old !== undefined && old !== null && (step > 0n ? BigInt(old as number) >= m : BigInt(old as number) <= m))
        return f
      return { ...f, metadata: { ...(f.metadata ?? {}), 'delta.identity.highWaterMark': safeNumber(m) } }
    })
    return { ...metadata, schemaString: schemaToString({ ...schema, fields }) }
  }
}

// Spark writes the mark as a JSON number; values beyond 2^53 are kept exact as their decimal text.
function safeNumber(v: bigint): number | string {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString()
}

/** Options of {@link applyWriteRules}. */
export interface ApplyRulesOptions {
  /** Fills nulls of identity columns; without it nulls stay (rows rewritten by DML keep their values). */
  identity?: IdentityAllocator
  /**
   * The batch holds only new rows written by the caller (append / overwrite): a value given for a GENERATED
   * ALWAYS identity column is refused and a given generated-column value must equal its expression. Otherwise
   * (DML output, which mixes rewritten rows with inserted ones) identity values are kept and generated columns
   * recomputed from the row.
   */
  newRows?: boolean
}

/** Rules cached per (schema string, configuration) so a write parses each expression once. */
const cache = new WeakMap<object, { key: string; rules: WriteRules }>()

/**
 * The write rules of a table schema + configuration (parsed once per write).
 *
 * @throws DeltaError `UNSUPPORTED_FEATURE` naming an expression outside the supported SQL subset.
 */
export function writeRulesFor(
  schema: StructType,
  configuration: Readonly<Record<string, string | null | undefined>> | undefined,
): WriteRules {
  const key = JSON.stringify(configuration ?? {})
  const hit = cache.get(schema)
  if (hit && hit.key === key) return hit.rules
  const rules = readWriteRules(schema, configuration)
  cache.set(schema, { key, rules })
  return rules
}

/**
 * The schema batches are conformed to before the rules run: identity and generated columns nullable (their
 * values are filled in by the rules, which then check NOT NULL themselves).
 */
export function relaxedForRules(schema: StructType, rules: WriteRules): StructType {
  const filled = new Set([...rules.identity.map((r) => r.field.name), ...rules.generated.map((r) => r.field.name)])
  if (filled.size === 0 || schema.fields.every((f) => !filled.has(f.name) || f.nullable)) return schema
  return { ...schema, fields: schema.fields.map((f) => (filled.has(f.name) ? { ...f, nullable: true } : f)) }
}

function describeValue(v: ScalarValue, type: DataType): string {
  if (v === null || v === undefined) return 'NULL'
  const s = castScalar(v, type, 'string')
  return typeof v === 'string' ? JSON.stringify(v) : String(s)
}

function boundColumns(e: unknown, out: ColumnExpr[] = []): ColumnExpr[] {
  if (!e || typeof e !== 'object') return out
  const node = e as { kind?: string }
  if (node.kind === 'column') {
    const c = node as ColumnExpr
    if (!out.some((x) => x.path.join('.') === c.path.join('.'))) out.push(c)
    return out
  }
  for (const v of Object.values(e)) {
    if (Array.isArray(v)) for (const x of v) boundColumns(x, out)
    else if (v && typeof v === 'object') boundColumns(v, out)
  }
  return out
}

function rowDescription(batch: arrow.RecordBatch, cols: readonly ColumnExpr[], i: number): string {
  return cols
    .map((c) => `${c.path.join('.')} = ${describeValue(evaluateOperand(c, batch.slice(i, i + 1))[0], c.dataType!)}`)
    .join(', ')
}

/**
 * A column of Delta type `type` holding `values` (ScalarValue model).
 *
 * @throws DeltaError `INTERNAL` for a nested type.
 */
export function scalarsToData(values: readonly ScalarValue[], type: DataType): arrow.Data {
  const arrowType = deltaToArrowType(type)
  const n = values.length
  let nullCount = 0
  const bitmap = new Uint8Array(Math.ceil(n / 8))
  for (let i = 0; i < n; i++) {
    if (values[i] === null || values[i] === undefined) nullCount++
    else bitmap[i >> 3] |= 1 << (i & 7)
  }
  const base = { type: arrowType, length: n, nullCount, ...(nullCount > 0 ? { nullBitmap: bitmap } : {}) }
  switch (arrowType.typeId) {
    case arrow.Type.Int: {
      const t = arrowType as arrow.Int
      if (t.bitWidth === 64) {
        const data = new BigInt64Array(n)
        for (let i = 0; i < n; i++) if (values[i] != null) data[i] = BigInt(values[i] as number | bigint)
        return arrow.makeData({ ...base, type: t, data } as never)
      }
      const Ctor = t.bitWidth === 8 ? Int8Array : t.bitWidth === 16 ? Int16Array : Int32Array
      const data = new Ctor(n)
      for (let i = 0; i < n; i++) if (values[i] != null) data[i] = Number(values[i])
      return arrow.makeData({ ...base, type: t, data } as never)
    }
    case arrow.Type.Float: {
      const single = (arrowType as arrow.Float).precision === arrow.Precision.SINGLE
      const data = single ? new Float32Array(n) : new Float64Array(n)
      for (let i = 0; i < n; i++) if (values[i] != null) data[i] = Number(values[i])
      return arrow.makeData({ ...base, type: arrowType as arrow.Float, data } as never)
    }
    case arrow.Type.Date: {
      const data = new Int32Array(n)
      for (let i = 0; i < n; i++) if (values[i] != null) data[i] = Number(values[i])
      return arrow.makeData({ ...base, type: arrowType as arrow.DateDay, data } as never)
    }
    case arrow.Type.Timestamp: {
      const data = new BigInt64Array(n)
      for (let i = 0; i < n; i++) if (values[i] != null) data[i] = BigInt(values[i] as bigint)
      return arrow.makeData({ ...base, type: arrowType as arrow.Timestamp, data } as never)
    }
    case arrow.Type.Decimal: {
      const scale = (arrowType as arrow.Decimal).scale
      const data = new Uint32Array(n * 4)
      for (let i = 0; i < n; i++) {
        const d = values[i] as DecimalValue | null
        if (d == null) continue
        let u = BigInt.asUintN(128, d.scale === scale ? d.unscaled : d.unscaled * 10n ** BigInt(scale - d.scale))
        for (let w = 0; w < 4; w++) {
          data[i * 4 + w] = Number(u & 0xffffffffn)
          u >>= 32n
        }
      }
      return arrow.makeData({ ...base, type: arrowType as arrow.Decimal, data } as never)
    }
    case arrow.Type.Bool:
    case arrow.Type.Utf8:
    case arrow.Type.Binary: {
      const b = arrow.makeBuilder({ type: arrowType, nullValues: [null, undefined] })
      for (const v of values) b.append(v as never)
      return b.finish().flush()
    }
    default:
      throw new DeltaError('INTERNAL', `cannot build a column of type ${String(type)}`)
  }
}

function replaceChild(batch: arrow.RecordBatch, index: number, data: arrow.Data): arrow.RecordBatch {
  const children = batch.data.children.slice()
  children[index] = data
  const field = batch.schema.fields[index]
  const fields = batch.schema.fields.slice()
  fields[index] = new arrow.Field(field.name, data.type, field.nullable, field.metadata)
  const schema = new arrow.Schema(fields, batch.schema.metadata)
  return new arrow.RecordBatch(
    schema,
    arrow.makeData({ type: new arrow.Struct(fields), length: batch.numRows, nullCount: 0, children }),
  )
}

function violation(message: string): DeltaError {
  return new DeltaError('CONSTRAINT_VIOLATION', message)
}

/**
 * Applies `rules` to one batch in the table's logical layout (top-level fields by name) and returns the batch
 * to write: identity and generated columns filled, every constraint checked.
 *
 * @throws DeltaError `CONSTRAINT_VIOLATION` naming the constraint (or column), its expression and the values of
 *   a violating row: a CHECK constraint or invariant that is FALSE or NULL, a generated column whose given value
 *   differs from its expression, a NULL in a NOT NULL identity or generated column, or an explicit value for a
 *   GENERATED ALWAYS identity column (when `identity` is given: new rows).
 */
export function applyWriteRules(
  input: arrow.RecordBatch,
  rules: WriteRules,
  options: ApplyRulesOptions = {},
): arrow.RecordBatch {
  if (rules.empty || input.numRows === 0) return input
  let batch = input
  const n = batch.numRows
  const indexOf = (name: string) => batch.schema.fields.findIndex((f) => f.name === name)
  for (const id of rules.identity) {
    const j = indexOf(id.field.name)
    if (j < 0) continue
    const vec = batch.getChildAt(j)!
    const alloc = options.identity
    if (!alloc) continue
    const refuseExplicit = options.newRows === true && !id.allowExplicitInsert
    const values: ScalarValue[] = new Array(n)
    let changed = false
    for (let i = 0; i < n; i++) {
      const v = vec.get(i) as number | bigint | null
      if (v === null || v === undefined) {
        values[i] = castScalar(alloc.take(id.field.name), 'long', id.field.type)
        changed = true
      } else {
        if (refuseExplicit) {
          throw violation(
            `identity column ${id.field.name} is GENERATED ALWAYS: a value cannot be written into it (row ${i} = ${String(v)})`,
          )
        }
        alloc.observe(id.field.name, BigInt(v))
        values[i] = id.field.type === 'long' ? BigInt(v) : Number(v)
      }
    }
    if (changed) batch = replaceChild(batch, j, scalarsToData(values, id.field.type))
  }
  for (const g of rules.generated) {
    const j = indexOf(g.field.name)
    if (j < 0) continue
    const exprType = g.expr.dataType ?? 'string'
    const computed = evaluateOperand(g.expr, batch).map((v) => castScalar(v, exprType, g.field.type))
    const vec = batch.getChildAt(j)!
    if (options.newRows === true && vec.nullCount < n) {
      const given = evaluateOperand({ kind: 'column', path: [g.field.name], dataType: g.field.type }, batch)
      for (let i = 0; i < n; i++) {
        const v = given[i]
        if (v === null || v === undefined) continue
        const c = computed[i]
        if (c === null || c === undefined || compareScalars(v, c) !== 0) {
          const cols = boundColumns(g.expr)
          throw violation(
            `generated column ${g.field.name} = ${g.sql}: the written value ${describeValue(v, g.field.type)} differs from the expression's ${describeValue(c, g.field.type)} in the row with ${rowDescription(batch, cols, i)}`,
          )
        }
      }
    }
    batch = replaceChild(batch, j, scalarsToData(computed, g.field.type))
  }
  for (const f of [...rules.identity.map((r) => r.field), ...rules.generated.map((r) => r.field)]) {
    if (f.nullable) continue
    const j = indexOf(f.name)
    const vec = j < 0 ? undefined : batch.getChildAt(j)
    if (!vec || vec.nullCount > 0) {
      const i = vec ? ([...Array(n).keys()].find((k) => !vec.isValid(k)) ?? 0) : 0
      throw violation(`NOT NULL constraint violated: column ${f.name} is NULL in row ${i}`)
    }
  }
  for (const c of rules.checks) {
    const ok = evaluatePredicate(c.expr as Expr, batch)
    const bad = ok.indexOf(0)
    if (bad >= 0) {
      const what = c.kind === 'check' ? `CHECK constraint ${c.name}` : `invariant of column ${c.name}`
      throw violation(
        `${what} (${c.sql}) is violated by the row with ${rowDescription(batch, boundColumns(c.expr), bad)}`,
      )
    }
  }
  return batch
}
