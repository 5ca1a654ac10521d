import { DeltaError } from '../errors.js'
import type { MetadataAction, ProtocolAction } from './actions.js'
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
 * Writer features delta-ts implements. A feature listed here is honoured on every write path; features that
 * are only harmless while unused (invariants, checkConstraints, generated and identity columns) are checked
 * for use in {@link assertWritable}.
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
  'clustering',
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
 * Refuses to write a table whose writer features delta-ts does not implement, or whose metadata uses a
 * feature delta-ts only tolerates while unused (invariants, CHECK constraints, generated or identity columns,
 * column mapping). Throws `UNSUPPORTED_FEATURE` naming them.
 */
export function assertWritable(p: ProtocolAction, metadata: MetadataAction): void {
  assertReadable(p)
  if (p.minWriterVersion > 7) {
    throw new DeltaError('UNSUPPORTED_FEATURE', `writer version ${p.minWriterVersion} is not supported (max 7)`)
  }
  const missing = writerFeatures(p).filter((f) => !SUPPORTED_WRITER_FEATURES.has(f))
  const inUse = featuresInUse(metadata)
  for (const f of ['invariants', 'checkConstraints', 'generatedColumns', 'identityColumns']) {
    if (inUse.has(f)) missing.push(`${f} (in use)`)
  }
  if (missing.length > 0) {
    throw new DeltaError(
      'UNSUPPORTED_FEATURE',
      `delta-ts cannot write this table: writer feature(s) ${missing.join(', ')}`,
    )
  }
}

/** Features whose use shows in the metadata (schema field metadata and table properties). */
export function featuresInUse(metadata: MetadataAction): Set<string> {
  const used = new Set<string>()
  const conf = metadata.configuration ?? {}
  if ((conf['delta.columnMapping.mode'] ?? 'none') !== 'none') used.add('columnMapping')
  if (Object.keys(conf).some((k) => k.startsWith('delta.constraints.'))) used.add('checkConstraints')
  if (conf['delta.enableChangeDataFeed'] === 'true') used.add('changeDataFeed')
  if (conf['delta.appendOnly'] === 'true') used.add('appendOnly')
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
