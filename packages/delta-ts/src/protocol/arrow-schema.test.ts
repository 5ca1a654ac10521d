import * as arrow from 'apache-arrow'
import { describe, expect, it } from 'vitest'
import { arrowToDeltaSchema, arrowToDeltaType, deltaToArrowSchema, PARQUET_FIELD_ID_KEY } from './arrow-schema.js'
import type { StructType } from './schema.js'

const all: StructType = {
  type: 'struct',
  fields: [
    { name: 'b', type: 'byte', nullable: false, metadata: {} },
    { name: 's', type: 'short', nullable: true, metadata: {} },
    { name: 'i', type: 'integer', nullable: true, metadata: {} },
    { name: 'l', type: 'long', nullable: false, metadata: {} },
    { name: 'f', type: 'float', nullable: true, metadata: {} },
    { name: 'd', type: 'double', nullable: true, metadata: {} },
    { name: 'dec', type: 'decimal(38,9)', nullable: true, metadata: {} },
    { name: 'str', type: 'string', nullable: true, metadata: {} },
    { name: 'bin', type: 'binary', nullable: true, metadata: {} },
    { name: 'bool', type: 'boolean', nullable: true, metadata: {} },
    { name: 'date', type: 'date', nullable: true, metadata: {} },
    { name: 'ts', type: 'timestamp', nullable: true, metadata: {} },
    { name: 'ntz', type: 'timestamp_ntz', nullable: true, metadata: {} },
    {
      name: 'st',
      type: { type: 'struct', fields: [{ name: 'x', type: 'integer', nullable: false, metadata: {} }] },
      nullable: true,
      metadata: {},
    },
    { name: 'arr', type: { type: 'array', elementType: 'string', containsNull: false }, nullable: true, metadata: {} },
    {
      name: 'm',
      type: {
        type: 'map',
        keyType: 'string',
        valueType: { type: 'array', elementType: 'long', containsNull: true },
        valueContainsNull: true,
      },
      nullable: true,
      metadata: {},
    },
  ],
}

describe('deltaToArrowSchema', () => {
  it('maps every Delta type to the documented Arrow type with nullability', () => {
    const s = deltaToArrowSchema(all)
    const t = (n: string) => s.fields.find((f) => f.name === n)!
    expect(s.fields.map((f) => f.name)).toEqual(all.fields.map((f) => f.name))
    expect(t('b').type).toBeInstanceOf(arrow.Int8)
    expect(t('b').nullable).toBe(false)
    expect(t('l').type.typeId).toBe(arrow.Type.Int)
    expect((t('l').type as arrow.Int).bitWidth).toBe(64)
    expect((t('dec').type as arrow.Decimal).precision).toBe(38)
    expect((t('dec').type as arrow.Decimal).scale).toBe(9)
    expect((t('dec').type as arrow.Decimal).bitWidth).toBe(128)
    expect((t('ts').type as arrow.Timestamp).unit).toBe(arrow.TimeUnit.MICROSECOND)
    expect((t('ts').type as arrow.Timestamp).timezone).toBe('UTC')
    expect((t('ntz').type as arrow.Timestamp).timezone).toBeFalsy()
    expect((t('date').type as arrow.Date_).unit).toBe(arrow.DateUnit.DAY)
    expect(t('arr').type.children[0].nullable).toBe(false)
    expect(t('m').type).toBeInstanceOf(arrow.Map_)
  })

  it('round-trips every Delta type through Arrow and back', () => {
    const back = arrowToDeltaSchema(deltaToArrowSchema(all))
    expect(back).toEqual(all)
  })

  it('gives the physical schema under column mapping, nested fields too, with parquet field ids', () => {
    const mapped: StructType = {
      type: 'struct',
      fields: [
        {
          name: 'outer',
          type: {
            type: 'struct',
            fields: [
              {
                name: 'inner',
                type: 'long',
                nullable: true,
                metadata: { 'delta.columnMapping.id': 2, 'delta.columnMapping.physicalName': 'col-b' },
              },
            ],
          },
          nullable: true,
          metadata: { 'delta.columnMapping.id': 1, 'delta.columnMapping.physicalName': 'col-a' },
        },
      ],
    }
    const phys = deltaToArrowSchema(mapped, { columnMapping: 'name' })
    expect(phys.fields[0].name).toBe('col-a')
    expect(phys.fields[0].metadata.get(PARQUET_FIELD_ID_KEY)).toBe('1')
    expect(phys.fields[0].type.children[0].name).toBe('col-b')
    expect(phys.fields[0].type.children[0].metadata.get(PARQUET_FIELD_ID_KEY)).toBe('2')
    expect(deltaToArrowSchema(mapped).fields[0].name).toBe('outer')
  })
})

describe('arrowToDeltaType', () => {
  it('accepts the wider Arrow types parquet readers produce', () => {
    expect(arrowToDeltaType(new arrow.LargeUtf8())).toBe('string')
    expect(arrowToDeltaType(new arrow.Utf8View())).toBe('string')
    expect(arrowToDeltaType(new arrow.LargeBinary())).toBe('binary')
    expect(arrowToDeltaType(new arrow.TimestampNanosecond('+01:00'))).toBe('timestamp')
    expect(arrowToDeltaType(new arrow.TimestampMillisecond())).toBe('timestamp_ntz')
    expect(arrowToDeltaType(new arrow.DateMillisecond())).toBe('date')
    expect(arrowToDeltaType(new arrow.Uint32())).toBe('long')
    expect(arrowToDeltaType(new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32()))).toBe('string')
  })

  it('refuses Arrow types with no Delta equivalent with INVALID_SCHEMA', () => {
    expect(() => arrowToDeltaType(new arrow.TimeMicrosecond())).toThrow(
      expect.objectContaining({ code: 'INVALID_SCHEMA' }),
    )
  })
})
