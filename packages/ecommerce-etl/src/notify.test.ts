import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConsoleNotifier, notifiersFromSpec, notifyAll, type RunNotification, WebhookNotifier } from './notify.js'

const note: RunNotification = {
  runId: 'r-1',
  status: 'failed',
  warehouse: '/tmp/wh',
  steps: [
    { name: 'orders', status: 'failed', error: 'boom' },
    { name: 'order_items', status: 'skipped' },
  ],
  durationMs: 1500,
}

let server: Server
let url: string
const received: { path: string; body: unknown }[] = []
beforeAll(async () => {
  server = createServer((req, res) => {
    let body = ''
    req.on('data', (c) => {
      body += c
    })
    req.on('end', () => {
      received.push({ path: req.url ?? '', body: JSON.parse(body) })
      res.statusCode = req.url === '/fail' ? 500 : 204
      res.end()
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  await new Promise((r) => server.close(r))
})

describe('notifiers', () => {
  it('the webhook notifier POSTs the run as JSON to a real local receiver', async () => {
    await new WebhookNotifier(`${url}/hook`).notify(note)
    const got = received.find((r) => r.path === '/hook')
    expect(got?.body).toMatchObject({ event: 'run.failed', runId: 'r-1', status: 'failed', steps: note.steps })
    expect(got).toBeDefined()
    expect((got as { body: { text: string } }).body.text).toContain('orders: failed - boom')
  })

  it('notifyAll reports a receiver answering 500 as a delivery error without throwing', async () => {
    const lines: string[] = []
    const errors = await notifyAll(
      [new WebhookNotifier(`${url}/fail`), new ConsoleNotifier((t) => lines.push(t))],
      note,
    )
    expect(errors).toEqual([{ notifier: 'webhook', error: `webhook ${url}/fail answered 500` }])
    expect(lines.join('')).toMatch(/^\[ecommerce-etl\] run r-1 FAILED in 1\.5s/)
  })

  it('builds notifiers from specs and refuses unknown kinds', () => {
    expect(
      notifiersFromSpec(['console', `webhook:${url}`, 'sns:arn:aws:sns:us-east-1:123456789012:etl']).map((n) => n.name),
    ).toEqual(['console', 'webhook', 'sns'])
    expect(() => notifiersFromSpec(['pager'])).toThrow(/unknown notifier/)
  })
})
