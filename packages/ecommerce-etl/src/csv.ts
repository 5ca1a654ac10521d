/** CSV reading (csv-parse) and writing (csv-stringify) for raw, preprocessed and rejected files. */
import { parse } from 'csv-parse/sync'
import { stringify } from 'csv-stringify/sync'
import type { RawRecord } from './rules.js'

/** Column the preprocessing adds with the row's number in the original sheet (1 = header row). */
export const SOURCE_ROW = 'source_row'

/**
 * Parses CSV text (header line first) into raw records. `file` and `sheet` label the records when the CSV has no
 * `source_file`/`sheet_name` columns; the row number comes from a `source_row` column when present (rows
 * converted from Excel), else from the line position (header = 1). Empty lines are skipped; a malformed CSV
 * (e.g. an unclosed quote) throws csv-parse's error, which names the line.
 */
export function parseCsvRecords(text: string, file: string, sheet = '', startIndex = 0): RawRecord[] {
  const rows = parse(text, {
    columns: true,
    skip_empty_lines: true,
    bom: true,
    relax_column_count: true,
    info: true,
  }) as {
    record: Record<string, string>
    info: { lines: number }
  }[]
  return rows.map(({ record, info }, i) => {
    const fields = record
    const row = fields[SOURCE_ROW] !== undefined && fields[SOURCE_ROW] !== '' ? Number(fields[SOURCE_ROW]) : info.lines
    return {
      fields,
      file: fields.source_file || file,
      sheet: fields.sheet_name ?? sheet,
      row,
      index: startIndex + i,
    }
  })
}

/** Serializes rows to CSV with a header line; `null`/`undefined` become empty cells. */
export function toCsv(columns: readonly string[], rows: readonly (readonly unknown[])[]): string {
  return stringify([columns as unknown[], ...(rows as unknown[][])], {
    cast: { bigint: (v: bigint) => v.toString(), boolean: (v: boolean) => (v ? 'true' : 'false') },
  })
}
