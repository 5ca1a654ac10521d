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
import { type BaseFiles, type FileEntry, fileActionKey, fileEntryOf } from './file-entry.js'
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
    // The parsed object is the action when every key is a known action type with a value (the usual single
    // key line); otherwise the known, non-null keys are copied into a new object.
    const obj = json as Record<string, unknown>
    let known = 0
    let other = false
    for (const k in obj) {
      if (Object.hasOwn(ACTION_KEY_FIELDS, k) && obj[k] !== undefined && obj[k] !== null) known++
      else other = true
    }
    let action = obj as Action
    if (other && known > 0) {
      action = {}
      for (const k of KNOWN_ACTIONS) {
        const v = obj[k]
        if (v !== undefined && v !== null) (action as Record<string, unknown>)[k] = v
      }
    }
    if (known === 0) continue
    validateAction(action, `${file} line ${i + 1}`)
    actions.push(action)
  }
  return actions
}

/** Checks the fields replay depends on; throws INVALID_LOG with `where` otherwise. */
function bad(where: string, what: string): never {
  throw new DeltaError('INVALID_LOG', `${where}: ${what}`)
}

export function validateAction(a: Action, where: string): void {
  if (a.add && (typeof a.add.path !== 'string' || typeof a.add !== 'object')) bad(where, 'add without a string path')
  if (a.remove && typeof a.remove.path !== 'string') bad(where, 'remove without a string path')
  if (
    a.protocol &&
    (typeof a.protocol.minReaderVersion !== 'number' || typeof a.protocol.minWriterVersion !== 'number')
  )
    bad(where, 'protocol without minReaderVersion/minWriterVersion')
  if (a.txn && typeof a.txn.appId !== 'string') bad(where, 'txn without appId')
  if (a.domainMetadata && typeof a.domainMetadata.domain !== 'string') bad(where, 'domainMetadata without domain')
}

/**
 * The active files of a snapshot: an optional columnar base (the checkpoint's adds, with a selection vector of
 * the rows still live) and the adds of the commits after it in a copy-on-write map. Newest wins per key
 * (decoded path + deletion vector id): a commit's add or remove of a key the base holds deselects that row.
 *
 * While a snapshot is being loaded (`deferred`), commit actions do not look rows up in the base: their keys
 * are collected, and {@link FileSet.seal} deselects the base rows they touch in one pass over the base, as
 * delta-kernel-rs deduplicates a checkpoint against the newer commits. After that, each change looks its key up
 * in the base's index (built once, shared by every fork) and copies the selection vector at most once per fork.
 */
export class FileSet {
  #live: Uint8Array | undefined
  #ownLive: boolean
  #liveCount: number
  #pending: Set<string> | undefined

  private constructor(
    readonly base: BaseFiles | undefined,
    live: Uint8Array | undefined,
    liveCount: number,
    /** Adds of commits after the base, by key; `add.path` as in the log. */
    readonly adds: LayeredMap<string, AddAction>,
    deferred: boolean,
  ) {
    this.#live = live
    this.#ownLive = false
    this.#liveCount = liveCount
    this.#pending = deferred && base ? new Set() : undefined
  }

  /** An empty set (a table without checkpoint, or a new table). */
  static empty(): FileSet {
    return new FileSet(undefined, undefined, 0, LayeredMap.empty(), false)
  }

  /**
   * A set over a checkpoint's files; commit actions applied before {@link FileSet.seal} are deduplicated
   * against it in one pass.
   */
  static ofBase(base: BaseFiles): FileSet {
    return new FileSet(base, undefined, base.length, LayeredMap.empty(), true)
  }

  /** Number of live files. */
  get size(): number {
    return this.#liveCount + this.adds.size
  }

  /** Whether base row `row` is live. */
  baseLive(row: number): boolean {
    return this.#live === undefined || this.#live[row] === 1
  }

  /** The base's selection vector (undefined: every base row is live). Must not be changed. */
  get baseSelection(): Uint8Array | undefined {
    return this.#live
  }

  #deselect(key: string): void {
    if (!this.base) return
    if (this.#pending) {
      this.#pending.add(key)
      return
    }
    const row = this.base.indexOf(key)
    if (row < 0 || !this.baseLive(row)) return
    if (!this.#ownLive) {
      this.#live = this.#live ? this.#live.slice() : new Uint8Array(this.base.length).fill(1)
      this.#ownLive = true
    }
    ;(this.#live as Uint8Array)[row] = 0
    this.#liveCount--
  }

  /** Applies a commit's add of `key`. */
  set(key: string, add: AddAction): void {
    this.#deselect(key)
    this.adds.set(key, add)
  }

  /** Applies a commit's remove of `key`. */
  delete(key: string): void {
    this.#deselect(key)
    this.adds.delete(key)
  }

  /** Ends loading: deselects the base rows whose keys the applied commits touched (one pass over the base). */
  seal(): void {
    const pending = this.#pending
    this.#pending = undefined
    if (!this.base || !pending || pending.size === 0) return
    const live = this.#live ? this.#live.slice() : new Uint8Array(this.base.length).fill(1)
    let count = this.#liveCount
    for (let row = 0; row < this.base.length; row++) {
      if (live[row] === 1 && pending.has(this.base.key(row))) {
        live[row] = 0
        count--
      }
    }
    this.#live = live
    this.#ownLive = true
    this.#liveCount = count
  }

  /** A copy for incremental refresh: O(1); the original must not change afterwards. */
  fork(): FileSet {
    this.seal()
    return new FileSet(this.base, this.#live, this.#liveCount, this.adds.fork(), false)
  }

  /** The live add actions (base rows materialized on demand). */
  *values(): IterableIterator<AddAction> {
    const base = this.base
    if (base) {
      let row = 0
      for (const add of base.allAdds()) if (this.baseLive(row++)) yield add
    }
    yield* this.adds.values()
  }

  /** The live files as FileEntry objects: base rows first (in checkpoint order), then commit adds. */
  entries(): FileEntry[] {
    const out: FileEntry[] = []
    const base = this.base
    if (base) base.liveEntries(this.#live, out)
    for (const add of this.adds.values()) out.push(fileEntryOf(add))
    return out
  }
}

/**
 * The reconciled state of a table (PROTOCOL.md §Action Reconciliation), built by applying actions in log
 * order: checkpoint first, then commits ascending. Newest protocol/metaData win; newest txn per appId; newest
 * domainMetadata per domain; files keyed by (decoded path, deletion vector id), newest add/remove wins.
 */
export class ReplayState {
  protocol?: ProtocolAction
  metadata?: MetadataAction
  /** Active files: a columnar checkpoint base plus copy-on-write commit adds, so refreshes cost only the new commits. */
  readonly files: FileSet
  /** Removes not superseded by a later add, by key. */
  readonly tombstones: LayeredMap<string, RemoveAction>

  constructor(files = FileSet.empty(), tombstones = LayeredMap.empty<string, RemoveAction>()) {
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
   * O(1) for files and tombstones (copy-on-write); txns and domains are small and copied.
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

/** The names each partition column of `metadata` may be keyed by in partitionValues (logical and physical). */
export function partitionKeys(metadata: MetadataAction): readonly { column: string; keys: readonly string[] }[] {
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
