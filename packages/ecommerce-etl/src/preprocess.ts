/**
 * The preprocessing step: every raw file under `raw/<dataset>/` becomes CSV under `preprocessed/<dataset>/`
 * (one CSV per sheet for .xlsx, CSV passes through). A file that cannot be read is reported and skipped; the
 * step goes on with the others.
 */
import { open } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { DATASET_DEFS, DATASETS, type DatasetName, datasetOfPath } from './datasets.js'
import { type FileStore, joinKey, listAll } from './store.js'
import { type CellKind, listSheets } from './xlsx.js'
import { convertSheets, XlsxPool, type XlsxTaskResult } from './xlsx-pool.js'
import { XlsxReadError } from './xlsx-read.js'

/** One preprocessed output file. */
export interface PreprocessedFile {
  dataset: DatasetName
  /** Key of the raw input, e.g. `raw/orders/orders.xlsx`. */
  rawPath: string
  /** Key of the CSV written, e.g. `preprocessed/orders/<run-id>/orders__2025-01.csv`. */
  path: string
  sheet: string
  rows: number
}

/**
 * Why a raw file was not converted: `UNKNOWN_DATASET` (not under `raw/<dataset>/`), `UNSUPPORTED_TYPE`
 * (neither .csv nor .xlsx), `NOT_XLSX` (no zip signature, or a zip that is not a workbook), `CORRUPT_XLSX`
 * (a damaged or truncated zip or sheet XML), `NO_WORKSHEETS`, `UNREADABLE` (any other failure to read or
 * convert it: a storage error, a worker that died).
 */
export type PreprocessErrorCode =
  | 'UNKNOWN_DATASET'
  | 'UNSUPPORTED_TYPE'
  | 'NOT_XLSX'
  | 'CORRUPT_XLSX'
  | 'NO_WORKSHEETS'
  | 'UNREADABLE'

/** A raw file that could not be converted, with the reason (`code`) and a message naming the file. */
export interface PreprocessError {
  rawPath: string
  code: PreprocessErrorCode
  error: string
}

/** An input file the step rejects, with its code. */
class RejectedFile extends Error {
  constructor(
    readonly code: PreprocessErrorCode,
    message: string,
  ) {
    super(message)
  }
}

/**
 * The code of an error: a zip that is not a workbook is NOT_XLSX, damage the reader found CORRUPT_XLSX, any
 * other failure (reading or writing the store, a worker that died) UNREADABLE.
 */
function readErrorCode(err: unknown): PreprocessErrorCode {
  if (err instanceof RejectedFile) return err.code
  if (err instanceof XlsxReadError)
    return err.code === 'NOT_ZIP' || err.code === 'NOT_XLSX' ? 'NOT_XLSX' : 'CORRUPT_XLSX'
  return 'UNREADABLE'
}

/** Result of {@link preprocess}. `rawFiles` lists every raw input seen (converted or not). */
export interface PreprocessResult {
  files: PreprocessedFile[]
  errors: PreprocessError[]
  emptySheets: { rawPath: string; sheet: string }[]
  rawFiles: { dataset: DatasetName | undefined; path: string }[]
}

/** The first bytes of a local file (enough for the zip signature). */
async function readHead(path: string): Promise<Uint8Array> {
  const fh = await open(path, 'r')
  try {
    const buf = new Uint8Array(4)
    const { bytesRead } = await fh.read(buf, 0, 4, 0)
    return buf.subarray(0, bytesRead)
  } finally {
    await fh.close()
  }
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1)
}

function safe(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '_')
}

/** The date and timestamp columns of a dataset, for the xlsx conversion of its date cells. */
function cellKinds(dataset: DatasetName): Record<string, CellKind> {
  const kinds: Record<string, CellKind> = {}
  for (const col of DATASET_DEFS[dataset].columns) {
    if (col.kind === 'date' || col.kind === 'timestamp') kinds[col.name] = col.kind
  }
  return kinds
}

/** True when the bytes start like a zip archive (every .xlsx is one). */
function looksLikeZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04
}

/** One xlsx input, checked and ready to convert. */
interface XlsxInput {
  dataset: DatasetName
  rawPath: string
  name: string
  outDir: string
  /** A local path, or the workbook's bytes. */
  input: string | Uint8Array
}

/** Converts one workbook (its sheets in parallel on the pool, or all on this thread) and writes its CSVs. */
async function convertWorkbook(
  store: FileStore,
  x: XlsxInput,
  pool: XlsxPool | undefined,
  onRows?: (n: number) => void,
): Promise<{ files: PreprocessedFile[]; empty: string[] }> {
  const kinds = cellKinds(x.dataset)
  let sheets: XlsxTaskResult['sheets']
  try {
    if (pool) {
      const names = await listSheets(x.input)
      if (names.length === 0) throw new RejectedFile('NO_WORKSHEETS', 'workbook has no worksheets')
      // Bytes go to the workers in shared memory: one copy for all of the workbook's sheet tasks, not one each.
      let input = x.input
      if (typeof input !== 'string' && names.length > 1) {
        const shared = new Uint8Array(new SharedArrayBuffer(input.length))
        shared.set(input)
        input = shared
      }
      const parts = await Promise.all(
        names.map(async (_, i) => {
          const r = await pool.run({ input, sourceFile: x.name, kinds, sheets: [i] })
          onRows?.(r.sheets.reduce((n, sh) => n + sh.rows, 0))
          return r.sheets
        }),
      )
      sheets = parts.flat()
    } else sheets = (await convertSheets({ input: x.input, sourceFile: x.name, kinds }, onRows)).sheets
  } catch (err) {
    if (err instanceof RejectedFile) throw err
    throw new RejectedFile(readErrorCode(err), `corrupt or unreadable .xlsx: ${(err as Error).message}`)
  }
  if (sheets.length === 0) throw new RejectedFile('NO_WORKSHEETS', 'workbook has no worksheets')
  const files: PreprocessedFile[] = []
  const empty: string[] = []
  for (const sh of sheets) {
    if (sh.empty) {
      empty.push(sh.sheet)
      continue
    }
    const path = joinKey(x.outDir, `${safe(x.name.replace(/\.xlsx$/i, ''))}__${safe(sh.sheet)}.csv`)
    await store.put(path, sh.csv, { overwrite: true })
    files.push({ dataset: x.dataset, rawPath: x.rawPath, path, sheet: sh.sheet, rows: sh.rows })
  }
  return { files, empty }
}

/** Options of {@link preprocess}. */
export interface PreprocessOptions {
  onRows?: (n: number) => void
  datasets?: readonly DatasetName[]
  /** Restricts the run to these raw keys (the files it staged). */
  paths?: readonly string[]
  /**
   * Worker threads converting .xlsx sheets in parallel (default: the machine's cores). `0` converts on the
   * calling thread, one sheet after another.
   */
  workers?: number
}

/**
 * Converts the raw files of `store` under `raw/` to CSV under `preprocessed/<dataset>/<runId>/`. Excel files
 * are converted sheet by sheet, the sheets of all workbooks in parallel on a pool of worker threads (see
 * `xlsx-pool.ts`; `workers: 0` for the single-threaded path); `paths` restricts the run to those raw keys (the
 * files it staged); each CSV row carries `sheet_name`, `source_file` and `source_row`. Never throws for a bad
 * input file: it lands in `errors` with a message naming the file.
 */
export async function preprocess(
  store: FileStore,
  runId: string,
  options: PreprocessOptions = {},
): Promise<PreprocessResult> {
  const result: PreprocessResult = { files: [], errors: [], emptySheets: [], rawFiles: [] }
  const wanted = options.datasets ?? DATASETS
  const listed = (await listAll(store, 'raw/')).filter((o) => !options.paths || options.paths.includes(o.path))
  // Per raw file, in listing order: its outcome, filled as conversions finish.
  const outcomes: (() => void)[] = []
  const conversions: { x: XlsxInput; slot: number }[] = []
  for (const obj of listed) {
    const dataset = datasetOfPath(obj.path.slice('raw/'.length))
    result.rawFiles.push({ dataset, path: obj.path })
    if (!dataset) {
      const error: PreprocessError = {
        rawPath: obj.path,
        code: 'UNKNOWN_DATASET',
        error: 'cannot tell which dataset this file belongs to (expected raw/<dataset>/...)',
      }
      outcomes.push(() => result.errors.push(error))
      continue
    }
    if (!wanted.includes(dataset)) continue
    const name = baseName(obj.path)
    const lower = name.toLowerCase()
    const outDir = joinKey('preprocessed', dataset, runId)
    try {
      if (lower.endsWith('.csv')) {
        const bytes = await store.read(obj.path)
        const out = joinKey(outDir, safe(name))
        await store.put(out, bytes, { overwrite: true })
        let lines = 0
        // Non-empty lines, counted on the bytes (no decoded copy of a large file).
        let blank = true
        for (let i = 0; i < bytes.length; i++) {
          const b = bytes[i]
          if (b === 10) {
            if (!blank) lines++
            blank = true
          } else if (b !== 13 && b !== 32 && b !== 9) blank = false
        }
        if (!blank) lines++
        const file: PreprocessedFile = {
          dataset,
          rawPath: obj.path,
          path: out,
          sheet: '',
          rows: Math.max(lines - 1, 0),
        }
        outcomes.push(() => result.files.push(file))
        continue
      }
      if (!lower.endsWith('.xlsx'))
        throw new RejectedFile('UNSUPPORTED_TYPE', 'unsupported file type (expected .csv or .xlsx)')
      // Local files are read from their path (by each worker); other stores hand over the bytes.
      const local = store.localPath?.(obj.path)
      const head = local ? await readHead(local) : await store.read(obj.path)
      if (!looksLikeZip(head)) throw new RejectedFile('NOT_XLSX', 'not an .xlsx file (no zip signature)')
      conversions.push({ x: { dataset, rawPath: obj.path, name, outDir, input: local ?? head }, slot: outcomes.length })
      outcomes.push(() => undefined)
    } catch (err) {
      const error: PreprocessError = {
        rawPath: obj.path,
        code: readErrorCode(err),
        error: `${obj.path}: ${(err as Error).message}`,
      }
      outcomes.push(() => result.errors.push(error))
    }
  }
  const workers = options.workers ?? availableParallelism()
  const pool = workers > 0 && conversions.length > 0 ? new XlsxPool(workers) : undefined
  try {
    await Promise.all(
      conversions.map(async ({ x, slot }) => {
        try {
          const { files, empty } = await convertWorkbook(store, x, pool, options.onRows)
          outcomes[slot] = () => {
            for (const sheet of empty) result.emptySheets.push({ rawPath: x.rawPath, sheet })
            result.files.push(...files)
          }
        } catch (err) {
          const error: PreprocessError = {
            rawPath: x.rawPath,
            code: readErrorCode(err),
            error: `${x.rawPath}: ${(err as Error).message}`,
          }
          outcomes[slot] = () => result.errors.push(error)
        }
      }),
    )
  } finally {
    await pool?.close()
  }
  for (const o of outcomes) o()
  return result
}
