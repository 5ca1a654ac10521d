/**
 * Streaming .xlsx → CSV conversion (what the seed's xlsx_to_csv_job did), on this package's sheet reader
 * (`xlsx-read.ts`): rows are scanned from the inflated sheet XML and written to CSV as they come, so a large
 * sheet never sits in memory as cells. Dates and datetimes come out as real values (`YYYY-MM-DD`, ISO-8601
 * UTC), formulas as their cached result.
 */
import { SOURCE_ROW } from './csv.js'
import {
  bytesSource,
  type DateCell,
  fileSource,
  openXlsx,
  readSheet,
  type SheetCell,
  type XlsxWorkbook,
  type ZipSource,
} from './xlsx-read.js'

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
  return isoDateText(d.toISOString(), numFmt, kind)
}

/** {@link formatDateCell} on the instant's ISO text. */
function isoDateText(iso: string, numFmt: string | undefined, kind: CellKind): string {
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

/** A workbook input: a local path, bytes in memory, or an already opened workbook (not closed here). */
export type XlsxInput = string | Uint8Array | XlsxWorkbook

const NEEDS_QUOTES = /[",\n\r]/
const QUOTES = /"/g

/** One CSV field as csv-stringify writes it (quoted when it holds a quote, comma or line break). */
function csvField(s: string): string {
  return NEEDS_QUOTES.test(s) ? `"${s.replace(QUOTES, '""')}"` : s
}

const MS_PER_DAY = 86_400_000
/** Instants of years 0001 to 9999: their ISO text is the plain `YYYY-MM-DDTHH:MM:SS.sssZ` shape. */
const MIN_FAST_MS = -62_135_596_800_000
const MAX_FAST_MS = 253_402_300_799_999
let lastDay = Number.NaN
let lastDayText = ''

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n))

/**
 * `new Date(ms).toISOString()`, by arithmetic for years 0001–9999 (civil-from-days, H. Hinnant), with the
 * date part of the previous call reused (a sheet's dates come in runs of the same day). Exported for tests.
 */
export function isoOfMs(ms: number): string {
  if (ms < MIN_FAST_MS || ms > MAX_FAST_MS || !Number.isInteger(ms)) return new Date(ms).toISOString()
  const days = Math.floor(ms / MS_PER_DAY)
  let rest = ms - days * MS_PER_DAY
  if (days !== lastDay) {
    const z = days + 719_468
    const era = Math.floor(z / 146_097)
    const doe = z - era * 146_097
    const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365)
    const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
    const mp = Math.floor((5 * doy + 2) / 153)
    const d = doy - Math.floor((153 * mp + 2) / 5) + 1
    const m = mp < 10 ? mp + 3 : mp - 9
    const y = yoe + era * 400 + (m <= 2 ? 1 : 0)
    lastDay = days
    lastDayText = `${String(y).padStart(4, '0')}-${pad2(m)}-${pad2(d)}T`
  }
  const h = Math.floor(rest / 3_600_000)
  rest -= h * 3_600_000
  const mi = Math.floor(rest / 60_000)
  rest -= mi * 60_000
  const sec = Math.floor(rest / 1000)
  const msPart = rest - sec * 1000
  return `${lastDayText}${pad2(h)}:${pad2(mi)}:${pad2(sec)}.${msPart < 10 ? '00' : msPart < 100 ? '0' : ''}${msPart}Z`
}

/** A date cell's text (see {@link cellText}'s date rules). */
function dateCellText(d: DateCell, kind: CellKind): string {
  if (!Number.isFinite(d.ms) || Math.abs(d.ms) > 8.64e15) return ''
  return isoDateText(isoOfMs(d.ms), d.numFmt, kind)
}

/** The text of a cell the reader gave, for a column of kind `kind`. */
function sheetCellText(c: SheetCell, kind: CellKind): string {
  if (c === undefined) return ''
  if (typeof c === 'string') return c
  return dateCellText(c, kind)
}

async function openInput(input: XlsxInput): Promise<{ wb: XlsxWorkbook; owned: boolean }> {
  if (typeof input === 'object' && !(input instanceof Uint8Array)) return { wb: input, owned: false }
  const src: ZipSource = typeof input === 'string' ? await fileSource(input) : bytesSource(input)
  return { wb: await openXlsx(src), owned: true }
}

/**
 * Streams every worksheet of an .xlsx to CSV: the first row is the header, every data row gets `sheet_name`,
 * `source_file` and `source_row` (its row number in the sheet) appended, blank rows are skipped. A sheet with
 * no rows produces no sink; a header-only sheet produces a header-only CSV. Date cells keep their time of day
 * whatever their display format (see {@link ConvertXlsxOptions.kinds}). `input` is a path, the workbook's
 * bytes, or a workbook opened with `openXlsx`.
 *
 * @throws XlsxReadError (with its `code`) on a corrupt or non-xlsx input; the caller reports it and goes on
 *   with other files.
 */
export async function convertXlsx(
  input: XlsxInput,
  sourceFile: string,
  openSink: (sheet: string) => CsvSink,
  options: ConvertXlsxOptions = {},
): Promise<SheetResult[]> {
  const { onRows, kinds = {} } = options
  const { wb, owned } = await openInput(input)
  const results: SheetResult[] = []
  const sourceField = csvField(sourceFile)
  try {
    for (let index = 0; index < wb.sheets.length; index++) {
      const sheet = wb.sheets[index].name
      if (options.sheets && !options.sheets(index, sheet)) continue
      let header: string[] | undefined
      let colKinds: CellKind[] = []
      let sink: CsvSink | undefined
      let rows = 0
      let pending = 0
      // Where each meta column goes: an existing header column (filled when blank) or appended.
      let metaAt: number[] = []
      let suffix = ''
      let lines: string[] = []
      const sheetField = csvField(sheet)
      const out: string[] = []
      const flush = async () => {
        if (lines.length === 0 || !sink) return
        const text = lines.join('')
        lines = []
        await sink.write(text)
      }
      const writes: Promise<void>[] = []
      await readSheet(wb, index, (rowNumber, cells, width) => {
        if (!header) {
          const h: string[] = []
          for (let i = 0; i < width; i++) {
            const c = cells[i]
            // A header cell's date is read without its format (as the cell-value path always did).
            h.push(
              (typeof c === 'object' ? dateCellText({ ms: c.ms, numFmt: undefined }, undefined) : (c ?? '')).trim(),
            )
          }
          while (h.length > 0 && h[h.length - 1] === '') h.pop()
          if (h.length === 0) return
          header = h
          colKinds = h.map((name) => (Object.hasOwn(kinds, name) ? kinds[name] : undefined))
          const extra = ['sheet_name', 'source_file', SOURCE_ROW].filter((c) => !h.includes(c))
          metaAt = ['sheet_name', 'source_file', SOURCE_ROW].map((c) => h.indexOf(c))
          suffix = ''
          if (metaAt[0] < 0) suffix += `,${sheetField}`
          if (metaAt[1] < 0) suffix += `,${sourceField}`
          sink = openSink(sheet)
          lines.push(`${[...h, ...extra].map(csvField).join(',')}\n`)
          return
        }
        const n = header.length
        let blank = true
        out.length = n
        for (let i = 0; i < n; i++) {
          const t = i < width ? sheetCellText(cells[i], colKinds[i]) : ''
          out[i] = t
          if (t !== '') blank = false
        }
        if (blank) return
        if (metaAt[0] >= 0 && out[metaAt[0]] === '') out[metaAt[0]] = sheet
        if (metaAt[1] >= 0 && out[metaAt[1]] === '') out[metaAt[1]] = sourceFile
        if (metaAt[2] >= 0 && out[metaAt[2]] === '') out[metaAt[2]] = String(rowNumber)
        let line = csvField(out[0])
        for (let i = 1; i < n; i++) line += `,${csvField(out[i])}`
        line += suffix
        if (metaAt[2] < 0) line += `,${rowNumber}`
        lines.push(`${line}\n`)
        rows++
        if (lines.length >= 4096) writes.push(flush())
        if (onRows && ++pending >= 1000) {
          onRows(pending)
          pending = 0
        }
      })
      await Promise.all(writes)
      await flush()
      if (onRows && pending > 0) onRows(pending)
      if (sink) await (sink as CsvSink).close()
      results.push({ sheet, rows, columns: header ?? [], empty: header === undefined })
    }
  } finally {
    if (owned) await wb.close()
  }
  return results
}

/** The worksheet names of an .xlsx in workbook order (no sheet is read). Throws XlsxReadError on a corrupt input. */
export async function listSheets(input: string | Uint8Array): Promise<string[]> {
  const { wb } = await openInput(input)
  try {
    return wb.sheets.map((s) => s.name)
  } finally {
    await wb.close()
  }
}
