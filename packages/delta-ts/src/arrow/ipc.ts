/**
 * Arrow IPC stream bytes of a table, valid for every apache-arrow of the peer range.
 *
 * apache-arrow before 21.2.0 serialises a Boolean column whose values are all null with an empty values buffer
 * (its IPC writer took a "fast path"); the Arrow spec, and so arrow-rs inside parquet-wasm, require
 * ceil(length / 8) bytes, so `Table.fromIPCStream` rejects the stream ("Need at least 1 bytes for bitmap").
 * Where the loaded apache-arrow has that bug (probed once, see `writesAllNullBool`), a table holding such a
 * column (at any depth) is written batch by batch with each all-null Boolean
 * leaf serialised as an all-null Int8 leaf of the same length (validity bitmap plus `length` zero bytes: at
 * least what a Boolean needs, and a null value's bytes are never read), behind the schema message of the
 * original table, which declares the Boolean type. Record batch messages carry no types, only field nodes and
 * buffers, whose count and order are the same for both types.
 */
import * as arrow from 'apache-arrow'

/** `arrow.tableToIPC(table, 'stream')`, with all-null Boolean columns written as the spec requires. */
export function tableToIPCStream(table: arrow.Table): Uint8Array {
  if (writesAllNullBool() || !table.batches.some((b) => holdsAllNullBool(b.data)))
    return arrow.tableToIPC(table, 'stream')
  const schemaIpc = arrow.tableToIPC(new arrow.Table(table.schema), 'stream')
  const parts: Uint8Array[] = [schemaIpc.subarray(0, firstMessageLength(schemaIpc))]
  for (const batch of table.batches) {
    const ipc = arrow.tableToIPC(new arrow.Table([withoutAllNullBool(batch)]), 'stream')
    // Drop this stream's own schema message and its end-of-stream marker (8 bytes).
    parts.push(ipc.subarray(firstMessageLength(ipc), ipc.byteLength - 8))
  }
  parts.push(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0))
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.byteLength
  }
  return out
}

let allNullBoolWritten: boolean | undefined

/**
 * Whether the loaded apache-arrow writes an all-null Boolean column's values buffer (21.2.0 and later): then
 * every table takes the one-copy path. Probed once: an all-null column of two rows must serialise to as many
 * bytes as a column of a null and a value (both carry a validity and a values buffer of one padded byte).
 */
function writesAllNullBool(): boolean {
  if (allNullBoolWritten === undefined) {
    const column = (nullCount: number) =>
      new arrow.Table({
        b: arrow.makeVector(
          arrow.makeData({
            type: new arrow.Bool(),
            length: 2,
            nullCount,
            nullBitmap: Uint8Array.of(nullCount === 2 ? 0 : 2),
            data: Uint8Array.of(2),
          }),
        ),
      })
    allNullBoolWritten = arrow.tableToIPC(column(2), 'stream').length === arrow.tableToIPC(column(1), 'stream').length
  }
  return allNullBoolWritten
}

/** Bytes of the first message of an IPC stream: continuation marker, metadata length, metadata (no body). */
function firstMessageLength(ipc: Uint8Array): number {
  const view = new DataView(ipc.buffer, ipc.byteOffset, ipc.byteLength)
  return view.getUint32(0, true) === 0xffffffff ? 8 + view.getInt32(4, true) : 4 + view.getInt32(0, true)
}

function isAllNullBool(d: arrow.Data): boolean {
  return d.typeId === arrow.Type.Bool && d.length > 0 && d.nullCount >= d.length
}

function holdsAllNullBool(d: arrow.Data): boolean {
  return isAllNullBool(d) || (d.typeId !== arrow.Type.Dictionary && d.children.some(holdsAllNullBool))
}

function withoutAllNullBool(batch: arrow.RecordBatch): arrow.RecordBatch {
  const children = batch.data.children.map(substitute)
  const fields = batch.schema.fields.map((f, i) => new arrow.Field(f.name, children[i].type, f.nullable, f.metadata))
  const schema = new arrow.Schema(fields, batch.schema.metadata)
  const data = batch.data
  const struct = new arrow.Data(
    new arrow.Struct(fields),
    data.offset,
    data.length,
    data.nullCount,
    [undefined, undefined, data.nullBitmap] as never,
    children,
  )
  return new arrow.RecordBatch(schema, struct as arrow.Data<arrow.Struct>)
}

/** `d` with every all-null Boolean leaf replaced by an all-null Int8 leaf (types of its parents rebuilt). */
function substitute(d: arrow.Data): arrow.Data {
  if (isAllNullBool(d)) {
    const n = d.length
    return new arrow.Data(new arrow.Int8(), 0, n, n, [
      undefined,
      new Int8Array(n),
      new Uint8Array((n + 7) >> 3),
    ] as never)
  }
  if (d.typeId === arrow.Type.Dictionary || !d.children.some(holdsAllNullBool)) return d
  const children = d.children.map(substitute)
  const t = d.type as arrow.DataType
  const field = (i: number) => {
    const f = t.children[i] as arrow.Field
    return new arrow.Field(f.name, children[i].type, f.nullable, f.metadata)
  }
  let type: arrow.DataType
  if (arrow.DataType.isStruct(t)) type = new arrow.Struct(t.children.map((_, i) => field(i)))
  else if (arrow.DataType.isList(t)) type = new arrow.List(field(0))
  else if (arrow.DataType.isFixedSizeList(t)) type = new arrow.FixedSizeList(t.listSize, field(0))
  else if (arrow.DataType.isMap(t)) type = new arrow.Map_(field(0) as never, t.keysSorted)
  else return d // unions and other nested types: written as they are
  return new arrow.Data(
    type,
    d.offset,
    d.length,
    d.nullCount,
    [d.valueOffsets, d.values, d.nullBitmap, d.typeIds] as never,
    children,
  )
}
