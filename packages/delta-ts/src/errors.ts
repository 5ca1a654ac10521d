/**
 * Every failure delta-ts reports is a {@link DeltaError} with a machine-readable {@link DeltaErrorCode}.
 * Adapters translate backend errors at the edge (an S3 412 becomes `FILE_ALREADY_EXISTS`), so callers branch
 * on `code`, never on messages.
 */
export type DeltaErrorCode =
  /** A storage object does not exist. */
  | 'FILE_NOT_FOUND'
  /** A put with `overwrite: false` found the object already there (someone else won the race). */
  | 'FILE_ALREADY_EXISTS'
  /** The location has no `_delta_log` with any commit or checkpoint. */
  | 'TABLE_NOT_FOUND'
  /** `create` was called on a location that already holds a table. */
  | 'TABLE_ALREADY_EXISTS'
  /** A log file could not be parsed (malformed JSON, wrong shape); the message names file and line. */
  | 'INVALID_LOG'
  /** The log has a hole between two versions that replay needs. */
  | 'VERSION_GAP'
  /** The requested version or timestamp is not in the log (never written, or cleaned up). */
  | 'VERSION_NOT_FOUND'
  /**
   * A change data feed read (`table.changes`) covers a version that recorded no changes: the table had
   * `delta.enableChangeDataFeed` off there. The message names the version and the range.
   */
  | 'CHANGE_DATA_NOT_RECORDED'
  /** The log reconstructs no protocol action. */
  | 'MISSING_PROTOCOL'
  /** The log reconstructs no metaData action. */
  | 'MISSING_METADATA'
  /** The table needs a reader or writer feature delta-ts does not implement; the message names it. */
  | 'UNSUPPORTED_FEATURE'
  /** Data does not fit the table schema; the message names the fields. */
  | 'SCHEMA_MISMATCH'
  /** A schema string in the log is not a valid Delta schema. */
  | 'INVALID_SCHEMA'
  /** A filter or predicate could not be parsed or typed; the message gives the position. */
  | 'INVALID_PREDICATE'
  /** Integer or decimal arithmetic in a predicate overflowed its result type (delta-ts never wraps around). */
  | 'ARITHMETIC_OVERFLOW'
  /** A caller passed an argument outside its contract. */
  | 'INVALID_ARGUMENT'
  /**
   * Arrow data from another apache-arrow copy (another version, or the CommonJS build beside the ES module one)
   * holds something the copy delta-ts uses cannot represent; the message names both and the fix.
   */
  | 'ARROW_INCOMPATIBLE'
  /** Optimistic concurrency lost against a conflicting winner ({@link CommitConflictError}). */
  | 'COMMIT_CONFLICT'
  /**
   * A commit (put-if-absent of a log version) may or may not have landed, and reading it back did not settle
   * it within the retry bound ({@link CommitOutcomeUnknownError} carries the version and how to resolve it).
   * Never retry such an operation blindly: resolve it first (`table.resolveCommitOutcome(err)`).
   */
  | 'COMMIT_OUTCOME_UNKNOWN'
  /** The commit loop gave up after `maxRetries` lost races without a conflict. */
  | 'MAX_COMMIT_ATTEMPTS_EXCEEDED'
  /** The operation would remove data from a table with `delta.appendOnly = true`. */
  | 'APPEND_ONLY_VIOLATION'
  /** Written rows break a declared condition (e.g. a replaceWhere predicate). */
  | 'CONSTRAINT_VIOLATION'
  /** MERGE matched one target row with more than one source row. */
  | 'MERGE_DUPLICATE_SOURCE'
  /** A storage backend failed in a way that may succeed if retried (network, throttling, 5xx). */
  | 'STORAGE_TRANSIENT'
  /** A storage backend failed for good (permissions, bad bucket, an unimplemented request). */
  | 'STORAGE_ERROR'
  /**
   * The storage client is misconfigured: no region, no credentials, credentials the store rejects. Permanent:
   * retrying cannot help until the configuration changes (unlike `STORAGE_TRANSIENT`).
   */
  | 'STORAGE_CONFIG'
  /** An optional peer dependency the operation needs is not installed (e.g. `@aws-sdk/client-s3` for s3://). */
  | 'MISSING_DEPENDENCY'
  /** A data file could not be decoded or encoded. */
  | 'PARQUET_ERROR'
  /** A deletion vector could not be loaded or decoded. */
  | 'INVALID_DELETION_VECTOR'
  /** The store cannot commit safely (no conditional writes) and the caller did not opt in. */
  | 'UNSAFE_COMMIT'
  /** The operation was cancelled through its AbortSignal. */
  | 'ABORTED'
  /** Unexpected internal state: a bug in delta-ts. */
  | 'INTERNAL'

/** The one error class of delta-ts. `code` says what happened; `cause` keeps the backend's error. */
export class DeltaError extends Error {
  readonly code: DeltaErrorCode
  constructor(code: DeltaErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'DeltaError'
    this.code = code
  }
}

/** The named conflict checks of optimistic concurrency (Spark ConflictChecker semantics). */
export type ConflictKind =
  | 'ConcurrentAppend'
  | 'ConcurrentDeleteRead'
  | 'ConcurrentDeleteDelete'
  | 'MetadataChanged'
  | 'ProtocolChanged'
  | 'ConcurrentTransaction'

/**
 * Thrown when a commit loses a race to a winner whose changes conflict with what this transaction read or
 * wrote. Nothing of the losing transaction is committed; its data files are orphans that vacuum removes.
 */
export class CommitConflictError extends DeltaError {
  readonly kind: ConflictKind
  /** The winning commit version that conflicted. */
  readonly winningVersion: number
  /** What the caller can do about it. */
  readonly hint: string
  constructor(kind: ConflictKind, winningVersion: number, message: string, hint: string) {
    super('COMMIT_CONFLICT', `${kind} at version ${winningVersion}: ${message}. Help: ${hint}`)
    this.name = 'CommitConflictError'
    this.kind = kind
    this.winningVersion = winningVersion
    this.hint = hint
  }
}

/**
 * Thrown by a commit whose put-if-absent of `version` may have landed (the store answered ambiguously and
 * reading the version back kept failing). The operation may be committed; nothing else of it is. Resolve it
 * with `table.resolveCommitOutcome(err)` (reads `version` back and compares its commitInfo `txnId`), or, for
 * idempotent writes, by re-running with the same `txn` appId/version: it is skipped if the first run landed.
 */
export class CommitOutcomeUnknownError extends DeltaError {
  /** The log version whose commit may or may not be ours. */
  readonly version: number
  /** The commitInfo `txnId` our commit carries at `version` if it landed. */
  readonly txnId: string
  /** The application transaction ids (`txn` appIds) the commit sets, if any. */
  readonly appIds: string[]
  /** What the caller can do about it. */
  readonly hint: string
  constructor(version: number, txnId: string, appIds: string[], detail: string, options?: { cause?: unknown }) {
    const hint =
      appIds.length > 0
        ? `re-run the operation with the same txn (appId ${appIds.map((a) => `'${a}'`).join(', ')}): it is skipped if this commit landed; or call table.resolveCommitOutcome(error)`
        : `call table.resolveCommitOutcome(error) (reads version ${version} back and compares txnId ${txnId}) before retrying`
    super(
      'COMMIT_OUTCOME_UNKNOWN',
      `the commit of version ${version} may or may not have landed: ${detail}. Help: ${hint}`,
      options,
    )
    this.name = 'CommitOutcomeUnknownError'
    this.version = version
    this.txnId = txnId
    this.appIds = appIds
    this.hint = hint
  }
}

/** True when `err` is a DeltaError with the given code. */
export function isDeltaError(err: unknown, code?: DeltaErrorCode): err is DeltaError {
  return err instanceof DeltaError && (code === undefined || err.code === code)
}
