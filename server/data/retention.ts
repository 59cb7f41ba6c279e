import { setImmediate as nextTurn } from 'node:timers/promises'
import { sql } from 'kysely'
import { nextExists } from '../db/generations.ts'
import type { Executor } from '../db/schema.ts'

const DAY = 86_400_000
const CHUNK = 5000

/**
 * Deletes raw messages older than their stream's retention (by receive time), in short
 * transactions. Messages not yet unified are kept whatever their age: a stream paused for longer
 * than its retention must still lose nothing on resume. Profiles keep what the messages set, so
 * each stream counts what it deleted since the last rebuild (which could not replay it), and the
 * sweep waits while a rebuild runs: what it replays is then exactly what that count leaves out.
 * Returns how many messages were deleted per stream.
 */
export async function sweepRetention(db: Executor, now: Date): Promise<Map<string, number>> {
  const deleted = new Map<string, number>()
  const streams = await db
    .selectFrom('streams')
    .select(['name', 'retention_days'])
    .where('retention_days', 'is not', null)
    .execute()
  for (const stream of streams) {
    const cutoff = new Date(now.getTime() - stream.retention_days! * DAY).toISOString()
    for (;;) {
      const count = await db.transaction().execute(async (trx) => {
        if (await nextExists(trx)) return -1
        const result = await trx
          .deleteFrom('raw_messages')
          .where('seq', 'in', (eb) =>
            eb
              .selectFrom('raw_messages')
              .select('seq')
              .where('stream', '=', stream.name)
              .where('received_at', '<', cutoff)
              .where('unified_at', 'is not', null)
              .orderBy('seq')
              .limit(CHUNK),
          )
          .executeTakeFirst()
        const rows = Number(result.numDeletedRows)
        if (rows) {
          await trx
            .updateTable('streams')
            .set({
              message_count: sql`message_count - ${rows}`,
              expired_since_rebuild: sql`expired_since_rebuild + ${rows}`,
            })
            .where('name', '=', stream.name)
            .execute()
        }
        return rows
      })
      if (count < 0) return deleted
      if (count) deleted.set(stream.name, (deleted.get(stream.name) ?? 0) + count)
      if (count < CHUNK) break
      await nextTurn()
    }
  }
  return deleted
}
