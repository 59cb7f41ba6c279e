import { randomUUID } from 'node:crypto'
import os from 'node:os'
import type { Deps } from '../http/context.ts'
import { runImportUnit } from './import-unit.ts'
import { claimDue } from './leases.ts'

/** The safety poll (DESIGN.md §4): whatever a wake missed is claimed within a second. */
const POLL_MS = 1000

export interface Dispatcher {
  /** Claims and runs what is due now, up to the free concurrency; resolves when those units end. */
  tick(): Promise<void>
  /** A deploy, resume or run-now: look at once instead of at the next poll. */
  wake(): void
  start(): void
  /** Stops claiming; running units end at their next batch boundary and release their jobs. */
  stop(): Promise<void>
}

type DispatcherDeps = Pick<Deps, 'db' | 'clock' | 'config' | 'logger'>

/**
 * Cron decides when; the dispatcher decides who. It claims due jobs (its lease makes it their one
 * worker) and runs their units, never more than SLUICE_WORKER_CONCURRENCY at once. Import units
 * run here today; other job types wait for their units (exports, enrichment) and are not claimed.
 */
export function createDispatcher(deps: DispatcherDeps): Dispatcher {
  const owner = `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`
  const running = new Set<Promise<unknown>>()
  let timer: NodeJS.Timeout | null = null
  let stopped = true
  let ticking: Promise<void> | null = null
  // Aborted by stop(): running units end at their next batch boundary and hand their jobs back.
  let stopping = new AbortController()

  async function claimAndRun(): Promise<Promise<unknown>[]> {
    const free = deps.config.workerConcurrency - running.size
    if (free <= 0) return []
    const claimed = await claimDue(deps.db, {
      owner,
      ttlMs: deps.config.leaseTtlMs,
      now: deps.clock.now(),
      limit: free,
      types: ['import'],
    })
    return claimed.map((job) => {
      const unit = runImportUnit(deps, job, owner, stopping.signal)
        .catch((error: unknown) =>
          deps.logger.error({ err: error, jobId: job.id }, 'unit of work failed unexpectedly'),
        )
        .finally(() => {
          running.delete(unit)
          // A freed slot may have due work waiting behind it.
          if (!stopped) schedule(0)
        })
      running.add(unit)
      return unit
    })
  }

  function schedule(ms: number) {
    if (stopped) return
    if (timer) clearTimeout(timer)
    timer = setTimeout(() => {
      timer = null
      ticking ??= claimAndRun()
        .then(() => undefined)
        .catch((error: unknown) => deps.logger.error({ err: error }, 'claiming due jobs failed; retrying'))
        .finally(() => {
          ticking = null
          schedule(POLL_MS)
        })
    }, ms)
    timer.unref()
  }

  return {
    async tick() {
      await Promise.all(await claimAndRun())
    },
    wake() {
      schedule(0)
    },
    start() {
      stopped = false
      if (stopping.signal.aborted) stopping = new AbortController()
      schedule(0)
    },
    async stop() {
      stopped = true
      stopping.abort()
      if (timer) clearTimeout(timer)
      await ticking
      await Promise.allSettled([...running])
    },
  }
}
