/**
 * Quarantine tables: the rows a job drops (failed `drop` expectations) land in a Delta table per dataset,
 * `rejected/<dataset>/` under the warehouse, queryable as `quarantine.<dataset>` and time-travelled like the
 * warehouse tables.
 *
 * One row per rejected input row: `rejection_id` (SHA-256 of origin, original fields and reasons), `run_id`
 * (the run that first rejected it), `file`, `sheet`, `row_number`, `reasons` (sorted, `;`-separated codes),
 * `details`, `field_<column>` (the original text of each dataset column, null when absent) and
 * `other_fields` (JSON of any other input fields, null when none).
 *
 * Idempotence: rows are merged on `rejection_id`, insert-only, with the job's application transaction
 * (`<job>/quarantine` appId, version = run sequence), so a retried run adds nothing twice and a rerun of the
 * same input rejecting the same rows for the same reasons leaves the table untouched (no commit).
 */
import { createHash } from 'node:crypto'
import { Field, Int32, makeData, RecordBatch, Schema, Struct, Table, Utf8 } from 'apache-arrow'
import { columnData } from './arrow.js'
import type { DatasetDef } from './datasets.js'
import type { Rejection, TypedValue } from './rules.js'
import type { Warehouse } from './warehouse.js'

/** What a quarantine write did. */
export interface QuarantineWrite {
  /** Warehouse-relative folder of the table (`rejected/<dataset>`). */
  table: string
  /** Rows given (this run's rejections). */
  rows: number
  /** Rows new to the table (the others were already quarantined by an earlier run). */
  inserted: number
  /** The table version after the write; -1 when the table does not exist (nothing ever rejected). */
  version: number
  /** True when this run's quarantine transaction was already in the table (a retried run). */
  alreadyApplied: boolean
}

/** The Arrow schema of a dataset's quarantine table. */
export function quarantineSchema(def: DatasetDef): Schema {
  return new Schema([
    new Field('rejection_id', new Utf8(), false),
    new Field('run_id', new Utf8(), false),
    new Field('file', new Utf8(), true),
    new Field('sheet', new Utf8(), true),
    new Field('row_number', new Int32(), false),
    new Field('reasons', new Utf8(), false),
    new Field('details', new Utf8(), true),
    ...def.columns.map((c) => new Field(`field_${c.name}`, new Utf8(), true)),
    new Field('other_fields', new Utf8(), true),
  ])
}

/** The stable identity of a rejection: same origin, same original fields, same reasons → same id. */
export function rejectionId(r: Rejection): string {
  const fields = Object.entries(r.record.fields).sort(([a], [b]) => (a < b ? -1 : 1))
  return createHash('sha256')
    .update(JSON.stringify([r.record.file, r.record.sheet, r.record.row, fields, r.reasons]))
    .digest('hex')
}

/**
 * Quarantine rows (as an Arrow table with {@link quarantineSchema}) of a run's rejections, in input order.
 * `ids`, when given, are the rejections' {@link rejectionId}s in the same order (a caller that already hashed
 * them passes them so each rejection is hashed once); otherwise they are computed here.
 */
export function quarantineRows(
  def: DatasetDef,
  runId: string,
  rejected: readonly Rejection[],
  ids?: readonly string[],
): Table {
  const schema = quarantineSchema(def)
  const names = new Set(def.columns.map((c) => c.name))
  const cols: Record<string, TypedValue[]> = Object.fromEntries(schema.fields.map((f) => [f.name, []]))
  for (let i = 0; i < rejected.length; i++) {
    const r = rejected[i]
    const other = Object.entries(r.record.fields).filter(([k]) => !names.has(k))
    const row: Record<string, TypedValue> = {
      rejection_id: ids ? ids[i] : rejectionId(r),
      run_id: runId,
      file: r.record.file || null,
      sheet: r.record.sheet || null,
      row_number: r.record.row,
      reasons: r.reasons.join(';'),
      details: r.details.join('; ') || null,
      other_fields: other.length > 0 ? JSON.stringify(Object.fromEntries(other)) : null,
    }
    for (const c of def.columns) row[`field_${c.name}`] = r.record.fields[c.name] ?? null
    for (const f of schema.fields) cols[f.name].push(row[f.name] ?? null)
  }
  const children = schema.fields.map((f) => columnData(f.type, cols[f.name]))
  const data = makeData({ type: new Struct(schema.fields), length: rejected.length, nullCount: 0, children })
  return new Table([new RecordBatch(schema, data)])
}

const MAX_CONFLICT_RETRIES = 8

/**
 * Writes a run's rejections into the dataset's quarantine table (created on the first rejection). Rows whose
 * `rejection_id` is already in the table are not written again; nothing new means no commit. Retries commit
 * conflicts with concurrent pipelines; throws on storage errors.
 */
export async function writeQuarantine(
  warehouse: Warehouse,
  def: DatasetDef,
  ctx: { runId: string; runSeq: number; appId: string },
  rejected: readonly Rejection[],
): Promise<QuarantineWrite> {
  const out: QuarantineWrite = {
    table: `rejected/${def.name}`,
    rows: rejected.length,
    inserted: 0,
    version: -1,
    alreadyApplied: false,
  }
  if (rejected.length === 0) {
    const existing = await warehouse.openQuarantine(def.name)
    if (existing) out.version = (await existing.snapshot()).version
    return out
  }
  const table = await warehouse.ensureQuarantine(def.name, quarantineSchema(def))
  const ids = rejected.map(rejectionId)
  for (let attempt = 1; ; attempt++) {
    const snap = await table.snapshot()
    out.version = snap.version
    const applied = await snap.appTransactionVersion(ctx.appId)
    if (applied !== undefined && applied >= ctx.runSeq) {
      out.alreadyApplied = true
      return out
    }
    // The ids already quarantined, read as one projected column.
    const known = new Set(
      snap.version < 0
        ? []
        : ((await snap.scan({ columns: ['rejection_id'] }).toArrow()).getChild('rejection_id')?.toArray() as string[]),
    )
    // New ids only, each once (a Set: the rejections of a large run are many).
    const fresh: Rejection[] = []
    const freshIds: string[] = []
    for (let i = 0; i < rejected.length; i++) {
      if (known.has(ids[i])) continue
      known.add(ids[i])
      fresh.push(rejected[i])
      freshIds.push(ids[i])
    }
    if (fresh.length === 0) return out
    const batch = quarantineRows(def, ctx.runId, fresh, freshIds)
    try {
      const r = await table
        .merge(batch, { on: ['rejection_id'], txn: { appId: ctx.appId, version: ctx.runSeq } })
        .whenNotMatchedInsertAll()
        .execute()
      out.version = r.version
      out.alreadyApplied = r.skipped === true
      out.inserted = r.metrics.numTargetRowsInserted
      return out
    } catch (err) {
      if ((err as { code?: string }).code === 'COMMIT_CONFLICT' && attempt < MAX_CONFLICT_RETRIES) continue
      throw err
    }
  }
}
