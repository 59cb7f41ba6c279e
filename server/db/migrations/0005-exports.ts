import { type Kysely, PostgresAdapter, sql } from 'kysely'

/**
 * Export delivery state and enrichment inputs (DESIGN.md §5): per export job and destination identifier, the profile it
 * came from and a fingerprint of the mapped payload last acknowledged. Purging a job takes its
 * state with it (the foreign key cascades). Frozen once landed.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter
  await db.schema
    .createTable('export_deliveries')
    .addColumn('job_id', 'text', (c) => c.notNull().references('jobs.id').onDelete('cascade'))
    .addColumn('identifier', 'text', (c) => c.notNull())
    .addColumn('profile_id', 'text', (c) => c.notNull())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('delivered_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('export_deliveries_pk', ['job_id', 'identifier'])
    .$call((table) => (postgres ? table : table.modifyEnd(sql`without rowid`)))
    .execute()
  // A run asks which identifiers it delivered for a profile, to remove one the profile left.
  await db.schema
    .createIndex('export_deliveries_profile')
    .on('export_deliveries')
    .columns(['job_id', 'profile_id'])
    .execute()
  // Enrichment: per job and profile, a fingerprint of the input last sent (the profile's
  // attributes less the enrichment's own), so its own output never makes a profile look changed.
  await db.schema
    .createTable('enrichment_inputs')
    .addColumn('job_id', 'text', (c) => c.notNull().references('jobs.id').onDelete('cascade'))
    .addColumn('profile_id', 'text', (c) => c.notNull())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('enriched_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('enrichment_inputs_pk', ['job_id', 'profile_id'])
    .$call((table) => (postgres ? table : table.modifyEnd(sql`without rowid`)))
    .execute()
}
