/**
 * The commit pipeline. Every write of delta-ts (append, overwrite, replaceWhere, DELETE, UPDATE, MERGE,
 * OPTIMIZE, CREATE TABLE, and commits of `table.startTransaction()`) goes through {@link Transaction.commit}:
 *
 * ```
 *  stage actions ──► put-if-absent _delta_log/<v>.json ──────────────────────────────┐ ok: committed at v
 *        ▲                 │ FILE_ALREADY_EXISTS          │ COMMIT_OUTCOME_UNKNOWN      │
 *        │                 ▼                              ▼                             │
 *        │     read winners v, v+1, … ◄── taken ── read v back (bounded retries)        │
 *        │     · txnId is ours → committed           · txnId ours → committed ─────────┤
 *        │     · conflict check → CommitConflictError · absent → put v again           │
 *        │     · none: v = first free version          · unreadable → CommitOutcomeUnknownError
 *        └──── backoff (maxRetries → MAX_COMMIT_ATTEMPTS_EXCEEDED)                     │
 *                                                                                      ▼
 *                  post-commit (never throws; failures go to result.postCommit.errors)
 *                  1. snapshot at v: read snapshot + winners + our actions, in memory
 *                  2. checkpoint when v % delta.checkpointInterval == 0
 *                  3. expired-log cleanup after that checkpoint (delta.enableExpiredLogCleanup)
 * ```
 *
 * Once the commit file is ours the operation has succeeded: it returns its version, whatever happens after.
 */

import { v4 as uuidv4 } from 'uuid'
import { CommitOutcomeUnknownError, DeltaError, isDeltaError } from '../errors.js'
import type {
  Action,
  AddAction,
  CdcAction,
  CommitInfoAction,
  DomainMetadataAction,
  MetadataAction,
  ProtocolAction,
  RemoveAction,
} from '../protocol/actions.js'
import { decodeActionPath, serializeCommit } from '../protocol/actions.js'
import { checkConflicts, type IsolationLevel, type ReadSet } from '../protocol/conflict-checker.js'
import { assertWritable, writerFeatures } from '../protocol/features.js'
import { commitPath } from '../protocol/log-path.js'
import { ReplayState } from '../protocol/replay.js'
import type { Storage } from '../storage/types.js'
import { DELTA_TS_VERSION } from '../version.js'
import { assertNoChangeFeedColumns } from './change-data.js'
import { readCommit } from './log-reader.js'
import {
  type CheckpointResult,
  type CleanupResult,
  checkpointDue,
  checkpointSnapshot,
  cleanupExpiredLogs,
} from './maintenance.js'
import { Snapshot } from './snapshot.js'
import { IdentityAllocator, writeRulesFor } from './write-rules.js'

/** Options of every committing operation. */
export interface CommitOptions {
  /** Serializable (default, like Spark) or WriteSerializable (blind appends never conflict with reads). */
  isolationLevel?: IsolationLevel
  /** How many lost races without a conflict to retry before giving up (default 15, like delta-rs). */
  maxRetries?: number
  /** First backoff delay in ms (default 10); doubles per attempt up to {@link CommitOptions.maxBackoffMs}, with jitter. */
  initialBackoffMs?: number
  maxBackoffMs?: number
  /** Extra fields for commitInfo (e.g. userMetadata). */
  commitInfo?: Record<string, unknown>
  signal?: AbortSignal
}

/**
 * What the post-commit stage did. It runs once the commit is in the log and never turns the commit into a
 * failure: whatever went wrong is in `errors` (the log is complete without a checkpoint; the next due commit
 * or `table.checkpoint()` writes it).
 */
export interface PostCommitResult {
  /** The snapshot at the committed version (built in memory, no log read); absent when it could not be built. */
  snapshot?: Snapshot
  /** The checkpoint written, when this version was due for one under `delta.checkpointInterval`. */
  checkpoint?: CheckpointResult
  /** The expired log files deleted after that checkpoint (unless `delta.enableExpiredLogCleanup` is false). */
  cleanup?: CleanupResult
  /** Failures of the steps above (e.g. STORAGE_TRANSIENT writing the checkpoint); empty when all went well. */
  errors: DeltaError[]
}

/** What a successful commit returns. */
export interface CommitResult {
  version: number
  /** Put attempts it took (1 when nobody raced). */
  attempts: number
  /** The commitInfo written. */
  commitInfo: CommitInfoAction
  /** What happened after the commit landed (refresh, checkpoint, cleanup); see {@link PostCommitResult}. */
  postCommit: PostCommitResult
}

/** Reads of an ambiguously committed version before giving up with COMMIT_OUTCOME_UNKNOWN. */
export const RESOLVE_ATTEMPTS = 6

interface Landed {
  version: number
  attempts: number
  commitInfo: CommitInfoAction
  actions: Action[]
  winners: Action[][]
}

/**
 * One atomic change to a table. It records what it read (predicates, files, app ids) and what it writes, and
 * commits by put-if-absent of the next log version, checking every winning commit for conflicts on a lost race.
 * Every write path of delta-ts (append, overwrite, replaceWhere, merge, delete, update, optimize, metadata and
 * protocol changes) commits through a Transaction.
 */
export class Transaction {
  readonly snapshot: Snapshot
  private readonly storage: Storage
  private readonly actions: Action[] = []
  private readonly readFiles = new Set<string>()
  private readonly readPredicates: ((add: AddAction) => boolean)[] = []
  private readonly readAppIds = new Set<string>()
  private wholeTableRead = false
  private metadata?: MetadataAction
  private protocol?: ProtocolAction
  /** Version 0 of a new table: a lost race means TABLE_ALREADY_EXISTS, not a retry. */
  private createsTable = false

  constructor(
    snapshot: Snapshot,
    readonly operation: string,
    readonly operationParameters: Record<string, unknown> = {},
  ) {
    this.snapshot = snapshot
    this.storage = snapshot.storage
    // Fail before any data file is written when this client cannot write the table at all; commit() checks
    // again against the protocol and metadata the transaction ends up committing.
    assertWritable(snapshot.protocol, snapshot.metadata)
  }

  /**
   * @internal A transaction that creates a table: it commits version 0 with `protocol` and `metadata` through
   * the same pipeline as every other commit (ambiguous puts resolved by txnId, post-commit snapshot). Used by
   * `DeltaTable.create`.
   */
  static forNewTable(
    storage: Storage,
    protocol: ProtocolAction,
    metadata: MetadataAction,
    operationParameters: Record<string, unknown>,
  ): Transaction {
    const state = new ReplayState()
    state.protocol = protocol
    state.metadata = metadata
    const txn = new Transaction(new Snapshot(storage, -1, state, 0), 'CREATE TABLE', operationParameters)
    txn.createsTable = true
    return txn.updateProtocol(protocol).updateMetadata(metadata)
  }

  /** Records that the operation depends on the whole table (e.g. overwrite, an unfiltered merge). */
  readWholeTable(): this {
    this.wholeTableRead = true
    return this
  }

  /** Records a read predicate: a concurrent add for which `mayMatch` is true conflicts. */
  readPredicate(mayMatch: (add: AddAction) => boolean): this {
    this.readPredicates.push(mayMatch)
    return this
  }

  /** Records files the operation read (a concurrent remove of one conflicts). Paths are decoded. */
  readFilePaths(paths: Iterable<string>): this {
    for (const p of paths) this.readFiles.add(p)
    return this
  }

  /** Adds data files. */
  add(adds: Iterable<AddAction>): this {
    for (const add of adds) this.actions.push({ add })
    return this
  }

  /** Adds change data files (`cdc` actions, written by DML on tables with the change data feed). */
  addChangeData(cdcs: Iterable<CdcAction>): this {
    for (const cdc of cdcs) this.actions.push({ cdc })
    return this
  }

  /** Removes data files (tombstones carry deletionTimestamp = now). */
  remove(adds: Iterable<AddAction>, dataChange = true): this {
    const now = Date.now()
    for (const a of adds) {
      const remove: RemoveAction = {
        path: a.path,
        deletionTimestamp: now,
        dataChange,
        extendedFileMetadata: true,
        partitionValues: a.partitionValues,
        size: a.size,
        ...(a.stats ? { stats: a.stats } : {}),
        ...(a.deletionVector ? { deletionVector: a.deletionVector } : {}),
        ...(a.tags ? { tags: a.tags } : {}),
        ...(a.baseRowId != null ? { baseRowId: a.baseRowId } : {}),
        ...(a.defaultRowCommitVersion != null ? { defaultRowCommitVersion: a.defaultRowCommitVersion } : {}),
      }
      this.actions.push({ remove })
    }
    return this
  }

  private identityAllocator?: IdentityAllocator

  /**
   * The identity-value allocator of this transaction (undefined when the table has no identity column). Values
   * it hands out continue the read snapshot's high-water marks; {@link Transaction.commit} writes the new marks
   * into the committed metadata, so a concurrent identity write conflicts (MetadataChanged) instead of
   * duplicating values.
   */
  identity(): IdentityAllocator | undefined {
    if (!this.identityAllocator) {
      const rules = writeRulesFor(this.snapshot.schema, this.snapshot.properties)
      if (rules.identity.length === 0) return undefined
      this.identityAllocator = new IdentityAllocator(rules.identity)
    }
    return this.identityAllocator
  }

  /** Sets the application transaction (idempotent writes); a concurrent commit of the same appId conflicts. */
  setAppTransaction(appId: string, version: number): this {
    this.readAppIds.add(appId)
    this.actions.push({ txn: { appId, version, lastUpdated: Date.now() } })
    return this
  }

  /** Replaces the table metadata in this commit. */
  updateMetadata(metadata: MetadataAction): this {
    this.metadata = metadata
    return this
  }

  /** Replaces the protocol in this commit. */
  updateProtocol(protocol: ProtocolAction): this {
    this.protocol = protocol
    return this
  }

  /** Adds or removes a domain's metadata. */
  setDomainMetadata(d: DomainMetadataAction): this {
    this.actions.push({ domainMetadata: d })
    return this
  }

  /** The file actions staged so far. */
  get stagedActions(): readonly Action[] {
    return this.actions
  }

  /** True when the transaction only adds data and read nothing: such commits never conflict with each other. */
  get isBlindAppend(): boolean {
    return (
      !this.wholeTableRead &&
      this.readPredicates.length === 0 &&
      this.readFiles.size === 0 &&
      !this.metadata &&
      !this.protocol &&
      this.actions.every((a) => a.add || a.txn)
    )
  }

  /**
   * Commits, then finishes the job (see the module comment for the pipeline):
   * 1. put-if-absent of version readVersion+1; on FILE_ALREADY_EXISTS reads every winning commit, runs the
   *    conflict checks and, when none fires, retries at the next version with capped exponential backoff and
   *    jitter. A winner carrying this commit's `txnId` is this commit (an earlier ambiguous put landed).
   * 2. An ambiguous put (`COMMIT_OUTCOME_UNKNOWN` or `STORAGE_TRANSIENT` from the storage) is resolved by reading the version back
   *    (bounded retries): our txnId there → committed; another commit → a lost race as in 1; nothing → the
   *    put is sent again at the same version.
   * 3. Post-commit, once the version is ours: the snapshot at the committed version (built in memory from
   *    the read snapshot, the winners and this commit), the checkpoint when `delta.checkpointInterval` says
   *    so, and expired-log cleanup after that checkpoint unless `delta.enableExpiredLogCleanup` is `false`.
   *    Nothing in this stage throws: its failures are in `postCommit.errors`, the commit stays committed.
   *
   * Errors (nothing is committed when it throws, except as said for COMMIT_OUTCOME_UNKNOWN):
   * CommitConflictError (COMMIT_CONFLICT) naming the conflict; MAX_COMMIT_ATTEMPTS_EXCEEDED after
   * `maxRetries` lost races; UNSUPPORTED_FEATURE when the table's protocol forbids this write;
   * TABLE_ALREADY_EXISTS when a table-creating transaction finds version 0 taken; CommitOutcomeUnknownError
   * (COMMIT_OUTCOME_UNKNOWN) when the outcome of the last put could not be settled; storage errors as they come.
   */
  async commit(options: CommitOptions = {}): Promise<CommitResult> {
    if (this.identityAllocator?.advanced) {
      this.metadata = this.identityAllocator.applyTo(this.metadata ?? this.snapshot.metadata)
    }
    const landed = await this.commitLoop(options)
    const postCommit = await this.postCommit(landed, options.signal)
    return { version: landed.version, attempts: landed.attempts, commitInfo: landed.commitInfo, postCommit }
  }

  private async commitLoop(options: CommitOptions): Promise<Landed> {
    const isolationLevel = options.isolationLevel ?? 'Serializable'
    const maxRetries = options.maxRetries ?? 15
    const initialBackoff = options.initialBackoffMs ?? 10
    const maxBackoff = options.maxBackoffMs ?? 2000
    const readVersion = this.snapshot.version
    const effectiveProtocol = this.protocol ?? this.snapshot.protocol
    const effectiveMetadata = this.metadata ?? this.snapshot.metadata
    assertWritable(effectiveProtocol, effectiveMetadata)
    this.assertAppendOnly(effectiveMetadata)
    // A commit that changes the metadata may enable the change feed or add a column: both must leave no clash.
    if (this.metadata) assertNoChangeFeedColumns(effectiveMetadata)

    const txnId = uuidv4()
    const isBlindAppend = this.isBlindAppend
    const rowTracking = writerFeatures(effectiveProtocol).includes('rowTracking')
    if (rowTracking) this.assertRowIdsPreserved(effectiveMetadata)
    const appIds = [...this.readAppIds]
    const readSet: ReadSet = {
      readVersion,
      readWholeTable: this.wholeTableRead,
      readPredicates: this.readPredicates,
      readFiles: this.readFiles,
      readAppIds: this.readAppIds,
    }
    const ictEnabled = effectiveMetadata.configuration?.['delta.enableInCommitTimestamps'] === 'true'
    let lastIct = ictEnabled ? await this.previousInCommitTimestamp(readVersion, options.signal) : 0
    /** The commits that won versions readVersion+1 .. version-1, in order (for the post-commit snapshot). */
    const winners: Action[][] = []

    let version = readVersion + 1
    for (let attempt = 1; ; attempt++) {
      options.signal?.throwIfAborted()
      const now = Date.now()
      const commitInfo: CommitInfoAction = {
        ...(ictEnabled ? { inCommitTimestamp: Math.max(now, lastIct + 1) } : {}),
        timestamp: now,
        operation: this.operation,
        operationParameters: this.operationParameters,
        ...(readVersion >= 0 ? { readVersion } : {}),
        isolationLevel,
        isBlindAppend,
        operationMetrics: this.operationMetrics(),
        engineInfo: `delta-ts/${DELTA_TS_VERSION}`,
        ...options.commitInfo,
        txnId,
      }
      const actions: Action[] = [{ commitInfo }]
      if (this.protocol) actions.push({ protocol: this.protocol })
      if (this.metadata) actions.push({ metaData: this.metadata })
      // Row ids are assigned per attempt: after a lost race they continue the winners' high-water mark.
      for (const a of rowTracking ? this.withRowIds(version, winners) : this.actions) actions.push(a)
      const bytes = serializeCommit(actions)
      let outcome: 'ours' | 'taken' | 'absent'
      try {
        await this.storage.put(commitPath(version), bytes, { overwrite: false, signal: options.signal })
        outcome = 'ours'
      } catch (err) {
        if (isDeltaError(err, 'FILE_ALREADY_EXISTS')) outcome = 'taken'
        else if (isDeltaError(err, 'COMMIT_OUTCOME_UNKNOWN') || isDeltaError(err, 'STORAGE_TRANSIENT')) {
          // A transient failure of the put may have landed anyway (a lost response); a backend that cannot
          // tell says COMMIT_OUTCOME_UNKNOWN. Either way the log itself answers: read the version back.
          outcome = await this.resolveAmbiguous(version, txnId, appIds, err, options.signal)
          // A transient put that provably did not land is the caller's to retry (nothing is committed).
          if (outcome === 'absent' && isDeltaError(err, 'STORAGE_TRANSIENT')) throw err
        } else throw err
      }
      if (outcome === 'ours') return { version, attempts: attempt, commitInfo, actions, winners }
      if (outcome === 'taken') {
        // Lost the race for `version`: check it and every later winner.
        let next = version
        for (;;) {
          let winner: Action[]
          try {
            winner = await readCommit(this.storage, next, options.signal)
          } catch (err) {
            if (isDeltaError(err, 'FILE_NOT_FOUND')) break
            throw err
          }
          if (winner.find((a) => a.commitInfo)?.commitInfo?.txnId === txnId) {
            // Our own commit: an earlier ambiguous put of this transaction landed after all.
            return { version: next, attempts: attempt, commitInfo, actions, winners }
          }
          if (this.createsTable) {
            throw new DeltaError('TABLE_ALREADY_EXISTS', `a Delta table already exists at ${this.storage.rootUri}`)
          }
          checkConflicts(
            readSet,
            { actions: [...actions.slice(1)], isolationLevel },
            { version: next, actions: winner },
            {
              canReadAndWrite: (p) => {
                try {
                  assertWritable(p, effectiveMetadata)
                  return true
                } catch {
                  return false
                }
              },
            },
          )
          const ict = winner.find((a) => a.commitInfo)?.commitInfo?.inCommitTimestamp
          if (typeof ict === 'number') lastIct = Math.max(lastIct, ict)
          winners.push(winner)
          next++
        }
        version = next
      }
      // 'absent': the ambiguous put did not land; the same version is tried again.
      if (attempt > maxRetries) {
        throw new DeltaError(
          'MAX_COMMIT_ATTEMPTS_EXCEEDED',
          `gave up after ${attempt} attempts: other writers kept winning versions up to ${version - 1}`,
        )
      }
      const backoff = Math.min(maxBackoff, initialBackoff * 2 ** (attempt - 1))
      await sleep(backoff / 2 + Math.random() * (backoff / 2), options.signal)
    }
  }

  /**
   * After an ambiguous put of `version`: read it back (up to {@link RESOLVE_ATTEMPTS} times with backoff).
   * Ours when it carries our txnId, 'taken' when another commit holds it, 'absent' when nothing is there.
   * CommitOutcomeUnknownError when every read failed.
   */
  private async resolveAmbiguous(
    version: number,
    txnId: string,
    appIds: string[],
    cause: DeltaError,
    signal?: AbortSignal,
  ): Promise<'ours' | 'taken' | 'absent'> {
    let last: unknown = cause
    for (let i = 0; i < RESOLVE_ATTEMPTS; i++) {
      if (i > 0) await sleep(Math.min(2000, 100 * 2 ** (i - 1)) * (0.5 + Math.random() / 2), signal)
      try {
        const actions = await readCommit(this.storage, version, signal)
        return actions.find((a) => a.commitInfo)?.commitInfo?.txnId === txnId ? 'ours' : 'taken'
      } catch (err) {
        if (isDeltaError(err, 'FILE_NOT_FOUND')) return 'absent'
        if (isDeltaError(err, 'ABORTED')) break
        last = err
      }
    }
    throw new CommitOutcomeUnknownError(
      version,
      txnId,
      appIds,
      `${cause.message}; reading the version back failed ${RESOLVE_ATTEMPTS} times (${last instanceof Error ? last.message : String(last)})`,
      { cause: last },
    )
  }

  /** The post-commit stage: never throws; problems go to `errors`. */
  private async postCommit(landed: Landed, signal?: AbortSignal): Promise<PostCommitResult> {
    const result: PostCommitResult = { errors: [] }
    const fail = (err: unknown) => {
      result.errors.push(
        err instanceof DeltaError
          ? err
          : new DeltaError('INTERNAL', `post-commit step failed: ${err instanceof Error ? err.message : String(err)}`, {
              cause: err,
            }),
      )
    }
    let snap: Snapshot
    try {
      const state = this.snapshot.state.clone()
      for (const w of landed.winners) for (const a of w) state.apply(a)
      for (const a of landed.actions) state.apply(a)
      const ict = landed.commitInfo.inCommitTimestamp
      let timestamp = typeof ict === 'number' ? ict : undefined
      if (timestamp === undefined) {
        try {
          timestamp = (await this.storage.head(commitPath(landed.version), { signal })).lastModified
        } catch (err) {
          fail(err)
        }
      }
      snap = new Snapshot(this.storage, landed.version, state, timestamp ?? landed.commitInfo.timestamp ?? Date.now())
      // A snapshot whose timestamp is a guess is used for the checkpoint (which does not read it) only.
      if (timestamp !== undefined) result.snapshot = snap
    } catch (err) {
      fail(err)
      return result
    }
    if (!checkpointDue(snap, landed.version)) return result
    try {
      result.checkpoint = await checkpointSnapshot(snap, { signal })
    } catch (err) {
      fail(err)
      return result
    }
    if (snap.properties['delta.enableExpiredLogCleanup'] === 'false') return result
    try {
      result.cleanup = await cleanupExpiredLogs(snap, Date.now(), signal)
    } catch (err) {
      fail(err)
    }
    return result
  }

  /**
   * Row tracking (PROTOCOL.md §Row Tracking): every new add gets `baseRowId` (continuing the `delta.rowTracking`
   * domain's `rowIdHighWaterMark` of the read snapshot and the winners) and `defaultRowCommitVersion` = the
   * version being attempted; an add that re-adds a file this commit removes (a deletion vector update) keeps
   * the file's ids. The domain's new high-water mark is part of the commit.
   */
  private withRowIds(version: number, winners: readonly Action[][]): Action[] {
    let hwm = -1
    const domain = this.snapshot.state.domains.get(ROW_TRACKING_DOMAIN)
    const readMark = (d: DomainMetadataAction | undefined) => {
      if (!d || d.removed) return
      try {
        const v = JSON.parse(d.configuration).rowIdHighWaterMark
        if (typeof v === 'number' && v > hwm) hwm = v
      } catch {
        throw new DeltaError('INVALID_LOG', `the ${ROW_TRACKING_DOMAIN} domain metadata is not valid JSON`)
      }
    }
    readMark(domain)
    for (const w of winners)
      for (const a of w) if (a.domainMetadata?.domain === ROW_TRACKING_DOMAIN) readMark(a.domainMetadata)
    const start = hwm
    const removed = new Map<string, RemoveAction>()
    for (const a of this.actions) if (a.remove) removed.set(decodeActionPath(a.remove.path), a.remove)
    const out: Action[] = []
    for (const a of this.actions) {
      if (!a.add) {
        out.push(a)
        continue
      }
      const same = removed.get(decodeActionPath(a.add.path))
      if (a.add.baseRowId != null || same?.baseRowId != null) {
        out.push({
          add: {
            ...a.add,
            baseRowId: a.add.baseRowId ?? same?.baseRowId,
            defaultRowCommitVersion: a.add.defaultRowCommitVersion ?? same?.defaultRowCommitVersion ?? version,
          },
        })
        continue
      }
      const n = numRecords(a.add.stats, -1)
      if (n < 0) {
        throw new DeltaError(
          'INTERNAL',
          `row tracking needs numRecords in the stats of ${a.add.path} to assign row ids`,
        )
      }
      out.push({ add: { ...a.add, baseRowId: hwm + 1, defaultRowCommitVersion: version } })
      hwm += n
    }
    if (hwm !== start) {
      out.push({
        domainMetadata: {
          domain: ROW_TRACKING_DOMAIN,
          configuration: JSON.stringify({ rowIdHighWaterMark: hwm }),
          removed: false,
        },
      })
    }
    return out
  }

  /**
   * A commit that removes files and adds new ones in a row-level operation (copy-on-write DELETE / UPDATE /
   * MERGE, OPTIMIZE) keeps the moved rows' ids in the materialized row-tracking columns (core/row-tracking.ts),
   * which the table configuration must name; a row-tracking table without them (a writer that never assigned
   * them) cannot have its files rewritten without changing row ids, so such a commit is refused.
   */
  private assertRowIdsPreserved(metadata: MetadataAction): void {
    const conf = metadata.configuration ?? {}
    if (
      conf['delta.rowTracking.materializedRowIdColumnName'] &&
      conf['delta.rowTracking.materializedRowCommitVersionColumnName']
    )
      return
    const removed = new Set<string>()
    for (const a of this.actions) if (a.remove) removed.add(decodeActionPath(a.remove.path))
    if (removed.size === 0) return
    if (this.operation === 'WRITE' || this.operation === 'CREATE TABLE' || this.operation === 'CREATE OR REPLACE TABLE')
      return
    const moved = this.actions.some((a) => a.add && !removed.has(decodeActionPath(a.add.path)))
    if (moved) {
      throw new DeltaError(
        'UNSUPPORTED_FEATURE',
        `${this.operation} would rewrite data files of a table with row tracking whose configuration names no ` +
          'materialized row-id columns (delta.rowTracking.materializedRowIdColumnName / ' +
          'materializedRowCommitVersionColumnName), so the moved rows would change row ids; appends, overwrites, ' +
          'whole-file deletes and deletion-vector deletes are supported',
      )
    }
  }

  private assertAppendOnly(metadata: MetadataAction): void {
    if (metadata.configuration?.['delta.appendOnly'] !== 'true') return
    if (this.actions.some((a) => a.remove?.dataChange)) {
      throw new DeltaError(
        'APPEND_ONLY_VIOLATION',
        `${this.operation} would remove data from an append-only table (delta.appendOnly = true)`,
      )
    }
  }

  private async previousInCommitTimestamp(readVersion: number, signal?: AbortSignal): Promise<number> {
    if (readVersion < 0) return 0
    try {
      const info = (await readCommit(this.storage, readVersion, signal)).find((a) => a.commitInfo)?.commitInfo
      return typeof info?.inCommitTimestamp === 'number' ? info.inCommitTimestamp : 0
    } catch {
      return 0
    }
  }

  /** Spark-style operationMetrics derived from the staged actions, merged with ones the operation set. */
  private operationMetrics(): Record<string, string> {
    const adds = this.actions.filter((a) => a.add).map((a) => a.add!)
    const removes = this.actions.filter((a) => a.remove).map((a) => a.remove!)
    const rows = adds.reduce((s, a) => s + numRecords(a.stats), 0)
    const metrics: Record<string, string> = {
      numFiles: String(adds.length),
      numOutputRows: String(rows),
      numOutputBytes: String(adds.reduce((s, a) => s + a.size, 0)),
    }
    if (removes.length > 0 || this.operation !== 'WRITE') metrics.numRemovedFiles = String(removes.length)
    for (const [k, v] of Object.entries(this.extraMetrics)) metrics[k] = String(v)
    return metrics
  }

  private extraMetrics: Record<string, number | string> = {}

  /** Sets operation-specific metrics (e.g. numTargetRowsUpdated for MERGE). */
  setMetrics(metrics: Record<string, number | string>): this {
    Object.assign(this.extraMetrics, metrics)
    return this
  }

  /** Decoded paths of the files this transaction removes. */
  removedPaths(): Set<string> {
    return new Set(this.actions.filter((a) => a.remove).map((a) => decodeActionPath(a.remove!.path)))
  }
}

/** The row-tracking domain (PROTOCOL.md §Row Tracking): `{"rowIdHighWaterMark": n}`. */
export const ROW_TRACKING_DOMAIN = 'delta.rowTracking'

function numRecords(stats: string | null | undefined, missing = 0): number {
  if (!stats) return missing
  try {
    const n = JSON.parse(stats).numRecords
    return typeof n === 'number' ? n : missing
  } catch {
    return missing
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms)
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t)
        reject(new DeltaError('ABORTED', 'commit aborted', { cause: signal.reason }))
      },
      { once: true },
    )
  })
}
