import * as path from 'node:path'
import { Table, type Vector } from 'apache-arrow'
import { expect } from 'vitest'
import { DeltaTable } from '../../src/index.js'
import type { StructType } from '../../src/protocol/schema.js'
import type { WireRow } from './canon.js'
import { readWithDeltaTs } from './compare.js'
import { type BatchSpec, scenarioBatches } from './harness.js'

/**
 * Tables written by delta-ts for the other engines to read (issue 10, direction 1). Every scenario keeps a
 * model of the rows the table must hold after each commit, computed from the batches' wire rows, never read
 * back from the table; the tests compare deltalake's and Spark's reads with this model.
 *
 */
export interface TsScenario {
  name: string
  dir: string
  /** Versions a reader can still reconstruct (all, or only the latest after vacuum and log cleanup). */
  readable: 'all' | 'latest'
  latestVersion: number
  schema: StructType
  partitionColumns: string[]
  /** The model: rows the table holds at each version (index = version). */
  rowsAt: WireRow[][]
  /** The operation delta-ts recorded in commitInfo at each version. */
  operations: string[]
}

const SPEC = {
  b0: { ids: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] },
  b1: { ids: [10, 11, 12, 13] },
  b2: { ids: [200, 201, 202], part: 'a b' },
  b3: { ids: [300, 301, 302] },
  b4: { ids: [400, 401, 402, 403, 404, 405] },
  merge: { ids: [1, 2, 100, 101], tag: '-merged' },
} satisfies Record<string, BatchSpec>

/** Model state: the multiset of rows (appending the same batch twice holds each row twice), per version. */
class Model {
  readonly versions: WireRow[][] = []
  private rows: WireRow[] = []
  commit(): void {
    this.versions.push([...this.rows])
  }
  append(rows: WireRow[]): void {
    this.rows.push(...rows)
  }
  removeWhere(pred: (r: WireRow) => boolean): void {
    this.rows = this.rows.filter((r) => !pred(r))
  }
  overwrite(rows: WireRow[]): void {
    this.rows = [...rows]
  }
  map(fn: (r: WireRow) => WireRow): void {
    this.rows = this.rows.map(fn)
  }
}

/** Builds every delta-ts scenario table under `root`; returns them with their models. */
export async function writeTsScenarios(root: string): Promise<TsScenario[]> {
  const b = await scenarioBatches(root, SPEC)
  const out: TsScenario[] = []
  const finish = async (
    name: string,
    dir: string,
    m: Model,
    readable: 'all' | 'latest',
    partitionColumns: string[],
  ): Promise<TsScenario> => {
    const table = await DeltaTable.open(dir)
    const snap = await table.snapshot()
    const history = await table.history()
    const operations: string[] = []
    for (const h of history) operations[h.version] = h.operation ?? ''
    // The model must describe what delta-ts itself reads, or the comparison with other readers is moot.
    expect(snap.version, `${name}: one model state per version`).toBe(m.versions.length - 1)
    return {
      name,
      dir,
      readable,
      latestVersion: snap.version,
      schema: snap.schema,
      partitionColumns,
      rowsAt: m.versions,
      operations,
    }
  }

  // Partitioned by a string with characters that need escaping (and a null value) and a date; merge, delete,
  // update, replaceWhere, optimize;
  // an automatic checkpoint every 3 commits plus an explicit one.
  {
    const dir = path.join(root, 'ts-mixed')
    const m = new Model()
    const t = await DeltaTable.create(dir, {
      schema: b.b0.table.schema,
      partitionBy: ['part', 'pd'],
      properties: { 'delta.checkpointInterval': '3' },
    })
    m.commit()
    await t.write(b.b0.table)
    m.append(b.b0.rows)
    m.commit()
    await t.write(b.b1.table)
    m.append(b.b1.rows)
    m.commit()
    // MERGE: ids 1 and 2 are updated from the source, 100 and 101 inserted.
    await t
      .merge(b.merge.table, { on: 'target.id = source.id' })
      .whenMatchedUpdateAll()
      .whenNotMatchedInsertAll()
      .execute()
    const merged = new Map(b.merge.rows.map((r) => [r.id, r]))
    m.map((r) => merged.get(r.id) ?? r)
    m.append(b.merge.rows.filter((r) => r.id === '100' || r.id === '101'))
    m.commit()
    await t.delete('id = 3')
    m.removeWhere((r) => r.id === '3')
    m.commit()
    await t.update({ predicate: 'id = 4', set: { s: "'updated'", i32: 'i32 + 1' } })
    m.map((r) => (r.id === '4' ? { ...r, s: 'updated', i32: r.i32 === null ? null : String(Number(r.i32) + 1) } : r))
    m.commit()
    await t.delete('part IS NULL')
    m.removeWhere((r) => r.part === null)
    m.commit()
    await t.write(b.b2.table, { mode: 'overwrite', replaceWhere: "part = 'a b'" })
    m.removeWhere((r) => r.part === 'a b')
    m.append(b.b2.rows)
    m.commit()
    await t.write(b.b3.table)
    m.append(b.b3.rows)
    m.commit()
    await t.checkpoint()
    const opt = await t.optimize()
    expect(opt.commit, 'optimize had small files to compact').toBeDefined()
    m.commit()
    await t.delete('i32 > 9000 AND i32 < 12000')
    m.removeWhere((r) => typeof r.i32 === 'string' && Number(r.i32) > 9000 && Number(r.i32) < 12000)
    m.commit()
    await t.write(b.b1.table)
    m.append(b.b1.rows)
    m.commit()
    out.push(await finish('ts-mixed', dir, m, 'all', ['part', 'pd']))
  }

  // Unpartitioned, no checkpoint: the reader replays JSON commits only; ends with a full overwrite.
  {
    const dir = path.join(root, 'ts-plain')
    const m = new Model()
    const t = await DeltaTable.create(dir, { schema: b.b0.table.schema })
    m.commit()
    await t.write(b.b0.table)
    m.append(b.b0.rows)
    m.commit()
    await t.write(b.b1.table)
    m.append(b.b1.rows)
    m.commit()
    await t.delete('flag = true')
    m.removeWhere((r) => r.flag === true)
    m.commit()
    await t.write(b.b4.table, { mode: 'overwrite' })
    m.overwrite(b.b4.rows)
    m.commit()
    out.push(await finish('ts-plain', dir, m, 'all', []))
  }

  // After vacuum (zero retention) and metadata cleanup: old data files and old commits are gone, the latest
  // version must still read the same everywhere.
  {
    const dir = path.join(root, 'ts-vacuumed')
    const m = new Model()
    const t = await DeltaTable.create(dir, { schema: b.b0.table.schema, partitionBy: ['part'] })
    m.commit()
    for (const k of ['b0', 'b1', 'b3'] as const) {
      await t.write(b[k].table)
      m.append(b[k].rows)
      m.commit()
    }
    await t.write(b.b2.table, { mode: 'overwrite', replaceWhere: "part = 'a b'" })
    m.removeWhere((r) => r.part === 'a b')
    m.append(b.b2.rows)
    m.commit()
    await t.write(b.b4.table, { mode: 'overwrite' })
    m.overwrite(b.b4.rows)
    m.commit()
    await t.checkpoint()
    const vac = await t.vacuum({ retentionHours: 0, enforceRetentionDuration: false })
    expect(vac.files.length, 'vacuum deleted the overwritten files').toBeGreaterThan(0)
    const cleaned = await t.cleanupMetadata({ now: Date.now() + 60 * 24 * 3600 * 1000 })
    expect(cleaned.deletedFiles.length, 'metadata cleanup deleted expired commits').toBeGreaterThan(0)
    out.push(await finish('ts-vacuumed', dir, m, 'latest', ['part']))
  }
  return out
}

/** Checks that delta-ts itself reads each scenario as its model says (a precondition of the interop tests). */
export async function expectTsReadsModel(s: TsScenario): Promise<void> {
  const versions = s.readable === 'all' ? [...Array(s.latestVersion + 1).keys()] : [s.latestVersion]
  for (const v of versions) {
    const got = await readWithDeltaTs(s.dir, v)
    expect
      .soft(sortRows(got.rows), `${s.name} v${v} (${s.operations[v]}) read by delta-ts`)
      .toEqual(sortRows(s.rowsAt[v]))
  }
}

function sortRows(rows: WireRow[]): WireRow[] {
  return [...rows].sort((a, b) => Number(a.id) - Number(b.id))
}

/**
 * delta-ts continues a table another engine wrote: append, delete, update, then a checkpoint. Starts from the
 * writer's own rows at its latest version and returns the model of the new latest version, for the other
 * engine to read back (the mixed-writer case: delta-ts must keep the table valid for its first writer).
 */
export async function continueWithDeltaTs(
  dir: string,
  batchDir: string,
  startRows: WireRow[],
): Promise<{ version: number; rows: WireRow[]; operations: string[] }> {
  const b = await scenarioBatches(batchDir, { more: { ids: [900, 901, 902, 903] } })
  const t = await DeltaTable.open(dir)
  const startVersion = await t.version()
  const snap = await t.snapshot()
  // The other writer's schema decides the columns: the Spark column-mapping scenario renamed `s` to
  // `renamed s` and dropped `i8`, so the batch is projected and renamed to match.
  const names = snap.schema.fields.map((f) => f.name)
  const source = (n: string) => (n === 'renamed s' ? 's' : n)
  const table = new Table(Object.fromEntries(names.map((n) => [n, b.more.table.getChild(source(n)) as Vector])))
  const m = new Model()
  m.append(startRows)
  await t.write(table)
  m.append(b.more.rows.map((r) => Object.fromEntries(names.map((n) => [n, r[source(n)]]))))
  await t.delete('id = 901')
  m.removeWhere((r) => r.id === '901')
  await t.update({ predicate: 'id = 902', set: { i32: '-1' } })
  m.map((r) => (r.id === '902' ? { ...r, i32: '-1' } : r))
  await t.checkpoint()
  m.commit()
  const history = await t.history()
  const operations = history
    .filter((h) => h.version > startVersion)
    .sort((a, b) => a.version - b.version)
    .map((h) => h.operation ?? '')
  return { version: await t.version(), rows: m.versions[0], operations }
}
