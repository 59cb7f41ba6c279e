import os from 'node:os'
import { Cron } from 'croner'
import { trimOutbox } from '../db/outbox.repo.ts'
import { TOMBSTONE_TTL_MS, trimTombstones } from '../db/tombstones.repo.ts'
import { sweepExpiredLeases } from '../executor/leases.ts'
import { purgeJobs } from '../executor/purge.ts'
import type { Deps } from '../http/context.ts'
import { recoverUploads } from './bulk-upload.ts'
import { sweepRetention } from './retention.ts'

/** Live events are kept a day: a client away longer reloads (the SSE `reset` event). */
export const OUTBOX_KEEP_MS = 24 * 3_600_000
/** An upload silent this long has lost its sender or its process. */
const STALE_UPLOAD_MS = 15 * 60_000

type MaintenanceDeps = Pick<Deps, 'db' | 'clock' | 'logger' | 'unifier' | 'config' | 'alerts'>

/**
 * Housekeeping on croner's clock (DESIGN.md §4), one live Cron per chore, never per job:
 * - hourly: raw messages past their stream's retention, jobs past SLUICE_PURGE_AFTER in a terminal
 *   status, live events older than a day, and uploads a dead process left half-received;
 * - every 10 s: the lease sweep, so no job shows running long after its worker died;
 * - every 30 s: a wake of the unifier, for what a failed pass or a missed wake left pending;
 * - every 5 s: alert rules evaluated, and due alert deliveries sent.
 * `protect` keeps a slow run from overlapping the next. Returns a stop function.
 */
export function startMaintenance(deps: MaintenanceDeps): () => void {
  const owner = `${os.hostname()}:${process.pid}`
  const chore = (name: string, work: () => Promise<void>) => async () => {
    try {
      await work()
    } catch (error) {
      deps.logger.error({ err: error }, `${name} failed; it runs again at its next slot`)
    }
  }
  const hourly = chore('data maintenance', async () => {
    const now = deps.clock.now()
    const deleted = await sweepRetention(deps.db, now)
    if (deleted.size)
      deps.logger.info({ deleted: Object.fromEntries(deleted) }, 'retention: raw messages deleted')
    const purged = await purgeJobs(deps.db, { owner, now, purgeAfterMs: deps.config.purgeAfterMs })
    if (purged)
      deps.logger.info({ jobs: purged }, 'purge: old failed, paused, completed and removed jobs deleted')
    const trimmed = await trimTombstones(deps.db, new Date(now.getTime() - TOMBSTONE_TTL_MS).toISOString())
    if (trimmed) deps.logger.info({ tombstones: trimmed }, 'old profile tombstones trimmed')
    const events = await trimOutbox(deps.db, new Date(now.getTime() - OUTBOX_KEEP_MS).toISOString())
    if (events) deps.logger.info({ events }, 'old live events trimmed from the outbox')
    const abandoned = await recoverUploads(deps, new Date(now.getTime() - STALE_UPLOAD_MS).toISOString())
    if (abandoned) deps.logger.warn({ uploads: abandoned }, 'stale uploads abandoned')
  })
  const leases = chore('lease sweep', async () => {
    const swept = await sweepExpiredLeases(deps.db, deps.clock.now())
    if (swept) deps.logger.warn({ jobs: swept }, 'leases of dead workers expired: their jobs are due again')
  })
  const options = { unref: true, protect: true }
  const crons = [
    new Cron('0 * * * *', options, hourly),
    new Cron('*/10 * * * * *', options, leases),
    new Cron('*/30 * * * * *', options, () => deps.unifier.wake()),
    new Cron(
      '*/5 * * * * *',
      options,
      chore('alerts', async () => {
        await deps.alerts.tick()
      }),
    ),
  ]
  return () => {
    for (const cron of crons) cron.stop()
  }
}
