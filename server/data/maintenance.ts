import os from 'node:os'
import { purgeJobs } from '../executor/purge.ts'
import type { Deps } from '../http/context.ts'
import { recoverUploads } from './bulk-upload.ts'
import { sweepRetention } from './retention.ts'

const HOUR = 3_600_000
const UNIFIER_SWEEP_MS = 30_000
/** An upload silent this long has lost its sender or its process. */
const STALE_UPLOAD_MS = 15 * 60_000

/**
 * Housekeeping, hourly: raw messages past their stream's retention, jobs past SLUICE_PURGE_AFTER in
 * a terminal status, and uploads a dead process left half-received; every 30 s, a wake of the
 * unifier. Returns a stop function. (The executor's croner-driven maintenance will take it over.)
 */
export function startMaintenance(
  deps: Pick<Deps, 'db' | 'clock' | 'logger' | 'unifier' | 'config'>,
  everyMs = HOUR,
): () => void {
  let running = false
  const owner = `${os.hostname()}:${process.pid}`
  const tick = async () => {
    if (running) return
    running = true
    try {
      const now = deps.clock.now()
      const deleted = await sweepRetention(deps.db, now)
      if (deleted.size)
        deps.logger.info({ deleted: Object.fromEntries(deleted) }, 'retention: raw messages deleted')
      const purged = await purgeJobs(deps.db, { owner, now, purgeAfterMs: deps.config.purgeAfterMs })
      if (purged)
        deps.logger.info({ jobs: purged }, 'purge: old failed, paused, completed and removed jobs deleted')
      const abandoned = await recoverUploads(deps, new Date(now.getTime() - STALE_UPLOAD_MS).toISOString())
      if (abandoned) deps.logger.warn({ uploads: abandoned }, 'stale uploads abandoned')
    } catch (error) {
      deps.logger.error({ err: error }, 'data maintenance failed; it runs again within the hour')
    } finally {
      running = false
    }
  }
  const timer = setInterval(() => void tick(), everyMs)
  timer.unref()
  // The unifier runs when woken; this catches what a failed pass or a missed wake left pending.
  const sweep = setInterval(() => deps.unifier.wake(), UNIFIER_SWEEP_MS)
  sweep.unref()
  return () => {
    clearInterval(timer)
    clearInterval(sweep)
  }
}
