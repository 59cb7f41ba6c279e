import type { Executor } from './schema.ts'

export interface OutboxRow {
  id: number
  topic: string
  job_id: string | null
  pipeline_id: string | null
  data: string
}

/** Events after `afterId`, oldest first. */
export function readOutbox(db: Executor, afterId: number, limit: number): Promise<OutboxRow[]> {
  return db
    .selectFrom('outbox')
    .select(['id', 'topic', 'job_id', 'pipeline_id', 'data'])
    .where('id', '>', afterId)
    .orderBy('id')
    .limit(limit)
    .execute()
}

/** The newest and oldest event ids kept (0 when the outbox is empty). */
export async function outboxBounds(db: Executor): Promise<{ first: number; last: number }> {
  const row = await db
    .selectFrom('outbox')
    .select((eb) => [eb.fn.min('id').as('first'), eb.fn.max('id').as('last')])
    .executeTakeFirst()
  return { first: Number(row?.first ?? 0), last: Number(row?.last ?? 0) }
}

/**
 * Deletes events written before `before` (ISO time), in chunks, always keeping the newest one so
 * ids never restart. Returns how many went. A client resuming from a trimmed id is told to reload.
 */
export async function trimOutbox(db: Executor, before: string, chunk = 10_000): Promise<number> {
  let deleted = 0
  for (;;) {
    const edge = await db
      .selectFrom('outbox')
      .select('id')
      .where('at', '<', before)
      .orderBy('id')
      .offset(chunk - 1)
      .limit(1)
      .executeTakeFirst()
    const newest = (await outboxBounds(db)).last
    let query = db.deleteFrom('outbox').where('at', '<', before).where('id', '<', newest)
    if (edge) query = query.where('id', '<=', Number(edge.id))
    const result = await query.executeTakeFirst()
    const count = Number(result.numDeletedRows)
    deleted += count
    if (!edge || count === 0) return deleted
  }
}
