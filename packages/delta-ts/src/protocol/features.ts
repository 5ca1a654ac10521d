import { DeltaError } from '../errors.js'
import type { MetadataAction, ProtocolAction } from './actions.js'
import { readWriteRules } from './constraints.js'
import { type DataType, isArray, isMap, isStruct, parseSchemaString, type StructType } from './schema.js'

/** Reader features delta-ts implements (PROTOCOL.md §Valid Feature Names in Table Features). */
export const SUPPORTED_READER_FEATURES: ReadonlySet<string> = new Set([
  'columnMapping',
  'deletionVectors',
  'timestampNtz',
  'typeWidening',
  'typeWidening-preview',
  'v2Checkpoint',
  'vacuumProtocolCheck',
])

/**
 * Writer features delta-ts implements, each honoured on every write path (CHECK constraints, invariants,
 * generated and identity columns by core/write-rules.ts; row tracking by the Transaction). A table whose
 * constraint or generation expression lies outside the supported SQL subset is refused by
 * {@link assertWritable}.
 */
export const SUPPORTED_WRITER_FEATURES: ReadonlySet<string> = new Set([
  'appendOnly',
  'invariants',
  'checkConstraints',
  'timestampNtz',
  'domainMetadata',
  'vacuumProtocolCheck',
  'deletionVectors',
  'typeWidening',
  'typeWidening-preview',
  'inCommitTimestamp',
  'changeDataFeed',
  'columnMapping',
  'generatedColumns',
  'identityColumns',
  'rowTracking',
  'clustering',
  'v2Checkpoint',
])

/** Reader features implied by a legacy reader version. */
function legacyReaderFeatures(p: ProtocolAction): string[] {
  return p.minReaderVersion >= 2 ? ['columnMapping'] : []
}

/** Writer features implied by a legacy writer version (PROTOCOL.md §Protocol Evolution). */
export function legacyWriterFeatures(minWriterVersion: number): string[] {
  const f: string[] = []
  if (minWriterVersion >= 2) f.push('appendOnly', 'invariants')
  if (minWriterVersion >= 3) f.push('checkConstraints')
  if (minWriterVersion >= 4) f.push('changeDataFeed', 'generatedColumns')
  if (minWriterVersion >= 5) f.push('columnMapping')
  if (minWriterVersion >= 6) f.push('identityColumns')
  return f
}

/** The reader features a protocol requires. */
export function readerFeatures(p: ProtocolAction): string[] {
  if (p.minReaderVersion >= 3) return p.readerFeatures ?? []
  return legacyReaderFeatures(p)
}

/** The writer features a protocol requires. */
export function writerFeatures(p: ProtocolAction): string[] {
  if (p.minWriterVersion >= 7) return p.writerFeatures ?? []
  return legacyWriterFeatures(p.minWriterVersion)
}

/**
 * Refuses a table delta-ts cannot read correctly: a reader version above 3, or a reader feature it does not
 * implement. Throws `UNSUPPORTED_FEATURE` naming the features.
 */
export function assertReadable(p: ProtocolAction): void {
  if (p.minReaderVersion > 3) {
    throw new DeltaError('UNSUPPORTED_FEATURE', `reader version ${p.minReaderVersion} is not supported (max 3)`)
  }
  if (p.minReaderVersion === 3 && !Array.isArray(p.readerFeatures)) {
    throw new DeltaError('INVALID_LOG', 'protocol with minReaderVersion 3 has no readerFeatures list')
  }
  const missing = readerFeatures(p).filter((f) => !SUPPORTED_READER_FEATURES.has(f))
  if (missing.length > 0) {
    throw new DeltaError('UNSUPPORTED_FEATURE', `table requires unsupported reader feature(s): ${missing.join(', ')}`)
  }
}

/**
 * Refuses to write a table whose writer features delta-ts does not implement, or whose CHECK constraints,
 * invariants or generation expressions use SQL outside the subset delta-ts evaluates (docs/predicates.md).
 * Throws `UNSUPPORTED_FEATURE` naming the features or the expression.
 */
export function assertWritable(p: ProtocolAction, metadata: MetadataAction): void {
  assertReadable(p)
  if (p.minWriterVersion > 7) {
    throw new DeltaError('UNSUPPORTED_FEATURE', `writer version ${p.minWriterVersion} is not supported (max 7)`)
  }
  const missing = writerFeatures(p).filter((f) => !SUPPORTED_WRITER_FEATURES.has(f))
  if (missing.length > 0) {
    throw new DeltaError(
      'UNSUPPORTED_FEATURE',
      `delta-ts cannot write this table: writer feature(s) ${missing.join(', ')}`,
    )
  }
  let schema: StructType | undefined
  try {
    schema = parseSchemaString(metadata.schemaString)
  } catch {
    schema = undefined
  }
  // Every constraint and generation expression must be one delta-ts evaluates: UNSUPPORTED_FEATURE names it.
  if (schema) readWriteRules(schema, metadata.configuration)
}

/** Features whose use shows in the metadata (schema field metadata and table properties). */
export function featuresInUse(metadata: MetadataAction): Set<string> {
  const used = new Set<string>()
  const conf = metadata.configuration ?? {}
  if ((conf['delta.columnMapping.mode'] ?? 'none') !== 'none') used.add('columnMapping')
  if (Object.keys(conf).some((k) => k.startsWith('delta.constraints.'))) used.add('checkConstraints')
  if (conf['delta.enableChangeDataFeed'] === 'true') used.add('changeDataFeed')
  if (conf['delta.appendOnly'] === 'true') used.add('appendOnly')
  if (conf['delta.enableRowTracking'] === 'true') used.add('rowTracking')
  if ((conf['delta.checkpointPolicy'] ?? '').toLowerCase() === 'v2') used.add('v2Checkpoint')
  let schema: StructType | undefined
  try {
    schema = parseSchemaString(metadata.schemaString)
  } catch {
    schema = undefined
  }
  const visit = (t: DataType) => {
    if (isStruct(t)) {
      for (const f of t.fields) {
        const md = f.metadata ?? {}
        if (md['delta.invariants'] !== undefined) used.add('invariants')
        if (md['delta.generationExpression'] !== undefined) used.add('generatedColumns')
        if (md['delta.identity.start'] !== undefined || md['delta.identity.step'] !== undefined)
          used.add('identityColumns')
        visit(f.type)
      }
    } else if (isArray(t)) visit(t.elementType)
    else if (isMap(t)) {
      visit(t.keyType)
      visit(t.valueType)
    }
  }
  if (schema) visit(schema)
  return used
}
