import { DeltaError } from '../errors.js'
import type {
  Action,
  AddAction,
  DomainMetadataAction,
  MetadataAction,
  ProtocolAction,
  RemoveAction,
  TxnAction,
} from './actions.js'
import { decodeActionPath } from './actions.js'
import { fileActionKey } from './file-entry.js'
import { LayeredMap } from './layered-map.js'
import { columnMappingMode, findField, parseSchemaString, physicalName, type StructType } from './schema.js'

/**
 * Every action type replay understands, with the field that must be non-null for a row of a checkpoint (or a
 * line of a commit) to hold that action. commitInfo and cdc never appear in checkpoints.
 */
export const ACTION_KEY_FIELDS = {
  protocol: 'minReaderVersion',
  metaData: 'id',
  add: 'path',
  remove: 'path',
  txn: 'appId',
  domainMetadata: 'domain',
  cdc: 'path',
  commitInfo: undefined,
  sidecar: 'path',
  checkpointMetadata: 'version',
} as const

const KNOWN_ACTIONS = Object.keys(ACTION_KEY_FIELDS) as (keyof typeof ACTION_KEY_FIELDS)[]

/**
 * Parses a newline-delimited JSON commit (or V2 JSON checkpoint). Blank lines are skipped; unknown action
 * types and unknown fields are ignored. A malformed line fails with `INVALID_LOG` naming the file and line.
 */
export function parseCommitJson(text: string, file: string): Action[] {
  const actions: Action[] = []
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim()
    if (line === '') continue
    let json: unknown
    try {
      json = JSON.parse(line)
    } catch (err) {
      throw new DeltaError('INVALID_LOG', `${file} line ${i + 1}: malformed JSON (${(err as Error).message})`, {
        cause: err,
      })
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw new DeltaError('INVALID_LOG', `${file} line ${i + 1}: an action must be a JSON object`)
    }
    const action: Action = {}
    let known = 0
    for (const k of KNOWN_ACTIONS) {
      const v = (json as Record<string, unknown>)[k]
      if (v !== undefined && v !== null) {
        ;(action as Record<string, unknown>)[k] = v
        known++
      }
    }
    if (known === 0) continue
    validateAction(action, `${file} line ${i + 1}`)
    actions.push(action)
  }
  return actions
}

/** Checks the fields replay depends on; throws INVALID_LOG with `where` otherwise. */
export function validateAction(a: Action, where: string): void {
  const bad = (what: string) => {
    throw new DeltaError('INVALID_LOG', `${where}: ${what}`)
  }
  if (a.add && (typeof a.add.path !== 'string' || typeof a.add !== 'object')) bad('add without a string path')
  if (a.remove && typeof a.remove.path !== 'string') bad('remove without a string path')
  if (
    a.protocol &&
    (typeof a.protocol.minReaderVersion !== 'number' || typeof a.protocol.minWriterVersion !== 'number')
  )
    bad('protocol without minReaderVersion/minWriterVersion')
  if (a.txn && typeof a.txn.appId !== 'string') bad('txn without appId')
  if (a.domainMetadata && typeof a.domainMetadata.domain !== 'string') bad('domainMetadata without domain')
}

/**
 * The reconciled state of a table (PROTOCOL.md §Action Reconciliation), built by applying actions in log
 * order: checkpoint first, then commits ascending. Newest protocol/metaData win; newest txn per appId; newest
 * domainMetadata per domain; files keyed by (decoded path, deletion vector id), newest add/remove wins.
 */
export class ReplayState {
  protocol?: ProtocolAction
  metadata?: MetadataAction
  /** Active files by key; `add.path` as in the log. Copy-on-write, so refreshes cost only the new commits. */
  readonly files: LayeredMap<string, AddAction>
  /** Removes not superseded by a later add, by key. */
  readonly tombstones: LayeredMap<string, RemoveAction>

  constructor(files = LayeredMap.empty<string, AddAction>(), tombstones = LayeredMap.empty<string, RemoveAction>()) {
    this.files = files
    this.tombstones = tombstones
  }
  readonly txns = new Map<string, TxnAction>()
  readonly domains = new Map<string, DomainMetadataAction>()

  /** Applies one action (in log order). */
  apply(a: Action): void {
    if (a.add) {
      const key = fileActionKey(decodeActionPath(a.add.path), a.add.deletionVector)
      this.files.set(key, a.add)
      this.tombstones.delete(key)
    } else if (a.remove) {
      const key = fileActionKey(decodeActionPath(a.remove.path), a.remove.deletionVector)
      this.files.delete(key)
      this.tombstones.set(key, a.remove)
    } else if (a.metaData) {
      this.metadata = a.metaData
    } else if (a.protocol) {
      this.protocol = a.protocol
    } else if (a.txn) {
      this.txns.set(a.txn.appId, a.txn)
    } else if (a.domainMetadata) {
      this.domains.set(a.domainMetadata.domain, a.domainMetadata)
    }
  }

  /**
   * A copy for incremental refresh: new commits apply to the copy, the original snapshot stays immutable.
   * O(1) for files and tombstones (copy-on-write layers); txns and domains are small and copied.
   */
  clone(): ReplayState {
    const s = new ReplayState(this.files.fork(), this.tombstones.fork())
    s.protocol = this.protocol
    s.metadata = this.metadata
    for (const [k, v] of this.txns) s.txns.set(k, v)
    for (const [k, v] of this.domains) s.domains.set(k, v)
    return s
  }
}

/** Names each partition column may be keyed by in `add.partitionValues`: its logical and physical names. */
const partitionKeyCache = new WeakMap<MetadataAction, readonly { column: string; keys: readonly string[] }[]>()

function partitionKeys(metadata: MetadataAction): readonly { column: string; keys: readonly string[] }[] {
  let keys = partitionKeyCache.get(metadata)
  if (keys) return keys
  const columns = metadata.partitionColumns ?? []
  let schema: StructType | undefined
  if (columns.length > 0) {
    try {
      schema = parseSchemaString(metadata.schemaString)
    } catch {
      schema = undefined // the snapshot reports INVALID_SCHEMA itself
    }
  }
  const mode = columnMappingMode(metadata.configuration ?? {})
  keys = columns.map((column) => {
    const field = schema ? findField(schema, column) : undefined
    const names = new Set([column])
    if (field) {
      names.add(field.name)
      names.add(physicalName(field, mode))
    }
    return { column, keys: [...names] }
  })
  partitionKeyCache.set(metadata, keys)
  return keys
}

/**
 * Checks that an `add` carries a value (possibly null) for every partition column of `metadata`, keyed by
 * the column's logical or physical name. A missing key would read as a null partition and silently change
 * query answers.
 *
 * @throws DeltaError `INVALID_LOG` naming the file, the column and `where` (the version).
 */
export function checkPartitionValues(add: AddAction, metadata: MetadataAction | undefined, where: string): void {
  if (!metadata?.partitionColumns || metadata.partitionColumns.length === 0) return
  const values = add.partitionValues
  for (const { column, keys } of partitionKeys(metadata)) {
    if (values && typeof values === 'object' && keys.some((k) => Object.hasOwn(values, k))) continue
    const has = values && typeof values === 'object' ? Object.keys(values) : []
    throw new DeltaError(
      'INVALID_LOG',
      `${where}: add of ${add.path} has no value for partition column '${column}' (partitionValues keys: ${has.length > 0 ? has.join(', ') : 'none'})`,
    )
  }
}
