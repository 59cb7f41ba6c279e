import type { Transporter } from 'nodemailer'
import { signature } from '../../nodes/webhook/webhook.signature.ts'
import { claimDeliveries, settleDelivery } from '../db/alerts.repo.ts'
import type { Executor } from '../db/schema.ts'
import type { Logger } from '../log.ts'
import { OutboundRefused } from '../net/outbound.ts'
import type { Vault } from '../vault/vault.ts'
import { type AlertCondition, type OpenTarget, openTarget, type StoredTarget } from './alert-rules.ts'

/**
 * Attempts before a delivery is given up (failed). Back-off doubles from SLUICE_RETRY_BASE to at
 * most SLUICE_RETRY_MAX, as a job's does (30 s to 30 min by default: eight attempts span ~2 h).
 */
export const MAX_ATTEMPTS = 8
const CLAIM_MS = 60_000
const TIMEOUT_MS = 10_000

export interface RetryPolicy {
  baseMs: number
  maxMs: number
}
export const retryDelayMs = (attempts: number, policy: RetryPolicy) =>
  Math.min(policy.baseMs * 2 ** (attempts - 1), policy.maxMs)

/** What one alert says, whichever way it travels. */
export interface AlertMessage {
  deliveryId: string
  rule: { id: string; name: string; condition: AlertCondition }
  episode: { id: string; openedAt: string; summary: string }
  job: { id: string; name: string; provider: string; status: string; pipelineId: string | null } | null
  url: string
  test?: boolean
}

/** A delivery that did not go through: whether trying again can help, and what happened. */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly retry: boolean,
  ) {
    super(message)
  }
}

export { signature }

const headline = (message: AlertMessage) =>
  `${message.test ? '[test] ' : ''}Sluice alert “${message.rule.name}”`

/** Slack-compatible JSON (`text` and `blocks`), with the structured alert beside it. */
export function webhookBody(message: AlertMessage): string {
  const text = `${headline(message)}: ${message.episode.summary}`
  return JSON.stringify({
    text: `${text} <${message.url}|Open in Sluice>`,
    blocks: [
      {
        type: 'section',
        text: { type: 'mrkdwn', text: `*${headline(message)}*\n${message.episode.summary}` },
      },
      {
        type: 'context',
        elements: [
          { type: 'mrkdwn', text: `<${message.url}|Open in Sluice> · since ${message.episode.openedAt}` },
        ],
      },
    ],
    sluice: {
      deliveryId: message.deliveryId,
      test: message.test === true,
      rule: message.rule,
      episode: message.episode,
      job: message.job,
      url: message.url,
    },
  })
}

async function sendWebhook(
  fetch: typeof globalThis.fetch,
  target: Extract<OpenTarget, { type: 'webhook' }>,
  message: AlertMessage,
  now: Date,
) {
  const body = webhookBody(message)
  let response: Response
  try {
    response = await fetch(target.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Sluice-Alerts/1',
        'x-sluice-delivery': message.deliveryId,
        'x-sluice-signature': signature(target.secret, body, now),
      },
      body,
      redirect: 'error',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    })
  } catch (error) {
    if (error instanceof OutboundRefused) throw new DeliveryError(error.message, false)
    const reason = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message
    throw new DeliveryError(`the webhook could not be reached (${reason})`, true)
  }
  if (response.ok) return
  const text = (await response.text().catch(() => '')).slice(0, 200)
  const retry = response.status >= 500 || response.status === 408 || response.status === 429
  throw new DeliveryError(
    `the webhook answered HTTP ${response.status}${text ? `: ${text}` : ''}${retry ? '' : ' (check its URL)'}`,
    retry,
  )
}

async function sendEmail(
  mailer: Transporter | null,
  from: string,
  target: Extract<OpenTarget, { type: 'email' }>,
  message: AlertMessage,
) {
  if (!mailer) throw new DeliveryError('email is not set up: set SLUICE_SMTP_URL', false)
  try {
    await mailer.sendMail({
      from,
      to: target.to,
      subject: `${headline(message)}: ${message.job?.name ?? 'a job'}`,
      text: `${message.episode.summary}\n\nSince ${message.episode.openedAt}.\nOpen in Sluice: ${message.url}\n`,
      headers: { 'X-Sluice-Delivery': message.deliveryId },
    })
  } catch (error) {
    const code = (error as { responseCode?: number }).responseCode
    // 5xx from the SMTP server is permanent (a refused recipient); anything else may pass later.
    throw new DeliveryError(`the SMTP server refused it: ${(error as Error).message}`, !(code && code >= 500))
  }
}

export interface Notifier {
  mailer: Transporter | null
  from: string
  /** Through the outbound guard: a webhook URL is the user's to choose. */
  fetch: typeof globalThis.fetch
}

/** Sends `message` to `target`; throws DeliveryError. */
export async function send(notifier: Notifier, target: OpenTarget, message: AlertMessage, now: Date) {
  if (target.type === 'webhook') await sendWebhook(notifier.fetch, target, message, now)
  else await sendEmail(notifier.mailer, notifier.from, target, message)
}

/**
 * Sends the deliveries that are due (DESIGN.md §7): each claimed for a minute, sent outside any
 * transaction, then settled — sent, or due again after a back-off, or failed after the last
 * attempt or a refusal that retrying cannot fix. Returns how many were attempted.
 */
export async function deliverDue(
  deps: {
    db: Executor
    logger: Logger
    vault: Vault
    publicUrl: string
    now: () => Date
    retry: RetryPolicy
  } & Notifier,
  limit = 20,
): Promise<number> {
  const claimed = await claimDeliveries(deps.db, deps.now().toISOString(), CLAIM_MS, limit)
  for (const delivery of claimed) {
    const rule = await deps.db
      .selectFrom('alert_rules')
      .selectAll()
      .where('id', '=', delivery.rule_id)
      .executeTakeFirst()
    const episode = await deps.db
      .selectFrom('alert_episodes')
      .selectAll()
      .where('id', '=', delivery.episode_id)
      .executeTakeFirst()
    if (!rule || !episode) continue
    const attempts = delivery.attempts + 1
    let target: OpenTarget | undefined
    try {
      const stored = (JSON.parse(rule.targets) as StoredTarget[])[delivery.target]
      target = stored && openTarget(deps.vault, rule.id, delivery.target, stored)
    } catch (error) {
      await settleDelivery(deps.db, delivery, {
        attempts,
        status: 'failed',
        last_error: `${(error as Error).message} (edit the rule's targets)`,
        next_attempt_at: null,
      })
      continue
    }
    if (!target || target.type !== delivery.kind) {
      await settleDelivery(deps.db, delivery, {
        attempts,
        status: 'failed',
        last_error: 'the rule no longer has this target',
        next_attempt_at: null,
      })
      continue
    }
    const job = await deps.db
      .selectFrom('jobs')
      .select(['id', 'name', 'provider', 'status', 'pipeline_id'])
      .where('id', '=', episode.job_id)
      .executeTakeFirst()
    const message: AlertMessage = {
      deliveryId: delivery.id,
      rule: { id: rule.id, name: rule.name, condition: JSON.parse(rule.condition) },
      episode: { id: episode.id, openedAt: episode.opened_at, summary: episode.summary },
      job: job
        ? {
            id: job.id,
            name: job.name,
            provider: job.provider,
            status: job.status,
            pipelineId: job.pipeline_id,
          }
        : null,
      url: `${deps.publicUrl}/jobs/${episode.job_id}`,
    }
    const now = deps.now()
    try {
      await send(deps, target, message, now)
      await settleDelivery(deps.db, delivery, {
        attempts,
        status: 'sent',
        sent_at: deps.now().toISOString(),
        last_error: null,
        next_attempt_at: null,
      })
    } catch (error) {
      const failure =
        error instanceof DeliveryError
          ? error
          : new DeliveryError((error as Error).message ?? String(error), true)
      const last = !failure.retry || attempts >= MAX_ATTEMPTS
      await settleDelivery(deps.db, delivery, {
        attempts,
        status: last ? 'failed' : 'pending',
        last_error: failure.message,
        next_attempt_at: last
          ? null
          : new Date(now.getTime() + retryDelayMs(attempts, deps.retry)).toISOString(),
      })
      deps.logger.warn(
        { deliveryId: delivery.id, ruleId: rule.id, kind: delivery.kind, attempts, error: failure.message },
        last ? 'alert delivery failed for good' : 'alert delivery failed; it is retried',
      )
    }
  }
  return claimed.length
}
