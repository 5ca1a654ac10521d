import { readFileSync } from 'node:fs'
import * as arrow from 'apache-arrow'
import * as arrow15 from 'apache-arrow-15'
import * as arrow19 from 'apache-arrow-19'
import { describe, expect, it } from 'vitest'
import { DeltaError } from '../errors.js'
import {
  adoptDataType,
  adoptTable,
  adoptTableOrBatch,
  isArrowRecordBatch,
  isArrowTable,
  SUPPORTED_ARROW_RANGE,
} from './adopt.js'

const ours = (C: abstract new (...args: never[]) => unknown, x: unknown) =>
  Function.prototype[Symbol.hasInstance].call(C, x)

describe('adoptTable', () => {
  it('rebuilds an apache-arrow 19 table with our classes over the very same buffers', () => {
    const A = arrow19
    const foreign = new A.Table({
      id: A.vectorFromArray([1, 2, null], new A.Int32()),
      s: A.vectorFromArray(['a', null, 'c'], new A.Utf8()),
      d: A.vectorFromArray(['x', 'y', 'x'], new A.Dictionary(new A.Utf8(), new A.Int32())),
    }) as unknown as arrow.Table
    const t = adoptTable(foreign)
    expect(ours(arrow.Table, t)).toBe(true)
    expect(ours(arrow.Data, t.batches[0].data)).toBe(true)
    for (const f of t.schema.fields) expect(ours(arrow.DataType, f.type)).toBe(true)
    for (const name of ['id', 's']) {
      const mine = t.getChild(name)!.data[0]
      const theirs = foreign.getChild(name)!.data[0]
      expect(mine.values).toBe(theirs.values)
      expect(mine.nullBitmap).toBe(theirs.nullBitmap)
      expect(mine.valueOffsets).toBe(theirs.valueOffsets)
    }
    expect(ours(arrow.Vector, t.getChild('d')!.data[0].dictionary)).toBe(true)
    expect(t.toArray().map((r) => r.toJSON())).toEqual([
      { id: 1, s: 'a', d: 'x' },
      { id: 2, s: null, d: 'y' },
      { id: null, s: 'c', d: 'x' },
    ])
  })

  it('views apache-arrow 15 timestamps (Int32 pairs) as the BigInt64Array our copy expects, without copying', () => {
    const A = arrow15
    const micros = [1_704_067_200_123_456n, -1n, 253_402_300_799_999_999n]
    const foreign = new A.Table({
      ts: A.makeVector(
        A.makeData({
          type: new A.TimestampMicrosecond('UTC'),
          length: 3,
          data: new Int32Array(BigInt64Array.from(micros).buffer),
        }),
      ),
    }) as unknown as arrow.Table
    expect(foreign.getChild('ts')!.data[0].values).toBeInstanceOf(Int32Array)
    const data = adoptTable(foreign).getChild('ts')!.data[0]
    expect(data.values).toBeInstanceOf(BigInt64Array)
    expect(data.values.buffer).toBe(foreign.getChild('ts')!.data[0].values.buffer)
    expect([...(data.values as BigInt64Array)]).toEqual(micros)
  })

  it('refuses what our copy cannot represent with ARROW_INCOMPATIBLE, and non-Arrow input with INVALID_ARGUMENT', () => {
    const cjs = arrow19 as unknown as typeof arrow
    const view = { typeId: 24, toString: () => 'Utf8View' }
    expect(() => adoptDataType(view, 'column s')).toThrow(
      expect.objectContaining({
        code: 'ARROW_INCOMPATIBLE',
        message: expect.stringMatching(/^column s comes from another apache-arrow instance .*Utf8View \(typeId 24\)/),
      }),
    )
    expect(() => adoptTableOrBatch([{ id: 1 }], 'write data')).toThrow(DeltaError)
    expect(() => adoptTableOrBatch([{ id: 1 }], 'write data')).toThrow(
      /write data must be an Arrow Table or RecordBatch, got an array/,
    )
    expect(isArrowTable(new cjs.Table({ a: cjs.vectorFromArray([1]) }))).toBe(true)
    expect(isArrowRecordBatch(new cjs.Table({ a: cjs.vectorFromArray([1]) }).batches[0])).toBe(true)
    expect(isArrowTable({ schema: {}, batches: [] })).toBe(false)
  })
})

it('names the peer range of package.json in its messages', () => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'))
  expect(pkg.peerDependencies['apache-arrow']).toBe(SUPPORTED_ARROW_RANGE)
})
