/**
 * Deterministic synthetic data in the seed's shape: products.csv, a multi-sheet orders.xlsx and a multi-sheet
 * order_items.xlsx (one sheet per month), with a chosen share of dirty rows of every kind. The generator knows
 * which rows it spoiled, so it also returns the exact counts the pipeline must report.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { WorkbookWriter } from '@cj-tech-master/excelts'
import { toCsv } from './csv.js'
import { type CellKind, cellText } from './xlsx.js'

/** Share (0..1, of the clean rows of a dataset) of each kind of dirty row. */
export interface DirtyShares {
  /** Empty primary key: MISSING_PRODUCT_ID / MISSING_ORDER_ID / MISSING_ID. */
  missingKey: number
  /** Another empty required column: MISSING_PRODUCT_NAME / MISSING_USER_ID / MISSING_USER_ID. */
  missingRequired: number
  /** Unparseable order_timestamp (orders, order_items): INVALID_TIMESTAMP. */
  invalidTimestamp: number
  /** Malformed or disagreeing date (orders, order_items): INVALID_DATE. */
  invalidDate: number
  /** Text in a numeric column: BAD_NUMBER. */
  badNumber: number
  /** reordered not 0/1/true/false (order_items): BAD_BOOLEAN. */
  badBoolean: number
  /** order_items.order_id not in orders: UNKNOWN_ORDER. */
  unknownOrder: number
  /** order_items.product_id not in products: UNKNOWN_PRODUCT. */
  unknownProduct: number
  /** Extra rows repeating a clean row's key with a later timestamp (collapsed by dedup). */
  duplicate: number
}

/** Generator options; every field has a default. */
export interface GenerateOptions {
  seed?: number
  products?: number
  orders?: number
  /** Maximum items per order (each order gets 1..max, uniformly). */
  maxItemsPerOrder?: number
  /** Months of orders starting at `startDate`; one sheet per month in each workbook. */
  months?: number
  /** First order day, `YYYY-MM-DD`. */
  startDate?: string
  /** First product/order/item id (lets two generated inputs use disjoint keys). */
  idOffset?: number
  dirty?: Partial<DirtyShares>
}

/** What the pipeline must report for one dataset on this input (on an empty warehouse). */
export interface ExpectedCounts {
  input: number
  accepted: number
  duplicates: number
  rejected: number
  reasons: Record<string, number>
}

/** One workbook: its sheets with a header and rows of cell values (Date cells for dates and datetimes). */
export interface GeneratedWorkbook {
  header: string[]
  sheets: { name: string; rows: unknown[][] }[]
}

/** The generated input and the counts it must produce. */
export interface GeneratedData {
  products: { header: string[]; rows: string[][] }
  orders: GeneratedWorkbook
  orderItems: GeneratedWorkbook
  expected: { products: ExpectedCounts; orders: ExpectedCounts; order_items: ExpectedCounts }
}

/** No dirty rows at all. */
export const CLEAN: DirtyShares = {
  missingKey: 0,
  missingRequired: 0,
  invalidTimestamp: 0,
  invalidDate: 0,
  badNumber: 0,
  badBoolean: 0,
  unknownOrder: 0,
  unknownProduct: 0,
  duplicate: 0,
}

/** The default mix: a few percent of every kind. */
export const DEFAULT_DIRTY: DirtyShares = {
  missingKey: 0.02,
  missingRequired: 0.02,
  invalidTimestamp: 0.02,
  invalidDate: 0.02,
  badNumber: 0.02,
  badBoolean: 0.01,
  unknownOrder: 0.02,
  unknownProduct: 0.02,
  duplicate: 0.03,
}

/** mulberry32: a tiny seeded PRNG, so the same seed gives byte-identical data everywhere. */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const DEPARTMENTS = [
  'produce',
  'dairy eggs',
  'snacks',
  'beverages',
  'frozen',
  'pantry',
  'bakery',
  'household',
  'meat seafood',
  'personal care',
]
const ADJ = [
  'Organic',
  'Fresh',
  'Classic',
  'Low Fat',
  'Gluten Free',
  'Spicy',
  'Family Size',
  'Mini',
  'Whole',
  'Sparkling',
]
const NOUN = [
  'Bananas',
  'Yogurt',
  'Chips',
  'Water',
  'Pizza',
  'Pasta',
  'Bagels',
  'Detergent',
  'Salmon',
  'Shampoo',
  'Milk',
  'Granola',
]

function count(share: number | undefined, base: number): number {
  return Math.max(0, Math.round((share ?? 0) * base))
}

function addMonths(iso: string, months: number): Date {
  const d = new Date(`${iso}T00:00:00Z`)
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months, d.getUTCDate()))
}

function dayOf(d: Date): string {
  return d.toISOString().slice(0, 10)
}

function monthOf(d: Date): string {
  return d.toISOString().slice(0, 7)
}

/** Inserts `extra` rows at seeded random positions of `rows` (stable for a seed). */
function sprinkle<T>(rows: T[], extra: T[], rnd: () => number): T[] {
  const out = rows.slice()
  for (const e of extra) out.splice(Math.floor(rnd() * (out.length + 1)), 0, e)
  return out
}

function emptyExpected(): ExpectedCounts {
  return { input: 0, accepted: 0, duplicates: 0, rejected: 0, reasons: {} }
}

function reject(e: ExpectedCounts, reason: string): void {
  e.rejected++
  e.reasons[reason] = (e.reasons[reason] ?? 0) + 1
}

/**
 * Generates the data set in memory. Deterministic for given options. Dirty rows break exactly one rule each
 * and never serve as a reference target, so the expected counts are exact; duplicates repeat a clean key with a
 * later timestamp (or, for products, later in input order), so the duplicate is the survivor.
 */
export function generateData(options: GenerateOptions = {}): GeneratedData {
  const rnd = prng(options.seed ?? 42)
  const nProducts = options.products ?? 50
  const nOrders = options.orders ?? 500
  const maxItems = options.maxItemsPerOrder ?? 5
  const months = options.months ?? 3
  const start = options.startDate ?? '2025-01-01'
  const off = options.idOffset ?? 0
  const dirty = { ...DEFAULT_DIRTY, ...(options.dirty ?? {}) }
  const span = addMonths(start, months).getTime() - new Date(`${start}T00:00:00Z`).getTime()
  const t0 = new Date(`${start}T00:00:00Z`).getTime()
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1))

  // products ---------------------------------------------------------------------------------------------
  const pe = emptyExpected()
  const productIds: number[] = []
  let products: string[][] = []
  for (let i = 0; i < nProducts; i++) {
    const id = off + i + 1
    const dep = int(1, DEPARTMENTS.length)
    productIds.push(id)
    products.push([String(id), String(dep), DEPARTMENTS[dep - 1], `${pick(ADJ)} ${pick(NOUN)} ${id}`])
  }
  pe.accepted = nProducts
  let nextFresh = off + 10_000_000
  const pExtra: string[][] = []
  for (let i = 0; i < count(dirty.missingKey, nProducts); i++, reject(pe, 'MISSING_PRODUCT_ID'))
    pExtra.push(['', '1', DEPARTMENTS[0], 'No Id'])
  for (let i = 0; i < count(dirty.missingRequired, nProducts); i++, reject(pe, 'MISSING_PRODUCT_NAME'))
    pExtra.push([String(nextFresh++), '2', DEPARTMENTS[1], ''])
  for (let i = 0; i < count(dirty.badNumber, nProducts); i++, reject(pe, 'BAD_NUMBER'))
    pExtra.push([String(nextFresh++), 'three', DEPARTMENTS[2], 'Bad Department'])
  const pDup = Math.min(count(dirty.duplicate, nProducts), nProducts)
  const pDupRows: string[][] = []
  for (let i = 0; i < pDup; i++) {
    const src = products[i]
    pDupRows.push([src[0], src[1], src[2], `${src[3]} (renamed)`])
  }
  pe.duplicates = pDup
  products = sprinkle(products, pExtra, rnd)
  products.push(...pDupRows) // after their originals: last in input order wins
  pe.input = products.length

  // orders -----------------------------------------------------------------------------------------------
  const oe = emptyExpected()
  interface Order {
    num: number
    id: number
    user: number
    ts: Date
    cents: number
  }
  const orders: Order[] = []
  for (let i = 0; i < nOrders; i++) {
    const ts = new Date(t0 + Math.floor((rnd() * span) / 1000) * 1000)
    orders.push({
      num: i + 1,
      id: off + 100_000 + i + 1,
      user: int(1, Math.max(10, nOrders / 5)),
      ts,
      cents: int(100, 50_000),
    })
  }
  oe.accepted = nOrders
  const orderHeader = ['order_num', 'order_id', 'user_id', 'order_timestamp', 'total_amount', 'date']
  const orderRow = (o: Order, i: number): unknown[] => {
    const amount = o.cents / 100
    // A third of the amounts are formulas with a cached result, a third of the dates are left for derivation.
    const total = i % 3 === 0 ? { formula: `ROUND(${amount}*1,2)`, result: amount } : amount
    const date = i % 3 === 1 ? null : new Date(`${dayOf(o.ts)}T00:00:00Z`)
    return [o.num, o.id, o.user, o.ts, total, date]
  }
  let orderRows: { month: string; cells: unknown[] }[] = orders.map((o, i) => ({
    month: monthOf(o.ts),
    cells: orderRow(o, i),
  }))
  const oExtra: { month: string; cells: unknown[] }[] = []
  const anyTs = () => orders[int(0, orders.length - 1)].ts
  const freshOrder = (): Order => ({ num: 0, id: nextFresh++, user: 7, ts: anyTs(), cents: 999 })
  for (let i = 0; i < count(dirty.missingKey, nOrders); i++, reject(oe, 'MISSING_ORDER_ID')) {
    const o = freshOrder()
    const cells = orderRow(o, 2)
    cells[1] = null
    oExtra.push({ month: monthOf(o.ts), cells })
  }
  for (let i = 0; i < count(dirty.missingRequired, nOrders); i++, reject(oe, 'MISSING_USER_ID')) {
    const o = freshOrder()
    const cells = orderRow(o, 2)
    cells[2] = null
    oExtra.push({ month: monthOf(o.ts), cells })
  }
  for (let i = 0; i < count(dirty.invalidTimestamp, nOrders); i++, reject(oe, 'INVALID_TIMESTAMP')) {
    const o = freshOrder()
    const cells = orderRow(o, 2)
    cells[3] = i % 2 === 0 ? 'not a time' : '2025-02-30 10:00:00'
    cells[5] = null
    oExtra.push({ month: monthOf(o.ts), cells })
  }
  for (let i = 0; i < count(dirty.invalidDate, nOrders); i++, reject(oe, 'INVALID_DATE')) {
    const o = freshOrder()
    const cells = orderRow(o, 2)
    cells[5] = i % 2 === 0 ? '2025/01/15' : dayOf(new Date(o.ts.getTime() + 3 * 86_400_000))
    oExtra.push({ month: monthOf(o.ts), cells })
  }
  for (let i = 0; i < count(dirty.badNumber, nOrders); i++, reject(oe, 'BAD_NUMBER')) {
    const o = freshOrder()
    const cells = orderRow(o, 2)
    cells[4] = i % 2 === 0 ? '12,50 EUR' : '1.005'
    oExtra.push({ month: monthOf(o.ts), cells })
  }
  const oDup = Math.min(count(dirty.duplicate, nOrders), nOrders)
  const oDupRows: { month: string; cells: unknown[] }[] = []
  for (let i = 0; i < oDup; i++) {
    // Same key, one second later and a new amount; placed before the original so the timestamp decides.
    const o = orders[i]
    const later: Order = { ...o, ts: new Date(o.ts.getTime() + 1000), cents: o.cents + 1 }
    oDupRows.push({ month: monthOf(later.ts), cells: orderRow(later, 1) })
  }
  oe.duplicates = oDup
  orderRows = sprinkle(orderRows, oExtra, rnd)
  orderRows.unshift(...oDupRows)

  // order_items ------------------------------------------------------------------------------------------
  const ie = emptyExpected()
  const itemHeader = [
    'id',
    'order_id',
    'user_id',
    'days_since_prior_order',
    'product_id',
    'add_to_cart_order',
    'reordered',
    'order_timestamp',
    'date',
  ]
  let itemRows: { month: string; cells: unknown[] }[] = []
  let nextItem = off + 1_000_000
  for (const o of orders) {
    const n = int(1, maxItems)
    const dspo = rnd() < 0.1 ? null : int(0, 30)
    for (let k = 0; k < n; k++) {
      const cells = [
        nextItem++,
        o.id,
        o.user,
        dspo,
        pick(productIds),
        k + 1,
        rnd() < 0.5 ? 1 : rnd() < 0.5 ? 'true' : 0,
        o.ts,
        dayOf(o.ts),
      ]
      itemRows.push({ month: monthOf(o.ts), cells })
    }
  }
  const nItems = itemRows.length
  ie.accepted = nItems
  const iExtra: { month: string; cells: unknown[] }[] = []
  const freshItem = (): unknown[] => {
    const o = orders[int(0, orders.length - 1)]
    return [nextItem++, o.id, o.user, 3, pick(productIds), 1, 0, o.ts, dayOf(o.ts)]
  }
  const spoil = (n: number, reason: string, f: (cells: unknown[], i: number) => void) => {
    for (let i = 0; i < n; i++) {
      const cells = freshItem()
      f(cells, i)
      reject(ie, reason)
      iExtra.push({ month: monthOf(cells[7] instanceof Date ? cells[7] : new Date(t0)), cells })
    }
  }
  spoil(count(dirty.missingKey, nItems), 'MISSING_ID', (c) => {
    c[0] = null
  })
  spoil(count(dirty.missingRequired, nItems), 'MISSING_USER_ID', (c) => {
    c[2] = null
  })
  spoil(count(dirty.invalidTimestamp, nItems), 'INVALID_TIMESTAMP', (c) => {
    c[7] = 'yesterday'
    c[8] = null
  })
  spoil(count(dirty.invalidDate, nItems), 'INVALID_DATE', (c, i) => {
    c[8] = i % 2 === 0 ? '15-01-2025' : dayOf(new Date((c[7] as Date).getTime() - 86_400_000))
  })
  spoil(count(dirty.badNumber, nItems), 'BAD_NUMBER', (c) => {
    c[5] = 'first'
  })
  spoil(count(dirty.badBoolean, nItems), 'BAD_BOOLEAN', (c) => {
    c[6] = 'maybe'
  })
  spoil(count(dirty.unknownOrder, nItems), 'UNKNOWN_ORDER', (c) => {
    c[1] = off + 90_000_000 + int(1, 1000)
  })
  spoil(count(dirty.unknownProduct, nItems), 'UNKNOWN_PRODUCT', (c) => {
    c[4] = off + 80_000_000 + int(1, 1000)
  })
  const iDup = Math.min(count(dirty.duplicate, nItems), nItems)
  const iDupRows: { month: string; cells: unknown[] }[] = []
  for (let i = 0; i < iDup; i++) {
    const src = itemRows[i].cells.slice()
    src[5] = 99 // same key and timestamp, later in input order: the later row wins the tie
    iDupRows.push({ month: itemRows[i].month, cells: src })
  }
  ie.duplicates = iDup
  itemRows = sprinkle(itemRows, iExtra, rnd)
  itemRows.push(...iDupRows)

  const toBook = (header: string[], rows: { month: string; cells: unknown[] }[]): GeneratedWorkbook => {
    const byMonth = new Map<string, unknown[][]>()
    for (let m = 0; m < months; m++) byMonth.set(monthOf(addMonths(start, m)), [])
    for (const r of rows) {
      if (!byMonth.has(r.month)) byMonth.set(r.month, [])
      byMonth.get(r.month)?.push(r.cells)
    }
    return { header, sheets: [...byMonth.entries()].map(([name, rs]) => ({ name, rows: rs })) }
  }
  const ordersBook = toBook(orderHeader, orderRows)
  const itemsBook = toBook(itemHeader, itemRows)
  oe.input = orderRows.length
  ie.input = itemRows.length
  return {
    products: { header: ['product_id', 'department_id', 'department', 'product_name'], rows: products },
    orders: ordersBook,
    orderItems: itemsBook,
    expected: { products: pe, orders: oe, order_items: ie },
  }
}

/** Writes a generated workbook with the streaming writer; date-only cells get a `yyyy-mm-dd` format. */
export async function writeWorkbook(
  path: string,
  book: GeneratedWorkbook,
  dateOnlyColumns: readonly string[],
): Promise<void> {
  const wb = new WorkbookWriter({ filename: path, useSharedStrings: true, useStyles: true } as never)
  const dateCols = dateOnlyColumns.map((c) => book.header.indexOf(c) + 1).filter((i) => i > 0)
  for (const sheet of book.sheets) {
    const ws = wb.addWorksheet(sheet.name)
    ws.addRow(book.header).commit()
    for (const cells of sheet.rows) {
      const row = ws.addRow(cells)
      for (const i of dateCols) if (cells[i - 1] instanceof Date) row.getCell(i).numFmt = 'yyyy-mm-dd'
      for (let i = 0; i < cells.length; i++)
        if (cells[i] instanceof Date && !dateCols.includes(i + 1)) row.getCell(i + 1).numFmt = 'yyyy-mm-dd hh:mm:ss'
      row.commit()
    }
    await ws.commit()
  }
  await wb.commit()
}

/**
 * Writes a workbook's sheets as CSV files instead (`<base>__<sheet>.csv` in `dir`), cells as the xlsx
 * conversion would give them (dates `YYYY-MM-DD`, datetimes ISO-8601 UTC), so the same data can be fed as
 * CSV input.
 */
export async function writeWorkbookAsCsv(
  dir: string,
  base: string,
  book: GeneratedWorkbook,
  kinds: Readonly<Record<string, CellKind>>,
): Promise<void> {
  const colKinds = book.header.map((h) => kinds[h])
  for (const sheet of book.sheets) {
    const rows = sheet.rows.map((cells) => cells.map((v, i) => cellText(v, undefined, colKinds[i])))
    await writeFile(join(dir, `${base}__${sheet.name}.csv`), toCsv(book.header, rows))
  }
}

/**
 * Generates the data set and writes it under `dir` as `products/products.csv`, `orders/orders.xlsx` and
 * `order_items/order_items.xlsx` (the raw/ layout), plus `expected.json` with the counts. With `format: 'csv'`,
 * orders and order items are written as one CSV per month (`orders/orders__<month>.csv`, ...) instead; the
 * expected counts are the same. Returns the data.
 */
export async function writeGeneratedData(
  dir: string,
  options: GenerateOptions & { format?: 'xlsx' | 'csv' } = {},
  fileTag = '',
): Promise<GeneratedData> {
  const data = generateData(options)
  for (const d of ['products', 'orders', 'order_items']) await mkdir(join(dir, d), { recursive: true })
  await writeFile(join(dir, 'products', `products${fileTag}.csv`), toCsv(data.products.header, data.products.rows))
  if (options.format === 'csv') {
    const kinds = { date: 'date', order_timestamp: 'timestamp' } as const
    await writeWorkbookAsCsv(join(dir, 'orders'), `orders${fileTag}`, data.orders, kinds)
    await writeWorkbookAsCsv(join(dir, 'order_items'), `order_items${fileTag}`, data.orderItems, kinds)
  } else {
    await writeWorkbook(join(dir, 'orders', `orders${fileTag}.xlsx`), data.orders, ['date'])
    await writeWorkbook(join(dir, 'order_items', `order_items${fileTag}.xlsx`), data.orderItems, ['date'])
  }
  await writeFile(join(dir, `expected${fileTag}.json`), `${JSON.stringify(data.expected, null, 2)}\n`)
  return data
}
