import type { Kysely } from 'kysely'

/**
 * Raw messages a stream's retention deleted since the last profile rebuild (DESIGN.md §5): a
 * rebuild re-derives profiles from the messages that are kept, so it must say what it would lose.
 * Frozen once landed.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('streams')
    .addColumn('expired_since_rebuild', 'integer', (c) => c.notNull().defaultTo(0))
    .execute()
}
