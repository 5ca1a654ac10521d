/**
 * The preprocessing step: every raw file under `raw/<dataset>/` becomes CSV under `preprocessed/<dataset>/`
 * (one CSV per sheet for .xlsx, CSV passes through). A file that cannot be read is reported and skipped; the
 * step goes on with the others.
 */
import { open } from 'node:fs/promises'
import { DATASET_DEFS, DATASETS, type DatasetName, datasetOfPath } from './datasets.js'
import { type FileStore, joinKey, listAll } from './store.js'
import { type CellKind, type CsvSink, convertXlsx, type SheetResult } from './xlsx.js'

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

/** A raw file that could not be converted, with the reason. */
export interface PreprocessError {
  rawPath: string
  error: string
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

/**
 * Converts the raw files of `store` under `raw/` to CSV under `preprocessed/<dataset>/<runId>/`. Excel files
 * are streamed sheet by sheet; `paths` restricts the run to those raw keys (the files it staged); each CSV row carries `sheet_name`, `source_file` and `source_row`. Never throws
 * for a bad input file: it lands in `errors` with a message naming the file.
 */
export async function preprocess(
  store: FileStore,
  runId: string,
  options: { onRows?: (n: number) => void; datasets?: readonly DatasetName[]; paths?: readonly string[] } = {},
): Promise<PreprocessResult> {
  const result: PreprocessResult = { files: [], errors: [], emptySheets: [], rawFiles: [] }
  const wanted = options.datasets ?? DATASETS
  const listed = (await listAll(store, 'raw/')).filter((o) => !options.paths || options.paths.includes(o.path))
  for (const obj of listed) {
    const dataset = datasetOfPath(obj.path.slice('raw/'.length))
    result.rawFiles.push({ dataset, path: obj.path })
    if (!dataset) {
      result.errors.push({
        rawPath: obj.path,
        error: 'cannot tell which dataset this file belongs to (expected raw/<dataset>/...)',
      })
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
        const text = new TextDecoder().decode(bytes)
        const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '').length
        result.files.push({ dataset, rawPath: obj.path, path: out, sheet: '', rows: Math.max(lines - 1, 0) })
        continue
      }
      if (!lower.endsWith('.xlsx')) throw new Error('unsupported file type (expected .csv or .xlsx)')
      // Local files stream from disk; other stores hand over the (compressed) bytes in slices.
      const local = store.localPath?.(obj.path)
      const head = local ? await readHead(local) : await store.read(obj.path)
      if (!looksLikeZip(head)) throw new Error('not an .xlsx file (no zip signature)')
      const stream: string | ReadableStream<Uint8Array> =
        local ??
        new ReadableStream<Uint8Array>({
          start(controller) {
            for (let i = 0; i < head.length; i += 1 << 16) controller.enqueue(head.subarray(i, i + (1 << 16)))
            controller.close()
          },
        })
      const written: PreprocessedFile[] = []
      const openSink = (sheet: string): CsvSink => {
        const path = joinKey(outDir, `${safe(name.replace(/\.xlsx$/i, ''))}__${safe(sheet)}.csv`)
        written.push({ dataset, rawPath: obj.path, path, sheet, rows: 0 })
        const writer = store.createWriter?.(path)
        if (writer) return writer
        const chunks: string[] = []
        return {
          write: (chunk) => {
            chunks.push(chunk)
          },
          close: async () => {
            await store.put(path, new TextEncoder().encode(chunks.join('')), { overwrite: true })
          },
        }
      }
      let sheets: SheetResult[]
      try {
        sheets = await convertXlsx(stream, name, openSink, { onRows: options.onRows, kinds: cellKinds(dataset) })
      } catch (err) {
        throw new Error(`corrupt or unreadable .xlsx: ${(err as Error).message}`)
      }
      for (const s of sheets) {
        if (s.empty) result.emptySheets.push({ rawPath: obj.path, sheet: s.sheet })
        const w = written.find((f) => f.sheet === s.sheet)
        if (w) w.rows = s.rows
      }
      if (sheets.length === 0) throw new Error('workbook has no worksheets')
      result.files.push(...written)
    } catch (err) {
      result.errors.push({ rawPath: obj.path, error: `${obj.path}: ${(err as Error).message}` })
    }
  }
  return result
}
