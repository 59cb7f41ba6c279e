import { randomUUID } from 'node:crypto'
import os from 'node:os'
import { Cron } from 'croner'
import { sql } from 'kysely'
import { isPostgres } from '../db/locks.ts'
import type { Job } from '../db/schema.ts'
import { WAKE_CHANNEL } from '../events/listen.ts'
import type { Deps } from '../http/context.ts'
import { concurrencyCaps } from './budgets.ts'
import { runEnrichmentUnit } from './enrichment-unit.ts'
import { runExportUnit } from './export-unit.ts'
import { runImportUnit } from './import-unit.ts'
import { claimDue, earliestDue } from './leases.ts'
import { runRebuildUnit } from './rebuild-unit.ts'

/** Job types this dispatcher has units for (the one system job is the profile rebuild). */
const RUNNABLE: readonly Job['type'][] = ['import', 'export', 'enrichment', 'system']
/** Never wait longer than the safety poll, so a wake another process sent is never missed long. */
const POLL_MS = 1000
/** Due work that could not be claimed (another process holds it): look again after this long. */
const CONTENDED_MS = 50
/** On shutdown, how long a running batch may take before its connector is aborted. */
export const STOP_GRACE_MS = 5000

export interface Dispatcher {
  /** Claims and runs what is due now, up to the free concurrency; resolves when those units end. */
  tick(): Promise<void>
  /** Look at once instead of at the next timer (this process). */
  wake(): void
  /**
   * A deploy, resume or run-now: wakes this process and, on PostgreSQL, every worker (NOTIFY),
   * so work made due by an API process starts at once wherever it is claimed.
   */
  poke(): void
  start(): void
  /**
   * Stops claiming; running units end at their next batch boundary and hand their jobs back. A
   * batch still running after `graceMs` has its connector aborted, so stop ends within the bound.
   */
  stop(graceMs?: number): Promise<void>
  /** Units running now in this process. */
  readonly active: number
}

type DispatcherDeps = Pick<Deps, 'db' | 'clock' | 'config' | 'logger' | 'vault'> &
  Partial<Pick<Deps, 'lanes'>> & {
    /** Subscribes to pokes from other processes (PostgreSQL LISTEN); resolves to an unsubscribe. */
    listen?: (wake: () => void) => Promise<() => Promise<void>>
  }

/**
 * Cron decides when; the dispatcher decides who (DESIGN.md §4). It claims due jobs (its lease makes
 * it their one worker) and runs their units, never more than SLUICE_WORKER_CONCURRENCY at once.
 * After each pass one timer is set for the earliest `next_run_at` (capped at the safety poll), so a
 * job starts on time without a timer per job; croner's one-second tick is the safety poll.
 */
export function createDispatcher(deps: DispatcherDeps): Dispatcher {
  const owner = `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`
  const running = new Set<Promise<unknown>>()
  let timer: NodeJS.Timeout | null = null
  let poll: Cron | null = null
  let stopped = true
  let passing: Promise<void> | null = null
  let again = false
  // Aborted by stop(): running units end at their next batch boundary and hand their jobs back.
  let stopping = new AbortController()
  let interrupting = new AbortController()
  let unlisten: Promise<(() => Promise<void>) | null> | null = null

  function launch(job: Job): Promise<unknown> {
    const units = {
      import: runImportUnit,
      export: runExportUnit,
      enrichment: runEnrichmentUnit,
      system: runRebuildUnit,
    }
    const run = units[job.type]
    const unit = run(deps, job, owner, { stop: stopping.signal, interrupt: interrupting.signal })
      .catch((error: unknown) =>
        deps.logger.error({ err: error, jobId: job.id }, 'unit of work failed unexpectedly'),
      )
      .finally(() => {
        running.delete(unit)
        // A freed slot may have due work waiting behind it.
        if (!stopped) wake()
      })
    running.add(unit)
    return unit
  }

  async function claim(now = deps.clock.now()): Promise<Promise<unknown>[]> {
    const free = deps.config.workerConcurrency - running.size
    if (free <= 0) return []
    const claimed = await claimDue(deps.db, {
      owner,
      ttlMs: deps.config.leaseTtlMs,
      now,
      limit: free,
      types: RUNNABLE,
      caps: concurrencyCaps(),
    })
    return claimed.map(launch)
  }

  /** One pass: claim what is due, then set the timer for the next due job. */
  async function pass(): Promise<void> {
    const claimedAt = deps.clock.now()
    const claimed = await claim(claimedAt)
    if (stopped) return
    const free = deps.config.workerConcurrency - running.size
    // With no free slot, a finishing unit wakes the dispatcher; the poll covers the rest.
    if (free <= 0) return arm(POLL_MS)
    // It found work: there may be more, so look again at once rather than ask when the next is due.
    if (claimed.length > 0) return arm(0)
    const next = await earliestDue(deps.db, RUNNABLE)
    if (next === null) return arm(POLL_MS)
    const due = Date.parse(next)
    // Fell due since the claim (or is about to): claim it at once.
    if (due > claimedAt.getTime())
      return arm(Math.min(Math.max(0, due - deps.clock.now().getTime()), POLL_MS))
    // Due at the claim yet not claimed with slots free: another process holds it at this moment.
    arm(CONTENDED_MS)
  }

  function arm(ms: number) {
    if (stopped) return
    if (timer) clearTimeout(timer)
    timer = setTimeout(wake, ms)
    timer.unref()
  }

  /** Runs a pass now, or right after the one under way. */
  function wake() {
    if (stopped) return
    if (passing) {
      again = true
      return
    }
    if (timer) clearTimeout(timer)
    timer = null
    passing = pass()
      .catch((error: unknown) => {
        deps.logger.error({ err: error }, 'claiming due jobs failed; retrying')
        arm(POLL_MS)
      })
      .finally(() => {
        passing = null
        if (again) {
          again = false
          wake()
        }
      })
  }

  return {
    async tick() {
      await Promise.all(await claim())
    },
    wake,
    poke() {
      wake()
      if (isPostgres(deps.db))
        sql`select pg_notify(${WAKE_CHANNEL}, '')`
          .execute(deps.db)
          .catch((error: unknown) => deps.logger.warn({ err: error }, 'could not notify the workers'))
    },
    start() {
      stopped = false
      if (stopping.signal.aborted) stopping = new AbortController()
      if (interrupting.signal.aborted) interrupting = new AbortController()
      poll = new Cron('* * * * * *', { unref: true, protect: true }, wake)
      if (deps.listen && !unlisten)
        unlisten = deps.listen(wake).catch((error: unknown) => {
          deps.logger.warn({ err: error }, 'LISTEN for wakes failed; polling every second only')
          return null
        })
      wake()
    },
    async stop(graceMs = STOP_GRACE_MS) {
      stopped = true
      stopping.abort()
      poll?.stop()
      poll = null
      if (timer) clearTimeout(timer)
      const listening = unlisten
      unlisten = null
      await (await listening)?.()
      await passing
      const grace = setTimeout(() => interrupting.abort(), graceMs)
      await Promise.allSettled([...running])
      clearTimeout(grace)
    },
    get active() {
      return running.size
    },
  }
}
