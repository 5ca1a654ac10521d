import * as arrow from 'apache-arrow'
import { describe, expect, it } from 'vitest'
import { conformData, nullData } from './conform.js'
import { dataToJs } from './to-js.js'

const f = (name: string, type: arrow.DataType) => new arrow.Field(name, type, true)

/** A struct Data from named children. */
function struct(children: [string, arrow.Data][], length: number): arrow.Data {
  return arrow.makeData({
    type: new arrow.Struct(children.map(([n, d]) => f(n, d.type))),
    length,
    nullCount: 0,
    children: children.map(([, d]) => d),
  })
}

describe('conformData', () => {
  const path = arrow.vectorFromArray(['a', 'b'], new arrow.Utf8()).data[0]
  const size = arrow.makeVector(BigInt64Array.from([1n, 2n])).data[0]

  it('re-types a struct to the target field order, fills missing fields with nulls and drops extra ones', () => {
    const src = struct(
      [
        ['size', size],
        ['extra', arrow.makeVector(Int32Array.from([7, 8])).data[0]],
        ['path', path],
      ],
      2,
    )
    const target = new arrow.Struct([
      f('path', new arrow.Utf8()),
      f('size', new arrow.Int64()),
      f('tag', new arrow.Utf8()),
    ])
    const out = conformData(src, target)!
    expect(out.type).toBe(target)
    expect(dataToJs(out)).toEqual([
      { path: 'a', size: 1, tag: null },
      { path: 'b', size: 2, tag: null },
    ])
    // The same buffer, not a copy.
    expect(out.children[0].values.buffer).toBe(path.values.buffer)
    expect(conformData(src, target, true)).toBeUndefined()
  })

  it('renames map entries to the target map type and refuses a leaf of another width', () => {
    const entries = new arrow.Struct([new arrow.Field('keys', new arrow.Utf8(), false), f('values', new arrow.Utf8())])
    const map = arrow.makeData({
      type: new arrow.Map_<arrow.Utf8, arrow.Utf8>(new arrow.Field('key_value', entries, false)),
      length: 1,
      nullCount: 0,
      valueOffsets: Int32Array.from([0, 1]),
      child: struct(
        [
          ['keys', arrow.vectorFromArray(['p'], new arrow.Utf8()).data[0]],
          ['values', arrow.vectorFromArray(['x'], new arrow.Utf8()).data[0]],
        ],
        1,
      ),
    })
    const target = new arrow.Map_<arrow.Utf8, arrow.Utf8>(
      new arrow.Field(
        'entries',
        new arrow.Struct([
          new arrow.Field('key', new arrow.Utf8(), false),
          new arrow.Field('value', new arrow.Utf8(), true),
        ]),
        false,
      ),
    )
    const out = conformData(map, target)!
    expect(out.type).toBe(target)
    expect(dataToJs(out)).toEqual([{ p: 'x' }])
    expect(conformData(arrow.makeVector(Int32Array.from([1])).data[0], new arrow.Int64())).toBeUndefined()
  })
})

describe('nullData', () => {
  it('builds all-null data of every checkpoint layout', () => {
    const type = new arrow.Struct([
      f('s', new arrow.Utf8()),
      f('l', new arrow.Int64()),
      f('b', new arrow.Bool()),
      f('t', new arrow.TimestampMicrosecond('UTC')),
      f('d', new arrow.Decimal(2, 10, 128)),
      f(
        'm',
        new arrow.Map_<arrow.Utf8, arrow.Utf8>(
          new arrow.Field(
            'entries',
            new arrow.Struct([
              new arrow.Field('key', new arrow.Utf8(), false),
              new arrow.Field('value', new arrow.Utf8(), true),
            ]),
            false,
          ),
        ),
      ),
      f('a', new arrow.List(f('element', new arrow.Utf8()))),
    ])
    const d = nullData(type, 3)
    expect(d.length).toBe(3)
    expect(d.nullCount).toBe(3)
    expect(dataToJs(d)).toEqual([null, null, null])
    for (const c of d.children) expect(c.nullCount).toBe(3)
  })
})
