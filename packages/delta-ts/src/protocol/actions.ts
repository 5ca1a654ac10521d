import stableStringify from 'fast-json-stable-stringify'

/**
 * Delta log actions (PROTOCOL.md §Actions), as they appear in JSON commits and checkpoint rows. Field docs
 * follow the spec. Unknown fields are preserved on read and ignored.
 */

/** §Protocol Evolution. Reader 3 / writer 7 list their features explicitly. */
export interface ProtocolAction {
  minReaderVersion: number
  minWriterVersion: number
  readerFeatures?: string[]
  writerFeatures?: string[]
}

/** §Change Metadata. `schemaString` is the JSON of a Delta struct type. */
export interface MetadataAction {
  id: string
  name?: string | null
  description?: string | null
  format: { provider: string; options?: Record<string, string> }
  schemaString: string
  partitionColumns: string[]
  configuration?: Record<string, string | null>
  createdTime?: number | null
}

/** §Deletion Vectors: storageType `u` (relative UUID path), `p` (absolute path), `i` (inline). */
export interface DeletionVectorDescriptor {
  storageType: 'u' | 'p' | 'i'
  pathOrInlineDv: string
  offset?: number | null
  sizeInBytes: number
  cardinality: number
}

/** §Add File and Remove File. `path` is a URI as written in the log (percent-encoded, maybe absolute). */
export interface AddAction {
  path: string
  partitionValues: Record<string, string | null>
  size: number
  modificationTime: number
  dataChange: boolean
  stats?: string | null
  tags?: Record<string, string> | null
  deletionVector?: DeletionVectorDescriptor | null
  baseRowId?: number | null
  defaultRowCommitVersion?: number | null
  clusteringProvider?: string | null
  /** Parsed stats from a checkpoint's `stats_parsed` column, when present. */
  stats_parsed?: Record<string, unknown> | null
  /** Typed partition values from a checkpoint's `partitionValues_parsed` column, when present. */
  partitionValues_parsed?: Record<string, unknown> | null
}

export interface RemoveAction {
  path: string
  deletionTimestamp?: number | null
  dataChange: boolean
  extendedFileMetadata?: boolean | null
  partitionValues?: Record<string, string | null> | null
  size?: number | null
  stats?: string | null
  tags?: Record<string, string> | null
  deletionVector?: DeletionVectorDescriptor | null
  baseRowId?: number | null
  defaultRowCommitVersion?: number | null
}

/** §Transaction Identifiers: the newest version an application committed. */
export interface TxnAction {
  appId: string
  version: number
  lastUpdated?: number | null
}

/** §Domain Metadata. */
export interface DomainMetadataAction {
  domain: string
  configuration: string
  removed: boolean
}

/** §Add CDC File. */
export interface CdcAction {
  path: string
  partitionValues: Record<string, string | null>
  size: number
  dataChange: boolean
  tags?: Record<string, string> | null
}

/** §Sidecar File Information (V2 checkpoints). */
export interface SidecarAction {
  path: string
  sizeInBytes: number
  modificationTime: number
  tags?: Record<string, string> | null
}

/** §Checkpoint Metadata (V2 checkpoints). */
export interface CheckpointMetadataAction {
  version: number
  tags?: Record<string, string> | null
}

/** §Commit Provenance Information. Free-form; the fields below are what Spark and delta-ts write. */
export interface CommitInfoAction {
  timestamp?: number
  inCommitTimestamp?: number
  operation?: string
  operationParameters?: Record<string, unknown>
  operationMetrics?: Record<string, unknown>
  readVersion?: number
  isolationLevel?: string
  isBlindAppend?: boolean
  engineInfo?: string
  txnId?: string
  [key: string]: unknown
}

/** One line of a commit file or one row of a checkpoint: exactly one key is set. */
export interface Action {
  protocol?: ProtocolAction
  metaData?: MetadataAction
  add?: AddAction
  remove?: RemoveAction
  txn?: TxnAction
  domainMetadata?: DomainMetadataAction
  cdc?: CdcAction
  commitInfo?: CommitInfoAction
  sidecar?: SidecarAction
  checkpointMetadata?: CheckpointMetadataAction
}

/** Percent-decodes an add/remove path (RFC 2396 URI, PROTOCOL.md §Add File and Remove File). */
export function decodeActionPath(path: string): string {
  // Most paths have no escapes; decodeURIComponent only changes %-sequences.
  if (!path.includes('%')) return path
  try {
    return decodeURIComponent(path)
  } catch {
    return path
  }
}

const encoder = new TextEncoder()

/**
 * The bytes of a commit file: one action per line, keys sorted (fast-json-stable-stringify), so the same
 * actions always give the same bytes and an ambiguous put can be resolved by comparing them.
 */
export function serializeCommit(actions: readonly Action[]): Uint8Array {
  return encoder.encode(`${actions.map((a) => stableStringify(a)).join('\n')}\n`)
}
