/**
 * The warehouse's services beyond the tables, against real components: SQL through the embedded DuckDB
 * (including a golden table with deletion vectors and column mapping), the Glue Data Catalog and Step
 * Functions on the moto server of the shared test setup, and the pipeline run step by step as the state
 * machine's tasks run it, compared with one whole run.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { GetTableCommand, GetTablesCommand, GlueClient } from '@aws-sdk/client-glue'
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn'
import { readRows } from 'delta-ts/testing'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { DATASETS, type DatasetName } from '../src/datasets.js'
import { type ExpectedCounts, writeGeneratedData } from '../src/generate.js'
import { listRuns, PIPELINE_DAG, runPipeline } from '../src/pipeline.js'
import { queryWarehouse, WarehouseSql } from '../src/sql.js'
import { stateMachineDefinition } from '../src/state-machine.js'
import { Warehouse } from '../src/warehouse.js'

declare module 'vitest' {
  // Provided by delta-ts's global setup (test/global-setup.ts), which this project reuses.
  export interface ProvidedContext {
    s3Endpoint: string
    s3Error: string
  }
}

const KEYS: Record<DatasetName, string> = { products: 'product_id', orders: 'order_id', order_items: 'id' }
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' }
const GOLDEN_DV_CM = resolve(__dirname, '../../../testdata/delta-golden/kernel-rs-golden/dv-with-columnmapping/delta')

let dir: string
let expected: Record<DatasetName, ExpectedCounts>
const wholeRun = () => join(dir, 'whole')
const input = () => join(dir, 'input')

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'etl-services-'))
  expected = (await writeGeneratedData(input(), { seed: 5, products: 25, orders: 120, months: 2 })).expected
  const r = await runPipeline({ warehouse: wholeRun(), raw: input(), notifiers: [] })
  expect(r.status).toBe('succeeded')
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function contents(warehouse: string): Promise<Record<string, unknown>> {
  const wh = await Warehouse.open(warehouse)
  const out: Record<string, unknown> = {}
  for (const name of DATASETS) {
    const t = await wh.openTable(name)
    if (t) out[name] = await readRows(t, { orderBy: KEYS[name] })
  }
  return out
}

describe('SQL over the warehouse (embedded DuckDB through delta-ts)', () => {
  it('counts every table as the pipeline accepted it and the preview query ran as SQL', async () => {
    const wh = await Warehouse.open(wholeRun())
    for (const name of DATASETS) {
      const r = await queryWarehouse(wh, `SELECT count(*) AS n FROM lakehouse_dwh.${name}`)
      expect(Number(r.rows[0].n)).toBe(expected[name].accepted)
      expect(r.versions[name]).toBe(1) // version 0 creates the table, the run's commit is 1
    }
  })

  it('joins order_items with orders and agrees with the rows delta-ts reads', async () => {
    const wh = await Warehouse.open(wholeRun())
    const r = await queryWarehouse(
      wh,
      `SELECT o.order_id, count(*) AS items FROM lakehouse_dwh.order_items i
       JOIN lakehouse_dwh.orders o ON i.order_id = o.order_id GROUP BY o.order_id ORDER BY o.order_id`,
    )
    const items = (await readRows((await wh.openTable('order_items'))!, { columns: ['order_id'] })) as {
      order_id: string
    }[]
    const byOrder = new Map<string, number>()
    for (const it of items) byOrder.set(String(it.order_id), (byOrder.get(String(it.order_id)) ?? 0) + 1)
    expect(r.columns).toEqual(['order_id', 'items'])
    expect(r.rows.map((row) => [String(row.order_id), Number(row.items)])).toEqual(
      [...byOrder.entries()].sort((a, b) => (BigInt(a[0]) < BigInt(b[0]) ? -1 : 1)),
    )
  })

  it('honours deletion vectors and column mapping of a Spark table, and time travel pins a version', async () => {
    const wh = join(dir, 'golden')
    await cp(GOLDEN_DV_CM, join(wh, 'warehouse/lakehouse-dwh/orders'), { recursive: true })
    const warehouse = await Warehouse.open(wh)
    const table = (await warehouse.openTable('orders'))!
    const rows = await readRows(table)
    expect(rows).toHaveLength(35) // liveRows of the golden manifest: DVs drop rows
    const session = await WarehouseSql.open(warehouse)
    try {
      const r = await session.query('SELECT * FROM lakehouse_dwh.orders')
      expect(r.rows).toHaveLength(35)
      // The logical column names (column mapping), not the physical col-<uuid> names of the files.
      expect([...r.columns].sort()).toEqual(Object.keys(rows[0]).sort())
      expect(r.versions.orders).toBe(15)
    } finally {
      session.close()
    }
    const old = await queryWarehouse(warehouse, 'SELECT count(*) AS n FROM lakehouse_dwh.orders', {
      versions: { orders: 3 },
    })
    expect(old.versions.orders).toBe(3)
    expect(Number(old.rows[0].n)).toBe((await readRows(table, { version: 3 })).length)
  })

  it('reports a table that does not exist yet and a SQL error with their names', async () => {
    const empty = await Warehouse.open(join(dir, 'empty'))
    await expect(queryWarehouse(empty, 'SELECT * FROM lakehouse_dwh.orders')).rejects.toThrow(
      /lakehouse_dwh.orders does not exist yet/,
    )
    const wh = await Warehouse.open(wholeRun())
    await expect(queryWarehouse(wh, 'SELECT no_such_column FROM lakehouse_dwh.orders')).rejects.toThrow(
      /no_such_column/,
    )
  })
})

describe('the pipeline run step by step, as the state machine runs it', () => {
  it('gives the same tables as one whole run, with products and orders at once, under one run id', async () => {
    const wh = join(dir, 'steps')
    const runId = 'exec-0001'
    const step = (only: string, raw?: string) => runPipeline({ warehouse: wh, raw, runId, only, notifiers: [] })
    const results = [await step('preprocess', input())]
    results.push(...(await Promise.all([step('products'), step('orders')])))
    for (const only of ['order_items', 'catalog', 'preview']) results.push(await step(only))
    expect(results.map((r) => [r.steps.map((s) => s.name).join(), r.status])).toEqual(
      PIPELINE_DAG.map((s) => [s.name, 'succeeded']),
    )
    expect(new Set(results.map((r) => r.runId))).toEqual(new Set([runId]))
    expect(await contents(wh)).toEqual(await contents(wholeRun()))
    const runs = await listRuns((await Warehouse.open(wh)).store)
    expect(runs.map((r) => [r.runId, r.status])).toEqual([[runId, 'succeeded']])
    expect(results.at(-1)?.preview?.counts.order_items).toBe(expected.order_items.accepted)
  })

  it('refuses a step whose dependency has not run in that run, and an unknown step', async () => {
    const wh = join(dir, 'steps-bad')
    const first = await runPipeline({
      warehouse: wh,
      runId: 'exec-0002',
      only: 'preprocess',
      raw: input(),
      notifiers: [],
    })
    expect(first.status).toBe('succeeded')
    const r = await runPipeline({ warehouse: wh, runId: 'exec-0002', only: 'order_items', notifiers: [] })
    expect(r.status).toBe('failed')
    expect(r.steps[0].error).toMatch(/step order_items needs step products of run exec-0002, which has not run/)
    await expect(runPipeline({ warehouse: wh, only: 'nope', notifiers: [] })).rejects.toThrow(/unknown step nope/)
    await expect(runPipeline({ warehouse: wh, runId: 'exec-9', only: 'orders', notifiers: [] })).rejects.toThrow(
      /unknown run id exec-9/,
    )
  })
})

describe('AWS services on moto', () => {
  const endpoint = () => inject('s3Endpoint')

  it('registers the three tables and the quarantine tables in the Glue Data Catalog as native Delta tables, then updates them', async () => {
    expect(inject('s3Error')).toBe('')
    const wh = join(dir, 'glue')
    const stamp = Date.now()
    const glue = {
      region: 'us-east-1',
      endpoint: endpoint(),
      credentials,
      database: `lakehouse_dwh_${stamp}`,
      quarantineDatabase: `quarantine_${stamp}`,
    }
    const r1 = await runPipeline({ warehouse: wh, raw: input(), notifiers: [], catalog: { glue } })
    expect(r1.status).toBe('succeeded')
    const tablesOf = (r: typeof r1) => r.glue?.filter((g) => g.kind === 'table')
    expect(tablesOf(r1)?.map((g) => [g.table, g.action, g.version])).toEqual(DATASETS.map((d) => [d, 'created', 1]))
    // The input has dirty rows of every dataset: each quarantine table is registered as quarantine.<dataset>.
    const quarantined = r1.glue?.filter((g) => g.kind === 'quarantine')
    expect(quarantined?.map((g) => [g.table, g.database, g.action])).toEqual(
      DATASETS.filter((d) => (r1.jobs[d]?.rejected ?? 0) > 0).map((d) => [d, glue.quarantineDatabase, 'created']),
    )
    expect(quarantined?.length).toBeGreaterThan(0)
    expect(Object.keys(r1.catalog?.quarantine ?? {})).toEqual(quarantined?.map((g) => `quarantine.${g.table}`))
    const client = new GlueClient({ region: 'us-east-1', endpoint: endpoint(), credentials })
    try {
      const tables = await client.send(new GetTablesCommand({ DatabaseName: glue.database }))
      expect(tables.TableList?.map((t) => t.Name).sort()).toEqual([...DATASETS].sort())
      const items = (await client.send(new GetTableCommand({ DatabaseName: glue.database, Name: 'order_items' }))).Table
      expect(items?.TableType).toBe('EXTERNAL_TABLE')
      expect(items?.Parameters).toMatchObject({ classification: 'delta', table_type: 'DELTA', EXTERNAL: 'TRUE' })
      expect(items?.PartitionKeys).toEqual([{ Name: 'date', Type: 'date' }])
      expect(items?.StorageDescriptor?.Location).toBe(`file://${join(wh, 'warehouse/lakehouse-dwh/order_items')}`)
      const cols = Object.fromEntries((items?.StorageDescriptor?.Columns ?? []).map((c) => [c.Name, c.Type]))
      expect(cols).toMatchObject({ id: 'bigint', order_id: 'bigint', order_timestamp: 'timestamp' })
      expect(cols.date).toBeUndefined() // a partition key, not a data column
      await writeGeneratedData(join(dir, 'input2'), { seed: 6, products: 5, orders: 20, months: 1, idOffset: 100000 })
      const r2 = await runPipeline({ warehouse: wh, raw: join(dir, 'input2'), notifiers: [], catalog: { glue } })
      expect(tablesOf(r2)?.map((g) => g.action)).toEqual(['updated', 'updated', 'updated'])
      const q = (await client.send(new GetTableCommand({ DatabaseName: glue.quarantineDatabase, Name: 'order_items' })))
        .Table
      expect(q?.StorageDescriptor?.Location).toBe(`file://${join(wh, 'rejected/order_items')}`)
      expect(q?.Parameters).toMatchObject({ classification: 'delta', table_type: 'DELTA' })
      const after = (await client.send(new GetTableCommand({ DatabaseName: glue.database, Name: 'orders' }))).Table
      expect(after?.Parameters?.['delta_ts.version']).toBe('2')
    } finally {
      client.destroy()
    }
  })

  it('creates the exported state machine on Step Functions and starts an execution', async () => {
    const client = new SFNClient({ region: 'us-east-1', endpoint: endpoint(), credentials })
    try {
      const definition = JSON.stringify(
        stateMachineDefinition(PIPELINE_DAG, {
          warehouse: 's3://lake/wh',
          cluster: 'etl',
          taskDefinition: 'ecommerce-etl:1',
          topicArn: 'arn:aws:sns:us-east-1:123456789012:etl',
          subnets: ['subnet-1'],
        }),
      )
      const created = await client.send(
        new CreateStateMachineCommand({
          name: `ecommerce-etl-${Date.now()}`,
          definition,
          roleArn: 'arn:aws:iam::123456789012:role/etl-states',
        }),
      )
      const described = await client.send(new DescribeStateMachineCommand({ stateMachineArn: created.stateMachineArn }))
      expect(JSON.parse(described.definition ?? '{}')).toEqual(JSON.parse(definition))
      const exec = await client.send(
        new StartExecutionCommand({ stateMachineArn: created.stateMachineArn, name: 'exec-0003' }),
      )
      const status = await client.send(new DescribeExecutionCommand({ executionArn: exec.executionArn }))
      expect(status.name).toBe('exec-0003')
      expect(['RUNNING', 'SUCCEEDED']).toContain(status.status)
    } finally {
      client.destroy()
    }
  })
})
