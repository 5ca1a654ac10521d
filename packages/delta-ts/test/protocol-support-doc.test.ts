import { readFileSync } from 'node:fs'
import * as path from 'node:path'
import { describe, expect, it } from 'vitest'
import { isDeltaError } from '../src/errors.js'
import type { MetadataAction, ProtocolAction } from '../src/protocol/actions.js'
import {
  assertReadable,
  assertWritable,
  SUPPORTED_READER_FEATURES,
  SUPPORTED_WRITER_FEATURES,
} from '../src/protocol/features.js'
import { repoRoot } from './golden.js'

// docs/protocol-support.md promises, per table feature, what reading and writing do. This test holds every row
// of its matrix against the real gates (assertReadable / assertWritable), so the page cannot drift from the code.

/** Feature names of PROTOCOL.md §Valid Feature Names in Table Features (plus the ones Spark writes as previews). */
const SPEC_FEATURES = [
  'appendOnly',
  'invariants',
  'checkConstraints',
  'generatedColumns',
  'allowColumnDefaults',
  'changeDataFeed',
  'columnMapping',
  'identityColumns',
  'deletionVectors',
  'rowTracking',
  'timestampNtz',
  'domainMetadata',
  'v2Checkpoint',
  'catalogManaged',
  'icebergCompatV1',
  'icebergCompatV2',
  'clustering',
  'vacuumProtocolCheck',
  'inCommitTimestamp',
  'typeWidening',
  'variantType',
  'variantShredding',
]

interface Row {
  feature: string
  kind: 'R+W' | 'W'
  read: string
  write: string
}

function matrix(): Row[] {
  const doc = readFileSync(path.join(repoRoot, 'docs/protocol-support.md'), 'utf8')
  const m = /<!-- feature-matrix:start -->([\s\S]*?)<!-- feature-matrix:end -->/.exec(doc)
  if (!m) throw new Error('docs/protocol-support.md has no feature-matrix markers')
  return m[1]
    .split('\n')
    .filter((l) => l.startsWith('| `'))
    .map((l) => {
      const [feature, kind, read, write] = l
        .split('|')
        .slice(1, 5)
        .map((c) => c.trim())
      return { feature: feature.replace(/`/g, ''), kind: kind as Row['kind'], read, write }
    })
}

const field = (metadata: Record<string, unknown> = {}) => ({ name: 'x', type: 'long', nullable: true, metadata })
function metadataWith(
  schemaFieldMeta: Record<string, unknown> = {},
  configuration: Record<string, string> = {},
): MetadataAction {
  return {
    id: 'doc-test',
    format: { provider: 'parquet' },
    schemaString: JSON.stringify({ type: 'struct', fields: [field(schemaFieldMeta)] }),
    partitionColumns: [],
    configuration,
  }
}
/** Metadata that actually uses each expression-carrying feature, with an expression inside the SQL subset. */
const IN_USE: Record<string, MetadataAction> = {
  invariants: metadataWith({ 'delta.invariants': '{"expression":{"expression":"x > 3"}}' }),
  checkConstraints: metadataWith({}, { 'delta.constraints.positive': 'x > 0' }),
  generatedColumns: metadataWith({ 'delta.generationExpression': 'CAST(x AS BIGINT) + 1' }),
  identityColumns: metadataWith({ 'delta.identity.start': 1, 'delta.identity.step': 1 }),
}
/** The same features with an expression outside the subset: the table is read-only for delta-ts. */
const OUTSIDE_SUBSET: Record<string, MetadataAction> = {
  invariants: metadataWith({ 'delta.invariants': '{"expression":{"expression":"x > rand()"}}' }),
  checkConstraints: metadataWith({}, { 'delta.constraints.positive': 'x > hash(x)' }),
  generatedColumns: metadataWith({ 'delta.generationExpression': 'uuid()' }),
}

function protocolFor(row: Row): ProtocolAction {
  return row.kind === 'R+W'
    ? { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: [row.feature], writerFeatures: [row.feature] }
    : { minReaderVersion: 1, minWriterVersion: 7, writerFeatures: [row.feature] }
}

function outcome(fn: () => void): 'ok' | 'UNSUPPORTED_FEATURE' | string {
  try {
    fn()
    return 'ok'
  } catch (err) {
    return isDeltaError(err) ? err.code : String(err)
  }
}

describe('docs/protocol-support.md feature matrix', () => {
  const rows = matrix()

  it('lists every feature of the spec and every feature the code supports, each once', () => {
    const names = rows.map((r) => r.feature)
    expect(new Set(names).size).toBe(names.length)
    for (const f of [...SPEC_FEATURES, ...SUPPORTED_READER_FEATURES, ...SUPPORTED_WRITER_FEATURES]) {
      expect(names, `feature ${f} missing from the matrix`).toContain(f)
    }
  })

  it.each(rows.map((r) => [r.feature, r] as const))('row %s states what the read and write gates do', (_name, row) => {
    const p = protocolFor(row)
    const unused = metadataWith()
    const read = outcome(() => assertReadable(p))
    expect(read, `read of ${row.feature}`).toBe(row.read === 'supported' ? 'ok' : 'UNSUPPORTED_FEATURE')
    expect(['supported', 'refused']).toContain(row.read)

    const write = outcome(() => assertWritable(p, unused))
    switch (row.write) {
      case 'supported':
        expect(write, `write of ${row.feature}`).toBe('ok')
        if (IN_USE[row.feature]) {
          expect(
            outcome(() => assertWritable(p, IN_USE[row.feature])),
            `write of ${row.feature} in use`,
          ).toBe('ok')
        }
        if (OUTSIDE_SUBSET[row.feature]) {
          expect(
            outcome(() => assertWritable(p, OUTSIDE_SUBSET[row.feature])),
            `write of ${row.feature} with an expression outside the subset`,
          ).toBe('UNSUPPORTED_FEATURE')
        }
        break
      case 'supported while unused': {
        expect(write, `write of ${row.feature} while unused`).toBe('ok')
        const inUse = IN_USE[row.feature]
        expect(inUse, `the test needs in-use metadata for ${row.feature}`).toBeDefined()
        expect(
          outcome(() => assertWritable(p, inUse)),
          `write of ${row.feature} in use`,
        ).toBe('UNSUPPORTED_FEATURE')
        break
      }
      case 'read-only':
        expect(write, `write of ${row.feature}`).toBe('UNSUPPORTED_FEATURE')
        break
      default:
        throw new Error(`unknown write status "${row.write}" for ${row.feature}`)
    }
  })

  it('"How delta-ts decides" says which features carry expressions and that one outside the subset is refused', () => {
    const doc = readFileSync(path.join(repoRoot, 'docs/protocol-support.md'), 'utf8')
    const m = /expressions outside the SQL subset \(([^)]*)\)/.exec(doc)
    expect(m, 'the sentence on expressions outside the subset').not.toBeNull()
    const named = (m?.[1] ?? '').replace(/\s+/g, ' ')
    for (const f of Object.keys(OUTSIDE_SUBSET)) expect(named, f).toContain(f)
  })

  it('refuses an unknown future feature on read and on write, as the page says', () => {
    const p: ProtocolAction = {
      minReaderVersion: 3,
      minWriterVersion: 7,
      readerFeatures: ['futureX'],
      writerFeatures: ['futureX'],
    }
    expect(outcome(() => assertReadable(p))).toBe('UNSUPPORTED_FEATURE')
    const w: ProtocolAction = { minReaderVersion: 1, minWriterVersion: 7, writerFeatures: ['futureY'] }
    expect(outcome(() => assertReadable(w))).toBe('ok')
    expect(outcome(() => assertWritable(w, metadataWith()))).toBe('UNSUPPORTED_FEATURE')
  })
})
