import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createLoginLimiter } from './auth/login-limiter.ts'
import { hashPassword } from './auth/passwords.ts'
import { systemClock } from './clock.ts'
import type { Config } from './config.ts'
import { recoverUploads } from './data/bulk-upload.ts'
import { LaneGate } from './data/lanes.ts'
import { createUnifier } from './data/unifier.ts'
import { storedKeyIds } from './db/authorizations.repo.ts'
import { migrateToLatest, openDatabase } from './db/database.ts'
import { newId } from './db/ids.ts'
import { serialize } from './db/locks.ts'
import { registerListener, unregisterListener } from './db/outbox.repo.ts'
import { countUsers, insertUser } from './db/users.repo.ts'
import { createAlerts } from './events/alerts.ts'
import { createEventHub } from './events/hub.ts'
import { listenFor, OUTBOX_CHANNEL, WAKE_CHANNEL } from './events/listen.ts'
import { createDispatcher } from './executor/dispatcher.ts'
import { createUpstreamWaker } from './executor/upstream-waker.ts'
import type { Deps } from './http/context.ts'
import { createRateLimits } from './http/rate-limits.ts'
import { createLogger, type Logger } from './log.ts'
import { loadMasterKey } from './vault/master-key.ts'
import { resealStale } from './vault/reseal.ts'
import { createVault } from './vault/vault.ts'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

export function appVersion(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }
  return pkg.version
}

/** Opens and migrates the database and assembles what the app and the executor share. */
export async function openDeps(config: Config, logger: Logger = createLogger({ level: config.logLevel })) {
  fs.mkdirSync(config.dataDir, { recursive: true })
  const database = openDatabase(config.db, {
    onIdleError: (error) =>
      logger.warn({ err: error }, 'an idle database connection failed; it will be replaced'),
    backgroundCheckpoints: true,
    // A transaction idle past the lease belongs to a frozen worker whose job may be claimed already.
    idleInTransactionMs: config.leaseTtlMs,
    onCheckpointError: (message) => logger.warn({ error: message }, 'WAL checkpoint failed; it is retried'),
  })
  try {
    const applied = await migrateToLatest(database.db)
    if (applied.length) logger.info({ migrations: applied }, 'database migrated')
    const deps = await assemble(config, database, logger)
    const resealed = await resealStale(deps.db, deps.vault)
    if (resealed.alertRules) logger.info(resealed, 'sealed alert webhook secrets stored in plain text')
    await ensureFirstAdmin(deps)
    // Uploads a crash cut off are discarded; whatever was published but not unified is applied now.
    // On PostgreSQL another live process may be receiving: only long-silent uploads are abandoned.
    const silentFor = deps.dialect === 'sqlite' ? 0 : 15 * 60_000
    await recoverUploads(deps, new Date(deps.clock.now().getTime() - silentFor + 1).toISOString())
    deps.unifier.wake()
    return {
      deps,
      close: async () => {
        await deps.hub.stop()
        await deps.dispatcher.stop()
        await deps.alerts.stop()
        await deps.unifier.stop()
        await deps.upstream.stop()
        await database.close()
      },
    }
  } catch (error) {
    await database.close()
    throw error
  }
}

async function assemble(
  config: Config,
  database: ReturnType<typeof openDatabase>,
  logger: Logger,
): Promise<Deps> {
  const key = loadMasterKey({
    envKey: config.secretKey,
    dataDir: config.dataDir,
    storedKeyIds: await storedKeyIds(database.db),
    mayGenerate: database.dialect === 'sqlite',
    logger,
  })
  return buildDeps({
    vault: createVault(key),
    db: database.db,
    dialect: database.dialect,
    config,
    clock: systemClock,
    logger,
    version: appVersion(),
  })
}

/** The services every process holds, over its database, settings and clock (tests pass their own). */
export function buildDeps(
  base: Pick<Deps, 'db' | 'dialect' | 'config' | 'clock' | 'logger' | 'version' | 'vault'>,
): Deps {
  const lanes = new LaneGate()
  const dispatcher = createDispatcher({
    ...base,
    lanes,
    ...(base.dialect === 'postgres'
      ? { listen: (wake: () => void) => listenFor(base.config.db, WAKE_CHANNEL, base.logger, wake) }
      : {}),
  })
  const upstream = createUpstreamWaker(base, () => dispatcher.wake())
  // SQLite has no notifications: a short poll while clients listen is the signal (one indexed
  // read, nothing while no one listens). PostgreSQL NOTIFYs; its poll is a safety net.
  const postgres = base.dialect === 'postgres'
  const hub = createEventHub({
    db: base.db,
    logger: base.logger,
    pollMs: postgres ? 1000 : 50,
    ...(postgres
      ? {
          listen: (wake) => listenFor(base.config.db, OUTBOX_CHANNEL, base.logger, wake),
          presence: outboxPresence(base.db),
        }
      : {}),
  })
  return {
    ...base,
    hub,
    alerts: createAlerts(base),
    lanes,
    loginLimiter: createLoginLimiter(),
    rateLimits: createRateLimits({ collectPerSecond: base.config.collectRateLimit }),
    unifier: createUnifier({ ...base, lanes, upstream }),
    dispatcher,
    upstream,
  }
}

/**
 * This process's row in `outbox_listeners` (PostgreSQL, migration 0012), renewed every 30 s: a
 * crashed process stops being rung within two minutes.
 */
function outboxPresence(db: Deps['db']) {
  const id = newId()
  return {
    renewMs: 30_000,
    enter: () => registerListener(db, id),
    leave: () => unregisterListener(db, id),
  }
}

/** `SLUICE_ADMIN_EMAIL` / `SLUICE_ADMIN_PASSWORD` create the first admin for automated installs. */
async function ensureFirstAdmin(deps: Deps): Promise<void> {
  const { adminEmail, adminPassword } = deps.config
  if (!adminEmail && !adminPassword) return
  if (!adminEmail || !adminPassword)
    throw new Error('set both SLUICE_ADMIN_EMAIL and SLUICE_ADMIN_PASSWORD, or neither')
  if (adminPassword.length < 8) throw new Error('SLUICE_ADMIN_PASSWORD must be at least 8 characters')
  if ((await countUsers(deps.db)) > 0) return
  const passwordHash = await hashPassword(adminPassword)
  // Several processes starting at once on one PostgreSQL: one of them creates the admin.
  const created = await deps.db.transaction().execute(async (trx) => {
    await serialize(trx, 'sluice.first-admin')
    if ((await countUsers(trx)) > 0) return false
    await insertUser(trx, {
      email: adminEmail,
      name: adminEmail.split('@')[0] ?? 'admin',
      role: 'admin',
      passwordHash,
      createdBy: null,
      at: deps.clock.now().toISOString(),
    })
    return true
  })
  if (created)
    deps.logger.info({ email: adminEmail.toLowerCase() }, 'first admin created from the environment')
}
