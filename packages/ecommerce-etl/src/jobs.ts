/**
 * The three load jobs (products_job, orders_job, order_items_job), streaming on columns: read this run's
 * preprocessed CSVs batch by batch as columns, type them into Arrow data and check the dataset's expectations
 * on it, quarantine dropped rows (Delta tables under rejected/), collapse duplicates through a hash of the key
 * column, and MERGE the batch into the Delta table with an application transaction — the MERGE's own
 * null-safe change detection decides what is inserted, updated or left alone. Then the raw files whose data
 * is committed are archived.
 */

import { makeData, RecordBatch, Schema, Struct, Table } from 'apache-arrow'
import { csvBatches, recordAt } from './columns.js'
import { parseCsvRecords, toCsv } from './csv.js'
import type { DatasetDef, DatasetName } from './datasets.js'
import {
  type CompiledExpectation,
  compileExpectations,
  type Expectation,
  ExpectationFailedError,
  type ExpectationResult,
  evaluateBatch,
  mergeExpectations,
} from './expectations.js'
import { Int64Table } from './keys.js'
import { type QuarantineWrite, writeQuarantine } from './quarantine.js'
import {
  classifyBatch,
  countReasons,
  dedupBatches,
  type RawRecord,
  type ReferenceKeys,
  type Rejection,
  RULES,
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
  /** Rows per column batch read from the CSVs (default 65,536): what bounds the per-batch memory. */
  batchRows?: number
  /** Data file size at which the MERGE rolls to a new file (delta-ts's default when unset). */
  targetFileSize?: number
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
  /** Wall time of each stage of the job (ms): read + validate overlap per batch, so they are summed per batch. */
  stageMs: JobStageMs
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

/** Where a job's time went (ms). */
export interface JobStageMs {
  /** Reading the preprocessed CSVs and cutting them into column batches. */
  read: number
  /** Typing the columns and evaluating the expectations on them. */
  validate: number
  /** Hash dedup on the key column. */
  dedup: number
  /** Writing the quarantine table. */
  quarantine: number
  /** The change-detecting MERGE (join, file rewrites, commit). */
  merge: number
}

/** What a job hands to the steps after it. */
export interface JobOutput {
  log: JobRunLog
  /** Keys of the accepted rows of this batch (order_items checks against orders and products). */
  keys: Int64Table
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

/**
 * Adds the key column of a dataset's table to `into` (a new set by default), read as one projected column
 * batch by batch, so memory is the key set, not the table. A table that does not exist yet adds nothing.
 */
export async function tableKeys(warehouse: Warehouse, def: DatasetDef, into = new Int64Table()): Promise<Int64Table> {
  const table = await warehouse.openTable(def.name)
  if (!table) return into
  const snap = await table.snapshot()
  for await (const b of snap.scan({ columns: [def.key] }).batches()) into.addColumn(b.data.children[0])
  return into
}

/**
 * The MERGE condition under which a matched row is updated: some column differs, nulls compared null-safely
 * (`<=>`), so unchanged rows are copied, not rewritten, and a batch of unchanged rows commits nothing.
 */
export function changedCondition(def: DatasetDef): string {
  return `NOT (${def.columns.map((c) => `target.${c.name} <=> source.${c.name}`).join(' AND ')})`
}

/** The typed dataset columns of an expectation batch (its first children), as a batch of their own. */
function datasetColumns(def: DatasetDef, batch: RecordBatch): RecordBatch {
  const fields = batch.schema.fields.slice(0, def.columns.length)
  return new RecordBatch(
    new Schema(fields),
    makeData({
      type: new Struct(fields),
      length: batch.numRows,
      nullCount: 0,
      children: batch.data.children.slice(0, def.columns.length),
    }),
  )
}

/** What validating a job's input gave: accepted column batches, rejections, counts. */
interface ValidatedInput {
  /** Typed dataset columns of every batch, with `keep` marking its accepted rows. */
  accepted: RecordBatch[]
  keep: Uint8Array[]
  rejected: Rejection[]
  results: ExpectationResult[]
  warned: number
  inputRows: number
  files: string[]
  readMs: number
  validateMs: number
}

/**
 * Reads this run's preprocessed CSVs of a dataset batch by batch (as columns), evaluates the expectations on
 * each batch and keeps the accepted rows' typed columns. A violated `fail` expectation throws after every
 * batch was counted, naming the first violating row.
 */
async function readAndValidate(
  def: DatasetDef,
  ctx: RunContext,
  compiled: readonly CompiledExpectation[],
  refs: ReferenceKeys,
): Promise<ValidatedInput> {
  const { store } = ctx.warehouse
  const files = (await listAll(store, `${joinKey('preprocessed', def.name, ctx.runId)}/`))
    .map((o) => o.path)
    .filter((p) => p.endsWith('.csv'))
  const out: ValidatedInput = {
    accepted: [],
    keep: [],
    rejected: [],
    results: compiled.map((e) => ({ name: e.name, action: e.action, predicate: e.predicate, passed: 0, failed: 0 })),
    warned: 0,
    inputRows: 0,
    files,
    readMs: 0,
    validateMs: 0,
  }
  // Per violated `fail` expectation (by index): its first violating row.
  const failures = new Map<number, RawRecord>()
  for (const f of files) {
    const name = f.slice(f.lastIndexOf('/') + 1)
    let t = performance.now()
    const text = await readText(store, f)
    const batches = csvBatches(text, name, '', { start: out.inputRows, batchRows: ctx.batchRows })
    for (;;) {
      const next = batches.next()
      out.readMs += performance.now() - t
      if (next.done) break
      const raw = next.value
      t = performance.now()
      const outcome = evaluateBatch(def, raw, compiled, refs)
      outcome.results.forEach((r, k) => {
        out.results[k].passed += r.passed
        out.results[k].failed += r.failed
      })
      compiled.forEach((e, k) => {
        if (e.action === 'fail' && outcome.results[k].failed > 0 && !failures.has(k))
          failures.set(k, recordAt(raw, outcome.passed[k].indexOf(0)))
      })
      // Once the job is bound to fail, the rest of the input is only counted.
      if (failures.size === 0) {
        const { keep, rejected, warned } = classifyBatch(compiled, outcome.passed, raw)
        out.warned += warned
        for (const r of rejected) out.rejected.push(r)
        // The whole batch's columns and which rows are accepted: dedup selects survivors among them in one take.
        out.accepted.push(datasetColumns(def, outcome.batch))
        out.keep.push(keep)
      }
      out.inputRows += raw.length
      ctx.onRows?.(out.inputRows)
      out.validateMs += performance.now() - t
      t = performance.now()
    }
  }
  if (failures.size > 0) {
    // The first violated `fail` expectation in declaration order; the count covers every batch.
    const k = Math.min(...failures.keys())
    throw new ExpectationFailedError(def.name, compiled[k], failures.get(k) as RawRecord, out.results[k].failed)
  }
  return out
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
 * Runs one load job, streaming: the input is read and validated batch by batch on columns, only rejected rows
 * become records, duplicates collapse through a hash of the key column, and one MERGE with a change-detecting
 * condition (`changedCondition`) inserts new keys and updates changed rows — the target table is never read
 * into memory beyond the one file the MERGE is rewriting. `refs` are the keys referencing rows must find
 * (order_items only). Throws when the accounting does not balance (a bug), on storage errors, when a `fail`
 * expectation is violated, or when the commit keeps conflicting.
 */
export async function runJob(def: DatasetDef, ctx: RunContext, refs: ReferenceKeys = {}): Promise<JobOutput> {
  const t0 = Date.now()
  const startedAt = new Date(t0).toISOString()
  const { store } = ctx.warehouse
  const compiled = compileExpectations(def, mergeExpectations(RULES[def.name], ctx.expectations?.[def.name]))
  const input = await readAndValidate(def, ctx, compiled, refs)
  const { rejected, files } = input
  let t = performance.now()
  const { batches, duplicates, keys } = dedupBatches(def, input.accepted, input.keep)
  input.accepted.length = 0
  input.keep.length = 0
  const dedupMs = performance.now() - t
  const accepted = batches.reduce((n, b) => n + b.numRows, 0)
  const balanced = input.inputRows === accepted + rejected.length + duplicates
  if (!balanced)
    throw new Error(
      `${def.job}: accounting does not balance: ${input.inputRows} input ≠ ${accepted} + ${rejected.length} + ${duplicates}`,
    )

  t = performance.now()
  const quarantine = await writeQuarantine(
    ctx.warehouse,
    def,
    { runId: ctx.runId, runSeq: ctx.runSeq, appId: appIdOf(`${def.job}/quarantine`, ctx.runId) },
    rejected,
  )
  const quarantineMs = performance.now() - t

  t = performance.now()
  const table = await ctx.warehouse.ensureTable(def)
  const appId = appIdOf(def.job, ctx.runId)
  let inserted = 0
  let updated = 0
  let alreadyApplied = false
  let dataFilesAdded = 0
  let tableVersion = -1
  let attempts = 0
  for (;;) {
    attempts++
    if (accepted === 0) {
      // Nothing to merge: no commit at all.
      const snap = await table.snapshot()
      const applied = await snap.appTransactionVersion(appId)
      alreadyApplied = applied !== undefined && applied >= ctx.runSeq
      tableVersion = snap.version
      break
    }
    try {
      // One atomic commit: updates and inserts land together with the run's transaction; a batch with no new
      // or changed row commits nothing (skipEmptyCommit), so a rerun leaves the table byte-identical.
      const result = await table
        .merge(new Table(batches), {
          on: [def.key],
          txn: { appId, version: ctx.runSeq },
          skipEmptyCommit: true,
          targetFileSize: ctx.targetFileSize,
        })
        .whenMatchedUpdateAll({ condition: changedCondition(def) })
        .whenNotMatchedInsertAll()
        .execute()
      tableVersion = result.version
      if (result.skipped) {
        // This run's transaction is already in the table (a retried run): nothing is applied again.
        alreadyApplied = true
        break
      }
      inserted = result.metrics.numTargetRowsInserted
      updated = result.metrics.numTargetRowsUpdated
      dataFilesAdded = result.metrics.numFilesAdded
      break
    } catch (err) {
      // Another pipeline committed to this table since the merge read it: merge again on the new state.
      if ((err as { code?: string }).code === 'COMMIT_CONFLICT' && attempts < MAX_CONFLICT_RETRIES) continue
      throw err
    }
  }
  const mergeMs = performance.now() - t
  const round = (ms: number) => Math.round(ms)

  const log: JobRunLog = {
    job: def.job,
    dataset: def.name,
    runId: ctx.runId,
    runSeq: ctx.runSeq,
    startedAt,
    status: 'succeeded',
    sourceFiles: files,
    inputRows: input.inputRows,
    accepted,
    rejected: rejected.length,
    rejectedByReason: countReasons(rejected),
    expectations: input.results,
    warned: input.warned,
    quarantine,
    duplicates,
    stageMs: {
      read: round(input.readMs),
      validate: round(input.validateMs),
      dedup: round(dedupMs),
      quarantine: round(quarantineMs),
      merge: round(mergeMs),
    },
    balanced,
    inserted,
    updated,
    unchanged: accepted - inserted - updated,
    alreadyApplied,
    dataFilesAdded,
    tableVersion,
    commitAttempts: attempts,
    durationMs: Date.now() - t0,
  }
  await writeText(store, joinKey('logs', def.job, `${ctx.runId}.json`), `${JSON.stringify(log, null, 2)}\n`)
  return { log, keys }
}
