import type { Data, RecordBatch, Struct } from 'apache-arrow'
import { dataToJs } from '../arrow/to-js.js'
import { DeltaError } from '../errors.js'
import type { Action } from '../protocol/actions.js'
import { ACTION_KEY_FIELDS, validateAction } from '../protocol/replay.js'
import type { Storage } from '../storage/types.js'
import type { ParquetDecoder } from './decoder.js'
import { openParquet, type ParquetReader } from './read.js'

/** The checkpoint columns replay needs; commitInfo and cdc never appear in checkpoints. */
const REPLAY_COLUMNS = Object.keys(ACTION_KEY_FIELDS).filter((k) => k !== 'commitInfo' && k !== 'cdc')

/**
 * Reads the actions of a parquet checkpoint (or sidecar) file, projecting only the columns replay needs. The
 * file is decoded by `options.decoder` (default: the isolated worker of {@link defaultDecoder}), so a damaged
 * checkpoint that traps parquet-wasm is an error, not the end of the process.
 *
 * @throws DeltaError `INVALID_LOG` naming the file when it is missing or not a readable checkpoint (the
 *   caller falls back to an older checkpoint or to the commits); storage errors other than a missing file as
 *   the backend reports them.
 */
export async function readParquetActions(
  storage: Storage,
  path: string,
  signal?: AbortSignal,
  options: { decoder?: ParquetDecoder } = {},
): Promise<Action[]> {
  const { actions, adds } = await readParquetCheckpoint(storage, path, signal, options)
  let row = 0
  const out: Action[] = []
  for (const data of adds) {
    const values = dataToJs(data)
    for (const v of values) {
      if (v && typeof v === 'object' && (v as Record<string, unknown>).path != null) {
        const a = { add: v } as Action
        validateAction(a, `${path} add ${row}`)
        out.push(a)
      }
      row++
    }
  }
  for (const a of actions) out.push(a)
  return out
}

/**
 * Reads a parquet checkpoint (or sidecar) file as {@link readParquetActions} does, but keeps the `add` column
 * as Arrow data (one struct Data per decoded batch; rows whose `add.path` is null hold another action) and
 * converts only the other actions (protocol, metaData, txn, remove, domainMetadata, sidecar, ...), row by row
 * for the rows that hold one. `options.columns` narrows the projection further (e.g. to `sidecar` alone, to
 * find what a checkpoint references without decoding its files).
 *
 * @throws DeltaError as {@link readParquetActions}.
 */
export async function readParquetCheckpoint(
  storage: Storage,
  path: string,
  signal?: AbortSignal,
  options: { decoder?: ParquetDecoder; columns?: readonly string[] } = {},
): Promise<{ actions: Action[]; adds: Data<Struct>[] }> {
  const unreadable = (err: unknown) =>
    new DeltaError(
      'INVALID_LOG',
      `checkpoint file ${path} is not readable parquet: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    )
  let reader: ParquetReader
  try {
    reader = await openParquet(storage, path, { decoder: options.decoder, signal })
  } catch (err) {
    if (err instanceof DeltaError && err.code === 'FILE_NOT_FOUND')
      throw new DeltaError('INVALID_LOG', `checkpoint file ${path} is missing`, { cause: err })
    if (err instanceof DeltaError && err.code !== 'PARQUET_ERROR' && err.code !== 'INTERNAL') throw err
    throw unreadable(err)
  }
  const present = new Set(reader.schema.fields.map((f) => f.name))
  const wanted = options.columns ? REPLAY_COLUMNS.filter((c) => options.columns?.includes(c)) : REPLAY_COLUMNS
  const columns = wanted.filter((c) => present.has(c))
  const actions: Action[] = []
  const adds: Data<Struct>[] = []
  if (columns.length === 0) return { actions, adds }
  // One decode task per row group, run in parallel on the decoder's pool. The `add` column stays a view of its
  // batch's IPC stream: the first task's streams hold little else (the key leaves below), and copying it out
  // was measured to raise the peak (both copies live until GC: +30 MB at 100k adds, no gain at 1M).
  const decode = async (g: number, cols: string[], rows?: { offset: number; limit: number }) => {
    try {
      return await reader.decodeRowGroup(g, cols, CHECKPOINT_BATCH_ROWS, rows)
    } catch (err) {
      if (err instanceof DeltaError && err.code !== 'PARQUET_ERROR' && err.code !== 'INTERNAL') throw err
      throw unreadable(err)
    }
  }
  const convert = (batches: RecordBatch[], cols: readonly string[], firstRow: number) => {
    try {
      return convertBatches(batches, cols, path, firstRow)
    } catch (err) {
      if (err instanceof DeltaError) throw err
      throw unreadable(err)
    }
  }
  // Actions other than add are few (a protocol, a metaData, some txns and tombstones) in a file of adds, but a
  // decoded column of them is a column of every row, nulls included (~170 bytes a row for remove, metaData,
  // protocol, txn and domainMetadata together): a row group's first task decodes `add` and only the key leaf of
  // each other action (e.g. `remove.path`); the actions whose key is set somewhere in the group are decoded in
  // full by a second task, over the rows from the first to the last such key only (a delta-ts checkpoint puts
  // protocol, metaData, txns and domains first: a few rows instead of the group's 128k; measured on a 100k-add
  // checkpoint, 17-39 ms of decode for the whole group).
  // An action column without its key field holds no action (as the converter below treats it): not decoded.
  const keyOf = (c: string) => (ACTION_KEY_FIELDS as Record<string, string | undefined>)[c]
  const hasKeyField = (c: string) =>
    (reader.schema.fields.find((f) => f.name === c)?.type.children ?? []).some(
      (f: { name: string }) => f.name === keyOf(c),
    )
  const others = columns.filter((c) => c !== 'add' && hasKeyField(c))
  const keyLeaves = others.map((c) => `${c}.${keyOf(c)}`)
  const first = [...(columns.includes('add') ? ['add'] : []), ...keyLeaves]
  const parts = await Promise.all(
    reader.rowGroups.map(async (rg, g) => {
      const batches = await decode(g, first)
      const present: string[] = []
      let lo = Number.POSITIVE_INFINITY
      let hi = -1
      for (const c of others) {
        const r = keyRows(batches, c)
        if (!r) continue
        present.push(c)
        lo = Math.min(lo, r.first)
        hi = Math.max(hi, r.last)
      }
      const part = convert(batches, columns.includes('add') ? ['add'] : [], rg.firstRow)
      if (present.length > 0) {
        const rows = { offset: lo, limit: hi - lo + 1 }
        const full = convert(await decode(g, present, rows), present, rg.firstRow + lo)
        for (const a of full.actions) part.actions.push(a)
      }
      return part
    }),
  )
  reader.close()
  for (const part of parts) {
    for (const a of part.actions) actions.push(a)
    for (const d of part.adds) adds.push(d)
  }
  return { actions, adds }
}

/**
 * The first and last row (in the decoded batches' order) where top-level column `name` holds an action (its
 * key field is set), or undefined when no row does.
 */
function keyRows(batches: readonly RecordBatch[], name: string): { first: number; last: number } | undefined {
  const keyName = (ACTION_KEY_FIELDS as Record<string, string | undefined>)[name]
  let first = -1
  let last = -1
  let base = 0
  for (const batch of batches) {
    let at = base
    for (const data of batch.getChild(name)?.data ?? []) {
      const k = (data.type.children ?? []).findIndex((f: { name: string }) => f.name === keyName)
      const key = k < 0 ? undefined : data.children[k]
      if (key && key.nullCount < key.length && data.nullCount < data.length) {
        const set = (i: number) => data.getValid(i) && key.getValid(i)
        let i = 0
        while (i < data.length && !set(i)) i++
        if (i < data.length) {
          if (first < 0) first = at + i
          let j = data.length - 1
          while (!set(j)) j--
          last = at + j
        }
      }
      at += data.length
    }
    base += batch.numRows
  }
  return first < 0 ? undefined : { first, last }
}

/**
 * Rows per decoded checkpoint batch. parquet-wasm's heap grows to hold a batch and its IPC copy and never
 * shrinks: measured on a 100k-add checkpoint, 100 MB at 65536 rows, 48 MB at 16384, 40 MB at 8192.
 */
const CHECKPOINT_BATCH_ROWS = 8192

/** The actions of decoded checkpoint batches: `add` kept as Arrow data, every other action converted. */
function convertBatches(
  batches: readonly RecordBatch[],
  columns: readonly string[],
  path: string,
  firstRow: number,
): { actions: Action[]; adds: Data<Struct>[] } {
  const actions: Action[] = []
  const adds: Data<Struct>[] = []
  let base = firstRow
  for (const batch of batches) {
    for (const name of columns) {
      const col = batch.getChild(name)
      if (col?.data.length !== 1) continue
      const data = col.data[0] as Data<Struct>
      if (name === 'add') {
        adds.push(data)
        continue
      }
      const keyField = (ACTION_KEY_FIELDS as Record<string, string | undefined>)[name]
      const fields = data.type.children ?? []
      const k = fields.findIndex((f) => f.name === keyField)
      if (k < 0) continue
      const key = data.children[k]
      if (key.nullCount === key.length) continue
      for (let i = 0; i < data.length; i++) {
        if (!(data.nullCount === 0 || data.getValid(i)) || !(key.nullCount === 0 || key.getValid(i))) continue
        const a = { [name]: dataToJs(data.slice(i, 1))[0] } as Action
        validateAction(a, `${path} row ${base + i}`)
        actions.push(a)
      }
    }
    base += batch.numRows
  }
  return { actions, adds }
}
