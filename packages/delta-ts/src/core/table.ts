import type * as arrow from 'apache-arrow'
import { type CommitOutcomeUnknownError, DeltaError, isDeltaError } from '../errors.js'
import type { CommitInfoAction } from '../protocol/actions.js'
import type { PredicateInput } from '../protocol/expr/index.js'
import { parseLogPath } from '../protocol/log-path.js'
import { monotonicTimestamps } from '../protocol/log-segment.js'
import { validateTableProperties } from '../protocol/table-properties.js'
import type { Storage } from '../storage/types.js'
import { resolveStorage, type StorageOptions } from '../storage/uri.js'
import { CHANGES_OPTIONS, type ChangeFeed, type ChangesOptions, openChangeFeed } from './changes.js'
import { addConstraint, dropConstraint } from './constraint-ops.js'
import { type CreateTableOptions, createTableLog } from './create.js'
import { bindPredicate, deleteRowsWhere, predicateSql } from './dml-support.js'
import { listLog, readCommit } from './log-reader.js'
import {
  type CheckpointOptions,
  type CheckpointResult,
  type CleanupResult,
  checkpointSnapshot,
  cleanupExpiredLogs,
  type VacuumOptions,
  type VacuumResult,
  vacuumFiles,
} from './maintenance.js'
import { MergeBuilder, type MergeOptions } from './merge.js'
import { type OptimizeOptions, type OptimizeResult, optimizeTable } from './optimize.js'
import type { FileMetrics, OperationResult } from './result.js'
import { type RewriteMetrics, rewriteChangedTable } from './rewrite.js'
import {
  clusterByTxn,
  clusteringColumns,
  dropColumnTxn,
  renameColumnTxn,
  setPropertiesTxn,
  unsetPropertiesTxn,
  upgradeColumnMappingTxn,
  widenColumnTxn,
} from './schema-ops.js'
import { ictEnablement, loadSnapshot, refreshSnapshot, type Snapshot } from './snapshot.js'
import { type CommitOptions, type CommitResult, Transaction } from './transaction.js'
import { type UpdateOptions, type UpdateResult, updateTable } from './update.js'
import { COMMIT_OPTIONS, check, checkArgument, checkOptions, type OptionSpec } from './validate.js'
import { type WriteInput, type WriteOptions, type WriteResult, writeToTable } from './write.js'

/** What `table.delete` removed: the rewrite engine's metrics plus the deleted row count. */
export interface DeleteMetrics extends RewriteMetrics, FileMetrics {
  /** Rows deleted. */
  numDeletedRows: number
}

/**
 * What `table.delete` did (see {@link OperationResult}): `version` is the committed one, or the current one
 * when nothing matched and nothing was committed.
 */
export interface DeleteResult extends OperationResult<DeleteMetrics> {}

const OPEN_OPTIONS: OptionSpec = { storage: check.object, storageOptions: check.object, signal: check.signal }
const CREATE_OPTIONS: OptionSpec = {
  storage: check.object,
  storageOptions: check.object,
  schema: check.object,
  partitionBy: check.stringArray,
  properties: check.stringRecord,
  name: check.string,
  description: check.string,
  ifExists: check.oneOf('error', 'ignore'),
  generatedColumns: check.stringRecord,
  identityColumns: check.object,
  clusterBy: check.stringArray,
  deletionVectors: check.boolean,
}
const MERGE_OPTIONS: OptionSpec = {
  ...COMMIT_OPTIONS,
  on: check.any,
  targetAlias: check.string,
  sourceAlias: check.string,
  dedupeSource: check.object,
  txn: check.txn,
  skipEmptyCommit: check.boolean,
  targetFileSize: check.positiveNumber,
}
const UPDATE_OPTIONS: OptionSpec = { ...COMMIT_OPTIONS, predicate: check.predicate, set: check.object }
const OPTIMIZE_OPTIONS: OptionSpec = {
  ...COMMIT_OPTIONS,
  targetSizeBytes: check.positiveNumber,
  minFileSize: check.nonNegativeNumber,
  filter: check.predicate,
  zOrderBy: check.stringArray,
  purgeDeletionVectors: check.boolean,
}
const VERSION_OPTIONS: OptionSpec = { version: check.nonNegativeInteger, signal: check.signal }
const CHECKPOINT_OPTIONS: OptionSpec = {
  ...VERSION_OPTIONS,
  partSize: check.positiveInteger,
  v2Format: check.oneOf('parquet', 'json'),
}
const SNAPSHOT_OPTIONS: OptionSpec = { ...VERSION_OPTIONS, timestamp: check.any }
const VACUUM_OPTIONS: OptionSpec = {
  retentionHours: check.nonNegativeNumber,
  enforceRetentionDuration: check.boolean,
  dryRun: check.boolean,
  signal: check.signal,
}

/** Options for {@link DeltaTable.open}. */
export interface OpenOptions {
  /** Use this storage instead of resolving the URI (it must be rooted at the table root). */
  storage?: Storage
  /** Options for the storage backend the URI resolves to (S3 credentials, endpoint, ...). */
  storageOptions?: StorageOptions
  signal?: AbortSignal
}

/** Which version {@link DeltaTable.snapshot} loads; latest when empty. */
export interface SnapshotOptions {
  version?: number
  /** The newest version committed at or before this instant (ISO-8601 string, Date or epoch ms). */
  timestamp?: string | Date | number
  signal?: AbortSignal
}

/**
 * One entry of {@link DeltaTable.history}: the commitInfo fields of a version (operation,
 * operationParameters, operationMetrics, engineInfo, ...), its version, and `timestamp`: the commit time that
 * time travel uses (in-commit timestamp where enabled, else the commit file's time, made monotonic like Spark's
 * DESCRIBE HISTORY). The writer's own clock stays in `commitInfo.timestamp`.
 */
export interface HistoryEntry extends CommitInfoAction {
  version: number
  timestamp: number
  /** The commitInfo action as written (empty when the commit has none). */
  commitInfo: CommitInfoAction
}

/**
 * A Delta table at a location. Cheap to hold: it caches the newest snapshot it loaded and refreshes it
 * incrementally (only commits that arrived since are read).
 */
export class DeltaTable {
  readonly storage: Storage
  /** @internal */
  protected latest?: Snapshot

  /** @internal use {@link DeltaTable.open} or `DeltaTable.create`. */
  constructor(storage: Storage) {
    this.storage = storage
  }

  /** The table location URI. */
  get uri(): string {
    return this.storage.rootUri
  }

  /**
   * Opens an existing table at a path, `file://` URL, `memory://name` or `s3://bucket/prefix` URI.
   * Throws `TABLE_NOT_FOUND` when the location has no `_delta_log` commits; loading errors of the latest
   * snapshot (INVALID_LOG, VERSION_GAP, UNSUPPORTED_FEATURE, ...) surface here too.
   */
  static async open(uri: string, options: OpenOptions = {}): Promise<DeltaTable> {
    checkArgument('DeltaTable.open', 'uri', uri, check.string)
    checkOptions('DeltaTable.open', options, OPEN_OPTIONS)
    const storage = options.storage ?? (await resolveStorage(uri, options.storageOptions))
    const table = new DeltaTable(storage)
    await table.snapshot({ signal: options.signal })
    return table
  }

  /**
   * Creates a table at `uri` and returns it. Version 0 is committed by put-if-absent, so of two concurrent
   * creators exactly one wins; the other gets TABLE_ALREADY_EXISTS (or, with `ifExists: 'ignore'`, the
   * existing table). SCHEMA_MISMATCH when a partition column is missing or not partitionable. Goes through
   * the commit pipeline like every write: once version 0 is in the log the table is returned, even when
   * reading it back afterwards fails (the table then loads its snapshot on first use).
   */
  static async create(uri: string, options: CreateTableOptions & Omit<OpenOptions, 'signal'>): Promise<DeltaTable> {
    checkArgument('DeltaTable.create', 'uri', uri, check.string)
    checkArgument('DeltaTable.create', 'options', options, check.object)
    checkOptions('DeltaTable.create', options, CREATE_OPTIONS)
    checkArgument('DeltaTable.create', 'options.schema', options.schema, check.object)
    if (options.properties !== undefined) validateTableProperties(options.properties)
    const storage = options.storage ?? (await resolveStorage(uri, options.storageOptions))
    const commit = await createTableLog(storage, options)
    const table = new DeltaTable(storage)
    table.adopt(commit)
    if (commit) {
      // Version 0 is ours: creation succeeded. Whatever failed after it (the post-commit refresh) is in
      // commit.postCommit.errors; the table then loads its snapshot on first use.
      return table
    }
    // ifExists: 'ignore' found a table: open it like DeltaTable.open (its errors are this call's).
    await table.snapshot()
    return table
  }

  /**
   * Starts a transaction on the latest snapshot, for operations delta-ts does not wrap (custom commits of
   * add/remove actions, metadata changes). Commit it with `txn.commit()`: it runs the same pipeline as every
   * other write (checkpoint when due, log cleanup), and this table's next `snapshot()` sees the commit.
   */
  async startTransaction(operation: string, operationParameters: Record<string, unknown> = {}): Promise<Transaction> {
    return new Transaction(await this.snapshot(), operation, operationParameters)
  }

  /**
   * Writes Arrow data (see {@link WriteOptions}): append (default), overwrite, overwrite with `replaceWhere`,
   * with schema evolution and idempotent `txn`. Returns the committed version and counts, or `skipped` when the
   * txn was already applied. Checkpoints automatically every `delta.checkpointInterval` commits; a failure
   * after the commit landed is reported in `result.commit.postCommit.errors`, never thrown.
   */
  async write(data: WriteInput, options: WriteOptions = {}): Promise<WriteResult> {
    const result = await writeToTable(await this.snapshot(), data, options)
    this.adopt(result.commit)
    return result
  }

  /**
   * Deletes the rows matching `predicate` (SQL text or an expression). Whole files whose partition values
   * match are removed without being read; other candidate files (after pruning by partition values and stats)
   * are rewritten without the matching rows — or, on a table with deletion vectors enabled
   * (`deletionVectors: true` at create, or `delta.enableDeletionVectors`), keep their data and get the
   * matching rows marked in their deletion vectors. Commits nothing when no row matches.
   */
  async delete(predicate: PredicateInput, options: CommitOptions = {}): Promise<DeleteResult> {
    checkArgument(
      'delete',
      'the predicate (SQL text or an expression; "true" deletes every row)',
      predicate,
      check.predicate,
    )
    checkOptions('delete', options, COMMIT_OPTIONS)
    const started = Date.now()
    const snap = await this.snapshot()
    const p = bindPredicate(predicate, snap)
    const txn = new Transaction(snap, 'DELETE', { predicate: JSON.stringify([predicateSql(p)]) })
    const m = await deleteRowsWhere(snap, txn, p, options.signal)
    const metrics: DeleteMetrics = { ...m, numDeletedRows: m.numRowsRemoved, executionTimeMs: 0 }
    if (!rewriteChangedTable(m)) {
      return { version: snap.version, metrics: { ...metrics, executionTimeMs: Date.now() - started } }
    }
    // Spark's DELETE operationMetrics names.
    txn.setMetrics({
      numDeletedRows: m.numRowsRemoved,
      numRemovedFiles: m.numFilesRemoved,
      numAddedFiles: m.numFilesAdded,
      numCopiedRows: m.numCopiedRows,
      numAddedBytes: m.numBytesAdded,
      numRemovedBytes: m.numBytesRemoved,
      numDeletionVectorsAdded: m.numDeletionVectorsAdded,
      numDeletionVectorsUpdated: m.numDeletionVectorsUpdated,
      numDeletionVectorsRemoved: m.numDeletionVectorsRemoved,
      numAddedChangeFiles: m.numChangeFilesAdded,
      executionTimeMs: Date.now() - started,
    })
    const commit = await txn.commit(options)
    this.adopt(commit)
    return { version: commit.version, metrics: { ...metrics, executionTimeMs: Date.now() - started }, commit }
  }

  /**
   * Starts a MERGE of `source` into this table on `options.on`; add WHEN clauses to the returned builder and
   * call `execute()` (see {@link MergeBuilder}). Only target files that may hold matching rows are read and
   * rewritten; the commit (`MERGE`) checkpoints automatically like every other write.
   */
  merge(source: arrow.Table | arrow.RecordBatch, options: MergeOptions): MergeBuilder {
    checkArgument('merge', 'source (an Arrow Table or RecordBatch)', source, check.object)
    checkArgument('merge', 'options', options, check.object)
    checkOptions('merge', options, MERGE_OPTIONS)
    checkArgument('merge', 'options.on (SQL text, an expression, or key column names)', options.on, check.any)
    return new MergeBuilder(this, source, options)
  }

  /**
   * Updates the rows matching `options.predicate` (all rows without one) with `options.set` (column → SQL value
   * expression), rewriting only the files holding such rows. Commits nothing when no row matches.
   */
  async update(options: UpdateOptions): Promise<UpdateResult> {
    checkArgument('update', 'options', options, check.object)
    checkOptions('update', options, UPDATE_OPTIONS)
    checkArgument(
      'update',
      'options.set (column → value expression: SQL text or an expression node)',
      options.set,
      check.object,
    )
    const result = await updateTable(await this.snapshot(), options)
    this.adopt(result.commit)
    return result
  }

  /**
   * Adds a CHECK constraint (`ALTER TABLE ADD CONSTRAINT name CHECK (sql)`): every existing row is checked
   * first, then `delta.constraints.<name>` is committed (with the protocol upgrade to checkConstraints when the
   * table lacks it). From then on every write, UPDATE and MERGE is refused with `CONSTRAINT_VIOLATION` when a
   * row makes `sql` FALSE or NULL.
   *
   * @throws DeltaError `CONSTRAINT_VIOLATION` naming an existing violating row, `INVALID_ARGUMENT` for a bad or
   *   existing name, `INVALID_PREDICATE` for SQL that does not parse or bind, commit errors.
   */
  async addConstraint(name: string, sql: string, options: CommitOptions = {}): Promise<CommitResult> {
    checkOptions('addConstraint', options, COMMIT_OPTIONS)
    const commit = await addConstraint(await this.snapshot(), name, sql, options)
    this.adopt(commit)
    return commit
  }

  /**
   * Drops a CHECK constraint (`ALTER TABLE DROP CONSTRAINT [IF EXISTS] name`). Returns undefined when it did not
   * exist and `ifExists` is set.
   *
   * @throws DeltaError `INVALID_ARGUMENT` when the constraint does not exist (without `ifExists`), commit errors.
   */
  async dropConstraint(
    name: string,
    options: CommitOptions & { ifExists?: boolean } = {},
  ): Promise<CommitResult | undefined> {
    checkOptions('dropConstraint', options, { ...COMMIT_OPTIONS, ifExists: check.boolean })
    const commit = await dropConstraint(await this.snapshot(), name, options)
    this.adopt(commit)
    return commit
  }

  /**
   * Compacts small files per partition into files of about `targetSizeBytes` (bin-packing, dataChange=false);
   * concurrent appends do not conflict with it. Commits nothing when there is nothing to compact.
   */
  async optimize(options: OptimizeOptions = {}): Promise<OptimizeResult> {
    checkOptions('optimize', options, OPTIMIZE_OPTIONS)
    const result = await optimizeTable(await this.snapshot({ signal: options.signal }), options)
    this.adopt(result.commit)
    return result
  }

  /**
   * RENAME COLUMN `from` (a dotted path reaches nested struct fields; quote names holding dots with backticks)
   * to `to`, as a metadata-only commit. Needs column mapping ({@link DeltaTable.upgradeColumnMapping}).
   * Errors: UNSUPPORTED_FEATURE without column mapping (the message says how to enable it); INVALID_ARGUMENT
   * for a missing column or a name already taken; COMMIT_CONFLICT when a concurrent commit changed the metadata.
   */
  async renameColumn(from: string, to: string, options: CommitOptions = {}): Promise<CommitResult> {
    checkArgument('renameColumn', 'from', from, check.string)
    checkArgument('renameColumn', 'to', to, check.string)
    checkOptions('renameColumn', options, COMMIT_OPTIONS)
    return this.commitTxn(renameColumnTxn(await this.snapshot(), from, to), options)
  }

  /**
   * DROP COLUMN `name` (a dotted path reaches nested struct fields), as a metadata-only commit: the values stay
   * in the files and are no longer read. Needs column mapping. Errors: UNSUPPORTED_FEATURE without column
   * mapping; INVALID_ARGUMENT for a missing column, a partition or clustering column, or the last field.
   */
  async dropColumn(name: string, options: CommitOptions = {}): Promise<CommitResult> {
    checkArgument('dropColumn', 'name', name, check.string)
    checkOptions('dropColumn', options, COMMIT_OPTIONS)
    return this.commitTxn(await dropColumnTxn(await this.snapshot(), name), options)
  }

  /**
   * Enables column mapping (`name` mode) on an existing table, as Spark's `delta.columnMapping.mode = 'name'`
   * upgrade: ids and physical names (= the current names) for every field, protocol 2/5 (or the
   * `columnMapping` feature). Metadata only. Returns undefined when the table already uses column mapping.
   */
  async upgradeColumnMapping(options: CommitOptions = {}): Promise<CommitResult | undefined> {
    checkOptions('upgradeColumnMapping', options, COMMIT_OPTIONS)
    const txn = upgradeColumnMappingTxn(await this.snapshot())
    return txn ? this.commitTxn(txn, options) : undefined
  }

  /**
   * Widens column `name` to `type` (Delta type name: `'long'`, `'double'`, `'timestamp_ntz'`,
   * `'decimal(12,2)'`), recording the change in the field's `delta.typeChanges`; old files are cast when read.
   * Needs `delta.enableTypeWidening = 'true'`. Returns undefined when the column already has the type.
   * Errors: UNSUPPORTED_FEATURE without type widening enabled; INVALID_ARGUMENT for a change that is not a
   * widening (PROTOCOL.md §Type Widening) or a missing column.
   */
  async widenColumn(name: string, type: string, options: CommitOptions = {}): Promise<CommitResult | undefined> {
    checkArgument('widenColumn', 'name', name, check.string)
    checkArgument('widenColumn', 'type', type, check.string)
    checkOptions('widenColumn', options, COMMIT_OPTIONS)
    const txn = widenColumnTxn(await this.snapshot(), name, type)
    return txn ? this.commitTxn(txn, options) : undefined
  }

  /**
   * Sets table properties (SET TBLPROPERTIES). Known `delta.*` values are validated; a property that needs a
   * table feature upgrades the protocol in the same commit (`delta.enableDeletionVectors`,
   * `delta.enableChangeDataFeed`, `delta.enableTypeWidening`, `delta.enableInCommitTimestamps`,
   * `delta.appendOnly`, `delta.checkpointPolicy = 'v2'` (the v2Checkpoint reader-writer feature),
   * `delta.feature.<name> = 'supported'`); `delta.columnMapping.mode = 'name'` upgrades column mapping.
   * Returns undefined when nothing changes. Errors: INVALID_ARGUMENT for a bad value or a property delta-ts
   * maintains; UNSUPPORTED_FEATURE for a feature delta-ts cannot write (e.g. row tracking).
   */
  async setProperties(
    properties: Record<string, string>,
    options: CommitOptions = {},
  ): Promise<CommitResult | undefined> {
    checkArgument('setProperties', 'properties', properties, check.stringRecord)
    checkOptions('setProperties', options, COMMIT_OPTIONS)
    const txn = setPropertiesTxn(await this.snapshot(), properties)
    return txn ? this.commitTxn(txn, options) : undefined
  }

  /**
   * Removes table properties (UNSET TBLPROPERTIES). Errors: INVALID_ARGUMENT for a key that is not set (unless
   * `ifExists`) or one delta-ts maintains (column mapping, in-commit timestamp enablement). Returns undefined
   * when nothing was removed.
   */
  async unsetProperties(
    keys: string[],
    options: CommitOptions & { ifExists?: boolean } = {},
  ): Promise<CommitResult | undefined> {
    checkArgument('unsetProperties', 'keys', keys, check.stringArray)
    checkOptions('unsetProperties', options, { ...COMMIT_OPTIONS, ifExists: check.boolean })
    const { ifExists, ...commitOptions } = options
    const txn = unsetPropertiesTxn(await this.snapshot(), keys, ifExists)
    return txn ? this.commitTxn(txn, commitOptions) : undefined
  }

  /**
   * ALTER TABLE CLUSTER BY: sets the liquid clustering columns (an empty list clusters by none), stored in the
   * `delta.clustering` domain; adds the `clustering` and `domainMetadata` writer features. Data is clustered
   * by the next {@link DeltaTable.optimize}. Returns undefined when the columns are unchanged.
   * Errors: INVALID_ARGUMENT for a missing, partition or unorderable column, or more than 4 columns.
   */
  async clusterBy(columns: string[], options: CommitOptions = {}): Promise<CommitResult | undefined> {
    checkArgument('clusterBy', 'columns', columns, check.stringArray)
    checkOptions('clusterBy', options, COMMIT_OPTIONS)
    const txn = await clusterByTxn(await this.snapshot(), columns)
    return txn ? this.commitTxn(txn, options) : undefined
  }

  /** The liquid clustering columns (dotted logical paths); empty when the table is not clustered. */
  async clusteringColumns(): Promise<string[]> {
    return (await clusteringColumns(await this.snapshot())).map((p) => p.join('.'))
  }

  private async commitTxn(txn: Transaction, options: CommitOptions): Promise<CommitResult> {
    const commit = await txn.commit(options)
    this.adopt(commit)
    return commit
  }

  /**
   * Writes a checkpoint of the latest version (or `version`) and updates `_last_checkpoint`: a V2 checkpoint
   * (UUID-named file, parquet sidecars under `_delta_log/_sidecars/`, classic-named compatibility copy) when
   * `delta.checkpointPolicy` is `v2`; else a classic one, written in parts when it holds more than `partSize`
   * actions (default: the `delta-ts.checkpoint.partSize` table property, else one file).
   * Errors: INVALID_ARGUMENT for a `partSize` that is not a positive integer; VERSION_NOT_FOUND for a version
   * not in the log.
   */
  async checkpoint(options: CheckpointOptions = {}): Promise<CheckpointResult> {
    checkOptions('checkpoint', options, CHECKPOINT_OPTIONS)
    const { version, ...rest } = options
    return checkpointSnapshot(await this.snapshot({ version, signal: options.signal }), rest)
  }

  /**
   * Deletes expired log files (older than `delta.logRetentionDuration`, default 30 days) that lie behind a
   * checkpoint which stays readable; never the newest checkpoint or anything after it. Also deletes the temp
   * files killed writers leave in `_delta_log/` (`.<name>.<uuid>.tmp`) once they are an hour old.
   */
  async cleanupMetadata(options: { now?: number; signal?: AbortSignal } = {}): Promise<CleanupResult> {
    checkOptions('cleanupMetadata', options, { now: check.nonNegativeNumber, signal: check.signal })
    return cleanupExpiredLogs(await this.snapshot({ signal: options.signal }), options.now, options.signal)
  }

  /**
   * Deletes data files the table no longer references and that were removed longer ago than the retention
   * (default 168 hours), and V2 checkpoint sidecars no checkpoint references. `dryRun` lists them only. Touches
   * nothing else in `_delta_log`.
   */
  async vacuum(options: VacuumOptions = {}): Promise<VacuumResult> {
    checkOptions('vacuum', options, VACUUM_OPTIONS)
    return vacuumFiles(await this.snapshot({ signal: options.signal }), options)
  }

  /**
   * @internal Takes the post-commit snapshot of a commit made through this table as the cached latest one
   * (when it is newer), so the next operation does not read its own commit back.
   */
  adopt(commit: CommitResult | undefined): void {
    const snap = commit?.postCommit.snapshot
    if (snap && snap.storage === this.storage && (!this.latest || snap.version > this.latest.version)) {
      this.latest = snap
    }
  }

  /**
   * Settles a {@link CommitOutcomeUnknownError}: reads its version back and compares the commitInfo `txnId`.
   * `committed: true` means the operation succeeded at `version` (do not run it again); `false` means another
   * commit holds that version or none does, so the operation did not commit and may be run again.
   * Errors: the storage errors of reading the version (still unreachable: try again later).
   */
  async resolveCommitOutcome(
    err: Pick<CommitOutcomeUnknownError, 'version' | 'txnId'>,
    options: { signal?: AbortSignal } = {},
  ): Promise<{ committed: boolean; version: number }> {
    try {
      const actions = await readCommit(this.storage, err.version, options.signal)
      const txnId = actions.find((a) => a.commitInfo)?.commitInfo?.txnId
      return { committed: txnId === err.txnId, version: err.version }
    } catch (e) {
      if (isDeltaError(e, 'FILE_NOT_FOUND')) return { committed: false, version: err.version }
      throw e
    }
  }

  /**
   * Loads a snapshot: the latest (refreshed incrementally from the last one this object loaded), a given
   * `version`, or the newest version committed at or before `timestamp`.
   * Errors: VERSION_NOT_FOUND for versions or times outside the retained log; the replay errors of the log.
   */
  async snapshot(options: SnapshotOptions = {}): Promise<Snapshot> {
    checkOptions('snapshot', options, SNAPSHOT_OPTIONS)
    const { signal } = options
    if (options.version !== undefined && options.timestamp !== undefined) {
      throw new DeltaError('INVALID_ARGUMENT', 'pass either version or timestamp, not both')
    }
    if (options.timestamp !== undefined) {
      const version = await this.versionAtTimestamp(toEpochMs(options.timestamp), signal)
      return this.snapshot({ version, signal })
    }
    if (options.version !== undefined) {
      if (this.latest && this.latest.version === options.version) return this.latest
      return loadSnapshot(this.storage, options.version, signal)
    }
    this.latest = this.latest
      ? await refreshSnapshot(this.latest, signal)
      : await loadSnapshot(this.storage, undefined, signal)
    return this.latest
  }

  /** The latest version number (refreshes the cached snapshot). */
  async version(): Promise<number> {
    return (await this.snapshot()).version
  }

  /**
   * Commit history, newest first: each version's commitInfo with `version` and `timestamp` (in-commit
   * timestamp when the table enables it, else the commit file time). Versions whose commit files were cleaned
   * up are not listed.
   */
  async history(options: { limit?: number; signal?: AbortSignal } = {}): Promise<HistoryEntry[]> {
    checkOptions('history', options, { limit: check.nonNegativeInteger, signal: check.signal })
    const commits = await this.listCommits(options.signal)
    const fileTimes = monotonicTimestamps(commits.map((c) => c.lastModified))
    const first = Math.max(0, commits.length - (options.limit ?? commits.length))
    const out: HistoryEntry[] = []
    for (let i = commits.length - 1; i >= first; i--) {
      const c = commits[i]
      const actions = await readCommit(this.storage, c.version, options.signal)
      const info = actions.find((a) => a.commitInfo)?.commitInfo ?? {}
      const ts = typeof info.inCommitTimestamp === 'number' ? info.inCommitTimestamp : fileTimes[i]
      out.push({ ...info, version: c.version, timestamp: ts, commitInfo: info })
    }
    return out
  }

  private async listCommits(signal?: AbortSignal) {
    const commits: { version: number; lastModified: number }[] = []
    for (const m of await listLog(this.storage, undefined, signal)) {
      const f = parseLogPath(m.path)
      if (f?.kind === 'commit') commits.push({ version: f.version, lastModified: m.lastModified })
    }
    commits.sort((a, b) => a.version - b.version)
    return commits
  }

  /**
   * The newest version whose commit time is at or before `ts` (see {@link DeltaTable.commitTimes}).
   */
  private async versionAtTimestamp(ts: number, signal?: AbortSignal): Promise<number> {
    const times = await this.commitTimes(signal)
    let found = -1
    for (const t of times) if (t.timestamp <= ts) found = t.version
    if (found < 0) {
      throw new DeltaError(
        'VERSION_NOT_FOUND',
        `no version committed at or before ${new Date(ts).toISOString()}; the earliest retained commit is at ${new Date(times[0].timestamp).toISOString()}`,
      )
    }
    return found
  }

  /**
   * The commit time of every retained commit, ascending: in-commit timestamps from the version that enabled
   * them on, file modification times (made monotonic, as Spark does) before.
   */
  private async commitTimes(signal?: AbortSignal): Promise<{ version: number; timestamp: number }[]> {
    const commits = await this.listCommits(signal)
    if (commits.length === 0) throw new DeltaError('TABLE_NOT_FOUND', `no Delta table at ${this.uri}`)
    const latest = await this.snapshot({ signal })
    const props = latest.properties
    const ictFrom = ictEnablement(props) ?? Number.POSITIVE_INFINITY
    const times: number[] = []
    for (const c of commits) {
      if (c.version >= ictFrom) {
        const info = (await readCommit(this.storage, c.version, signal)).find((a) => a.commitInfo)?.commitInfo
        times.push(typeof info?.inCommitTimestamp === 'number' ? info.inCommitTimestamp : c.lastModified)
      } else {
        times.push(c.lastModified)
      }
    }
    const mono = monotonicTimestamps(times)
    return commits.map((c, i) => ({ version: c.version, timestamp: mono[i] }))
  }

  /**
   * The change data feed (Spark's `table_changes`): the rows inserted, deleted and updated between two versions
   * (inclusive), by version or by commit time, as Arrow batches with the table's columns plus `_change_type`
   * (`insert` / `delete` / `update_preimage` / `update_postimage`), `_commit_version` and `_commit_timestamp`.
   * Commits with change data (`cdc`) files are read from them; other commits' changes are derived from their
   * added and removed files (deletion vectors honoured: rows a new vector marks are deleted rows). The table
   * must have `delta.enableChangeDataFeed = true` through the whole range.
   *
   * ```ts
   * const feed = await table.changes({ startingVersion: 3 })
   * for await (const batch of feed.batches()) ...
   * ```
   *
   * @throws DeltaError `INVALID_ARGUMENT` for a missing start, a start after the end or after the latest
   *   version; `VERSION_NOT_FOUND` for a timestamp outside the log or a version whose commit was cleaned up;
   *   `CHANGE_DATA_NOT_RECORDED` when the feed was off at the start or turned off within the range. Reading
   *   the batches throws `FILE_NOT_FOUND` when a file of the range was vacuumed.
   */
  async changes(options: ChangesOptions): Promise<ChangeFeed> {
    checkArgument('changes', 'options', options, check.object)
    checkOptions('changes', options, CHANGES_OPTIONS)
    const latest = await this.snapshot({ signal: options.signal })
    return openChangeFeed(latest, await this.commitTimes(options.signal), options)
  }
}

function toEpochMs(t: string | Date | number): number {
  const ms = t instanceof Date ? t.getTime() : typeof t === 'number' ? t : Date.parse(t)
  if (!Number.isFinite(ms)) throw new DeltaError('INVALID_ARGUMENT', `invalid timestamp ${String(t)}`)
  return ms
}
