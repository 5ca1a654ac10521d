import { CheckpointFiles } from '../arrow/file-actions.js'
import { bindExpr, type Expr, parsePredicate } from '../protocol/expr/index.js'
import type { FileEntry } from '../protocol/file-entry.js'
import { type PruneStats, type PruningContext, pruneColumns } from '../protocol/pruning.js'
import type { StructType } from '../protocol/schema.js'
import type { Snapshot } from './snapshot.js'

declare const boundBrand: unique symbol

/**
 * A predicate parsed and bound to a snapshot's schema (columns resolved, literals typed). Only
 * {@link bindPredicate} (or `snapshot.bindPredicate`) makes one, and binding one again returns it as is, so a
 * filter is bound once however many steps (pruning, row filtering, DML) use it.
 */
export type BoundPredicate = Expr & { readonly [boundBrand]: true }

/** The schema each bound predicate was bound to (a predicate bound to another schema is bound again). */
const boundTo = new WeakMap<object, StructType>()

/** Whether `e` is a {@link BoundPredicate} bound to `schema`. */
export function isBoundTo(e: unknown, schema: StructType): e is BoundPredicate {
  return typeof e === 'object' && e !== null && boundTo.get(e) === schema
}

/**
 * Parses (when a string) and binds a predicate against `schema`; a predicate already bound to this schema is
 * returned unchanged.
 *
 * @throws DeltaError `INVALID_PREDICATE` when it does not parse or names an unknown column.
 */
export function bindPredicate(filter: string | Expr, schema: StructType): BoundPredicate {
  if (isBoundTo(filter, schema)) return filter
  const bound = bindExpr(typeof filter === 'string' ? parsePredicate(filter) : filter, schema)
  boundTo.set(bound, schema)
  return bound as BoundPredicate
}

/** What a scan reads: the files left after pruning, with their partition values and deletion vectors. */
export interface ScanPlan {
  /** The files to read (FileEntry: decoded path, partition values, size, deletion vector, stats). */
  files: FileEntry[]
  /** What pruning did: files in the snapshot, pruned by partition values, skipped by stats, kept. */
  stats: PruneStats
  /** The bound filter, when the scan has one (row filtering uses the same object). */
  filter?: BoundPredicate
}

/** The pruning context of a snapshot. */
export function pruningContext(snapshot: Snapshot): PruningContext {
  return {
    schema: snapshot.schema,
    partitionColumns: snapshot.partitionColumns,
    columnMappingMode: snapshot.columnMappingMode,
  }
}

/**
 * Plans the files of `snapshot` that may hold rows matching `filter`: the checkpoint's files are pruned on
 * their Arrow columns (partition values dictionary encoded, stats per needed column), the commits' adds on
 * columns over their entries; both with protocol/pruning.ts's rules. FileEntry objects are built only for
 * the kept files of the checkpoint.
 */
export function planFiles(snapshot: Snapshot, filter: BoundPredicate | undefined): ScanPlan {
  const fs = snapshot.state.files
  if (filter === undefined) {
    const files = snapshot.allFileEntries()
    return { files, stats: { total: files.length, prunedByPartition: 0, skippedByStats: 0, kept: files.length } }
  }
  const ctx = pruningContext(snapshot)
  const files: FileEntry[] = []
  const stats: PruneStats = { total: 0, prunedByPartition: 0, skippedByStats: 0, kept: 0 }
  const add = (s: PruneStats) => {
    stats.total += s.total
    stats.prunedByPartition += s.prunedByPartition
    stats.skippedByStats += s.skippedByStats
    stats.kept += s.kept
  }
  const base = fs.base
  if (base instanceof CheckpointFiles) {
    const sel = fs.baseSelection
    const r = pruneColumns(base.columns(ctx), filter, ctx, sel)
    add(r.stats)
    for (let row = 0; row < base.length; row++) if (r.keep[row] === 1) files.push(base.entry(row))
  }
  const commits = snapshot.commitFileColumns()
  const r = pruneColumns(commits.columns, filter, ctx)
  add(r.stats)
  for (let i = 0; i < commits.length; i++) if (r.keep[i] === 1) files.push(commits.entry(i))
  return { files, stats, filter }
}
