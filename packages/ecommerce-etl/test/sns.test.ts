/** The SNS notifier against the moto server of the shared test setup (moto serves SNS next to S3). */
import { CreateTopicCommand, ListTopicsCommand, SNSClient } from '@aws-sdk/client-sns'
import { describe, expect, inject, it } from 'vitest'
import { SnsNotifier } from '../src/notify.js'

declare module 'vitest' {
  // Provided by delta-ts's global setup (test/global-setup.ts), which this project reuses.
  export interface ProvidedContext {
    s3Endpoint: string
    s3Error: string
  }
}

const note = {
  runId: 'r-9',
  status: 'succeeded' as const,
  warehouse: 's3://b/p',
  steps: [{ name: 'orders', status: 'succeeded' }],
  durationMs: 10,
}

describe('SnsNotifier', () => {
  it('publishes to an existing topic and rejects for a topic that does not exist', async () => {
    const endpoint = inject('s3Endpoint')
    expect(inject('s3Error')).toBe('')
    const config = { region: 'us-east-1', endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }
    const client = new SNSClient(config)
    const { TopicArn } = await client.send(new CreateTopicCommand({ Name: `etl-${Date.now()}` }))
    expect((await client.send(new ListTopicsCommand({}))).Topics?.map((t) => t.TopicArn)).toContain(TopicArn)
    client.destroy()
    await expect(new SnsNotifier(TopicArn as string, config).notify(note)).resolves.toBeUndefined()
    await expect(
      new SnsNotifier('arn:aws:sns:us-east-1:123456789012:missing-topic', config).notify(note),
    ).rejects.toThrow()
  })
})
