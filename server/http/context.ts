import type { HttpBindings } from '@hono/node-server'
import type { Kysely } from 'kysely'
import type { LoginLimiter } from '../auth/login-limiter.ts'
import type { Clock } from '../clock.ts'
import type { Config } from '../config.ts'
import type { LaneGate } from '../data/lanes.ts'
import type { Unifier } from '../data/unifier.ts'
import type { Dialect } from '../db/database.ts'
import type { Database } from '../db/schema.ts'
import type { Principal } from '../db/sessions.repo.ts'
import type { Alerts } from '../events/alerts.ts'
import type { EventHub } from '../events/hub.ts'
import type { Dispatcher } from '../executor/dispatcher.ts'
import type { UpstreamWaker } from '../executor/upstream-waker.ts'
import type { Logger } from '../log.ts'
import type { Vault } from '../vault/vault.ts'
import type { RateLimits } from './rate-limits.ts'

/** What every route needs, passed in once so tests build the app on any database and clock. */
export interface Deps {
  db: Kysely<Database>
  dialect: Dialect
  config: Config
  clock: Clock
  logger: Logger
  loginLimiter: LoginLimiter
  /** Wrong-credential and collect budgets. */
  rateLimits: RateLimits
  version: string
  /** The bulk lane: applies published uploads and resumed streams to profiles. */
  unifier: Unifier
  /** Lets realtime requests go before the bulk lane's next transaction. */
  lanes: LaneGate
  /** Claims due jobs and runs their units; `npm start` starts it, tests tick it. */
  dispatcher: Dispatcher
  /** Wakes what collect sources feed (after upstream) once their new data is committed. */
  upstream: UpstreamWaker
  /** Fans the outbox out to this process's SSE clients. */
  hub: EventHub
  /** Alert rules: evaluation and deliveries. */
  alerts: Alerts
  /** Seals and opens credentials under the master key. */
  vault: Vault
}

export interface AppEnv {
  /** The Node request and response under `@hono/node-server`; absent under `app.request()`. */
  Bindings: Partial<HttpBindings>
  Variables: {
    deps: Deps
    principal: Principal | undefined
    /** The data key of a collect request. */
    dataKey: { id: string; name: string; stream: string | null } | undefined
    requestId: string
    log: Logger
  }
}
