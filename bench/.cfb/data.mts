import { mkdir, readFile, writeFile } from 'node:fs/promises'
import * as path from 'node:path'
import * as arrow from 'apache-arrow'
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}


/** First day of generated dates (days since the epoch of 2024-01-01). */
export const DAY0 = Date.UTC(2024, 0, 1) / 86_400_000
const STATUSES = ['placed', 'paid', 'shipped', 'delivered', 'returned']
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789'

/** Options of {@link generateRows}. */
export interface RowOptions {
  seed: number
  /** First id (ids are `firstId .. firstId + n - 1`, in order). */
  firstId?: number
  /** Number of distinct dates (partitions when partitioned by `date`). */
  days?: number
}

/**
 * `n` seeded rows of the six-column benchmark schema: id int64, date date32, customer_id int32, amount double,
 * status string (5 values), note string (8..24 random chars). Same seed, same rows. The string columns are
 * built as Utf8 buffers directly (no JS string per row), so a bench child can make its input in a few tens of
 * MB instead of decoding a Parquet file through a wasm heap that never shrinks.
 */
export function generateRows(n: number, options: RowOptions): arrow.Table {
  const rnd = prng(options.seed)
  const first = options.firstId ?? 0
  const days = options.days ?? 30
  const id = new BigInt64Array(n)
  const date = new Int32Array(n)
  const customer = new Int32Array(n)
  const amount = new Float64Array(n)
  const statusBytes = STATUSES.map((s) => new TextEncoder().encode(s))
  const statusOffsets = new Int32Array(n + 1)
  const statusData = new Uint8Array(n * Math.max(...statusBytes.map((b) => b.length)))
  const noteOffsets = new Int32Array(n + 1)
  const noteData = new Uint8Array(n * 24)
  const alphabet = new TextEncoder().encode(ALPHABET)
  let sEnd = 0
  let nEnd = 0
  for (let i = 0; i < n; i++) {
    id[i] = BigInt(first + i)
    date[i] = DAY0 + Math.floor(rnd() * days)
    customer[i] = Math.floor(rnd() * 100_000)
    amount[i] = Math.round(rnd() * 100_000) / 100
    const st = statusBytes[Math.floor(rnd() * STATUSES.length)]
    statusData.set(st, sEnd)
    sEnd += st.length
    statusOffsets[i + 1] = sEnd
    const len = 8 + Math.floor(rnd() * 17)
    for (let k = 0; k < len; k++) noteData[nEnd++] = alphabet[Math.floor(rnd() * alphabet.length)]
    noteOffsets[i + 1] = nEnd
  }
  const utf8 = (valueOffsets: Int32Array, data: Uint8Array, end: number) =>
    arrow.makeVector(arrow.makeData({ type: new arrow.Utf8(), length: n, valueOffsets, data: data.slice(0, end) }))
  return new arrow.Table({
    id: arrow.makeVector(id),
    date: arrow.makeVector(arrow.makeData({ type: new arrow.DateDay(), length: n, data: date })),
    customer_id: arrow.makeVector(customer),
    amount: arrow.makeVector(amount),
    status: utf8(statusOffsets, statusData, sEnd),
    note: utf8(noteOffsets, noteData, nEnd),
  })
}

/**
 * How a bench input is made: {@link generateRows}`(rows, {seed, days})`, and for a MERGE source
 * (`mergeTargetRows` set) the ids remapped so that 10% of them hit existing target rows (evenly spread over
 * `0 .. mergeTargetRows-1`) and 90% are new ids. The input Parquet file the Python side reads is written from
 * the same spec, so both sides see the same rows.
 */
export interface InputSpec {
  rows: number
  seed: number
  days?: number
  mergeTargetRows?: number
}

/** The rows of an {@link InputSpec}. */
export function generateInput(spec: InputSpec): arrow.Table {
  const src = generateRows(spec.rows, { seed: spec.seed, days: spec.days })
  const target = spec.mergeTargetRows
  if (target === undefined) return src
  const matched = Math.floor(spec.rows / 10)
  const step = Math.floor(target / matched)
  const ids = new BigInt64Array(spec.rows)
  for (let i = 0; i < spec.rows; i++) ids[i] = BigInt(i < matched ? i * step : target + i)
  const cols: Record<string, arrow.Vector> = {}
  for (const f of src.schema.fields) cols[f.name] = f.name === 'id' ? arrow.makeVector(ids) : src.getChild(f.name)!
  return new arrow.Table(cols)
}

