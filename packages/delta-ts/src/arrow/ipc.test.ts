import * as arrow from 'apache-arrow'
import * as pw from 'parquet-wasm'
import { describe, expect, it } from 'vitest'
import { tableToIPCStream } from './ipc.js'

/** What arrow-rs (parquet-wasm) makes of the stream, back in Arrow JS: it validates every buffer size. */
function throughArrowRs(ipc: Uint8Array): arrow.Table {
  const t = pw.Table.fromIPCStream(ipc)
  return arrow.tableFromIPC(pw.readParquet(pw.writeParquet(t)).intoIPCStream())
}

const bools = (values: (boolean | null)[]) => arrow.vectorFromArray(values, new arrow.Bool())
const struct = new arrow.Struct([
  new arrow.Field('flag', new arrow.Bool(), true),
  new arrow.Field('n', new arrow.Int32()),
])
const list = new arrow.List(new arrow.Field('element', new arrow.Bool(), true))

function batch(rows: { b: boolean | null; s: { flag: boolean | null; n: number } | null; l: (boolean | null)[] }[]) {
  return new arrow.Table({
    b: bools(rows.map((r) => r.b)),
    s: arrow.vectorFromArray(
      rows.map((r) => r.s),
      struct,
    ),
    l: arrow.vectorFromArray(
      rows.map((r) => r.l),
      list,
    ),
  }).batches[0]
}

const plain = (t: arrow.Table) => t.toArray().map((r) => JSON.parse(JSON.stringify(r.toJSON())))

describe('tableToIPCStream', () => {
  it('writes all-null Boolean columns (top level, in a struct, in a list; one row or many) that arrow-rs reads back as nulls', () => {
    const allNull = batch([{ b: null, s: { flag: null, n: 1 }, l: [null, null] }])
    const mixed = batch([
      { b: true, s: { flag: false, n: 2 }, l: [true, null] },
      { b: null, s: null, l: [] },
      { b: false, s: { flag: true, n: 3 }, l: [false] },
    ])
    const table = new arrow.Table([allNull, mixed])
    const back = throughArrowRs(tableToIPCStream(table))
    expect(back.schema.fields.map((f) => String(f.type))).toEqual(table.schema.fields.map((f) => String(f.type)))
    expect(plain(back)).toEqual(plain(table))
    expect([...back.getChild('b')!]).toEqual([null, true, null, false])
  })

  it('hands tables with all-null Boolean columns to apache-arrow in one pass when it writes them (21.2.0 and later)', () => {
    const table = new arrow.Table([batch([{ b: null, s: { flag: null, n: 1 }, l: [null, null] }])])
    expect(tableToIPCStream(table)).toEqual(arrow.tableToIPC(table, 'stream'))
    expect(plain(throughArrowRs(tableToIPCStream(table)))).toEqual(plain(table))
  })

  it('leaves tables without all-null Boolean columns to apache-arrow as they are', () => {
    const table = new arrow.Table({ b: bools([true, null]) })
    expect(tableToIPCStream(table)).toEqual(arrow.tableToIPC(table, 'stream'))
  })
})
