/**
 * The worker side of the xlsx conversion pool (`xlsx-pool.ts`): converts the requested sheets of one
 * workbook to CSV and answers with each sheet's CSV bytes (transferred, not copied) and its result.
 */
import { parentPort } from 'node:worker_threads'
import type { XlsxTask, XlsxTaskResult } from './xlsx-pool.js'
import { convertSheets } from './xlsx-pool.js'
import { XlsxReadError } from './xlsx-read.js'

parentPort?.on('message', async ({ id, task }: { id: number; task: XlsxTask }) => {
  try {
    const result: XlsxTaskResult = await convertSheets(task)
    parentPort?.postMessage(
      { id, ok: true, result },
      result.sheets.map((s) => s.csv.buffer as ArrayBuffer),
    )
  } catch (err) {
    const code = err instanceof XlsxReadError ? err.code : undefined
    parentPort?.postMessage({ id, ok: false, error: (err as Error).message, code })
  }
})
