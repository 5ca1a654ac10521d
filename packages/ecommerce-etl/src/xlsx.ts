/**
 * Streaming .xlsx → CSV conversion (what the seed's xlsx_to_csv_job did), on @cj-tech-master/excelts's
 * WorkbookReader: rows are read and written one at a time, so a large sheet never sits in memory as cells.
 * Dates and datetimes come out as real values (`YYYY-MM-DD`, ISO-8601 UTC), formulas as their cached result.
 */
import { WorkbookReader } from '@cj-tech-master/excelts'
import { stringify } from 'csv-stringify/sync'
import { SOURCE_ROW } from './csv.js'

/** Receives one sheet's CSV text in chunks; `close` makes it durable. */
export interface CsvSink {
  write(chunk: string): void | Promise<void>
  close(): Promise<void>
}

/** What happened to one sheet. `empty` sheets (no rows at all) produce no CSV. */
export interface SheetResult {
  sheet: string
  rows: number
  columns: string[]
  empty: boolean
}

/** Excel date-only number formats (no hour/minute/second part), e.g. the `mm-dd-yy` writers default to. */
function isDateOnlyFormat(fmt: string | undefined): boolean {
  if (!fmt) return false
  const f = fmt.replace(/\[[^\]]*\]|"[^"]*"/g, '').toLowerCase()
  return /[dy]/.test(f) && !/[hs]/.test(f)
}

/**
 * What the column holds, when the caller knows it: `date` cells become their calendar day, `timestamp` cells
 * always keep their time (even at midnight); other or unknown columns let the value decide.
 */
export type CellKind = 'date' | 'timestamp' | undefined

/**
 * A date cell as text. The value decides, not the display format: writers (excelts, SheetJS, ...) give every
 * datetime a date-only format such as `mm-dd-yy` by default, so a value with a time of day keeps it
 * (ISO-8601 UTC) whatever the format says. Only a value at midnight with a date-only format (or none) is a date
 * (`YYYY-MM-DD`). Excel datetimes have no zone: the wall-clock value is written as UTC.
 */
function formatDateCell(d: Date, numFmt: string | undefined, kind: CellKind): string {
  if (Number.isNaN(d.getTime())) return ''
  const iso = d.toISOString()
  if (kind === 'date') return iso.slice(0, 10)
  const midnight = iso.endsWith('T00:00:00.000Z')
  if (kind !== 'timestamp' && midnight && (!numFmt || isDateOnlyFormat(numFmt))) return iso.slice(0, 10)
  return iso.endsWith('.000Z') ? `${iso.slice(0, 19)}Z` : iso
}

/**
 * Converts one cell value (as excelts gives it) to CSV text. `numFmt` is the cell's number format, `kind` what
 * the column holds when known (see {@link CellKind}); dates follow the rules of the module's date formatting.
 */
export function cellText(value: unknown, numFmt?: string, kind?: CellKind): string {
  if (value === null || value === undefined) return ''
  if (value instanceof Date) return formatDateCell(value, numFmt, kind)
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : ''
  if (typeof value === 'boolean') return value ? 'true' : 'false'
  if (typeof value === 'string') return value
  if (typeof value === 'object') {
    const v = value as Record<string, unknown>
    // Formulas (plain and shared) carry their cached result; a file saved without results has none.
    if ('formula' in v || 'sharedFormula' in v) return cellText(v.result, numFmt, kind)
    if ('result' in v) return cellText(v.result, numFmt, kind)
    if (Array.isArray(v.richText)) return (v.richText as { text: string }[]).map((t) => t.text).join('')
    if ('text' in v) return cellText(v.text, numFmt, kind)
    if ('error' in v) return String(v.error)
  }
  return String(value)
}

/** Options of {@link convertXlsx}. */
export interface ConvertXlsxOptions {
  /** Called with row counts as rows are written (every 1000 rows and at the end of each sheet). */
  onRows?: (n: number) => void
  /**
   * What each column holds, by header name (the dataset's schema): `date` columns get the calendar day of a
   * date cell, `timestamp` columns its full datetime. Columns not named here let the value decide.
   */
  kinds?: Readonly<Record<string, CellKind>>
  /**
   * Which worksheets to convert, by position (0-based) and name (default: all). Skipped sheets are not parsed
   * and not in the result, so workers can split one workbook's sheets between them.
   */
  sheets?: (index: number, name: string) => boolean
}

/**
 * Streams every worksheet of an .xlsx to CSV: the first row is the header, every data row gets `sheet_name`,
 * `source_file` and `source_row` (its row number in the sheet) appended, blank rows are skipped. A sheet with
 * no rows produces no sink; a header-only sheet produces a header-only CSV. Date cells keep their time of day
 * whatever their display format (see {@link ConvertXlsxOptions.kinds}). Throws on a corrupt or non-xlsx input
 * (the caller reports it and goes on with other files). `input` is a path or a byte stream.
 */
export async function convertXlsx(
  input: string | ReadableStream<Uint8Array>,
  sourceFile: string,
  openSink: (sheet: string) => CsvSink,
  options: ConvertXlsxOptions = {},
): Promise<SheetResult[]> {
  const { onRows, kinds = {} } = options
  const reader = new WorkbookReader(
    input as never,
    {
      worksheets: 'emit',
      sharedStrings: 'cache',
      hyperlinks: 'ignore',
      styles: 'cache', // needed to tell date cells from numbers
    } as never,
  )
  const results: SheetResult[] = []
  let index = -1
  for await (const ws of reader as AsyncIterable<AsyncIterable<unknown> & { name: string }>) {
    const sheet = ws.name
    index++
    if (options.sheets && !options.sheets(index, sheet)) continue
    let header: string[] | undefined
    let sink: CsvSink | undefined
    let rows = 0
    let pending = 0
    for await (const row of ws as AsyncIterable<{
      number: number
      values: unknown[]
      getCell(i: number): { numFmt?: string }
    }>) {
      const values = row.values ?? []
      if (!header) {
        const h = Array.from({ length: Math.max(values.length - 1, 0) }, (_, i) => cellText(values[i + 1]).trim())
        while (h.length > 0 && h[h.length - 1] === '') h.pop()
        if (h.length === 0) continue
        header = h
        const extra = ['sheet_name', 'source_file', SOURCE_ROW].filter((c) => !h.includes(c))
        sink = openSink(sheet)
        await sink.write(stringify([[...h, ...extra]]))
        continue
      }
      const cells = header.map((name, i) => {
        const v = values[i + 1]
        return cellText(
          v,
          v instanceof Date || (typeof v === 'object' && v !== null) ? row.getCell(i + 1).numFmt : undefined,
          Object.hasOwn(kinds, name) ? kinds[name] : undefined,
        )
      })
      if (cells.every((c) => c === '')) continue
      const meta: Record<string, string> = {
        sheet_name: sheet,
        source_file: sourceFile,
        [SOURCE_ROW]: String(row.number),
      }
      for (const col of ['sheet_name', 'source_file', SOURCE_ROW]) {
        const at = header.indexOf(col)
        if (at >= 0) {
          if (cells[at] === '') cells[at] = meta[col]
        } else cells.push(meta[col])
      }
      await sink?.write(stringify([cells]))
      rows++
      if (onRows && ++pending >= 1000) {
        onRows(pending)
        pending = 0
      }
    }
    if (onRows && pending > 0) onRows(pending)
    if (sink) await sink.close()
    results.push({ sheet, rows, columns: header ?? [], empty: header === undefined })
  }
  return results
}

/** The worksheet names of an .xlsx in workbook order (no sheet is parsed). Throws on a corrupt input. */
export async function listSheets(input: string | ReadableStream<Uint8Array>): Promise<string[]> {
  const reader = new WorkbookReader(
    input as never,
    { worksheets: 'emit', sharedStrings: 'ignore', hyperlinks: 'ignore', styles: 'ignore' } as never,
  )
  const names: string[] = []
  for await (const ws of reader as AsyncIterable<{ name: string }>) names.push(ws.name)
  return names
}
