/**
 * Run notifications (what the Step Functions SNS states did): one message when a run succeeds or fails.
 * Console is the default; a webhook (HTTP POST of JSON via fetch) and Amazon SNS are options. A notifier
 * failing never changes the run's outcome: {@link notifyAll} collects delivery errors instead of throwing.
 */

/** What a notifier receives at the end of a run. */
export interface RunNotification {
  runId: string
  status: 'succeeded' | 'failed'
  warehouse: string
  /** One line per step: `name: status` (and the error for failed steps). */
  steps: { name: string; status: string; error?: string }[]
  /** Per-job row counts (input, accepted, rejected, inserted, updated) for the summary. */
  jobs?: Record<string, Record<string, unknown>>
  durationMs: number
}

/** Delivers a notification; rejects when delivery failed. */
export interface Notifier {
  readonly name: string
  notify(n: RunNotification): Promise<void>
}

/** Human-readable one-paragraph summary of a notification (used by console and SNS). */
export function formatNotification(n: RunNotification): string {
  const head = `[ecommerce-etl] run ${n.runId} ${n.status.toUpperCase()} in ${(n.durationMs / 1000).toFixed(1)}s (${n.warehouse})`
  const lines = n.steps.map((s) => `  ${s.name}: ${s.status}${s.error ? ` - ${s.error}` : ''}`)
  return [head, ...lines].join('\n')
}

/** Writes the summary to a text sink (standard output by default). */
export class ConsoleNotifier implements Notifier {
  readonly name = 'console'
  private readonly write: (text: string) => void
  constructor(write: (text: string) => void = (t) => void process.stdout.write(t)) {
    this.write = write
  }
  async notify(n: RunNotification): Promise<void> {
    this.write(`${formatNotification(n)}\n`)
  }
}

/** POSTs the notification as JSON to a URL; a non-2xx answer or network error rejects. */
export class WebhookNotifier implements Notifier {
  readonly name = 'webhook'
  constructor(
    readonly url: string,
    private readonly options: { headers?: Record<string, string>; timeoutMs?: number } = {},
  ) {}
  async notify(n: RunNotification): Promise<void> {
    const res = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...this.options.headers },
      body: JSON.stringify({ event: `run.${n.status}`, text: formatNotification(n), ...n }),
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
    })
    await res.arrayBuffer() // drain so the connection can be reused
    if (!res.ok) throw new Error(`webhook ${this.url} answered ${res.status}`)
  }
}

/**
 * Publishes to an SNS topic through @aws-sdk/client-sns, loaded only when this notifier is used. Region,
 * credentials and endpoint come from the usual AWS configuration unless given.
 */
export class SnsNotifier implements Notifier {
  readonly name = 'sns'
  constructor(
    readonly topicArn: string,
    private readonly clientConfig: {
      region?: string
      endpoint?: string
      credentials?: { accessKeyId: string; secretAccessKey: string }
    } = {},
  ) {}
  async notify(n: RunNotification): Promise<void> {
    const { SNSClient, PublishCommand } = await import('@aws-sdk/client-sns')
    const client = new SNSClient({
      region: this.clientConfig.region ?? process.env.AWS_REGION ?? 'us-east-1',
      ...this.clientConfig,
    })
    try {
      await client.send(
        new PublishCommand({
          TopicArn: this.topicArn,
          Subject: `ecommerce-etl run ${n.status}`.slice(0, 100),
          Message: formatNotification(n),
          MessageAttributes: { status: { DataType: 'String', StringValue: n.status } },
        }),
      )
    } finally {
      client.destroy()
    }
  }
}

/** Sends to every notifier; returns the delivery errors (empty when all delivered). */
export async function notifyAll(
  notifiers: readonly Notifier[],
  n: RunNotification,
): Promise<{ notifier: string; error: string }[]> {
  const out = await Promise.allSettled(notifiers.map((x) => x.notify(n)))
  return out.flatMap((r, i) =>
    r.status === 'rejected'
      ? [{ notifier: notifiers[i].name, error: String((r.reason as Error)?.message ?? r.reason) }]
      : [],
  )
}

/**
 * Builds notifiers from a spec: `console`, `webhook:<url>`, `sns:<topic-arn>`; several specs combine.
 * Throws on an unknown kind.
 */
export function notifiersFromSpec(specs: readonly string[]): Notifier[] {
  return specs.map((s) => {
    if (s === 'console') return new ConsoleNotifier()
    if (s.startsWith('webhook:')) return new WebhookNotifier(s.slice('webhook:'.length))
    if (s.startsWith('sns:')) return new SnsNotifier(s.slice('sns:'.length))
    throw new Error(`unknown notifier ${JSON.stringify(s)} (use console, webhook:<url> or sns:<topic-arn>)`)
  })
}
