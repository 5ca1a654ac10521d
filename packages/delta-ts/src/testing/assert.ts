import { AssertionError } from 'node:assert'
import { DeltaTable, Snapshot, type StructField } from 'delta-ts'
import stringify from 'fast-json-stable-stringify'
import { outputFields, type ReadRowsOptions, readRows, resolveSnapshot, rowComparator, type TestRow } from './tables.js'
import { coerceValue, formatValue, plainUntyped } from './values.js'

/** Options of {@link assertRows}, {@link compareRows} and the `toHaveRows` matcher. */
export interface AssertRowsOptions extends ReadRowsOptions {
  /**
   * Compare row by row in order (after `orderBy`, which then decides the order). Default false: the rows are
   * compared as a multiset (order-insensitive; duplicates count).
   */
  ordered?: boolean
  /** A prefix for the failure message. */
  message?: string
}

/** The outcome of {@link compareRows}. */
export interface RowComparison {
  /** True when the rows are equal (as a multiset, or in order with `ordered`). */
  pass: boolean
  /** The actual rows in plain form (sorted unless `ordered`). */
  actual: TestRow[]
  /** The expected rows in the same plain form and order as `actual`. */
  expected: TestRow[]
  /** Expected rows the table lacks (with multiplicity; order-insensitive comparisons only). */
  missing: TestRow[]
  /** Rows the table has that were not expected (with multiplicity; order-insensitive comparisons only). */
  unexpected: TestRow[]
  /** A readable description of the difference ('' when equal). */
  diff: string
}

const MAX_LISTED = 25

/** What the table (or rows) under test can be. */
export type RowsUnderTest = DeltaTable | Snapshot | string | readonly TestRow[]

/**
 * Normalizes an expected row to the plain form of the table's columns, so a test may write the values the
 * natural way (`1n` or `1` or `'1'` for a long, a Date or an ISO string for a timestamp, `'12.5'` for a
 * decimal(10,2)). A value that does not fit its column is kept in untyped plain form: it then shows up in the
 * diff instead of throwing. Keys that are not columns are kept too (and make the row differ).
 */
function normalizeExpected(row: TestRow, fields: readonly StructField[] | undefined): TestRow {
  if (!fields) return plainUntyped(row) as TestRow
  const out: TestRow = {}
  for (const f of fields) {
    const v = row[f.name]
    try {
      out[f.name] = formatValue(coerceValue(v, f.type, true, f.name), f.type)
    } catch {
      out[f.name] = plainUntyped(v)
    }
  }
  for (const k of Object.keys(row)) if (!fields.some((f) => f.name === k)) out[k] = plainUntyped(row[k])
  return out
}

function listRows(title: string, sign: string, rows: readonly TestRow[]): string[] {
  if (rows.length === 0) return []
  const lines = [`${title}:`]
  for (const r of rows.slice(0, MAX_LISTED)) lines.push(`  ${sign} ${stringify(r)}`)
  if (rows.length > MAX_LISTED) lines.push(`  ... and ${rows.length - MAX_LISTED} more`)
  return lines
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}

/**
 * Compares the rows of a table (or snapshot, URI, or an array of rows) with `expected`, without throwing.
 * Expected values are normalized to the columns' types first (see {@link readRows} for the plain form), so
 * `{ id: 1n, at: new Date(...) }` matches what `readRows` returns. Order-insensitive unless `ordered`.
 *
 * @throws DeltaError from reading the table (`TABLE_NOT_FOUND`, `INVALID_ARGUMENT` for an unknown column...).
 */
export async function compareRows(
  actual: RowsUnderTest,
  expected: readonly TestRow[],
  options: AssertRowsOptions = {},
): Promise<RowComparison> {
  let fields: StructField[] | undefined
  let actualRows: TestRow[]
  if (Array.isArray(actual)) {
    actualRows = (actual as readonly TestRow[]).map((r) => plainUntyped(r) as TestRow)
  } else {
    const snapshot = await resolveSnapshot(actual as DeltaTable | Snapshot | string, options)
    fields = outputFields(snapshot, options.columns)
    actualRows = await readRows(snapshot, options)
  }
  let expectedRows = expected.map((r) => normalizeExpected(r, fields))
  const ordered = options.ordered ?? false
  if (!ordered) {
    const sort = fields ? rowComparator(fields) : (a: TestRow, b: TestRow) => cmpText(stringify(a), stringify(b))
    actualRows = [...actualRows].sort(sort)
    expectedRows = [...expectedRows].sort(sort)
  }
  const lines: string[] = []
  const missing: TestRow[] = []
  const unexpected: TestRow[] = []
  if (ordered) {
    const n = Math.max(actualRows.length, expectedRows.length)
    for (let i = 0; i < n; i++) {
      const a = actualRows[i]
      const e = expectedRows[i]
      if (a !== undefined && e !== undefined && stringify(a) === stringify(e)) continue
      if (lines.length / 2 >= MAX_LISTED) {
        lines.push('  ...')
        break
      }
      lines.push(`  row ${i}: - ${e === undefined ? '(none)' : stringify(e)}`)
      lines.push(`  row ${i}: + ${a === undefined ? '(none)' : stringify(a)}`)
    }
  } else {
    const counts = new Map<string, { row: TestRow; n: number }>()
    for (const r of actualRows) {
      const k = stringify(r)
      const c = counts.get(k)
      if (c) c.n++
      else counts.set(k, { row: r, n: 1 })
    }
    for (const r of expectedRows) {
      const c = counts.get(stringify(r))
      if (c && c.n > 0) c.n--
      else missing.push(r)
    }
    for (const { row, n } of counts.values()) for (let i = 0; i < n; i++) unexpected.push(row)
    if (fields) {
      const sort = rowComparator(fields)
      unexpected.sort(sort)
    }
    lines.push(...listRows(`${plural(missing.length, 'expected row')} missing`, '-', missing))
    lines.push(...listRows(`${plural(unexpected.length, 'unexpected row')}`, '+', unexpected))
  }
  const pass = lines.length === 0
  const head = `${options.message ? `${options.message}: ` : ''}rows differ (${ordered ? 'in order' : 'order-insensitive'}): expected ${plural(expectedRows.length, 'row')}, got ${actualRows.length}`
  return {
    pass,
    actual: actualRows,
    expected: expectedRows,
    missing,
    unexpected,
    diff: pass ? '' : [head, ...lines].join('\n'),
  }
}

function cmpText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/**
 * Asserts that a table (latest version, or `options.version`), a snapshot, a table URI or an array of rows
 * holds exactly `expected`: order-insensitive by default (a multiset: duplicates count), every column compared
 * unless `columns` narrows it. Expected values may be written in their natural JavaScript form (bigint, Date,
 * number) or in the plain form {@link readRows} returns. Works with `node:test`, vitest, jest or plain scripts.
 *
 * @example
 * await assertRows(table, [{ id: 1n, name: 'ada' }, { id: 2n, name: 'grace' }])
 *
 * @throws AssertionError (from `node:assert`) whose message lists the missing and unexpected rows, one JSON line
 *   each (and whose `actual`/`expected` hold the sorted plain rows, for a test runner's own diff);
 *   DeltaError when the table cannot be read.
 */
export async function assertRows(
  actual: RowsUnderTest,
  expected: readonly TestRow[],
  options: AssertRowsOptions = {},
): Promise<void> {
  const r = await compareRows(actual, expected, options)
  if (r.pass) return
  throw new AssertionError({ message: r.diff, actual: r.actual, expected: r.expected, operator: 'assertRows' })
}

/** The `this` a vitest/jest matcher receives (only what the delta matchers use). */
export interface MatcherContext {
  isNot?: boolean
}

/** The result a vitest/jest matcher returns. */
export interface MatcherResult {
  pass: boolean
  message: () => string
  actual?: unknown
  expected?: unknown
}

/**
 * The type of the delta matchers on an assertion, for declaration merging when registering
 * {@link deltaMatchers} yourself:
 *
 * ```ts
 * declare module 'vitest' { interface Matchers<T = any> extends DeltaMatchers<T> {} }
 * ```
 * (`delta-ts/testing/vitest` does this and the registration for you.)
 */
export interface DeltaMatchers<R = unknown> {
  /**
   * Passes when the table (DeltaTable, Snapshot, URI or rows array) holds exactly `expected`
   * (see {@link assertRows}). Asynchronous: `await expect(table).toHaveRows([...])`.
   */
  toHaveRows(expected: readonly TestRow[], options?: AssertRowsOptions): Promise<R>
}

/**
 * Custom matchers for vitest (or jest): `expect.extend(deltaMatchers)`, then
 * `await expect(table).toHaveRows([{ id: 1n }])`. The failure message is {@link assertRows}'s row diff.
 */
export const deltaMatchers = {
  async toHaveRows(
    this: MatcherContext,
    received: unknown,
    expected: readonly TestRow[],
    options?: AssertRowsOptions,
  ): Promise<MatcherResult> {
    if (
      !(
        received instanceof DeltaTable ||
        received instanceof Snapshot ||
        typeof received === 'string' ||
        Array.isArray(received)
      )
    ) {
      return {
        pass: false,
        message: () =>
          `toHaveRows: expected a DeltaTable, a Snapshot, a table URI or an array of rows, got ${typeof received}`,
      }
    }
    const r = await compareRows(received as RowsUnderTest, expected, options)
    return {
      pass: r.pass,
      message: () =>
        this.isNot
          ? `expected the table not to hold these ${r.expected.length} rows, but it does:\n${r.expected
              .slice(0, MAX_LISTED)
              .map((row) => `  ${stringify(row)}`)
              .join('\n')}`
          : r.diff,
      actual: r.actual,
      expected: r.expected,
    }
  },
}
