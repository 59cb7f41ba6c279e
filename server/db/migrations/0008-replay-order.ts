import type { Kysely } from 'kysely'

/**
 * Drops the `(event_time, seq)` index on raw messages (0006). Every stored message paid for it —
 * measured on a 1M-row insert: 175–218k rows/s with it, 270–280k without — so that a rare
 * rebuild could replay in that order; a rebuild now sorts what it replays into its own table
 * (rebuild.ts). Frozen once landed.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('raw_messages_order').execute()
}
