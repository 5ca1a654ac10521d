import { describe, expect, it } from 'vitest'
import { isTransient, runDag, withRetries } from './runner.js'

const transient = () => Object.assign(new Error('503 Slow Down'), { code: 'STORAGE_TRANSIENT' })

describe('runDag', () => {
  it('runs independent steps concurrently and passes dependency outputs downstream', async () => {
    const log: string[] = []
    const step = (name: string, deps: string[], ms: number) => ({
      name,
      dependsOn: deps,
      run: async (inputs: Record<string, unknown>) => {
        log.push(`start ${name}`)
        await new Promise((r) => setTimeout(r, ms))
        log.push(`end ${name}`)
        return `${name}(${Object.values(inputs).join(',')})`
      },
    })
    const res = await runDag([
      step('pre', [], 1),
      step('products', ['pre'], 30),
      step('orders', ['pre'], 30),
      step('items', ['products', 'orders'], 1),
    ])
    expect(res.status).toBe('succeeded')
    expect(log.slice(2, 4).sort()).toEqual(['start orders', 'start products'])
    expect(res.steps.find((s) => s.name === 'items')?.output).toBe('items(products(pre()),orders(pre()))')
  })

  it('a failed step skips its dependents, lets unrelated branches finish, and fails the run', async () => {
    const ran: string[] = []
    const ok = (name: string, deps: string[] = []) => ({ name, dependsOn: deps, run: async () => void ran.push(name) })
    const res = await runDag([
      ok('pre'),
      ok('products', ['pre']),
      { name: 'orders', dependsOn: ['pre'], run: async () => Promise.reject(new Error('bad orders')) },
      ok('items', ['products', 'orders']),
      ok('catalog', ['items']),
    ])
    expect(res.status).toBe('failed')
    expect(ran).toEqual(['pre', 'products'])
    expect(res.steps.map((s) => [s.name, s.status])).toEqual([
      ['pre', 'succeeded'],
      ['products', 'succeeded'],
      ['orders', 'failed'],
      ['items', 'skipped'],
      ['catalog', 'skipped'],
    ])
    expect(res.steps[2].error).toBe('bad orders')
    expect(res.steps[3].error).toBe('skipped: orders failed')
  })

  it('retries STORAGE_TRANSIENT errors and succeeds, but never retries other errors', async () => {
    let calls = 0
    const res = await runDag(
      [
        {
          name: 'flaky',
          run: async () => {
            if (++calls < 3) throw transient()
            return 'done'
          },
        },
      ],
      { baseDelayMs: 1 },
    )
    expect(res.steps[0]).toMatchObject({ status: 'succeeded', attempts: 3, output: 'done' })
    let hard = 0
    const res2 = await runDag(
      [
        {
          name: 'hard',
          run: async () => Promise.reject(Object.assign(new Error('denied'), { code: 'STORAGE_ERROR', n: ++hard })),
        },
      ],
      {
        baseDelayMs: 1,
      },
    )
    expect(res2.steps[0]).toMatchObject({ status: 'failed', attempts: 1, errorCode: 'STORAGE_ERROR' })
    expect(hard).toBe(1)
    // A misconfigured S3 client (no region, no credentials) is permanent too: one attempt, its own code.
    const res3 = await runDag(
      [
        {
          name: 'misconfigured',
          run: async () => Promise.reject(Object.assign(new Error('Region is missing'), { code: 'STORAGE_CONFIG' })),
        },
      ],
      { baseDelayMs: 1 },
    )
    expect(res3.steps[0]).toMatchObject({ status: 'failed', attempts: 1, errorCode: 'STORAGE_CONFIG' })
  })

  it('gives up on a transient error after maxAttempts', async () => {
    let calls = 0
    await expect(
      withRetries(async () => Promise.reject(Object.assign(transient(), { n: ++calls })), {
        maxAttempts: 2,
        baseDelayMs: 1,
      }),
    ).rejects.toMatchObject({
      attempts: 2,
    })
    expect(isTransient(transient())).toBe(true)
  })

  it('rejects unknown dependencies and cycles before running anything', async () => {
    await expect(runDag([{ name: 'a', dependsOn: ['b'], run: async () => 1 }])).rejects.toThrow(/unknown step b/)
    await expect(
      runDag([
        { name: 'a', dependsOn: ['b'], run: async () => 1 },
        { name: 'b', dependsOn: ['a'], run: async () => 1 },
      ]),
    ).rejects.toThrow(/cycle/)
  })
})
