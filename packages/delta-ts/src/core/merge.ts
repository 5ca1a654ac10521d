import * as arrow from 'apache-arrow'
import { adoptAsTable } from '../arrow/adopt.js'
import { nullData } from '../arrow/convert.js'
import { buildIntKeyIndex, intKeyValues } from '../arrow/int-join.js'
import { DeltaError } from '../errors.js'
import { arrowToDeltaSchema, deltaToArrowType } from '../protocol/arrow-schema.js'
import { referencedColumns } from '../protocol/expr/columns.js'
import {
  type ColumnExpr,
  type Expr,
  exprToSql,
  type LiteralExpr,
  type PredicateInput,
  parsePredicate,
} from '../protocol/expr/index.js'
import type { FileEntry } from '../protocol/file-entry.js'
import { compareScalars, type ScalarValue } from '../protocol/partition-values.js'
import { findField, type StructType } from '../protocol/schema.js'
import { takeRows } from './arrow-take.js'
import { changeDataFeedEnabled } from './change-data.js'
import { type BoundPredicate, bindPredicate } from './dml-support.js'
import type { FileMetrics, OperationResult } from './result.js'
import {
  type BatchRewrite,
  emptyRewriteMetrics,
  type RewriteMetrics,
  rewriteChangedTable,
  rewriteFiles,
} from './rewrite.js'
import { evaluatePredicate } from './row-filter.js'
import type { Snapshot } from './snapshot.js'
import { type CommitOptions, type CommitResult, Transaction } from './transaction.js'
import { type Assignments, type BoundAssignment, bindAssignments, bindScoped, buildRows, type Scope } from './update.js'

/*
 * MERGE (upsert) with Spark / delta-rs semantics.
 *
 *   source (Arrow, in memory) ─▶ optional dedupe ─▶ hash of the equi-join keys of `on`
 *   target: candidate files (pruned by the source keys' min/max and partition IN lists; every file when a
 *           whenNotMatchedBySource clause exists) ─▶ read one file at a time ─▶ join each batch with the
 *           source ─▶ matched rows: first matching WHEN MATCHED clause (update / delete / none = copy);
 *           unmatched target rows: first WHEN NOT MATCHED BY SOURCE clause ─▶ a file with no changed row
 *           keeps its add action, a changed file is removed and its surviving rows rewritten
 *   unmatched source rows ─▶ first WHEN NOT MATCHED clause (insert) ─▶ new files
 *   ─▶ one Transaction: read predicate (the pruning predicate) + read files, removes, adds, metrics
 *
 * Memory: the source plus one target file's rows at a time (plus the writer's bounded buffers).
 */

type ClauseKind = 'update' | 'delete' | 'insert'

interface Clause {
  kind: ClauseKind
  condition?: PredicateInput
  /** undefined: *All (all columns by name). */
  set?: Assignments
}

/** Options of a clause with an optional condition. */
export interface MergeConditionOptions {
  /** Only rows for which this SQL predicate (over `target.` / `source.` columns) is true take the clause. */
  condition?: PredicateInput
}

/** Options of `whenMatchedUpdate` / `whenNotMatchedBySourceUpdate`. */
export interface MergeUpdateOptions extends MergeConditionOptions {
  /** Target column → value expression (`'source.amount'`, `"'shipped'"`, `'target.qty + source.qty'`). */
  set: Assignments
}

/** Options of `whenNotMatchedInsert`. */
export interface MergeInsertOptions extends MergeConditionOptions {
  /** Target column → value expression over source columns and literals; unlisted columns are null. */
  values: Assignments
}

/** Options of `table.merge`. */
export interface MergeOptions extends CommitOptions {
  /**
   * The join condition: SQL over `target.` / `source.` columns (`'target.id = source.id AND target.day =
   * source.day'`), or key column names present on both sides (`['id']`). Equality conjuncts between a target and
   * a source column are hash-join keys; other conjuncts are evaluated on each candidate pair.
   */
  on: string | Expr | readonly string[]
  /** Qualifier of the target table's columns (default `target`). */
  targetAlias?: string
  /** Qualifier of the source's columns (default `source`). */
  sourceAlias?: string
  /**
   * Deduplicate the source first: per `keys` group keep the row with the greatest `orderBy` value (nulls
   * lowest; on ties the later row). Without it, a target row matched by more than one source row fails with
   * MERGE_DUPLICATE_SOURCE when a WHEN MATCHED clause exists.
   */
  dedupeSource?: { keys: readonly string[]; orderBy: string }
  /** Idempotent merge: skipped when the table already holds `appId` at a version >= `version`. */
  txn?: { appId: string; version: number }
  /**
   * With `txn`: commit nothing when no row changes (no file added or removed), so the `txn` is not recorded
   * either — a merge whose clause conditions do their own change detection (`whenMatchedUpdateAll({ condition:
   * 'NOT (target.a <=> source.a AND ...)' })`) leaves an unchanged table byte-identical. Default false: like
   * Spark, a merge with a `txn` always commits, recording the txn even when nothing changed.
   */
  skipEmptyCommit?: boolean
  /** Roll rewritten / inserted files at this many bytes (default 128 MiB). */
  targetFileSize?: number
}

/**
 * Metrics of a merge: the rewrite engine's file and row counts plus the per-clause row counts under Spark's
 * names (commitInfo.operationMetrics carries Spark's full set, `numTargetFilesAdded` and so on).
 */
export interface MergeMetrics extends RewriteMetrics, FileMetrics {
  numSourceRows: number
  numTargetRowsInserted: number
  numTargetRowsUpdated: number
  numTargetRowsDeleted: number
  /** Rows in the files written: inserted + updated + copied. */
  numOutputRows: number
  numTargetRowsMatchedUpdated: number
  numTargetRowsMatchedDeleted: number
  numTargetRowsNotMatchedBySourceUpdated: number
  numTargetRowsNotMatchedBySourceDeleted: number
}

/**
 * What a merge did (see {@link OperationResult}): `version` is the committed one, or the current one when
 * nothing changed or the txn was already applied.
 */
export interface MergeResult extends OperationResult<MergeMetrics> {
  /** True when the `txn` was already applied (nothing read or written). */
  skipped: boolean
}

/**
 * A merge being described: add WHEN clauses (evaluated in the order added, the first clause whose condition
 * holds takes a row, like Spark), then {@link MergeBuilder.execute}. Build it with `table.merge(source, options)`.
 */
export class MergeBuilder {
  private readonly matched: Clause[] = []
  private readonly notMatched: Clause[] = []
  private readonly notMatchedBySource: Clause[] = []

  /** @internal use `table.merge`. */
  constructor(
    /** Where the merge reads its target snapshot from when it executes (the table). */
    private readonly target: { snapshot(): Promise<Snapshot>; adopt?(commit: CommitResult | undefined): void },
    private readonly source: arrow.Table | arrow.RecordBatch,
    private readonly options: MergeOptions,
  ) {}

  /** Matched target rows take every target column that the source has (by name) from the source row. */
  whenMatchedUpdateAll(options: MergeConditionOptions = {}): this {
    this.matched.push({ kind: 'update', condition: options.condition })
    return this
  }

  /** Matched target rows get the assignments (unassigned columns keep their values). */
  whenMatchedUpdate(options: MergeUpdateOptions): this {
    if (!options?.set || Object.keys(options.set).length === 0)
      throw new DeltaError('INVALID_ARGUMENT', 'whenMatchedUpdate needs set')
    this.matched.push({ kind: 'update', condition: options.condition, set: options.set })
    return this
  }

  /** Matched target rows are deleted. */
  whenMatchedDelete(options: MergeConditionOptions = {}): this {
    this.matched.push({ kind: 'delete', condition: options.condition })
    return this
  }

  /** Unmatched source rows are inserted, target columns taken from source columns by name (others null). */
  whenNotMatchedInsertAll(options: MergeConditionOptions = {}): this {
    this.notMatched.push({ kind: 'insert', condition: options.condition })
    return this
  }

  /** Unmatched source rows are inserted with the given values. */
  whenNotMatchedInsert(options: MergeInsertOptions): this {
    if (!options?.values || Object.keys(options.values).length === 0)
      throw new DeltaError('INVALID_ARGUMENT', 'whenNotMatchedInsert needs values')
    this.notMatched.push({ kind: 'insert', condition: options.condition, set: options.values })
    return this
  }

  /** Target rows no source row matches get the assignments (target columns and literals only). */
  whenNotMatchedBySourceUpdate(options: MergeUpdateOptions): this {
    if (!options?.set || Object.keys(options.set).length === 0)
      throw new DeltaError('INVALID_ARGUMENT', 'whenNotMatchedBySourceUpdate needs set')
    this.notMatchedBySource.push({ kind: 'update', condition: options.condition, set: options.set })
    return this
  }

  /** Target rows no source row matches are deleted. */
  whenNotMatchedBySourceDelete(options: MergeConditionOptions = {}): this {
    this.notMatchedBySource.push({ kind: 'delete', condition: options.condition })
    return this
  }

  /**
   * Runs the merge and commits it as one `MERGE` transaction (nothing is committed when no row changes and no
   * `txn` is given).
   *
   * @throws DeltaError INVALID_ARGUMENT (no clause, bad options, unsupported assignment), INVALID_PREDICATE
   *   (a condition does not parse or names an unknown column), MERGE_DUPLICATE_SOURCE (a target row matched by
   *   several source rows while a WHEN MATCHED clause exists), SCHEMA_MISMATCH / CONSTRAINT_VIOLATION (a value
   *   does not fit its column), COMMIT_CONFLICT (a concurrent commit added or removed files this merge read).
   */
  async execute(): Promise<MergeResult> {
    const snapshot = await this.target.snapshot()
    const result = await executeMerge(snapshot, this.source, this.options, {
      matched: this.matched,
      notMatched: this.notMatched,
      notMatchedBySource: this.notMatchedBySource,
    })
    this.target.adopt?.(result.commit)
    return result
  }
}

// ---------------------------------------------------------------------------------------------------------
// Helpers over Arrow data.

const SEP = '\u0000'

/** A batch whose columns are the given batches' columns renamed `<alias>\0<name>` (all of equal length). */
function qualifiedBatch(parts: readonly { alias: string; batch: arrow.RecordBatch }[], n: number): arrow.RecordBatch {
  const fields: arrow.Field[] = []
  const children: arrow.Data[] = []
  for (const { alias, batch } of parts) {
    batch.schema.fields.forEach((f, i) => {
      fields.push(new arrow.Field(`${alias}${SEP}${f.name}`, f.type, true))
      children.push(batch.data.children[i])
    })
  }
  return new arrow.RecordBatch(
    new arrow.Schema(fields),
    arrow.makeData({ type: new arrow.Struct(fields), length: n, nullCount: 0, children }),
  )
}

function resolverFor(batch: arrow.RecordBatch): {
  rowFilter: (c: ColumnExpr) => arrow.Vector | undefined
  value: (c: ColumnExpr) => arrow.Data
} {
  const index = new Map(batch.schema.fields.map((f, i) => [f.name, i]))
  const find = (c: ColumnExpr) => index.get(`${c.qualifier ?? ''}${SEP}${c.path[0]}`)
  return {
    rowFilter: (c) => {
      const i = find(c)
      return i === undefined ? undefined : (batch.getChildAt(i) ?? undefined)
    },
    value: (c) => {
      const i = find(c)
      if (i === undefined || c.path.length !== 1) {
        throw new DeltaError(
          'INVALID_ARGUMENT',
          `column '${[c.qualifier, ...c.path].join('.')}' is not available here (nested field references are not supported in assignments)`,
        )
      }
      return batch.data.children[i]
    },
  }
}

function mask(
  cond: Expr | undefined,
  batch: arrow.RecordBatch,
  resolve: (c: ColumnExpr) => arrow.Vector | undefined,
): Uint8Array {
  if (!cond) return new Uint8Array(batch.numRows).fill(1)
  return evaluatePredicate(cond, batch, { resolve: (c) => resolve(c) })
}

/** Concatenates record batches of one schema into one batch (fixed-width, boolean, binary, nested layouts). */
function concatBatches(schema: arrow.Schema, batches: readonly arrow.RecordBatch[]): arrow.RecordBatch {
  if (batches.length === 1) return batches[0]
  const n = batches.reduce((s, b) => s + b.numRows, 0)
  if (n === 0) return emptySourceBatch(schema)
  // Gather every batch into a fresh offset-0 batch with takeRows, then splice the buffers together.
  const parts = batches.filter((b) => b.numRows > 0).map((b) => takeRows(b, identity(b.numRows)))
  const children = schema.fields.map((_, i) => concatData(parts.map((p) => p.data.children[i])))
  return new arrow.RecordBatch(
    schema,
    arrow.makeData({ type: new arrow.Struct(schema.fields), length: n, nullCount: 0, children }),
  )
}

/**
 * The rows `rows` (ascending, distinct) of `batch`: the batch itself when they are all of its rows (an
 * unconditional clause over every row it sees: MERGE's inserts of the unmatched source rows), else a take.
 */
function rowsAt(batch: arrow.RecordBatch, rows: readonly number[]): arrow.RecordBatch {
  return rows.length === batch.numRows ? batch : takeRows(batch, Int32Array.from(rows))
}

/** Positions still open where the mask is set; they are closed (a row takes the first clause that holds). */
function claim(m: Uint8Array, open: Uint8Array): number[] {
  const sel: number[] = []
  for (let j = 0; j < m.length; j++) {
    if (open[j] && m[j]) {
      sel.push(j)
      open[j] = 0
    }
  }
  return sel
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new DeltaError('ABORTED', 'merge aborted', { cause: signal.reason })
}

function identity(n: number): Int32Array {
  const a = new Int32Array(n)
  for (let i = 0; i < n; i++) a[i] = i
  return a
}

function concatBits(
  parts: readonly { bits: Uint8Array | null; len: number; offset?: number }[],
  total: number,
): Uint8Array {
  const out = new Uint8Array((total + 7) >> 3)
  let at = 0
  for (const p of parts) {
    for (let j = 0; j < p.len; j++) {
      const k = (p.offset ?? 0) + j
      if (p.bits === null || (p.bits[k >> 3] >> (k & 7)) & 1) out[(at + j) >> 3] |= 1 << ((at + j) & 7)
    }
    at += p.len
  }
  return out
}

function concatData(parts: readonly arrow.Data[]): arrow.Data {
  const type = parts[0].type as arrow.DataType
  const length = parts.reduce((s, d) => s + d.length, 0)
  const nullCount = parts.reduce((s, d) => s + d.nullCount, 0)
  const validity =
    nullCount > 0
      ? {
          nullBitmap: concatBits(
            parts.map((d) => ({
              bits: d.nullCount > 0 ? (d.nullBitmap ?? null) : null,
              len: d.length,
              offset: d.offset,
            })),
            length,
          ),
          nullCount,
        }
      : { nullCount: 0 }
  const base = { type, length, ...validity } as Record<string, unknown>
  const make = (extra: Record<string, unknown>) => arrow.makeData({ ...base, ...extra } as never) as arrow.Data
  switch (type.typeId) {
    case arrow.Type.Null:
      return arrow.makeData({ type: type as arrow.Null, length, nullCount: length })
    case arrow.Type.Dictionary: {
      // Batches may carry different dictionaries: decode to the value type (the write path does the same).
      const values = parts.flatMap((d) => [...arrow.makeVector(d)])
      return arrow.vectorFromArray(values as never[], (type as arrow.Dictionary).dictionary).data[0] as arrow.Data
    }
    case arrow.Type.Bool:
      return make({
        data: concatBits(
          parts.map((d) => ({ bits: d.values as Uint8Array, len: d.length, offset: d.offset })),
          length,
        ),
      })
    case arrow.Type.Struct:
      return make({
        children: type.children.map((_: arrow.Field, i: number) => concatData(parts.map((d) => d.children[i]))),
      })
    case arrow.Type.Utf8:
    case arrow.Type.Binary:
    case arrow.Type.List:
    case arrow.Type.Map: {
      const offsets = new Int32Array(length + 1)
      let at = 0
      let base = 0
      for (const d of parts) {
        const o = d.valueOffsets as Int32Array
        for (let j = 0; j < d.length; j++) offsets[at + j + 1] = base + (o[j + 1] - o[0])
        at += d.length
        base += o[d.length] - o[0]
      }
      if (type.typeId === arrow.Type.Utf8 || type.typeId === arrow.Type.Binary) {
        const bytes = new Uint8Array(base)
        let k = 0
        for (const d of parts) {
          const o = d.valueOffsets as Int32Array
          bytes.set((d.values as Uint8Array).subarray(o[0], o[d.length]), k)
          k += o[d.length] - o[0]
        }
        return make({ valueOffsets: offsets, data: bytes })
      }
      const child = concatData(
        parts
          .map((d) => {
            const o = d.valueOffsets as Int32Array
            return d.children[0].slice(o[0], o[d.length] - o[0])
          })
          .map((c) => (c.offset === 0 ? c : takeOffsetZero(c))),
      )
      return make({ valueOffsets: offsets, child })
    }
    default: {
      // Fixed width (ints, floats, decimals, dates, timestamps): values are pre-sliced by offset in arrow JS.
      const stride = parts[0].stride
      const Ctor = (
        parts[0].values as unknown as {
          constructor: new (n: number) => { set(a: ArrayLike<number | bigint>, o: number): void }
        }
      ).constructor
      const out = new Ctor(length * stride)
      let at = 0
      for (const d of parts) {
        out.set(
          (d.values as unknown as { subarray(a: number, b: number): ArrayLike<number | bigint> }).subarray(
            0,
            d.length * stride,
          ),
          at * stride,
        )
        at += d.length
      }
      return make({ data: out })
    }
  }
}

function takeOffsetZero(d: arrow.Data): arrow.Data {
  const fields = [new arrow.Field('x', d.type, true)]
  const b = new arrow.RecordBatch(
    new arrow.Schema(fields),
    arrow.makeData({ type: new arrow.Struct(fields), length: d.length, nullCount: 0, children: [d] }),
  )
  return takeRows(b, identity(d.length)).data.children[0]
}

/** Exact comparable values of one column (ScalarValue model: int64/timestamps bigint, dates days, decimals). */
function scalarReader(d: arrow.Data): (i: number) => ScalarValue {
  const type = d.type as arrow.DataType
  const vec = arrow.makeVector(d)
  switch (type.typeId) {
    case arrow.Type.Int:
    case arrow.Type.Float:
      return (i) => (d.getValid(i) ? ((d.values as unknown as ArrayLike<number | bigint>)[i] as ScalarValue) : null)
    case arrow.Type.Timestamp: {
      const unit = (type as arrow.Timestamp).unit
      const vals = d.values as unknown as BigInt64Array
      const f =
        unit === arrow.TimeUnit.SECOND
          ? (v: bigint) => v * 1_000_000n
          : unit === arrow.TimeUnit.MILLISECOND
            ? (v: bigint) => v * 1000n
            : unit === arrow.TimeUnit.MICROSECOND
              ? (v: bigint) => v
              : (v: bigint) => (v - (((v % 1000n) + 1000n) % 1000n)) / 1000n
      return (i) => (d.getValid(i) ? f(BigInt(vals[i])) : null)
    }
    case arrow.Type.Date: {
      if ((type as arrow.Date_).unit === arrow.DateUnit.DAY)
        return (i) => (d.getValid(i) ? (d.values as Int32Array)[i] : null)
      return (i) => (d.getValid(i) ? Math.floor(Number((d.values as unknown as BigInt64Array)[i]) / 86_400_000) : null)
    }
    case arrow.Type.Decimal: {
      const { scale, bitWidth } = type as arrow.Decimal
      const stride = bitWidth / 32
      const w = d.values as Uint32Array
      return (i) => {
        if (!d.getValid(i)) return null
        let v = 0n
        for (let k = stride - 1; k >= 0; k--) v = (v << 32n) | BigInt(w[i * stride + k])
        return { unscaled: BigInt.asIntN(bitWidth, v), scale }
      }
    }
    default:
      return (i) => (d.getValid(i) ? ((vec.get(i) ?? null) as ScalarValue) : null)
  }
}

/** A hash key for one value: equal SQL values (across int widths, decimal scales, time units) give equal keys. */
function keyString(v: ScalarValue): string {
  if (typeof v === 'bigint') return `n${v}`
  if (typeof v === 'number') return Number.isInteger(v) ? `n${BigInt(v)}` : `f${v}`
  if (typeof v === 'string') return `s${v}`
  if (typeof v === 'boolean') return `b${v}`
  if (v instanceof Uint8Array) return `x${[...v].map((b) => b.toString(16).padStart(2, '0')).join('')}`
  if (v !== null && typeof v === 'object' && 'unscaled' in v && 'scale' in v) {
    let { unscaled, scale } = v as { unscaled: bigint; scale: number }
    while (scale > 0 && unscaled % 10n === 0n) {
      unscaled /= 10n
      scale--
    }
    return scale === 0 ? `n${unscaled}` : `d${unscaled}e${scale}`
  }
  return `j${JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x))}`
}

function rowKeys(batch: arrow.RecordBatch, columns: readonly number[]): (string | null)[] {
  const readers = columns.map((c) => scalarReader(batch.data.children[c]))
  const out: (string | null)[] = new Array(batch.numRows)
  for (let i = 0; i < batch.numRows; i++) {
    let k = ''
    let isNull = false
    for (const r of readers) {
      const v = r(i)
      if (v === null) {
        isNull = true
        break
      }
      k += `${keyString(v)}${SEP}`
    }
    out[i] = isNull ? null : k
  }
  return out
}

/** The source rows by join key; `probe` appends the (target row, source row) pairs of a target batch. */
interface KeyIndex {
  probe(batch: arrow.RecordBatch, columns: readonly number[], pt: number[], ps: number[]): void
}

function buildKeyIndex(source: arrow.RecordBatch, columns: readonly number[]): KeyIndex {
  // One integer key whose source values are all safe integers: a typed-array hash join on doubles
  // (arrow/int-join.ts), not key strings.
  const sourceKeys = columns.length === 1 ? intKeyValues(source.data.children[columns[0]]) : undefined
  const ints = sourceKeys && buildIntKeyIndex(sourceKeys)
  if (ints) {
    // A target key of another type (decimal against integer, ...) joins through key strings.
    let general: KeyIndex | undefined
    // The target batches' keys, one batch at a time: one buffer for all of them (grown to the largest batch).
    let scratch = new Float64Array(0)
    return {
      probe(batch, cols, pt, ps) {
        if (scratch.length < batch.numRows) scratch = new Float64Array(batch.numRows)
        const keys = intKeyValues(batch.data.children[cols[0]], scratch)
        if (keys) return ints.probe(keys, pt, ps)
        general ??= stringIndex(source, columns)
        return general.probe(batch, cols, pt, ps)
      },
    }
  }
  return stringIndex(source, columns)
}

/** The general index: one key string per row (equal SQL values across widths, scales and units). */
function stringIndex(source: arrow.RecordBatch, columns: readonly number[]): KeyIndex {
  const bySourceKey = new Map<string, number[]>()
  rowKeys(source, columns).forEach((k, i) => {
    if (k === null) return
    const list = bySourceKey.get(k)
    if (list) list.push(i)
    else bySourceKey.set(k, [i])
  })
  return {
    probe(batch, cols, pt, ps) {
      const keys = rowKeys(batch, cols)
      for (let i = 0; i < batch.numRows; i++) {
        const k = keys[i]
        const list = k === null ? undefined : bySourceKey.get(k)
        if (!list) continue
        for (const s of list) {
          pt.push(i)
          ps.push(s)
        }
      }
    },
  }
}

// ---------------------------------------------------------------------------------------------------------
// The join condition.

interface JoinPlan {
  /** The bound ON condition. */
  on: Expr
  /** Equi-join key pairs: target column name, source column name. */
  keys: { target: string; source: string; dataType: unknown }[]
  /** Conjuncts that are not equi-keys (evaluated on candidate pairs); undefined when none. */
  residual?: Expr
  /** Conjuncts over target columns only (usable to prune target files when no NOT MATCHED BY SOURCE clause). */
  targetOnly: Expr[]
}

function conjuncts(e: Expr): Expr[] {
  return e.kind === 'and' ? e.children.flatMap(conjuncts) : [e]
}

function columnsOf(e: Expr): ColumnExpr[] {
  const out: ColumnExpr[] = []
  const visit = (x: Expr) => {
    if (x.kind === 'column') out.push(x)
    else if (x.kind === 'compare' || x.kind === 'nullSafeEq' || x.kind === 'arith') {
      visit(x.left)
      visit(x.right)
    } else if (x.kind === 'negate') visit(x.operand)
    else if (x.kind === 'in') visit(x.value)
    else if (x.kind === 'isNull' || x.kind === 'like') visit(x.operand)
    else if (x.kind === 'and' || x.kind === 'or') x.children.forEach(visit)
    else if (x.kind === 'not') visit(x.child)
  }
  visit(e)
  return out
}

function planJoin(on: MergeOptions['on'], t: Scope, s: Scope): JoinPlan {
  let expr: Expr
  if (Array.isArray(on)) {
    if (on.length === 0) throw new DeltaError('INVALID_ARGUMENT', 'merge on: at least one key column')
    expr = {
      kind: 'and',
      children: (on as readonly string[]).map((k) => ({
        kind: 'compare' as const,
        op: '=' as const,
        left: { kind: 'column' as const, path: [k], qualifier: t.alias },
        right: { kind: 'column' as const, path: [k], qualifier: s.alias },
      })),
    }
    if (on.length === 1) expr = (expr as { children: Expr[] }).children[0]
  } else if (typeof on === 'string') {
    expr = parsePredicate(on)
  } else if (on && typeof on === 'object' && 'kind' in on) {
    expr = on as Expr
  } else {
    throw new DeltaError('INVALID_ARGUMENT', 'merge needs `on`: a SQL condition or key column names')
  }
  const bound = bindScoped(expr, [t, s])
  const keys: JoinPlan['keys'] = []
  const rest: Expr[] = []
  const targetOnly: Expr[] = []
  for (const c of conjuncts(bound)) {
    if (
      c.kind === 'compare' &&
      c.op === '=' &&
      c.left.kind === 'column' &&
      c.right.kind === 'column' &&
      c.left.path.length === 1 &&
      c.right.path.length === 1
    ) {
      const [l, r] = [c.left, c.right]
      if (l.qualifier === t.alias && r.qualifier === s.alias) {
        keys.push({ target: l.path[0], source: r.path[0], dataType: l.dataType })
        continue
      }
      if (l.qualifier === s.alias && r.qualifier === t.alias) {
        keys.push({ target: r.path[0], source: l.path[0], dataType: r.dataType })
        continue
      }
    }
    rest.push(c)
    const cols = columnsOf(c)
    if (cols.length > 0 && cols.every((x) => x.qualifier === t.alias)) targetOnly.push(c)
  }
  const residual =
    rest.length === 0 ? undefined : rest.length === 1 ? rest[0] : ({ kind: 'and', children: rest } as Expr)
  return { on: bound, keys, residual, targetOnly }
}

/** Strips the target qualifier so a target-only predicate binds against the table schema. */
function unqualify(e: Expr): Expr {
  const op = <T extends Expr>(o: T): T =>
    o.kind === 'column' ? ({ kind: 'column', path: o.path } as T) : (unqualify(o) as T)
  switch (e.kind) {
    case 'column':
      return op(e)
    case 'arith':
      return { ...e, left: op(e.left), right: op(e.right) }
    case 'negate':
      return { ...e, operand: op(e.operand) }
    case 'func':
      return { ...e, args: e.args.map(op) }
    case 'compare':
    case 'nullSafeEq':
      return { ...e, left: op(e.left), right: op(e.right) }
    case 'in':
      return { ...e, value: op(e.value) }
    case 'isNull':
    case 'like':
      return { ...e, operand: op(e.operand) }
    case 'and':
    case 'or':
      return { kind: e.kind, children: e.children.map(unqualify) }
    case 'not':
      return { kind: 'not', child: unqualify(e.child) }
    default:
      return e
  }
}

/** Candidate pairs per target batch a merge without an equi-join key may test (memory: 8 bytes a pair). */
const MAX_CROSS_PAIRS = 20_000_000

/** Distinct partition values listed as IN rather than a range up to this many. */
const MAX_IN_LIST = 1000

function literalOf(v: ScalarValue, dataType: unknown): LiteralExpr {
  // Dates bind from Date objects (the binder reads numbers as numerals).
  if (dataType === 'date' && typeof v === 'number') return { kind: 'literal', value: new Date(v * 86_400_000) }
  return { kind: 'literal', value: v as LiteralExpr['value'] }
}

/**
 * The predicate that keeps every target file that may hold a row matching some source row: per key,
 * `key IN (values)` for partition columns with few distinct values, else `key >= min AND key <= max`
 * (FALSE when the source has no non-null key), plus the ON conjuncts over target columns only.
 */
function pruningPredicate(
  plan: JoinPlan,
  source: arrow.RecordBatch,
  partitionColumns: readonly string[],
): Expr | undefined {
  const parts: Expr[] = []
  const partitions = new Set(partitionColumns.map((p) => p.toLowerCase()))
  for (const k of plan.keys) {
    const idx = source.schema.fields.findIndex((f) => f.name === k.source)
    const column: ColumnExpr = { kind: 'column', path: [k.target] }
    const range = partitions.has(k.target.toLowerCase()) ? undefined : intRange(source.data.children[idx])
    if (range === null) return { kind: 'literal', value: false }
    if (range) {
      parts.push({ kind: 'compare', op: '>=', left: column, right: literalOf(range.min, k.dataType) })
      parts.push({ kind: 'compare', op: '<=', left: column, right: literalOf(range.max, k.dataType) })
      continue
    }
    const read = scalarReader(source.data.children[idx])
    let min: ScalarValue = null
    let max: ScalarValue = null
    const distinct = new Map<string, ScalarValue>()
    for (let i = 0; i < source.numRows; i++) {
      const v = read(i)
      if (v === null || (typeof v === 'number' && Number.isNaN(v))) continue
      if (min === null || compareScalars(v, min) < 0) min = v
      if (max === null || compareScalars(v, max) > 0) max = v
      if (distinct.size <= MAX_IN_LIST) distinct.set(keyString(v), v)
    }
    if (min === null || max === null) return { kind: 'literal', value: false }
    if (partitions.has(k.target.toLowerCase()) && distinct.size <= MAX_IN_LIST) {
      parts.push({
        kind: 'in',
        value: column,
        list: [...distinct.values()].map((v) => literalOf(v, k.dataType)),
        negated: false,
      })
    } else {
      parts.push({ kind: 'compare', op: '>=', left: column, right: literalOf(min, k.dataType) })
      parts.push({ kind: 'compare', op: '<=', left: column, right: literalOf(max, k.dataType) })
    }
  }
  for (const p of plan.targetOnly) parts.push(unqualify(p))
  if (parts.length === 0) return undefined
  return parts.length === 1 ? parts[0] : { kind: 'and', children: parts }
}

/**
 * The least and greatest value of an integer column read from its buffers (int64 as bigint, as `scalarReader`
 * gives them), null when every value is null; undefined for other types or values beyond 2^53.
 */
function intRange(d: arrow.Data): { min: ScalarValue; max: ScalarValue } | null | undefined {
  const keys = intKeyValues(d)
  if (!keys || keys.unsafe > 0) return undefined
  let min = Number.POSITIVE_INFINITY
  let max = Number.NEGATIVE_INFINITY
  for (const v of keys.values) {
    if (v < min) min = v
    if (v > max) max = v
  }
  if (min > max) return null
  const wide = (d.type as arrow.Int).bitWidth === 64
  return wide ? { min: BigInt(min), max: BigInt(max) } : { min, max }
}

// ---------------------------------------------------------------------------------------------------------
// Source preparation.

function dedupe(source: arrow.RecordBatch, opts: NonNullable<MergeOptions['dedupeSource']>): arrow.RecordBatch {
  const col = (name: string) => {
    const i = source.schema.fields.findIndex((f) => f.name === name)
    const j = i >= 0 ? i : source.schema.fields.findIndex((f) => f.name.toLowerCase() === name.toLowerCase())
    if (j < 0) throw new DeltaError('INVALID_ARGUMENT', `dedupeSource: source has no column '${name}'`)
    return j
  }
  if (!opts.keys?.length) throw new DeltaError('INVALID_ARGUMENT', 'dedupeSource needs keys')
  const keyCols = opts.keys.map(col)
  const order = scalarReader(source.data.children[col(opts.orderBy)])
  const keys = rowKeys(source, keyCols)
  const best = new Map<string, number>()
  const keep: number[] = []
  for (let i = 0; i < source.numRows; i++) {
    const k = keys[i]
    if (k === null) {
      keep.push(i) // null keys never match a target row; keep them all, as a GROUP BY would not merge them.
      continue
    }
    const prev = best.get(k)
    if (prev === undefined || compareScalars(order(i), order(prev)) >= 0) best.set(k, i)
  }
  for (const v of best.values()) keep.push(v)
  keep.sort((a, b) => a - b)
  return keep.length === source.numRows ? source : takeRows(source, Int32Array.from(keep))
}

// ---------------------------------------------------------------------------------------------------------
// Execution.

interface BoundClause {
  kind: ClauseKind
  condition?: Expr
  conditionSql?: string
  /** Empty for delete; for inserts, target columns without an assignment are null. */
  assignments: BoundAssignment[]
}

function emptyMetrics(numSourceRows: number): MergeMetrics {
  return {
    ...emptyRewriteMetrics(),
    numSourceRows,
    numTargetRowsInserted: 0,
    numTargetRowsUpdated: 0,
    numTargetRowsDeleted: 0,
    numOutputRows: 0,
    numTargetRowsMatchedUpdated: 0,
    numTargetRowsMatchedDeleted: 0,
    numTargetRowsNotMatchedBySourceUpdated: 0,
    numTargetRowsNotMatchedBySourceDeleted: 0,
    executionTimeMs: 0,
  }
}

/**
 * Runs a merge against `snapshot` (see {@link MergeBuilder}); the table-level entry point is `table.merge`.
 * Errors as {@link MergeBuilder.execute}.
 */
export async function executeMerge(
  snapshot: Snapshot,
  sourceInput: arrow.Table | arrow.RecordBatch,
  options: MergeOptions,
  clauses: { matched: readonly Clause[]; notMatched: readonly Clause[]; notMatchedBySource: readonly Clause[] },
): Promise<MergeResult> {
  const started = Date.now()
  const signal = options.signal
  if (clauses.matched.length + clauses.notMatched.length + clauses.notMatchedBySource.length === 0) {
    throw new DeltaError('INVALID_ARGUMENT', 'merge needs at least one WHEN clause')
  }
  // A source of any apache-arrow copy is adopted (same buffers, our classes): see arrow/adopt.ts.
  const srcTable = adoptAsTable(sourceInput, 'the merge source')
  if (options.txn) {
    const applied = await snapshot.appTransactionVersion(options.txn.appId)
    if (applied !== undefined && applied >= options.txn.version) {
      return { version: snapshot.version, skipped: true, metrics: emptyMetrics(0) }
    }
  }
  let source =
    srcTable.batches.length === 0 ? emptySourceBatch(srcTable.schema) : concatBatches(srcTable.schema, srcTable.batches)
  if (options.dedupeSource) source = dedupe(source, options.dedupeSource)
  const metrics = emptyMetrics(source.numRows)

  const tAlias = options.targetAlias ?? 'target'
  const sAlias = options.sourceAlias ?? 'source'
  if (tAlias.toLowerCase() === sAlias.toLowerCase())
    throw new DeltaError('INVALID_ARGUMENT', 'targetAlias and sourceAlias must differ')
  const targetSchema = snapshot.schema
  let sourceSchema: StructType
  try {
    sourceSchema = arrowToDeltaSchema(source.schema)
  } catch (err) {
    throw new DeltaError(
      'INVALID_ARGUMENT',
      `the merge source has a column type Delta cannot represent: ${(err as Error).message}`,
      { cause: err },
    )
  }
  const T: Scope = { alias: tAlias, schema: targetSchema }
  const S: Scope = { alias: sAlias, schema: sourceSchema }
  const plan = planJoin(options.on, T, S)

  const allColumnsFromSource = (kind: 'update' | 'insert'): BoundAssignment[] => {
    const set: Assignments = {}
    for (const f of targetSchema.fields) {
      const sf = findField(sourceSchema, f.name)
      // Expression nodes, not SQL text: the column is named exactly, whatever characters it holds.
      if (sf) set[f.name] = { kind: 'column', path: [sf.name], qualifier: sAlias }
    }
    if (kind === 'insert' && Object.keys(set).length === 0)
      throw new DeltaError('INVALID_ARGUMENT', 'insertAll: the source has none of the target columns')
    return bindAssignments(set, targetSchema, [S, T])
  }
  const bindClause = (c: Clause, scopes: Scope[]): BoundClause => {
    const condition =
      c.condition === undefined
        ? undefined
        : bindScoped(typeof c.condition === 'string' ? parsePredicate(c.condition) : c.condition, scopes)
    const assignments =
      c.kind === 'delete'
        ? []
        : c.set
          ? bindAssignments(c.set, targetSchema, scopes)
          : allColumnsFromSource(c.kind === 'insert' ? 'insert' : 'update')
    return { kind: c.kind, condition, conditionSql: condition ? exprToSql(condition) : undefined, assignments }
  }
  const matched = clauses.matched.map((c) => bindClause(c, [T, S]))
  const notMatched = clauses.notMatched.map((c) => bindClause(c, [S]))
  const notMatchedBySource = clauses.notMatchedBySource.map((c) => bindClause(c, [T]))

  const describe = (cs: BoundClause[]) =>
    JSON.stringify(cs.map((c) => ({ ...(c.conditionSql ? { predicate: c.conditionSql } : {}), actionType: c.kind })))
  const txn = new Transaction(snapshot, 'MERGE', {
    predicate: JSON.stringify([exprToSql(plan.on)]),
    matchedPredicates: describe(matched),
    notMatchedPredicates: describe(notMatched),
    notMatchedBySourcePredicates: describe(notMatchedBySource),
  })

  // Which target files to read, planned by the scan planner: every file when NOT MATCHED BY SOURCE clauses
  // exist (any target row may take one), else the files the source's keys and the target-only ON conjuncts
  // may match.
  let read: BoundPredicate | 'wholeTable' = 'wholeTable'
  if (notMatchedBySource.length === 0) {
    const prune = pruningPredicate(plan, source, snapshot.partitionColumns)
    if (prune) read = bindPredicate(prune, snapshot)
  }
  const planned = await snapshot.scan(read === 'wholeTable' ? {} : { filter: read.expr }).plan()
  const candidates: readonly FileEntry[] = planned.files
  const numTargetFiles = planned.stats.total

  // Hash of the source by join key.
  const srcKeyCols = plan.keys.map((k) => source.schema.fields.findIndex((f) => f.name === k.source))
  const sourceIndex = plan.keys.length > 0 ? buildKeyIndex(source, srcKeyCols) : undefined
  const sourceMatched = new Uint8Array(source.numRows)
  // Spark allows several matches per target row only when the single matched clause is an unconditional delete.
  const duplicatesAllowed =
    matched.length === 0 || (matched.length === 1 && matched[0].kind === 'delete' && !matched[0].condition)
  const targetFields = targetSchema.fields

  /** The join and the WHEN [NOT] MATCHED [BY SOURCE] clauses on one target batch. */
  const rewrite = (tb: arrow.RecordBatch, file: FileEntry): BatchRewrite | undefined => {
    throwIfAborted(signal)
    const n = tb.numRows
    // Candidate pairs from the hash join (or every pair when ON has no equi-key).
    const pt: number[] = []
    const ps: number[] = []
    if (sourceIndex) {
      sourceIndex.probe(
        tb,
        plan.keys.map((k) => tb.schema.fields.findIndex((f) => f.name === k.target)),
        pt,
        ps,
      )
    } else {
      if (n * source.numRows > MAX_CROSS_PAIRS) {
        throw new DeltaError(
          'INVALID_ARGUMENT',
          `the ON condition has no equality between a target and a source column, so every pair of rows is tested; ${n} x ${source.numRows} pairs exceed the limit of ${MAX_CROSS_PAIRS}. Add an equi-join key (target.k = source.k)`,
        )
      }
      for (let i = 0; i < n; i++) {
        for (let s = 0; s < source.numRows; s++) {
          pt.push(i)
          ps.push(s)
        }
      }
    }
    if (pt.length === 0 && notMatchedBySource.length === 0) return undefined
    let pairs = qualifiedBatch(
      [
        { alias: tAlias, batch: takeRows(tb, Int32Array.from(pt)) },
        { alias: sAlias, batch: takeRows(source, Int32Array.from(ps)) },
      ],
      pt.length,
    )
    let pairT = pt
    let pairS = ps
    if (plan.residual && pt.length > 0) {
      const m = mask(plan.residual, pairs, resolverFor(pairs).rowFilter)
      const keep: number[] = []
      for (let j = 0; j < m.length; j++) if (m[j]) keep.push(j)
      if (keep.length !== m.length) {
        pairs = takeRows(pairs, Int32Array.from(keep))
        pairT = keep.map((j) => pt[j])
        pairS = keep.map((j) => ps[j])
      }
    }
    const matchCount = new Uint16Array(n)
    for (const i of pairT) matchCount[i] = Math.min(65535, matchCount[i] + 1)
    for (const s of pairS) sourceMatched[s] = 1
    if (!duplicatesAllowed) {
      const dup = matchCount.findIndex((c) => c > 1)
      if (dup >= 0) {
        throw new DeltaError(
          'MERGE_DUPLICATE_SOURCE',
          `${matchCount[dup]} source rows matched the same target row (file ${file.path}); a target row may be updated or deleted by one source row only. Deduplicate the source (dedupeSource: { keys, orderBy }) or make the ON condition more specific`,
        )
      }
    }
    const deleted: number[] = []
    // The deleted rows that update clauses replace (update pre-images for the change data feed).
    const updated: number[] = []
    const added: arrow.RecordBatch[] = []
    // Per batch of `added`: the target rows its rows are new versions of (row ids carry over, rewrite.ts).
    const addedFrom: number[][] = []
    // WHEN MATCHED, in order.
    if (matched.length > 0 && pairT.length > 0) {
      const r = resolverFor(pairs)
      const open = new Uint8Array(pairT.length).fill(1)
      for (const c of matched) {
        const m = mask(c.condition, pairs, r.rowFilter)
        const sel = claim(m, open)
        if (sel.length === 0) continue
        for (const j of sel) deleted.push(pairT[j])
        if (c.kind === 'delete') {
          metrics.numTargetRowsMatchedDeleted += duplicatesAllowed ? new Set(sel.map((j) => pairT[j])).size : sel.length
          continue
        }
        metrics.numTargetRowsMatchedUpdated += sel.length
        addedFrom.push(sel.map((j) => pairT[j]))
        for (const j of sel) updated.push(pairT[j])
        const sub = rowsAt(pairs, sel)
        const sr = resolverFor(sub)
        added.push(
          buildRows(targetSchema, c.assignments, sub, { resolve: (col) => sr.rowFilter(col) }, (f) =>
            sr.value({ kind: 'column', path: [f.name], qualifier: tAlias }),
          ),
        )
      }
    }
    // WHEN NOT MATCHED BY SOURCE, in order.
    if (notMatchedBySource.length > 0) {
      const un: number[] = []
      for (let i = 0; i < n; i++) if (matchCount[i] === 0) un.push(i)
      if (un.length > 0) {
        const ctx = qualifiedBatch([{ alias: tAlias, batch: rowsAt(tb, un) }], un.length)
        const r = resolverFor(ctx)
        const open = new Uint8Array(un.length).fill(1)
        for (const c of notMatchedBySource) {
          const m = mask(c.condition, ctx, r.rowFilter)
          const sel = claim(m, open)
          if (sel.length === 0) continue
          for (const j of sel) deleted.push(un[j])
          if (c.kind === 'delete') {
            metrics.numTargetRowsNotMatchedBySourceDeleted += sel.length
            continue
          }
          metrics.numTargetRowsNotMatchedBySourceUpdated += sel.length
          addedFrom.push(sel.map((j) => un[j]))
          for (const j of sel) updated.push(un[j])
          const sub = rowsAt(ctx, sel)
          const sr = resolverFor(sub)
          added.push(
            buildRows(targetSchema, c.assignments, sub, { resolve: (col) => sr.rowFilter(col) }, (f) =>
              sr.value({ kind: 'column', path: [f.name], qualifier: tAlias }),
            ),
          )
        }
      }
    }
    return deleted.length === 0 ? undefined : { deleted, updated, added, addedFrom }
  }

  /** WHEN NOT MATCHED (insert), in order, over the source rows no target row matched. */
  function* inserts(): Generator<arrow.RecordBatch> {
    if (notMatched.length === 0) return
    const un: number[] = []
    for (let s = 0; s < source.numRows; s++) if (!sourceMatched[s]) un.push(s)
    if (un.length === 0) return
    const ctx = qualifiedBatch([{ alias: sAlias, batch: rowsAt(source, un) }], un.length)
    const r = resolverFor(ctx)
    const open = new Uint8Array(un.length).fill(1)
    for (const c of notMatched) {
      const m = mask(c.condition, ctx, r.rowFilter)
      const sel = claim(m, open)
      if (sel.length === 0) continue
      metrics.numTargetRowsInserted += sel.length
      const sub = rowsAt(ctx, sel)
      const sr = resolverFor(sub)
      yield buildRows(targetSchema, c.assignments, sub, { resolve: (col) => sr.rowFilter(col) }, (f) =>
        nullData(arrowTypeOf(targetFields, f.name), sel.length),
      )
    }
  }

  const m = await rewriteFiles(snapshot, txn, {
    files: candidates,
    numFilesSkipped: numTargetFiles - candidates.length,
    read,
    rewrite,
    // Deletion-vector mode decodes only what the join and the clauses read of the target (the change data
    // feed records whole pre-images: every column then).
    columns: changeDataFeedEnabled(snapshot.properties)
      ? undefined
      : targetColumnsRead(targetSchema, tAlias, plan, [...matched, ...notMatchedBySource]),
    extraRows: inserts,
    targetFileSize: options.targetFileSize,
    // Inserted rows get identity values; the transaction commits the new high-water marks.
    identity: txn.identity(),
    signal,
  })
  Object.assign(metrics, m)
  metrics.numTargetRowsUpdated = metrics.numTargetRowsMatchedUpdated + metrics.numTargetRowsNotMatchedBySourceUpdated
  metrics.numTargetRowsDeleted = metrics.numTargetRowsMatchedDeleted + metrics.numTargetRowsNotMatchedBySourceDeleted
  metrics.numOutputRows = metrics.numTargetRowsInserted + metrics.numTargetRowsUpdated + metrics.numCopiedRows
  metrics.executionTimeMs = Date.now() - started
  if (!rewriteChangedTable(m) && (!options.txn || options.skipEmptyCommit)) {
    return { version: snapshot.version, skipped: false, metrics }
  }
  if (options.txn) txn.setAppTransaction(options.txn.appId, options.txn.version)
  // Spark's MERGE operationMetrics names.
  txn.setMetrics({
    numSourceRows: metrics.numSourceRows,
    numTargetRowsInserted: metrics.numTargetRowsInserted,
    numTargetRowsUpdated: metrics.numTargetRowsUpdated,
    numTargetRowsDeleted: metrics.numTargetRowsDeleted,
    numTargetRowsCopied: metrics.numCopiedRows,
    numOutputRows: metrics.numOutputRows,
    numTargetFilesAdded: m.numFilesAdded,
    numTargetFilesRemoved: m.numFilesRemoved,
    numTargetRowsMatchedUpdated: metrics.numTargetRowsMatchedUpdated,
    numTargetRowsMatchedDeleted: metrics.numTargetRowsMatchedDeleted,
    numTargetRowsNotMatchedBySourceUpdated: metrics.numTargetRowsNotMatchedBySourceUpdated,
    numTargetRowsNotMatchedBySourceDeleted: metrics.numTargetRowsNotMatchedBySourceDeleted,
    numTargetBytesAdded: m.numBytesAdded,
    numTargetBytesRemoved: m.numBytesRemoved,
    numTargetChangeFilesAdded: m.numChangeFilesAdded,
    numTargetDeletionVectorsAdded: m.numDeletionVectorsAdded,
    numTargetDeletionVectorsUpdated: m.numDeletionVectorsUpdated,
    numTargetDeletionVectorsRemoved: m.numDeletionVectorsRemoved,
    executionTimeMs: metrics.executionTimeMs,
  })
  const commit = await txn.commit(options)
  metrics.executionTimeMs = Date.now() - started
  return { version: commit.version, skipped: false, metrics, commit }
}

/**
 * The target columns (table schema names, in table order) a merge reads, or undefined when it reads them all:
 * the join keys, the target columns of the other ON conjuncts and of the WHEN [NOT] MATCHED BY SOURCE clauses'
 * conditions and values, and every column an update clause leaves unassigned (its new row version keeps the
 * old value).
 */
function targetColumnsRead(
  schema: StructType,
  alias: string,
  plan: JoinPlan,
  clauses: readonly BoundClause[],
): string[] | undefined {
  const read = new Set<string>()
  const add = (name: string) => {
    const f = findField(schema, name)
    if (f) read.add(f.name)
  }
  const fromExpr = (e: Expr | undefined) => {
    if (!e) return
    for (const c of referencedColumns(e)) if (c.qualifier === undefined || c.qualifier === alias) add(c.path[0])
  }
  for (const k of plan.keys) add(k.target)
  fromExpr(plan.residual)
  for (const c of clauses) {
    fromExpr(c.condition)
    for (const a of c.assignments) fromExpr(a.expr as Expr)
    if (c.kind === 'update') {
      const assigned = new Set(c.assignments.map((a) => a.field.name))
      for (const f of schema.fields) if (!assigned.has(f.name)) read.add(f.name)
    }
  }
  if (read.size === schema.fields.length) return undefined
  // A condition over source columns only (`ON true AND source.x > 0`): one column still carries the row count.
  if (read.size === 0) return [schema.fields[0].name]
  return schema.fields.filter((f) => read.has(f.name)).map((f) => f.name)
}

function arrowTypeOf(fields: StructType['fields'], name: string): arrow.DataType {
  return deltaToArrowType(fields.find((x) => x.name === name)!.type)
}

function emptySourceBatch(schema: arrow.Schema): arrow.RecordBatch {
  return new arrow.RecordBatch(
    schema,
    arrow.makeData({
      type: new arrow.Struct(schema.fields),
      length: 0,
      nullCount: 0,
      children: schema.fields.map((f) => nullData(f.type, 0)),
    }),
  )
}
