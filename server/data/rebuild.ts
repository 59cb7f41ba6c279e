import { sql } from 'kysely'
import { counter } from '../db/counters.repo.ts'
import {
  createNextGeneration,
  expiredSinceRebuild,
  MOVES,
  NEXT,
  ORDER,
  swapGenerations,
} from '../db/generations.ts'
import { serialize } from '../db/locks.ts'
import { anySuppressed } from '../db/profiles-write.repo.ts'
import type { Executor } from '../db/schema.ts'
import { getIdentityRules } from '../db/settings.repo.ts'
import { prepared, sqliteOf } from '../db/sqlite-handle.ts'
import type { Identity } from './identity.ts'
import { loadSourceSettings } from './sources.ts'
import { type PendingMessage, unifyMessages } from './unify.ts'

/**
 * Profile rebuild (DESIGN.md §5): raw messages replayed under the current identity rules and
 * mappings into a next generation, then flipped live.
 *
 * - **Order** copies `(event time, seq)` of every message applied before the start
 *   (`unified_seq <= startSeq`, or applied before the change sequence existed) into the rebuild's
 *   own sorted table, in chunks by seq.
 * - **Replay** applies them in `(event time, ingest sequence)` order, reading that table.
 * - **Catch-up** applies, in rounds, what the live lanes applied meanwhile (`unified_seq` above
 *   the last round), so the tail left for the swap is small.
 * - **Swap** applies the last tail and flips, holding the unify lock: nothing is applied to the
 *   old generation after its tail was read. Messages not applied yet stay for the lanes, which
 *   then apply them to the new generation.
 *
 * Unification is order-independent and applying a message twice changes nothing, so replay,
 * catch-up and tail may overlap without harm. A new person of the next generation keeps the id and
 * creation time of the live profile that holds their identity, so exports see the same people.
 */
export interface RebuildState {
  phase: 'order' | 'replay' | 'catch-up' | 'swap' | 'done'
  /** The generation being built. */
  generation: number
  startSeq: number
  /** The last ingest sequence when it began: nothing stored later is ordered (catch-up takes it). */
  maxSeq: number
  /** Order position: messages up to this seq are in the replay order. */
  orderedTo: number
  ordered: number
  /** Replay position, in `(event time, seq)` order. */
  cursor: { eventTime: string; seq: number } | null
  /** Catch-up position: messages applied by the live lanes up to this change number are in. */
  caughtUp: { unifiedSeq: number; seq: number }
  replayed: number
  total: number
  /** Profiles in the new generation, once flipped. */
  profiles?: number
  /** Messages retention had deleted per stream when the rebuild began: settled at the swap. */
  expired?: Record<string, number>
}

export interface ReplayContext {
  now: string
  mergeCap: number
}

type Row = PendingMessage & { profile_id: string | null; unified_seq: number | null }

/** Starts a rebuild: empty next-generation tables and the replay's bounds. */
export async function startRebuild(db: Executor): Promise<RebuildState> {
  const generation = (await counter(db, 'generation')) + 1
  await createNextGeneration(db, generation)
  // The change number first: a message stored after the seq bound is applied after it, too.
  const startSeq = await counter(db, 'profile_change')
  const expired = await expiredSinceRebuild(db)
  const { rows } = await sql<{ n: number | string; max: number | string | null }>`
    select count(*) as n, max(seq) as max from raw_messages
    where unified_at is not null and (unified_seq is null or unified_seq <= ${startSeq})`.execute(db)
  return {
    phase: 'order',
    generation,
    startSeq,
    maxSeq: Number(rows[0]?.max ?? 0),
    orderedTo: 0,
    ordered: 0,
    cursor: null,
    caughtUp: { unifiedSeq: startSeq, seq: 0 },
    replayed: 0,
    total: Number(rows[0]?.n ?? 0),
    expired,
  }
}

const COLUMNS = sql`seq, stream, event_time, payload, job_id, upload_id, profile_id, unified_seq`

/** Adds the next `span` ingest sequence numbers' messages to the replay order; false once done. */
export async function orderChunk(trx: Executor, state: RebuildState, span: number): Promise<number> {
  if (state.orderedTo >= state.maxSeq) return 0
  const to = Math.min(state.maxSeq, state.orderedTo + span)
  const result = await sql`insert into ${sql.id(ORDER)} (event_time, seq)
    select event_time, seq from raw_messages
    where seq > ${state.orderedTo} and seq <= ${to}
      and unified_at is not null and (unified_seq is null or unified_seq <= ${state.startSeq})
    on conflict do nothing`.execute(trx)
  state.ordered += Number(result.numAffectedRows ?? 0)
  const done = to - state.orderedTo
  state.orderedTo = to
  return done
}

type Ordered = { o_time: string; o_seq: number | string } & { [K in keyof Row]: Row[K] | null }

/** Replays the next `limit` messages of the replay order into the next generation; returns how many. */
export async function replayChunk(
  trx: Executor,
  state: RebuildState,
  context: ReplayContext,
  limit: number,
): Promise<number> {
  const after = state.cursor
    ? sql`where o.event_time > ${state.cursor.eventTime} or (o.event_time = ${state.cursor.eventTime} and o.seq > ${state.cursor.seq})`
    : sql``
  // A message deleted since it was ordered (a privacy deletion) is passed over.
  const { rows } = await sql<Ordered>`select o.event_time as o_time, o.seq as o_seq, m.seq, m.stream,
      m.event_time, m.payload, m.job_id, m.upload_id, m.profile_id, m.unified_seq
    from ${sql.id(ORDER)} as o left join raw_messages as m on m.seq = o.seq
    ${after} order by o.event_time, o.seq limit ${limit}`.execute(trx)
  if (rows.length === 0) return 0
  await apply(
    trx,
    rows.filter((row): row is Ordered & Row => row.seq !== null),
    context,
  )
  const last = rows.at(-1)!
  state.cursor = { eventTime: last.o_time, seq: Number(last.o_seq) }
  state.replayed += rows.length
  return rows.length
}

/**
 * Applies the next `limit` messages the live lanes applied since the last catch-up, up to
 * change number `upTo` (null: no bound, for the swap); returns how many.
 */
export async function catchUpChunk(
  trx: Executor,
  state: RebuildState,
  context: ReplayContext,
  upTo: number | null,
  limit: number,
): Promise<number> {
  const { unifiedSeq, seq } = state.caughtUp
  const bound = upTo === null ? sql`` : sql`and unified_seq <= ${upTo}`
  const { rows } = await sql<Row>`select ${COLUMNS} from raw_messages
    where (unified_seq > ${unifiedSeq} or (unified_seq = ${unifiedSeq} and seq > ${seq})) ${bound}
    order by unified_seq, seq limit ${limit}`.execute(trx)
  if (rows.length === 0) return 0
  await apply(trx, rows, context)
  const last = rows.at(-1)!
  state.caughtUp = { unifiedSeq: Number(last.unified_seq), seq: Number(last.seq) }
  return rows.length
}

/** The flip, in the caller's transaction: the unify lock, the last tail, the pointer. */
export async function swap(trx: Executor, state: RebuildState, context: ReplayContext): Promise<void> {
  await serialize(trx, 'sluice.unify')
  while ((await catchUpChunk(trx, state, context, null, 1000)) > 0) {}
  state.generation = await swapGenerations(trx, state.expired ?? {})
  const { rows } = await sql<{ n: number | string }>`select count(*) as n from profiles`.execute(trx)
  state.profiles = Number(rows[0]?.n ?? 0)
  state.phase = 'done'
}

/** Unifies `rows` into the next generation and notes the messages whose profile changed. */
async function apply(trx: Executor, rows: Row[], context: ReplayContext): Promise<void> {
  const jobIds = rows.flatMap((row) => (row.job_id ? [row.job_id] : []))
  const settings = await loadSourceSettings(trx, jobIds)
  const result = await unifyMessages(trx, rows, {
    rules: await getIdentityRules(trx),
    mappingFor: settings.mappingFor,
    mergeCap: context.mergeCap,
    now: context.now,
    suppressions: await anySuppressed(trx),
    target: NEXT,
    reuse: (identities) => keptId(trx, identities),
  })
  const moved = rows.filter((row) => {
    const now = result.assigned.get(Number(row.seq))
    return now !== undefined && now !== row.profile_id
  })
  for (const row of moved) {
    const profileId = result.assigned.get(Number(row.seq)) ?? null
    await sql`insert into ${sql.id(MOVES)} (seq, profile_id) values (${row.seq}, ${profileId})
      on conflict (seq) do update set profile_id = excluded.profile_id`.execute(trx)
  }
}

/**
 * The live profile whose id a new person of the next generation keeps: the holder of their
 * highest-priority identity, unless the next generation already used that id (for another
 * person, or one merged away).
 */
async function keptId(
  trx: Executor,
  identities: Identity[],
): Promise<{ id: string; createdAt: string } | null> {
  const sqlite = sqliteOf(trx)
  for (const identity of identities) {
    const holder = sqlite
      ? (prepared(
          sqlite,
          `select p.id, p.created_at from profile_identities as i join profiles as p on p.id = i.profile_id
           where i.key = ?`,
        ).get(identity.key) as { id: string; created_at: string } | undefined)
      : (
          await sql<{ id: string; created_at: string }>`select p.id, p.created_at from profile_identities as i
            join profiles as p on p.id = i.profile_id where i.key = ${identity.key}`.execute(trx)
        ).rows[0]
    if (!holder) continue
    const taken = sqlite
      ? prepared(
          sqlite,
          `select 1 from ${NEXT.profiles} where id = ? union all select 1 from ${NEXT.merges} where from_id = ?`,
        ).get(holder.id, holder.id) !== undefined
      : (
          await sql`select 1 from ${sql.id(NEXT.profiles)} where id = ${holder.id}
            union all select 1 from ${sql.id(NEXT.merges)} where from_id = ${holder.id}`.execute(trx)
        ).rows.length > 0
    if (!taken) return { id: holder.id, createdAt: holder.created_at }
  }
  return null
}
