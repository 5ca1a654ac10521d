import { mkdir, readFile, writeFile } from 'node:fs/promises'
import * as path from 'node:path'
import * as arrow from 'apache-arrow'
import { prng } from 'ecommerce-etl'
import * as pw from 'parquet-wasm'

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

/** Writes an Arrow table as one uncompressed Parquet file: the shared input of the Node and Python sides. */
export async function writeInputParquet(file: string, table: arrow.Table): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true })
  const props = new pw.WriterPropertiesBuilder().setCompression(pw.Compression.UNCOMPRESSED).build()
  await writeFile(file, pw.writeParquet(pw.Table.fromIPCStream(arrow.tableToIPC(table, 'stream')), props))
}

/** Reads a Parquet file into an Arrow JS table (whole file, parquet-wasm). */
export async function readParquetFile(file: string, columns?: string[]): Promise<arrow.Table> {
  const bytes = new Uint8Array(await readFile(file))
  const t = pw.readParquet(bytes, columns ? { columns } : undefined)
  return arrow.tableFromIPC(t.intoIPCStream())
}

/** Options of {@link writeSyntheticLog}. */
export interface SyntheticLogOptions {
  /** Versions to write: `from .. to` inclusive. Version 0 also carries protocol and metadata. */
  from: number
  to: number
  addsPerCommit: number
  /** Distinct `date` partition values (adds cycle through them). */
  days: number
  /** Rows each (fictional) file claims in its stats; file k covers ids `k*rowsPerFile ..`. */
  rowsPerFile?: number
  /** File-name stem; commits added later with another stem never collide with the original files. */
  tag?: string
}

/** The schema string of the synthetic log tables (partitioned by date, stats on id). */
export const SYNTHETIC_SCHEMA = JSON.stringify({
  type: 'struct',
  fields: [
    { name: 'id', type: 'long', nullable: true, metadata: {} },
    { name: 'date', type: 'date', nullable: true, metadata: {} },
    { name: 'value', type: 'double', nullable: true, metadata: {} },
  ],
})

function isoDay(day: number): string {
  return new Date(day * 86_400_000).toISOString().slice(0, 10)
}

/**
 * Writes commit files of a synthetic table straight to `_delta_log/` (no data files: snapshot loading and
 * pruning read only the log). Deterministic: file k's path, partition and stats depend only on k. Existing
 * commit files are refused (`wx`), so two generators never interleave silently.
 */
export async function writeSyntheticLog(root: string, o: SyntheticLogOptions): Promise<void> {
  const log = path.join(root, '_delta_log')
  await mkdir(log, { recursive: true })
  const rowsPerFile = o.rowsPerFile ?? 1000
  const ts = Date.UTC(2024, 0, 1)
  for (let v = o.from; v <= o.to; v++) {
    const lines: string[] = [
      JSON.stringify({
        commitInfo: { timestamp: ts + v, operation: 'WRITE', operationParameters: { mode: 'Append' } },
      }),
    ]
    if (v === 0) {
      lines.push(JSON.stringify({ protocol: { minReaderVersion: 1, minWriterVersion: 2 } }))
      lines.push(
        JSON.stringify({
          metaData: {
            id: '00000000-0000-4000-8000-000000000000',
            format: { provider: 'parquet', options: {} },
            schemaString: SYNTHETIC_SCHEMA,
            partitionColumns: ['date'],
            configuration: {},
            createdTime: ts,
          },
        }),
      )
    }
    const adds = v === 0 ? 0 : o.addsPerCommit
    for (let j = 0; j < adds; j++) {
      const k = (v - 1) * o.addsPerCommit + j
      const date = isoDay(DAY0 + (k % o.days))
      const lo = k * rowsPerFile
      lines.push(
        JSON.stringify({
          add: {
            path: `date=${date}/${o.tag ?? 'part'}-${String(k).padStart(8, '0')}.parquet`,
            partitionValues: { date },
            size: 4096 + (k % 997),
            modificationTime: ts + v,
            dataChange: true,
            stats: JSON.stringify({
              numRecords: rowsPerFile,
              minValues: { id: lo, value: 0 },
              maxValues: { id: lo + rowsPerFile - 1, value: 1 },
              nullCount: { id: 0, value: 0 },
            }),
          },
        }),
      )
    }
    await writeFile(path.join(log, `${String(v).padStart(20, '0')}.json`), `${lines.join('\n')}\n`, { flag: 'wx' })
  }
}

/** ISO date of the k-th generated day, for filters. */
export function dayString(k: number): string {
  return isoDay(DAY0 + k)
}
