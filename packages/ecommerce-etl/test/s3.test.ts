/**
 * The pipeline against an S3 warehouse: the moto server that delta-ts's global setup starts (the same one
 * delta-ts's S3 tests use), reached through delta-ts/s3.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { DATASETS } from '../src/datasets.js'
import { writeGeneratedData } from '../src/generate.js'
import { ConsoleNotifier } from '../src/notify.js'
import { runPipeline } from '../src/pipeline.js'
import { listAll } from '../src/store.js'
import { Warehouse } from '../src/warehouse.js'

declare module 'vitest' {
  // Provided by delta-ts's global setup (test/global-setup.ts), which this project reuses.
  export interface ProvidedContext {
    s3Endpoint: string
    s3Error: string
  }
}

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'etl-s3-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('pipeline on S3', () => {
  it('runs the whole pipeline into s3://bucket/prefix with the expected counts, then reruns with nothing to change', async () => {
    const endpoint = inject('s3Endpoint')
    expect(inject('s3Error')).toBe('')
    const bucket = `etl-${Date.now()}`
    // moto creates a bucket on a path-style PUT; the pipeline itself never creates buckets.
    const made = await fetch(`${endpoint}/${bucket}`, { method: 'PUT' })
    expect(made.ok).toBe(true)
    const s3 = {
      endpoint,
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    }
    const input = join(dir, 'in')
    const { expected } = await writeGeneratedData(input, { seed: 5, products: 20, orders: 80, months: 2 })
    const uri = `s3://${bucket}/lakehouse`
    const r = await runPipeline({ warehouse: uri, raw: input, s3, notifiers: [new ConsoleNotifier(() => undefined)] })
    expect(r.steps.filter((s) => s.status !== 'succeeded')).toEqual([])
    for (const name of DATASETS) {
      expect(r.jobs[name]).toMatchObject({
        inputRows: expected[name].input,
        accepted: expected[name].accepted,
        rejected: expected[name].rejected,
        inserted: expected[name].accepted,
      })
      expect(r.preview?.counts[name]).toBe(expected[name].accepted)
    }
    const wh = await Warehouse.open(uri, { s3 })
    const keys = (await listAll(wh.store, '')).map((o) => o.path)
    expect(keys).toContain('catalog.json')
    expect(keys).toContain('warehouse/lakehouse-dwh/orders/_delta_log/00000000000000000000.json')
    expect(keys.some((k) => k.startsWith(`archive/${r.runId}/orders/`))).toBe(true)
    const again = await runPipeline({ warehouse: uri, raw: input, s3, notifiers: [] })
    for (const name of DATASETS) expect(again.jobs[name]).toMatchObject({ inserted: 0, updated: 0 })
  })
})
