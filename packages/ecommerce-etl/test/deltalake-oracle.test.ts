/**
 * The tables the pipeline writes, read by another Delta implementation: the deltalake Python package (delta-rs)
 * in the repo's .venv (set up by the shared global setup). Same rows, same types, same totals.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { arrowToRows } from '../src/arrow.js'
import { DATASETS } from '../src/datasets.js'
import { writeGeneratedData } from '../src/generate.js'
import { ConsoleNotifier } from '../src/notify.js'
import { runPipeline } from '../src/pipeline.js'
import { formatDecimal } from '../src/values.js'
import { Warehouse } from '../src/warehouse.js'

const python = resolve(__dirname, '../../../.venv/bin/python')
// Ends with os._exit after flushing, like test/interop/py/deltalake_cli.py: delta-rs 1.6's runtime can abort
// during interpreter shutdown ("terminate called without an active exception") after the answer is printed.
const script = `
import json, os, sys
from deltalake import DeltaTable
out = {}
for name in ['products', 'orders', 'order_items']:
    t = DeltaTable(sys.argv[1] + '/warehouse/lakehouse-dwh/' + name)
    data = t.to_pyarrow_table()
    out[name] = {'version': t.version(), 'rows': data.num_rows, 'partitions': t.metadata().partition_columns,
                 'types': {f.name: str(f.type) for f in data.schema}}
    if name == 'orders':
        out[name]['total'] = str(sum(v for v in data.column('total_amount').to_pylist() if v is not None))
print(json.dumps(out))
sys.stdout.flush()
os._exit(0)
`

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'etl-oracle-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('tables read by deltalake (delta-rs)', () => {
  it('deltalake sees the same versions, row counts, partition columns, exact types and decimal totals', async () => {
    const input = join(dir, 'in')
    const { expected } = await writeGeneratedData(input, { seed: 3, products: 20, orders: 100, months: 2 })
    const wh = join(dir, 'wh')
    const r = await runPipeline({ warehouse: wh, raw: input, notifiers: [new ConsoleNotifier(() => undefined)] })
    expect(r.status).toBe('succeeded')
    const { stdout } = await promisify(execFile)(python, ['-c', script, wh])
    const seen = JSON.parse(stdout)
    for (const name of DATASETS) {
      expect(seen[name].rows).toBe(expected[name].accepted)
      expect(seen[name].version).toBe(r.jobs[name]?.tableVersion)
    }
    expect(seen.products.partitions).toEqual(['department_id'])
    expect(seen.orders.partitions).toEqual(['date'])
    expect(seen.orders.types).toMatchObject({
      order_id: 'int64',
      order_timestamp: 'timestamp[us, tz=UTC]',
      total_amount: 'decimal128(12, 2)',
      date: 'date32[day]',
    })
    expect(seen.order_items.types).toMatchObject({ days_since_prior_order: 'int32', reordered: 'bool' })
    const orders = await (await Warehouse.open(wh)).openTable('orders')
    expect(orders).toBeDefined()
    const rows = arrowToRows(await (await (orders as NonNullable<typeof orders>).snapshot()).scan({}).toArrow())
    const total = rows.reduce((s, o) => s + ((o.total_amount as bigint | null) ?? 0n), 0n)
    expect(seen.orders.total).toBe(formatDecimal(total, 2))
  })
})
