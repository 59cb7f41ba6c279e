import type { Kysely } from 'kysely'

/**
 * Users can be disabled (and enabled again) instead of deleted: a disabled user cannot sign in,
 * and their sessions and API tokens stop working, while what they made keeps its author.
 * Frozen once landed.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').addColumn('disabled_at', 'text').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').dropColumn('disabled_at').execute()
}
