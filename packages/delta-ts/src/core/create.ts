import type { Schema as ArrowSchema } from 'apache-arrow'
import { v4 as uuidv4 } from 'uuid'
import { DeltaError, isDeltaError } from '../errors.js'
import type { MetadataAction, ProtocolAction } from '../protocol/actions.js'
import { arrowToDeltaSchema, deltaToArrowSchema } from '../protocol/arrow-schema.js'
import { isPartitionableType } from '../protocol/partition-values.js'
import {
  type DataType,
  decimalParams,
  findField,
  isArray,
  isMap,
  isStruct,
  type StructType,
  schemaToString,
} from '../protocol/schema.js'
import { FEATURE_REQUIREMENTS, upgradeProtocol } from '../protocol/schema-changes.js'
import type { Storage } from '../storage/types.js'
import { listLog } from './log-reader.js'
import { CLUSTERING_DOMAIN, clusteringDomainConfiguration, resolveClusteringColumns } from './schema-ops.js'
import { type CommitResult, Transaction } from './transaction.js'

/** Options for `DeltaTable.create`. */
export interface CreateTableOptions {
  /** The table schema: an Arrow schema or a Delta struct type. */
  schema: ArrowSchema | StructType
  /** Partition columns, in order; each must be a top-level primitive column. */
  partitionBy?: string[]
  /** Table properties (`delta.*` and user keys), stored in metaData.configuration. */
  properties?: Record<string, string>
  name?: string
  description?: string
  /**
   * Liquid clustering columns (dotted paths reach nested fields; at most 4, not with `partitionBy`): stored in
   * the `delta.clustering` domain with the `clustering` and `domainMetadata` writer features, as Spark's
   * `CREATE TABLE ... CLUSTER BY` does. OPTIMIZE then clusters the data by them.
   */
  clusterBy?: string[]
  /** What to do when a table already exists: 'error' (default) throws TABLE_ALREADY_EXISTS; 'ignore' opens it. */
  ifExists?: 'error' | 'ignore'
  /**
   * Enable deletion vectors: sets `delta.enableDeletionVectors=true` (the same as passing that property) and
   * the `deletionVectors` reader and writer features (reader 3 / writer 7). DELETE then marks rows in
   * deletion vectors instead of rewriting files; readers need deletion vector support (Spark 3.4+ / Delta
   * 2.4+, delta-rs 0.x with kernel, Trino, Databricks). See docs/dml.md.
   */
  deletionVectors?: boolean
}

/**
 * Normalizes the schema argument into a Delta struct type, checking every (nested) type: an Arrow type with
 * no Delta equivalent, an unknown Delta type name or a decimal outside precision 1..38 throws `INVALID_SCHEMA`
 * before anything is written.
 */
export function toDeltaSchema(schema: ArrowSchema | StructType): StructType {
  if ((schema as StructType).type === 'struct' && Array.isArray((schema as StructType).fields)) {
    const s = schema as StructType
    // The Arrow layout of every column is what writes will produce: building it validates every type name.
    deltaToArrowSchema(s)
    checkDecimals(s)
    return s
  }
  return arrowToDeltaSchema(schema as ArrowSchema)
}

function checkDecimals(t: DataType): void {
  if (isStruct(t)) for (const f of t.fields) checkDecimals(f.type)
  else if (isArray(t)) checkDecimals(t.elementType)
  else if (isMap(t)) {
    checkDecimals(t.keyType)
    checkDecimals(t.valueType)
  } else {
    const d = decimalParams(t)
    if (d && (d.precision < 1 || d.precision > 38 || d.scale > d.precision)) {
      throw new DeltaError('INVALID_SCHEMA', `${t}: Delta decimals have precision 1..38 and 0 <= scale <= precision`)
    }
  }
}

function usesType(t: DataType, name: string): boolean {
  if (t === name) return true
  if (isStruct(t)) return t.fields.some((f) => usesType(f.type, name))
  if (isArray(t)) return usesType(t.elementType, name)
  if (isMap(t)) return usesType(t.keyType, name) || usesType(t.valueType, name)
  return false
}

/**
 * The lowest protocol a new table needs, so Athena, Trino and older Spark can read it: 1/2 by default;
 * reader 3 / writer 7 with the `timestampNtz` feature when a column is timestamp_ntz; writer 7 with
 * `inCommitTimestamp` when `delta.enableInCommitTimestamps` is set; reader 3 / writer 7 with `deletionVectors`
 * when `delta.enableDeletionVectors` is `true`; writer 4 with change data feed.
 */
export function minimumProtocol(schema: StructType, properties: Record<string, string>): ProtocolAction {
  const readerFeatures: string[] = []
  const writerFeatures: string[] = []
  const columnMapping = (properties['delta.columnMapping.mode'] ?? 'none') !== 'none'
  if (usesType(schema, 'timestamp_ntz')) {
    readerFeatures.push('timestampNtz')
    writerFeatures.push('timestampNtz')
    if (columnMapping) {
      readerFeatures.push('columnMapping')
      writerFeatures.push('columnMapping')
    }
  }
  if (properties['delta.enableInCommitTimestamps'] === 'true') writerFeatures.push('inCommitTimestamp')
  if (properties['delta.enableDeletionVectors'] === 'true') {
    readerFeatures.push('deletionVectors')
    writerFeatures.push('deletionVectors')
    if (columnMapping && !readerFeatures.includes('columnMapping')) {
      readerFeatures.push('columnMapping')
      writerFeatures.push('columnMapping')
    }
  }
  // Writer 7 lists features explicitly: the ones the legacy version would have implied must be named.
  const legacy =
    properties['delta.enableChangeDataFeed'] === 'true'
      ? ['changeDataFeed', 'generatedColumns', 'checkConstraints']
      : []
  if (readerFeatures.length > 0) {
    return {
      minReaderVersion: 3,
      minWriterVersion: 7,
      readerFeatures,
      writerFeatures: ['appendOnly', 'invariants', ...legacy, ...writerFeatures],
    }
  }
  if (writerFeatures.length > 0) {
    return {
      minReaderVersion: 1,
      minWriterVersion: 7,
      writerFeatures: ['appendOnly', 'invariants', ...legacy, ...writerFeatures],
    }
  }
  if (columnMapping) return { minReaderVersion: 2, minWriterVersion: 5 }
  if (properties['delta.enableChangeDataFeed'] === 'true') return { minReaderVersion: 1, minWriterVersion: 4 }
  return { minReaderVersion: 1, minWriterVersion: 2 }
}

/**
 * Gives every field (nested ones too, inside structs, arrays and maps) a column mapping id and a fresh
 * physical name, as Spark does when a table is created with `delta.columnMapping.mode` name or id.
 * Returns the schema and the highest id used.
 */
export function assignColumnMapping(schema: StructType): { schema: StructType; maxColumnId: number } {
  let next = 0
  const mapType = (t: DataType): DataType => {
    if (isStruct(t)) return mapStruct(t)
    if (isArray(t)) return { ...t, elementType: mapType(t.elementType) }
    if (isMap(t)) return { ...t, keyType: mapType(t.keyType), valueType: mapType(t.valueType) }
    return t
  }
  const mapStruct = (s: StructType): StructType => ({
    type: 'struct',
    fields: s.fields.map((f) => {
      next++
      const metadata = {
        ...(f.metadata ?? {}),
        'delta.columnMapping.id': next,
        'delta.columnMapping.physicalName': `col-${uuidv4()}`,
      }
      return { ...f, metadata, type: mapType(f.type) }
    }),
  })
  const mapped = mapStruct(schema)
  return { schema: mapped, maxColumnId: next }
}

/** Validates partition columns against the schema; SCHEMA_MISMATCH names the offending column. */
export function validatePartitionColumns(schema: StructType, partitionBy: readonly string[]): string[] {
  const out: string[] = []
  for (const name of partitionBy) {
    const f = findField(schema, name)
    if (!f) throw new DeltaError('SCHEMA_MISMATCH', `partition column '${name}' is not in the schema`)
    if (!isPartitionableType(f.type)) {
      throw new DeltaError(
        'SCHEMA_MISMATCH',
        `partition column '${name}' has type ${JSON.stringify(f.type)}, which cannot partition a table`,
      )
    }
    out.push(f.name)
  }
  if (out.length === schema.fields.length && out.length > 0) {
    throw new DeltaError('SCHEMA_MISMATCH', 'a table cannot be partitioned by all of its columns')
  }
  return out
}

/**
 * Creates a table: commits version 0 (commitInfo CREATE TABLE, protocol, metaData) through the commit
 * pipeline ({@link Transaction.forNewTable}), by put-if-absent, so two concurrent creators see exactly one
 * winner. Returns the commit, or undefined when a table exists and `ifExists: 'ignore'`. Throws
 * TABLE_ALREADY_EXISTS when a log exists; COMMIT_OUTCOME_UNKNOWN like every commit.
 */
export async function createTableLog(storage: Storage, options: CreateTableOptions): Promise<CommitResult | undefined> {
  let schema = toDeltaSchema(options.schema)
  const partitionColumns = validatePartitionColumns(schema, options.partitionBy ?? [])
  const properties = { ...(options.properties ?? {}) }
  if (options.deletionVectors !== undefined) properties['delta.enableDeletionVectors'] = String(options.deletionVectors)
  const mode = properties['delta.columnMapping.mode']
  if (mode !== undefined && mode !== 'none' && mode !== 'name' && mode !== 'id') {
    throw new DeltaError('INVALID_ARGUMENT', `delta.columnMapping.mode must be none, name or id, got '${mode}'`)
  }
  if (mode === 'name' || mode === 'id') {
    const mapped = assignColumnMapping(schema)
    schema = mapped.schema
    properties['delta.columnMapping.maxColumnId'] = String(mapped.maxColumnId)
  }
  const existing = await listLog(storage)
  if (existing.some((m) => /\d{20}\.(json|checkpoint.*parquet)$/.test(m.path))) {
    if (options.ifExists === 'ignore') return undefined
    throw new DeltaError('TABLE_ALREADY_EXISTS', `a Delta table already exists at ${storage.rootUri}`)
  }
  const clusterPaths =
    options.clusterBy !== undefined ? resolveClusteringColumns(schema, partitionColumns, options.clusterBy) : undefined
  let protocol = minimumProtocol(schema, properties)
  if (clusterPaths) {
    protocol =
      upgradeProtocol(protocol, [FEATURE_REQUIREMENTS.domainMetadata, FEATURE_REQUIREMENTS.clustering]) ?? protocol
  }
  if (properties['delta.enableInCommitTimestamps'] === 'true')
    properties['delta.inCommitTimestampEnablementVersion'] = '0'
  const now = Date.now()
  if (properties['delta.enableInCommitTimestamps'] === 'true')
    properties['delta.inCommitTimestampEnablementTimestamp'] = String(now)
  const metaData: MetadataAction = {
    id: uuidv4(),
    ...(options.name !== undefined ? { name: options.name } : {}),
    ...(options.description !== undefined ? { description: options.description } : {}),
    format: { provider: 'parquet', options: {} },
    schemaString: schemaToString(schema),
    partitionColumns,
    configuration: properties,
    createdTime: now,
  }
  const txn = Transaction.forNewTable(storage, protocol, metaData, {
    isManaged: 'false',
    description: options.description ?? null,
    partitionBy: JSON.stringify(partitionColumns),
    properties: JSON.stringify(properties),
    ...(clusterPaths ? { clusterBy: JSON.stringify(clusterPaths.map((p) => p.join('.'))) } : {}),
  })
  if (clusterPaths) {
    txn.setDomainMetadata({
      domain: CLUSTERING_DOMAIN,
      configuration: clusteringDomainConfiguration(
        mode === 'name' || mode === 'id' ? mode : 'none',
        schema,
        clusterPaths,
      ),
      removed: false,
    })
  }
  try {
    return await txn.commit({
      // CREATE TABLE's commitInfo as Spark writes it: a blind append without metrics, ICT = enablement time.
      commitInfo: {
        ...(properties['delta.enableInCommitTimestamps'] === 'true' ? { inCommitTimestamp: now } : {}),
        timestamp: now,
        isBlindAppend: true,
        operationMetrics: {},
      },
    })
  } catch (err) {
    if (isDeltaError(err, 'TABLE_ALREADY_EXISTS') && options.ifExists === 'ignore') return undefined
    throw err
  }
}
