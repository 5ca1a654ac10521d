import { tableFromIPC } from 'apache-arrow'
import * as pw from 'parquet-wasm'
import { DeltaError } from '../errors.js'
import type { Action } from '../protocol/actions.js'
import { ACTION_KEY_FIELDS, validateAction } from '../protocol/replay.js'
import type { Storage } from '../storage/types.js'
import { tableToObjects } from './arrow-to-js.js'

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
 * Reads the actions of a parquet checkpoint (or sidecar) file, projecting only the columns replay needs.
 * Throws `INVALID_LOG` when the file is not a readable checkpoint.
 */
export async function readParquetActions(storage: Storage, path: string, signal?: AbortSignal): Promise<Action[]> {
  let bytes: Uint8Array
  try {
    bytes = await storage.read(path, { signal })
  } catch (err) {
    if (err instanceof DeltaError && err.code !== 'FILE_NOT_FOUND') throw err
    throw new DeltaError('INVALID_LOG', `checkpoint file ${path} is missing`, { cause: err })
  }
  try {
    const file = await pw.ParquetFile.fromFile(new Blob([bytes as Uint8Array<ArrayBuffer>]))
    try {
      const present = new Set(tableFromIPC(file.schema().intoIPCStream()).schema.fields.map((f) => f.name))
      const columns = REPLAY_COLUMNS.filter((c) => present.has(c))
      const wasmTable = await file.read({ columns, batchSize: 65536 })
      const table = tableFromIPC(wasmTable.intoIPCStream())
      const rows = tableToObjects(table, columns) as Action[]
      const actions: Action[] = []
      for (let i = 0; i < rows.length; i++) {
        const a = keepPresentActions(rows[i] as Record<string, unknown>)
        if (Object.keys(a).length === 0) continue
        validateAction(a, `${path} row ${i}`)
        actions.push(a)
      }
      return actions
    } finally {
      file.free()
    }
  } catch (err) {
    if (err instanceof DeltaError) throw err
    throw new DeltaError('INVALID_LOG', `checkpoint file ${path} is not readable parquet: ${(err as Error).message}`, {
      cause: err,
    })
  }
}
