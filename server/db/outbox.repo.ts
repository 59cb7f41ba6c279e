import { sql } from 'kysely'
import { isPostgres } from './locks.ts'
import type { Executor } from './schema.ts'

/**
 * A place in the outbox (migration 0009): `seq` on SQLite (`tx` is "0"), `(tx, seq)` on
 * PostgreSQL. Its text — `seq`, or `tx-seq` — is the SSE event id.
 */
export interface OutboxPosition {
  tx: string
  seq: number
}

export interface OutboxRow {
  position: OutboxPosition
  topic: string
  job_id: string | null
  pipeline_id: string | null
  data: string
}

export const OUTBOX_START: OutboxPosition = { tx: '0', seq: 0 }

export const positionId = (position: OutboxPosition) =>
  position.tx === '0' ? String(position.seq) : `${position.tx}-${position.seq}`

/** An SSE event id back into a position; null when it is not one of ours. */
export function parsePosition(text: string): OutboxPosition | null {
  const match = /^(?:(\d{1,19})-)?(\d{1,18})$/.exec(text.trim())
  if (!match) return null
  return { tx: match[1] ? BigInt(match[1]).toString() : '0', seq: Number(match[2]) }
}

export function comparePositions(a: OutboxPosition, b: OutboxPosition): number {
  const tx = BigInt(a.tx) - BigInt(b.tx)
  return tx === 0n ? a.seq - b.seq : tx < 0n ? -1 : 1
}

type Raw = {
  seq: number | string
  tx?: string
  topic: string
  job_id: string | null
  pipeline_id: string | null
  data: string
}
const toRow = (row: Raw): OutboxRow => ({
  position: { tx: row.tx ?? '0', seq: Number(row.seq) },
  topic: row.topic,
  job_id: row.job_id,
  pipeline_id: row.pipeline_id,
  data: row.data,
})

/**
 * Events after `after`, in reading order. On PostgreSQL only rows of transactions older than
 * every transaction still running (`pg_snapshot_xmin`): nothing can commit behind those.
 */
export async function readOutbox(db: Executor, after: OutboxPosition, limit: number): Promise<OutboxRow[]> {
  if (isPostgres(db)) {
    const { rows } = await sql<Raw>`select seq, tx::text as tx, topic, job_id, pipeline_id, data from outbox
      where (tx, seq) > (${after.tx}::xid8, ${after.seq}) and tx < pg_snapshot_xmin(pg_current_snapshot())
      order by tx, seq limit ${limit}`.execute(db)
    return rows.map(toRow)
  }
  const rows = await db
    .selectFrom('outbox')
    .select(['seq', 'topic', 'job_id', 'pipeline_id', 'data'])
    .where('seq', '>', after.seq)
    .orderBy('seq')
    .limit(limit)
    .execute()
  return rows.map(toRow)
}

/** The oldest event kept, and the newest one readers can have read (null when there is none). */
export async function outboxBounds(
  db: Executor,
): Promise<{ first: OutboxPosition | null; last: OutboxPosition | null }> {
  if (isPostgres(db)) {
    const { rows } = await sql<{
      first_tx: string | null
      first_seq: string | null
      last_tx: string | null
      last_seq: string | null
    }>`
      select f.tx::text as first_tx, f.seq as first_seq, l.tx::text as last_tx, l.seq as last_seq
      from (select 1) as one
      left join lateral (select tx, seq from outbox order by tx, seq limit 1) as f on true
      left join lateral (select tx, seq from outbox where tx < pg_snapshot_xmin(pg_current_snapshot())
        order by tx desc, seq desc limit 1) as l on true`.execute(db)
    const row = rows[0]
    const at = (tx: string | null | undefined, seq: string | null | undefined) =>
      tx && seq !== null && seq !== undefined ? { tx, seq: Number(seq) } : null
    return { first: at(row?.first_tx, row?.first_seq), last: at(row?.last_tx, row?.last_seq) }
  }
  const row = await db
    .selectFrom('outbox')
    .select((eb) => [eb.fn.min('seq').as('first'), eb.fn.max('seq').as('last')])
    .executeTakeFirst()
  const at = (seq: unknown) => (seq === null || seq === undefined ? null : { tx: '0', seq: Number(seq) })
  return { first: at(row?.first), last: at(row?.last) }
}

/**
 * Deletes events written before `before` (ISO time), oldest first in chunks, always keeping the
 * newest one so the write order never restarts. Returns how many went. A client resuming from a
 * trimmed event is told to reload.
 */
export async function trimOutbox(db: Executor, before: string, chunk = 10_000): Promise<number> {
  let deleted = 0
  for (;;) {
    const result = await db
      .deleteFrom('outbox')
      .where('seq', 'in', (eb) =>
        eb
          .selectFrom('outbox')
          .select('seq')
          .where('at', '<', before)
          .where(
            'seq',
            '<',
            eb.selectFrom('outbox').select((inner) => inner.fn.max('seq').as('last')),
          )
          .orderBy('seq')
          .limit(chunk),
      )
      .executeTakeFirst()
    const count = Number(result.numDeletedRows)
    deleted += count
    if (count < chunk) return deleted
  }
}

/**
 * Marks process `id` as having live clients (PostgreSQL, migration 0012) until two minutes from
 * now on the database's clock, and forgets processes that expired an hour ago (crashed ones).
 */
export async function registerListener(db: Executor, id: string): Promise<void> {
  await sql`insert into outbox_listeners (id, alive_until) values (${id}, now() + interval '2 minutes')
    on conflict (id) do update set alive_until = excluded.alive_until`.execute(db)
  await sql`delete from outbox_listeners where alive_until < now() - interval '1 hour'`.execute(db)
}

export async function unregisterListener(db: Executor, id: string): Promise<void> {
  await db.deleteFrom('outbox_listeners').where('id', '=', id).execute()
}
