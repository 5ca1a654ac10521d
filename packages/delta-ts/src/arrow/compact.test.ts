import * as arrow from 'apache-arrow'
import { describe, expect, it } from 'vitest'
import { compactData, ZeroPool } from './compact.js'
import { dataToJs } from './to-js.js'

describe('compactData', () => {
  it('copies a struct of strings, int64, maps and all-null children to the same values, sharing no IPC buffer', () => {
    const n = 5
    const table = arrow.tableFromArrays({ id: Int32Array.from([1, 2, 3, 4, 5]) })
    const type = new arrow.Struct([
      new arrow.Field('path', new arrow.Utf8(), true),
      new arrow.Field('size', new arrow.Int64(), true),
      new arrow.Field(
        'pv',
        new arrow.Map_<arrow.Utf8, arrow.Utf8>(
          new arrow.Field(
            'entries',
            new arrow.Struct([
              new arrow.Field('key', new arrow.Utf8(), false),
              new arrow.Field('value', new arrow.Utf8(), true),
            ]) as never,
            false,
          ),
        ),
        true,
      ),
      new arrow.Field('dv', new arrow.Struct([new arrow.Field('offset', new arrow.Int32(), true)]), true),
      new arrow.Field('flag', new arrow.Bool(), true),
    ])
    const rows = Array.from({ length: n }, (_, i) => ({
      path: i === 2 ? null : `p${i}`,
      size: BigInt(i) * 4294967296n + 7n,
      pv: new Map([['day', i % 2 ? null : `d${i}`]]),
      dv: null,
      flag: null,
    }))
    const vector = arrow.vectorFromArray(rows, type)
    const ipc = arrow.tableToIPC(new arrow.Table({ add: vector, id: table.getChild('id') as arrow.Vector }))
    const data = arrow.tableFromIPC(ipc).getChild('add')?.data[0] as arrow.Data
    const copy = compactData(data, new ZeroPool())
    expect(dataToJs(copy)).toEqual(dataToJs(data))
    const buffers = (d: arrow.Data): ArrayBufferLike[] => [
      ...[d.values, d.valueOffsets, d.nullBitmap]
        .filter((b): b is Uint8Array => ArrayBuffer.isView(b))
        .map((b) => b.buffer),
      ...d.children.flatMap(buffers),
    ]
    expect(buffers(copy).some((b) => b === ipc.buffer)).toBe(false)
    // The all-null children (dv, flag) hold nulls in every row and no buffer of their own per row.
    expect(copy.children[3].nullCount).toBe(n)
    expect(copy.children[4].nullCount).toBe(n)
    expect(copy.children[3].children[0].values.buffer).toBe(copy.children[4].nullBitmap?.buffer)
  })
})
