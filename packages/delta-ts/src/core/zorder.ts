/**
 * Z-order and liquid-clustering OPTIMIZE: files are rewritten with their rows in Z-order (bit-interleaved
 * normalized values) of the clustering columns, and cut into files of about the target size, so that each file
 * covers a small box of the column space and its min/max stats skip it for most point and range predicates.
 *
 * Normalization: each column's values are ranked (nulls first, {@link compareScalars} order) and the rank is
 * scaled to `bits` bits, so skewed and non-numeric columns (strings, dates, decimals) spread over the whole
 * range; the Z-value interleaves the columns' bits, most significant first, into a 52-bit safe integer.
 *
 * Incremental, with what Spark records:
 * - `zOrderBy`: output files carry Spark's ZCUBE tags (`ZCUBE_ID`, `ZCUBE_ZORDER_BY` = the columns as JSON,
 *   `ZCUBE_ZORDER_CURVE` = `zorder`); a later OPTIMIZE with the same columns rewrites only the files without
 *   that tag (new appends), a different column list rewrites everything.
 * - clustered tables (`delta.clustering` domain): output files carry `clusteringProvider: 'liquid'`; OPTIMIZE
 *   rewrites only files without it.
 * A partition's candidate files are sorted together in memory (the unit is a partition, like Spark's ZCube).
 *
 * Concurrency: as bin-packing, the transaction records only the files it rewrites as read and removes them
 * with dataChange = false, so concurrent appends never conflict with it; a concurrent commit removing one of
 * its files does (ConcurrentDeleteRead / ConcurrentDeleteDelete).
 */
import type * as arrow from 'apache-arrow'
import { v4 as uuidv4 } from 'uuid'
import { DeltaError } from '../errors.js'
import type { AddAction } from '../protocol/actions.js'
import type { FileEntry } from '../protocol/file-entry.js'
import { compareScalars, type ScalarValue } from '../protocol/partition-values.js'
import { findFieldPath } from '../protocol/schema.js'
import { parseColumnPath, resolveColumnPath } from '../protocol/schema-changes.js'
import { takeRows } from './arrow-take.js'
import { writeDataFiles } from './data-writer.js'
import { vectorValues } from './row-filter.js'
import { rowIdCarrier } from './row-tracking.js'
import { clusteringColumns } from './schema-ops.js'
import type { Snapshot } from './snapshot.js'

/** How the files of one OPTIMIZE are laid out. */
export interface ClusterLayout {
  kind: 'zorder' | 'liquid'
  /** Resolved logical column paths. */
  columns: string[][]
}

/** Resolves `zOrderBy` columns: data columns (not partition columns) that exist. INVALID_ARGUMENT otherwise. */
export function resolveZOrderColumns(snapshot: Snapshot, columns: readonly string[]): string[][] {
  if (columns.length === 0) throw new DeltaError('INVALID_ARGUMENT', 'zOrderBy needs at least one column')
  return columns.map((c) => {
    const path = resolveColumnPath(snapshot.schema, parseColumnPath(c))
    if (path.length === 1 && snapshot.partitionColumns.includes(path[0])) {
      throw new DeltaError(
        'INVALID_ARGUMENT',
        `cannot Z-order by partition column ${path[0]}: every file holds a single value of it already`,
      )
    }
    return path
  })
}

/** True when `file` is already laid out by `layout` (so an incremental OPTIMIZE leaves it alone). */
export function isClustered(file: FileEntry, layout: ClusterLayout): boolean {
  if (layout.kind === 'liquid') return file.add.clusteringProvider === 'liquid' && !file.deletionVector
  return file.add.tags?.ZCUBE_ZORDER_BY === zorderTag(layout) && !file.deletionVector
}

function zorderTag(layout: ClusterLayout): string {
  return JSON.stringify(layout.columns.map((p) => p.join('.')))
}

/** Normalized ranks of values: `bits`-bit integers, equal values equal, order kept. */
export function normalizedRanks(values: readonly ScalarValue[], bits: number): Float64Array {
  const n = values.length
  const order = Int32Array.from({ length: n }, (_, i) => i)
  if (values.every((v) => v === null || typeof v === 'number')) {
    // Fast path for numeric columns: sort by a typed key (nulls first, as compareScalars orders them).
    const key = Float64Array.from(values, (v) => (v === null ? Number.NEGATIVE_INFINITY : (v as number)))
    order.sort((a, b) => key[a] - key[b] || (values[a] === null ? -1 : 0) - (values[b] === null ? -1 : 0))
  } else order.sort((a, b) => compareScalars(values[a], values[b]))
  const dense = new Float64Array(n)
  let rank = 0
  for (let k = 0; k < n; k++) {
    if (k > 0 && compareScalars(values[order[k - 1]], values[order[k]]) !== 0) rank++
    dense[order[k]] = rank
  }
  const distinct = rank + 1
  const scale = 2 ** bits
  const out = new Float64Array(n)
  for (let i = 0; i < n; i++) out[i] = Math.floor((dense[i] * scale) / distinct)
  return out
}

/**
 * Z-values of rows from per-column normalized ranks of `bits` bits each: the bits interleaved most
 * significant first (column 0 leads). `columns.length * bits` must stay within 52 (exact doubles).
 */
export function interleave(columns: readonly Float64Array[], bits: number): Float64Array {
  const n = columns[0]?.length ?? 0
  const z = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    let v = 0
    for (let b = bits - 1; b >= 0; b--) {
      const p = 2 ** b
      for (const c of columns) v = v * 2 + (Math.floor(c[i] / p) % 2)
    }
    z[i] = v
  }
  return z
}

/** The row order that sorts `batches` by the Z-value of `columns` (global row numbers). */
export function zOrder(batches: readonly arrow.RecordBatch[], columns: readonly string[][]): Int32Array {
  const bits = Math.min(20, Math.floor(52 / columns.length))
  const ranks = columns.map((path) => {
    const values: ScalarValue[] = []
    for (const b of batches) {
      let v: arrow.Vector | null = b.getChild(path[0])
      for (const p of path.slice(1)) v = v?.getChild(p as never) ?? null
      if (!v) throw new DeltaError('INTERNAL', `column ${path.join('.')} missing from the scanned rows`)
      for (const x of vectorValues(v)) values.push(x)
    }
    return normalizedRanks(values, bits)
  })
  const z = interleave(ranks, bits)
  return Int32Array.from({ length: z.length }, (_, i) => i).sort((a, b) => z[a] - z[b] || a - b)
}

/**
 * Rewrites `files` (one partition) in Z-order of `layout.columns` into files of about `targetSize` bytes
 * (sized by the parquet bytes per row of the input), tagged as {@link isClustered} recognizes. Returns the
 * add actions (dataChange = false).
 */
export async function rewriteClustered(
  snapshot: Snapshot,
  files: readonly FileEntry[],
  layout: ClusterLayout,
  targetSize: number,
  signal?: AbortSignal,
): Promise<AddAction[]> {
  for (const path of layout.columns) {
    if (!findFieldPath(snapshot.schema, path)) {
      throw new DeltaError('INVALID_ARGUMENT', `clustering column ${path.join('.')} is not in the schema`)
    }
  }
  const batches: arrow.RecordBatch[] = []
  // Row tracking: the rows keep their row ids and row commit versions (materialized columns).
  const ids = rowIdCarrier(snapshot)
  for await (const b of snapshot.scan({ files, columns: ids.scanColumns, signal }).batches())
    if (b.numRows > 0) batches.push(b)
  const totalRows = batches.reduce((s, b) => s + b.numRows, 0)
  if (totalRows === 0) return []
  const order = zOrder(batches, layout.columns)
  const inputBytes = files.reduce((s, f) => s + f.size, 0)
  const rowsPerFile = Math.max(1, Math.ceil((totalRows * targetSize) / Math.max(1, inputBytes)))
  // Global row number → (batch, row in batch).
  const starts = new Int32Array(batches.length + 1)
  for (let k = 0; k < batches.length; k++) starts[k + 1] = starts[k] + batches[k].numRows
  const batchOf = new Int32Array(totalRows)
  for (let k = 0; k < batches.length; k++) batchOf.fill(k, starts[k], starts[k + 1])
  const zcubeId = uuidv4()
  const adds: AddAction[] = []
  for (let from = 0; from < totalRows; from += rowsPerFile) {
    if (signal?.aborted) throw new DeltaError('ABORTED', 'optimize aborted', { cause: signal.reason })
    const slice = order.subarray(from, Math.min(totalRows, from + rowsPerFile))
    // One output file per slice; its rows are taken per source batch, in Z-order within each (the order inside
    // a file does not change its min/max, and row groups stay Z-sorted per source batch).
    const perBatch: number[][] = batches.map(() => [])
    for (const g of slice) perBatch[batchOf[g]].push(g - starts[batchOf[g]])
    const parts: arrow.RecordBatch[] = []
    perBatch.forEach((idx, k) => {
      if (idx.length > 0) parts.push(ids.copied(takeRows(batches[k], Int32Array.from(idx))))
    })
    const written = await writeDataFiles(snapshot.storage, parts, {
      schema: snapshot.schema,
      partitionColumns: snapshot.partitionColumns,
      configuration: snapshot.properties,
      columnMappingMode: snapshot.columnMappingMode,
      // One file per slice: the slice is already the size wanted.
      targetFileSize: Number.MAX_SAFE_INTEGER,
      maxBufferedBytes: Number.MAX_SAFE_INTEGER,
      dataConformsToSchema: true,
      rowTrackingColumns: ids.writerColumns,
      signal,
    })
    for (const a of written) {
      adds.push(
        layout.kind === 'liquid'
          ? { ...a, dataChange: false, clusteringProvider: 'liquid' }
          : {
              ...a,
              dataChange: false,
              tags: {
                ...(a.tags ?? {}),
                ZCUBE_ID: zcubeId,
                ZCUBE_ZORDER_BY: zorderTag(layout),
                ZCUBE_ZORDER_CURVE: 'zorder',
              },
            },
      )
    }
  }
  return adds
}

/**
 * The layout an OPTIMIZE produces: Z-order by `zOrderBy`, liquid clustering by the table's clustering columns,
 * or none (bin-packing). INVALID_ARGUMENT for `zOrderBy` on a clustered table (as Spark refuses it).
 */
export async function clusterLayout(
  snapshot: Snapshot,
  zOrderBy: readonly string[] | undefined,
): Promise<ClusterLayout | undefined> {
  const clustering = await clusteringColumns(snapshot)
  if (zOrderBy !== undefined && zOrderBy.length > 0) {
    if (clustering.length > 0) {
      throw new DeltaError(
        'INVALID_ARGUMENT',
        `the table is clustered by ${clustering.map((p) => p.join('.')).join(', ')}: OPTIMIZE clusters it without zOrderBy`,
      )
    }
    return { kind: 'zorder', columns: resolveZOrderColumns(snapshot, zOrderBy) }
  }
  return clustering.length > 0 ? { kind: 'liquid', columns: clustering } : undefined
}

/** Per partition, the files not yet laid out by `layout` (see {@link isClustered}); empty groups dropped. */
export function planClusterBins(files: readonly FileEntry[], layout: ClusterLayout): FileEntry[][] {
  const byPartition = new Map<string, FileEntry[]>()
  for (const f of files) {
    if (isClustered(f, layout)) continue
    const key = JSON.stringify(Object.entries(f.partitionValues).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    const list = byPartition.get(key)
    if (list) list.push(f)
    else byPartition.set(key, [f])
  }
  return [...byPartition.values()]
}
