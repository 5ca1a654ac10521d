/**
 * The sheet reader against @cj-tech-master/excelts (the reader it replaced), cell for cell and CSV byte for
 * byte, on workbooks written by excelts (streaming and in-memory), SheetJS and by hand (inline strings,
 * entities, gaps, prefixed XML), plus the cases where excelts is wrong and the typed errors of bad inputs.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Workbook, WorkbookReader, WorkbookWriter } from '@cj-tech-master/excelts'
import { stringify } from 'csv-stringify/sync'
import { strToU8, zipSync } from 'fflate'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as XLSX from 'xlsx'
import { SOURCE_ROW } from './csv.js'
import { writeGeneratedData } from './generate.js'
import { type CellKind, type CsvSink, cellText, convertXlsx, isoOfMs } from './xlsx.js'
import { bytesSource, fileSource, openXlsx, readSheet, type SheetCell, XlsxReadError } from './xlsx-read.js'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'etl-xlsx-read-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** The conversion as it was on excelts's WorkbookReader (the reference the new reader must reproduce). */
async function exceltsConvert(
  path: string,
  sourceFile: string,
  kinds: Readonly<Record<string, CellKind>> = {},
): Promise<Map<string, string>> {
  const reader = new WorkbookReader(
    path as never,
    { worksheets: 'emit', sharedStrings: 'cache', hyperlinks: 'ignore', styles: 'cache' } as never,
  )
  const out = new Map<string, string>()
  for await (const ws of reader as AsyncIterable<AsyncIterable<unknown> & { name: string }>) {
    let header: string[] | undefined
    let text = ''
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
        text += stringify([[...h, ...['sheet_name', 'source_file', SOURCE_ROW].filter((c) => !h.includes(c))]])
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
        sheet_name: ws.name,
        source_file: sourceFile,
        [SOURCE_ROW]: String(row.number),
      }
      for (const col of ['sheet_name', 'source_file', SOURCE_ROW]) {
        const at = header.indexOf(col)
        if (at >= 0) {
          if (cells[at] === '') cells[at] = meta[col]
        } else cells.push(meta[col])
      }
      text += stringify([cells])
    }
    if (header) out.set(ws.name, text)
  }
  return out
}

/** The new conversion's CSV per sheet. */
async function ownConvert(
  input: string | Uint8Array,
  sourceFile: string,
  kinds: Readonly<Record<string, CellKind>> = {},
): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  await convertXlsx(
    input,
    sourceFile,
    (sheet): CsvSink => {
      let text = ''
      return {
        write: (c) => {
          text += c
        },
        close: async () => {
          out.set(sheet, text)
        },
      }
    },
    { kinds },
  )
  return out
}

/** Every non-empty cell as excelts reads it: `sheet!row:col` → its text (formatted as the conversion does). */
async function exceltsCells(path: string): Promise<Map<string, string>> {
  const reader = new WorkbookReader(
    path as never,
    { worksheets: 'emit', sharedStrings: 'cache', hyperlinks: 'ignore', styles: 'cache' } as never,
  )
  const out = new Map<string, string>()
  for await (const ws of reader as AsyncIterable<AsyncIterable<unknown> & { name: string }>)
    for await (const row of ws as AsyncIterable<{
      number: number
      values: unknown[]
      getCell(i: number): { numFmt?: string }
    }>) {
      const values = row.values ?? []
      for (let i = 1; i < values.length; i++) {
        const v = values[i]
        const t = cellText(v, v instanceof Date ? row.getCell(i).numFmt : undefined)
        if (t !== '') out.set(`${ws.name}!${row.number}:${i - 1}`, t)
      }
    }
  return out
}

/** Every non-empty cell as the new reader reads it, keyed as {@link exceltsCells}. */
async function ownCells(path: string): Promise<Map<string, string>> {
  const wb = await openXlsx(await fileSource(path))
  const out = new Map<string, string>()
  try {
    for (let s = 0; s < wb.sheets.length; s++)
      await readSheet(wb, s, (r, cells, width) => {
        for (let i = 0; i < width; i++) {
          const c: SheetCell = cells[i]
          const t = c === undefined ? '' : typeof c === 'string' ? c : cellText(new Date(c.ms), c.numFmt)
          if (t !== '') out.set(`${wb.sheets[s].name}!${r}:${i}`, t)
        }
      })
  } finally {
    await wb.close()
  }
  return out
}

async function expectSameAsExcelts(path: string, kinds: Readonly<Record<string, CellKind>> = {}): Promise<void> {
  const cellsA = await exceltsCells(path)
  expect(cellsA.size).toBeGreaterThan(0)
  expect(Object.fromEntries(await ownCells(path))).toEqual(Object.fromEntries(cellsA))
  const name = path.slice(path.lastIndexOf('/') + 1)
  const csvA = await exceltsConvert(path, name, kinds)
  const csvB = await ownConvert(path, name, kinds)
  expect([...csvB.keys()]).toEqual([...csvA.keys()])
  for (const [sheet, text] of csvA) expect(csvB.get(sheet), sheet).toBe(text)
}

const utc = (iso: string) => new Date(`${iso}Z`)

/** Values of every kind excelts writes: numbers, strings to quote or escape, dates, booleans, formulas, errors. */
const MIXED_ROWS: unknown[][] = [
  [1, 'plain', 12.5, true, utc('2025-01-02T03:04:05'), utc('2025-01-02T00:00:00'), null, 'last'],
  [-7, 'a, "quoted" note', 0.1, false, utc('2025-06-30T23:59:59'), null, 1e-7, 'x'],
  [2 ** 53, '<tag> & \'apos\' "q"', 1.23e21, null, null, utc('1999-12-31T00:00:00'), -0.5, 'y'],
  [
    null,
    'line\nbreak\r\nand tab\t',
    { formula: 'A1*2', result: 2 },
    { formula: 'B1', result: 'plain' },
    null,
    null,
    null,
    'z',
  ],
  [
    3,
    'unicode: żółw 🐢 日本',
    { error: '#N/A' },
    { richText: [{ text: 'rich ' }, { font: { bold: true }, text: 'text' }] },
    null,
    null,
    0,
    '',
  ],
  [],
  [null, null, null, null, null, null, null, null],
  [4, '   padded   ', 100, '0042', utc('2025-03-01T12:00:00'), utc('2025-03-01T00:00:00'), 3, 'w'],
]
const MIXED_HEADER = ['id', 'text', 'amount', 'flag', 'order_timestamp', 'date', 'n', 'tail']

describe('the sheet reader reads what excelts reads', () => {
  it('gives the same cells and CSV for a streamed excelts workbook of every cell kind and several sheets', async () => {
    const path = join(dir, 'stream.xlsx')
    const wb = new WorkbookWriter({ filename: path, useSharedStrings: true, useStyles: true } as never)
    for (const [name, fmt] of [
      ['Formatted', true],
      ['Defaults', false],
    ] as const) {
      const s = wb.addWorksheet(name)
      s.addRow(MIXED_HEADER).commit()
      for (const cells of MIXED_ROWS) {
        const r = s.addRow(cells)
        if (fmt) {
          r.getCell(5).numFmt = 'yyyy-mm-dd hh:mm:ss'
          r.getCell(6).numFmt = 'yyyy-mm-dd'
          r.getCell(3).numFmt = '0.00'
        }
        r.commit()
      }
      await s.commit()
    }
    await wb.addWorksheet('Empty').commit()
    const h = wb.addWorksheet('Header & only')
    h.addRow(['order_id', 'date']).commit()
    await h.commit()
    await wb.commit()
    await expectSameAsExcelts(path)
    await expectSameAsExcelts(path, { order_timestamp: 'timestamp', date: 'date' })
  })

  it('gives the same cells and CSV for an in-memory excelts workbook with gaps and sparse rows', async () => {
    const wb = new Workbook()
    const s = wb.addWorksheet('Sparse')
    s.getRow(1).values = ['k', 'v', '', 'w']
    s.getCell('A3').value = 1
    s.getCell('D3').value = 'far'
    s.getCell('B7').value = utc('2024-02-29T10:20:30')
    s.getCell('A7').value = 7
    s.getCell('A9').value = { formula: 'A3+A7', result: 8 }
    s.getCell('AB9').value = 'beyond the header'
    const t = wb.addWorksheet('Second')
    t.addRow(['id', 'sheet_name', 'source_row'])
    t.addRow([1, '', ''])
    t.addRow([2, 'given', 99])
    const path = join(dir, 'memory.xlsx')
    await wb.xlsx.writeFile(path)
    await expectSameAsExcelts(path)
  })

  it('gives the same cells and CSV for a SheetJS workbook (inline str cells, 1904 dates, booleans)', async () => {
    for (const [name, opts] of [
      ['sheetjs.xlsx', { bookSST: false }],
      ['sheetjs-sst.xlsx', { bookSST: true }],
    ] as const) {
      const wb = XLSX.utils.book_new()
      const ws = XLSX.utils.aoa_to_sheet(
        [
          ['id', 'name', 'ok', 'when', 'amount'],
          [1, 'a&b <c>', true, utc('2025-01-02T03:04:05'), 1.5],
          [2, 'ünïcödé', false, utc('2025-01-03T00:00:00'), -2],
          [3, '', null, null, 1e-9],
        ],
        { cellDates: true },
      )
      XLSX.utils.book_append_sheet(wb, ws, 'One')
      XLSX.utils.book_append_sheet(wb, XLSX.utils.aoa_to_sheet([['x'], [42]]), 'Two')
      const path = join(dir, name)
      await writeFile(path, XLSX.write(wb, { type: 'buffer', bookType: 'xlsx', ...opts }))
      await expectSameAsExcelts(path)
    }
  })

  it('produces byte-identical CSVs for the generated demo workbooks (dates by column kind)', async () => {
    const out = join(dir, 'generated')
    await writeGeneratedData(out, { seed: 5, orders: 150, products: 40, maxItemsPerOrder: 4, format: 'xlsx' })
    const kinds = { order_timestamp: 'timestamp', date: 'date' } as const
    for (const ds of ['orders', 'order_items']) {
      const files = (await readdir(join(out, ds))).filter((f) => f.endsWith('.xlsx'))
      expect(files.length).toBe(1)
      await expectSameAsExcelts(join(out, ds, files[0]), kinds)
    }
  })
})

/** A minimal workbook zip around the given sheet XML bodies (and optional shared strings and styles). */
function handWorkbook(
  sheets: { name: string; xml: string }[],
  extra: { sst?: string; styles?: string; date1904?: boolean; prefix?: string } = {},
): Uint8Array {
  const p = extra.prefix ?? ''
  const ns = p ? `xmlns:${p.slice(0, -1)}` : 'xmlns'
  const files: Record<string, Uint8Array> = {
    '[Content_Types].xml': strToU8('<?xml version="1.0"?><Types/>'),
    '_rels/.rels': strToU8(
      '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    ),
    'xl/workbook.xml': strToU8(
      `<?xml version="1.0"?><${p}workbook ${ns}="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">${extra.date1904 ? `<${p}workbookPr date1904="1"/>` : ''}<${p}sheets>${sheets
        .map((s, i) => `<${p}sheet name="${s.name}" sheetId="${i + 1}" r:id="rId${i + 1}"/>`)
        .join('')}</${p}sheets></${p}workbook>`,
    ),
    'xl/_rels/workbook.xml.rels': strToU8(
      `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">${sheets
        .map(
          (_, i) =>
            `<Relationship Id="rId${i + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet${i + 1}.xml"/>`,
        )
        .join(
          '',
        )}<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/><Relationship Id="rIdT" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>`,
    ),
  }
  sheets.forEach((s, i) => {
    files[`xl/worksheets/sheet${i + 1}.xml`] = strToU8(
      `<?xml version="1.0"?><${p}worksheet ${ns}="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><${p}sheetData>${s.xml}</${p}sheetData></${p}worksheet>`,
    )
  })
  if (extra.sst) files['xl/sharedStrings.xml'] = strToU8(extra.sst)
  if (extra.styles) files['xl/styles.xml'] = strToU8(extra.styles)
  return zipSync(files)
}

const SST = `<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="4" uniqueCount="4"><si><t>id</t></si><si><t xml:space="preserve"> spaced &amp; &lt;escaped&gt; </t></si><si><r><rPr><b/></rPr><t>rich </t></r><r><t>runs</t></r></si><si><t/></si><si><t>last</t></si></sst>`
const STYLES = `<?xml version="1.0"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd hh:mm"/></numFmts><cellXfs count="4"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/><xf numFmtId="164" applyNumberFormat="1"/><xf numFmtId="2"/></cellXfs></styleSheet>`
const HAND_ROWS = [
  '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>name</t></is></c><c r="C1" t="inlineStr"><is><t>n</t></is></c><c r="E1" t="inlineStr"><is><t>d</t></is></c></row>',
  '<row r="2" spans="1:5"><c r="A2"><v>1</v></c><c r="B2" t="s"><v>1</v></c><c r="C2" s="3"><v>1.50</v></c><c r="E2" s="1"><v>45658</v></c></row>',
  '<row r="3"/>',
  '<row r="5"><c r="A5"><v>2</v></c><c r="B5" t="s"><v>2</v></c><c r="C5" t="b"><v>1</v></c><c r="D5" t="e"><v>#DIV/0!</v></c><c r="E5" s="2"><v>45658.5</v></c></row>',
  '<row r="6"><c r="A6" t="inlineStr"><is><t>&#x41;&#66;&amp;&quot;&apos;</t></is></c><c r="B6" t="s"><v>3</v></c><c r="C6"><v>0012.50</v></c><c r="D6" t="str"><f>1+1</f><v>2 as text</v></c><c r="E6"><f>E5</f><v>45658.5</v></c></row>',
  '<row r="7"><c r="A7" s="1"/><c r="B7"><v></v></c><c r="C7" t="b"><v>0</v></c></row>',
  '<row r="8"><c r="A8"><v>3</v></c><c r="C8"><v>-1E-3</v></c><c r="D8"><f>NA()</f></c><c r="E8" t="s"><v>4</v></c></row>',
]

describe('hand-written workbook XML', () => {
  it('reads inline and shared strings, entities, gaps, blank rows, booleans, errors and dates like excelts', async () => {
    const path = join(dir, 'hand.xlsx')
    await writeFile(
      path,
      handWorkbook(
        [
          { name: 'S1', xml: HAND_ROWS.join('') },
          { name: 'Other', xml: HAND_ROWS.slice(0, 2).join('') },
        ],
        { sst: SST, styles: STYLES },
      ),
    )
    await expectSameAsExcelts(path)
    const csv = await ownConvert(path, 'hand.xlsx')
    expect(csv.get('S1')).toBe(
      [
        'id,name,n,,d,sheet_name,source_file,source_row',
        '1, spaced & <escaped> ,1.5,,2025-01-01,S1,hand.xlsx,2',
        '2,rich runs,true,#DIV/0!,2025-01-01T12:00:00Z,S1,hand.xlsx,5',
        '"AB&""\'",,12.5,2 as text,45658.5,S1,hand.xlsx,6',
        ',,false,,,S1,hand.xlsx,7',
        '3,,-0.001,,last,S1,hand.xlsx,8',
        '',
      ].join('\n'),
    )
  })

  it('reads a namespace-prefixed workbook (x:row, x:c) as the same cells as the unprefixed one', async () => {
    // The hand rows with their shared strings written inline.
    const rows = HAND_ROWS.join('').replace(
      /t="s"><v>(\d)<\/v>/g,
      (_, k: string) => `t="inlineStr"><is><t>s${k}</t></is>`,
    )
    const prefixed = rows.replace(/<(\/?)(row|c|v|f|is|t)([ >/])/g, '<$1x:$2$3')
    const plain = await ownConvert(handWorkbook([{ name: 'P', xml: rows }], { styles: STYLES }), 'p.xlsx')
    const px = await ownConvert(
      handWorkbook([{ name: 'P', xml: prefixed }], { styles: STYLES, prefix: 'x:' }),
      'p.xlsx',
    )
    expect(px.get('P')).toBe(plain.get('P'))
    expect(plain.get('P')?.split('\n').length).toBeGreaterThan(4)
  })

  it('leaves phonetic runs out of a shared string (excelts returns the phonetic text instead)', async () => {
    const sst = `<sst><si><t>kanji</t><rPh sb="0" eb="1"><t>phonetic</t></rPh></si></sst>`
    const xml =
      '<row r="1"><c r="A1" t="inlineStr"><is><t>w</t></is></c></row><row r="2"><c r="A2" t="s"><v>0</v></c></row>'
    const csv = await ownConvert(handWorkbook([{ name: 'J', xml }], { sst }), 'j.xlsx')
    expect(csv.get('J')).toBe('w,sheet_name,source_file,source_row\nkanji,J,j.xlsx,2\n')
  })

  it('keeps every run of a rich inline string, reads t="d" cells as dates and rows without r refs in order', async () => {
    const xml = [
      '<row><c t="inlineStr"><is><t>k</t></is></c><c t="inlineStr"><is><t>when</t></is></c></row>',
      '<row><c t="inlineStr"><is><r><t>ab</t></r><r><rPr><i/></rPr><t>cd</t></r></is></c><c t="d"><v>2025-04-05T06:07:08</v></c></row>',
      '<row><c><v>5</v></c><c t="d"><v>2025-04-06</v></c></row>',
    ].join('')
    const csv = await ownConvert(handWorkbook([{ name: 'R', xml }]), 'r.xlsx', { when: 'timestamp' })
    expect(csv.get('R')).toBe(
      'k,when,sheet_name,source_file,source_row\nabcd,2025-04-05T06:07:08Z,R,r.xlsx,2\n5,2025-04-06T00:00:00Z,R,r.xlsx,3\n',
    )
  })

  it('reads dates in the 1904 date system', async () => {
    const xml =
      '<row r="1"><c r="A1" t="inlineStr"><is><t>d</t></is></c></row><row r="2"><c r="A2" s="1"><v>0</v></c></row>'
    const path = join(dir, 'd1904.xlsx')
    await writeFile(path, handWorkbook([{ name: 'D', xml }], { styles: STYLES, date1904: true }))
    expect((await ownConvert(path, 'd.xlsx')).get('D')).toBe(
      'd,sheet_name,source_file,source_row\n1904-01-01,D,d.xlsx,2\n',
    )
    await expectSameAsExcelts(path)
  })

  it('streams a sheet larger than one inflate chunk with rows split across chunks', async () => {
    const rows = [
      '<row r="1"><c r="A1" t="inlineStr"><is><t>i</t></is></c><c r="B1" t="inlineStr"><is><t>s</t></is></c></row>',
    ]
    for (let i = 2; i <= 60_000; i++)
      rows.push(
        `<row r="${i}"><c r="A${i}"><v>${i}</v></c><c r="B${i}" t="inlineStr"><is><t>v&amp;${i % 97}</t></is></c></row>`,
      )
    const bytes = handWorkbook([{ name: 'Big', xml: rows.join('') }])
    const csv = (await ownConvert(bytes, 'big.xlsx')).get('Big') as string
    const lines = csv.split('\n')
    expect(lines.length).toBe(60_001)
    expect(lines[1]).toBe('2,v&2,Big,big.xlsx,2')
    expect(lines[59_999]).toBe(`60000,v&${60_000 % 97},Big,big.xlsx,60000`)
  })
})

describe('unreadable inputs', () => {
  const code = async (bytes: Uint8Array) => {
    try {
      await ownConvert(bytes, 'bad.xlsx')
    } catch (err) {
      expect(err).toBeInstanceOf(XlsxReadError)
      return (err as XlsxReadError).code
    }
    return 'read'
  }

  it('rejects non-zip, truncated, damaged and non-workbook inputs with typed codes', async () => {
    const good = handWorkbook([{ name: 'S', xml: HAND_ROWS.slice(0, 2).join('') }], { sst: SST, styles: STYLES })
    expect(await code(good)).toBe('read')
    expect(await code(strToU8('id,name\n1,a\n'))).toBe('NOT_ZIP')
    expect(await code(good.subarray(0, Math.floor(good.length / 2)))).toBe('CORRUPT_ZIP')
    expect(await code(zipSync({ 'notes.txt': strToU8('hello') }))).toBe('NOT_XLSX')
    // Damaged deflate data inside an intact directory.
    const damaged = good.slice()
    const at = new TextDecoder('latin1').decode(damaged).indexOf('xl/worksheets/sheet1.xml') + 40
    for (let i = at; i < at + 30; i++) damaged[i] ^= 0x5a
    expect(['CORRUPT_ZIP', 'BAD_XML']).toContain(await code(damaged))
    // A well-formed zip whose sheet XML stops inside <sheetData>.
    const cut = zipSync({
      ...Object.fromEntries(
        Object.entries(
          (await import('fflate')).unzipSync(
            handWorkbook([{ name: 'S', xml: '<row r="1"><c r="A1"><v>1</v></c></row>' }]),
          ),
        ),
      ),
      'xl/worksheets/sheet1.xml': strToU8('<worksheet><sheetData><row r="1"><c r="A1"><v>1</v></c></row><row r="2"><c'),
    })
    expect(await code(cut)).toBe('BAD_XML')
  })

  it('lists sheets without reading them and closes a file it failed to open', async () => {
    const path = join(dir, 'list.xlsx')
    await writeFile(
      path,
      handWorkbook([
        { name: 'A', xml: '' },
        { name: 'B & C', xml: '' },
      ]),
    )
    const wb = await openXlsx(bytesSource(new Uint8Array(await readFile(path))))
    expect(wb.sheets.map((s) => s.name)).toEqual(['A', 'B & C'])
    await wb.close()
    await writeFile(path, 'not a zip at all')
    await expect(openXlsx(await fileSource(path))).rejects.toMatchObject({ code: 'NOT_ZIP' })
  })
})

describe('date text', () => {
  it('formats instants exactly as Date.toISOString does, across years, leap days, negatives and runs of one day', () => {
    const samples = [0, -1, 86_399_999, 951_782_400_000, 4_107_542_400_000, -62_135_596_800_000, 253_402_300_799_999]
    let x = 12345
    for (let i = 0; i < 5000; i++) {
      x = (x * 1_103_515_245 + 12_345) % 2_147_483_648
      samples.push(Math.round((x / 2_147_483_648 - 0.3) * 2 * 253_402_300_799_999))
      samples.push(samples[samples.length - 1] + (x % 86_400_000))
    }
    samples.push(-62_135_596_800_001, 253_402_300_800_000, 1.5)
    for (const ms of samples) expect(isoOfMs(ms)).toBe(new Date(ms).toISOString())
  })
})
