import * as arrow from 'apache-arrow'
import { DeltaError } from '../errors.js'
import { CompactReader } from './read.js'

/*
 * INT96 timestamps, exact to the microsecond.
 *
 * parquet-rs (inside parquet-wasm) reads an INT96 column as Timestamp(NANOSECOND) by default: days × 86400e9
 * + nanoseconds, wrapping in 64 bits, so every value outside 1677-09-21 … 2262-04-11 comes back as another
 * instant (year 1 as 1754). parquet-rs 56 converts INT96 straight to microseconds (days × 86400e6 +
 * nanoseconds / 1000, no overflow for any Julian day) when the file's embedded Arrow schema (the
 * `ARROW:schema` key of the footer's key-value metadata, its documented type hint) says Timestamp(MICROSECOND)
 * for that column. parquet-wasm 0.8.0 offers no reader option for a schema hint, so for a file with INT96
 * columns the reader hands parquet-wasm a footer whose `ARROW:schema` is the inferred schema with every INT96
 * leaf (top-level or nested, any page encoding) set to microseconds. Only the footer differs: the column
 * chunks are read from storage at their recorded offsets, untouched.
 */

/** parquet.thrift `Type.INT96`. */
const INT96 = 3
const ARROW_SCHEMA_KEY = 'ARROW:schema'
const UTF8 = new TextEncoder()

/** Thrift compact protocol output, enough to re-emit FileMetaData with one field replaced. */
class CompactWriter {
  readonly #out: number[] = []
  byte(b: number): void {
    this.#out.push(b & 0xff)
  }
  varint(v: number): void {
    let x = v
    while (x >= 0x80) {
      this.byte((x & 0x7f) | 0x80)
      x = Math.floor(x / 128)
    }
    this.byte(x)
  }
  /** A field header in the long form (explicit id), valid whatever field came before. */
  field(id: number, type: number): void {
    this.byte(type)
    this.varint(id >= 0 ? id * 2 : -id * 2 - 1)
  }
  bytes(b: Uint8Array): void {
    for (const x of b) this.#out.push(x)
  }
  binary(b: Uint8Array): void {
    this.varint(b.length)
    this.bytes(b)
  }
  listHeader(size: number, elemType: number): void {
    if (size < 15) this.byte((size << 4) | elemType)
    else {
      this.byte(0xf0 | elemType)
      this.varint(size)
    }
  }
  finish(): Uint8Array {
    return Uint8Array.from(this.#out)
  }
}

interface FooterField {
  id: number
  type: number
  /** The field's value bytes (empty for booleans, whose value is the type nibble). */
  value: Uint8Array
}

interface FooterFacts {
  fields: FooterField[]
  /** Physical type of each leaf column, in schema (depth-first) order. */
  leafTypes: number[]
  keyValues: { key: Uint8Array; value: Uint8Array | undefined; keyText: string }[]
}

function readFooter(footer: Uint8Array): FooterFacts {
  const r = new CompactReader(footer)
  const fields: FooterField[] = []
  const leafTypes: number[] = []
  const keyValues: FooterFacts['keyValues'] = []
  let last = 0
  for (;;) {
    const h = r.byte()
    if (h === 0) break
    const type = h & 0x0f
    const id = h >> 4 === 0 ? Number(r.zigzag()) : last + (h >> 4)
    last = id
    const start = r.pos
    if (id === 2 && type === 9) {
      // FileMetaData.schema: list<SchemaElement>, the root first; leaves are the elements without children.
      let first = true
      r.list(() => {
        let physical = -1
        let children = -1
        r.struct((fid, ftype) => {
          if (ftype !== 5 || (fid !== 1 && fid !== 5)) return false
          const v = Number(r.zigzag())
          if (fid === 1) physical = v
          else children = v
          return true
        })
        if (!first && children < 0) leafTypes.push(physical)
        first = false
      })
    } else if (id === 5 && type === 9) {
      // FileMetaData.key_value_metadata: list<KeyValue{1: key, 2: value}>.
      r.list(() => {
        let key: Uint8Array = new Uint8Array(0)
        let value: Uint8Array | undefined
        r.struct((fid, ftype) => {
          if (ftype !== 8 || (fid !== 1 && fid !== 2)) return false
          if (fid === 1) key = r.binary()
          else value = r.binary()
          return true
        })
        keyValues.push({ key, value, keyText: new TextDecoder().decode(key) })
      })
    } else {
      r.skip(type)
    }
    fields.push({ id, type, value: footer.subarray(start, r.pos) })
  }
  return { fields, leafTypes, keyValues }
}

/** Rebuilds `type` with the INT96 leaves (by depth-first leaf index) as microsecond timestamps. */
function hintType(type: arrow.DataType, isInt96: (leaf: number) => boolean, next: { leaf: number }): arrow.DataType {
  const field = (f: arrow.Field) => new arrow.Field(f.name, hintType(f.type, isInt96, next), f.nullable, f.metadata)
  switch (type.typeId) {
    case arrow.Type.Struct:
      return new arrow.Struct(type.children.map(field))
    case arrow.Type.List:
      return new arrow.List(field(type.children[0]))
    case arrow.Type.FixedSizeList:
      return new arrow.FixedSizeList((type as arrow.FixedSizeList).listSize, field(type.children[0]))
    case arrow.Type.Map:
      return new arrow.Map_(field(type.children[0]) as arrow.Field<arrow.Struct>, (type as arrow.Map_).keysSorted)
    default: {
      const leaf = next.leaf++
      if (!isInt96(leaf)) return type
      const ts = type as arrow.Timestamp
      if (type.typeId !== arrow.Type.Timestamp) {
        throw new DeltaError('PARQUET_ERROR', `INT96 column read as ${String(type)}, not as a timestamp`)
      }
      return ts.unit === arrow.TimeUnit.NANOSECOND ? new arrow.Timestamp(arrow.TimeUnit.MICROSECOND, ts.timezone) : type
    }
  }
}

function base64(bytes: Uint8Array): string {
  let s = ''
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(s)
}

/**
 * For a file with INT96 columns: the footer to hand parquet-wasm instead of the file's own (the thrift
 * FileMetaData followed by its length and `PAR1`), identical but for an `ARROW:schema` entry that types every
 * INT96 leaf as Timestamp(MICROSECOND); `inferred` is the schema parquet-wasm infers from the original footer.
 * Returns undefined when the file has no INT96 column (or a footer delta-ts cannot walk).
 *
 * @throws DeltaError `PARQUET_ERROR` when the inferred schema does not line up with the file's leaf columns.
 */
export function int96MicrosFooter(footer: Uint8Array, inferred: () => arrow.Schema): Uint8Array | undefined {
  let facts: FooterFacts
  try {
    facts = readFooter(footer)
  } catch {
    return undefined
  }
  if (!facts.leafTypes.includes(INT96)) return undefined
  const schema = inferred()
  const next = { leaf: 0 }
  const isInt96 = (leaf: number) => facts.leafTypes[leaf] === INT96
  const fields = schema.fields.map(
    (f) => new arrow.Field(f.name, hintType(f.type, isInt96, next), f.nullable, f.metadata),
  )
  if (next.leaf !== facts.leafTypes.length) {
    throw new DeltaError(
      'PARQUET_ERROR',
      `parquet schema has ${facts.leafTypes.length} leaf columns but ${next.leaf} were read; cannot decode INT96 exactly`,
    )
  }
  // The IPC stream of an empty table starts with the schema message: continuation marker, length, flatbuffer.
  const ipc = arrow.tableToIPC(new arrow.Table(new arrow.Schema(fields)), 'stream')
  const message = ipc.subarray(0, 8 + new DataView(ipc.buffer, ipc.byteOffset).getInt32(4, true))

  const w = new CompactWriter()
  const writeKeyValues = () => {
    const kept = facts.keyValues.filter((kv) => kv.keyText !== ARROW_SCHEMA_KEY)
    w.field(5, 9)
    w.listHeader(kept.length + 1, 12)
    for (const kv of [...kept, { key: UTF8.encode(ARROW_SCHEMA_KEY), value: UTF8.encode(base64(message)) }]) {
      w.field(1, 8)
      w.binary(kv.key)
      if (kv.value !== undefined) {
        w.field(2, 8)
        w.binary(kv.value)
      }
      w.byte(0)
    }
  }
  let wrote = false
  for (const f of facts.fields) {
    if (!wrote && f.id >= 5) {
      writeKeyValues()
      wrote = true
    }
    if (f.id === 5) continue
    w.field(f.id, f.type)
    w.bytes(f.value)
  }
  if (!wrote) writeKeyValues()
  w.byte(0)
  const meta = w.finish()
  const out = new Uint8Array(meta.length + 8)
  out.set(meta)
  new DataView(out.buffer).setUint32(meta.length, meta.length, true)
  out.set(UTF8.encode('PAR1'), meta.length + 4)
  return out
}
