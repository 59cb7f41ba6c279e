import type SQLite from 'better-sqlite3'
import { sql } from 'kysely'
import { applyPage, containsText, finishPage, type ListQuery, toPage } from './paging.ts'
import type { Executor, NewRawMessage, RawMessage } from './schema.ts'
import { prepared, sqliteOf } from './sqlite-handle.ts'
import { visibleMessage } from './uploads.repo.ts'

/** What unification needs of a stored message. */
export interface StoredMessage {
  seq: number
  stream: string
  event_time: string
  payload: string
  job_id: string | null
  upload_id: string | null
}

/** Rows per insert: 12 columns x 500 rows stays far below SQLite's 32,766 bound parameters. */
const INSERT_ROWS = 500

/**
 * Inserts raw messages, skipping those whose dedup key (messageId per stream, record key per job)
 * was stored before; returns the ones stored. Stream counters are the caller's (see countInStreams).
 */
export async function insertRawRows(db: Executor, messages: NewRawMessage[]): Promise<StoredMessage[]> {
  const sqlite = db.isTransaction ? sqliteOf(db) : undefined
  if (sqlite) return insertRawRowsSqlite(sqlite, messages)
  const stored: StoredMessage[] = []
  for (let i = 0; i < messages.length; i += INSERT_ROWS) {
    const rows = await db
      .insertInto('raw_messages')
      .values(messages.slice(i, i + INSERT_ROWS))
      .onConflict((conflict) => conflict.doNothing())
      .returning(['seq', 'stream', 'event_time', 'payload', 'job_id', 'upload_id'])
      .execute()
    stored.push(...rows)
  }
  return stored
}

const RAW_COLUMNS = [
  'stream',
  'event_time',
  'received_at',
  'lane',
  'job_id',
  'upload_id',
  'record_key',
  'message_id',
  'payload',
  'unified_at',
  'profile_id',
] as const

/**
 * SQLite, inside the caller's transaction: one cached statement per row. Measured on a 100,000-row
 * import (pg-pipeline.bench.ts): a compiled 500-row statement per chunk, returning every payload
 * back, spent 13 µs a row.
 */
function insertRawRowsSqlite(sqlite: SQLite.Database, messages: NewRawMessage[]): StoredMessage[] {
  const insert = prepared(
    sqlite,
    `insert into raw_messages (${RAW_COLUMNS.join(', ')}) values (${RAW_COLUMNS.map(() => '?').join(', ')})
      on conflict do nothing returning seq`,
  )
  const stored: StoredMessage[] = []
  for (const message of messages) {
    const row = insert.get(...RAW_COLUMNS.map((column) => message[column] ?? null)) as
      | { seq: number }
      | undefined
    if (row)
      stored.push({
        seq: row.seq,
        stream: message.stream,
        event_time: message.event_time,
        payload: message.payload,
        job_id: message.job_id ?? null,
        upload_id: message.upload_id ?? null,
      })
  }
  return stored
}

/**
 * A job's records not stored before: the first of each record key, less those whose key the job
 * already stored (keyless records are all new). Read inside the batch's transaction.
 */
export async function unstoredRecords(db: Executor, jobId: string, messages: NewRawMessage[]) {
  const seen = new Set<string>()
  const firsts = messages.filter((message) => {
    if (message.record_key === null || message.record_key === undefined) return true
    if (seen.has(message.record_key)) return false
    seen.add(message.record_key)
    return true
  })
  if (seen.size === 0) return firsts
  const stored = new Set<string>()
  const sqlite = sqliteOf(db)
  if (sqlite) {
    const select = prepared(sqlite, 'select 1 from raw_messages where job_id = ? and record_key = ?').pluck()
    for (const key of seen) if (select.get(jobId, key) !== undefined) stored.add(key)
  } else {
    const { rows } = await sql<{ record_key: string }>`select record_key from raw_messages
      where job_id = ${jobId} and record_key = any(${[...seen]}::text[])`.execute(db)
    for (const row of rows) stored.add(row.record_key)
  }
  return stored.size === 0
    ? firsts
    : firsts.filter((message) => message.record_key == null || !stored.has(message.record_key))
}

/**
 * Takes `count` ingest sequence numbers for rows inserted later in this transaction, in order.
 * SQLite: the write lock the transaction holds (its fencing renewal came first) keeps them ours.
 */
export async function reserveSeqs(db: Executor, count: number): Promise<number[]> {
  if (count === 0) return []
  const sqlite = sqliteOf(db)
  if (sqlite) {
    // AUTOINCREMENT never reuses a number, not even one whose row was deleted: start past both.
    const last = prepared(
      sqlite,
      `select max(coalesce((select seq from sqlite_sequence where name = 'raw_messages'), 0),
        coalesce((select max(seq) from raw_messages), 0))`,
    )
      .pluck()
      .get() as number
    return Array.from({ length: count }, (_, i) => last + 1 + i)
  }
  const { rows } = await sql<{
    seq: string
  }>`select nextval(pg_get_serial_sequence('raw_messages', 'seq')) as seq
    from generate_series(1, ${count})`.execute(db)
  return rows.map((row) => Number(row.seq)).sort((a, b) => a - b)
}

/** A raw message stored with the outcome of its unification, in the transaction that applied it. */
export type UnifiedRawMessage = NewRawMessage & { seq: number; unified_seq: number | null }

const UNIFIED_COLUMNS = ['seq', ...RAW_COLUMNS, 'unified_seq'] as const

/**
 * Inserts rows already unified: one write per row instead of an insert and then an update, which
 * rewrote the whole row and every index entry (PostgreSQL) a second time.
 */
export async function insertUnifiedRows(db: Executor, rows: UnifiedRawMessage[]): Promise<void> {
  const sqlite = sqliteOf(db)
  if (sqlite) {
    const insert = prepared(
      sqlite,
      `insert into raw_messages (${UNIFIED_COLUMNS.join(', ')}) values (${UNIFIED_COLUMNS.map(() => '?').join(', ')})`,
    )
    for (const row of rows)
      insert.run(
        row.seq,
        row.stream,
        row.event_time,
        row.received_at,
        row.lane,
        row.job_id ?? null,
        row.upload_id ?? null,
        row.record_key ?? null,
        row.message_id ?? null,
        row.payload,
        row.unified_at ?? null,
        row.profile_id ?? null,
        row.unified_seq,
      )
    return
  }
  // One JSON document per statement: a fixed text, planned once, whatever the number of rows;
  // serialised natively (text[] parameters are escaped element by element in JavaScript, which
  // measured as a fifth of an import's time in garbage collection, payloads being full of quotes).
  for (let i = 0; i < rows.length; i += JSON_ROWS) {
    await sql`insert into raw_messages (${sql.raw(UNIFIED_COLUMNS.join(', '))})
      select ${sql.raw(UNIFIED_COLUMNS.join(', '))} from json_to_recordset(${JSON.stringify(rows.slice(i, i + JSON_ROWS))}::json)
      as r(seq bigint, stream text, event_time text, received_at text, lane text, job_id text,
        upload_id text, record_key text, message_id text, payload text, unified_at text,
        profile_id text, unified_seq bigint)`.execute(db)
  }
}

/** Rows per PostgreSQL statement: bounds the size of its one JSON parameter. */
const JSON_ROWS = 5000

/** Adds stored messages to their streams' counters (created on first use). */
export async function countInStreams(
  db: Executor,
  counts: Map<string, { count: number; last: string }>,
  createdAt: string,
): Promise<void> {
  for (const [stream, { count, last }] of counts) {
    if (count === 0) continue
    await db
      .insertInto('streams')
      .values({ name: stream, message_count: count, last_message_at: last, created_at: createdAt })
      .onConflict((conflict) =>
        conflict.column('name').doUpdateSet({
          message_count: sql`streams.message_count + ${count}`,
          last_message_at: sql`case when streams.last_message_at is null or streams.last_message_at < ${last} then ${last} else streams.last_message_at end`,
        }),
      )
      .execute()
  }
}

/** Per-stream count and latest event time of stored messages. */
export function tallyStreams(rows: readonly { stream: string; event_time: string }[]) {
  const perStream = new Map<string, { count: number; last: string }>()
  for (const row of rows) {
    const entry = perStream.get(row.stream) ?? { count: 0, last: row.event_time }
    entry.count += 1
    if (row.event_time > entry.last) entry.last = row.event_time
    perStream.set(row.stream, entry)
  }
  return perStream
}

/** Stores realtime or job messages (visible at once) and counts them in their streams. */
export async function insertRawMessages(db: Executor, messages: NewRawMessage[]): Promise<StoredMessage[]> {
  if (messages.length === 0) return []
  const stored = await insertRawRows(db, messages)
  await countInStreams(db, tallyStreams(stored), messages[0]!.received_at)
  return stored
}

export const STREAM_SORTS = { name: 'name', lastMessageAt: 'last_message_at', createdAt: 'created_at' }

/** Streams by name (their key), searchable; a stream that never received a message has no time yet. */
export async function listStreams(db: Executor, query: ListQuery & { q?: string | undefined }) {
  const page = toPage(query, STREAM_SORTS, 'name')
  let select = db.selectFrom('streams').selectAll()
  if (query.q) select = select.where(containsText('name', query.q))
  const rows = await applyPage(select, page, 'streams', 'name').execute()
  return finishPage(
    rows,
    page,
    (row) => (row[page.column as keyof typeof row] as string | null) ?? '',
    (row) => row.name,
  )
}

export function findStream(db: Executor, name: string) {
  return db.selectFrom('streams').selectAll().where('name', '=', name).executeTakeFirst()
}

/** A stream's messages, or those applied to some profiles; newest first, keyset-paged by ingest sequence. */
export async function listMessages(
  db: Executor,
  of: string | { profiles: string[] },
  options: { limit: number; before?: number | undefined },
) {
  let select = db.selectFrom('raw_messages').selectAll().where(visibleMessage)
  select =
    typeof of === 'string'
      ? select.where('stream', '=', of)
      : select.where('profile_id', 'in', of.profiles.length ? of.profiles : [''])
  if (options.before !== undefined) select = select.where('seq', '<', options.before)
  const rows = await select
    .orderBy('seq', 'desc')
    .limit(options.limit + 1)
    .execute()
  const items = rows.slice(0, options.limit)
  const next = rows.length > options.limit ? items[items.length - 1]!.seq : null
  return { items, next }
}

export function toMessageJson(row: RawMessage) {
  return {
    seq: String(row.seq),
    stream: row.stream,
    eventTime: row.event_time,
    receivedAt: row.received_at,
    lane: row.lane,
    jobId: row.job_id,
    uploadId: row.upload_id,
    recordKey: row.record_key,
    messageId: row.message_id,
    unifiedAt: row.unified_at,
    profileId: row.profile_id,
    payload: JSON.parse(row.payload) as unknown,
  }
}
