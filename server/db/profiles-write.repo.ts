import type SQLite from 'better-sqlite3'
import type { Selectable } from 'kysely'
import { sql } from 'kysely'
import { nextChangeSeq } from './counters.repo.ts'
import {
  countInStreams,
  insertUnifiedRows,
  tallyStreams,
  type UnifiedRawMessage,
} from './raw-messages.repo.ts'
import type { Executor, NewRawMessage, ProfileIdentityTable, ProfileTable } from './schema.ts'
import { prepared, sqliteOf } from './sqlite-handle.ts'

/**
 * Where unification writes: the live profile tables, or a rebuild's next generation. A rebuild
 * replays messages that are already applied, so it leaves raw_messages and the change sequence
 * alone (see rebuild.ts).
 */
export interface ProfileTarget {
  profiles: 'profiles'
  identities: 'profile_identities'
  merges: 'profile_merges'
  live: boolean
}

export const LIVE: ProfileTarget = {
  profiles: 'profiles',
  identities: 'profile_identities',
  merges: 'profile_merges',
  live: true,
}

/** A profile as unification holds it in memory for one chunk. */
export interface ProfileState {
  id: string
  /** `{ name: [value, eventTime, seq, stream] }`. */
  attributes: Record<string, [unknown, string, number, string]>
  streams: Set<string>
  createdAt: string
  isNew: boolean
  dirty: boolean
  deleted: boolean
}

export interface IdentityRow {
  key: string
  field: string
  value: string
  profileId: string
  joins: number
  flaggedAt: string | null
  isNew: boolean
  dirty: boolean
}

/** Rows per statement: far below SQLite's 32,766 bound parameters for every table here. */
const CHUNK = 500
/** Rows per unnest statement (PostgreSQL): a bound on its arrays; it has a handful of parameters. */
const UNNEST_ROWS = 5000

function* chunks<T>(items: readonly T[], size = CHUNK): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size)
}

/** Whether any identity is suppressed at all: most deployments have none, and then no hash is needed. */
export async function anySuppressed(db: Executor): Promise<boolean> {
  return (await db.selectFrom('suppressions').select('hash').limit(1).executeTakeFirst()) !== undefined
}

export async function loadSuppressed(db: Executor, hashes: string[]): Promise<Set<string>> {
  const found = new Set<string>()
  const sqlite = sqliteOf(db)
  if (sqlite) {
    const select = prepared(sqlite, 'select 1 from suppressions where hash = ?').pluck()
    for (const hash of hashes) if (select.get(hash) !== undefined) found.add(hash)
    return found
  }
  for (const part of chunks([...new Set(hashes)], UNNEST_ROWS)) {
    const { rows } = await sql<{ hash: string }>`select hash from suppressions
      where hash = any(${part}::text[])`.execute(db)
    for (const row of rows) found.add(row.hash)
  }
  return found
}

type IdentitySelect = Selectable<ProfileIdentityTable>

export async function loadIdentities(
  db: Executor,
  keys: string[],
  target: ProfileTarget = LIVE,
): Promise<Map<string, IdentityRow>> {
  const found = new Map<string, IdentityRow>()
  const sqlite = sqliteOf(db)
  const parts = sqlite ? [keys] : [...chunks(keys, UNNEST_ROWS)]
  for (const part of parts) {
    // PostgreSQL: one array parameter; an `in` list of 500 planned slower than it ran.
    const rows: IdentitySelect[] = sqlite
      ? (part
          .map((key) => prepared(sqlite, `select * from ${target.identities} where key = ?`).get(key))
          .filter((row) => row !== undefined) as IdentitySelect[])
      : (
          await sql<IdentitySelect>`select * from ${sql.table(target.identities)}
            where key = any(${part}::text[])`.execute(db)
        ).rows
    for (const row of rows) {
      found.set(row.key, {
        key: row.key,
        field: row.field,
        value: row.value,
        profileId: row.profile_id,
        joins: row.joins,
        flaggedAt: row.flagged_at,
        isNew: false,
        dirty: false,
      })
    }
  }
  return found
}

export async function loadProfiles(
  db: Executor,
  ids: string[],
  target: ProfileTarget = LIVE,
): Promise<Map<string, ProfileState>> {
  const found = new Map<string, ProfileState>()
  const sqlite = sqliteOf(db)
  const parts = sqlite ? [ids] : [...chunks(ids, UNNEST_ROWS)]
  for (const part of parts) {
    const rows: Selectable<ProfileTable>[] = sqlite
      ? (part
          .map((id) => prepared(sqlite, `select * from ${target.profiles} where id = ?`).get(id))
          .filter((row) => row !== undefined) as Selectable<ProfileTable>[])
      : (
          await sql<Selectable<ProfileTable>>`select * from ${sql.table(target.profiles)}
            where id = any(${part}::text[])`.execute(db)
        ).rows
    for (const row of rows) {
      found.set(row.id, {
        id: row.id,
        attributes: JSON.parse(row.attributes) as ProfileState['attributes'],
        streams: new Set(JSON.parse(row.streams) as string[]),
        createdAt: row.created_at,
        isNew: false,
        dirty: false,
        deleted: false,
      })
    }
  }
  return found
}

/** Writes one chunk's outcome: profiles, merges, identities, and which profile each message joined. */
export async function writeUnified(
  db: Executor,
  chunk: {
    profiles: Map<string, ProfileState>
    identities: Map<string, IdentityRow>
    merges: { from: string; into: string; identity: string; seq: number }[]
    assigned: Map<number, string | null>
    /** messageIds staged rows take as they become visible. */
    claimedIds: Map<number, string>
    /** Rows to delete: duplicates of a stored messageId, messages about a suppressed person. */
    deleted: { seq: number; stream: string }[]
    /** Messages not stored yet (see UnifyContext): inserted here with their outcome. */
    unstored?: ReadonlyMap<number, NewRawMessage> | undefined
    now: string
  },
  target: ProfileTarget = LIVE,
): Promise<void> {
  // Live writes are numbered (exports read changes since a number); a replay's are not: the flip
  // to its generation makes every export reconcile in full anyway.
  const changeSeq = target.live ? await nextChangeSeq(db) : 0
  const unstored = chunk.unstored ?? new Map<number, NewRawMessage>()
  // Stored rows are updated (or deleted); unstored ones are written once below, or never.
  const stored = unstored.size
    ? {
        ...chunk,
        assigned: new Map([...chunk.assigned].filter(([seq]) => !unstored.has(seq))),
        deleted: chunk.deleted.filter((row) => !unstored.has(row.seq)),
      }
    : chunk
  const sqlite = sqliteOf(db)
  if (sqlite) {
    writeUnifiedSqlite(sqlite, stored, target, changeSeq)
    if (target.live) await uncount(db, stored.deleted)
  } else await writeUnifiedPostgres(db, stored, target, changeSeq)
  if (target.live && unstored.size) await storeUnified(db, chunk, unstored, changeSeq)
}

/** Inserts the unstored messages that were not deleted, with their outcome, and counts them. */
async function storeUnified(
  db: Executor,
  chunk: Parameters<typeof writeUnified>[1],
  unstored: ReadonlyMap<number, NewRawMessage>,
  changeSeq: number,
): Promise<void> {
  const deleted = new Set(chunk.deleted.map((row) => row.seq))
  const rows: UnifiedRawMessage[] = []
  for (const [seq, message] of unstored) {
    if (deleted.has(seq)) continue
    const profileId = chunk.assigned.get(seq)
    const applied = profileId !== undefined
    // Spelled out, not spread: this runs once per imported row.
    rows.push({
      seq,
      stream: message.stream,
      event_time: message.event_time,
      received_at: message.received_at,
      lane: message.lane,
      job_id: message.job_id ?? null,
      upload_id: message.upload_id ?? null,
      record_key: message.record_key ?? null,
      message_id: message.message_id ?? null,
      payload: message.payload,
      unified_at: applied ? chunk.now : null,
      profile_id: profileId ?? null,
      unified_seq: applied ? changeSeq : null,
    })
  }
  await insertUnifiedRows(db, rows)
  await countInStreams(db, tallyStreams(rows), chunk.now)
}

/** writeUnified on PostgreSQL: multi-row statements in chunks. */
async function writeUnifiedPostgres(
  db: Executor,
  chunk: Parameters<typeof writeUnified>[1],
  target: ProfileTarget,
  changeSeq: number,
): Promise<void> {
  const { now } = chunk
  const live = [...chunk.profiles.values()].filter((profile) => profile.dirty && !profile.deleted)
  // One JSON parameter (see insertUnifiedRows): serialised natively, attributes full of quotes.
  for (const part of chunks(live, UNNEST_ROWS)) {
    const rows = part.map((profile) => ({
      id: profile.id,
      attributes: JSON.stringify(profile.attributes),
      streams: JSON.stringify([...profile.streams].sort()),
      created_at: profile.createdAt,
    }))
    await sql`insert into ${sql.table(target.profiles)} (id, attributes, streams, created_at, updated_at, change_seq)
      select id, attributes, streams, created_at, ${now}, ${changeSeq}
      from json_to_recordset(${JSON.stringify(rows)}::json) as p(id text, attributes text, streams text, created_at text)
      on conflict (id) do update set attributes = excluded.attributes, streams = excluded.streams,
        updated_at = excluded.updated_at, change_seq = excluded.change_seq`.execute(db)
  }
  const gone = [...chunk.profiles.values()].filter((profile) => profile.deleted && !profile.isNew)
  for (const part of chunks(gone)) {
    await db
      .deleteFrom(target.profiles)
      .where(
        'id',
        'in',
        part.map((profile) => profile.id),
      )
      .execute()
  }
  if (target.live && gone.length) {
    const stored = new Set(gone.map((profile) => profile.id))
    const tombstones = chunk.merges.filter((merge) => stored.has(merge.from))
    for (const part of chunks(tombstones)) {
      await db
        .insertInto('profile_tombstones')
        .values(
          part.map((merge) => ({
            change_seq: changeSeq,
            profile_id: merge.from,
            into_id: merge.into,
            created_at: now,
          })),
        )
        .onConflict((conflict) => conflict.columns(['change_seq', 'profile_id']).doNothing())
        .execute()
    }
  }
  // In order, so a chain (A into B, then B into C) moves A's identities all the way to C.
  for (const merge of chunk.merges) {
    await db
      .updateTable(target.identities)
      .set({ profile_id: merge.into })
      .where('profile_id', '=', merge.from)
      .execute()
  }
  for (const part of chunks(chunk.merges)) {
    await db
      .insertInto(target.merges)
      .values(
        part.map((merge) => ({
          from_id: merge.from,
          into_id: merge.into,
          identity: merge.identity,
          message_seq: merge.seq,
          merged_at: now,
        })),
      )
      .execute()
  }
  const identities = [...chunk.identities.values()].filter((row) => row.dirty)
  for (const part of chunks(identities, UNNEST_ROWS)) {
    await sql`insert into ${sql.table(target.identities)} (key, field, value, profile_id, joins, flagged_at, created_at)
      select key, field, value, profile_id, joins, flagged_at, ${now}
      from unnest(${part.map((row) => row.key)}::text[], ${part.map((row) => row.field)}::text[],
        ${part.map((row) => row.value)}::text[], ${part.map((row) => row.profileId)}::text[],
        ${part.map((row) => row.joins)}::int[], ${part.map((row) => row.flaggedAt)}::text[])
        as i(key, field, value, profile_id, joins, flagged_at)
      on conflict (key) do update set profile_id = excluded.profile_id, joins = excluded.joins,
        flagged_at = excluded.flagged_at`.execute(db)
  }
  if (!target.live) return
  for (const part of chunks([...chunk.assigned], UNNEST_ROWS)) {
    await sql`update raw_messages set unified_at = ${now}, profile_id = v.profile_id,
      unified_seq = ${changeSeq}, message_id = coalesce(v.message_id, raw_messages.message_id)
      from unnest(${part.map(([seq]) => seq)}::bigint[], ${part.map(([, id]) => id)}::text[],
        ${part.map(([seq]) => chunk.claimedIds.get(seq) ?? null)}::text[]) as v(seq, profile_id, message_id)
      where raw_messages.seq = v.seq`.execute(db)
  }
  for (const part of chunks(chunk.deleted)) {
    await db
      .deleteFrom('raw_messages')
      .where(
        'seq',
        'in',
        part.map((row) => row.seq),
      )
      .execute()
  }
  await uncount(db, chunk.deleted)
}

/** Takes deleted messages off their streams' counters. */
async function uncount(db: Executor, deleted: { stream: string }[]): Promise<void> {
  const perStream = new Map<string, number>()
  for (const row of deleted) perStream.set(row.stream, (perStream.get(row.stream) ?? 0) + 1)
  for (const [stream, count] of perStream) {
    await db
      .updateTable('streams')
      .set({ message_count: sql`message_count - ${count}` })
      .where('name', '=', stream)
      .execute()
  }
}

/** Whether a visible message of `stream` already holds this messageId. */
export async function messageIdTaken(db: Executor, stream: string, messageId: string): Promise<boolean> {
  const sqlite = sqliteOf(db)
  if (sqlite) {
    const row = prepared(sqlite, 'select 1 from raw_messages where stream = ? and message_id = ?').get(
      stream,
      messageId,
    )
    return row !== undefined
  }
  const row = await db
    .selectFrom('raw_messages')
    .select('seq')
    .where('stream', '=', stream)
    .where('message_id', '=', messageId)
    .executeTakeFirst()
  return row !== undefined
}

/** The same writes on SQLite, one cached statement per row (see sqlite-handle.ts). */
function writeUnifiedSqlite(
  sqlite: SQLite.Database,
  chunk: Parameters<typeof writeUnified>[1],
  target: ProfileTarget,
  changeSeq: number,
): void {
  const { now } = chunk
  const upsertProfile = prepared(
    sqlite,
    `insert into ${target.profiles} (id, attributes, streams, created_at, updated_at, change_seq)
     values (?, ?, ?, ?, ?, ?) on conflict (id) do update set attributes = excluded.attributes,
     streams = excluded.streams, updated_at = excluded.updated_at, change_seq = excluded.change_seq`,
  )
  const stored = new Set<string>()
  for (const profile of chunk.profiles.values()) {
    if (profile.deleted) {
      if (profile.isNew) continue
      prepared(sqlite, `delete from ${target.profiles} where id = ?`).run(profile.id)
      stored.add(profile.id)
    } else if (profile.dirty) {
      const streams = JSON.stringify([...profile.streams].sort())
      const attributes = JSON.stringify(profile.attributes)
      upsertProfile.run(profile.id, attributes, streams, profile.createdAt, now, changeSeq)
    }
  }
  for (const merge of chunk.merges) {
    prepared(sqlite, `update ${target.identities} set profile_id = ? where profile_id = ?`).run(
      merge.into,
      merge.from,
    )
    prepared(
      sqlite,
      `insert into ${target.merges} (from_id, into_id, identity, message_seq, merged_at) values (?, ?, ?, ?, ?)`,
    ).run(merge.from, merge.into, merge.identity, merge.seq, now)
    if (target.live && stored.has(merge.from))
      prepared(
        sqlite,
        `insert into profile_tombstones (change_seq, profile_id, into_id, created_at) values (?, ?, ?, ?)
         on conflict do nothing`,
      ).run(changeSeq, merge.from, merge.into, now)
  }
  const upsertIdentity = prepared(
    sqlite,
    `insert into ${target.identities} (key, field, value, profile_id, joins, flagged_at, created_at)
     values (?, ?, ?, ?, ?, ?, ?) on conflict (key) do update set profile_id = excluded.profile_id,
     joins = excluded.joins, flagged_at = excluded.flagged_at`,
  )
  for (const row of chunk.identities.values()) {
    if (row.dirty)
      upsertIdentity.run(row.key, row.field, row.value, row.profileId, row.joins, row.flaggedAt, now)
  }
  if (!target.live) return
  const applied = prepared(
    sqlite,
    'update raw_messages set unified_at = ?, profile_id = ?, unified_seq = ? where seq = ?',
  )
  const claimed = prepared(
    sqlite,
    'update raw_messages set unified_at = ?, profile_id = ?, unified_seq = ?, message_id = ? where seq = ?',
  )
  for (const [seq, id] of chunk.assigned) {
    const messageId = chunk.claimedIds.get(seq)
    if (messageId === undefined) applied.run(now, id, changeSeq, seq)
    else claimed.run(now, id, changeSeq, messageId, seq)
  }
  const remove = prepared(sqlite, 'delete from raw_messages where seq = ?')
  for (const row of chunk.deleted) remove.run(row.seq)
}
