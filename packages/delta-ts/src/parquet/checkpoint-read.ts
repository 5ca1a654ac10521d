import { tableFromIPC } from 'apache-arrow'
import { DeltaError } from '../errors.js'
import type { Action } from '../protocol/actions.js'
import { ACTION_KEY_FIELDS, validateAction } from '../protocol/replay.js'
import type { Storage } from '../storage/types.js'
import { tableToObjects } from './arrow-to-js.js'
import type { DecodeResponse } from './decode-tasks.js'
import { defaultDecoder, type ParquetDecoder } from './decoder.js'

/** The checkpoint columns replay needs; commitInfo and cdc never appear in checkpoints. */
const REPLAY_COLUMNS = Object.keys(ACTION_KEY_FIELDS).filter((k) => k !== 'commitInfo' && k !== 'cdc')

/**
 * Drops action columns whose key field is null: some writers emit a non-null struct of nulls where the row
 * holds another action, and a checkpoint that lacks protocol or metaData must read as lacking it.
 */
function keepPresentActions(row: Record<string, unknown>): Action {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(row)) {
    const key = (ACTION_KEY_FIELDS as Record<string, string | undefined>)[k]
    if (v && typeof v === 'object' && key && (v as Record<string, unknown>)[key] != null) out[k] = v
  }
  return out as Action
}

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
      columns: REPLAY_COLUMNS,
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
    let row = 0
    for (const ipc of answer.batches) {
      const rows = tableToObjects(tableFromIPC(ipc), columns) as Action[]
      for (let i = 0; i < rows.length; i++, row++) {
        const a = keepPresentActions(rows[i] as Record<string, unknown>)
        if (Object.keys(a).length === 0) continue
        validateAction(a, `${path} row ${row}`)
        actions.push(a)
      }
    }
    return actions
  } catch (err) {
    if (err instanceof DeltaError) throw err
    throw new DeltaError('INVALID_LOG', `checkpoint file ${path} is not readable parquet: ${(err as Error).message}`, {
      cause: err,
    })
  }
}
