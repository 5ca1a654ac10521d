/**
 * The three load jobs (products_job, orders_job, order_items_job): read this run's preprocessed CSVs, check
 * the dataset's expectations, quarantine dropped rows (Delta tables under rejected/), collapse duplicates, and MERGE (upsert) the batch into the Delta
 * table with an application transaction, then archive the raw files whose data is committed.
 */

import type { Table } from 'apache-arrow'
import type { Snapshot } from 'delta-ts'
import { arrowToRows, rowsToArrow } from './arrow.js'
import { parseCsvRecords, toCsv } from './csv.js'
import type { DatasetDef, DatasetName } from './datasets.js'
import { type Expectation, type ExpectationResult, mergeExpectations } from './expectations.js'
import { type QuarantineWrite, writeQuarantine } from './quarantine.js'
import {
  countReasons,
  dedupByKey,
  type RawRecord,
  type ReferenceKeys,
  type Rejection,
  RULES,
  type TypedRow,
  type TypedValue,
  validateBatch,
} from './rules.js'
import { type FileStore, joinKey, listAll, readText, writeText } from './store.js'
import type { Warehouse } from './warehouse.js'

/** Identity of the run a job belongs to. */
export interface RunContext {
  warehouse: Warehouse
  runId: string
  /** Run sequence number (1, 2, ...), the version of the jobs' application transactions. */
  runSeq: number
  /** Called with the number of rows validated so far (for progress bars). */
  onRows?: (n: number) => void
  /** User expectations per dataset, merged into {@link RULES} by name (see `mergeExpectations`). */
  expectations?: Partial<Record<DatasetName, readonly Expectation[]>>
}

/** The run log of one job (`logs/<job>/<run-id>.json`). */
export interface JobRunLog {
  job: string
  dataset: string
  runId: string
  runSeq: number
  startedAt: string
  status: 'succeeded'
  sourceFiles: string[]
  inputRows: number
  accepted: number
  rejected: number
  rejectedByReason: Record<string, number>
  /** Per-expectation pass/fail counts over the input rows, in declaration order. */
  expectations: ExpectationResult[]
  /** Accepted rows that failed a `warn` expectation. */
  warned: number
  /** Where this run's dropped rows went (the dataset's quarantine Delta table). */
  quarantine: QuarantineWrite
  duplicates: number
  /** input = accepted + rejected + duplicates, checked before anything is written. */
  balanced: boolean
  inserted: number
  updated: number
  unchanged: number
  /** True when this run's transaction was already in the table (a retried run): nothing was written again. */
  alreadyApplied: boolean
  /** Data files the commit added. */
  dataFilesAdded: number
  tableVersion: number
  commitAttempts: number
  durationMs: number
}

/** What a job hands to the steps after it. */
export interface JobOutput {
  log: JobRunLog
  /** Keys of the accepted rows of this batch (order_items checks against orders and products). */
  keys: Set<bigint>
}

/** Application transaction id of a job's commits within one run. */
export function appIdOf(job: string, runId: string): string {
  return `ecommerce-etl/${job}/${runId}`
}

/** Reads this run's preprocessed CSVs of a dataset, in key order, as raw records. */
export async function readPreprocessed(
  store: FileStore,
  dataset: string,
  runId: string,
): Promise<{ records: RawRecord[]; files: string[] }> {
  const files = (await listAll(store, `${joinKey('preprocessed', dataset, runId)}/`))
    .map((o) => o.path)
    .filter((p) => p.endsWith('.csv'))
  const records: RawRecord[] = []
  for (const f of files) {
    const name = f.slice(f.lastIndexOf('/') + 1)
    for (const r of parseCsvRecords(await readText(store, f), name, '', records.length)) records.push(r)
  }
  return { records, files }
}

/**
 * Serializes rejected rows as CSV: origin and reasons first, then the original fields as they came (an
 * export format; the jobs write quarantine Delta tables).
 */
export function rejectedCsv(runId: string, rejected: readonly Rejection[]): string {
  const fieldNames: string[] = []
  for (const r of rejected)
    for (const k of Object.keys(r.record.fields)) if (!fieldNames.includes(k)) fieldNames.push(k)
  const head = ['run_id', 'file', 'sheet', 'row_number', 'reasons', 'details', ...fieldNames.map((f) => `field_${f}`)]
  return toCsv(
    head,
    rejected.map((r) => [
      runId,
      r.record.file,
      r.record.sheet,
      r.record.row,
      r.reasons.join(';'),
      r.details.join('; '),
      ...fieldNames.map((f) => r.record.fields[f] ?? ''),
    ]),
  )
}

function sameValue(a: TypedValue | undefined, b: TypedValue | undefined): boolean {
  return (a ?? null) === (b ?? null)
}

/** Splits a deduplicated batch against the table's current rows into inserts, updates and unchanged rows. */
export function diffAgainstTarget(
  def: DatasetDef,
  rows: readonly TypedRow[],
  target: ReadonlyMap<TypedValue, Record<string, TypedValue>>,
): { changed: TypedRow[]; inserts: number; updates: number; unchanged: number } {
  const changed: TypedRow[] = []
  let inserts = 0
  let updates = 0
  for (const row of rows) {
    const t = target.get(row.values[def.key])
    if (!t) {
      inserts++
      changed.push(row)
    } else if (def.columns.some((c) => !sameValue(row.values[c.name], t[c.name]))) {
      updates++
      changed.push(row)
    }
  }
  return { changed, inserts, updates, unchanged: rows.length - changed.length }
}

/** Reads every row of a snapshot (all columns) keyed by the dataset key. */
async function targetRows(snap: Snapshot, def: DatasetDef): Promise<Map<TypedValue, Record<string, TypedValue>>> {
  const rows = new Map<TypedValue, Record<string, TypedValue>>()
  for (const r of arrowToRows(await snap.scan({}).toArrow())) rows.set(r[def.key], r)
  return rows
}

/** Reads one key column of a dataset's table (empty when the table does not exist yet). */
export async function tableKeys(warehouse: Warehouse, def: DatasetDef): Promise<Set<bigint>> {
  const table = await warehouse.openTable(def.name)
  if (!table) return new Set()
  const snap = await table.snapshot()
  const arrow = (await snap.scan({ columns: [def.key] }).toArrow()) as Table
  return new Set(arrowToRows(arrow, [def.key]).map((r) => r[def.key] as bigint))
}

/** Moves the raw files of a dataset that this run read to `archive/<run-id>/...`. */
export async function archiveRawFiles(store: FileStore, runId: string, rawPaths: readonly string[]): Promise<string[]> {
  const out: string[] = []
  for (const p of rawPaths) {
    const dest = joinKey('archive', runId, p.replace(/^raw\//, ''))
    let bytes: Uint8Array
    try {
      bytes = await store.read(p)
    } catch {
      continue // already archived by an earlier attempt of this run
    }
    await store.put(dest, bytes, { overwrite: true })
    await store.delete(p)
    out.push(dest)
  }
  return out
}

const MAX_CONFLICT_RETRIES = 8

/**
 * Runs one load job. `refs` are the keys referencing rows must find (order_items only). Throws when the
 * accounting does not balance (a bug), on storage errors, or when the commit keeps conflicting.
 */
export async function runJob(def: DatasetDef, ctx: RunContext, refs: ReferenceKeys = {}): Promise<JobOutput> {
  const t0 = Date.now()
  const startedAt = new Date(t0).toISOString()
  const { store } = ctx.warehouse
  const { records, files } = await readPreprocessed(store, def.name, ctx.runId)
  const expectations = mergeExpectations(RULES[def.name], ctx.expectations?.[def.name])
  const { accepted, rejected, expectations: results, warned } = validateBatch(def, records, refs, expectations)
  ctx.onRows?.(records.length)
  const { rows, duplicates } = dedupByKey(def, accepted)
  const balanced = records.length === rows.length + rejected.length + duplicates
  if (!balanced)
    throw new Error(
      `${def.job}: accounting does not balance: ${records.length} input ≠ ${rows.length} + ${rejected.length} + ${duplicates}`,
    )

  const quarantine = await writeQuarantine(
    ctx.warehouse,
    def,
    { runId: ctx.runId, runSeq: ctx.runSeq, appId: appIdOf(`${def.job}/quarantine`, ctx.runId) },
    rejected,
  )

  const table = await ctx.warehouse.ensureTable(def)
  const appId = appIdOf(def.job, ctx.runId)
  let inserted = 0
  let updated = 0
  let unchanged = rows.length
  let alreadyApplied = false
  let dataFilesAdded = 0
  let tableVersion = -1
  let attempts = 0
  for (;;) {
    attempts++
    const snap = await table.snapshot()
    const applied = await snap.appTransactionVersion(appId)
    if (applied !== undefined && applied >= ctx.runSeq) {
      alreadyApplied = true
      inserted = 0
      updated = 0
      unchanged = rows.length
      tableVersion = snap.version
      break
    }
    // Diff against the same snapshot the txn check used, so both see one table state.
    const diff = diffAgainstTarget(def, rows, await targetRows(snap, def))
    unchanged = diff.unchanged
    if (diff.changed.length === 0) {
      // Nothing to change: no commit at all, so a rerun leaves the table byte-identical.
      inserted = 0
      updated = 0
      tableVersion = snap.version
      break
    }
    try {
      // One atomic commit: updates and inserts land together with the run's transaction.
      const result = await table
        .merge(rowsToArrow(def, diff.changed), { on: [def.key], txn: { appId, version: ctx.runSeq } })
        .whenMatchedUpdateAll()
        .whenNotMatchedInsertAll()
        .execute()
      tableVersion = result.version
      if (result.skipped) {
        // The transaction landed between our snapshot check and the merge (a concurrent retry of this run).
        alreadyApplied = true
        unchanged = rows.length
        break
      }
      inserted = result.metrics.numTargetRowsInserted
      updated = result.metrics.numTargetRowsUpdated
      dataFilesAdded = result.metrics.numFilesAdded
      unchanged = rows.length - inserted - updated
      break
    } catch (err) {
      // Another pipeline committed to this table since we read it: re-read and merge again.
      if ((err as { code?: string }).code === 'COMMIT_CONFLICT' && attempts < MAX_CONFLICT_RETRIES) continue
      throw err
    }
  }

  const log: JobRunLog = {
    job: def.job,
    dataset: def.name,
    runId: ctx.runId,
    runSeq: ctx.runSeq,
    startedAt,
    status: 'succeeded',
    sourceFiles: files,
    inputRows: records.length,
    accepted: rows.length,
    rejected: rejected.length,
    rejectedByReason: countReasons(rejected),
    expectations: results,
    warned,
    quarantine,
    duplicates,
    balanced,
    inserted,
    updated,
    unchanged,
    alreadyApplied,
    dataFilesAdded,
    tableVersion,
    commitAttempts: attempts,
    durationMs: Date.now() - t0,
  }
  await writeText(store, joinKey('logs', def.job, `${ctx.runId}.json`), `${JSON.stringify(log, null, 2)}\n`)
  return { log, keys: new Set(rows.map((r) => r.values[def.key] as bigint)) }
}
