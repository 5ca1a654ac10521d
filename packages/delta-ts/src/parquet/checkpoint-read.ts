import { type Data, type Struct, tableFromIPC } from 'apache-arrow'
import { dataToJs } from '../arrow/to-js.js'
import { DeltaError } from '../errors.js'
import type { Action } from '../protocol/actions.js'
import { ACTION_KEY_FIELDS, validateAction } from '../protocol/replay.js'
import type { Storage } from '../storage/types.js'
import type { DecodeResponse } from './decode-tasks.js'
import { defaultDecoder, type ParquetDecoder } from './decoder.js'

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
  let bytes: Uint8Array
  try {
    bytes = await storage.read(path, { signal })
  } catch (err) {
    if (err instanceof DeltaError && err.code !== 'FILE_NOT_FOUND') throw err
    throw new DeltaError('INVALID_LOG', `checkpoint file ${path} is missing`, { cause: err })
  }
  const decoder = options.decoder ?? (await defaultDecoder())
  let answer: DecodeResponse
  try {
    answer = await decoder.run(path, {
      kind: 'table',
      size: bytes.length,
      ranges: [{ start: 0, bytes }],
      columns: options.columns ? REPLAY_COLUMNS.filter((c) => options.columns?.includes(c)) : REPLAY_COLUMNS,
      batchSize: 65536,
    })
  } catch (err) {
    throw new DeltaError('INVALID_LOG', `checkpoint file ${path} is not readable parquet: ${(err as Error).message}`, {
      cause: err,
    })
  }
  if (answer.kind !== 'batches')
    throw new DeltaError('INVALID_LOG', `checkpoint file ${path} is not readable parquet: it reads past its end`)
  try {
    const { columns } = answer
    const actions: Action[] = []
    const adds: Data<Struct>[] = []
    let base = 0
    for (const ipc of answer.batches) {
      const table = tableFromIPC(ipc)
      for (const batch of table.batches) {
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
    }
    return { actions, adds }
  } catch (err) {
    if (err instanceof DeltaError) throw err
    throw new DeltaError('INVALID_LOG', `checkpoint file ${path} is not readable parquet: ${(err as Error).message}`, {
      cause: err,
    })
  }
}
