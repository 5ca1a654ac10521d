/**
 * Raw input as columns: a CSV text is cut into batches of cells by column (one string array per header
 * name), never into one object per row. The jobs type these columns into Arrow data, evaluate their
 * expectations on them and build per-row records only for the rows they reject.
 */
import { SOURCE_ROW } from './csv.js'
import type { RawRecord } from './rules.js'

/** Rows of raw cells by column, with each row's origin. */
export interface RawBatch {
  length: number
  /** Header names in file order. */
  names: readonly string[]
  /** Cells by header name: the text as in the file, `undefined` when the row is shorter than the header. */
  columns: ReadonlyMap<string, readonly (string | undefined)[]>
  /** Per row: source file (the `source_file` cell, else the CSV's name), sheet and row number. */
  file: readonly string[]
  sheet: readonly string[]
  row: Int32Array
  /** Input position of the first row within its job (rows are numbered across a job's files). */
  start: number
}

/** The record of row `i` of a batch (for rejections and error messages; the hot path never builds one). */
export function recordAt(batch: RawBatch, i: number): RawRecord {
  const fields: Record<string, string> = {}
  for (const name of batch.names) {
    const v = batch.columns.get(name)?.[i]
    if (v !== undefined) fields[name] = v
  }
  return { fields, file: batch.file[i], sheet: batch.sheet[i], row: batch.row[i], index: batch.start + i }
}

/** A batch of the given records (the library's record API goes through the same columnar path). */
export function batchOfRecords(records: readonly RawRecord[], start = 0): RawBatch {
  const names: string[] = []
  const seen = new Set<string>()
  for (const r of records)
    for (const k of Object.keys(r.fields))
      if (!seen.has(k)) {
        seen.add(k)
        names.push(k)
      }
  const columns = new Map<string, (string | undefined)[]>()
  for (const n of names)
    columns.set(
      n,
      records.map((r) => r.fields[n]),
    )
  return {
    length: records.length,
    names,
    columns,
    file: records.map((r) => r.file),
    sheet: records.map((r) => r.sheet),
    row: Int32Array.from(records, (r) => r.row),
    start,
  }
}

const QUOTE = 34
const COMMA = 44
const LF = 10
const CR = 13

/**
 * Cuts CSV text (header line first; RFC 4180 quoting; CRLF or LF; a BOM is skipped; empty lines are
 * skipped) into batches of at most `batchRows` rows, as {@link RawBatch}es. Row numbers come from a
 * `source_row` column when present (rows converted from Excel), else the line the record ends on (header = 1),
 * as {@link parseCsvRecords} numbers them. Short rows leave `undefined` cells; cells beyond the header are
 * ignored.
 *
 * @throws Error naming the line when a quoted field is not closed.
 */
export function* csvBatches(
  text: string,
  file: string,
  sheet = '',
  options: { batchRows?: number; start?: number } = {},
): Generator<RawBatch> {
  const batchRows = options.batchRows ?? 65_536
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0
  let line = 1
  const len = text.length
  const cells: string[] = []

  /** Reads one record into `cells`; returns false at the end of the text. */
  const readRecord = (): boolean => {
    cells.length = 0
    // Skip empty lines.
    while (pos < len) {
      const c = text.charCodeAt(pos)
      if (c === LF) {
        pos++
        line++
      } else if (c === CR && text.charCodeAt(pos + 1) === LF) {
        pos += 2
        line++
      } else break
    }
    if (pos >= len) return false
    for (;;) {
      if (text.charCodeAt(pos) === QUOTE) {
        const startLine = line
        let out = ''
        let from = pos + 1
        let i = from
        for (;;) {
          const q = text.indexOf('"', i)
          if (q < 0)
            throw new Error(`Quote Not Closed: the parsing is finished with an opening quote at line ${startLine}`)
          for (let k = i; k < q; k++) if (text.charCodeAt(k) === LF) line++
          if (text.charCodeAt(q + 1) === QUOTE) {
            out += text.slice(from, q + 1)
            from = q + 2
            i = from
            continue
          }
          out += text.slice(from, q)
          pos = q + 1
          break
        }
        cells.push(out)
      } else {
        let i = pos
        while (i < len) {
          const c = text.charCodeAt(i)
          if (c === COMMA || c === LF || (c === CR && text.charCodeAt(i + 1) === LF)) break
          i++
        }
        cells.push(text.slice(pos, i))
        pos = i
      }
      const c = text.charCodeAt(pos)
      if (c === COMMA) {
        pos++
        continue
      }
      if (pos < len && c !== LF && c !== CR)
        throw new Error(
          `Invalid Closing Quote: got "${text[pos]}" at line ${line} instead of a delimiter or record end`,
        )
      if (c === CR) pos += 2
      else if (c === LF) pos++
      if (pos <= len) line++
      return true
    }
  }

  if (!readRecord()) return
  const names = [...cells]
  const rowAt = names.indexOf(SOURCE_ROW)
  const fileAt = names.indexOf('source_file')
  const sheetAt = names.indexOf('sheet_name')
  let start = options.start ?? 0
  for (;;) {
    const cols = names.map(() => [] as (string | undefined)[])
    const files: string[] = []
    const sheets: string[] = []
    const rows: number[] = []
    while (rows.length < batchRows && readRecord()) {
      // Lines of only separators are rows of blanks; a record always has the header's columns (or fewer).
      for (let k = 0; k < names.length; k++) cols[k].push(k < cells.length ? cells[k] : undefined)
      const sf = fileAt >= 0 ? cells[fileAt] : undefined
      files.push(sf ? sf : file)
      sheets.push(sheetAt >= 0 && sheetAt < cells.length ? cells[sheetAt] : sheet)
      const sr = rowAt >= 0 ? cells[rowAt] : undefined
      rows.push(sr !== undefined && sr !== '' ? Number(sr) : line - 1)
    }
    if (rows.length === 0) return
    const columns = new Map<string, (string | undefined)[]>()
    names.forEach((n, k) => {
      if (!columns.has(n)) columns.set(n, cols[k])
    })
    yield {
      length: rows.length,
      names: [...columns.keys()],
      columns,
      file: files,
      sheet: sheets,
      row: Int32Array.from(rows),
      start,
    }
    start += rows.length
    if (rows.length < batchRows) return
  }
}
