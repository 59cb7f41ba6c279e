import type { Deps } from '../http/context.ts'
import { wakeDownstream } from './upstream.ts'

/**
 * `{ after: "upstream" }` for the collect lanes: realtime requests and the bulk unifier note which
 * collect jobs just changed profiles, and once a second the exports and enrichments those jobs
 * feed fall due — one small transaction for a whole burst of traffic rather than one per request.
 */
export interface UpstreamWaker {
  /** Jobs whose data just changed profiles (committed). */
  note(jobIds: Iterable<string>): void
  /** Wakes what the noted jobs feed now; tests call it, the timer calls it once a second. */
  flush(): Promise<void>
  stop(): Promise<void>
}

const FLUSH_MS = 1000

export function createUpstreamWaker(
  deps: Pick<Deps, 'db' | 'clock' | 'logger'>,
  onWoken: () => void,
): UpstreamWaker {
  let noted = new Set<string>()
  let timer: NodeJS.Timeout | null = null
  let flushing: Promise<void> = Promise.resolve()
  async function flush() {
    await flushing
    if (noted.size === 0) return
    const ids = [...noted]
    noted = new Set()
    flushing = (async () => {
      const at = deps.clock.now().toISOString()
      const jobs = await deps.db
        .selectFrom('jobs')
        .select(['id', 'pipeline_id', 'node_id'])
        .where('id', 'in', ids)
        .execute()
      let woken = 0
      for (const job of jobs) woken += (await wakeDownstream(deps.db, job, at)).length
      if (woken > 0) onWoken()
    })().catch((error: unknown) => deps.logger.error({ err: error }, 'waking jobs after new data failed'))
    await flushing
  }
  return {
    note(jobIds) {
      for (const id of jobIds) noted.add(id)
      if (noted.size === 0 || timer) return
      timer = setTimeout(() => {
        timer = null
        void flush()
      }, FLUSH_MS)
      timer.unref()
    },
    flush,
    async stop() {
      if (timer) clearTimeout(timer)
      timer = null
      await flushing
    },
  }
}
