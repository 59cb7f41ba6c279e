import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { createApp } from './app.ts'
import { openDeps, ROOT } from './bootstrap.ts'
import { ensureClientBuilt } from './client-build.ts'
import { ConfigError, loadConfig } from './config.ts'
import { startMaintenance } from './data/maintenance.ts'
import { STOP_GRACE_MS } from './executor/dispatcher.ts'
import type { AppEnv } from './http/context.ts'
import { createLogger } from './log.ts'
import { healthRoutes } from './routes/health.routes.ts'

/**
 * What this process does (DESIGN.md §8): `all` (`npm start`) serves the UI and API and runs the
 * executor; `api` (`npm run start:api`) only serves; `worker` (`npm run start:worker`) only runs
 * the executor, its maintenance and alerts, answering nothing but `/api/health` on PORT. Split
 * processes coordinate through PostgreSQL alone: leases, SKIP LOCKED, the outbox and NOTIFY.
 */
export type ProcessMode = 'all' | 'api' | 'worker'

function modeOf(argv: string[]): ProcessMode {
  if (argv.includes('--worker')) return 'worker'
  if (argv.includes('--api')) return 'api'
  return 'all'
}

async function main(): Promise<void> {
  const mode = modeOf(process.argv.slice(2))
  const config = loadConfig()
  if (mode !== 'all' && config.dialect === 'sqlite') {
    throw new ConfigError(
      `start:${mode} runs ${mode === 'worker' ? 'the executor' : 'the API'} apart from the rest, which needs ` +
        'PostgreSQL (SLUICE_DB=postgres://...): SQLite is one process. Use `npm start` for SQLite, or move ' +
        'this deployment with `npm run migrate-to -- postgres://...`',
    )
  }
  const logger = createLogger({ level: config.logLevel }).child({ mode })
  const clientDir =
    mode === 'worker' || process.env.SLUICE_SKIP_CLIENT_BUILD === '1'
      ? undefined
      : ensureClientBuilt(ROOT, (m) => logger.info(m))
  const { deps, close } = await openDeps(config, logger)
  const app =
    mode === 'worker'
      ? new Hono<AppEnv>()
          .use('*', async (c, next) => {
            c.set('deps', deps)
            await next()
          })
          .route('/', healthRoutes)
      : createApp(deps, clientDir ? { clientDir } : {})
  const stopMaintenance = mode === 'api' ? () => {} : startMaintenance(deps)
  if (mode !== 'api') deps.dispatcher.start()
  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) => {
    logger.info(
      { url: `http://${config.host}:${info.port}`, db: deps.dialect, dataDir: config.dataDir },
      mode === 'worker' ? 'Sluice worker is running (health on this port)' : 'Sluice is listening',
    )
  })
  let stopping = false
  // SIGTERM (DESIGN.md §4): stop claiming, let running batches finish (bounded by the dispatcher's
  // grace), hand their jobs back with their leases released, close the database, exit 0.
  const stop = (signal: string) => {
    if (stopping) return
    stopping = true
    logger.info({ signal }, 'shutting down')
    stopMaintenance()
    server.close()
    // Idle keep-alive connections would hold server.close() open: closing the database does not wait for them.
    close()
      .then(() => logger.info('stopped: running jobs handed back'))
      .catch((error: unknown) => logger.error({ err: error }, 'shutdown could not close cleanly'))
      .finally(() => process.exit(0))
    // A last resort should a close hang; leases then simply expire.
    setTimeout(() => process.exit(0), STOP_GRACE_MS + 10_000).unref()
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) console.error(`Sluice cannot start: ${error.message}`)
  else console.error('Sluice cannot start:', error)
  process.exit(1)
})
