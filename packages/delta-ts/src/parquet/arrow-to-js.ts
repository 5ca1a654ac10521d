import { type DataType as ArrowType, type Table, Type, type Vector } from 'apache-arrow'

/**
 * Converts Arrow columns into plain JavaScript values shaped like Delta's JSON actions: int64 → number,
 * structs → objects, maps → records, lists → arrays, timestamps → ISO-8601 strings, dates → `YYYY-MM-DD`,
 * decimals → numbers. Used for checkpoint rows (whose numbers fit in doubles) and parsed stats.
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
  const out = new Array<unknown>(vec.length)
  if (vec.length === 0) return out
  const type = vec.type as ArrowType
  if (type.typeId === Type.Struct) {
    const children = type.children.map((f, j) => ({ name: f.name, values: vectorToJs(vec.getChildAt(j)!) }))
    for (let i = 0; i < vec.length; i++) {
      if (!vec.isValid(i)) {
        out[i] = null
        continue
      }
      const o: Record<string, unknown> = {}
      for (const c of children) o[c.name] = c.values[i]
      out[i] = o
    }
    return out
  }
  for (let i = 0; i < vec.length; i++) out[i] = vec.isValid(i) ? valueToJs(vec.get(i), type) : null
  return out
}

function valueToJs(v: unknown, type: ArrowType): unknown {
  if (v === null || v === undefined) return null
  switch (type.typeId) {
    case Type.Int:
      return typeof v === 'bigint' ? Number(v) : v
    case Type.Timestamp:
      return new Date(Number(v)).toISOString()
    case Type.Date:
      return new Date(Number(v)).toISOString().slice(0, 10)
    case Type.Decimal: {
      const scale = (type as unknown as { scale: number }).scale
      return Number(String(v)) / 10 ** scale
    }
    case Type.Map: {
      const o: Record<string, unknown> = {}
      const valueType = (type.children[0].type as ArrowType).children[1].type as ArrowType
      for (const [k, val] of v as Iterable<[unknown, unknown]>) o[String(k)] = valueToJs(val, valueType)
      return o
    }
    case Type.List:
    case Type.FixedSizeList: {
      return vectorToJs(v as Vector)
    }
    case Type.Struct: {
      const o: Record<string, unknown> = {}
      const row = v as Record<string, unknown>
      for (const f of type.children) o[f.name] = valueToJs(row[f.name], f.type as ArrowType)
      return o
    }
    default:
      return v
  }
}
