/**
 * Table-owner operations that change only metadata (and the protocol): rename, drop and widen columns, the
 * column mapping upgrade, table property changes and the clustering columns. Each builds one Transaction that
 * commits a `metaData` action (and a `protocol` action when a feature is needed), as Spark's ALTER TABLE does;
 * no data file is read or written (enabling row tracking re-adds the live files in the log with row ids).
 *
 * Concurrency: these are metadata changes. A concurrent commit that lands first and changes the metadata or the
 * protocol conflicts with them (MetadataChanged / ProtocolChanged); concurrent appends do not, because files
 * written under the old schema stay readable under the new one (column mapping names columns physically, and
 * the reader casts narrower types). Any transaction that commits after one of these conflicts with it
 * (MetadataChanged), as in Spark.
 */
import { v4 as uuidv4 } from 'uuid'
import { DeltaError } from '../errors.js'
import type { MetadataAction } from '../protocol/actions.js'
import { SUPPORTED_WRITER_FEATURES, writerFeatures } from '../protocol/features.js'
import { isPartitionableType } from '../protocol/partition-values.js'
import {
  type ColumnMappingMode,
  type DataType,
  isArray,
  isMap,
  isStruct,
  parseDataType,
  physicalName,
  type StructField,
  type StructType,
  schemaToString,
} from '../protocol/schema.js'
import {
  assignIdentityColumnMapping,
  FEATURE_REQUIREMENTS,
  type FeatureRequirement,
  fieldAt,
  parseColumnPath,
  renameField,
  resolveColumnPath,
  dropField as schemaDropField,
  upgradeProtocol,
  widenField,
} from '../protocol/schema-changes.js'
import { validateTableProperties } from '../protocol/table-properties.js'
import type { Snapshot } from './snapshot.js'
import { Transaction } from './transaction.js'

/** The domain liquid clustering keeps its columns in (PROTOCOL.md §Clustered Table). */
export const CLUSTERING_DOMAIN = 'delta.clustering'

function metadataWith(snap: Snapshot, schema: StructType, changes: Partial<MetadataAction> = {}): MetadataAction {
  return { ...snap.metadata, schemaString: schemaToString(schema), ...changes }
}

function requireColumnMapping(snap: Snapshot, what: string): void {
  if (snap.columnMappingMode === 'none') {
    throw new DeltaError(
      'UNSUPPORTED_FEATURE',
      `${what} needs column mapping, which this table does not use: call table.upgradeColumnMapping() first (Spark: ALTER TABLE ... SET TBLPROPERTIES ('delta.columnMapping.mode' = 'name')); it is a metadata-only commit, but readers then need reader version 2 (Spark 3.x+/delta-rs 0.17+)`,
    )
  }
}

/** The clustering columns of a snapshot, as logical column paths (empty when the table is not clustered). */
export async function clusteringColumns(snap: Snapshot): Promise<string[][]> {
  const d = (await snap.domainMetadata()).get(CLUSTERING_DOMAIN)
  if (!d) return []
  let cols: unknown
  try {
    cols = JSON.parse(d.configuration).clusteringColumns
  } catch {
    throw new DeltaError('INVALID_LOG', `domain ${CLUSTERING_DOMAIN} holds invalid JSON: ${d.configuration}`)
  }
  if (!Array.isArray(cols)) return []
  // The domain names columns physically (PROTOCOL.md): map them back to logical paths.
  return cols.map((c: unknown) => logicalPath(snap, Array.isArray(c) ? c.map(String) : [String(c)]))
}

function logicalPath(snap: Snapshot, phys: string[]): string[] {
  const out: string[] = []
  let s: DataType = snap.schema
  for (const p of phys) {
    if (!isStruct(s)) return [...out, p]
    const f: StructField | undefined = s.fields.find((x) => physicalName(x, snap.columnMappingMode) === p)
    if (!f) return [...out, p]
    out.push(f.name)
    s = f.type
  }
  return out
}

function physicalPath(mode: ColumnMappingMode, schema: StructType, path: readonly string[]): string[] {
  const out: string[] = []
  let s: DataType = schema
  for (const n of path) {
    const f: StructField = (s as StructType).fields.find((x) => x.name === n)!
    out.push(physicalName(f, mode))
    s = f.type
  }
  return out
}

const samePath = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((x, i) => x.toLowerCase() === b[i].toLowerCase())

/** Renames `delta.dataSkippingStatsColumns` entries along with a column (Spark keeps the list in step). */
function mapStatsColumns(conf: Record<string, string | null>, fn: (path: string[]) => string[] | null) {
  const v = conf['delta.dataSkippingStatsColumns']
  if (typeof v !== 'string' || v.trim() === '') return conf
  const cols = v
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean)
    .map((c) => fn(parseColumnPath(c)))
    .filter((c): c is string[] => c !== null)
    .map((p) => p.map((n) => (/[.`,\s]/.test(n) ? `\`${n.replace(/`/g, '``')}\`` : n)).join('.'))
  return { ...conf, 'delta.dataSkippingStatsColumns': cols.join(',') }
}

/**
 * RENAME COLUMN: the field at `from` (a dotted path; nested struct fields too) gets the name `to`. Metadata
 * only: under column mapping the files name the column by its physical name, which does not change. A
 * renamed partition column is renamed in `partitionColumns` too.
 *
 * @throws DeltaError UNSUPPORTED_FEATURE without column mapping (the message says how to enable it);
 *   INVALID_ARGUMENT when `from` does not exist or the parent already has a column named `to`.
 */
export function renameColumnTxn(snap: Snapshot, from: string, to: string): Transaction {
  requireColumnMapping(snap, 'renaming a column')
  const path = resolveColumnPath(snap.schema, parseColumnPath(from))
  const schema = renameField(snap.schema, path, to)
  const newPath = [...path.slice(0, -1), to]
  const partitionColumns =
    path.length === 1 ? snap.partitionColumns.map((c) => (c === path[0] ? to : c)) : snap.partitionColumns
  const conf = mapStatsColumns(snap.metadata.configuration ?? {}, (p) =>
    samePath(p.slice(0, path.length), path) ? [...newPath, ...p.slice(path.length)] : p,
  )
  const txn = new Transaction(snap, 'RENAME COLUMN', {
    oldColumnPath: path.join('.'),
    newColumnPath: newPath.join('.'),
  })
  return txn.updateMetadata(metadataWith(snap, schema, { partitionColumns, configuration: conf }))
}

/**
 * DROP COLUMN: removes the field at `name` (a dotted path) from the schema. Metadata only: the data stays in
 * the files and is no longer read (vacuum after a rewrite reclaims it). Refused for partition and clustering
 * columns and for the last column of the table or of a struct, as Spark refuses them.
 *
 * @throws DeltaError UNSUPPORTED_FEATURE without column mapping; INVALID_ARGUMENT for a missing column, a
 *   partition or clustering column, or the last field.
 */
export async function dropColumnTxn(snap: Snapshot, name: string): Promise<Transaction> {
  requireColumnMapping(snap, 'dropping a column')
  const path = resolveColumnPath(snap.schema, parseColumnPath(name))
  if (path.length === 1 && snap.partitionColumns.includes(path[0])) {
    throw new DeltaError('INVALID_ARGUMENT', `cannot drop partition column ${path[0]}`)
  }
  for (const c of await clusteringColumns(snap)) {
    if (samePath(c.slice(0, path.length), path)) {
      throw new DeltaError(
        'INVALID_ARGUMENT',
        `cannot drop ${path.join('.')}: the table is clustered by ${c.join('.')}; change the clustering columns first (table.clusterBy)`,
      )
    }
  }
  const schema = schemaDropField(snap.schema, path)
  const conf = mapStatsColumns(snap.metadata.configuration ?? {}, (p) =>
    samePath(p.slice(0, path.length), path) ? null : p,
  )
  const txn = new Transaction(snap, 'DROP COLUMNS', { columns: JSON.stringify([path.join('.')]) })
  return txn.updateMetadata(metadataWith(snap, schema, { configuration: conf }))
}

/**
 * Spark's `delta.columnMapping.mode = 'name'` upgrade of an existing table: every field gets an id and its
 * current name as physical name (the files already use those names), `delta.columnMapping.maxColumnId` is set,
 * and the protocol gains column mapping (2/5, or the feature on a table-features protocol). Undefined when the
 * table already uses column mapping.
 */
export function upgradeColumnMappingTxn(snap: Snapshot): Transaction | undefined {
  if (snap.columnMappingMode !== 'none') return undefined
  return setPropertiesTxn(snap, { 'delta.columnMapping.mode': 'name' })
}

/**
 * CHANGE COLUMN ... TYPE: widens the primitive column at `name` to `type` (a Delta type name such as
 * `'long'` or `'decimal(12,2)'`), recording `{fromType, toType}` in its `delta.typeChanges` field metadata.
 * Files written before keep the narrower type and are cast when read. Needs `delta.enableTypeWidening = true`
 * (set it with `table.setProperties`), as Spark does. Undefined when the column already has that type.
 *
 * @throws DeltaError INVALID_ARGUMENT for a missing column, a change that is not a widening, or a
 *   date → timestamp_ntz change of a partition column; UNSUPPORTED_FEATURE when type widening is not enabled.
 */
export function widenColumnTxn(snap: Snapshot, name: string, type: string): Transaction | undefined {
  if (snap.properties['delta.enableTypeWidening'] !== 'true') {
    throw new DeltaError(
      'UNSUPPORTED_FEATURE',
      "widening a column needs type widening: call table.setProperties({ 'delta.enableTypeWidening': 'true' }) first (it adds the typeWidening reader/writer feature: protocol 3/7)",
    )
  }
  const to = parseDataType(type, name)
  const path = resolveColumnPath(snap.schema, parseColumnPath(name))
  const { schema, from } = widenField(snap.schema, path, to)
  if (from === to) return undefined
  if (path.length === 1 && snap.partitionColumns.includes(path[0]) && !isPartitionableType(to)) {
    throw new DeltaError('INVALID_ARGUMENT', `partition column ${path[0]} cannot become ${type}`)
  }
  if (path.length === 1 && snap.partitionColumns.includes(path[0]) && from === 'date') {
    throw new DeltaError(
      'INVALID_ARGUMENT',
      `partition column ${path[0]} cannot change from date to ${type}: its partition values are dates`,
    )
  }
  const txn = new Transaction(snap, 'CHANGE COLUMN', {
    column: JSON.stringify(fieldAt(schema, path)),
  })
  return txn.updateMetadata(metadataWith(snap, schema))
}

/** What each feature-bearing property needs, when set to `'true'`. */
const PROPERTY_FEATURES: Record<string, FeatureRequirement> = {
  'delta.enableChangeDataFeed': FEATURE_REQUIREMENTS.changeDataFeed,
  'delta.enableDeletionVectors': FEATURE_REQUIREMENTS.deletionVectors,
  'delta.enableTypeWidening': FEATURE_REQUIREMENTS.typeWidening,
  'delta.enableInCommitTimestamps': FEATURE_REQUIREMENTS.inCommitTimestamp,
  'delta.appendOnly': FEATURE_REQUIREMENTS.appendOnly,
}

/** Properties that need a feature delta-ts cannot write: refused by name. */
const REFUSED_PROPERTIES: Record<string, (v: string) => string | undefined> = {
  'delta.checkpointPolicy': (v) =>
    v.toLowerCase() === 'v2' ? 'V2 checkpoints (v2Checkpoint) are not written by delta-ts yet' : undefined,
  'delta.enableIcebergCompatV1': (v) => (v === 'true' ? 'Iceberg metadata is not written by delta-ts' : undefined),
  'delta.enableIcebergCompatV2': (v) => (v === 'true' ? 'Iceberg metadata is not written by delta-ts' : undefined),
  'delta.columnMapping.maxColumnId': () => 'it is maintained by column mapping itself',
  'delta.inCommitTimestampEnablementVersion': () => 'it is set when in-commit timestamps are enabled',
  'delta.inCommitTimestampEnablementTimestamp': () => 'it is set when in-commit timestamps are enabled',
}

/**
 * SET TBLPROPERTIES: validates the `delta.*` values delta-ts interprets, upgrades the protocol when a property
 * needs a feature (change data feed, deletion vectors, type widening, in-commit timestamps, append-only;
 * `delta.feature.<name> = 'supported'` adds a feature explicitly, as in Spark), and refuses by name the
 * properties whose feature delta-ts cannot write (`delta.checkpointPolicy = v2`, Iceberg).
 * `delta.enableRowTracking = 'true'` on a table without row tracking adds the feature, names the materialized
 * row-tracking columns and backfills row ids in the same commit: every live file is re-added
 * (`dataChange: false`) with a fresh `baseRowId`, as Spark's ROW TRACKING BACKFILL does; the commit reads the
 * whole table, so a concurrent append (whose files would lack row ids) makes it conflict.
 * `delta.columnMapping.mode = 'name'` runs {@link upgradeColumnMappingTxn}.
 *
 * @throws DeltaError INVALID_ARGUMENT for an invalid value or a property delta-ts maintains itself;
 *   UNSUPPORTED_FEATURE for a feature delta-ts cannot write.
 */
export function setPropertiesTxn(snap: Snapshot, properties: Record<string, string>): Transaction | undefined {
  validateTableProperties(properties)
  const features: FeatureRequirement[] = []
  const conf: Record<string, string | null> = { ...(snap.metadata.configuration ?? {}) }
  let upgradeMapping = false
  for (const [key, value] of Object.entries(properties)) {
    const refused = REFUSED_PROPERTIES[key]?.(value)
    if (refused) {
      throw new DeltaError(
        key.startsWith('delta.enable') || key === 'delta.checkpointPolicy' ? 'UNSUPPORTED_FEATURE' : 'INVALID_ARGUMENT',
        `cannot set ${key} = '${value}': ${refused}`,
      )
    }
    if (key.startsWith('delta.feature.')) {
      const name = key.slice('delta.feature.'.length)
      if (value !== 'supported' && value !== 'enabled') {
        throw new DeltaError('INVALID_ARGUMENT', `${key} must be 'supported', got '${value}'`)
      }
      const req = FEATURE_REQUIREMENTS[name]
      if (!req || !SUPPORTED_WRITER_FEATURES.has(name)) {
        throw new DeltaError('UNSUPPORTED_FEATURE', `cannot add feature ${name}: delta-ts does not write it`)
      }
      features.push(req)
      continue
    }
    if (key === 'delta.columnMapping.mode') {
      const mode = value.toLowerCase()
      if (mode === snap.columnMappingMode) continue
      if (mode === 'name' && snap.columnMappingMode === 'none') {
        upgradeMapping = true
        continue
      }
      throw new DeltaError(
        'UNSUPPORTED_FEATURE',
        `cannot change delta.columnMapping.mode from ${snap.columnMappingMode} to ${mode}: an existing table can only be upgraded from none to name (as in Spark)`,
      )
    }
    conf[key] = value
    const req = PROPERTY_FEATURES[key]
    if (req && value === 'true') features.push(req)
    if (key === 'delta.enableInCommitTimestamps' && value === 'true' && snap.properties[key] !== 'true') {
      // The enablement version is the version this commit lands at; the transaction reads the whole table so
      // that a concurrent commit makes it retry from a fresh snapshot instead of landing at a later version.
      conf['delta.inCommitTimestampEnablementVersion'] = String(snap.version + 1)
      conf['delta.inCommitTimestampEnablementTimestamp'] = String(Date.now())
    }
  }
  let schema = snap.schema
  if (upgradeMapping) {
    const mapped = assignIdentityColumnMapping(snap.schema)
    schema = mapped.schema
    conf['delta.columnMapping.mode'] = 'name'
    conf['delta.columnMapping.maxColumnId'] = String(mapped.maxColumnId)
    features.push(FEATURE_REQUIREMENTS.columnMapping)
  }
  const rowTracking = conf['delta.enableRowTracking'] === 'true'
  const backfill = rowTracking && !writerFeatures(snap.protocol).includes('rowTracking')
  if (rowTracking) {
    conf['delta.rowTracking.materializedRowIdColumnName'] ??= `_row-id-col-${uuidv4()}`
    conf['delta.rowTracking.materializedRowCommitVersionColumnName'] ??= `_row-commit-version-col-${uuidv4()}`
  }
  if (backfill) features.push(FEATURE_REQUIREMENTS.domainMetadata, ROW_TRACKING_FEATURE)
  const protocol = upgradeProtocol(snap.protocol, features)
  if (!protocol && !upgradeMapping && JSON.stringify(conf) === JSON.stringify(snap.metadata.configuration ?? {})) {
    return undefined
  }
  const txn = new Transaction(snap, 'SET TBLPROPERTIES', { properties: JSON.stringify(properties) })
  txn.updateMetadata(metadataWith(snap, schema, { configuration: conf }))
  if (protocol) txn.updateProtocol(protocol)
  if (conf['delta.inCommitTimestampEnablementVersion'] === String(snap.version + 1)) txn.readWholeTable()
  if (backfill) {
    // The transaction assigns baseRowId / defaultRowCommitVersion to adds without them (from numRecords).
    const files = snap.allFileEntries()
    const uncounted = files.find((f) => !/"numRecords"\s*:/.test(f.add.stats ?? ''))
    if (uncounted) {
      throw new DeltaError(
        'UNSUPPORTED_FEATURE',
        `cannot enable row tracking: ${uncounted.path} has no numRecords statistics to assign row ids from`,
      )
    }
    txn.readWholeTable()
    txn.add(files.map((f) => ({ ...f.add, dataChange: false })))
  }
  return txn
}

/** The rowTracking writer feature (with domainMetadata) as `setProperties` adds it on enablement. */
const ROW_TRACKING_FEATURE: FeatureRequirement = { name: 'rowTracking', reader: false }

/**
 * UNSET TBLPROPERTIES: removes `keys` from the configuration. Column mapping and in-commit-timestamp
 * bookkeeping cannot be unset. Undefined when no key was set.
 *
 * @throws DeltaError INVALID_ARGUMENT for a key that is not set (unless `ifExists`) or one delta-ts maintains.
 */
export function unsetPropertiesTxn(snap: Snapshot, keys: readonly string[], ifExists = false): Transaction | undefined {
  const conf: Record<string, string | null> = { ...(snap.metadata.configuration ?? {}) }
  let changed = false
  for (const key of keys) {
    if (key.startsWith('delta.columnMapping.') || key.startsWith('delta.inCommitTimestampEnablement')) {
      throw new DeltaError('INVALID_ARGUMENT', `cannot unset ${key}: delta-ts keeps it consistent with the table`)
    }
    if (!(key in conf)) {
      if (ifExists) continue
      throw new DeltaError('INVALID_ARGUMENT', `cannot unset ${key}: the table has no such property (pass ifExists)`)
    }
    delete conf[key]
    changed = true
  }
  if (!changed) return undefined
  const txn = new Transaction(snap, 'UNSET TBLPROPERTIES', { properties: JSON.stringify(keys), ifExists })
  return txn.updateMetadata({ ...snap.metadata, configuration: conf })
}

/** Types liquid clustering can order by (those with min/max stats). */
function clusterableType(t: DataType): boolean {
  if (isStruct(t) || isArray(t) || isMap(t)) return false
  return t !== 'binary' && t !== 'variant' && t !== 'void' && t !== 'boolean'
}

/**
 * Resolves and checks clustering columns against a schema: each must exist (dotted paths reach nested
 * fields), be orderable by min/max stats, and not be a partition column (a table is partitioned or clustered).
 * Returns the resolved logical paths.
 */
export function resolveClusteringColumns(
  schema: StructType,
  partitionColumns: readonly string[],
  columns: readonly string[],
): string[][] {
  if (columns.length > 0 && partitionColumns.length > 0) {
    throw new DeltaError('INVALID_ARGUMENT', 'a table cannot be both partitioned and clustered (liquid clustering)')
  }
  if (columns.length > 4) {
    throw new DeltaError('INVALID_ARGUMENT', `at most 4 clustering columns (as in Spark), got ${columns.length}`)
  }
  const seen = new Set<string>()
  return columns.map((c) => {
    const path = resolveColumnPath(schema, parseColumnPath(c))
    const key = path.join('.').toLowerCase()
    if (seen.has(key)) throw new DeltaError('INVALID_ARGUMENT', `clustering column ${c} is listed twice`)
    seen.add(key)
    const t = fieldAt(schema, path).type
    if (!clusterableType(t)) {
      throw new DeltaError(
        'INVALID_ARGUMENT',
        `cannot cluster by ${c}: its type ${JSON.stringify(t)} has no min/max statistics to skip files by`,
      )
    }
    return path
  })
}

/** The `delta.clustering` domain configuration for resolved logical paths (named physically, as Spark does). */
export function clusteringDomainConfiguration(
  mode: ColumnMappingMode,
  schema: StructType,
  paths: readonly string[][],
): string {
  return JSON.stringify({ clusteringColumns: paths.map((p) => physicalPath(mode, schema, p)) })
}

/**
 * ALTER TABLE CLUSTER BY: sets the clustering columns (empty: CLUSTER BY NONE) in the `delta.clustering`
 * domain and adds the `clustering` and `domainMetadata` writer features. Files clustered by earlier columns
 * stay as they are; the next OPTIMIZE clusters the files not yet clustered.
 *
 * @throws DeltaError INVALID_ARGUMENT for a missing, partition or unorderable column (see
 *   {@link resolveClusteringColumns}).
 */
export async function clusterByTxn(snap: Snapshot, columns: readonly string[]): Promise<Transaction | undefined> {
  const paths = resolveClusteringColumns(snap.schema, snap.partitionColumns, columns)
  const old = await clusteringColumns(snap)
  const isClustered = (await snap.domainMetadata()).has(CLUSTERING_DOMAIN)
  if (isClustered && old.length === paths.length && old.every((p, i) => samePath(p, paths[i]))) return undefined
  const txn = new Transaction(snap, 'CLUSTER BY', {
    oldClusteringColumns: old.map((p) => p.join('.')).join(','),
    newClusteringColumns: paths.map((p) => p.join('.')).join(','),
  })
  const protocol = upgradeProtocol(snap.protocol, [
    FEATURE_REQUIREMENTS.domainMetadata,
    FEATURE_REQUIREMENTS.clustering,
  ])
  if (protocol) txn.updateProtocol(protocol)
  // A metadata action too, so that the change serializes against concurrent writers as Spark's ALTER TABLE does.
  txn.updateMetadata(snap.metadata)
  txn.setDomainMetadata({
    domain: CLUSTERING_DOMAIN,
    configuration: clusteringDomainConfiguration(snap.columnMappingMode, snap.schema, paths),
    removed: false,
  })
  return txn
}
