import { v4 as uuidv4 } from 'uuid'
import { DeltaError, isDeltaError } from '../errors.js'
import type {
  Action,
  AddAction,
  CommitInfoAction,
  DomainMetadataAction,
  MetadataAction,
  ProtocolAction,
  RemoveAction,
} from '../protocol/actions.js'
import { decodeActionPath, serializeCommit } from '../protocol/actions.js'
import { checkConflicts, type IsolationLevel, type ReadSet } from '../protocol/conflict-checker.js'
import { assertWritable } from '../protocol/features.js'
import { commitPath } from '../protocol/log-path.js'
import type { Storage } from '../storage/types.js'
import { DELTA_TS_VERSION } from '../version.js'
import { readCommit } from './log-reader.js'
import type { Snapshot } from './snapshot.js'

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

/** What a successful commit returns. */
export interface CommitResult {
  version: number
  /** Put attempts it took (1 when nobody raced). */
  attempts: number
  /** The commitInfo written. */
  commitInfo: CommitInfoAction
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
      }
      this.actions.push({ remove })
    }
    return this
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
   * Commits. Put-if-absent of version readVersion+1; on FILE_ALREADY_EXISTS reads every winning commit, runs
   * the conflict checks and, when none fires, retries at the next version with capped exponential backoff and
   * jitter. Errors: CommitConflictError (COMMIT_CONFLICT) naming the conflict; MAX_COMMIT_ATTEMPTS_EXCEEDED
   * after `maxRetries` lost races; UNSUPPORTED_FEATURE when the table's protocol forbids this write; storage
   * errors as they come. Nothing is committed when it throws.
   */
  async commit(options: CommitOptions = {}): Promise<CommitResult> {
    const isolationLevel = options.isolationLevel ?? 'Serializable'
    const maxRetries = options.maxRetries ?? 15
    const initialBackoff = options.initialBackoffMs ?? 10
    const maxBackoff = options.maxBackoffMs ?? 2000
    const readVersion = this.snapshot.version
    const effectiveProtocol = this.protocol ?? this.snapshot.protocol
    const effectiveMetadata = this.metadata ?? this.snapshot.metadata
    assertWritable(effectiveProtocol, effectiveMetadata)
    this.assertAppendOnly(effectiveMetadata)

    const txnId = uuidv4()
    const isBlindAppend = this.isBlindAppend
    const fileActions = this.actions
    const readSet: ReadSet = {
      readVersion,
      readWholeTable: this.wholeTableRead,
      readPredicates: this.readPredicates,
      readFiles: this.readFiles,
      readAppIds: this.readAppIds,
    }
    const ictEnabled = effectiveMetadata.configuration?.['delta.enableInCommitTimestamps'] === 'true'
    let lastIct = ictEnabled ? await this.previousInCommitTimestamp(readVersion, options.signal) : 0

    let version = readVersion + 1
    for (let attempt = 1; ; attempt++) {
      options.signal?.throwIfAborted()
      const now = Date.now()
      const commitInfo: CommitInfoAction = {
        ...(ictEnabled ? { inCommitTimestamp: Math.max(now, lastIct + 1) } : {}),
        timestamp: now,
        operation: this.operation,
        operationParameters: this.operationParameters,
        readVersion,
        isolationLevel,
        isBlindAppend,
        operationMetrics: this.operationMetrics(),
        engineInfo: `delta-ts/${DELTA_TS_VERSION}`,
        txnId,
        ...options.commitInfo,
      }
      const actions: Action[] = [{ commitInfo }]
      if (this.protocol) actions.push({ protocol: this.protocol })
      if (this.metadata) actions.push({ metaData: this.metadata })
      for (const a of fileActions) actions.push(a)
      const bytes = serializeCommit(actions)
      try {
        await this.storage.put(commitPath(version), bytes, { overwrite: false, signal: options.signal })
        return { version, attempts: attempt, commitInfo }
      } catch (err) {
        if (!isDeltaError(err, 'FILE_ALREADY_EXISTS')) throw err
      }
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
        next++
      }
      version = next
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

function numRecords(stats: string | null | undefined): number {
  if (!stats) return 0
  try {
    const n = JSON.parse(stats).numRecords
    return typeof n === 'number' ? n : 0
  } catch {
    return 0
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
