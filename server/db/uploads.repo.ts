import { setImmediate as nextTurn } from 'node:timers/promises'
import { sql } from 'kysely'
import { applyPage, containsText, finishPage, type ListQuery, toPage } from './paging.ts'
import type { Executor, NewRawMessage, Upload, UploadStatus } from './schema.ts'
import { prepared, sqliteOf } from './sqlite-handle.ts'

/** Statuses whose rows are visible: parsed whole (or with droperrors, its good rows) and flipped. */
export const PUBLISHED: UploadStatus[] = ['published', 'unified']

export async function insertUpload(
  db: Executor,
  upload: Pick<
    Upload,
    | 'id'
    | 'stream'
    | 'format'
    | 'filename'
    | 'timestamp_field'
    | 'droperrors'
    | 'data_key_id'
    | 'created_at'
    | 'after_seq'
  >,
): Promise<void> {
  await db
    .insertInto('uploads')
    .values({ ...upload, status: 'receiving', updated_at: upload.created_at })
    .execute()
}

export function findUpload(db: Executor, id: string) {
  return db.selectFrom('uploads').selectAll().where('id', '=', id).executeTakeFirst()
}

export async function updateUpload(
  db: Executor,
  id: string,
  changes: Partial<Omit<Upload, 'id' | 'created_at'>>,
): Promise<void> {
  await db.updateTable('uploads').set(changes).where('id', '=', id).execute()
}

/**
 * Stores a batch in staging (invisible until the upload is published); returns how many were new.
 * Staged rows hold no message_id: deduplication by messageId happens when they are unified, against
 * visible rows, so a discarded upload can never make another copy of a message look like a duplicate.
 */
export async function stageRows(db: Executor, messages: NewRawMessage[]): Promise<number> {
  let stored = 0
  const sqlite = sqliteOf(db)
  if (sqlite) {
    const insert = prepared(
      sqlite,
      `insert into raw_messages (stream, event_time, received_at, lane, job_id, upload_id, record_key, message_id, payload)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict do nothing`,
    )
    for (const m of messages) {
      stored += insert.run(
        m.stream,
        m.event_time,
        m.received_at,
        m.lane,
        m.job_id ?? null,
        m.upload_id ?? null,
        m.record_key ?? null,
        null,
        m.payload,
      ).changes
    }
    return stored
  }
  for (let i = 0; i < messages.length; i += 500) {
    const result = await db
      .insertInto('raw_messages')
      .values(messages.slice(i, i + 500).map((message) => ({ ...message, message_id: null })))
      .onConflict((conflict) => conflict.doNothing())
      .executeTakeFirst()
    stored += Number(result.numInsertedOrUpdatedRows ?? 0)
  }
  return stored
}

/** Deletes an upload's staged rows in short transactions, so a discarded 1 GB file blocks no one. */
export async function discardStaging(db: Executor, uploadId: string, chunk = 5000): Promise<void> {
  const upload = await db
    .selectFrom('uploads')
    .select('after_seq')
    .where('id', '=', uploadId)
    .executeTakeFirst()
  const after = Number(upload?.after_seq ?? 0)
  for (;;) {
    const result = await db
      .deleteFrom('raw_messages')
      .where('seq', 'in', (eb) =>
        eb
          .selectFrom('raw_messages')
          .select('seq')
          .where('seq', '>', after)
          .where('upload_id', '=', uploadId)
          .orderBy('seq')
          .limit(chunk),
      )
      .executeTakeFirst()
    if (Number(result.numDeletedRows) < chunk) return
    await nextTurn()
  }
}

/** The highest ingest sequence so far: every row staged after this call is above it. */
export async function lastSeq(db: Executor): Promise<number> {
  const row = await db
    .selectFrom('raw_messages')
    .select((eb) => eb.fn.max('seq').as('seq'))
    .executeTakeFirst()
  return Number(row?.seq ?? 0)
}

/** Uploads left `receiving` by a process that died: no one will finish them. */
export function staleUploads(db: Executor, before: string) {
  return db
    .selectFrom('uploads')
    .select(['id'])
    .where('status', '=', 'receiving')
    .where('updated_at', '<', before)
    .execute()
}

export const UPLOAD_SORTS = { createdAt: 'created_at' }

export async function listUploads(
  db: Executor,
  query: ListQuery & {
    stream?: string | undefined
    status?: UploadStatus | undefined
    q?: string | undefined
  },
) {
  const page = toPage(query, UPLOAD_SORTS, '-createdAt')
  let select = db.selectFrom('uploads').selectAll()
  if (query.stream) select = select.where('stream', '=', query.stream)
  if (query.status) select = select.where('status', '=', query.status)
  const q = query.q
  if (q)
    select = select.where((eb) =>
      eb.or([containsText('filename', q), containsText('stream', q), eb('id', '=', q)]),
    )
  const rows = await applyPage(select, page, 'uploads').execute()
  return finishPage(rows, page, (row) => row.created_at)
}

export function toUploadJson(row: Upload) {
  return {
    id: row.id,
    stream: row.stream,
    status: row.status,
    format: row.format,
    filename: row.filename,
    timestampField: row.timestamp_field,
    droperrors: Boolean(row.droperrors),
    bytesRead: Number(row.bytes_read),
    rowsRead: Number(row.rows_read),
    stored: Number(row.stored),
    duplicates: Number(row.duplicates),
    rejected: Number(row.rejected),
    unified: Number(row.unified),
    errors: JSON.parse(row.errors) as { row: number; reason: string }[],
    error: row.error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    publishedAt: row.published_at,
  }
}

/** A predicate for raw_messages: the row is not part of an upload still in staging. */
export const visibleMessage = sql<boolean>`(raw_messages.upload_id is null or raw_messages.upload_id in (select id from uploads where status in ('published', 'unified')))`
