import nodemailer from 'nodemailer'
import type { Clock } from '../clock.ts'
import type { Config } from '../config.ts'
import type { Executor } from '../db/schema.ts'
import type { Logger } from '../log.ts'
import { guardedFetch } from '../net/outbound.ts'
import type { Vault } from '../vault/vault.ts'
import { deliverDue, type Notifier } from './alert-delivery.ts'
import { evaluateAlerts } from './alert-evaluator.ts'

export interface Alerts {
  notifier: Notifier
  /** Evaluates every rule, then sends what is due; one pass at a time. */
  tick(): Promise<{ opened: number; closed: number; attempted: number }>
  stop(): Promise<void>
}

/** Alert rules and their deliveries (DESIGN.md §7); the worker's maintenance ticks it every few seconds. */
export function createAlerts(deps: {
  db: Executor
  clock: Clock
  logger: Logger
  config: Config
  vault: Vault
}): Alerts {
  const mailer = deps.config.smtpUrl ? nodemailer.createTransport(deps.config.smtpUrl) : null
  const notifier: Notifier = { mailer, from: deps.config.smtpFrom, fetch: guardedFetch(deps.config) }
  let running: Promise<{ opened: number; closed: number; attempted: number }> | null = null
  const pass = async () => {
    const { opened, closed } = await evaluateAlerts(deps.db, deps.clock.now())
    let attempted = 0
    for (;;) {
      const sent = await deliverDue({
        db: deps.db,
        logger: deps.logger,
        vault: deps.vault,
        publicUrl: deps.config.publicUrl,
        now: () => deps.clock.now(),
        retry: { baseMs: deps.config.retryBaseMs, maxMs: deps.config.retryMaxMs },
        ...notifier,
      })
      attempted += sent
      if (sent < 20) break
    }
    return { opened, closed, attempted }
  }
  return {
    notifier,
    tick() {
      running ??= pass().finally(() => {
        running = null
      })
      return running
    },
    async stop() {
      await running?.catch(() => undefined)
      mailer?.close()
    },
  }
}
