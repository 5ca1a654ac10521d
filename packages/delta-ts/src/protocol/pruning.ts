import { DeltaError } from '../errors.js'
import type { AddAction } from './actions.js'
import { referencedColumns } from './expr/columns.js'
import { evaluateRow, flipOp, likePrefix, negateOp } from './expr/eval.js'
import type { ColumnExpr, CompareOp, Expr, InExpr, LiteralExpr, Operand } from './expr/types.js'
import { type FileEntry, type FileStats, statsTextOf } from './file-entry.js'
import { compareScalars, parsePartitionValue, type ScalarValue } from './partition-values.js'
import {
  type ColumnMappingMode,
  type DataType,
  decimalParams,
  findField,
  isStruct,
  physicalName,
  type StructType,
} from './schema.js'
import { LeafScanner, StatsScanner } from './stats-scan.js'

/*
 * Partition pruning and data skipping. Both answer one question per file — "may some row of this file satisfy
 * the predicate?" — and may only err towards yes. The evaluation is an abstract interpretation of SQL
 * three-valued logic: for every sub-expression we compute
 *   t: some row may make it TRUE,   f: some row may make it FALSE
 * (a row that makes it NULL counts for neither). AND / OR / NOT combine these exactly like Kleene logic, so
 * NOT needs no rewriting and NULL handling is exact: NOT (x = 1) skips a file where x is always 1 or always null.
 *
 * What is known about a column in a file is a {@link Summary}: bounds over its non-null values and whether
 * nulls / non-nulls may occur. Partition columns get exact summaries from partitionValues; data columns get
 * them from stats, widened where writers are lossy:
 * - string max: Delta writers truncate to a prefix (Spark appends U+10FFFF, others may not). A max is only
 *   trusted as "every value is ≤ max or starts with max"; a literal starting with max is never excluded.
 * - string min: a prefix of the true min is still a lower bound.
 * - timestamps: stats are millisecond-truncated; both bounds widen by 1 ms.
 * - float / double: NaN sorts above every number, and parquet-derived stats (and delta-ts' own) leave NaN out
 *   of max, so a NaN may hide above max: never exclude a file for a condition a NaN row could satisfy.
 * - long bounds that JSON turned into inexact doubles (beyond 2^53) are ignored; decimal bounds that arrive as
 *   doubles (JSON numbers, checkpoint struct stats) widen by a few ulps; float bounds are read back as float32.
 * - missing stats, missing columns in stats, unparsable values: unknown, keep the file.
 * - tightBounds=false (deletion vectors): min / max / nullCount describe the physical rows, a superset of the
 *   live rows, so they remain valid bounds; numRecords counts physical rows. Every test below only uses
 *   "no row is null" (nullCount = 0), "every row is null" (nullCount = numRecords) and bounds, all of which
 *   stay true when rows are deleted.
 */

/** What pruning needs to know about the table. */
export interface PruningContext {
  schema: StructType
  partitionColumns: readonly string[]
  columnMappingMode: ColumnMappingMode
}

/** Counters of one pruning pass (surfaced as `scan.metrics`). `kept + prunedByPartition + skippedByStats = total`. */
export interface PruneStats {
  total: number
  prunedByPartition: number
  skippedByStats: number
  kept: number
}

interface Summary {
  /** Lower bound of the non-null values. */
  min?: ScalarValue
  /** Upper bound of the non-null values (see maxIsPrefix / nanAboveMax). */
  max?: ScalarValue
  /** The max may be a truncated prefix: values may also be any string starting with it. */
  maxIsPrefix: boolean
  /** NaN values may exist beyond max. */
  nanAboveMax: boolean
  mayNull: boolean
  mayNonNull: boolean
}

const UNKNOWN: Summary = { maxIsPrefix: false, nanAboveMax: false, mayNull: true, mayNonNull: true }
const ALL_NULL: Summary = { maxIsPrefix: false, nanAboveMax: false, mayNull: true, mayNonNull: false }

interface Tri {
  t: boolean
  f: boolean
}
const MAYBE: Tri = { t: true, f: true }
const NEVER: Tri = { t: false, f: false } // every row gives NULL

function fromBool(r: boolean | null): Tri {
  return r === null ? NEVER : { t: r, f: !r }
}

/** compareScalars that never throws; undefined means "cannot tell". */
function cmp(a: ScalarValue, b: ScalarValue): number | undefined {
  try {
    return compareScalars(a, b)
  } catch {
    return undefined
  }
}

const isFloat = (t: DataType | undefined) => t === 'float' || t === 'double'

// ---------------------------------------------------------------------------------------------------------
// Summaries

/**
 * Where summaries come from: one FileEntry (`file`), or one row of a columnar file set (`cols` + `row`).
 * `cache` memoizes partition summaries by raw value within one pruning pass.
 */
type Source = {
  kind: 'partition' | 'stats'
  file?: FileEntry
  cache?: Map<string, Summary>
  cols?: ColumnarState
  row?: number
  /** Read this row's stats on their own (FileColumns.statsAt), not from columns of every file. */
  perRow?: boolean
}

function partitionKey(ctx: PruningContext, name: string): string | undefined {
  return (
    ctx.partitionColumns.find((p) => p === name) ??
    ctx.partitionColumns.find((p) => p.toLowerCase() === name.toLowerCase())
  )
}

/** The summary of one serialized partition value (null: a null partition) read as `type`. */
function partitionValueSummary(raw: string | null | undefined, type: DataType): Summary {
  try {
    const v = parsePartitionValue(raw ?? null, type)
    return v === null
      ? ALL_NULL
      : { min: v, max: v, maxIsPrefix: false, nanAboveMax: false, mayNull: false, mayNonNull: true }
  } catch {
    return UNKNOWN
  }
}

function partitionSummary(c: ColumnExpr, src: Source, ctx: PruningContext, partName: string): Summary {
  if (src.cols && c.dataType !== undefined) return src.cols.partitionSummary(c, partName, src.row ?? 0)
  const field = findField(ctx.schema, partName)
  if (!field) return UNKNOWN
  const file = src.file as FileEntry
  const phys = physicalName(field, ctx.columnMappingMode)
  const pv = file.partitionValues ?? {}
  // FileEntry documents logical keys; the log itself uses physical keys under column mapping. Accept both.
  const raw = partName in pv ? pv[partName] : phys in pv ? pv[phys] : field.name in pv ? pv[field.name] : null
  // Many files share a partition value: parse each distinct one once per pass.
  const key = src.cache ? `${partName}\u0000${raw === null || raw === undefined ? '\u0001' : `=${raw}`}` : ''
  const hit = src.cache?.get(key)
  if (hit) return hit
  const summary = partitionValueSummary(raw, c.dataType ?? field.type)
  src.cache?.set(key, summary)
  return summary
}

function physicalPath(c: ColumnExpr, ctx: PruningContext): string[] | undefined {
  const out: string[] = []
  let current: StructType = ctx.schema
  for (let i = 0; i < c.path.length; i++) {
    const f = findField(current, c.path[i])
    if (!f) return undefined
    out.push(physicalName(f, ctx.columnMappingMode))
    if (i < c.path.length - 1) {
      if (!isStruct(f.type)) return undefined
      current = f.type
    }
  }
  return out
}

function dig(obj: Record<string, unknown> | undefined, path: readonly string[]): unknown {
  let cur: unknown = obj
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined
    cur = (cur as Record<string, unknown>)[p]
  }
  return cur
}

/** A stats bound as a ScalarValue of `type`, or undefined when it is absent or cannot be read exactly. */
function statValue(raw: unknown, type: DataType): ScalarValue | undefined {
  if (raw === null || raw === undefined) return undefined
  try {
    switch (type) {
      case 'long':
        if (typeof raw === 'bigint') return raw
        if (typeof raw === 'number') return Number.isSafeInteger(raw) ? BigInt(raw) : undefined
        if (typeof raw === 'string' && /^-?\d+$/.test(raw)) return BigInt(raw)
        return undefined
      case 'integer':
      case 'short':
      case 'byte':
        return typeof raw === 'number' && Number.isInteger(raw) ? raw : undefined
      case 'float':
      case 'double':
        // A float bound is written as the float's shortest text (1.1); the column holds fround(1.1), which is
        // larger than the double 1.1. fround gives back the exact float value the writer meant.
        if (typeof raw === 'number') return type === 'float' ? Math.fround(raw) : raw
        if (typeof raw === 'string') return parsePartitionValue(raw, type)
        return undefined
      case 'string':
        return typeof raw === 'string' ? raw : undefined
      case 'boolean':
        return typeof raw === 'boolean' ? raw : undefined
      case 'date':
        return typeof raw === 'string' ? parsePartitionValue(raw, 'date') : undefined
      case 'timestamp':
      case 'timestamp_ntz':
        return typeof raw === 'string' ? parsePartitionValue(raw, type) : undefined
      default: {
        const dp = decimalParams(type)
        if (!dp) return undefined
        if (typeof raw === 'number') {
          // JSON.parse already rounded the writer's exact decimal text to a double (-9999999999.9999999999
          // arrives as -1e10), and checkpoint struct stats go through doubles too. The true bound is within
          // half an ulp of the double; widen by a few ulps in the caller's direction.
          return Number.isFinite(raw) ? raw : undefined
        }
        if (typeof raw !== 'string') return undefined
        const m = /^(-?)(\d*)(?:\.(\d*))?$/.exec(raw.trim())
        if (!m) return undefined
        const frac = m[3] ?? ''
        const unscaled = BigInt((m[2] || '0') + frac) * (m[1] === '-' ? -1n : 1n)
        return { unscaled, scale: frac.length }
      }
    }
  } catch {
    return undefined
  }
}

/** `d` moved by ~4 ulps towards `dir`: covers the rounding of decimal text to a double and back. */
function widenDouble(d: number, dir: -1 | 1): number {
  return d + dir * (Math.abs(d) * 2 ** -50 + Number.MIN_VALUE)
}

function statsSummary(c: ColumnExpr, stats: FileStats, ctx: PruningContext): Summary {
  const type = c.dataType
  const path = physicalPath(c, ctx)
  if (!type || !path) return UNKNOWN
  return summaryOf(
    type,
    dig(stats.nullCount, path),
    stats.numRecords,
    dig(stats.minValues, path),
    dig(stats.maxValues, path),
  )
}

/** The summary of one column of one file from its raw stats values (as JSON or stats_parsed hold them). */
function summaryOf(type: DataType, nc: unknown, n: unknown, minRaw: unknown, maxRaw: unknown): Summary {
  const nullCount = typeof nc === 'number' ? nc : undefined
  const mayNull = nullCount === undefined || nullCount > 0
  const mayNonNull = !(nullCount !== undefined && typeof n === 'number' && nullCount >= n)
  let min = statValue(minRaw, type)
  let max = statValue(maxRaw, type)
  if (type === 'timestamp' || type === 'timestamp_ntz') {
    // Bounds are millisecond-truncated (and some writers truncate max rather than round it up).
    if (typeof min === 'bigint') min -= 1000n
    if (typeof max === 'bigint') max += 1000n
  }
  if (typeof min === 'number' && decimalParams(type)) min = widenDouble(min, -1)
  if (typeof max === 'number' && decimalParams(type)) max = widenDouble(max, 1)
  return { min, max, maxIsPrefix: type === 'string', nanAboveMax: isFloat(type), mayNull, mayNonNull }
}

/** The partition column each bound column expression names (per context), so a pass resolves it once. */
const partKeys = new WeakMap<ColumnExpr, { ctx: PruningContext; name: string | undefined }>()

function summarize(c: ColumnExpr, src: Source, ctx: PruningContext): Summary {
  // Qualified columns belong to another relation (MERGE source): nothing is known about them here.
  if (c.qualifier !== undefined) return UNKNOWN
  if (c.path.length === 1) {
    let part = partKeys.get(c)
    if (part === undefined || part.ctx !== ctx) {
      part = { ctx, name: partitionKey(ctx, c.path[0]) }
      partKeys.set(c, part)
    }
    if (part.name !== undefined) return partitionSummary(c, src, ctx, part.name)
  }
  if (src.kind === 'partition') return UNKNOWN
  if (src.cols) return src.cols.statsSummary(c, ctx, src.row ?? 0, src.perRow === true)
  if (!src.file?.stats) return UNKNOWN
  return statsSummary(c, src.file.stats, ctx)
}

// ---------------------------------------------------------------------------------------------------------
// Bounds reasoning over one column summary

/** A NaN row satisfies `NaN op v` under the NaN-greatest order. */
function nanSatisfies(op: CompareOp, v: ScalarValue): boolean {
  const vNaN = typeof v === 'number' && Number.isNaN(v)
  switch (op) {
    case '>':
    case '!=':
      return !vNaN
    case '>=':
      return true
    case '=':
    case '<=':
      return vNaN
    case '<':
      return false
  }
}

/** May some non-null value x of the column satisfy `x op v` (v non-null)? */
function mayCompare(s: Summary, op: CompareOp, v: ScalarValue): boolean {
  if (!s.mayNonNull) return false
  if (s.nanAboveMax && nanSatisfies(op, v)) return true
  const prefixCovers = s.maxIsPrefix && typeof v === 'string' && typeof s.max === 'string' && v.startsWith(s.max)
  const cMin = s.min === undefined ? undefined : cmp(s.min, v)
  const cMax = s.max === undefined || prefixCovers ? undefined : cmp(s.max, v)
  switch (op) {
    case '=':
      return !((cMin !== undefined && cMin > 0) || (cMax !== undefined && cMax < 0))
    case '!=':
      return !(cMin === 0 && cMax === 0 && !s.maxIsPrefix && !s.nanAboveMax)
    case '<':
      return !(cMin !== undefined && cMin >= 0)
    case '<=':
      return !(cMin !== undefined && cMin > 0)
    case '>':
      return !(cMax !== undefined && cMax <= 0)
    case '>=':
      return !(cMax !== undefined && cMax < 0)
  }
}

function mayLike(s: Summary, prefix: string): boolean {
  if (!s.mayNonNull) return false
  if (prefix === '') return true
  // Values starting with `prefix` are >= prefix; they exceed min unless min is above the whole prefix range.
  if (typeof s.min === 'string') {
    const c = cmp(s.min, prefix)
    if (c !== undefined && c > 0 && !s.min.startsWith(prefix)) return false
  }
  return mayCompare(s, '>=', prefix)
}

// ---------------------------------------------------------------------------------------------------------
// Abstract evaluation

function literalValue(l: LiteralExpr): ScalarValue {
  return (l.value ?? null) as ScalarValue
}

function constant(e: Expr): Tri {
  return fromBool(
    evaluateRow(e, () => {
      throw new DeltaError('INTERNAL', 'constant expression read a column')
    }),
  )
}

function requireBound(c: ColumnExpr): void {
  if (c.dataType === undefined) {
    throw new DeltaError(
      'INVALID_ARGUMENT',
      `column '${c.path.join('.')}' is not bound; call bindExpr(expr, schema) before pruning`,
    )
  }
}

const isComputed = (o: Operand) => o.kind === 'arith' || o.kind === 'negate' || o.kind === 'func'

/**
 * Arithmetic is not bounded from file statistics: a node with a computed operand is constant when it reads no
 * column, and may be anything otherwise (the file is kept).
 */
function computed(e: Expr): Tri {
  return referencedColumns(e).length === 0 ? constant(e) : MAYBE
}

function tri(e: Expr, src: Source, ctx: PruningContext): Tri {
  switch (e.kind) {
    case 'literal':
      return constant(e)
    case 'arith':
    case 'negate':
    case 'func':
      return MAYBE
    case 'column': {
      requireBound(e)
      const s = summarize(e, src, ctx)
      return { t: mayCompare(s, '=', true), f: mayCompare(s, '=', false) }
    }
    case 'compare': {
      let { left, right, op } = e
      if (isComputed(left) || isComputed(right)) return computed(e)
      if (left.kind === 'literal' && right.kind === 'literal') return constant(e)
      if (left.kind === 'column' && right.kind === 'column') {
        requireBound(left)
        requireBound(right)
        const a = summarize(left, src, ctx)
        const b = summarize(right, src, ctx)
        return a.mayNonNull && b.mayNonNull ? MAYBE : NEVER
      }
      if (left.kind === 'literal') {
        ;[left, right] = [right, left]
        op = flipOp(op)
      }
      const c = left as ColumnExpr
      requireBound(c)
      const v = literalValue(right as LiteralExpr)
      if (v === null) return NEVER
      const s = summarize(c, src, ctx)
      return { t: mayCompare(s, op, v), f: mayCompare(s, negateOp(op), v) }
    }
    case 'nullSafeEq': {
      // Never NULL: t = "some row may be equal (both NULL or same value)", f = "some row may differ".
      let { left, right } = e
      if (isComputed(left) || isComputed(right)) return computed(e)
      if (left.kind === 'literal' && right.kind === 'literal') return constant(e)
      let r: Tri = MAYBE
      if (left.kind === 'literal') [left, right] = [right, left]
      if (left.kind === 'column' && right.kind === 'literal') {
        requireBound(left)
        const v = literalValue(right)
        const s = summarize(left, src, ctx)
        r =
          v === null
            ? { t: s.mayNull, f: s.mayNonNull }
            : { t: mayCompare(s, '=', v), f: s.mayNull || mayCompare(s, '!=', v) }
      } else if (left.kind === 'column' && right.kind === 'column') {
        requireBound(left)
        requireBound(right)
      }
      return e.negated ? { t: r.f, f: r.t } : r
    }
    case 'in': {
      if (isComputed(e.value)) return computed(e)
      if (e.value.kind === 'literal') return constant(e)
      requireBound(e.value)
      const s = summarize(e.value, src, ctx)
      const { t, f } = mayIn(s, inList(e))
      return e.negated ? { t: f, f: t } : { t, f }
    }
    case 'isNull': {
      if (isComputed(e.operand)) return computed(e)
      if (e.operand.kind === 'literal') return constant(e)
      requireBound(e.operand)
      const s = summarize(e.operand, src, ctx)
      return e.negated ? { t: s.mayNonNull, f: s.mayNull } : { t: s.mayNull, f: s.mayNonNull }
    }
    case 'like': {
      if (isComputed(e.operand)) return computed(e)
      if (e.operand.kind === 'literal') return constant(e)
      requireBound(e.operand)
      const s = summarize(e.operand, src, ctx)
      const t = mayLike(s, likePrefix(e.pattern, e.escape))
      const f = s.mayNonNull
      return e.negated ? { t: f, f: t } : { t, f }
    }
    case 'and': {
      const parts = e.children.map((c) => tri(c, src, ctx))
      return { t: parts.every((p) => p.t), f: parts.some((p) => p.f) }
    }
    case 'or': {
      const parts = e.children.map((c) => tri(c, src, ctx))
      return { t: parts.some((p) => p.t), f: parts.every((p) => p.f) }
    }
    case 'not': {
      const r = tri(e.child, src, ctx)
      return { t: r.f, f: r.t }
    }
  }
}

interface InList {
  /** The non-null items in compareScalars order (NaN last). */
  sorted: ScalarValue[]
  hasNull: boolean
}

// Sorted once per IN node, so a list of thousands of values costs a binary search per file, not a scan.
const inLists = new WeakMap<InExpr, InList | null>()

function inList(e: InExpr): InList | null {
  let l = inLists.get(e)
  if (l === undefined) {
    const values = e.list.map(literalValue)
    const nonNull = values.filter((v) => v !== null)
    try {
      l = { sorted: [...nonNull].sort(compareScalars), hasNull: nonNull.length !== values.length }
    } catch {
      l = null
    }
    inLists.set(e, l)
  }
  return l
}

/** Index of the first item >= v, or undefined when the items cannot be compared with v. */
function lowerBound(sorted: ScalarValue[], v: ScalarValue): number | undefined {
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    const c = cmp(sorted[mid], v)
    if (c === undefined) return undefined
    if (c < 0) lo = mid + 1
    else hi = mid
  }
  return lo
}

/**
 * `x IN list` over a column summary. The values a file may hold (for `=`) form an interval from min up to max
 * (or up to every extension of a truncated string max), plus NaN when it may hide above max. So the first
 * item >= min decides for all larger items, and the last item (where NaN sorts) covers NaN. IN is FALSE only
 * for a non-null value outside the list with no NULL item; that is impossible only when min = max = an item.
 */
function mayIn(s: Summary, list: InList | null): Tri {
  if (!list) return s.mayNonNull ? MAYBE : NEVER
  const { sorted, hasNull } = list
  if (!s.mayNonNull) return NEVER
  const n = sorted.length
  const f = !hasNull
  if (n === 0) return { t: false, f }
  const start = s.min === undefined ? 0 : lowerBound(sorted, s.min)
  if (start === undefined) {
    return { t: sorted.some((v) => mayCompare(s, '=', v)), f: f && sorted.every((v) => mayCompare(s, '!=', v)) }
  }
  const t = (start < n && mayCompare(s, '=', sorted[start])) || mayCompare(s, '=', sorted[n - 1])
  return { t, f: f && (start >= n || mayCompare(s, '!=', sorted[start])) }
}

function emptyFile(file: FileEntry): boolean {
  return file.stats?.numRecords === 0
}

/**
 * May `file` hold a row for which the bound predicate is TRUE? Uses the file's partition values (typed by the
 * schema, both timestamp serializations, SQL three-valued logic for null partitions) and its statistics
 * (min / max / nullCount / numRecords, nested struct fields, physical names under column mapping), widened for
 * truncated string and timestamp bounds and hidden NaNs (see the module comment).
 *
 * Guarantee: returns false only when no row of the file satisfies the predicate, for any stats a conforming
 * writer may produce. Missing or unreadable partition values or stats mean "may match".
 *
 * @throws DeltaError `INVALID_ARGUMENT` when the expression is not bound ({@link bindExpr} first).
 */
export function fileMayMatch(boundExpr: Expr, file: FileEntry, ctx: PruningContext): boolean {
  if (emptyFile(file)) return false
  return tri(boundExpr, { kind: 'stats', file }, ctx).t
}

/**
 * Partition pruning only: may a file with these partition values match? Stats are not consulted.
 *
 * @throws DeltaError `INVALID_ARGUMENT` when the expression is not bound.
 */
export function partitionMayMatch(boundExpr: Expr, file: FileEntry, ctx: PruningContext): boolean {
  return tri(boundExpr, { kind: 'partition', file }, ctx).t
}

/**
 * Filters `files` to those that may match the bound predicate, counting why the others were dropped: first by
 * partition values alone (`prunedByPartition`), then by statistics (`skippedByStats`, which includes files whose
 * stats say they hold no rows). Keeps the input order. Never drops a file that holds a matching row.
 *
 * @throws DeltaError `INVALID_ARGUMENT` when the expression is not bound.
 */
export function pruneFiles(
  files: readonly FileEntry[],
  boundExpr: Expr,
  ctx: PruningContext,
): { files: FileEntry[]; stats: PruneStats } {
  const kept: FileEntry[] = []
  let prunedByPartition = 0
  let skippedByStats = 0
  const cache = new Map<string, Summary>()
  for (const file of files) {
    if (!tri(boundExpr, { kind: 'partition', file, cache }, ctx).t) prunedByPartition++
    else if (emptyFile(file) || !tri(boundExpr, { kind: 'stats', file, cache }, ctx).t) skippedByStats++
    else kept.push(file)
  }
  return { files: kept, stats: { total: files.length, prunedByPartition, skippedByStats, kept: kept.length } }
}

// ---------------------------------------------------------------------------------------------------------
// Columnar pruning

/**
 * A set of files seen as columns, so that pruning reads values straight from them instead of one FileEntry
 * per file. Implemented over Arrow checkpoint columns (arrow/file-actions.ts) and over add actions.
 */
export interface FileColumns {
  /** Number of files (rows). */
  readonly length: number
  /**
   * The serialized values of partition column `column` (as named in metaData.partitionColumns), dictionary
   * encoded: `values[codes[row]]`; a code of -1 is a null (or missing) partition value.
   */
  partitionColumn(column: string): { codes: Int32Array; values: readonly (string | null)[] }
  /**
   * The raw stats of the leaf at `physicalPath` (physical names), one entry per row, in the form JSON stats
   * or stats_parsed hold them (numbers, strings; undefined when absent). `type` is the column's type: an
   * implementation may read typed stats (checkpoint `stats_parsed`) for the types whose typed and JSON
   * values read alike (the numeric ones), instead of the JSON.
   */
  statsColumn(
    physicalPath: readonly string[],
    type?: DataType,
  ): {
    min: ArrayLike<unknown>
    max: ArrayLike<unknown>
    nullCount: ArrayLike<unknown>
  }
  /**
   * The stats of the numeric leaf at `physicalPath` (a column of a {@link NUMERIC_TYPES} `type`) as typed
   * columns, read without a value object per file (typed `stats_parsed` buffers, or a targeted scan of the stats
   * JSON). With `rows`, only the rows where `rows[row] === 1` need be read (the others hold unknowns). Optional;
   * undefined when the implementation cannot (the caller then reads {@link statsColumn}).
   */
  numericStats?(physicalPath: readonly string[], type: string, rows?: Uint8Array): NumericStats | undefined
  /**
   * The raw stats of the leaf at `physicalPath` for one row, as {@link statsColumn} would give them (undefined:
   * no stats), so that a query whose partition filter keeps few files reads just their stats. Optional; needs
   * {@link numRecordsAt}.
   */
  statsAt?(physicalPath: readonly string[], type: DataType, row: number): RawStats | undefined
  /** `numRecords` per row (undefined when the file has no stats). */
  numRecords(): ArrayLike<unknown>
  /**
   * `numRecords` of one row, read on demand when {@link numRecords} has not been built, so that a
   * partition-only filter reads the stats of the files it keeps, not of every file. Optional.
   */
  numRecordsAt?(row: number): unknown
}

interface StatsLeaf {
  type: DataType
  summaries: (Summary | undefined)[]
  raw: ReturnType<FileColumns['statsColumn']>
}

/** Per-pass caches over a {@link FileColumns}: summaries by partition code and by stats leaf. */
class ColumnarState {
  readonly #parts = new Map<string, { codes: Int32Array; summaries: Summary[]; nullSummary: Summary }>()
  readonly #stats = new Map<
    string,
    { type: DataType; summaries: (Summary | undefined)[]; raw: ReturnType<FileColumns['statsColumn']> }
  >()
  #numRecords?: ArrayLike<unknown>

  constructor(
    readonly cols: FileColumns,
    readonly ctx: PruningContext,
  ) {}

  readonly #partByExpr = new WeakMap<ColumnExpr, { codes: Int32Array; summaries: Summary[]; nullSummary: Summary }>()

  partitionSummary(c: ColumnExpr, column: string, row: number): Summary {
    let p = this.#partByExpr.get(c)
    if (!p) p = this.#partition(c, column)
    const code = p.codes[row]
    return code < 0 ? p.nullSummary : p.summaries[code]
  }

  #partition(c: ColumnExpr, column: string): { codes: Int32Array; summaries: Summary[]; nullSummary: Summary } {
    const type = c.dataType as DataType
    const key = `${column}\u0000${typeof type === 'string' ? type : JSON.stringify(type)}`
    let p = this.#parts.get(key)
    if (!p) {
      const { codes, values } = this.cols.partitionColumn(column)
      p = {
        codes,
        summaries: values.map((v) => partitionValueSummary(v, type)),
        nullSummary: partitionValueSummary(null, type),
      }
      this.#parts.set(key, p)
    }
    this.#partByExpr.set(c, p)
    return p
  }

  readonly #byExpr = new WeakMap<ColumnExpr, StatsLeaf | null>()

  readonly #paths = new WeakMap<ColumnExpr, string[] | null>()

  statsSummary(c: ColumnExpr, ctx: PruningContext, row: number, perRow = false): Summary {
    if (perRow && this.cols.statsAt && this.cols.numRecordsAt) {
      let path = this.#paths.get(c)
      if (path === undefined) {
        path = (c.dataType !== undefined ? physicalPath(c, ctx) : undefined) ?? null
        this.#paths.set(c, path)
      }
      const type = c.dataType
      if (path === null || type === undefined) return UNKNOWN
      const raw = this.cols.statsAt(path, type, row)
      if (!raw) return UNKNOWN
      return summaryOf(type, raw.nullCount, this.cols.numRecordsAt(row), raw.min, raw.max)
    }
    let s = this.#byExpr.get(c)
    if (s === undefined) {
      const type = c.dataType
      const path = physicalPath(c, ctx)
      if (!type || !path) s = null
      else {
        const key = `${path.join('\u0000')}\u0001${typeof type === 'string' ? type : JSON.stringify(type)}`
        s = this.#stats.get(key)
        if (!s) {
          s = { type, summaries: new Array(this.cols.length), raw: this.cols.statsColumn(path, type) }
          this.#stats.set(key, s)
        }
      }
      this.#byExpr.set(c, s)
    }
    if (s === null) return UNKNOWN
    const type = s.type
    let summary = s.summaries[row]
    if (summary === undefined) {
      this.#numRecords ??= this.cols.numRecords()
      summary = summaryOf(type, s.raw.nullCount[row], this.#numRecords[row], s.raw.min[row], s.raw.max[row])
      s.summaries[row] = summary
    }
    return summary
  }

  empty(row: number): boolean {
    if (this.#numRecords === undefined && this.cols.numRecordsAt) return this.cols.numRecordsAt(row) === 0
    this.#numRecords ??= this.cols.numRecords()
    return this.#numRecords[row] === 0
  }

  readonly #numeric = new Map<string, NumericLeaf | null>()
  readonly #numericByExpr = new WeakMap<ColumnExpr, NumericLeaf | null>()

  /**
   * The stats of a numeric data column as typed columns (built once per column and type, then reused by every
   * query on these files), or null when the column is not numeric (strings, decimals, booleans, structs) or
   * cannot be resolved: those are evaluated per file.
   */
  numericLeaf(c: ColumnExpr, ctx: PruningContext): NumericLeaf | null {
    let leaf = this.#numericByExpr.get(c)
    if (leaf !== undefined) return leaf
    const type = c.dataType
    const path = type !== undefined && NUMERIC_TYPES.has(type as string) ? physicalPath(c, ctx) : undefined
    if (!path) leaf = null
    else {
      const key = `${path.join('\u0000')}\u0001${type as string}`
      leaf = this.#numeric.get(key)
      if (leaf === undefined) {
        const n = this.cols.length
        const typed = this.cols.numericStats?.(path, type as string)
        if (typed) leaf = numericLeafFromStats(type as string, typed, n)
        else {
          const raw = this.cols.statsColumn(path, type)
          this.#numRecords ??= this.cols.numRecords()
          leaf = numericLeafOf(type as string, raw, this.#numRecords, n)
        }
        this.#numeric.set(key, leaf)
      }
    }
    this.#numericByExpr.set(c, leaf)
    return leaf
  }
}

/** One file's raw stats of one leaf (numbers, strings; undefined when absent). */
export interface RawStats {
  min: unknown
  max: unknown
  nullCount: unknown
}

/**
 * The stats of one numeric leaf for every file as typed columns, in the form {@link FileColumns.numericStats}
 * gives them: `min[row]` / `max[row]` hold the bound as {@link numericBound} reads it where `minKnown[row]` /
 * `maxKnown[row]` is 1 (a known bound may be NaN, a real NaN bound); `nullCount` and `numRecords` are NaN where
 * absent or not a number.
 */
export interface NumericStats {
  min: Float64Array
  max: Float64Array
  minKnown: Uint8Array
  maxKnown: Uint8Array
  /** From nullCount and numRecords, as {@link setNumericCounts} sets them. */
  mayNull: Uint8Array
  mayNonNull: Uint8Array
  /** numRecords is 0. */
  empty: Uint8Array
}

/**
 * Sets the null flags and the empty flag of one row of {@link NumericStats} from its nullCount and numRecords
 * (NaN where absent or not a number), with {@link summaryOf}'s rules: an unknown nullCount may be null and
 * non-null; a file is all nulls when nullCount >= numRecords.
 */
export function setNumericCounts(out: NumericStats, row: number, nullCount: number, numRecords: number): void {
  out.mayNull[row] = nullCount > 0 || Number.isNaN(nullCount) ? 1 : 0
  out.mayNonNull[row] = nullCount >= numRecords ? 0 : 1
  out.empty[row] = numRecords === 0 ? 1 : 0
}

/** An empty {@link NumericStats} of `n` rows: every value unknown. */
export function numericStatsOf(n: number): NumericStats {
  return {
    min: new Float64Array(n),
    max: new Float64Array(n),
    minKnown: new Uint8Array(n),
    maxKnown: new Uint8Array(n),
    mayNull: new Uint8Array(n).fill(1),
    mayNonNull: new Uint8Array(n).fill(1),
    empty: new Uint8Array(n),
  }
}

/**
 * Writes one row of {@link NumericStats} from raw stats values (as JSON or stats_parsed hold them), with the
 * rules {@link summaryOf} applies: what an implementation does for the rows it cannot read typed.
 */
export function setNumericStatsRow(
  out: NumericStats,
  row: number,
  type: string,
  min: unknown,
  max: unknown,
  nullCount: unknown,
  numRecords: unknown,
): void {
  const lo = numericBound(min, type)
  out.minKnown[row] = lo === undefined ? 0 : 1
  out.min[row] = lo ?? 0
  const hi = numericBound(max, type)
  out.maxKnown[row] = hi === undefined ? 0 : 1
  out.max[row] = hi ?? 0
  setNumericCounts(
    out,
    row,
    typeof nullCount === 'number' ? nullCount : Number.NaN,
    typeof numRecords === 'number' ? numRecords : Number.NaN,
  )
}

/** Types whose stats bounds are exact JS numbers (within 2^53) and compare with `<` / `>`. */
const NUMERIC_TYPES = new Set([
  'long',
  'integer',
  'short',
  'byte',
  'float',
  'double',
  'date',
  'timestamp',
  'timestamp_ntz',
])

/**
 * The stats of one numeric column of every file, as typed columns: bounds as doubles with a known flag, already
 * widened as {@link summaryOf} widens them, and the null flags. The same facts as one {@link Summary} per file,
 * without the objects.
 */
interface NumericLeaf {
  min: Float64Array
  max: Float64Array
  /** Whether min / max are known (a known bound may be NaN, which sorts above every number). */
  minKnown: Uint8Array
  maxKnown: Uint8Array
  mayNull: Uint8Array
  mayNonNull: Uint8Array
  /** float / double: NaN may hide above max. */
  nanAboveMax: boolean
  /** 1 where numRecords is 0 (the empty-file test). */
  empty: Uint8Array
}

/**
 * A numeric stats bound as an exact double (possibly NaN, a real NaN bound), or undefined when absent,
 * unreadable, or not exact in a double: what {@link statValue} reads, as a number.
 */
export function numericBound(raw: unknown, type: string): number | undefined {
  if (raw === null || raw === undefined) return undefined
  switch (type) {
    case 'long':
      if (typeof raw === 'number') return Number.isSafeInteger(raw) ? raw : undefined
      break
    case 'integer':
    case 'short':
    case 'byte':
      return typeof raw === 'number' && Number.isInteger(raw) ? raw : undefined
    case 'double':
      if (typeof raw === 'number') return raw
      break
    case 'float':
      if (typeof raw === 'number') return Math.fround(raw)
      break
  }
  const v = statValue(raw, type as DataType)
  if (typeof v === 'number') return v
  if (typeof v === 'bigint') {
    const d = Number(v)
    return Number.isSafeInteger(d) ? d : undefined
  }
  return undefined
}

function numericLeafOf(
  type: string,
  raw: ReturnType<FileColumns['statsColumn']>,
  numRecords: ArrayLike<unknown>,
  n: number,
): NumericLeaf {
  const min = new Float64Array(n)
  const max = new Float64Array(n)
  const mayNull = new Uint8Array(n)
  const mayNonNull = new Uint8Array(n)
  const minKnown = new Uint8Array(n)
  const maxKnown = new Uint8Array(n)
  const empty = new Uint8Array(n)
  // Timestamp bounds are millisecond-truncated: widen by 1 ms (1000 µs), as summaryOf does.
  const widen = type === 'timestamp' || type === 'timestamp_ntz' ? 1000 : 0
  for (let row = 0; row < n; row++) {
    const nc = raw.nullCount[row]
    const nullCount = typeof nc === 'number' ? nc : undefined
    const nr = numRecords[row]
    empty[row] = nr === 0 ? 1 : 0
    mayNull[row] = nullCount === undefined || nullCount > 0 ? 1 : 0
    mayNonNull[row] = nullCount !== undefined && typeof nr === 'number' && nullCount >= nr ? 0 : 1
    const lo = numericBound(raw.min[row], type)
    if (lo !== undefined) {
      min[row] = lo - widen
      minKnown[row] = 1
    }
    const hi = numericBound(raw.max[row], type)
    if (hi !== undefined) {
      max[row] = hi + widen
      maxKnown[row] = 1
    }
  }
  return {
    min,
    max,
    minKnown,
    maxKnown,
    mayNull,
    mayNonNull,
    nanAboveMax: type === 'float' || type === 'double',
    empty,
  }
}

/** The raw value a {@link LeafScanner} found in section `k`, as JSON.parse would give it (undefined when none). */
function scannedValue(sc: LeafScanner, k: number): unknown {
  switch (sc.kind[k]) {
    case 1:
      return sc.num[k]
    case 2:
      return sc.str[k]
    case 3:
      return true // a boolean: never a numeric bound or count
    default:
      return undefined
  }
}

/**
 * Writes one row of {@link NumericStats} from a stats JSON text, read by `scanner` (a {@link LeafScanner} of the
 * leaf): the values {@link setNumericStatsRow} would write from `JSON.parse(text)`, and unknowns when the text
 * is not well-formed JSON.
 */
export function setNumericStatsScan(
  out: NumericStats,
  row: number,
  type: string,
  scanner: LeafScanner,
  text: string,
): void {
  if (!scanner.scan(text)) {
    out.minKnown[row] = 0
    out.maxKnown[row] = 0
    setNumericCounts(out, row, Number.NaN, Number.NaN)
    return
  }
  const kind = scanner.kind
  const num = scanner.num
  // Numbers of the plain numeric types inline; anything else by numericBound's rules.
  if (kind[0] === 1 && (type === 'long' || type === 'double')) {
    const v = num[0]
    const ok = type === 'double' || Number.isSafeInteger(v)
    out.minKnown[row] = ok ? 1 : 0
    out.min[row] = ok ? v : 0
  } else {
    const lo = numericBound(scannedValue(scanner, 0), type)
    out.minKnown[row] = lo === undefined ? 0 : 1
    out.min[row] = lo ?? 0
  }
  if (kind[1] === 1 && (type === 'long' || type === 'double')) {
    const v = num[1]
    const ok = type === 'double' || Number.isSafeInteger(v)
    out.maxKnown[row] = ok ? 1 : 0
    out.max[row] = ok ? v : 0
  } else {
    const hi = numericBound(scannedValue(scanner, 1), type)
    out.maxKnown[row] = hi === undefined ? 0 : 1
    out.max[row] = hi ?? 0
  }
  setNumericCounts(out, row, kind[2] === 1 ? num[2] : Number.NaN, scanner.numRecords)
}

/** {@link numericLeafOf} from typed stats: the same rules, already applied by the reader (no loop here). */
function numericLeafFromStats(type: string, s: NumericStats, n: number): NumericLeaf {
  const { min, max } = s
  if (type === 'timestamp' || type === 'timestamp_ntz') {
    // Millisecond-truncated bounds widen by 1 ms (1000 µs), as summaryOf does.
    for (let row = 0; row < n; row++) {
      min[row] -= 1000
      max[row] += 1000
    }
  }
  return {
    min,
    max,
    minKnown: s.minKnown,
    maxKnown: s.maxKnown,
    mayNull: s.mayNull,
    mayNonNull: s.mayNonNull,
    nanAboveMax: type === 'float' || type === 'double',
    empty: s.empty,
  }
}

/** A literal as an exact double for comparing with a {@link NumericLeaf}, or undefined. */
function numericLiteral(v: ScalarValue): number | undefined {
  if (typeof v === 'number') return Number.isNaN(v) ? undefined : v
  if (typeof v === 'bigint') {
    const d = Number(v)
    return Number.isSafeInteger(d) && BigInt(d) === v ? d : undefined
  }
  return undefined
}

/**
 * {@link mayCompare} over a {@link NumericLeaf} for every candidate row (`rows[row] === 1`) into `out`, for a
 * non-NaN `v`, one loop per operator. A NaN bound compares above every number (compareScalars' order):
 * `!(mn <= v)` is "min compares above v" (mn > v, or mn is NaN).
 */
function compareInto(leaf: NumericLeaf, op: CompareOp, v: number, nanSat: boolean, rows: Uint8Array, out: Uint8Array) {
  const n = rows.length
  const { min, max, minKnown, maxKnown, mayNonNull } = leaf
  if (nanSat) {
    for (let row = 0; row < n; row++) if (rows[row] === 1) out[row] = mayNonNull[row]
    return
  }
  switch (op) {
    case '=':
      for (let row = 0; row < n; row++) {
        if (rows[row] !== 1 || mayNonNull[row] === 0) continue
        out[row] = (minKnown[row] === 1 && !(min[row] <= v)) || (maxKnown[row] === 1 && max[row] < v) ? 0 : 1
      }
      return
    case '!=': {
      const nan = leaf.nanAboveMax
      for (let row = 0; row < n; row++) {
        if (rows[row] !== 1 || mayNonNull[row] === 0) continue
        out[row] = minKnown[row] === 1 && maxKnown[row] === 1 && min[row] === v && max[row] === v && !nan ? 0 : 1
      }
      return
    }
    case '<':
      for (let row = 0; row < n; row++) {
        if (rows[row] !== 1 || mayNonNull[row] === 0) continue
        out[row] = minKnown[row] === 1 && !(min[row] < v) ? 0 : 1
      }
      return
    case '<=':
      for (let row = 0; row < n; row++) {
        if (rows[row] !== 1 || mayNonNull[row] === 0) continue
        out[row] = minKnown[row] === 1 && !(min[row] <= v) ? 0 : 1
      }
      return
    case '>':
      for (let row = 0; row < n; row++) {
        if (rows[row] !== 1 || mayNonNull[row] === 0) continue
        out[row] = maxKnown[row] === 1 && max[row] <= v ? 0 : 1
      }
      return
    case '>=':
      for (let row = 0; row < n; row++) {
        if (rows[row] !== 1 || mayNonNull[row] === 0) continue
        out[row] = maxKnown[row] === 1 && max[row] < v ? 0 : 1
      }
      return
  }
}

/** Per-file outcomes of a sub-expression: `t[row]` / `f[row]` as in {@link Tri}. */
interface TriColumns {
  t: Uint8Array
  f: Uint8Array
}

/**
 * {@link tri} for the stats phase over every candidate row at once (`rows[row] === 1`; other rows are left
 * 0). Comparisons and null tests of numeric data columns read {@link NumericLeaf} arrays; AND / OR / NOT
 * combine arrays; any other node is evaluated per candidate row by {@link tri} (same rules, one Summary per
 * file and column, memoized).
 */
function triColumns(
  e: Expr,
  st: ColumnarState,
  ctx: PruningContext,
  rows: Uint8Array,
  leaves: Map<ColumnExpr, NumericLeaf | null>,
): TriColumns {
  const n = rows.length
  switch (e.kind) {
    case 'and':
    case 'or': {
      const parts = e.children.map((c) => triColumns(c, st, ctx, rows, leaves))
      // Whole arrays, part by part: only candidate rows are read by the caller, so the others may hold anything.
      const t = new Uint8Array(n)
      const f = new Uint8Array(n)
      if (parts.length === 0) {
        ;(e.kind === 'and' ? t : f).fill(1)
        return { t, f }
      }
      t.set(parts[0].t)
      f.set(parts[0].f)
      for (let k = 1; k < parts.length; k++) {
        const pt = parts[k].t
        const pf = parts[k].f
        if (e.kind === 'and')
          for (let row = 0; row < n; row++) {
            t[row] &= pt[row]
            f[row] |= pf[row]
          }
        else
          for (let row = 0; row < n; row++) {
            t[row] |= pt[row]
            f[row] &= pf[row]
          }
      }
      return { t, f }
    }
    case 'not': {
      const r = triColumns(e.child, st, ctx, rows, leaves)
      return { t: r.f, f: r.t }
    }
    case 'compare': {
      let { left, right, op } = e
      if (left.kind === 'literal' && right.kind === 'column') {
        ;[left, right] = [right, left]
        op = flipOp(op)
      }
      if (left.kind !== 'column' || right.kind !== 'literal') break
      const leaf = numericData(left, st, ctx, leaves)
      const v = leaf ? numericLiteral(literalValue(right)) : undefined
      if (!leaf || v === undefined) break
      const neg = negateOp(op)
      const nanT = leaf.nanAboveMax && nanSatisfies(op, v)
      const nanF = leaf.nanAboveMax && nanSatisfies(neg, v)
      const t = new Uint8Array(n)
      const f = new Uint8Array(n)
      compareInto(leaf, op, v, nanT, rows, t)
      compareInto(leaf, neg, v, nanF, rows, f)
      return { t, f }
    }
    case 'isNull': {
      if (e.operand.kind !== 'column') break
      const leaf = numericData(e.operand, st, ctx, leaves)
      if (!leaf) break
      return e.negated ? { t: leaf.mayNonNull, f: leaf.mayNull } : { t: leaf.mayNull, f: leaf.mayNonNull }
    }
  }
  const t = new Uint8Array(n)
  const f = new Uint8Array(n)
  const src: Source = { kind: 'stats', cols: st, row: 0 }
  for (let row = 0; row < n; row++) {
    if (rows[row] !== 1) continue
    src.row = row
    const r = tri(e, src, ctx)
    t[row] = r.t ? 1 : 0
    f[row] = r.f ? 1 : 0
  }
  return { t, f }
}

/** The column nodes of an expression (bound ones carry their type). */
function columnNodes(e: Expr, out: ColumnExpr[] = []): ColumnExpr[] {
  if (e.kind === 'column') out.push(e)
  else
    for (const v of Object.values(e)) {
      if (Array.isArray(v)) {
        for (const c of v) if (c && typeof c === 'object' && 'kind' in c) columnNodes(c as Expr, out)
      } else if (v && typeof v === 'object' && 'kind' in (v as object)) columnNodes(v as Expr, out)
    }
  return out
}

/**
 * The numeric leaf of a bound, unqualified data column (not a partition column), or undefined: the one this
 * pass read (`leaves`), else the snapshot's cached one.
 */
function numericData(
  c: ColumnExpr,
  st: ColumnarState,
  ctx: PruningContext,
  leaves: Map<ColumnExpr, NumericLeaf | null>,
): NumericLeaf | undefined {
  requireBound(c)
  if (c.qualifier !== undefined) return undefined
  if (c.path.length === 1 && partitionKey(ctx, c.path[0]) !== undefined) return undefined
  let leaf = leaves.get(c)
  if (leaf === undefined) {
    leaf = st.numericLeaf(c, ctx)
    leaves.set(c, leaf)
  }
  return leaf ?? undefined
}

/** Memoized per-column state, per FileColumns object: repeated queries on one snapshot reuse summaries. */
const columnarStates = new WeakMap<FileColumns, Map<string, ColumnarState>>()

function columnarState(cols: FileColumns, ctx: PruningContext): ColumnarState {
  let byCtx = columnarStates.get(cols)
  if (!byCtx) {
    byCtx = new Map()
    columnarStates.set(cols, byCtx)
  }
  const key = `${ctx.columnMappingMode}\u0000${ctx.partitionColumns.join('\u0000')}`
  let st = byCtx.get(key)
  if (!st || st.ctx.schema !== ctx.schema) {
    st = new ColumnarState(cols, ctx)
    byCtx.set(key, st)
  }
  return st
}

/**
 * {@link pruneFiles} over columns: the same rules (partition values first, then statistics), evaluated from
 * {@link FileColumns} without a FileEntry per file. Partition-only outcomes are computed once per distinct
 * combination of partition values; stats summaries are built once per file and column and kept for later
 * queries on the same columns. Only rows with `select[row] === 1` are considered when `select` is given (the
 * live rows of a checkpoint). Returns a mask of the rows that may match (1) and the counters.
 *
 * @throws DeltaError `INVALID_ARGUMENT` when the expression is not bound.
 */
export function pruneColumns(
  cols: FileColumns,
  boundExpr: Expr,
  ctx: PruningContext,
  select?: Uint8Array,
): { keep: Uint8Array; stats: PruneStats } {
  const n = cols.length
  let total = n
  const keep = new Uint8Array(n)
  const st = columnarState(cols, ctx)
  // Partition phase: the outcome depends only on the referenced partition columns' values, so it is computed
  // once per distinct combination of their dictionary codes.
  const partCols = [
    ...new Set(
      referencedColumns(boundExpr)
        .filter((c) => c.qualifier === undefined && c.path.length === 1)
        .map((c) => partitionKey(ctx, c.path[0]))
        .filter((p): p is string => p !== undefined),
    ),
  ]
  const parts = partCols.map((p) => cols.partitionColumn(p))
  const src: Source = { kind: 'partition', cols: st, row: 0 }
  const candidates = new Uint8Array(n)
  let candidateCount = 0
  let prunedByPartition = 0
  if (parts.length <= 1) {
    // One code per row (or none): outcomes in an array indexed by code + 1 (code -1 is a null partition).
    const codes = parts[0]?.codes
    const outcome = new Int8Array(parts.length === 0 ? 1 : parts[0].values.length + 1).fill(-1)
    for (let row = 0; row < n; row++) {
      if (select && select[row] !== 1) {
        total--
        continue
      }
      const k = codes ? codes[row] + 1 : 0
      let may = outcome[k]
      if (may < 0) {
        src.row = row
        may = tri(boundExpr, src, ctx).t ? 1 : 0
        outcome[k] = may
      }
      if (may === 0) prunedByPartition++
      else {
        candidates[row] = 1
        candidateCount++
      }
    }
  } else {
    const codes = parts.map((p) => p.codes)
    const byTuple = new Map<string, boolean>()
    for (let row = 0; row < n; row++) {
      if (select && select[row] !== 1) {
        total--
        continue
      }
      let tuple = ''
      for (const c of codes) tuple += `${c[row]},`
      let may = byTuple.get(tuple)
      if (may === undefined) {
        src.row = row
        may = tri(boundExpr, src, ctx).t
        byTuple.set(tuple, may)
      }
      if (!may) prunedByPartition++
      else {
        candidates[row] = 1
        candidateCount++
      }
    }
  }
  const dataColumns = columnNodes(boundExpr).filter(
    (c) =>
      c.dataType !== undefined &&
      c.qualifier === undefined &&
      !(c.path.length === 1 && partitionKey(ctx, c.path[0]) !== undefined),
  )
  let skippedByStats = 0
  // Few files left (under a sixteenth): their own stats, file by file, with the per-file rules; nothing is read
  // or allocated for the other files (a query whose partition filter keeps a thousand of a million files).
  if (dataColumns.length > 0 && candidateCount * 16 < n && cols.statsAt && cols.numRecordsAt) {
    const one: Source = { kind: 'stats', cols: st, row: 0, perRow: true }
    for (let row = 0; row < n; row++) {
      if (candidates[row] !== 1) continue
      one.row = row
      if (cols.numRecordsAt(row) === 0 || !tri(boundExpr, one, ctx).t) skippedByStats++
      else keep[row] = 1
    }
    return {
      keep,
      stats: { total, prunedByPartition, skippedByStats, kept: total - prunedByPartition - skippedByStats },
    }
  }
  // The numeric stats of the data columns the predicate reads; their numRecords also give the empty-file test.
  const leaves = new Map<ColumnExpr, NumericLeaf | null>()
  let empty: Uint8Array | undefined
  if (candidateCount > 0)
    for (const c of dataColumns) {
      if (leaves.has(c)) continue
      const leaf = st.numericLeaf(c, ctx)
      leaves.set(c, leaf)
      empty ??= leaf?.empty
    }
  for (let row = 0; row < n; row++) {
    if (candidates[row] !== 1) continue
    if (empty ? empty[row] === 1 : st.empty(row)) {
      candidates[row] = 0
      candidateCount--
      skippedByStats++
    }
  }
  // Stats phase over the files partition values kept, evaluated column-wise. A predicate over partition
  // columns only decides the same from stats as from partition values: the partition phase is final.
  if (candidateCount > 0 && dataColumns.length > 0) {
    const { t } = triColumns(boundExpr, st, ctx, candidates, leaves)
    for (let row = 0; row < n; row++) {
      if (candidates[row] !== 1) continue
      if (t[row] === 1) keep[row] = 1
      else skippedByStats++
    }
  } else if (candidateCount > 0) keep.set(candidates)
  return {
    keep,
    stats: { total, prunedByPartition, skippedByStats, kept: total - prunedByPartition - skippedByStats },
  }
}

/**
 * {@link FileColumns} over FileEntry objects (commit adds, or any list of files): partition values dictionary
 * encoded by the column's logical or physical key, stats read from the parsed stats.
 */
export function entryColumns(files: readonly FileEntry[], ctx: PruningContext): FileColumns {
  let numRecords: unknown[] | undefined
  let one: StatsScanner | undefined
  return {
    length: files.length,
    partitionColumn(column) {
      const field = findField(ctx.schema, column)
      const keys = [column]
      if (field) keys.push(physicalName(field, ctx.columnMappingMode), field.name)
      const dict = new Map<string, number>()
      const values: string[] = []
      const codes = new Int32Array(files.length)
      for (let i = 0; i < files.length; i++) {
        const pv = files[i].partitionValues ?? {}
        let raw: string | null | undefined
        for (const k of keys)
          if (k in pv) {
            raw = pv[k]
            break
          }
        if (raw === null || raw === undefined) {
          codes[i] = -1
          continue
        }
        let code = dict.get(raw)
        if (code === undefined) {
          code = values.length
          values.push(raw)
          dict.set(raw, code)
        }
        codes[i] = code
      }
      return { codes, values }
    },
    statsColumn(path) {
      // Stats text is scanned for just this leaf (and numRecords); other entries give their parsed stats.
      const n = files.length
      const min = new Array<unknown>(n)
      const max = new Array<unknown>(n)
      const nullCount = new Array<unknown>(n)
      const nr = numRecords === undefined ? new Array<unknown>(n) : undefined
      const scanner = new StatsScanner([path])
      for (let i = 0; i < n; i++) {
        const f = files[i]
        const text = statsTextOf(f)
        if (text !== undefined) {
          if (!scanner.scan(text)) continue
          min[i] = scanner.min[0]
          max[i] = scanner.max[0]
          nullCount[i] = scanner.nullCount[0]
          if (nr) nr[i] = scanner.numRecords
        } else {
          const stats = f.stats
          min[i] = dig(stats?.minValues, path)
          max[i] = dig(stats?.maxValues, path)
          nullCount[i] = dig(stats?.nullCount, path)
          if (nr) nr[i] = stats?.numRecords
        }
      }
      if (nr) numRecords = nr
      return { min, max, nullCount }
    },
    numRecordsAt(row) {
      if (numRecords !== undefined) return numRecords[row]
      const f = files[row]
      const text = statsTextOf(f)
      if (text === undefined) return f.stats?.numRecords
      one ??= new StatsScanner([])
      return one.scan(text) ? one.numRecords : undefined
    },
    numRecords() {
      if (numRecords === undefined) {
        const scanner = new StatsScanner([])
        numRecords = files.map((f) => {
          const text = statsTextOf(f)
          if (text === undefined) return f.stats?.numRecords
          return scanner.scan(text) ? scanner.numRecords : undefined
        })
      }
      return numRecords
    },
  }
}

/** The stats an add action's FileEntry parses: its non-empty `stats` text, else its `stats_parsed` object. */
function statsOfAdd(add: AddAction): string | Record<string, unknown> | undefined {
  const text = add.stats
  if (typeof text === 'string' && text.length > 0) return text
  const parsed = add.stats_parsed
  return parsed !== null && typeof parsed === 'object' ? parsed : undefined
}

/**
 * {@link FileColumns} over add actions (the adds of the commits after a checkpoint), for pruning without a
 * FileEntry per file: partition values read off `add.partitionValues` (logical or physical key), dictionary
 * encoded, with consecutive adds sharing one object decided once; stats read from the `stats` text by targeted
 * scans (numeric leaves straight into typed arrays), or from `stats_parsed`, the way {@link parseStats} picks.
 */
export function addColumns(adds: readonly AddAction[], ctx: PruningContext): FileColumns {
  const n = adds.length
  let numRecords: unknown[] | undefined
  let one: StatsScanner | undefined
  const parts = new Map<string, { codes: Int32Array; values: string[] }>()
  const scanners = new Map<string, StatsScanner>()
  return {
    length: n,
    partitionColumn(column) {
      const cached = parts.get(column)
      if (cached) return cached
      const field = findField(ctx.schema, column)
      const keys = field ? [...new Set([column, physicalName(field, ctx.columnMappingMode), field.name])] : [column]
      const dict = new Map<string, number>()
      const values: string[] = []
      const codes = new Int32Array(n)
      let lastPv: Record<string, string | null> | undefined
      let lastCode = -1
      for (let i = 0; i < n; i++) {
        const pv = adds[i].partitionValues
        if (pv === lastPv && pv !== undefined) {
          codes[i] = lastCode
          continue
        }
        let raw: string | null | undefined
        if (pv !== null && typeof pv === 'object')
          for (let k = 0; k < keys.length; k++) {
            // Own values only: a string or null (a value named like an Object.prototype member is not one).
            const v = pv[keys[k]]
            if (typeof v === 'string' || v === null) {
              raw = v
              break
            }
          }
        let code = -1
        if (raw !== null && raw !== undefined) {
          const hit = dict.get(raw)
          if (hit === undefined) {
            code = values.length
            values.push(raw)
            dict.set(raw, code)
          } else code = hit
        }
        codes[i] = code
        lastPv = pv
        lastCode = code
      }
      const p = { codes, values }
      parts.set(column, p)
      return p
    },
    statsColumn(path) {
      const min = new Array<unknown>(n)
      const max = new Array<unknown>(n)
      const nullCount = new Array<unknown>(n)
      const nr = numRecords === undefined ? new Array<unknown>(n) : undefined
      const scanner = new StatsScanner([path])
      for (let i = 0; i < n; i++) {
        const stats = statsOfAdd(adds[i])
        if (typeof stats === 'string') {
          if (!scanner.scan(stats)) continue
          min[i] = scanner.min[0]
          max[i] = scanner.max[0]
          nullCount[i] = scanner.nullCount[0]
          if (nr) nr[i] = scanner.numRecords
        } else if (stats !== undefined) {
          min[i] = dig(stats.minValues as Record<string, unknown> | undefined, path)
          max[i] = dig(stats.maxValues as Record<string, unknown> | undefined, path)
          nullCount[i] = dig(stats.nullCount as Record<string, unknown> | undefined, path)
          if (nr) nr[i] = stats.numRecords
        }
      }
      if (nr) numRecords = nr
      return { min, max, nullCount }
    },
    numericStats(path, type, rows) {
      const out = numericStatsOf(n)
      const scanner = new LeafScanner(path)
      for (let i = 0; i < n; i++) {
        if (rows && rows[i] !== 1) continue
        const stats = statsOfAdd(adds[i])
        if (typeof stats === 'string') setNumericStatsScan(out, i, type, scanner, stats)
        else if (stats !== undefined)
          setNumericStatsRow(
            out,
            i,
            type,
            dig(stats.minValues as Record<string, unknown> | undefined, path),
            dig(stats.maxValues as Record<string, unknown> | undefined, path),
            dig(stats.nullCount as Record<string, unknown> | undefined, path),
            stats.numRecords,
          )
      }
      return out
    },
    statsAt(path, _type, row) {
      const stats = statsOfAdd(adds[row])
      if (typeof stats === 'string') {
        const key = path.join('\u0000')
        let sc = scanners.get(key)
        if (!sc) {
          sc = new StatsScanner([path])
          scanners.set(key, sc)
        }
        return sc.scan(stats) ? { min: sc.min[0], max: sc.max[0], nullCount: sc.nullCount[0] } : undefined
      }
      if (stats === undefined) return undefined
      return {
        min: dig(stats.minValues as Record<string, unknown> | undefined, path),
        max: dig(stats.maxValues as Record<string, unknown> | undefined, path),
        nullCount: dig(stats.nullCount as Record<string, unknown> | undefined, path),
      }
    },
    numRecordsAt(row) {
      if (numRecords !== undefined) return numRecords[row]
      const stats = statsOfAdd(adds[row])
      if (typeof stats !== 'string') return stats?.numRecords
      one ??= new StatsScanner([])
      return one.scan(stats) ? one.numRecords : undefined
    },
    numRecords() {
      if (numRecords === undefined) {
        const scanner = new StatsScanner([])
        numRecords = adds.map((add) => {
          const stats = statsOfAdd(add)
          if (typeof stats !== 'string') return stats?.numRecords
          return scanner.scan(stats) ? scanner.numRecords : undefined
        })
      }
      return numRecords
    },
  }
}
