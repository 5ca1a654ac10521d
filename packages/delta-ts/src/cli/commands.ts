// Everything from the library comes through its public entry: the built bin imports it as `delta-ts`, so the
// CLI exercises exactly the published API and shares its classes (see tsup.config.ts).
import {
  DeltaError,
  type DeltaTable,
  type HistoryEntry,
  readerFeatures,
  type Snapshot,
  writerFeatures,
} from '../index.js'
import { formatBytes, formatTime, textTable, typeToString } from './format.js'

/** What a CLI command produced: the `--json` document and the human-readable text. */
export interface CommandOutput {
  json: unknown
  text: string
}

/** Which snapshot a read command looks at: latest, a version, or the newest at or before a timestamp. */
export interface SnapshotSelector {
  version?: number
  timestamp?: string
}

/** Summary of a snapshot for `describe`: every fact about the table that does not need a data file read. */
export interface TableDescription {
  uri: string
  version: number
  timestamp: string
  id: string
  name: string | null
  description: string | null
  createdTime: string | null
  format: string
  protocol: { minReaderVersion: number; minWriterVersion: number; readerFeatures: string[]; writerFeatures: string[] }
  partitionColumns: string[]
  columnMappingMode: string
  properties: Record<string, string>
  schema: { name: string; type: string; nullable: boolean }[]
  numFiles: number
  sizeInBytes: number
  /** Sum of the files' `numRecords` stats; null when some file has no stats (the count would be a guess). */
  numRecords: number | null
  /** Files that carry a deletion vector (their live row count is below numRecords). */
  filesWithDeletionVectors: number
}

/** Loads the selected snapshot of `table`. Errors are the library's (VERSION_NOT_FOUND, INVALID_ARGUMENT...). */
export function selectSnapshot(table: DeltaTable, sel: SnapshotSelector): Promise<Snapshot> {
  return table.snapshot({ version: sel.version, timestamp: sel.timestamp })
}

/** `delta-ts describe`: version, protocol with effective features, metadata, schema and file totals. */
export async function describeCommand(table: DeltaTable, sel: SnapshotSelector): Promise<CommandOutput> {
  const snap = await selectSnapshot(table, sel)
  const files = await snap.files()
  let numRecords: number | null = 0
  let size = 0
  let withDv = 0
  for (const f of files) {
    size += f.size
    if (f.deletionVector) withDv++
    if (numRecords !== null)
      numRecords = typeof f.stats?.numRecords === 'number' ? numRecords + f.stats.numRecords : null
  }
  const md = snap.metadata
  const d: TableDescription = {
    uri: table.uri,
    version: snap.version,
    timestamp: formatTime(snap.timestamp),
    id: md.id,
    name: md.name ?? null,
    description: md.description ?? null,
    createdTime: typeof md.createdTime === 'number' ? formatTime(md.createdTime) : null,
    format: md.format?.provider ?? 'parquet',
    protocol: {
      minReaderVersion: snap.protocol.minReaderVersion,
      minWriterVersion: snap.protocol.minWriterVersion,
      // The effective features: explicit lists for reader 3 / writer 7, the implied legacy set below.
      readerFeatures: readerFeatures(snap.protocol),
      writerFeatures: writerFeatures(snap.protocol),
    },
    partitionColumns: snap.partitionColumns,
    columnMappingMode: snap.columnMappingMode,
    properties: snap.properties,
    schema: snap.schema.fields.map((f) => ({ name: f.name, type: typeToString(f.type), nullable: f.nullable })),
    numFiles: files.length,
    sizeInBytes: size,
    numRecords,
    filesWithDeletionVectors: withDv,
  }
  const lines = [
    `table       ${d.uri}`,
    `version     ${d.version} (${d.timestamp})`,
    `id          ${d.id}${d.name ? ` (${d.name})` : ''}`,
    `protocol    reader ${d.protocol.minReaderVersion}, writer ${d.protocol.minWriterVersion}`,
    `  readers   ${d.protocol.readerFeatures.join(', ') || '-'}`,
    `  writers   ${d.protocol.writerFeatures.join(', ') || '-'}`,
    `partitions  ${d.partitionColumns.join(', ') || '-'}`,
    `mapping     ${d.columnMappingMode}`,
    `files       ${d.numFiles} (${formatBytes(d.sizeInBytes)}), ${d.numRecords ?? 'unknown'} records by stats${withDv ? `, ${withDv} with deletion vectors` : ''}`,
    'schema',
    ...d.schema.map((f) => `  ${f.name}: ${f.type}${f.nullable ? '' : ' not null'}`),
  ]
  const props = Object.entries(d.properties)
  if (props.length > 0) lines.push('properties', ...props.map(([k, v]) => `  ${k}=${v}`))
  return { json: d, text: `${lines.join('\n')}\n` }
}

/** `delta-ts history`: commits newest first with operation, parameters and engine. */
export async function historyCommand(table: DeltaTable, limit: number | undefined): Promise<CommandOutput> {
  const entries: HistoryEntry[] = await table.history({ limit })
  const json = entries.map((e) => ({ ...e, timestamp: formatTime(e.timestamp) }))
  const text = textTable(
    ['version', 'timestamp', 'operation', 'engine', 'parameters'],
    entries.map((e) => [
      e.version,
      formatTime(e.timestamp),
      e.operation ?? '-',
      e.engineInfo ?? '-',
      e.operationParameters ? JSON.stringify(e.operationParameters) : '-',
    ]),
  )
  return { json, text }
}

/**
 * `delta-ts files`: the active files of a snapshot with partition values, size, row count and DV flag; with a
 * `filter`, only the files that may hold matching rows (pruned by partition values and statistics).
 */
export async function filesCommand(table: DeltaTable, sel: SnapshotSelector, filter?: string): Promise<CommandOutput> {
  const snap = await selectSnapshot(table, sel)
  const files = await snap.files(filter === undefined ? {} : { filter })
  const json = {
    version: snap.version,
    files: files.map((f) => ({
      path: f.path,
      size: f.size,
      partitionValues: f.partitionValues,
      numRecords: f.stats?.numRecords ?? null,
      modificationTime: formatTime(f.modificationTime),
      deletionVector: f.deletionVector
        ? { storageType: f.deletionVector.storageType, cardinality: f.deletionVector.cardinality }
        : null,
    })),
  }
  const text = textTable(
    ['size', 'records', 'dv', 'partition', 'path'],
    json.files.map((f) => [
      f.size,
      f.numRecords,
      f.deletionVector ? f.deletionVector.cardinality : '',
      Object.entries(f.partitionValues)
        .map(([k, v]) => `${k}=${v ?? 'null'}`)
        .join(','),
      f.path,
    ]),
  )
  const of = filter === undefined ? '' : ` of ${snap.numFiles} may match`
  return { json, text: `${text}${files.length} file(s)${of} at version ${snap.version}\n` }
}

/**
 * `delta-ts checkpoint`: writes a checkpoint of the latest version (or `version`): classic, multi-part (the
 * `delta-ts.checkpoint.partSize` table property) or V2 (`delta.checkpointPolicy = 'v2'`), as `table.checkpoint()`.
 */
export async function checkpointCommand(table: DeltaTable, version: number | undefined): Promise<CommandOutput> {
  const r = await table.checkpoint({ version })
  const kind =
    r.format === 'multipart'
      ? ` (${r.metrics.numParts} parts)`
      : r.format === 'v2'
        ? ` (V2, ${r.metrics.numSidecars} sidecar(s))`
        : ''
  return {
    json: r,
    text: `checkpoint of version ${r.version} written to ${r.path}${kind}: ${r.metrics.numAddFiles} files, ${r.metrics.numActions} actions, ${formatBytes(r.metrics.sizeInBytes)}\n`,
  }
}

/** Options of `delta-ts vacuum`, as given on the command line. */
export interface VacuumCommandOptions {
  retentionHours?: number
  dryRun: boolean
  /** `--no-retention-check`: allow a retention below the table's `delta.deletedFileRetentionDuration`. */
  skipRetentionCheck: boolean
}

/** `delta-ts vacuum`: deletes (or with `--dry-run` lists) unreferenced data files older than the retention. */
export async function vacuumCommand(table: DeltaTable, o: VacuumCommandOptions): Promise<CommandOutput> {
  const r = await table
    .vacuum({
      retentionHours: o.retentionHours,
      dryRun: o.dryRun,
      enforceRetentionDuration: !o.skipRetentionCheck,
    })
    .catch((err: unknown) => {
      // The library's refusal names its API options; on the command line they are flags.
      if (
        err instanceof DeltaError &&
        err.code === 'INVALID_ARGUMENT' &&
        err.message.includes('enforceRetentionDuration')
      )
        throw new DeltaError(
          'INVALID_ARGUMENT',
          err.message
            .replace(/^retentionHours (\S+)/, '--retention-hours $1')
            .replace('pass enforceRetentionDuration: false to override', 'pass --no-retention-check to override'),
          { cause: err },
        )
      throw err
    })
  const verb = r.dryRun ? 'would delete' : 'deleted'
  return { json: r, text: `${r.files.map((f) => `${f}\n`).join('')}${verb} ${r.files.length} file(s)\n` }
}

/** Options of `delta-ts optimize`, as given on the command line. */
export interface OptimizeCommandOptions {
  targetSizeBytes?: number
  minFileSize?: number
  /** A predicate over partition columns: compact only those partitions. */
  filter?: string
}

/** `delta-ts optimize`: bin-packs small files per partition into files of about the target size. */
export async function optimizeCommand(table: DeltaTable, o: OptimizeCommandOptions): Promise<CommandOutput> {
  const r = await table.optimize({ targetSizeBytes: o.targetSizeBytes, minFileSize: o.minFileSize, filter: o.filter })
  // The commit result repeats the whole commitInfo; the metrics above it say everything a user needs.
  const { commit: _commit, ...json } = r
  const m = r.metrics
  const text =
    m.numFilesRemoved === 0
      ? `nothing to compact (version ${r.version})\n`
      : `version ${r.version}: ${m.numFilesRemoved} files (${formatBytes(m.filesRemoved.totalSize)}) compacted into ${m.numFilesAdded} (${formatBytes(m.filesAdded.totalSize)}) in ${m.partitionsOptimized} partition(s)\n`
  return { json, text }
}
