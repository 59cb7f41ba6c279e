import { type Kysely, PostgresAdapter, sql } from 'kysely'

/**
 * Raw streams and the keys that write to them (DESIGN.md §5). Frozen once landed.
 * Raw messages are the source of truth; `seq` is the ingest sequence that, with event time,
 * totally orders them for last-writer-wins and for rebuilds.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter

  await db.schema
    .createTable('data_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('stream', 'text')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_used_at', 'text')
    .execute()

  await db.schema
    .createTable('streams')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('message_count', postgres ? 'bigint' : 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_message_at', 'text')
    .addColumn('retention_days', 'integer')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()

  await db.schema
    .createTable('raw_messages')
    .addColumn('seq', postgres ? 'bigserial' : 'integer', (c) =>
      postgres ? c.primaryKey() : c.primaryKey().autoIncrement(),
    )
    .addColumn('stream', 'text', (c) => c.notNull())
    .addColumn('event_time', 'text', (c) => c.notNull())
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addColumn('lane', 'text', (c) => c.notNull())
    .addColumn('job_id', 'text')
    .addColumn('upload_id', 'text')
    .addColumn('record_key', 'text')
    .addColumn('message_id', 'text')
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('unified_at', 'text')
    // The profile the message was first applied to; merges (profile_merges) lead to the survivor.
    .addColumn('profile_id', 'text')
    .execute()
  await db.schema.createIndex('raw_messages_stream').on('raw_messages').columns(['stream', 'seq']).execute()
  // Dedup keys (DESIGN.md §4): a collect messageId once per stream, a connector record once per job.
  await db.schema
    .createIndex('raw_messages_message_id')
    .on('raw_messages')
    .columns(['stream', 'message_id'])
    .unique()
    .where(sql.ref('message_id'), 'is not', null)
    .execute()
  await db.schema
    .createIndex('raw_messages_record')
    .on('raw_messages')
    .columns(['job_id', 'record_key'])
    .unique()
    .where(sql.ref('job_id'), 'is not', null)
    .execute()
  await db.schema
    .createIndex('raw_messages_profile')
    .on('raw_messages')
    .column('profile_id')
    .where(sql.ref('profile_id'), 'is not', null)
    .execute()
  await db.schema
    .createIndex('raw_messages_pending')
    .on('raw_messages')
    .column('seq')
    .where(sql.ref('unified_at'), 'is', null)
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['raw_messages', 'streams', 'data_keys']) await db.schema.dropTable(table).execute()
}
