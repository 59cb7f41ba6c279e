import { createHmac } from 'node:crypto'

/**
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`, as Stripe signs webhooks: the receiver
 * recomputes it with the shared secret and refuses old timestamps (replays). Used by the webhook
 * destination and by alert webhooks.
 */
export function signature(secret: string, body: string, at: Date): string {
  const t = Math.floor(at.getTime() / 1000)
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`
}
