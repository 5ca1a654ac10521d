import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import * as arrow from 'apache-arrow'
import { DeltaTable } from '../src/index.js'

/** Shared fixtures of the DML tests (merge, update, optimize): an orders table on real local files. */

export interface Order {
  id: number
  status: string | null
  amount: number | null
  updated_at: number
  day: string
}

export const orderSchema = new arrow.Schema([
  new arrow.Field('id', new arrow.Int64(), false),
  new arrow.Field('status', new arrow.Utf8(), true),
  new arrow.Field('amount', new arrow.Float64(), true),
  new arrow.Field('updated_at', new arrow.Int64(), false),
  new arrow.Field('day', new arrow.Utf8(), true),
])

/** Orders as an Arrow table in {@link orderSchema}. */
export function ordersTable(rows: readonly Order[], schema: arrow.Schema = orderSchema): arrow.Table {
  const col = (name: keyof Order) => rows.map((r) => r[name])
  const children = schema.fields.map((f) => {
    const values = col(f.name as keyof Order)
    if (f.type instanceof arrow.Int && f.type.bitWidth === 64) {
      return arrow.makeData({
        type: new arrow.Int64(),
        length: rows.length,
        data: BigInt64Array.from(values.map((v) => BigInt(v as number))),
      })
    }
    return arrow.vectorFromArray(values as never[], f.type).data[0]
  })
  return new arrow.Table(schema, [
    new arrow.RecordBatch(
      schema,
      arrow.makeData({ type: new arrow.Struct(schema.fields), length: rows.length, nullCount: 0, children }),
    ),
  ])
}

/** A fresh temporary directory, removed by {@link cleanupDirs}. */
const dirs: string[] = []
export function tmpDir(prefix = 'delta-ts-dml-'): string {
  const d = mkdtempSync(path.join(tmpdir(), prefix))
  dirs.push(d)
  return d
}
export function cleanupDirs(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
}

/** Creates an orders table (partitioned by `day` unless told otherwise) holding `rows`, one file per day. */
export async function createOrders(
  rows: readonly Order[],
  options: { partitioned?: boolean; uri?: string } = {},
): Promise<DeltaTable> {
  const uri = options.uri ?? tmpDir()
  const table = await DeltaTable.create(uri, {
    schema: orderSchema,
    partitionBy: options.partitioned === false ? [] : ['day'],
  })
  if (rows.length > 0) await table.write(ordersTable(rows))
  return table
}

/** Every row of the latest snapshot as plain orders, sorted by id then the other fields. */
export async function readOrders(table: DeltaTable): Promise<Order[]> {
  const t = await (await table.snapshot()).scan().toArrow()
  const out: Order[] = []
  for (const r of t) {
    const o = r.toJSON() as Record<string, unknown>
    out.push({
      id: Number(o.id),
      status: (o.status ?? null) as string | null,
      amount: (o.amount ?? null) as number | null,
      updated_at: Number(o.updated_at),
      day: o.day as string,
    })
  }
  return sortOrders(out)
}

export function sortOrders(rows: Order[]): Order[] {
  return [...rows].sort((a, b) => a.id - b.id || JSON.stringify(a).localeCompare(JSON.stringify(b)))
}

export function order(
  id: number,
  status: string | null,
  updated_at: number,
  day = '2024-01-01',
  amount: number | null = id * 10,
): Order {
  return { id, status, amount, updated_at, day }
}
