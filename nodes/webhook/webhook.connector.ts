import { createHash } from 'node:crypto'
import { z } from 'zod'
import {
  type ConnectorContext,
  ConnectorError,
  defineConnector,
  type ExportBatch,
  type WriteAck,
} from '../define.ts'
import { retryableAnswer, unreachable } from '../http-answers.ts'
import { type WebhookConfig, webhook, webhookConfig } from './webhook.node.ts'
import { signature } from './webhook.signature.ts'

const TIMEOUT_MS = 30_000
const BODY_IN_ERRORS = 300

function parseConfig(config: unknown): WebhookConfig {
  const parsed = webhookConfig.safeParse(config ?? {})
  if (parsed.success) return parsed.data
  throw new ConnectorError('config', `invalid webhook config: ${z.prettifyError(parsed.error)}`)
}

function secretOf(credentials: Record<string, unknown>): string {
  const secret = credentials.signingSecret
  if (typeof secret !== 'string' || !secret)
    throw new ConnectorError('auth', 'the authorization has no signing secret: enter one in the Vault')
  return secret
}

/**
 * One signed POST. 2xx delivers; 429 sleeps until `Retry-After`; 408, 5xx and network failures
 * are retried by the executor; any other 4xx is a config error naming the status and the body,
 * since retrying cannot fix what the endpoint refuses.
 */
async function post(
  ctx: ConnectorContext<WebhookConfig>,
  config: WebhookConfig,
  secret: string,
  body: string,
  key: string,
) {
  await ctx.throttle?.()
  let response: Response
  try {
    response = await ctx.fetch(config.url, {
      method: 'POST',
      headers: {
        ...config.headers,
        'content-type': 'application/json',
        'user-agent': 'Sluice-Webhook/1',
        'idempotency-key': key,
        'x-sluice-signature': signature(secret, body, ctx.now()),
      },
      body,
      redirect: 'error',
      signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(TIMEOUT_MS)]),
    })
  } catch (error) {
    throw unreachable(error, 'the webhook')
  }
  const text = (await response.text().catch(() => '')).slice(0, BODY_IN_ERRORS)
  if (response.ok) return
  const answered = `the webhook answered HTTP ${response.status}${text ? `: ${text}` : ''}`
  const retryable = retryableAnswer(response.status, response.headers, answered, ctx.now())
  if (retryable) throw retryable
  throw new ConnectorError('config', `${answered} (check its URL and what it accepts)`, {
    code: String(response.status),
  })
}

/**
 * Each batch of the run goes out in requests of `batchSize` people; its acknowledgement follows
 * once every request of it was accepted. The idempotency key is a hash of the job and the
 * request's content, so a retry after a crash carries the same key and the endpoint can drop it.
 */
async function* write(
  ctx: ConnectorContext<WebhookConfig>,
  batches: AsyncIterable<ExportBatch>,
): AsyncGenerator<WriteAck> {
  const config = parseConfig(ctx.config)
  const secret = secretOf(ctx.credentials)
  for await (const batch of batches) {
    const items = [
      ...batch.upserts.map((row) => ({ action: 'upsert' as const, id: row.id, fields: row.fields })),
      ...batch.removes.map((row) => ({ action: 'remove' as const, id: row.id })),
    ]
    for (let start = 0; start < items.length; start += config.batchSize) {
      if (ctx.signal.aborted) return
      const chunk = items.slice(start, start + config.batchSize)
      const content = JSON.stringify(chunk)
      const key = createHash('sha256')
        .update(`${ctx.jobId ?? 'check'}\u0000${content}`)
        .digest('hex')
        .slice(0, 32)
      const body = `{"idempotencyKey":"${key}","sentAt":${JSON.stringify(ctx.now().toISOString())},"items":${content}}`
      await post(ctx, config, secret, body, key)
    }
    yield {
      delivered: batch.upserts.map((row) => row.id),
      removed: batch.removes.map((row) => row.id),
      rejected: [],
    }
  }
}

export default defineConnector(webhook, {
  async check(ctx) {
    try {
      const secret = secretOf(ctx.credentials)
      if (!ctx.config)
        return { ok: true, message: 'the signing secret is stored; add the URL to send a test' }
      const config = parseConfig(ctx.config)
      const body = JSON.stringify({ test: true, sentAt: ctx.now().toISOString(), items: [] })
      await post({ ...ctx, jobId: null, config }, config, secret, body, `test-${Date.now()}`)
      return { ok: true, message: `${new URL(config.url).host} accepted a signed test request` }
    } catch (error) {
      return { ok: false, message: (error as Error).message }
    }
  },
  jobs: { batches: { direction: 'export', write } },
})
