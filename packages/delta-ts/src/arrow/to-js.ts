import { type DataType as ArrowType, type Data, makeVector, type Table, Type, type Vector } from 'apache-arrow'

/**
 * Converts Arrow columns into plain JavaScript values shaped like Delta's JSON actions: int64 → number,
 * structs → objects, maps → records, lists → arrays, timestamps → ISO-8601 strings, dates → `YYYY-MM-DD`,
 * decimals → numbers. Used for checkpoint rows (whose numbers fit in doubles) and parsed stats.
 *
 * Works chunk by chunk on the raw buffers: per-row `Vector.get` on a multi-batch table costs a chunk lookup
 * and a proxy object per value, which dominated loading large checkpoints.
 */
export function tableToObjects(table: Table, columns?: readonly string[]): Record<string, unknown>[] {
  const names = columns ?? table.schema.fields.map((f) => f.name)
  const rows: Record<string, unknown>[] = Array.from({ length: table.numRows }, () => ({}))
  for (const name of names) {
    const vec = table.getChild(name)
    if (!vec) continue
    const values = vectorToJs(vec)
    for (let i = 0; i < rows.length; i++) if (values[i] !== null) rows[i][name] = values[i]
  }
  return rows
}

/** Converts one Arrow vector into an array of plain values (null for nulls). */
export function vectorToJs(vec: Vector): unknown[] {
  const out: unknown[] = []
  for (const data of vec.data) {
    const part = dataToJs(data)
    for (let i = 0; i < part.length; i++) out.push(part[i])
  }
  return out
}

const utf8 = new TextDecoder()

/** Plain values of one Data chunk; `data.offset` is honoured for validity and fixed-width values. */
export function dataToJs(data: Data): unknown[] {
  const n = data.length
  const out = new Array<unknown>(n)
  if (n === 0) return out
  const type = data.type as ArrowType
  const valid = (i: number) => data.nullCount === 0 || data.getValid(i)
  switch (type.typeId) {
    case Type.Struct: {
      const children = type.children.map((f, j) => ({ name: f.name, values: dataToJs(data.children[j]) }))
      for (let i = 0; i < n; i++) {
        if (!valid(i)) {
          out[i] = null
          continue
        }
        const o: Record<string, unknown> = {}
        for (const c of children) o[c.name] = c.values[i]
        out[i] = o
      }
      return out
    }
    case Type.Utf8: {
      const offsets = data.valueOffsets as Int32Array
      const bytes = data.values as Uint8Array
      for (let i = 0; i < n; i++) out[i] = valid(i) ? utf8.decode(bytes.subarray(offsets[i], offsets[i + 1])) : null
      return out
    }
    case Type.Int: {
      const values = data.values as ArrayLike<number | bigint>
      for (let i = 0; i < n; i++) out[i] = valid(i) ? Number(values[i]) : null
      return out
    }
    case Type.Bool: {
      const bits = data.values as Uint8Array
      for (let i = 0; i < n; i++) {
        const p = data.offset + i
        out[i] = valid(i) ? ((bits[p >> 3] >> (p & 7)) & 1) === 1 : null
      }
      return out
    }
    case Type.Map: {
      // A map is a list of {key, value} structs: offsets into the entries child.
      const offsets = data.valueOffsets as Int32Array
      const entries = data.children[0]
      const keys = dataToJs(entries.children[0])
      const vals = dataToJs(entries.children[1])
      for (let i = 0; i < n; i++) {
        if (!valid(i)) {
          out[i] = null
          continue
        }
        const o: Record<string, unknown> = {}
        for (let k = offsets[i]; k < offsets[i + 1]; k++) o[String(keys[k])] = vals[k]
        out[i] = o
      }
      return out
    }
    case Type.List: {
      const offsets = data.valueOffsets as Int32Array
      const items = dataToJs(data.children[0])
      for (let i = 0; i < n; i++) out[i] = valid(i) ? items.slice(offsets[i], offsets[i + 1]) : null
      return out
    }
    default: {
      // Rare in checkpoints (parsed stats, partition values): go through Arrow's accessors.
      const vec = makeVector(data)
      for (let i = 0; i < n; i++) out[i] = valid(i) ? scalarToJs(vec.get(i), type) : null
      return out
    }
  }
}

function scalarToJs(v: unknown, type: ArrowType): unknown {
  if (v === null || v === undefined) return null
  switch (type.typeId) {
    case Type.Timestamp:
      return new Date(Number(v)).toISOString()
    case Type.Date:
      return new Date(Number(v)).toISOString().slice(0, 10)
    case Type.Decimal: {
      const scale = (type as unknown as { scale: number }).scale
      return Number(String(v)) / 10 ** scale
    }
    case Type.FixedSizeList:
      return [...(v as Vector)]
    default:
      return typeof v === 'bigint' ? Number(v) : v
  }
}
