import { setImmediate as nextTurn } from 'node:timers/promises'
import { sql } from 'kysely'
import { serialize } from '../db/locks.ts'
import { addUnifyMetrics } from '../db/metrics.repo.ts'
import { anySuppressed } from '../db/profiles-write.repo.ts'
import type { Database, Executor } from '../db/schema.ts'
import { getIdentityRules } from '../db/settings.repo.ts'
import type { Deps } from '../http/context.ts'
import type { IdentityRules } from './identity.ts'
import { loadSourceSettings, type SourceSettings } from './sources.ts'
import { type PendingMessage, unifyMessages } from './unify.ts'

/** Messages in the first transaction; later ones are sized to the lanes' time budget. */
export const UNIFY_CHUNK = 200
const MIN_CHUNK = 20
const MAX_CHUNK = 2000

export interface Unifier {
  /** Asks for a pass soon (an upload published, a stream resumed). */
  wake(): void
  /** Runs passes until nothing published and unheld is left; resolves when done. */
  drain(): Promise<void>
  stop(): Promise<void>
}

type UnifierDeps = Pick<Deps, 'db' | 'clock' | 'config' | 'logger' | 'lanes' | 'upstream'>

/**
 * The bulk lane (DESIGN.md §5): applies pending messages — published uploads, streams resumed
 * after a pause — in short transactions in ingest order, yielding to the event loop between
 * chunks so realtime requests interleave with a million-row backfill.
 */
export function createUnifier(deps: UnifierDeps, options: { chunk?: number } = {}): Unifier {
  let chunk = options.chunk ?? UNIFY_CHUNK
  let running: Promise<void> | null = null
  let again = false
  let stopped = false

  // Settings read at most once a second: a backfill runs thousands of passes, and a pause or a
  // rule change a second late is still "at the next batch boundary" as far as anyone can tell.
  let cached: { at: number; settings: SourceSettings; rules: IdentityRules } | null = null
  async function current(trx: Executor) {
    if (!cached || performance.now() - cached.at > 1000) {
      cached = {
        at: performance.now(),
        settings: await loadSourceSettings(trx),
        rules: await getIdentityRules(trx),
      }
    }
    return cached
  }

  /** One transaction: the next pending messages after `after` (in seq order); returns the last seq. */
  async function pass(after: number): Promise<number | null> {
    // Collect jobs whose messages changed profiles: their downstream runs once this commits.
    let changedJobs: string[] = []
    const last = await deps.db.transaction().execute(async (trx) => {
      await serialize(trx, 'sluice.unify')
      const { settings: streams, rules } = await current(trx)
      // Not cached: a person deleted a moment ago must not come back from this pass.
      const suppressions = await anySuppressed(trx)
      const held = [...streams.held]
      let select = trx
        .selectFrom('raw_messages')
        .leftJoin('uploads', 'uploads.id', 'raw_messages.upload_id')
        .select([
          'raw_messages.seq',
          'raw_messages.stream',
          'raw_messages.event_time',
          'raw_messages.payload',
          'raw_messages.job_id',
          'raw_messages.upload_id',
        ])
        .where('raw_messages.unified_at', 'is', null)
        .where('raw_messages.seq', '>', after)
        .where((eb) =>
          eb.or([eb('raw_messages.upload_id', 'is', null), eb('uploads.status', '=', 'published')]),
        )
      if (held.length) select = select.where('raw_messages.stream', 'not in', held)
      const messages: PendingMessage[] = await select.orderBy('raw_messages.seq').limit(chunk).execute()
      if (messages.length === 0) return null
      const jobIds = messages.flatMap((message) => (message.job_id ? [message.job_id] : []))
      const settings = jobIds.length ? await loadSourceSettings(trx, jobIds) : streams
      const now = deps.clock.now().toISOString()
      const result = await unifyMessages(trx, messages, {
        rules,
        mappingFor: settings.mappingFor,
        jobOf: streams.jobOf,
        mergeCap: deps.config.mergeCap,
        now,
        suppressions,
      })
      await addUnifyMetrics(trx, result.byJob, now)
      changedJobs = [...result.byJob].filter(([, counts]) => counts.changed.size > 0).map(([id]) => id)
      const uploads = new Set([...result.unifiedByUpload.keys(), ...result.duplicatesByUpload.keys()])
      for (const uploadId of uploads) {
        const count = result.unifiedByUpload.get(uploadId) ?? 0
        const duplicates = result.duplicatesByUpload.get(uploadId) ?? 0
        // Duplicates found now leave `stored` for `duplicates`; the upload is done once all are applied.
        await trx
          .updateTable('uploads')
          .set({
            unified: sql<number>`unified + ${count}`,
            stored: sql<number>`stored - ${duplicates}`,
            duplicates: sql<number>`duplicates + ${duplicates}`,
            updated_at: now,
            status: sql<
              Database['uploads']['status']
            >`case when unified + ${count} >= stored - ${duplicates} then 'unified' else status end`,
          })
          .where('id', '=', uploadId)
          .execute()
      }
      return messages[messages.length - 1]!.seq
    })
    deps.upstream.note(changedJobs)
    return last
  }

  async function loop(): Promise<void> {
    do {
      again = false
      // A cursor through the pending rows: messages a held stream keeps pending are stepped over
      // once per drain, not once per chunk. Rows that became eligible behind it (an upload staged
      // earlier and published now) are found by one more sweep from the start.
      let after = 0
      for (;;) {
        if (stopped) break
        await deps.lanes.bulkTurn()
        const started = performance.now()
        const last = await pass(after)
        if (last === null) {
          if (after === 0) break
          after = 0
          continue
        }
        after = Number(last)
        // Sized by time, not rows: wide rows and merges cost more per message than narrow ones.
        const took = Math.max(performance.now() - started, 0.1)
        if (!options.chunk)
          chunk = Math.round(
            Math.min(MAX_CHUNK, Math.max(MIN_CHUNK, (chunk * deps.lanes.bulkBudgetMs()) / took)),
          )
        await nextTurn()
      }
    } while (again && !stopped)
  }

  function drain(): Promise<void> {
    // Whoever asks for a pass may have just changed what it depends on (a resume, new rules).
    cached = null
    if (running) {
      again = true
      return running
    }
    running = loop().finally(() => {
      running = null
    })
    return running
  }

  return {
    wake() {
      if (stopped) return
      drain().catch((error: unknown) =>
        deps.logger.error({ err: error }, 'unification pass failed; it retries on the next wake'),
      )
    },
    drain,
    async stop() {
      stopped = true
      await running?.catch(() => undefined)
    },
  }
}
