import { setImmediate as nextTurn } from 'node:timers/promises'
import type { Executor, JobStatus } from '../db/schema.ts'

/** Statuses a job never leaves by itself: after SLUICE_PURGE_AFTER in one of them, it is purged. */
export const PURGEABLE: JobStatus[] = ['failed', 'paused', 'completed', 'removed']
const LEASE_KEY = 'lease:purge'
const LEASE_MS = 10 * 60_000
const CHUNK = 500

/**
 * One purger at a time (DESIGN.md §4): a lease row in `settings` (value = owner, updated_at =
 * expiry) taken only when free, expired, or already ours.
 */
async function takeLease(db: Executor, owner: string, now: Date): Promise<boolean> {
  const at = now.toISOString()
  const expires = new Date(now.getTime() + LEASE_MS).toISOString()
  await db
    .insertInto('settings')
    .values({ key: LEASE_KEY, value: owner, updated_by: null, updated_at: expires })
    .onConflict((conflict) =>
      conflict
        .column('key')
        .doUpdateSet({ value: owner, updated_at: expires })
        .where((eb) => eb.or([eb('settings.updated_at', '<', at), eb('settings.value', '=', owner)])),
    )
    .execute()
  const row = await db.selectFrom('settings').select('value').where('key', '=', LEASE_KEY).executeTakeFirst()
  return row?.value === owner
}

/**
 * Deletes jobs that have been failed, paused, completed or removed for longer than `purgeAfterMs`,
 * with their runs, logs and metrics (cascaded), a chunk per transaction. A job resumed meanwhile
 * is spared: each delete re-checks status and age. Returns how many jobs were purged.
 */
export async function purgeJobs(
  db: Executor,
  options: { owner: string; now: Date; purgeAfterMs: number },
): Promise<number> {
  if (!(await takeLease(db, options.owner, options.now))) return 0
  const cutoff = new Date(options.now.getTime() - options.purgeAfterMs).toISOString()
  let purged = 0
  try {
    for (;;) {
      const ids = (
        await db
          .selectFrom('jobs')
          .select('id')
          .where('status', 'in', PURGEABLE)
          .where('status_changed_at', '<', cutoff)
          .limit(CHUNK)
          .execute()
      ).map((row) => row.id)
      if (ids.length === 0) break
      const result = await db
        .deleteFrom('jobs')
        .where('id', 'in', ids)
        .where('status', 'in', PURGEABLE)
        .where('status_changed_at', '<', cutoff)
        .executeTakeFirst()
      purged += Number(result.numDeletedRows)
      if (ids.length < CHUNK) break
      await nextTurn()
    }
  } finally {
    await db.deleteFrom('settings').where('key', '=', LEASE_KEY).where('value', '=', options.owner).execute()
  }
  return purged
}
