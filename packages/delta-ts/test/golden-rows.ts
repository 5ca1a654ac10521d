import { readdirSync, readFileSync, statSync } from 'node:fs'
import * as path from 'node:path'
import * as arrow from 'apache-arrow'
import * as pw from 'parquet-wasm'

/*
 * Canonical row form for content conformance: every value becomes plain JSON that compares exactly —
 * integers as decimal strings (int32 and int64 alike), decimals as exact strings without trailing zeros,
 * timestamps as integer microseconds (whatever unit the file used), dates as day numbers, binary as hex,
 * maps as entry lists sorted by key, structs as objects, floats as numbers (NaN/Infinity as strings).
 */

function decimalString(words: Uint32Array, at: number, stride: number, scale: number): string {
  let v = 0n
  for (let w = stride - 1; w >= 0; w--) v = (v << 32n) | BigInt(words[at + w])
  v = BigInt.asIntN(stride * 32, v)
  const neg = v < 0n
  let digits = (neg ? -v : v).toString()
  if (scale > 0) {
    digits = digits.padStart(scale + 1, '0')
    digits = `${digits.slice(0, -scale)}.${digits.slice(-scale)}`.replace(/\.?0+$/, '')
  } else if (scale < 0) digits += '0'.repeat(-scale)
  return (neg && digits !== '0' ? '-' : '') + digits
}

const UNIT_TO_MICROS: Record<number, [bigint, bigint]> = {
  [arrow.TimeUnit.SECOND]: [1_000_000n, 1n],
  [arrow.TimeUnit.MILLISECOND]: [1000n, 1n],
  [arrow.TimeUnit.MICROSECOND]: [1n, 1n],
  [arrow.TimeUnit.NANOSECOND]: [1n, 1000n],
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b
  return a % b !== 0n && a < 0n ? q - 1n : q
}

/** The canonical values of one Arrow column chunk. */
export function canonicalColumn(data: arrow.Data): unknown[] {
  const t = data.type as arrow.DataType
  const n = data.length
  const out: unknown[] = new Array(n)
  const valid = (i: number) => data.getValid(i)
  switch (t.typeId) {
    case arrow.Type.Null:
      return out.fill(null)
    case arrow.Type.Dictionary: {
      const dict = canonicalColumn(data.dictionary!.data[0])
      const idx = data.values as ArrayLike<number>
      for (let i = 0; i < n; i++) out[i] = valid(i) ? dict[Number(idx[i])] : null
      return out
    }
    case arrow.Type.Struct: {
      const children = t.children.map(
        (f: arrow.Field, k: number) => [f.name, canonicalColumn(data.children[k])] as const,
      )
      for (let i = 0; i < n; i++)
        out[i] = valid(i) ? Object.fromEntries(children.map(([name, vals]) => [name, vals[i]])) : null
      return out
    }
    case arrow.Type.List:
    case arrow.Type.LargeList:
    case arrow.Type.Map: {
      const offs = data.valueOffsets as ArrayLike<number | bigint>
      const child = canonicalColumn(data.children[0])
      for (let i = 0; i < n; i++) {
        if (!valid(i)) {
          out[i] = null
          continue
        }
        const items = child.slice(Number(offs[i]), Number(offs[i + 1]))
        if (t.typeId === arrow.Type.Map) {
          // Entries are structs; key/value names vary between writers, so take them by position.
          const pairs = items.map((e) => Object.values(e as Record<string, unknown>))
          out[i] = pairs.map((p) => JSON.stringify(p)).sort()
        } else out[i] = items
      }
      return out
    }
    case arrow.Type.FixedSizeList: {
      const size = (t as arrow.FixedSizeList).listSize
      const child = canonicalColumn(data.children[0])
      for (let i = 0; i < n; i++) out[i] = valid(i) ? child.slice(i * size, (i + 1) * size) : null
      return out
    }
    case arrow.Type.Int: {
      const v = data.values as ArrayLike<number | bigint>
      for (let i = 0; i < n; i++) out[i] = valid(i) ? String(v[i]) : null
      return out
    }
    case arrow.Type.Float: {
      const v = arrow.makeVector(data)
      for (let i = 0; i < n; i++) {
        const x = valid(i) ? (v.get(i) as number) : null
        out[i] = x === null ? null : Number.isFinite(x) ? (Object.is(x, -0) ? 0 : x) : String(x)
      }
      return out
    }
    case arrow.Type.Decimal: {
      const d = t as arrow.Decimal
      const stride = d.bitWidth / 32
      const words = data.values as Uint32Array
      for (let i = 0; i < n; i++) out[i] = valid(i) ? decimalString(words, i * stride, stride, d.scale) : null
      return out
    }
    case arrow.Type.Date: {
      const v = data.values as ArrayLike<number | bigint>
      const day = (t as arrow.Date_).unit === arrow.DateUnit.DAY
      for (let i = 0; i < n; i++)
        out[i] = valid(i) ? (day ? Number(v[i]) : Math.floor(Number(v[i]) / 86_400_000)) : null
      return out
    }
    case arrow.Type.Timestamp: {
      const [mul, div] = UNIT_TO_MICROS[(t as arrow.Timestamp).unit]
      const v = data.values as BigInt64Array
      for (let i = 0; i < n; i++) out[i] = valid(i) ? `ts:${floorDiv(BigInt(v[i]) * mul, div)}` : null
      return out
    }
    case arrow.Type.Binary:
    case arrow.Type.LargeBinary:
    case arrow.Type.FixedSizeBinary:
    case arrow.Type.BinaryView: {
      const v = arrow.makeVector(data)
      for (let i = 0; i < n; i++)
        out[i] = valid(i) ? `hex:${Buffer.from(v.get(i) as Uint8Array).toString('hex')}` : null
      return out
    }
    default: {
      // Utf8 variants and booleans: get() is exact for them.
      const v = arrow.makeVector(data)
      for (let i = 0; i < n; i++) out[i] = valid(i) ? v.get(i) : null
      return out
    }
  }
}

/**
 * Canonical JSON rows of a table restricted to `columns` (default: all), sorted (a multiset). `mapValue`
 * adjusts canonical values of a column (documented writer quirks only).
 */
export function canonicalRows(
  table: arrow.Table,
  columns?: string[],
  mapValue?: (column: string, value: unknown) => unknown,
): string[] {
  const names = columns ?? table.schema.fields.map((f) => f.name)
  const rows: string[] = []
  for (const batch of table.batches) {
    const cols = names.map((name) => {
      const child = batch.getChild(name)
      if (!child) throw new Error(`column ${name} missing`)
      const values = child.data.flatMap((d) => canonicalColumn(d))
      return mapValue ? values.map((v) => mapValue(name, v)) : values
    })
    for (let i = 0; i < batch.numRows; i++) rows.push(JSON.stringify(cols.map((c) => c[i])))
  }
  return rows.sort()
}

/** Reads every parquet file under `dir` (recursively: Spark output folders), one Arrow table per file. */
export async function readExpectedParquet(dir: string): Promise<arrow.Table[]> {
  const files: string[] = []
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = path.join(d, e)
      if (statSync(p).isDirectory()) walk(p)
      else if (e.endsWith('.parquet') && !e.startsWith('.')) files.push(p)
    }
  }
  walk(dir)
  const tables: arrow.Table[] = []
  for (const f of files.sort()) {
    const file = await pw.ParquetFile.fromFile(new Blob([readFileSync(f)]))
    try {
      tables.push(arrow.tableFromIPC((await file.read({ batchSize: 65536 })).intoIPCStream()))
    } finally {
      file.free()
    }
  }
  return tables
}

/**
 * Parses a kernel-rs FFI text dump (`kernel-rs-ffi.expected`: a "Schema:" tree, then per column
 * `name:  [ v, v, ... ]`) into canonical rows like {@link canonicalRows}. Supports the primitive types these
 * dumps use (integer, long, string, double, boolean, timestamp); throws on anything else so that a new dump
 * is never compared loosely.
 */
export function parseFfiExpected(text: string): { columns: string[]; rows: string[] } {
  const types = new Map<string, string>()
  for (const m of text.matchAll(/^[├└]─ (\w+): (\w+)$/gm)) types.set(m[1], m[2])
  const columns: string[] = []
  const values: unknown[][] = []
  for (const m of text.matchAll(/^(\w+):\s+\[\n([\s\S]*?)\n\]/gm)) {
    const name = m[1]
    const type = types.get(name)
    if (!type) throw new Error(`ffi dump: no schema type for ${name}`)
    const raw = m[2].split('\n').map((l) => l.trim().replace(/,$/, ''))
    columns.push(name)
    values.push(
      raw.map((v) => {
        if (v === 'null') return null
        switch (type) {
          case 'integer':
          case 'long':
          case 'short':
          case 'byte':
            return String(BigInt(v))
          case 'double':
          case 'float':
            return Number(v)
          case 'boolean':
            return v === 'true'
          case 'string':
            return JSON.parse(v)
          case 'timestamp': {
            const m2 = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?Z$/.exec(v)
            if (!m2) throw new Error(`ffi dump: timestamp ${v}`)
            const ms = Date.UTC(+m2[1], +m2[2] - 1, +m2[3], +m2[4], +m2[5], +m2[6])
            return `ts:${BigInt(ms) * 1000n + BigInt((m2[7] ?? '').padEnd(6, '0'))}`
          }
          default:
            throw new Error(`ffi dump: unsupported type ${type}`)
        }
      }),
    )
  }
  if (columns.length === 0) throw new Error('ffi dump: no columns')
  const n = values[0].length
  const rows: string[] = []
  for (let i = 0; i < n; i++) rows.push(JSON.stringify(values.map((c) => c[i])))
  return { columns, rows: rows.sort() }
}
