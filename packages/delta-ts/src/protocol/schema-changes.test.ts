import { describe, expect, it } from 'vitest'
import { isDeltaError } from '../errors.js'
import type { StructType } from './schema.js'
import {
  assignIdentityColumnMapping,
  dropField,
  FEATURE_REQUIREMENTS,
  isTypeWidening,
  parseColumnPath,
  renameField,
  resolveColumnPath,
  upgradeProtocol,
  widenField,
} from './schema-changes.js'

const schema: StructType = {
  type: 'struct',
  fields: [
    { name: 'id', type: 'integer', nullable: true, metadata: {} },
    {
      name: 's',
      type: {
        type: 'struct',
        fields: [
          { name: 'a', type: 'string', nullable: true, metadata: {} },
          { name: 'b', type: 'date', nullable: true, metadata: {} },
        ],
      },
      nullable: true,
      metadata: {},
    },
  ],
}

const code = (fn: () => unknown) => {
  try {
    fn()
    return 'ok'
  } catch (e) {
    return isDeltaError(e) ? e.code : 'other'
  }
}

describe('column paths', () => {
  it('splits on dots, keeps backtick-quoted dots and doubled backticks, refuses empty names', () => {
    expect(parseColumnPath('a.b.c')).toEqual(['a', 'b', 'c'])
    expect(parseColumnPath('`a.b`.c')).toEqual(['a.b', 'c'])
    expect(parseColumnPath('`x``y`')).toEqual(['x`y'])
    expect(code(() => parseColumnPath('a..b'))).toBe('INVALID_ARGUMENT')
    expect(code(() => parseColumnPath('`a'))).toBe('INVALID_ARGUMENT')
  })

  it('resolves case-insensitively to the spelled names and names a missing field', () => {
    expect(resolveColumnPath(schema, ['S', 'A'])).toEqual(['s', 'a'])
    expect(code(() => resolveColumnPath(schema, ['s', 'z']))).toBe('INVALID_ARGUMENT')
    expect(code(() => resolveColumnPath(schema, ['id', 'x']))).toBe('INVALID_ARGUMENT')
  })
})

describe('rename, drop, widen', () => {
  it('renames nested fields and refuses a clash; drops a field but not the last of a struct', () => {
    const r = renameField(schema, ['s', 'a'], 'alpha')
    expect((r.fields[1].type as StructType).fields.map((f) => f.name)).toEqual(['alpha', 'b'])
    expect(code(() => renameField(schema, ['s', 'a'], 'B'))).toBe('INVALID_ARGUMENT')
    expect(renameField(schema, ['id'], 'ID').fields[0].name).toBe('ID')
    const d = dropField(schema, ['s', 'a'])
    expect((d.fields[1].type as StructType).fields.map((f) => f.name)).toEqual(['b'])
    expect(code(() => dropField(d, ['s', 'b']))).toBe('INVALID_ARGUMENT')
  })

  it('allows exactly the widenings of PROTOCOL.md §Type Widening', () => {
    const yes: [string, string][] = [
      ['byte', 'short'],
      ['byte', 'long'],
      ['integer', 'long'],
      ['float', 'double'],
      ['integer', 'double'],
      ['date', 'timestamp_ntz'],
      ['decimal(10,2)', 'decimal(12,4)'],
      ['decimal(10,2)', 'decimal(11,2)'],
      ['integer', 'decimal(10,0)'],
      ['long', 'decimal(20,0)'],
    ]
    const no: [string, string][] = [
      ['long', 'integer'],
      ['long', 'double'],
      ['double', 'float'],
      ['date', 'timestamp'],
      ['decimal(10,2)', 'decimal(10,3)'],
      ['decimal(10,2)', 'decimal(10,2)'],
      ['integer', 'decimal(9,0)'],
      ['string', 'binary'],
    ]
    for (const [a, b] of yes) expect(isTypeWidening(a as never, b as never), `${a} → ${b}`).toBe(true)
    for (const [a, b] of no) expect(isTypeWidening(a as never, b as never), `${a} → ${b}`).toBe(false)
  })

  it('widening records fromType/toType in delta.typeChanges, appending to earlier changes', () => {
    const once = widenField(schema, ['id'], 'long').schema
    const twice = widenField(
      { ...once, fields: [{ ...once.fields[0], type: 'short' as never }, once.fields[1]] },
      ['id'],
      'integer',
    ).schema
    expect(once.fields[0].metadata?.['delta.typeChanges']).toEqual([{ fromType: 'integer', toType: 'long' }])
    expect(twice.fields[0].metadata?.['delta.typeChanges']).toEqual([
      { fromType: 'integer', toType: 'long' },
      { fromType: 'short', toType: 'integer' },
    ])
    expect(code(() => widenField(schema, ['s'], 'long'))).toBe('INVALID_ARGUMENT')
    expect(widenField(schema, ['s', 'b'], 'timestamp_ntz').from).toBe('date')
  })
})

describe('column mapping upgrade and protocol upgrades', () => {
  it('assigns ids depth-first and keeps the current names as physical names', () => {
    const { schema: m, maxColumnId } = assignIdentityColumnMapping(schema)
    expect(maxColumnId).toBe(4)
    const inner = (m.fields[1].type as StructType).fields
    expect(
      inner.map((f) => [f.metadata?.['delta.columnMapping.id'], f.metadata?.['delta.columnMapping.physicalName']]),
    ).toEqual([
      [3, 'a'],
      [4, 'b'],
    ])
  })

  it('stays legacy when it can, moves to table features listing the implied ones when it must, and is a no-op when supported', () => {
    const legacy = { minReaderVersion: 1, minWriterVersion: 2 }
    expect(upgradeProtocol(legacy, [FEATURE_REQUIREMENTS.columnMapping])).toEqual({
      minReaderVersion: 2,
      minWriterVersion: 5,
    })
    expect(upgradeProtocol(legacy, [FEATURE_REQUIREMENTS.clustering, FEATURE_REQUIREMENTS.domainMetadata])).toEqual({
      minReaderVersion: 1,
      minWriterVersion: 7,
      writerFeatures: ['appendOnly', 'clustering', 'domainMetadata', 'invariants'],
    })
    const cm = { minReaderVersion: 2, minWriterVersion: 5 }
    expect(upgradeProtocol(cm, [FEATURE_REQUIREMENTS.typeWidening])).toEqual({
      minReaderVersion: 3,
      minWriterVersion: 7,
      readerFeatures: ['columnMapping', 'typeWidening'],
      writerFeatures: [
        'appendOnly',
        'changeDataFeed',
        'checkConstraints',
        'columnMapping',
        'generatedColumns',
        'invariants',
        'typeWidening',
      ],
    })
    expect(upgradeProtocol(cm, [FEATURE_REQUIREMENTS.columnMapping])).toBeUndefined()
  })
})
