import { type Kysely, PostgresAdapter, sql } from 'kysely'

/**
 * The profile change sequence and rebuild bookkeeping (DESIGN.md §5). Frozen once landed.
 * - `counters`: `profile_change` numbers every transaction that writes profiles; `generation`
 *   is the profile generation pointer a rebuild flips.
 * - `profiles.change_seq`: the number of the transaction that last wrote the profile, so an export
 *   reads only people changed since its checkpoint.
 * - `profile_tombstones`: profiles that went away (merged into another, deleted), with the number
 *   of the transaction that removed them, so an export can take them off the destination.
 * - `raw_messages.unified_seq`: the transaction that applied the message, so a rebuild finds what
 *   was applied while it replayed; `(event_time, seq)` is the order it replays in.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter
  const bigint = postgres ? 'bigint' : 'integer'

  await db.schema
    .createTable('counters')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', bigint, (c) => c.notNull())
    .execute()
  await db
    .insertInto('counters')
    .values([
      { name: 'profile_change', value: 0 },
      { name: 'generation', value: 1 },
      // Tombstones at or below this were trimmed: a checkpoint older than it reconciles in full.
      { name: 'tombstone_floor', value: 0 },
    ])
    .execute()

  await db.schema
    .alterTable('profiles')
    .addColumn('change_seq', bigint, (c) => c.notNull().defaultTo(0))
    .execute()
  await db.schema.createIndex('profiles_change').on('profiles').columns(['change_seq', 'id']).execute()

  await db.schema
    .createTable('profile_tombstones')
    .addColumn('change_seq', bigint, (c) => c.notNull())
    .addColumn('profile_id', 'text', (c) => c.notNull())
    .addColumn('into_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('profile_tombstones_pk', ['change_seq', 'profile_id'])
    .execute()

  await db.schema.alterTable('raw_messages').addColumn('unified_seq', bigint).execute()
  await db.schema
    .createIndex('raw_messages_unified')
    .on('raw_messages')
    .column('unified_seq')
    .where(sql.ref('unified_seq'), 'is not', null)
    .execute()
  await db.schema
    .createIndex('raw_messages_order')
    .on('raw_messages')
    .columns(['event_time', 'seq'])
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('raw_messages_order').execute()
  await db.schema.dropIndex('raw_messages_unified').execute()
  await db.schema.alterTable('raw_messages').dropColumn('unified_seq').execute()
  await db.schema.dropTable('profile_tombstones').execute()
  await db.schema.dropIndex('profiles_change').execute()
  await db.schema.alterTable('profiles').dropColumn('change_seq').execute()
  await db.schema.dropTable('counters').execute()
}
