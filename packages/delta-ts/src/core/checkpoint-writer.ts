import type { Data } from 'apache-arrow'
import * as arrow from 'apache-arrow'
import { v4 as uuidv4 } from 'uuid'
import { concatData } from '../arrow/concat.js'
import { conformData, nullData } from '../arrow/conform.js'
import { utf8Column } from '../arrow/file-actions.js'
import { sparkMurmur3Bytes, sparkPartitionId } from '../arrow/hash.js'
import { takeData } from '../arrow/take.js'
import { dataToJs } from '../arrow/to-js.js'
import { DeltaError } from '../errors.js'
import { type ParquetCodec, writeParquet } from '../parquet/write.js'
import type {
  Action,
  AddAction,
  DeletionVectorDescriptor,
  DomainMetadataAction,
  MetadataAction,
  ProtocolAction,
  RemoveAction,
  SidecarAction,
  TxnAction,
} from '../protocol/actions.js'
import { deltaToArrowType } from '../protocol/arrow-schema.js'
import { readerFeatures } from '../protocol/features.js'
import { deletionVectorUniqueId } from '../protocol/file-entry.js'
import {
  classicCheckpointPath,
  commitPath,
  LAST_CHECKPOINT_PATH,
  LOG_DIR,
  multipartCheckpointPath,
  padVersion,
  SIDECAR_DIR,
} from '../protocol/log-path.js'
import { type DecimalValue, parseDecimalString, parsePartitionValue } from '../protocol/partition-values.js'
import {
  type ColumnMappingMode,
  columnMappingMode,
  type DataType,
  decimalParams,
  isArray,
  isMap,
  isStruct,
  parseSchemaString,
  physicalName,
  type StructField,
  type StructType,
} from '../protocol/schema.js'
import { selectStatsLeaves } from '../protocol/stats.js'
import type { Storage } from '../storage/types.js'
import { type AddColumnsContext, addsData, partitionParsedData, statsParsedData } from './checkpoint-columns.js'

/**
 * Checkpoints (PROTOCOL.md §Checkpoints, §Checkpoint Schema, §Last Checkpoint File): the reconciled table
 * state at one version, one action per row, as a classic single file, a multi-part set, or a V2 checkpoint
 * with sidecars, in the column layout Spark writes (mirrored from Spark/Databricks checkpoints in the golden corpus: top-level `txn`, `add`, `remove`,
 * `metaData`, `protocol`, `domainMetadata`; maps as `map<string,string>`, versions as int32, sizes as int64),
 * so Spark, delta-rs and delta-kernel read it.
 */

const S = (name: string, type: DataType, nullable = true): StructField => ({ name, type, nullable, metadata: {} })
const STR_MAP: DataType = { type: 'map', keyType: 'string', valueType: 'string', valueContainsNull: true }
const STR_LIST: DataType = { type: 'array', elementType: 'string', containsNull: true }
const DV: DataType = {
  type: 'struct',
  fields: [
    S('storageType', 'string'),
    S('pathOrInlineDv', 'string'),
    S('offset', 'integer'),
    S('sizeInBytes', 'integer'),
    S('cardinality', 'long'),
    S('maxRowIndex', 'long'),
  ],
}

/** The checkpoint schema without the optional typed columns (`stats_parsed`, `partitionValues_parsed`). */
export const CHECKPOINT_SCHEMA: StructType = {
  type: 'struct',
  fields: [
    S('txn', { type: 'struct', fields: [S('appId', 'string'), S('version', 'long'), S('lastUpdated', 'long')] }),
    S('add', {
      type: 'struct',
      fields: [
        S('path', 'string'),
        S('partitionValues', STR_MAP),
        S('size', 'long'),
        S('modificationTime', 'long'),
        S('dataChange', 'boolean'),
        S('tags', STR_MAP),
        S('deletionVector', DV),
        S('baseRowId', 'long'),
        S('defaultRowCommitVersion', 'long'),
        S('clusteringProvider', 'string'),
        S('stats', 'string'),
      ],
    }),
    S('remove', {
      type: 'struct',
      fields: [
        S('path', 'string'),
        S('deletionTimestamp', 'long'),
        S('dataChange', 'boolean'),
        S('extendedFileMetadata', 'boolean'),
        S('partitionValues', STR_MAP),
        S('size', 'long'),
        S('deletionVector', DV),
        S('baseRowId', 'long'),
        S('defaultRowCommitVersion', 'long'),
      ],
    }),
    S('metaData', {
      type: 'struct',
      fields: [
        S('id', 'string'),
        S('name', 'string'),
        S('description', 'string'),
        S('format', { type: 'struct', fields: [S('provider', 'string'), S('options', STR_MAP)] }),
        S('schemaString', 'string'),
        S('partitionColumns', STR_LIST),
        S('configuration', STR_MAP),
        S('createdTime', 'long'),
      ],
    }),
    S('protocol', {
      type: 'struct',
      fields: [
        S('minReaderVersion', 'integer'),
        S('minWriterVersion', 'integer'),
        S('readerFeatures', STR_LIST),
        S('writerFeatures', STR_LIST),
      ],
    }),
    S('domainMetadata', {
      type: 'struct',
      fields: [S('domain', 'string'), S('configuration', 'string'), S('removed', 'boolean')],
    }),
  ],
}

/** The V2 fields of `_last_checkpoint` (Spark's `LastCheckpointV2`): the UUID-named file it describes. */
export interface LastCheckpointV2Info {
  /** File name of the UUID-named checkpoint (no directory). */
  path: string
  sizeInBytes: number
  modificationTime: number
}

/** The `_last_checkpoint` object (§Last Checkpoint File, §Last Checkpoint File Schema). */
export interface LastCheckpointInfo {
  version: number
  /** Number of actions (rows) in the checkpoint, its parts and its sidecars. */
  size: number
  sizeInBytes: number
  numOfAddFiles: number
  /** Number of parts of a multi-part checkpoint (absent for single-file and V2 checkpoints). */
  parts?: number
  /** The UUID-named V2 checkpoint, when the checkpoint is one. */
  v2Checkpoint?: LastCheckpointV2Info
}

/** Options of {@link buildCheckpoint} and {@link writeCheckpoint}. */
export interface BuildCheckpointOptions {
  /** The table version the actions reconstruct. */
  version: number
  /**
   * Write `add.stats_parsed` (and `add.partitionValues_parsed` for partitioned tables) typed from the table
   * schema. Default: unless `delta.checkpoint.writeStatsAsStruct === 'false'` in the table configuration
   * (Delta's default is true: Spark and delta-rs write typed stats, and readers prune on them without parsing
   * the JSON).
   */
  writeStatsAsStruct?: boolean
  /** Write `add.stats` JSON. Default: unless `delta.checkpoint.writeStatsAsJson === 'false'`. */
  writeStatsAsJson?: boolean
  /** Parquet codec; default snappy, which every Delta reader supports. */
  codec?: ParquetCodec
}

/** Options of {@link writeCheckpoint} beyond the encoding: which kind of checkpoint to write. */
export interface WriteCheckpointOptions extends BuildCheckpointOptions {
  /**
   * The most actions one file holds (Spark's `spark.databricks.delta.checkpoint.partSize`). A classic
   * checkpoint with more actions is written as a multi-part checkpoint of `ceil(actions / partSize)` parts; a
   * V2 checkpoint puts its file actions into that many sidecars. Default: unlimited (one file, one sidecar).
   */
  partSize?: number
  /**
   * `'v2'`: a UUID-named V2 checkpoint with a `checkpointMetadata` action and the file actions in parquet
   * sidecars under `_delta_log/_sidecars/` (the table must have the `v2Checkpoint` feature). Default
   * `'classic'`: a V1-spec single-file or multi-part checkpoint.
   */
  policy?: 'classic' | 'v2'
  /** Format of the top-level V2 checkpoint file (Spark's `checkpointV2.topLevelFileFormat`); default parquet. */
  v2Format?: 'parquet' | 'json'
  /**
   * With a V2 checkpoint, also write `N.checkpoint.parquet` holding the same V2-spec content (the spec's
   * compatibility checkpoint: clients without V2 support find the protocol there and fail cleanly). Default
   * true; it costs one small file, as the file actions stay in the shared sidecars.
   */
  compatibilityCheckpoint?: boolean
  signal?: AbortSignal
}

/** A built checkpoint: the parquet bytes and the matching `_last_checkpoint` content. */
export interface BuiltCheckpoint {
  /** The `N.checkpoint.parquet` file. */
  parquet: Uint8Array
  /** The `_last_checkpoint` content describing it. */
  lastCheckpoint: LastCheckpointInfo
}

/** What {@link writeCheckpoint} stored. */
export interface WrittenCheckpoint extends LastCheckpointInfo {
  /** The checkpoint files written, relative to the table root: parts, or the V2 file then its compatibility copy. */
  paths: string[]
  /** The sidecar files written (V2), relative to the table root. */
  sidecars: string[]
}

/**
 * The reconciled state of a table at one version, as a checkpoint holds it. The adds of a columnar checkpoint
 * base come as Arrow `add` struct chunks (`addData`, every row a live add) and are copied into the new
 * checkpoint buffer by buffer; the adds of the commits after it as actions.
 */
export interface CheckpointContent {
  protocol: ProtocolAction
  metaData: MetadataAction
  txns: readonly TxnAction[]
  domains: readonly DomainMetadataAction[]
  /** Live adds of a checkpoint base as decoded `add` struct columns, in row order; every row holds an add. */
  addData?: readonly Data[]
  adds: readonly AddAction[]
  removes: readonly RemoveAction[]
}

/**
 * The checkpoint content of a reconciled action list: commitInfo, cdc, sidecar and checkpointMetadata actions
 * are dropped (checkpoints never carry the first two; the last two are written by the V2 writer itself).
 *
 * @throws DeltaError `INVALID_ARGUMENT` when there is not exactly one protocol and one metaData action.
 */
export function checkpointContentOf(actions: readonly Action[]): CheckpointContent {
  const protocols: ProtocolAction[] = []
  const metas: MetadataAction[] = []
  const content = {
    txns: [] as TxnAction[],
    domains: [] as DomainMetadataAction[],
    adds: [] as AddAction[],
    removes: [] as RemoveAction[],
  }
  for (const a of actions) {
    if (a.protocol) protocols.push(a.protocol)
    else if (a.metaData) metas.push(a.metaData)
    else if (a.txn) content.txns.push(a.txn)
    else if (a.domainMetadata) content.domains.push(a.domainMetadata)
    else if (a.add) content.adds.push(a.add)
    else if (a.remove) content.removes.push(a.remove)
  }
  if (protocols.length !== 1 || metas.length !== 1) {
    throw new DeltaError(
      'INVALID_ARGUMENT',
      `a checkpoint needs exactly one protocol and one metaData action (got ${protocols.length} and ${metas.length})`,
    )
  }
  return { protocol: protocols[0], metaData: metas[0], ...content }
}

/**
 * Encodes the reconciled state of a table at `options.version` as a classic checkpoint. `actions` must be the
 * result of log replay: exactly one protocol and one metaData, the newest txn per appId, the active adds, the
 * unexpired remove tombstones and the domain metadata; commitInfo, cdc, sidecar and checkpointMetadata
 * actions are dropped (a classic V1 checkpoint never holds them). Pure apart from the parquet encoding.
 *
 * @throws DeltaError `INVALID_ARGUMENT` when there is not exactly one protocol and one metaData action,
 *   `INVALID_SCHEMA` when `stats_parsed` is requested and the schema string does not parse, `PARQUET_ERROR`
 *   when encoding fails.
 */
export function buildCheckpoint(actions: readonly Action[], options: BuildCheckpointOptions): BuiltCheckpoint {
  return buildCheckpointOf(checkpointContentOf(actions), options)
}

/** {@link buildCheckpoint} of a {@link CheckpointContent} (adds from a base's columns copied buffer-wise). */
export function buildCheckpointOf(content: CheckpointContent, options: BuildCheckpointOptions): BuiltCheckpoint {
  const layout = checkpointLayout(content, options)
  const parquet = encodeBatches(layout.fields, layout.classicBatches(), options.codec)
  return {
    parquet,
    lastCheckpoint: {
      version: options.version,
      size: layout.numRows,
      sizeInBytes: parquet.length,
      numOfAddFiles: layout.numAdds,
    },
  }
}

/** A checkpoint's columns, built once and cut into whichever files the checkpoint kind needs. */
interface CheckpointLayout {
  /** The classic schema (with the typed stats columns when requested). */
  fields: StructField[]
  numRows: number
  numAdds: number
  numFileActions: number
  /** Non-file rows first (protocol, metaData, txns, domains), then adds, then removes. */
  classicColumns(): readonly Data[]
  /**
   * The rows of {@link classicColumns} as batches: the non-file rows, then each part of the adds as built (a
   * base checkpoint chunk, the commits' adds), then the removes: encoding them as one file needs no copy of
   * the file columns into one buffer.
   */
  classicBatches(): Batch[]
  /** The `add` and `remove` columns of the file-action rows only (adds then removes). */
  fileColumns(): { add: Data; remove: Data }
  /** The non-file actions (protocol, metaData, txns, domains), in row order. */
  nonFileActions: Action[]
}

function checkpointLayout(content: CheckpointContent, options: BuildCheckpointOptions): CheckpointLayout {
  const metaData = content.metaData
  const conf = metaData.configuration ?? {}
  const asStruct = options.writeStatsAsStruct ?? conf['delta.checkpoint.writeStatsAsStruct'] !== 'false'
  const asJson = options.writeStatsAsJson ?? conf['delta.checkpoint.writeStatsAsJson'] !== 'false'
  // Spark's order: protocol and metaData first helps readers that stop early; files after.
  const nonFileActions: Action[] = [
    { protocol: content.protocol },
    { metaData },
    ...content.txns.map((txn) => ({ txn })),
    ...content.domains.map((domainMetadata) => ({ domainMetadata })),
  ]
  let fields = CHECKPOINT_SCHEMA.fields
  const ctx: AddContext = { asJson, partitionColumns: metaData.partitionColumns, mode: columnMappingMode(conf) }
  if (asStruct) {
    ctx.tableSchema = parseSchemaString(metaData.schemaString)
    ctx.statsType = statsParsedType(ctx.tableSchema, metaData.partitionColumns, conf, ctx.mode)
    ctx.partitionType = partitionParsedType(ctx.tableSchema, metaData.partitionColumns, ctx.mode)
    const schema = ctx.tableSchema
    ctx.partitionKeys = metaData.partitionColumns
      .map((n) => schema.fields.find((f) => f.name === n))
      .filter((f): f is StructField => f !== undefined)
      .map((f) => [physicalName(f, ctx.mode), f.name])
    const extra = [
      S('stats_parsed', ctx.statsType),
      ...(ctx.partitionType ? [S('partitionValues_parsed', ctx.partitionType)] : []),
    ]
    fields = fields.map((f) =>
      f.name === 'add' ? { ...f, type: { type: 'struct', fields: [...(f.type as StructType).fields, ...extra] } } : f,
    )
  }
  const addField = fields.find((f) => f.name === 'add') as StructField
  const removeField = fields.find((f) => f.name === 'remove') as StructField
  const addArrow = deltaToArrowType(addField.type)
  const baseAdds = (content.addData ?? []).filter((d) => d.length > 0)
  let numBaseAdds = 0
  for (const d of baseAdds) numBaseAdds += d.length
  const numAdds = numBaseAdds + content.adds.length
  const numFileActions = numAdds + content.removes.length
  const removeArrow = deltaToArrowType(removeField.type)
  // The add rows as built (one Data per base chunk, one for the commits' adds) and the remove rows: a classic
  // checkpoint encodes them batch by batch, without copying them into one buffer first.
  let parts: { adds: Data[]; removes: Data | undefined } | undefined
  const fileParts = () => {
    if (parts) return parts
    const adds: Data[] = baseAdds.map((d) => addChunk(d, addField.type as StructType, addArrow, ctx))
    if (content.adds.length > 0)
      adds.push(addsData(content.adds, addField.type as StructType, addArrow as arrow.Struct, columnsContext(ctx)))
    const removes = content.removes.length > 0 ? buildData(removeField.type, content.removes.map(removeRow)) : undefined
    parts = { adds, removes }
    return parts
  }
  let files: { add: Data; remove: Data } | undefined
  const fileColumns = () => {
    if (files) return files
    const { adds, removes } = fileParts()
    const addParts = [...adds]
    if (removes) addParts.push(nullData(addArrow, removes.length))
    const removeParts: Data[] = []
    if (numAdds > 0) removeParts.push(nullData(removeArrow, numAdds))
    if (removes) removeParts.push(removes)
    files = {
      add: addParts.length > 0 ? concatData(addParts) : nullData(addArrow, 0),
      remove: removeParts.length > 0 ? concatData(removeParts) : nullData(removeArrow, 0),
    }
    return files
  }
  return {
    fields,
    numRows: nonFileActions.length + numFileActions,
    numAdds,
    numFileActions,
    nonFileActions,
    fileColumns,
    classicColumns() {
      const batches = this.classicBatches()
      return batches[0].columns.map((_, j) => concatData(batches.map((b) => b.columns[j])))
    },
    classicBatches() {
      const head = fields.map((f) => buildData(f.type, actionColumn(nonFileActions, f.name)))
      const batches: Batch[] = [{ columns: head, numRows: nonFileActions.length }]
      if (numFileActions === 0) return batches
      const { adds, removes } = fileParts()
      const batch = (name: 'add' | 'remove', data: Data): Batch => ({
        columns: fields.map((f, j) => (f.name === name ? data : nullData(head[j].type, data.length))),
        numRows: data.length,
      })
      for (const a of adds) batches.push(batch('add', a))
      if (removes) batches.push(batch('remove', removes))
      return batches
    },
  }
}

/** The values of top-level column `name` over `actions` (null where an action is of another kind). */
function actionColumn(actions: readonly Action[], name: string): unknown[] {
  return actions.map((a) => (a as Record<string, unknown>)[name] ?? null)
}

/** Rows of a checkpoint file: one column per top-level field. */
interface Batch {
  columns: readonly Data[]
  numRows: number
}

/** Encodes columns of the given top-level fields as one checkpoint parquet file. */
function encode(fields: readonly StructField[], columns: readonly Data[], numRows: number, codec?: ParquetCodec) {
  return encodeBatches(fields, [{ columns, numRows }], codec)
}

/**
 * Rows per checkpoint row group at most. A reader decodes a row group at a time (parquet/checkpoint-read.ts), so
 * this bounds the decoder's working memory: a million-action checkpoint in one row group was ~600 MB of
 * parquet-wasm heap, which never shrinks. Spark and delta-rs read any row-group size.
 */
export const CHECKPOINT_ROW_GROUP_ROWS = 1 << 17

/** Encodes batches of the given top-level fields, in order, as one checkpoint parquet file. */
function encodeBatches(fields: readonly StructField[], batches: readonly Batch[], codec?: ParquetCodec) {
  const arrowSchema = new arrow.Schema(fields.map((f) => new arrow.Field(f.name, deltaToArrowType(f.type), true)))
  const type = new arrow.Struct(arrowSchema.fields)
  const records = batches.map(
    (b) =>
      new arrow.RecordBatch(
        arrowSchema,
        arrow.makeData({
          type,
          length: b.numRows,
          nullCount: 0,
          children: b.columns as arrow.Data[],
        }) as arrow.Data<arrow.Struct>,
      ),
  )
  return writeParquet(new arrow.Table(records), {
    codec: codec ?? 'snappy',
    dictionary: false,
    maxRowGroupRows: CHECKPOINT_ROW_GROUP_ROWS,
  })
}

/**
 * Builds and stores the checkpoint of `version`, then `_last_checkpoint`. By default a classic
 * `_delta_log/N.checkpoint.parquet`; with `partSize` exceeded, a multi-part checkpoint whose parts are
 * clustered by Spark's hash partitioning of the file path (PROTOCOL.md §Multi-part checkpoint); with
 * `policy: 'v2'`, sidecars, the UUID-named V2 file and its classic-named compatibility copy. Checkpoint files
 * may be overwritten (a checkpoint of a version is the same state whoever writes it); sidecars and V2 files
 * have fresh names. Refuses when commit N does not exist: a checkpoint must never run ahead of the log.
 *
 * A classic checkpoint of a table with the `v2Checkpoint` feature is never split (the spec forbids multi-part
 * checkpoints there).
 *
 * @throws DeltaError `VERSION_NOT_FOUND` when `_delta_log/N.json` is missing; `INVALID_ARGUMENT` for a
 *   `partSize` that is not a positive integer or a V2 checkpoint of a table without the `v2Checkpoint`
 *   feature; the errors of {@link buildCheckpoint}; storage errors.
 */
export async function writeCheckpoint(
  storage: Storage,
  actions: readonly Action[] | CheckpointContent,
  options: WriteCheckpointOptions,
): Promise<WrittenCheckpoint> {
  const content = Array.isArray(actions) ? checkpointContentOf(actions) : (actions as CheckpointContent)
  const { version, signal } = options
  const partSize = options.partSize ?? Number.POSITIVE_INFINITY
  if (!(partSize === Number.POSITIVE_INFINITY || (Number.isInteger(partSize) && partSize > 0))) {
    throw new DeltaError('INVALID_ARGUMENT', `partSize must be a positive integer, got ${options.partSize}`)
  }
  const v2Table = readerFeatures(content.protocol).includes('v2Checkpoint')
  if (options.policy === 'v2' && !v2Table) {
    throw new DeltaError(
      'INVALID_ARGUMENT',
      "a V2 checkpoint needs the v2Checkpoint table feature: set delta.checkpointPolicy = 'v2' first",
    )
  }
  try {
    await storage.head(commitPath(version), { signal })
  } catch (err) {
    if (err instanceof DeltaError && err.code === 'FILE_NOT_FOUND') {
      throw new DeltaError('VERSION_NOT_FOUND', `cannot checkpoint version ${version}: its commit does not exist`, {
        cause: err,
      })
    }
    throw err
  }
  const layout = checkpointLayout(content, options)
  const written: WrittenCheckpoint =
    options.policy === 'v2'
      ? await writeV2(storage, layout, options, partSize)
      : await writeClassic(storage, layout, options, partSize, v2Table)
  const { paths: _p, sidecars: _s, ...last } = written
  await storage.put(LAST_CHECKPOINT_PATH, new TextEncoder().encode(JSON.stringify(last)), {
    overwrite: true,
    signal,
  })
  return written
}

async function writeClassic(
  storage: Storage,
  layout: CheckpointLayout,
  options: WriteCheckpointOptions,
  partSize: number,
  v2Table: boolean,
): Promise<WrittenCheckpoint> {
  const { version, signal } = options
  // The spec forbids multi-part checkpoints on v2Checkpoint tables: those stay one file (V2 splits into sidecars).
  const numParts = v2Table ? 1 : Math.ceil(layout.numRows / partSize)
  const common = { version, size: layout.numRows, numOfAddFiles: layout.numAdds }
  if (numParts <= 1) {
    const parquet = encodeBatches(layout.fields, layout.classicBatches(), options.codec)
    const path = classicCheckpointPath(version)
    await storage.put(path, parquet, { overwrite: true, signal })
    return { ...common, sizeInBytes: parquet.length, paths: [path], sidecars: [] }
  }
  const fields = layout.fields
  const columns = layout.classicColumns()
  const part = partIds(
    columns[fields.findIndex((f) => f.name === 'add')],
    columns[fields.findIndex((f) => f.name === 'remove')],
    numParts,
  )
  const members: number[][] = Array.from({ length: numParts }, () => [])
  for (let r = 0; r < part.length; r++) members[part[r]].push(r)
  const paths: string[] = []
  let sizeInBytes = 0
  for (let p = 0; p < numParts; p++) {
    const idx = Int32Array.from(members[p])
    const parquet = encode(
      fields,
      columns.map((c) => takeData(c, idx)),
      idx.length,
      options.codec,
    )
    const path = multipartCheckpointPath(version, p + 1, numParts)
    await storage.put(path, parquet, { overwrite: true, signal })
    paths.push(path)
    sizeInBytes += parquet.length
  }
  return { ...common, sizeInBytes, parts: numParts, paths, sidecars: [] }
}

/**
 * The part of each row of a multi-part checkpoint: Spark's hash partitioning of
 * `coalesce(add.path, remove.path)` (Murmur3 with seed 42 over the path's UTF-8 bytes, then the deletion
 * vector id when the file has one, as the spec's `(path, dvId)` key), pmod the number of parts. Rows holding
 * no file (protocol, metaData, txns, domains) hash as null: the seed.
 */
function partIds(add: Data, remove: Data, numParts: number): Int32Array {
  const n = add.length
  const out = new Int32Array(n)
  const path = (d: Data) => d.children[(d.type as arrow.Struct).children.findIndex((f) => f.name === 'path')]
  const dvIds = (d: Data) => {
    const dv = d.children[(d.type as arrow.Struct).children.findIndex((f) => f.name === 'deletionVector')]
    return dv && dv.nullCount < dv.length ? dataToJs(dv) : undefined
  }
  const sources = [
    { col: add, path: path(add), dvs: dvIds(add) },
    { col: remove, path: path(remove), dvs: dvIds(remove) },
  ]
  for (let r = 0; r < n; r++) {
    let h = 42
    for (const s of sources) {
      if (!s.col.getValid(r) || !s.path.getValid(r)) continue
      const offsets = s.path.valueOffsets as Int32Array
      h = sparkMurmur3Bytes(s.path.values as Uint8Array, offsets[r], offsets[r + 1], h)
      const dv = s.dvs?.[r] as DeletionVectorDescriptor | null | undefined
      if (dv) {
        const id = UTF8.encode(deletionVectorUniqueId(dv) as string)
        h = sparkMurmur3Bytes(id, 0, id.length, h)
      }
      break
    }
    out[r] = sparkPartitionId(h, numParts)
  }
  return out
}

async function writeV2(
  storage: Storage,
  layout: CheckpointLayout,
  options: WriteCheckpointOptions,
  partSize: number,
): Promise<WrittenCheckpoint> {
  const { version, signal } = options
  const files = layout.fileColumns()
  const fileFields = layout.fields.filter((f) => f.name === 'add' || f.name === 'remove')
  const numSidecars = layout.numFileActions === 0 ? 0 : Math.max(1, Math.ceil(layout.numFileActions / partSize))
  const per = Math.ceil(layout.numFileActions / Math.max(1, numSidecars))
  const sidecars: SidecarAction[] = []
  const sidecarPaths: string[] = []
  let sizeInBytes = 0
  for (let k = 0; k < numSidecars; k++) {
    const from = k * per
    const len = Math.min(per, layout.numFileActions - from)
    const cut = (d: Data) => concatData([d.slice(from, len)])
    const parquet = encode(fileFields, [cut(files.add), cut(files.remove)], len, options.codec)
    const name = `${uuidv4()}.parquet`
    const path = `${SIDECAR_DIR}${name}`
    await storage.put(path, parquet, { signal })
    const meta = await storage.head(path, { signal })
    sidecars.push({ path: name, sizeInBytes: parquet.length, modificationTime: meta.lastModified, tags: null })
    sidecarPaths.push(path)
    sizeInBytes += parquet.length
  }
  const top: Action[] = [
    { checkpointMetadata: { version, tags: null } },
    ...layout.nonFileActions,
    ...sidecars.map((sidecar) => ({ sidecar })),
  ]
  const v2Fields = [...layout.fields, ...V2_FIELDS]
  const topParquet = () =>
    encode(
      v2Fields,
      v2Fields.map((f) => buildData(f.type, actionColumn(top, f.name))),
      top.length,
      options.codec,
    )
  const format = options.v2Format ?? 'parquet'
  const uuidName = `${padVersion(version)}.checkpoint.${uuidv4()}.${format}`
  const topBytes =
    format === 'json' ? UTF8.encode(`${top.map((a) => JSON.stringify(withoutNulls(a))).join('\n')}\n`) : topParquet()
  const v2Path = `${LOG_DIR}${uuidName}`
  await storage.put(v2Path, topBytes, { signal })
  const v2Meta = await storage.head(v2Path, { signal })
  const paths = [v2Path]
  if (options.compatibilityCheckpoint !== false) {
    const compat = format === 'parquet' ? topBytes : topParquet()
    await storage.put(classicCheckpointPath(version), compat, { overwrite: true, signal })
    paths.push(classicCheckpointPath(version))
  }
  return {
    version,
    size: top.length + layout.numFileActions,
    sizeInBytes: sizeInBytes + topBytes.length,
    numOfAddFiles: layout.numAdds,
    v2Checkpoint: { path: uuidName, sizeInBytes: topBytes.length, modificationTime: v2Meta.lastModified },
    paths,
    sidecars: sidecarPaths,
  }
}

/** The V2-only top-level columns (PROTOCOL.md §Checkpoint Schema). */
const V2_FIELDS: StructField[] = [
  S('checkpointMetadata', { type: 'struct', fields: [S('version', 'long'), S('tags', STR_MAP)] }),
  S('sidecar', {
    type: 'struct',
    fields: [S('path', 'string'), S('sizeInBytes', 'long'), S('modificationTime', 'long'), S('tags', STR_MAP)],
  }),
]

/** A JSON action without null fields (how Spark writes JSON checkpoints and commits). */
function withoutNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutNulls)
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) out[k] = withoutNulls(x)
    return out
  }
  return v
}

// ---------------------------------------------------------------------------------------------------------
// Rows

/** How add rows are written: which stats columns, and the types of the typed ones. */
interface AddContext {
  asJson: boolean
  partitionColumns: readonly string[]
  mode: ColumnMappingMode
  statsType?: StructType
  partitionType?: StructType
  tableSchema?: StructType
  /** Per field of `partitionType`: the partitionValues keys holding its value, physical name first. */
  partitionKeys?: string[][]
}

/** What the column builders of checkpoint-columns.ts need of an {@link AddContext}. */
function columnsContext(ctx: AddContext): AddColumnsContext {
  const statsType = ctx.statsType
  return {
    asJson: ctx.asJson,
    statsType,
    partitionType: ctx.partitionType,
    partitionKeys: ctx.partitionKeys,
    exactStats: (text) => (statsType ? typedStats(parseJsonExact(text), statsType) : null),
    dvRow: (add) => dvRow(add.deletionVector),
    buildData,
  }
}

/**
 * The value of each wanted key per row of a `map<string,string>` column: `lookup(i, k)` is the first of
 * `keys[k]` present (non-null) in row i's map. Keys and values are decoded once for the column.
 */
function mapLookup(map: Data, keys: readonly (readonly string[])[]): (i: number, k: number) => string | null {
  const offsets = map.valueOffsets as Int32Array
  const entries = map.children[0]
  const names = entries ? utf8Column(entries.children[0]) : []
  const values = entries ? utf8Column(entries.children[1]) : []
  return (i, k) => {
    if (!map.getValid(i)) return null
    for (const key of keys[k]) {
      for (let e = offsets[map.offset + i]; e < offsets[map.offset + i + 1]; e++) {
        if (names[e] === key) {
          const v = values[e]
          if (v !== undefined) return v
        }
      }
    }
    return null
  }
}

/**
 * A decoded checkpoint `add` column re-typed to the `add` field being written, buffer by buffer. A field the
 * source lacks is null, or, for the typed stats columns, built from `stats` JSON and `partitionValues`; a
 * field stored differently (an int32 where the writer has int64) is converted through its values.
 */
function addChunk(data: Data, type: StructType, target: arrow.DataType, ctx: AddContext): Data {
  const src = data.offset === 0 ? data : concatData([data])
  const byName = new Map<string, Data>()
  const srcFields = (src.type as arrow.Struct).children
  for (let j = 0; j < srcFields.length; j++) byName.set(srcFields[j].name, src.children[j])
  const n = src.length
  const children = type.fields.map((f, j) => {
    const t = (target as arrow.Struct).children[j].type
    if (f.name === 'stats' && !ctx.asJson) return nullData(t, n)
    const child = byName.get(f.name)
    // Typed stats must cover every column the table's stats type has; else they are rebuilt from the JSON.
    const same = child && conformData(child, t, f.name === 'stats_parsed' || f.name === 'partitionValues_parsed')
    if (same) return same
    if (f.name === 'stats_parsed' && ctx.statsType) {
      const json = byName.get('stats')
      // No JSON to rebuild from: the typed stats the base has are the best there are (missing columns null).
      const partial = child && (!json || json.nullCount === json.length) && conformData(child, t)
      if (partial) return partial
      const texts = json ? utf8Column(json) : []
      const statsType = ctx.statsType
      return statsParsedData(
        statsType,
        n,
        (i) => texts[i],
        (text) => typedStats(parseJsonExact(text), statsType),
      )
    }
    if (f.name === 'partitionValues_parsed' && ctx.partitionType) {
      const pv = byName.get('partitionValues')
      return partitionParsedData(ctx.partitionType, n, pv ? mapLookup(pv, ctx.partitionKeys ?? []) : () => null)
    }
    if (!child) return nullData(t, n)
    return buildData(f.type, dataToJs(child))
  })
  return arrow.makeData({ type: target as arrow.Struct, length: n, nullCount: 0, children })
}

function dvRow(dv: DeletionVectorDescriptor | null | undefined): unknown {
  return dv
    ? { ...dv, offset: dv.offset ?? null, maxRowIndex: (dv as { maxRowIndex?: number }).maxRowIndex ?? null }
    : null
}

function removeRow(r: RemoveAction): Record<string, unknown> {
  return {
    path: r.path,
    deletionTimestamp: r.deletionTimestamp ?? null,
    dataChange: r.dataChange,
    extendedFileMetadata: r.extendedFileMetadata ?? null,
    partitionValues: r.partitionValues ?? null,
    size: r.size ?? null,
    deletionVector: dvRow(r.deletionVector),
    baseRowId: r.baseRowId ?? null,
    defaultRowCommitVersion: r.defaultRowCommitVersion ?? null,
  }
}

// ---------------------------------------------------------------------------------------------------------
// stats_parsed

const HAS_MIN_MAX = (t: DataType) => typeof t === 'string' && t !== 'boolean' && t !== 'binary' && t !== 'variant'

/** The `stats_parsed` struct type for a table: the stats columns with physical names (Spark's layout). */
export function statsParsedType(
  schema: StructType,
  partitionColumns: readonly string[],
  configuration: Readonly<Record<string, string | null | undefined>>,
  mode: ColumnMappingMode,
): StructType {
  const part = new Set(partitionColumns)
  const dataFields = schema.fields.filter((f) => !part.has(f.name))
  const selected = selectStatsLeaves(dataFields, configuration)
  const build = (
    fields: readonly StructField[],
    prefix: string[],
    leafType: (t: DataType) => DataType | undefined,
  ): StructType => {
    const out: StructField[] = []
    for (const f of fields) {
      const p = [...prefix, f.name]
      if (isStruct(f.type)) {
        const inner = build(f.type.fields, p, leafType)
        if (inner.fields.length) out.push(S(physicalName(f, mode), inner))
      } else if (selected.has(p.join('\u0000'))) {
        const t = leafType(f.type)
        if (t !== undefined) out.push(S(physicalName(f, mode), t))
      }
    }
    return { type: 'struct', fields: out }
  }
  const minMax = build(dataFields, [], (t) => (HAS_MIN_MAX(t) ? t : undefined))
  const nulls = build(dataFields, [], () => 'long')
  const fields = [S('numRecords', 'long')]
  if (minMax.fields.length) fields.push(S('minValues', minMax), S('maxValues', minMax))
  if (nulls.fields.length) fields.push(S('nullCount', nulls))
  return { type: 'struct', fields }
}

function partitionParsedType(
  schema: StructType,
  partitionColumns: readonly string[],
  mode: ColumnMappingMode,
): StructType | undefined {
  if (partitionColumns.length === 0) return undefined
  const fields = partitionColumns
    .map((n) => schema.fields.find((f) => f.name === n))
    .filter((f): f is StructField => f !== undefined)
    .map((f) => S(physicalName(f, mode), f.type))
  return { type: 'struct', fields }
}

/** A JSON number kept as its source text, so longs and decimals stay exact. */
class RawNumber {
  constructor(readonly raw: string) {}
}

/** Converts parsed stats JSON into values for {@link buildData} of `type`; unparseable values become null. */
export function typedStats(v: unknown, type: DataType): unknown {
  if (v === null || v === undefined) return null
  if (isStruct(type)) {
    if (typeof v !== 'object' || v instanceof RawNumber || Array.isArray(v)) return null
    const o: Record<string, unknown> = {}
    for (const f of type.fields) o[f.name] = typedStats((v as Record<string, unknown>)[f.name], f.type)
    return o
  }
  if (typeof type !== 'string') return null
  const text = v instanceof RawNumber ? v.raw : typeof v === 'string' ? v : undefined
  if (text === undefined) return null
  try {
    switch (type) {
      case 'long':
        return BigInt(/^-?\d+$/.test(text) ? text : String(Math.trunc(Number(text))))
      case 'integer':
      case 'short':
      case 'byte':
      case 'float':
      case 'double': {
        const n = Number(text)
        return Number.isNaN(n) && text !== 'NaN' ? null : n
      }
      case 'string':
        return typeof v === 'string' ? v : null
      case 'date':
      case 'timestamp':
      case 'timestamp_ntz':
        return typeof v === 'string' ? parsePartitionValue(v, type) : null
      default: {
        const dp = decimalParams(type)
        return dp ? parseDecimalString(text, dp.precision, dp.scale) : null
      }
    }
  } catch {
    return null
  }
}

const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y

/** JSON.parse that keeps numbers as {@link RawNumber} (JSON.parse would round longs above 2^53). */
export function parseJsonExact(text: string): unknown {
  let i = 0
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++
  }
  const fail = (): never => {
    throw new DeltaError('INVALID_LOG', `invalid JSON at offset ${i}`)
  }
  const value = (): unknown => {
    ws()
    const c = text[i]
    if (c === '{') {
      i++
      const o: Record<string, unknown> = {}
      ws()
      if (text[i] === '}') {
        i++
        return o
      }
      for (;;) {
        ws()
        if (text[i] !== '"') fail()
        const k = str()
        ws()
        if (text[i++] !== ':') fail()
        o[k] = value()
        ws()
        if (text[i] === ',') i++
        else if (text[i] === '}') {
          i++
          return o
        } else fail()
      }
    }
    if (c === '[') {
      i++
      const a: unknown[] = []
      ws()
      if (text[i] === ']') {
        i++
        return a
      }
      for (;;) {
        a.push(value())
        ws()
        if (text[i] === ',') i++
        else if (text[i] === ']') {
          i++
          return a
        } else fail()
      }
    }
    if (c === '"') return str()
    NUMBER.lastIndex = i
    const m = NUMBER.exec(text)
    if (m) {
      i += m[0].length
      return new RawNumber(m[0])
    }
    for (const [lit, val] of [
      ['true', true],
      ['false', false],
      ['null', null],
      ['NaN', new RawNumber('NaN')],
      ['Infinity', new RawNumber('Infinity')],
      ['-Infinity', new RawNumber('-Infinity')],
    ] as const) {
      if (text.startsWith(lit, i)) {
        i += lit.length
        return val
      }
    }
    return fail()
  }
  const str = (): string => {
    const start = i
    i++
    let escaped = false
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') {
        escaped = true
        i += 2
      } else i++
    }
    if (i >= text.length) fail()
    i++
    // Only strings with escapes need JSON.parse; most stats keys and values have none.
    return escaped ? (JSON.parse(text.slice(start, i)) as string) : text.slice(start + 1, i - 1)
  }
  const out = value()
  ws()
  if (i !== text.length) fail()
  return out
}

// ---------------------------------------------------------------------------------------------------------
// Arrow construction from JS values (exact: bigint µs timestamps, bigint longs, DecimalValue decimals)

function validityOf(values: readonly unknown[]): { nullBitmap: Uint8Array | undefined; nullCount: number } {
  let nulls = 0
  const bitmap = new Uint8Array(Math.ceil(values.length / 8))
  values.forEach((v, i) => {
    if (v === null || v === undefined) nulls++
    else bitmap[i >> 3] |= 1 << (i & 7)
  })
  return { nullBitmap: nulls ? bitmap : undefined, nullCount: nulls }
}

/**
 * Builds Arrow data of the Delta type `type` from plain JS values (null/undefined = null): structs from
 * objects, arrays from arrays, maps from `Map`s or records, long as bigint or number, timestamps as bigint µs,
 * dates as day numbers, decimals as {@link DecimalValue}.
 */
export function buildData(type: DataType, values: readonly unknown[]): arrow.Data {
  const arrowType = deltaToArrowType(type)
  const n = values.length
  const { nullBitmap, nullCount } = validityOf(values)
  const base = { type: arrowType as never, length: n, nullCount, nullBitmap }
  if (isStruct(type)) {
    const children = type.fields.map((f) =>
      buildData(
        f.type,
        values.map((v) => (v == null ? null : (v as Record<string, unknown>)[f.name])),
      ),
    )
    return arrow.makeData({ ...base, children } as never)
  }
  if (isArray(type) || isMap(type)) {
    const valueOffsets = new Int32Array(n + 1)
    const items: unknown[] = []
    values.forEach((v, i) => {
      if (v != null) {
        if (isArray(type)) for (const x of v as unknown[]) items.push(x)
        else
          for (const [k, x] of v instanceof Map ? v : Object.entries(v as Record<string, unknown>))
            items.push({ key: k, value: x })
      }
      valueOffsets[i + 1] = items.length
    })
    const childType: DataType = isArray(type)
      ? type.elementType
      : { type: 'struct', fields: [S('key', type.keyType, false), S('value', type.valueType, type.valueContainsNull)] }
    const built = buildData(childType, items)
    // The map's entries field type must be the very struct type of the Map_ (same names and nullability).
    const child = isMap(type) ? retypeStruct(built, (arrowType as arrow.Map_).children[0].type) : built
    return arrow.makeData({ ...base, valueOffsets, child } as never)
  }
  const typed = <T extends { [i: number]: unknown }>(arr: T, conv: (v: unknown) => unknown): T => {
    values.forEach((v, i) => {
      if (v != null) (arr as Record<number, unknown>)[i] = conv(v)
    })
    return arr
  }
  switch (type) {
    case 'string':
    case 'binary':
      return arrow.makeData({ ...base, ...encodeStrings(values) } as never)
    case 'boolean': {
      const data = new Uint8Array(Math.ceil(n / 8))
      values.forEach((v, i) => {
        if (v === true) data[i >> 3] |= 1 << (i & 7)
      })
      return arrow.makeData({ ...base, data } as never)
    }
    case 'long':
    case 'timestamp':
    case 'timestamp_ntz':
      return arrow.makeData({
        ...base,
        data: typed(new BigInt64Array(n), (v) => (typeof v === 'bigint' ? v : BigInt(Math.trunc(Number(v))))),
      } as never)
    case 'integer':
    case 'date':
      return arrow.makeData({ ...base, data: typed(new Int32Array(n), Number) } as never)
    case 'short':
      return arrow.makeData({ ...base, data: typed(new Int16Array(n), Number) } as never)
    case 'byte':
      return arrow.makeData({ ...base, data: typed(new Int8Array(n), Number) } as never)
    case 'float':
      return arrow.makeData({ ...base, data: typed(new Float32Array(n), Number) } as never)
    case 'double':
      return arrow.makeData({ ...base, data: typed(new Float64Array(n), Number) } as never)
    default: {
      const dp = decimalParams(type)
      if (!dp) throw new DeltaError('INTERNAL', `cannot build Arrow data for ${JSON.stringify(type)}`)
      const words = new Uint32Array(n * 4)
      values.forEach((v, i) => {
        if (v == null) return
        let u = BigInt.asUintN(128, (v as DecimalValue).unscaled)
        for (let w = 0; w < 4; w++) {
          words[i * 4 + w] = Number(u & 0xffffffffn)
          u >>= 32n
        }
      })
      return arrow.makeData({ ...base, data: words } as never)
    }
  }
}

const UTF8 = new TextEncoder()

/** UTF-8 byte length of a string (lone surrogates count as U+FFFD, 3 bytes, as TextEncoder writes them). */
function utf8Length(str: string): number {
  let n = 0
  for (let i = 0; i < str.length; i++) {
    const c = str.charCodeAt(i)
    if (c < 0x80) n += 1
    else if (c < 0x800) n += 2
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < str.length && (str.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4
      i++
    } else n += 3
  }
  return n
}

/**
 * Offsets and bytes of a string/binary column. Strings are encoded in one TextEncoder call over the joined
 * text (one allocation instead of one per value, which dominated checkpoint building); if joining changed the
 * bytes (a lone surrogate pairing up across two values) it falls back to per-value encoding.
 */
function encodeStrings(values: readonly unknown[]): { valueOffsets: Int32Array; data: Uint8Array } {
  const n = values.length
  const valueOffsets = new Int32Array(n + 1)
  const texts: string[] = []
  let binary = false
  for (let i = 0; i < n; i++) {
    const v = values[i]
    let len = 0
    if (v instanceof Uint8Array) {
      binary = true
      len = v.length
    } else if (v !== null && v !== undefined) {
      const t = String(v)
      texts.push(t)
      len = utf8Length(t)
    }
    valueOffsets[i + 1] = valueOffsets[i] + len
  }
  if (!binary) {
    const data = UTF8.encode(texts.join(''))
    if (data.length === valueOffsets[n]) return { valueOffsets, data }
  }
  const data = new Uint8Array(valueOffsets[n])
  for (let i = 0; i < n; i++) {
    const v = values[i]
    if (v === null || v === undefined) {
      valueOffsets[i + 1] = valueOffsets[i]
      continue
    }
    const bytes = v instanceof Uint8Array ? v : UTF8.encode(String(v))
    data.set(bytes, valueOffsets[i])
    valueOffsets[i + 1] = valueOffsets[i] + bytes.length
  }
  return { valueOffsets, data }
}

function retypeStruct(d: arrow.Data, type: arrow.DataType): arrow.Data {
  return arrow.makeData({
    type: type as arrow.Struct,
    length: d.length,
    nullCount: d.nullCount,
    nullBitmap: d.nullBitmap,
    children: d.children,
  })
}
