/**
 * Re-typing of Arrow data to a target type of the same layout, buffer for buffer: a decoded checkpoint's `add`
 * column has the fields of whoever wrote it (Spark's order, delta-rs's names for map entries, fields missing
 * or extra), and a writer wants exactly its own schema. Fields are matched by name (map and list children by
 * position), missing ones become all-null, extra ones are dropped; values are never converted to JS.
 */
import { type DataType as ArrowType, type Data, type Field, makeData, Type } from 'apache-arrow'
import { concatData } from './concat.js'

/**
 * Arrow data of `type` with every row null (structs recursively null, lists and maps empty): the filler for
 * the rows of a checkpoint column that hold another action.
 */
export function nullData(type: ArrowType, length: number): Data {
  const nullBitmap = new Uint8Array(((length + 63) & ~63) >> 3)
  const base = { type, length, nullCount: length, nullBitmap } as Record<string, unknown>
  const make = (props: Record<string, unknown>) => makeData({ ...base, ...props } as never) as Data
  switch (type.typeId) {
    case Type.Null:
      return makeData({ type, length, nullCount: length } as never) as Data
    case Type.Struct:
      return make({ children: (type.children as Field[]).map((f) => nullData(f.type, length)) })
    case Type.List:
    case Type.Map:
      return make({ valueOffsets: new Int32Array(length + 1), child: nullData(type.children[0].type, 0) })
    case Type.Utf8:
    case Type.Binary:
      return make({ valueOffsets: new Int32Array(length + 1), data: new Uint8Array(0) })
    case Type.Bool:
      return make({ data: new Uint8Array(nullBitmap.length) })
    default: {
      const ArrayType = (type as unknown as { ArrayType: new (n: number) => ArrayLike<number> }).ArrayType
      // The number of array elements per value (2 for int64 timestamps in Int32Array, 4 for decimals).
      const stride = (makeData({ type, length: 0, nullCount: 0, data: new ArrayType(0) } as never) as Data).stride
      return make({ data: new ArrayType(length * stride) })
    }
  }
}

/** Whether two primitive Arrow types store their values the same way (same buffers, same meaning). */
function samePrimitive(a: ArrowType, b: ArrowType): boolean {
  if (a.typeId !== b.typeId) return false
  const x = a as unknown as Record<string, unknown>
  const y = b as unknown as Record<string, unknown>
  for (const k of ['bitWidth', 'isSigned', 'precision', 'scale', 'unit', 'timezone']) {
    if (k === 'timezone') {
      // UTC and +00:00 are the same instant-typed timestamp; only "with zone" vs "without" matters.
      if ((x[k] == null) !== (y[k] == null)) return false
    } else if (x[k] !== y[k]) return false
  }
  return true
}

/**
 * `data` re-typed to `target` when its layout matches (struct fields by name, missing fields null), or
 * undefined when some leaf stores its values differently (int32 vs int64, utf8 vs large utf8, ...): the caller
 * then converts that column another way. `strict`: a struct field missing from `data` is a mismatch too (for
 * typed stats, where a missing column means "rebuild from JSON", not "null").
 */
export function conformData(data: Data, target: ArrowType, strict = false): Data | undefined {
  const src = data.offset === 0 ? data : concatData([data])
  const type = src.type as ArrowType
  const base = {
    type: target,
    length: src.length,
    nullCount: src.nullCount,
    nullBitmap: src.nullCount === 0 ? undefined : src.nullBitmap,
  } as Record<string, unknown>
  const make = (props: Record<string, unknown>) => makeData({ ...base, ...props } as never) as Data
  switch (target.typeId) {
    case Type.Struct: {
      if (type.typeId !== Type.Struct) return undefined
      const byName = new Map<string, Data>()
      const srcFields = type.children as Field[]
      for (let j = 0; j < srcFields.length; j++) byName.set(srcFields[j].name, src.children[j])
      const children: Data[] = []
      for (const f of target.children as Field[]) {
        const child = byName.get(f.name)
        if (!child && strict) return undefined
        const c = child ? conformData(child, f.type, strict) : nullData(f.type, src.length)
        if (!c) return undefined
        children.push(c)
      }
      return make({ children })
    }
    case Type.List:
    case Type.Map: {
      if (type.typeId !== target.typeId) return undefined
      const childSrc = src.children[0]
      const childTarget = target.children[0].type as ArrowType
      let child: Data | undefined
      if (target.typeId === Type.Map) {
        // Entries by position: writers name them key/value, keys/values or key_value.
        const entries = childSrc
        if ((entries.type as ArrowType).typeId !== Type.Struct || entries.children.length !== 2) return undefined
        const [kf, vf] = childTarget.children as Field[]
        const k = conformData(entries.children[0], kf.type, strict)
        const v = conformData(entries.children[1], vf.type, strict)
        if (!k || !v) return undefined
        child = makeData({
          type: childTarget as never,
          length: entries.length,
          nullCount: 0,
          children: [k, v],
        } as never) as Data
      } else child = conformData(childSrc, childTarget, strict)
      if (!child) return undefined
      return make({ valueOffsets: src.valueOffsets, child })
    }
    case Type.Utf8:
    case Type.Binary:
      if (type.typeId !== target.typeId) return undefined
      return make({ valueOffsets: src.valueOffsets, data: src.values })
    default:
      if (!samePrimitive(type, target)) return undefined
      return make({ data: src.values })
  }
}
