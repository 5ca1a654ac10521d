import { describe, expect, it } from 'vitest'
import { nodeWorkerRuntime, nodeWorkerSpawner } from './node.js'
import { WorkerCrashError, WorkerPool, WorkerTaskError } from './pool.js'

// A handler over no packages: echoes, throws, or kills its thread, as the request asks.
const HANDLER = `() => (request, respond, fail) => {
  if (request.op === 'echo') respond({ echo: request.value, thread: require('node:worker_threads').threadId }, [])
  else if (request.op === 'fail') fail('asked to fail')
  else if (request.op === 'crash') queueMicrotask(() => { throw new Error('boom') })
  else if (request.op === 'exit') process.exit(3)
}`

// Answers after 300 ms, so tasks submitted together overlap and each needs its own worker.
const SLOW = `() => (request, respond) => {
  setTimeout(() => respond({ thread: require('node:worker_threads').threadId }, []), 300)
}`

describe('WorkerPool on Node worker threads', () => {
  it('a task whose worker dies fails with WorkerCrashError; the next task runs on a fresh worker', async () => {
    const pool = new WorkerPool(nodeWorkerSpawner(HANDLER, []))
    const first = await pool.run<{ thread: number }>({ op: 'echo', value: 1 })
    await expect(pool.run({ op: 'crash' })).rejects.toBeInstanceOf(WorkerCrashError)
    await expect(pool.run({ op: 'exit' })).rejects.toBeInstanceOf(WorkerCrashError)
    const after = await pool.run<{ echo: number; thread: number }>({ op: 'echo', value: 2 })
    expect(after.echo).toBe(2)
    expect(after.thread).not.toBe(first.thread)
    expect(pool.crashes).toBe(2)
    pool.close()
  })

  it('a task the worker answers with an error fails with WorkerTaskError and keeps the worker', async () => {
    const pool = new WorkerPool(nodeWorkerSpawner(HANDLER, []))
    const a = await pool.run<{ thread: number }>({ op: 'echo', value: 0 })
    await expect(pool.run({ op: 'fail' })).rejects.toEqual(new WorkerTaskError('asked to fail'))
    const b = await pool.run<{ thread: number }>({ op: 'echo', value: 0 })
    expect(b.thread).toBe(a.thread)
    expect(pool.crashes).toBe(0)
    pool.close()
  })

  it('queues tasks beyond its size and answers each in submission order; close fails what is left', async () => {
    const pool = new WorkerPool(nodeWorkerSpawner(HANDLER, []), { size: 2 })
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => pool.run<{ echo: number }>({ op: 'echo', value: i })),
    )
    expect(answers.map((a) => a.echo)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    const threads = new Set(
      (await Promise.all([1, 2, 3, 4].map(() => pool.run<{ thread: number }>({ op: 'echo' })))).map((a) => a.thread),
    )
    expect(threads.size).toBeLessThanOrEqual(2)
    pool.close()
    await expect(pool.run({ op: 'echo' })).rejects.toThrow('closed')
  })

  it('grow raises the worker bound (never lowers it): four concurrent tasks then run on four threads', async () => {
    const pool = new WorkerPool(nodeWorkerRuntime.spawner(SLOW, []), { size: 1 })
    expect(pool.size).toBe(1)
    pool.grow(4)
    pool.grow(2)
    expect(pool.size).toBe(4)
    const threads = new Set(
      (await Promise.all([1, 2, 3, 4].map(() => pool.run<{ thread: number }>({})))).map((a) => a.thread),
    )
    expect(threads.size).toBe(4)
    expect(nodeWorkerRuntime.cores()).toBeGreaterThanOrEqual(1)
    pool.close()
  })
})
