import { CommitConflictError } from '../errors.js'
import type { Action, AddAction, CommitInfoAction, ProtocolAction } from './actions.js'
import { decodeActionPath } from './actions.js'

/**
 * Conflict detection for optimistic concurrency, with Spark's ConflictChecker semantics: one named check per
 * kind of conflict, run against every commit that won the race since this transaction's read version.
 *
 * ```
 *  read snapshot v ──► write data files ──► put-if-absent v+1 ──ok──► committed
 *                                               │ FILE_ALREADY_EXISTS
 *                                               ▼
 *                       for each winner w in v+1..latest: checkConflicts(txn, w)
 *                          │ a check fires                        │ none fires
 *                          ▼                                      ▼
 *                 CommitConflictError(kind)            retry put-if-absent at latest+1
 * ```
 */
export type IsolationLevel = 'Serializable' | 'WriteSerializable'

/** What a transaction read: the basis for deciding whether a winner's changes invalidate it. */
export interface ReadSet {
  readVersion: number
  /** The transaction read the whole table (any concurrent data change may matter). */
  readWholeTable: boolean
  /**
   * Read predicates as file matchers: true when an added file may hold rows the predicate selects.
   * A transaction that read nothing (a blind append) has none.
   */
  readPredicates: ((add: AddAction) => boolean)[]
  /** Decoded paths of the files the transaction read. */
  readFiles: ReadonlySet<string>
  /** Application ids whose txn version the transaction read or writes. */
  readAppIds: ReadonlySet<string>
}

/** What a transaction writes. */
export interface WriteSet {
  actions: readonly Action[]
  isolationLevel: IsolationLevel
}

/** A commit that won the race. */
export interface WinningCommit {
  version: number
  actions: readonly Action[]
}

/** Protocol checks delegated to the caller (whether this client can read and write the winner's protocol). */
export interface ProtocolSupport {
  canReadAndWrite(p: ProtocolAction): boolean
}

/** Runs every check against one winner; throws {@link CommitConflictError} on the first that fires. */
export function checkConflicts(
  read: ReadSet,
  write: WriteSet,
  winner: WinningCommit,
  protocols: ProtocolSupport,
): void {
  const summary = summarize(winner)
  checkProtocolCompatibility(write, summary, protocols)
  checkNoMetadataUpdates(summary)
  checkForAddedFilesThatShouldHaveBeenReadByCurrentTxn(read, write, summary)
  checkForDeletedFilesAgainstCurrentTxnReadFiles(read, summary)
  checkForDeletedFilesAgainstCurrentTxnDeletedFiles(write, summary)
  checkForUpdatedApplicationTransactionIdsThatCurrentTxnDependsOn(read, summary)
}

interface WinnerSummary {
  version: number
  protocol?: ProtocolAction
  metadataChanged: boolean
  /** Adds with dataChange, split by whether the winner was a blind append. */
  changedDataAdds: AddAction[]
  blindAppendAdds: AddAction[]
  removedPaths: Set<string>
  appIds: Set<string>
  commitInfo?: CommitInfoAction
}

function summarize(w: WinningCommit): WinnerSummary {
  const commitInfo = w.actions.find((a) => a.commitInfo)?.commitInfo
  const isBlindAppend = commitInfo?.isBlindAppend === true
  const s: WinnerSummary = {
    version: w.version,
    metadataChanged: false,
    changedDataAdds: [],
    blindAppendAdds: [],
    removedPaths: new Set(),
    appIds: new Set(),
    commitInfo,
  }
  for (const a of w.actions) {
    if (a.protocol) s.protocol = a.protocol
    else if (a.metaData) s.metadataChanged = true
    else if (a.add && a.add.dataChange !== false) (isBlindAppend ? s.blindAppendAdds : s.changedDataAdds).push(a.add)
    // Every remove counts, dataChange or not (Spark's removedFiles): a compaction that rewrote a file this
    // transaction read or removes would otherwise let both commit and duplicate or resurrect rows.
    else if (a.remove) s.removedPaths.add(decodeActionPath(a.remove.path))
    else if (a.txn) s.appIds.add(a.txn.appId)
  }
  return s
}

function describe(s: WinnerSummary): string {
  return s.commitInfo?.operation ? `a concurrent ${s.commitInfo.operation}` : 'a concurrent transaction'
}

/** A winner changed the protocol to one this client cannot use, or both transactions change the protocol. */
export function checkProtocolCompatibility(write: WriteSet, s: WinnerSummary, protocols: ProtocolSupport): void {
  if (!s.protocol) return
  if (!protocols.canReadAndWrite(s.protocol)) {
    throw new CommitConflictError(
      'ProtocolChanged',
      s.version,
      `${describe(s)} upgraded the protocol to ${s.protocol.minReaderVersion}/${s.protocol.minWriterVersion}, which delta-ts cannot write`,
      'this table can no longer be written by this version of delta-ts',
    )
  }
  if (write.actions.some((a) => a.protocol)) {
    throw new CommitConflictError(
      'ProtocolChanged',
      s.version,
      `${describe(s)} changed the protocol while this transaction also changes it`,
      'reload the table and retry the protocol change',
    )
  }
}

/** Any winning metaData change invalidates a transaction written against the old schema and properties. */
export function checkNoMetadataUpdates(s: WinnerSummary): void {
  if (s.metadataChanged) {
    throw new CommitConflictError(
      'MetadataChanged',
      s.version,
      `${describe(s)} changed the table metadata (schema, partitioning or properties)`,
      'reload the table and retry the operation against the new metadata',
    )
  }
}

/**
 * A winner added files holding rows this transaction's reads would have seen. Under WriteSerializable, files
 * from blind appends do not count (Spark semantics); a transaction that read nothing never conflicts here.
 */
export function checkForAddedFilesThatShouldHaveBeenReadByCurrentTxn(
  read: ReadSet,
  write: WriteSet,
  s: WinnerSummary,
): void {
  const candidates =
    write.isolationLevel === 'Serializable' ? [...s.changedDataAdds, ...s.blindAppendAdds] : s.changedDataAdds
  if (candidates.length === 0) return
  const conflicting = read.readWholeTable
    ? candidates[0]
    : candidates.find((add) => read.readPredicates.some((matches) => matches(add)))
  if (conflicting) {
    throw new CommitConflictError(
      'ConcurrentAppend',
      s.version,
      `${describe(s)} added file ${decodeActionPath(conflicting.path)} that this transaction's read ${read.readWholeTable ? '(the whole table)' : 'predicate'} would have selected`,
      'retry the operation; to let it run beside concurrent writers, narrow its predicate (for example to partitions it alone touches) or use isolationLevel WriteSerializable',
    )
  }
}

/** A winner removed a file this transaction read. */
export function checkForDeletedFilesAgainstCurrentTxnReadFiles(read: ReadSet, s: WinnerSummary): void {
  for (const p of s.removedPaths) {
    if (read.readFiles.has(p) || read.readWholeTable) {
      throw new CommitConflictError(
        'ConcurrentDeleteRead',
        s.version,
        `${describe(s)} removed file ${p}, which this transaction read`,
        'retry the operation against the new version of the table',
      )
    }
  }
}

/** Both transactions removed the same file (e.g. two DELETEs or an OPTIMIZE beside a DELETE). */
export function checkForDeletedFilesAgainstCurrentTxnDeletedFiles(write: WriteSet, s: WinnerSummary): void {
  for (const a of write.actions) {
    if (a.remove && s.removedPaths.has(decodeActionPath(a.remove.path))) {
      throw new CommitConflictError(
        'ConcurrentDeleteDelete',
        s.version,
        `${describe(s)} also removed file ${decodeActionPath(a.remove.path)}`,
        'retry the operation against the new version of the table',
      )
    }
  }
}

/** A winner committed a txn for an application id this transaction depends on (idempotent writers). */
export function checkForUpdatedApplicationTransactionIdsThatCurrentTxnDependsOn(read: ReadSet, s: WinnerSummary): void {
  for (const id of s.appIds) {
    if (read.readAppIds.has(id)) {
      throw new CommitConflictError(
        'ConcurrentTransaction',
        s.version,
        `${describe(s)} committed a transaction for application id '${id}'`,
        'another writer with the same appId committed first; reload and check appTransactionVersion before retrying',
      )
    }
  }
}
