import * as arrow from 'apache-arrow'
import { DeltaError } from '../errors.js'
import { type ParquetCodec, writeParquet } from '../parquet/write.js'
import type { Action, AddAction, DeletionVectorDescriptor, MetadataAction, RemoveAction } from '../protocol/actions.js'
import { deltaToArrowType } from '../protocol/arrow-schema.js'
import { classicCheckpointPath, commitPath, LAST_CHECKPOINT_PATH } from '../protocol/log-path.js'
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

/**
 * Classic single-file checkpoints (PROTOCOL.md §Checkpoints, §Checkpoint Schema, §Last Checkpoint File): the
 * reconciled table state at one version as one parquet file, one action per row, in the column layout Spark
 * writes (mirrored from Spark/Databricks checkpoints in the golden corpus: top-level `txn`, `add`, `remove`,
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

/** The `_last_checkpoint` object (§Last Checkpoint File). */
export interface LastCheckpointInfo {
  version: number
  /** Number of actions (rows) in the checkpoint. */
  size: number
  sizeInBytes: number
  numOfAddFiles: number
}

/** Options of {@link buildCheckpoint} and {@link writeCheckpoint}. */
export interface BuildCheckpointOptions {
  /** The table version the actions reconstruct. */
  version: number
  /**
   * Write `add.stats_parsed` (and `add.partitionValues_parsed` for partitioned tables) typed from the table
   * schema. Default: `delta.checkpoint.writeStatsAsStruct === 'true'` in the table configuration.
   */
  writeStatsAsStruct?: boolean
  /** Write `add.stats` JSON. Default: unless `delta.checkpoint.writeStatsAsJson === 'false'`. */
  writeStatsAsJson?: boolean
  /** Parquet codec; default snappy, which every Delta reader supports. */
  codec?: ParquetCodec
}

/** A built checkpoint: the parquet bytes and the matching `_last_checkpoint` content. */
export interface BuiltCheckpoint {
  /** The `N.checkpoint.parquet` file. */
  parquet: Uint8Array
  /** The `_last_checkpoint` content describing it. */
  lastCheckpoint: LastCheckpointInfo
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
  const kept = actions.filter((a) => a.protocol || a.metaData || a.txn || a.add || a.remove || a.domainMetadata)
  const protocols = kept.filter((a) => a.protocol)
  const metas = kept.filter((a) => a.metaData)
  if (protocols.length !== 1 || metas.length !== 1) {
    throw new DeltaError(
      'INVALID_ARGUMENT',
      `a checkpoint needs exactly one protocol and one metaData action (got ${protocols.length} and ${metas.length})`,
    )
  }
  const metaData = metas[0].metaData as MetadataAction
  const conf = metaData.configuration ?? {}
  const asStruct = options.writeStatsAsStruct ?? conf['delta.checkpoint.writeStatsAsStruct'] === 'true'
  const asJson = options.writeStatsAsJson ?? conf['delta.checkpoint.writeStatsAsJson'] !== 'false'
  // Spark's order: protocol and metaData first helps readers that stop early; files after.
  const rows = [
    ...protocols,
    ...metas,
    ...kept.filter((a) => a.txn),
    ...kept.filter((a) => a.domainMetadata),
    ...kept.filter((a) => a.add),
    ...kept.filter((a) => a.remove),
  ]

  let schema = CHECKPOINT_SCHEMA
  let statsType: StructType | undefined
  let partitionType: StructType | undefined
  let tableSchema: StructType | undefined
  const mode = columnMappingMode(conf)
  if (asStruct) {
    tableSchema = parseSchemaString(metaData.schemaString)
    statsType = statsParsedType(tableSchema, metaData.partitionColumns, conf, mode)
    partitionType = partitionParsedType(tableSchema, metaData.partitionColumns, mode)
    const addField = schema.fields[1]
    const addType = addField.type as StructType
    const extra = [S('stats_parsed', statsType), ...(partitionType ? [S('partitionValues_parsed', partitionType)] : [])]
    schema = {
      type: 'struct',
      fields: schema.fields.map((f) =>
        f === addField ? { ...f, type: { type: 'struct', fields: [...addType.fields, ...extra] } } : f,
      ),
    }
  }

  const columnValues = (name: string): unknown[] =>
    rows.map((a) => {
      const v = (a as Record<string, unknown>)[name]
      if (v === undefined || v === null) return null
      if (name === 'add')
        return addRow(v as AddAction, asJson, statsType, partitionType, tableSchema, metaData.partitionColumns, mode)
      if (name === 'remove') return removeRow(v as RemoveAction)
      return v
    })
  const children = schema.fields.map((f) => buildData(f.type, columnValues(f.name)))
  const arrowSchema = new arrow.Schema(
    schema.fields.map((f) => new arrow.Field(f.name, deltaToArrowType(f.type), true)),
  )
  const batch = new arrow.RecordBatch(
    arrowSchema,
    arrow.makeData({ type: new arrow.Struct(arrowSchema.fields), length: rows.length, nullCount: 0, children }),
  )
  const parquet = writeParquet(new arrow.Table([batch]), { codec: options.codec ?? 'snappy', dictionary: false })
  return {
    parquet,
    lastCheckpoint: {
      version: options.version,
      size: rows.length,
      sizeInBytes: parquet.length,
      numOfAddFiles: rows.filter((a) => a.add).length,
    },
  }
}

/**
 * Builds and stores the checkpoint of `version`: `_delta_log/N.checkpoint.parquet`, then `_last_checkpoint`.
 * Both may be overwritten (a checkpoint of a version is the same state whoever writes it). Refuses when commit
 * N does not exist: a checkpoint must never run ahead of the log.
 *
 * @throws DeltaError `VERSION_NOT_FOUND` when `_delta_log/N.json` is missing; the errors of
 *   {@link buildCheckpoint}; storage errors.
 */
export async function writeCheckpoint(
  storage: Storage,
  actions: readonly Action[],
  options: BuildCheckpointOptions & { signal?: AbortSignal },
): Promise<LastCheckpointInfo> {
  try {
    await storage.head(commitPath(options.version), { signal: options.signal })
  } catch (err) {
    if (err instanceof DeltaError && err.code === 'FILE_NOT_FOUND') {
      throw new DeltaError(
        'VERSION_NOT_FOUND',
        `cannot checkpoint version ${options.version}: its commit does not exist`,
        { cause: err },
      )
    }
    throw err
  }
  const built = buildCheckpoint(actions, options)
  await storage.put(classicCheckpointPath(options.version), built.parquet, { overwrite: true, signal: options.signal })
  await storage.put(LAST_CHECKPOINT_PATH, new TextEncoder().encode(JSON.stringify(built.lastCheckpoint)), {
    overwrite: true,
    signal: options.signal,
  })
  return built.lastCheckpoint
}

// ---------------------------------------------------------------------------------------------------------
// Rows

function dvRow(dv: DeletionVectorDescriptor | null | undefined): unknown {
  return dv
    ? { ...dv, offset: dv.offset ?? null, maxRowIndex: (dv as { maxRowIndex?: number }).maxRowIndex ?? null }
    : null
}

function addRow(
  add: AddAction,
  asJson: boolean,
  statsType: StructType | undefined,
  partitionType: StructType | undefined,
  tableSchema: StructType | undefined,
  partitionColumns: readonly string[],
  mode: ColumnMappingMode,
): Record<string, unknown> {
  const row: Record<string, unknown> = {
    path: add.path,
    partitionValues: add.partitionValues ?? {},
    size: add.size,
    modificationTime: add.modificationTime,
    dataChange: add.dataChange,
    tags: add.tags ?? null,
    deletionVector: dvRow(add.deletionVector),
    baseRowId: add.baseRowId ?? null,
    defaultRowCommitVersion: add.defaultRowCommitVersion ?? null,
    clusteringProvider: add.clusteringProvider ?? null,
    stats: asJson ? (add.stats ?? null) : null,
  }
  if (statsType) row.stats_parsed = add.stats ? typedStats(parseJsonExact(add.stats), statsType) : null
  if (partitionType && tableSchema) {
    const out: Record<string, unknown> = {}
    for (const name of partitionColumns) {
      const f = tableSchema.fields.find((x) => x.name === name)
      if (!f) continue
      const phys = physicalName(f, mode)
      const raw = add.partitionValues?.[phys] ?? add.partitionValues?.[name] ?? null
      try {
        out[phys] = parsePartitionValue(raw, f.type)
      } catch {
        out[phys] = null
      }
    }
    row.partitionValues_parsed = out
  }
  return row
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
function typedStats(v: unknown, type: DataType): unknown {
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
