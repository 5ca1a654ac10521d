import {
  type Data,
  DateDay,
  Decimal,
  Field,
  Float64,
  Int32,
  Int64,
  makeData,
  RecordBatch,
  Struct,
  TimestampMicrosecond,
  Utf8,
  vectorFromArray,
} from 'apache-arrow'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { evaluatePredicate, filterBatch } from '../core/row-filter.js'
import { bindExpr } from './expr/bind.js'
import { evaluateRow } from './expr/eval.js'
import { and, col, type Expr, type LiteralValue, lit, not, or } from './expr/types.js'
import { type FileEntry, type FileStats, fileEntryOf } from './file-entry.js'
import {
  compareScalars,
  formatDate,
  formatTimestamp,
  type ScalarValue,
  serializePartitionValue,
} from './partition-values.js'
import { addColumns, entryColumns, fileMayMatch, type PruningContext, pruneColumns, pruneFiles } from './pruning.js'
import type { DataType, StructType } from './schema.js'

/*
 * Property: for random rows split into random files with writer-realistic stats (truncated string bounds with
 * and without tie-breaker, millisecond-truncated timestamps, NaN in or out of the double max, decimals as JSON
 * doubles, missing stats, deletion-vector style wide bounds) and random partition values in both timestamp
 * serializations, and for random predicates:
 *   1. fileMayMatch is true for every file holding a row the reference evaluator selects;
 *   2. the Arrow row filter selects exactly the rows the reference evaluator selects;
 *   3. pruned files + row filter return exactly the rows of all files + row filter.
 */

const BASE_US = 1_704_067_200_000_000n // 2024-01-01T00:00:00Z

// Strings over an alphabet whose UTF-16 and UTF-8 orders differ (U+FFFD vs an astral emoji), long enough that
// prefix truncation matters.
const STRING_ARB = fc
  .array(fc.constantFrom('a', 'b', 'é', '\uFFFD', '\u{1F600}'), { maxLength: 4 })
  .map((cs) => cs.join(''))

interface Col {
  name: string
  path: string[]
  type: DataType
  partition: boolean
  value: fc.Arbitrary<ScalarValue>
  literal: (v: ScalarValue) => LiteralValue
}

const id = (v: ScalarValue) => v as LiteralValue
const COLS: Col[] = [
  {
    name: 'p_str',
    path: ['p_str'],
    type: 'string',
    partition: true,
    value: fc.constantFrom('x', 'y', 'ab', ''),
    literal: id,
  },
  {
    name: 'p_int',
    path: ['p_int'],
    type: 'integer',
    partition: true,
    value: fc.integer({ min: -2, max: 12 }),
    literal: id,
  },
  {
    name: 'p_date',
    path: ['p_date'],
    type: 'date',
    partition: true,
    value: fc.integer({ min: 19720, max: 19726 }),
    literal: (v) => formatDate(v as number),
  },
  {
    name: 'p_ts',
    path: ['p_ts'],
    type: 'timestamp',
    partition: true,
    value: fc.integer({ min: -3, max: 3 }).map((k) => BASE_US + BigInt(k) * 1_500_000n + 1n),
    literal: id,
  },
  { name: 'a', path: ['a'], type: 'long', partition: false, value: fc.bigInt({ min: -5n, max: 5n }), literal: id },
  {
    name: 'b',
    path: ['b'],
    type: 'double',
    partition: false,
    value: fc.constantFrom(-2.5, -1, 0, 1, 2.5, 1e300, NaN, Infinity, -Infinity),
    literal: id,
  },
  { name: 'c', path: ['c'], type: 'string', partition: false, value: STRING_ARB, literal: id },
  {
    name: 'd',
    path: ['d'],
    type: 'date',
    partition: false,
    value: fc.integer({ min: -2, max: 2 }),
    literal: (v) => formatDate(v as number),
  },
  {
    name: 'e',
    path: ['e'],
    type: 'decimal(10,2)',
    partition: false,
    value: fc.bigInt({ min: -300n, max: 300n }).map((u) => ({ unscaled: u, scale: 2 })),
    literal: id,
  },
  {
    name: 't',
    path: ['t'],
    type: 'timestamp',
    partition: false,
    // Sub-millisecond spacing so that ms-truncated bounds matter.
    value: fc.integer({ min: -6, max: 6 }).map((k) => BASE_US + BigInt(k) * 400n),
    literal: id,
  },
  {
    name: 'n.x',
    path: ['n', 'x'],
    type: 'integer',
    partition: false,
    value: fc.integer({ min: 0, max: 4 }),
    literal: id,
  },
]
const PART = COLS.filter((c) => c.partition)
const DATA = COLS.filter((c) => !c.partition)

const schema: StructType = {
  type: 'struct',
  fields: [
    ...COLS.filter((c) => c.path.length === 1).map((c) => ({ name: c.name, type: c.type, nullable: true })),
    { name: 'n', type: { type: 'struct', fields: [{ name: 'x', type: 'integer', nullable: true }] }, nullable: true },
  ],
}
const unmappedCtx: PruningContext = { schema, partitionColumns: PART.map((c) => c.name), columnMappingMode: 'none' }

// The same table under column mapping (name mode): stats and partition values keyed by physical names.
const phys = (name: string) => `col-${name}-${name.length}`
const withPhysical = (t: StructType): StructType => ({
  type: 'struct',
  fields: t.fields.map((f) => ({
    ...f,
    type: typeof f.type === 'object' && f.type.type === 'struct' ? withPhysical(f.type) : f.type,
    metadata: { 'delta.columnMapping.physicalName': phys(f.name) },
  })),
})
const mappedCtx: PruningContext = { ...unmappedCtx, schema: withPhysical(schema), columnMappingMode: 'name' }

type Row = Record<string, ScalarValue>
const nullable = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: null, freq: 4 })

const rowArb: fc.Arbitrary<Row> = fc.record({
  a: nullable(DATA[0].value),
  b: nullable(DATA[1].value),
  c: nullable(DATA[2].value),
  d: nullable(DATA[3].value),
  e: nullable(DATA[4].value),
  t: nullable(DATA[5].value),
  n: fc.option(fc.record({ x: nullable(DATA[6].value) }), { nil: null, freq: 5 }),
}) as fc.Arbitrary<Row>

interface StatsStyle {
  none: boolean
  dropColumns: string[]
  prefixLen: number
  tieBreaker: boolean
  nanInMax: boolean
}

const fileArb: fc.Arbitrary<FileSpec> = fc.record({
  partitions: fc.record({
    p_str: nullable(PART[0].value),
    p_int: nullable(PART[1].value),
    p_date: nullable(PART[2].value),
    p_ts: nullable(PART[3].value),
  }),
  isoTimestamps: fc.boolean(),
  rows: fc.array(rowArb, { minLength: 0, maxLength: 6 }),
  deletedRows: fc.array(rowArb, { maxLength: 2 }),
  style: fc.record({
    none: fc.integer({ min: 0, max: 9 }).map((k) => k < 2),
    dropColumns: fc.oneof(
      { arbitrary: fc.constant([] as string[]), weight: 4 },
      { arbitrary: fc.subarray(['a', 'b', 'c', 'd', 'e', 't', 'n.x']), weight: 1 },
    ),
    prefixLen: fc.integer({ min: 1, max: 4 }),
    tieBreaker: fc.boolean(),
    nanInMax: fc.boolean(),
  }),
})

function leafValue(row: Row, path: string[]): ScalarValue {
  let v: ScalarValue = row
  for (const p of path) {
    if (v === null || typeof v !== 'object') return null
    v = (v as Record<string, ScalarValue>)[p] ?? null
  }
  return v
}

const cps = (s: string) => [...s]
function truncate(s: string, n: number): string {
  return cps(s).slice(0, n).join('')
}

function msIso(us: bigint): string {
  const ms = us >= 0n ? us / 1000n : -((-us + 999n) / 1000n)
  return new Date(Number(ms)).toISOString()
}

function statsFor(rows: Row[], style: StatsStyle, tight: boolean, mapped: boolean): FileStats | undefined {
  if (style.none) return undefined
  const minValues: Record<string, unknown> = {}
  const maxValues: Record<string, unknown> = {}
  const nullCount: Record<string, unknown> = {}
  const put = (target: Record<string, unknown>, logical: string[], v: unknown) => {
    const path = mapped ? logical.map(phys) : logical
    if (path.length === 1) target[path[0]] = v
    else {
      if (target[path[0]] === undefined) target[path[0]] = {}
      const inner = target[path[0]] as Record<string, unknown>
      inner[path[1]] = v
    }
  }
  for (const c of DATA) {
    if (style.dropColumns.includes(c.name)) continue
    const values = rows.map((r) => leafValue(r, c.path))
    const nonNull = values.filter((v) => v !== null)
    put(nullCount, c.path, values.length - nonNull.length)
    let candidates = nonNull
    if (c.type === 'double') {
      const finite = nonNull.filter((v) => !Number.isNaN(v))
      const hasNaN = finite.length !== nonNull.length
      if (finite.length > 0) put(minValues, c.path, Math.min(...(finite as number[])))
      else if (hasNaN && style.nanInMax) put(minValues, c.path, 'NaN')
      if (hasNaN && style.nanInMax) put(maxValues, c.path, 'NaN')
      else if (finite.length > 0) put(maxValues, c.path, Math.max(...(finite as number[])))
      continue
    }
    if (candidates.length === 0) continue
    candidates = [...candidates].sort(compareScalars)
    const lo = candidates[0]
    const hi = candidates[candidates.length - 1]
    switch (c.type) {
      case 'long':
        put(minValues, c.path, Number(lo))
        put(maxValues, c.path, Number(hi))
        break
      case 'integer':
        put(minValues, c.path, lo)
        put(maxValues, c.path, hi)
        break
      case 'string': {
        put(minValues, c.path, truncate(lo as string, style.prefixLen))
        const h = hi as string
        if (cps(h).length <= style.prefixLen) put(maxValues, c.path, h)
        else put(maxValues, c.path, truncate(h, style.prefixLen) + (style.tieBreaker ? '\u{10FFFF}' : ''))
        break
      }
      case 'date':
        put(minValues, c.path, formatDate(lo as number))
        put(maxValues, c.path, formatDate(hi as number))
        break
      case 'timestamp':
        put(minValues, c.path, msIso(lo as bigint))
        put(maxValues, c.path, msIso(hi as bigint))
        break
      default: {
        const toNum = (v: ScalarValue) => Number((v as { unscaled: bigint }).unscaled) / 100
        put(minValues, c.path, toNum(lo))
        put(maxValues, c.path, toNum(hi))
      }
    }
  }
  return { numRecords: rows.length, minValues, maxValues, nullCount, ...(tight ? {} : { tightBounds: false }) }
}

function partitionString(c: Col, v: ScalarValue, iso: boolean): string | null {
  if (v === null) return null
  if (c.type === 'timestamp' && iso) return formatTimestamp(v as bigint).replace(' ', 'T') + 'Z'
  return serializePartitionValue(v, c.type)
}

// --- predicates

function leafArb(cols: readonly Col[] = COLS): fc.Arbitrary<Expr> {
  const perColumn = cols.map((c) => {
    const litArb = c.value.map(c.literal)
    const ops = fc.constantFrom('eq', 'ne', 'lt', 'lte', 'gt', 'gte' as const)
    const arbs: fc.Arbitrary<Expr>[] = [
      fc
        .tuple(ops, litArb)
        .map(([op, v]) => (col(c.path) as unknown as Record<string, (x: LiteralValue) => Expr>)[op](v)),
      fc
        .tuple(ops, litArb)
        .map(([op, v]) => (col(c.path) as unknown as Record<string, (x: LiteralValue) => Expr>)[op](v)),
      fc
        .tuple(fc.array(nullable(litArb), { minLength: 1, maxLength: 3 }), fc.boolean())
        .map(([vs, neg]) => (neg ? col(c.path).notIn(vs) : col(c.path).in(vs))),
      fc.boolean().map((neg) => (neg ? col(c.path).isNotNull() : col(c.path).isNull())),
      fc.tuple(litArb, litArb).map(([x, y]) => col(c.path).between(x, y)),
      // Null-safe equality against a value or NULL, and its negation (IS DISTINCT FROM).
      fc
        .tuple(nullable(litArb), fc.boolean())
        .map(([v, neg]) => (neg ? col(c.path).isDistinctFrom(v) : col(c.path).eqNullSafe(v))),
      fc
        .constantFrom('eq', 'lt', 'gte')
        .map((op) => (col(c.path) as unknown as Record<string, (x: LiteralValue) => Expr>)[op](null)),
    ]
    if (c.type === 'string') {
      arbs.push(
        fc
          .tuple(STRING_ARB, fc.constantFrom('%', '_%', '', '_', '%a'), fc.boolean())
          .map(([p, tail, neg]) => (neg ? col(c.path).notLike(p + tail) : col(c.path).like(p + tail))),
      )
    }
    return fc.oneof(...arbs)
  })
  if (cols !== COLS) return fc.oneof(...perColumn)
  return fc.oneof(
    ...perColumn,
    fc.constant(col('a').lt(col(['n', 'x']))),
    fc.constant(col('a').eqNullSafe(col(['n', 'x']))),
    fc.constantFrom(lit(true), lit(null)),
  )
}

const exprArb: fc.Arbitrary<Expr> = fc.letrec<{ e: Expr }>((tie) => ({
  e: fc.oneof(
    { maxDepth: 3, depthIdentifier: 'pred' },
    leafArb(),
    fc.tuple(tie('e'), tie('e')).map(([x, y]) => and(x, y)),
    fc.tuple(tie('e'), tie('e')).map(([x, y]) => or(x, y)),
    tie('e').map((x) => not(x)),
  ),
})).e

// --- Arrow batches

function validity(values: ScalarValue[]): { nullBitmap: Uint8Array; nullCount: number } {
  const bm = new Uint8Array(((values.length + 63) & ~63) >> 3)
  values.forEach((v, i) => {
    if (v !== null) bm[i >> 3] |= 1 << (i & 7)
  })
  return { nullBitmap: bm, nullCount: values.filter((v) => v === null).length }
}

function column(type: DataType, values: ScalarValue[]): Data {
  const length = values.length
  const v = validity(values)
  switch (type) {
    case 'string':
      return vectorFromArray(values as (string | null)[], new Utf8()).data[0]
    case 'integer':
      return makeData({ type: new Int32(), length, ...v, data: Int32Array.from(values, (x) => (x ?? 0) as number) })
    case 'date':
      return makeData({ type: new DateDay(), length, ...v, data: Int32Array.from(values, (x) => (x ?? 0) as number) })
    case 'long':
      return makeData({ type: new Int64(), length, ...v, data: BigInt64Array.from(values, (x) => (x ?? 0n) as bigint) })
    case 'timestamp':
      return makeData({
        type: new TimestampMicrosecond('UTC'),
        length,
        ...v,
        data: BigInt64Array.from(values, (x) => (x ?? 0n) as bigint),
      })
    case 'double':
      return makeData({ type: new Float64(), length, ...v, data: Float64Array.from(values, (x) => (x ?? 0) as number) })
    default: {
      const words = new Uint32Array(length * 4)
      values.forEach((x, i) => {
        let u = BigInt.asUintN(128, x === null ? 0n : (x as { unscaled: bigint }).unscaled)
        for (let k = 0; k < 4; k++) {
          words[i * 4 + k] = Number(u & 0xffffffffn)
          u >>= 32n
        }
      })
      return makeData({ type: new Decimal(2, 10, 128), length, ...v, data: words })
    }
  }
}

function batchFor(rows: Row[], partitions: Row, ridStart: number): RecordBatch {
  const cols: Record<string, Data> = {
    rid: makeData({ type: new Int32(), length: rows.length, data: Int32Array.from(rows, (_, i) => ridStart + i) }),
  }
  for (const c of PART)
    cols[c.name] = column(
      c.type,
      rows.map(() => partitions[c.name]),
    )
  for (const c of DATA.filter((d) => d.path.length === 1))
    cols[c.name] = column(
      c.type,
      rows.map((r) => r[c.name]),
    )
  const structs = rows.map((r) => r.n)
  cols.n = makeData({
    type: new Struct([new Field('x', new Int32(), true)]),
    length: rows.length,
    ...validity(structs),
    children: [
      column(
        'integer',
        structs.map((s) => (s === null ? null : (s as Row).x)),
      ),
    ],
  })
  return new RecordBatch(cols as never)
}

interface FileSpec {
  partitions: Row
  isoTimestamps: boolean
  rows: Row[]
  deletedRows: Row[]
  style: StatsStyle
}

function checkProperty(specs: FileSpec[], expr: Expr, dvs: boolean, mapped = false): void {
  const ctx = mapped ? mappedCtx : unmappedCtx
  const bound = bindExpr(expr, ctx.schema)
  const files: FileEntry[] = []
  const batches = new Map<string, RecordBatch>()
  const expected: number[] = []
  let rid = 0
  specs.forEach((spec, k) => {
    const deleted = dvs ? spec.deletedRows : []
    const partitionValues: Record<string, string | null> = {}
    for (const c of PART) {
      partitionValues[mapped ? phys(c.name) : c.name] = partitionString(c, spec.partitions[c.name], spec.isoTimestamps)
    }
    const path = `f${k}.parquet`
    const stats = statsFor([...spec.rows, ...deleted], spec.style, deleted.length === 0, mapped)
    files.push({
      path,
      partitionValues,
      size: 1,
      modificationTime: 0,
      stats,
      add: { path, partitionValues, size: 1, modificationTime: 0, dataChange: true },
    })
    const batch = batchFor(spec.rows, spec.partitions as Row, rid)
    batches.set(path, batch)
    const mask = evaluatePredicate(bound, batch)
    let fileHasMatch = false
    spec.rows.forEach((row, i) => {
      const full: Row = { ...row, ...spec.partitions }
      const ref = evaluateRow(bound, (c) => leafValue(full, c.path))
      // 2. The Arrow filter agrees with the reference evaluator row by row.
      expect(mask[i]).toBe(ref === true ? 1 : 0)
      if (ref === true) {
        expected.push(rid + i)
        fileHasMatch = true
      }
    })
    // 1. No false negative.
    if (fileHasMatch) expect(fileMayMatch(bound, files[k], ctx)).toBe(true)
    rid += spec.rows.length
  })
  // 3. Pruned + filtered = full filtered.
  const { files: kept, stats } = pruneFiles(files, bound, ctx)
  expect(stats.total).toBe(files.length)
  expect(stats.kept + stats.prunedByPartition + stats.skippedByStats).toBe(files.length)
  // 4. Columnar pruning (what the scan planner runs) decides exactly as per-file pruning.
  const columnar = pruneColumns(entryColumns(files, ctx), bound, ctx)
  expect(columnar.stats).toEqual(stats)
  expect(files.filter((_, i) => columnar.keep[i] === 1)).toEqual(kept)
  // 5. Over add actions holding the stats as JSON text (as commits do; every third one cut short, which
  // JSON.parse rejects), the columnar pass over the adds decides as per-file pruning of their entries.
  const adds = files.map((f, k) => {
    const text = f.stats === undefined ? undefined : JSON.stringify(f.stats)
    return { ...f.add, stats: text !== undefined && k % 3 === 2 ? text.slice(0, -1) : text }
  })
  const entries = adds.map(fileEntryOf)
  const perFile = pruneFiles(entries, bound, ctx)
  const fromAdds = pruneColumns(addColumns(adds, ctx), bound, ctx)
  expect(fromAdds.stats).toEqual(perFile.stats)
  expect(entries.filter((_, i) => fromAdds.keep[i] === 1)).toEqual(perFile.files)
  const got: number[] = []
  for (const f of kept) {
    const out = filterBatch(batches.get(f.path)!, bound)
    got.push(...(out.getChild('rid')!.toArray() as Int32Array))
  }
  expect(got.sort((x, y) => x - y)).toEqual(expected)
}

describe('pruning and row filtering (property)', () => {
  it('never prune a file holding a matching row, and pruned + filtered equals full filtered (random trees)', () => {
    fc.assert(
      fc.property(
        fc.array(fileArb, { minLength: 1, maxLength: 6 }),
        exprArb,
        fc.boolean(),
        fc.boolean(),
        checkProperty,
      ),
      {
        numRuns: 300,
      },
    )
  })

  it('never prune a file holding a matching row for single (possibly negated) conditions', () => {
    // Single leaves hit the boundary cases (a literal equal to a truncated bound, NaN beyond max) far more often.
    const leaf = fc.oneof(
      leafArb(),
      leafArb().map((x) => not(x)),
    )
    fc.assert(
      fc.property(fc.array(fileArb, { minLength: 1, maxLength: 4 }), leaf, fc.boolean(), fc.boolean(), checkProperty),
      {
        numRuns: 600,
      },
    )
  })

  it.each(COLS.map((c) => [c.name, c] as const))(
    'never prune a file holding a matching row for conditions on %s alone',
    (_name, c) => {
      const leaf = fc.oneof(
        leafArb([c]),
        leafArb([c]).map((x) => not(x)),
      )
      // Truncated string bounds have the most corner cases; give them more runs.
      fc.assert(
        fc.property(fc.array(fileArb, { minLength: 1, maxLength: 3 }), leaf, fc.boolean(), fc.boolean(), checkProperty),
        {
          numRuns: c.name === 'c' ? 1000 : 250,
        },
      )
    },
  )

  it.each([false, true])('prunes something on selective predicates (not vacuous; column mapping %s)', (mapped) => {
    const ctx = mapped ? mappedCtx : unmappedCtx
    let pruned = 0
    let total = 0
    fc.assert(
      fc.property(fc.array(fileArb, { minLength: 3, maxLength: 6 }), fc.constantFrom('eq', 'gt', 'lt'), (specs, op) => {
        const expr = bindExpr((col('a') as unknown as Record<string, (x: LiteralValue) => Expr>)[op](0n), ctx.schema)
        const files = specs.map((spec, k): FileEntry => {
          const path = `f${k}`
          const pv = Object.fromEntries(
            PART.map((c) => [
              mapped ? phys(c.name) : c.name,
              partitionString(c, spec.partitions[c.name], spec.isoTimestamps),
            ]),
          )
          return {
            path,
            partitionValues: pv,
            size: 1,
            modificationTime: 0,
            stats: statsFor(spec.rows, { ...spec.style, none: false }, true, mapped),
            add: { path, partitionValues: pv, size: 1, modificationTime: 0, dataChange: true },
          }
        })
        const { stats } = pruneFiles(files, expr, ctx)
        pruned += stats.skippedByStats
        total += stats.total
      }),
      { numRuns: 100 },
    )
    expect(pruned).toBeGreaterThan(total * 0.2)
  })
})
