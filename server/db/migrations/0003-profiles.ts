import { type Kysely, PostgresAdapter, sql } from 'kysely'

/**
 * Bulk uploads (staging), profiles and identity resolution (DESIGN.md §5). Frozen once landed.
 * An upload's rows sit in raw_messages under its id and stay invisible until its status flips to
 * `published`: one row changes, whatever the file's size.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter
  const bigint = postgres ? 'bigint' : 'integer'

  await db.schema
    .createTable('uploads')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('stream', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('format', 'text', (c) => c.notNull())
    .addColumn('filename', 'text')
    .addColumn('timestamp_field', 'text')
    .addColumn('droperrors', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('data_key_id', 'text')
    // Every staged row's seq is above this: discarding walks the primary key from here, so
    // raw_messages needs no index on upload_id (one less index write per stored row).
    .addColumn('after_seq', bigint, (c) => c.notNull().defaultTo(0))
    .addColumn('bytes_read', bigint, (c) => c.notNull().defaultTo(0))
    .addColumn('rows_read', bigint, (c) => c.notNull().defaultTo(0))
    .addColumn('stored', bigint, (c) => c.notNull().defaultTo(0))
    .addColumn('duplicates', bigint, (c) => c.notNull().defaultTo(0))
    .addColumn('rejected', bigint, (c) => c.notNull().defaultTo(0))
    .addColumn('unified', bigint, (c) => c.notNull().defaultTo(0))
    .addColumn('errors', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('published_at', 'text')
    .execute()
  await db.schema.createIndex('uploads_created').on('uploads').columns(['created_at', 'id']).execute()
  await db.schema.createIndex('uploads_status').on('uploads').column('status').execute()

  await db.schema
    .createTable('profiles')
    .addColumn('id', 'text', (c) => c.primaryKey())
    // { name: [value, eventTime, seq, stream] }: each attribute with the order key that won it.
    .addColumn('attributes', 'text', (c) => c.notNull())
    .addColumn('streams', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('profiles_updated').on('profiles').columns(['updated_at', 'id']).execute()

  // One row per identity value (`key` = field + U+001F + normalised value). On SQLite the table is
  // its key's B-tree (WITHOUT ROWID): a new identity is one random insert, not a row plus an index.
  await db.schema
    .createTable('profile_identities')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('field', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('profile_id', 'text', (c) => c.notNull())
    // How many other people this value has joined; past SLUICE_MERGE_CAP it is flagged and stops.
    .addColumn('joins', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('flagged_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .$call((table) => (postgres ? table : table.modifyEnd(sql`without rowid`)))
    .execute()
  await db.schema
    .createIndex('profile_identities_profile')
    .on('profile_identities')
    .column('profile_id')
    .execute()

  await db.schema
    .createTable('profile_merges')
    .addColumn('id', postgres ? 'bigserial' : 'integer', (c) =>
      postgres ? c.primaryKey() : c.primaryKey().autoIncrement(),
    )
    .addColumn('from_id', 'text', (c) => c.notNull())
    .addColumn('into_id', 'text', (c) => c.notNull())
    .addColumn('identity', 'text', (c) => c.notNull())
    .addColumn('message_seq', bigint)
    .addColumn('merged_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('profile_merges_into').on('profile_merges').column('into_id').execute()
  await db.schema.createIndex('profile_merges_from').on('profile_merges').column('from_id').execute()

  // Privacy deletions: hashes only, so the list of people who asked to be forgotten names no one.
  await db.schema
    .createTable('suppressions')
    .addColumn('hash', 'text', (c) => c.primaryKey())
    .addColumn('field', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .execute()

  await db.schema
    .createTable('settings')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'settings',
    'suppressions',
    'profile_merges',
    'profile_identities',
    'profiles',
    'uploads',
  ])
    await db.schema.dropTable(table).execute()
}
