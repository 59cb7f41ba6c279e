import { counter, setCounter } from './counters.repo.ts'
import type { Executor } from './schema.ts'

/** How long tombstones are kept: an export idle for longer reconciles in full on its next run. */
export const TOMBSTONE_TTL_MS = 30 * 24 * 3600_000

/**
 * Deletes tombstones older than `before` and raises the floor to the newest one deleted, so an
 * export whose checkpoint is below the floor knows it may have missed a removal and reconciles.
 */
export async function trimTombstones(db: Executor, before: string): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const newest = await trx
      .selectFrom('profile_tombstones')
      .select((eb) => eb.fn.max('change_seq').as('seq'))
      .where('created_at', '<', before)
      .executeTakeFirst()
    const seq = newest?.seq === null || newest?.seq === undefined ? null : Number(newest.seq)
    if (seq === null) return 0
    const result = await trx
      .deleteFrom('profile_tombstones')
      .where('change_seq', '<=', seq)
      .executeTakeFirst()
    if (seq > (await counter(trx, 'tombstone_floor'))) await setCounter(trx, 'tombstone_floor', seq)
    return Number(result.numDeletedRows)
  })
}
