/**
 * Excel datetimes keep their time of day, end to end. Workbooks written by two libraries (excelts, which this
 * package reads with, and SheetJS) give datetime cells a date-only display format by default (`mm-dd-yy`,
 * `m/d/yy`); the value holds the full datetime, and the value decides. Each workbook holds two versions of one
 * order on one day, the newer one first: the warehouse must keep the newer one, with its time.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Workbook, WorkbookWriter } from '@cj-tech-master/excelts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as XLSX from 'xlsx'
import { arrowToRows } from '../src/arrow.js'
import { parseCsvRecords } from '../src/csv.js'
import { ConsoleNotifier } from '../src/notify.js'
import { runPipeline } from '../src/pipeline.js'
import { formatDate, formatDecimal, formatTimestamp } from '../src/values.js'
import { Warehouse } from '../src/warehouse.js'
import { type CsvSink, convertXlsx } from '../src/xlsx.js'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'etl-xlsx-dt-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

const utc = (iso: string) => new Date(`${iso}Z`)
const HEADER = ['order_num', 'order_id', 'user_id', 'order_timestamp', 'total_amount', 'date']
/** Order 7 twice on 2025-03-04 (newer first, so "later row wins ties" would pick the older one), order 8 once. */
const ROWS: unknown[][] = [
  [1, 7, 70, utc('2025-03-04T18:30:15'), 99, utc('2025-03-04T00:00:00')],
  [2, 7, 70, utc('2025-03-04T09:00:00'), 10, utc('2025-03-04T00:00:00')],
  [3, 8, 80, utc('2025-03-05T23:59:59'), 5.5, null],
  // A datetime at exactly midnight stays a datetime in a timestamp column.
  [4, 9, 90, utc('2025-03-06T00:00:00'), 1, utc('2025-03-06T00:00:00')],
]
const TS_COL = 4 // 1-based column of order_timestamp
const DATE_COL = 6

type Writer = (path: string, formatted: boolean) => Promise<void>

/** excelts' streaming writer: Date cells get `mm-dd-yy` unless the cell has its own format. */
const exceltsStreaming: Writer = async (path, formatted) => {
  const wb = new WorkbookWriter({ filename: path, useSharedStrings: true, useStyles: true } as never)
  const s = wb.addWorksheet('2025-03')
  s.addRow(HEADER).commit()
  for (const r of ROWS) {
    const row = s.addRow(r)
    if (formatted) {
      row.getCell(TS_COL).numFmt = 'yyyy-mm-dd hh:mm:ss'
      row.getCell(DATE_COL).numFmt = 'yyyy-mm-dd'
    }
    row.commit()
  }
  await s.commit()
  await wb.commit()
}

/** excelts' in-memory Workbook (a different code path of the same library). */
const exceltsWorkbook: Writer = async (path, formatted) => {
  const wb = new Workbook()
  const s = wb.addWorksheet('2025-03')
  s.addRow(HEADER)
  for (const r of ROWS) {
    const row = s.addRow(r)
    if (formatted) row.getCell(TS_COL).numFmt = 'dd/mm/yyyy hh:mm'
  }
  await wb.xlsx.writeFile(path)
}

/** SheetJS: Date cells become serial numbers with format 14 (`m/d/yy`) unless the cell has a `z` format. */
const sheetjs: Writer = async (path, formatted) => {
  const ws = XLSX.utils.aoa_to_sheet([HEADER, ...ROWS])
  if (formatted) {
    for (let r = 1; r <= ROWS.length; r++) {
      const cell = ws[XLSX.utils.encode_cell({ r, c: TS_COL - 1 })]
      cell.z = 'yyyy-mm-dd hh:mm:ss'
    }
  }
  const wb = XLSX.utils.book_new()
  XLSX.utils.book_append_sheet(wb, ws, '2025-03')
  await writeFile(path, XLSX.write(wb, { type: 'buffer', bookType: 'xlsx' }))
}

const WRITERS: [string, Writer][] = [
  ['excelts (streaming writer)', exceltsStreaming],
  ['excelts (Workbook)', exceltsWorkbook],
  ['SheetJS', sheetjs],
]
const CASES = WRITERS.flatMap(([name, w]) =>
  [false, true].map((formatted) => ({
    name: `${name}, ${formatted ? 'datetime-formatted' : 'default-formatted (date-only)'} cells`,
    write: w,
    formatted,
    file: `${name.replace(/\W+/g, '_')}_${formatted ? 'fmt' : 'default'}.xlsx`,
  })),
)

function memorySink(): { text: () => string; open: () => CsvSink } {
  let text = ''
  return {
    text: () => text,
    open: () => ({
      write: (c) => {
        text += c
      },
      close: async () => undefined,
    }),
  }
}

describe('xlsx → CSV keeps the time of day of datetime cells', () => {
  for (const { name, write, formatted, file } of CASES)
    it(`${name}: non-midnight values keep their time without a schema`, async () => {
      const path = join(dir, `plain-${file}`)
      await write(path, formatted)
      const sink = memorySink()
      await convertXlsx(path, file, sink.open)
      const recs = parseCsvRecords(sink.text(), file).map((r) => r.fields)
      expect(recs.map((r) => r.order_timestamp)).toEqual([
        '2025-03-04T18:30:15Z',
        '2025-03-04T09:00:00Z',
        '2025-03-05T23:59:59Z',
        // Without a schema a midnight value is as much a date as a datetime; either form is the same instant.
        expect.stringMatching(/^2025-03-06(T00:00:00Z)?$/),
      ])
      expect(recs.map((r) => r.date)).toEqual([
        expect.stringMatching(/^2025-03-04(T00:00:00Z)?$/),
        expect.stringMatching(/^2025-03-04(T00:00:00Z)?$/),
        '',
        expect.stringMatching(/^2025-03-06(T00:00:00Z)?$/),
      ])
    })

  for (const c of CASES)
    it(`${c.name}: with the orders schema, timestamps are datetimes and dates are days`, async () => {
      const path = join(dir, `schema-${c.file}`)
      await c.write(path, c.formatted)
      const sink = memorySink()
      await convertXlsx(path, c.file, sink.open, { kinds: { order_timestamp: 'timestamp', date: 'date' } })
      const recs = parseCsvRecords(sink.text(), c.file).map((r) => r.fields)
      expect(recs.map((r) => [r.order_timestamp, r.date])).toEqual([
        ['2025-03-04T18:30:15Z', '2025-03-04'],
        ['2025-03-04T09:00:00Z', '2025-03-04'],
        ['2025-03-05T23:59:59Z', ''],
        ['2025-03-06T00:00:00Z', '2025-03-06'],
      ])
    })
})

describe('pipeline on Excel datetimes with date-only display formats', () => {
  for (const c of CASES)
    it(`${c.name}: the warehouse keeps the time and the newer duplicate wins`, async () => {
      const input = join(dir, `in-${c.file}`)
      await mkdir(join(input, 'orders'), { recursive: true })
      await c.write(join(input, 'orders', 'orders.xlsx'), c.formatted)
      const warehouse = join(dir, `wh-${c.file}`)
      const r = await runPipeline({ warehouse, raw: input, notifiers: [new ConsoleNotifier(() => undefined)] })
      expect(r.steps.find((s) => s.name === 'orders')?.status).toBe('succeeded')
      expect(r.jobs.orders).toMatchObject({ inputRows: 4, accepted: 3, rejected: 0, duplicates: 1 })

      const table = await (await Warehouse.open(warehouse)).openTable('orders')
      const rows = arrowToRows(await (await table!.snapshot()).scan({}).toArrow())
      const got = rows
        .map((row) => ({
          order_id: Number(row.order_id),
          order_num: Number(row.order_num),
          order_timestamp: formatTimestamp(row.order_timestamp as bigint),
          total_amount: formatDecimal(row.total_amount as bigint, 2),
          date: formatDate(row.date as number),
        }))
        .sort((a, b) => a.order_id - b.order_id)
      expect(got).toEqual([
        {
          order_id: 7,
          order_num: 1,
          order_timestamp: '2025-03-04T18:30:15.000000Z',
          total_amount: '99.00',
          date: '2025-03-04',
        },
        {
          order_id: 8,
          order_num: 3,
          order_timestamp: '2025-03-05T23:59:59.000000Z',
          total_amount: '5.50',
          date: '2025-03-05',
        },
        {
          order_id: 9,
          order_num: 4,
          order_timestamp: '2025-03-06T00:00:00.000000Z',
          total_amount: '1.00',
          date: '2025-03-06',
        },
      ])
    })
})
