import { serialize } from '../db/locks.ts'
import { addUnifyMetrics } from '../db/metrics.repo.ts'
import { insertRawMessages } from '../db/raw-messages.repo.ts'
import type { NewRawMessage } from '../db/schema.ts'
import { getIdentityRules } from '../db/settings.repo.ts'
import type { Deps } from '../http/context.ts'
import { loadSourceSettings } from './sources.ts'
import { unifyMessages } from './unify.ts'

/**
 * The realtime lane: stores messages and unifies them in one small transaction, so the sender's
 * answer means "stored and applied". A stream held by a paused node is stored only; the unifier
 * applies it on resume. Messages whose messageId was seen before are skipped.
 */
export async function ingestRealtime(
  deps: Pick<Deps, 'db' | 'clock' | 'config' | 'upstream'>,
  messages: NewRawMessage[],
): Promise<{ stored: number; duplicates: number }> {
  if (messages.length === 0) return { stored: 0, duplicates: 0 }
  let changedJobs: string[] = []
  const stored = await deps.db.transaction().execute(async (trx) => {
    // The unifier's lock first: taking it after the stream counter's row lock could deadlock with a
    // privacy deletion, which holds the lock and then updates that counter (PostgreSQL).
    await serialize(trx, 'sluice.unify')
    const rows = await insertRawMessages(trx, messages)
    const settings = await loadSourceSettings(trx)
    const now = deps.clock.now().toISOString()
    const result = await unifyMessages(
      trx,
      rows.filter((row) => !settings.held.has(row.stream)),
      {
        rules: await getIdentityRules(trx),
        mappingFor: settings.mappingFor,
        jobOf: settings.jobOf,
        mergeCap: deps.config.mergeCap,
        now,
      },
    )
    await addUnifyMetrics(trx, result.byJob, now)
    changedJobs = [...result.byJob].filter(([, counts]) => counts.changed.size > 0).map(([id]) => id)
    return rows.length
  })
  // Committed: what these collect sources feed (after upstream) runs shortly.
  deps.upstream.note(changedJobs)
  return { stored, duplicates: messages.length - stored }
}
