import type { Kysely } from 'kysely'

/** Saved audiences (DESIGN.md §5): named filters over profiles. Frozen once landed. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('audiences')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    // The name lower-cased (Unicode-aware, in JS): names are unique whatever their case, so a
    // marketer never has to pick between two "VIPs".
    .addColumn('name_key', 'text', (c) => c.notNull().unique())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    // The filter as JSON (nodes/audience.ts), validated on the way in.
    .addColumn('filter', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('audiences_updated').on('audiences').columns(['updated_at', 'id']).execute()
}
