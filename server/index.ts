import { serve } from '@hono/node-server'
import { createApp } from './app.ts'
import { openDeps, ROOT } from './bootstrap.ts'
import { ensureClientBuilt } from './client-build.ts'
import { ConfigError, loadConfig } from './config.ts'
import { startMaintenance } from './data/maintenance.ts'
import { STOP_GRACE_MS } from './executor/dispatcher.ts'
import { createLogger } from './log.ts'

/** `npm start`: build the UI if stale, migrate, serve UI and API on one port, stop cleanly. */
async function main(): Promise<void> {
  const config = loadConfig()
  const logger = createLogger({ level: config.logLevel })
  const clientDir =
    process.env.SLUICE_SKIP_CLIENT_BUILD === '1' ? undefined : ensureClientBuilt(ROOT, (m) => logger.info(m))
  const { deps, close } = await openDeps(config, logger)
  const app = createApp(deps, clientDir ? { clientDir } : {})
  const stopMaintenance = startMaintenance(deps)
  deps.dispatcher.start()
  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) => {
    logger.info(
      { url: `http://${config.host}:${info.port}`, db: deps.dialect, dataDir: config.dataDir },
      'Sluice is listening',
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
