import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { WorkbookWriter } from '@cj-tech-master/excelts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseCsvRecords } from './csv.js'
import { preprocess } from './preprocess.js'
import { LocalFileStore, readText } from './store.js'
import { type CsvSink, convertXlsx } from './xlsx.js'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'etl-xlsx-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

function memorySinks(): { sinks: Map<string, string>; open: (sheet: string) => CsvSink } {
  const sinks = new Map<string, string>()
  return {
    sinks,
    open: (sheet) => {
      let text = ''
      return {
        write: (c) => {
          text += c
        },
        close: async () => {
          sinks.set(sheet, text)
        },
      }
    },
  }
}

async function writeBook(path: string, build: (wb: WorkbookWriter) => Promise<void>): Promise<void> {
  const wb = new WorkbookWriter({ filename: path, useSharedStrings: true, useStyles: true } as never)
  await build(wb)
  await wb.commit()
}

describe('xlsx → CSV', () => {
  it('writes real dates and datetimes, cached formula values, and handles empty and header-only sheets', async () => {
    const path = join(dir, 'mixed.xlsx')
    await writeBook(path, async (wb) => {
      const s = wb.addWorksheet('Jan')
      s.addRow(['order_id', 'order_timestamp', 'date', 'total_amount', 'note']).commit()
      const r = s.addRow([
        1,
        new Date(Date.UTC(2025, 0, 2, 3, 4, 5)),
        new Date(Date.UTC(2025, 0, 2)),
        { formula: 'ROUND(12.345,2)', result: 12.35 },
        'a, "quoted" note',
      ])
      r.getCell(2).numFmt = 'yyyy-mm-dd hh:mm:ss'
      r.getCell(3).numFmt = 'yyyy-mm-dd'
      r.commit()
      s.addRow([]).commit()
      s.addRow([2, new Date(Date.UTC(2025, 0, 3, 0, 0, 0)), null, 7, null]).getCell(2).numFmt = 'yyyy-mm-dd hh:mm'
      await s.commit()
      await wb.addWorksheet('Empty').commit()
      const h = wb.addWorksheet('HeaderOnly')
      h.addRow(['order_id', 'date']).commit()
      await h.commit()
    })
    const { sinks, open } = memorySinks()
    const sheets = await convertXlsx(path, 'mixed.xlsx', open)
    expect(sheets.map((s) => [s.sheet, s.rows, s.empty])).toEqual([
      ['Jan', 2, false],
      ['Empty', 0, true],
      ['HeaderOnly', 0, false],
    ])
    expect([...sinks.keys()]).toEqual(['Jan', 'HeaderOnly'])
    const recs = parseCsvRecords(sinks.get('Jan') as string, 'ignored.csv')
    expect(recs.map((r) => r.fields)).toEqual([
      {
        order_id: '1',
        order_timestamp: '2025-01-02T03:04:05Z',
        date: '2025-01-02',
        total_amount: '12.35',
        note: 'a, "quoted" note',
        sheet_name: 'Jan',
        source_file: 'mixed.xlsx',
        source_row: '2',
      },
      {
        order_id: '2',
        order_timestamp: '2025-01-03T00:00:00Z',
        date: '',
        total_amount: '7',
        note: '',
        sheet_name: 'Jan',
        source_file: 'mixed.xlsx',
        source_row: '4',
      },
    ])
    expect(recs.map((r) => [r.sheet, r.file, r.row])).toEqual([
      ['Jan', 'mixed.xlsx', 2],
      ['Jan', 'mixed.xlsx', 4],
    ])
    expect(sinks.get('HeaderOnly')).toBe('order_id,date,sheet_name,source_file,source_row\n')
  })

  it('reports corrupt and non-xlsx inputs with a clear error and still converts the other files', async () => {
    const wh = join(dir, 'wh')
    const store = new LocalFileStore(wh)
    await store.put('raw/orders/broken.xlsx', new TextEncoder().encode('this is not a zip'))
    const good = join(dir, 'good.xlsx')
    await writeBook(good, async (wb) => {
      const s = wb.addWorksheet('S')
      s.addRow(['order_id']).commit()
      s.addRow([5]).commit()
      await s.commit()
    })
    const bytes = await readFile(good)
    await store.put('raw/orders/good.xlsx', new Uint8Array(bytes))
    await store.put('raw/orders/truncated.xlsx', new Uint8Array(bytes.subarray(0, Math.floor(bytes.length / 2))))
    await store.put('raw/orders/notes.txt', new TextEncoder().encode('hello'))
    await store.put('raw/products/products.csv', new TextEncoder().encode('product_id,product_name\n1,a\n'))
    const res = await preprocess(store, 'r1')
    expect(res.errors.map((e) => e.rawPath).sort()).toEqual([
      'raw/orders/broken.xlsx',
      'raw/orders/notes.txt',
      'raw/orders/truncated.xlsx',
    ])
    expect(res.errors.find((e) => e.rawPath.endsWith('broken.xlsx'))?.error).toMatch(/not an \.xlsx file/)
    expect(res.errors.find((e) => e.rawPath.endsWith('truncated.xlsx'))?.error).toMatch(
      /truncated\.xlsx: corrupt or unreadable \.xlsx/,
    )
    expect(res.files.map((f) => [f.path, f.rows])).toEqual([
      ['preprocessed/orders/r1/good__S.csv', 1],
      ['preprocessed/products/r1/products.csv', 1],
    ])
    expect(await readText(store, 'preprocessed/orders/r1/good__S.csv')).toBe(
      'order_id,sheet_name,source_file,source_row\n5,S,good.xlsx,2\n',
    )
  })

  it('streams a 100k-row sheet with bounded memory growth', async () => {
    const path = join(dir, 'big.xlsx')
    const n = 100_000
    await writeBook(path, async (wb) => {
      const s = wb.addWorksheet('Big')
      s.addRow(['id', 'order_timestamp', 'amount']).commit()
      const t0 = Date.UTC(2025, 0, 1)
      for (let i = 0; i < n; i++) {
        const r = s.addRow([i + 1, new Date(t0 + i * 1000), (i % 1000) / 100])
        r.getCell(2).numFmt = 'yyyy-mm-dd hh:mm:ss'
        r.commit()
      }
      await s.commit()
    })
    global.gc?.()
    const before = process.memoryUsage().rss
    let peak = before
    let rows = 0
    let lastChunk = ''
    let chunks = 0
    const res = await convertXlsx(
      path,
      'big.xlsx',
      () => ({
        // Keep only the last chunk: the sink side must not be what holds memory here.
        write: (c) => {
          lastChunk = c
          chunks++
          peak = Math.max(peak, process.memoryUsage().rss)
        },
        close: async () => undefined,
      }),
      {
        onRows: (k) => {
          rows += k
        },
      },
    )
    expect(res[0].rows).toBe(n)
    expect(rows).toBe(n)
    // Rows reach the sink in chunks of a few thousand lines, the last one ending with the last row.
    expect(chunks).toBeGreaterThan(10)
    expect(lastChunk.endsWith(`\n100000,2025-01-02T03:46:39Z,9.99,Big,big.xlsx,100001\n`)).toBe(true)
    // The whole sheet as JS cell objects would take hundreds of MB; streaming stays far below that.
    expect(peak - before).toBeLessThan(250 * 1024 * 1024)
  })
})
