import { type Kysely, sql } from 'kysely'

/**
 * The claim's two indexes cover only the rows it looks for: due times of sleeping jobs, lease
 * expiries of running ones. Every claim and every finish changes a job's status, so each is an
 * update that rewrites the job's index entries (not a heap-only one); with full `(status, …)`
 * indexes both got a new entry each time, now only the one matching the new status does. Every
 * query on these columns names its status (leases.ts, run-statements.pg.ts). Frozen once landed.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('jobs_due').execute()
  await db.schema.dropIndex('jobs_lease').execute()
  await sql`create index jobs_due on jobs (next_run_at) where status = 'sleeping'`.execute(db)
  await sql`create index jobs_lease on jobs (lease_expires_at) where status = 'running'`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('jobs_due').execute()
  await db.schema.dropIndex('jobs_lease').execute()
  await db.schema.createIndex('jobs_due').on('jobs').columns(['status', 'next_run_at']).execute()
  await db.schema.createIndex('jobs_lease').on('jobs').columns(['status', 'lease_expires_at']).execute()
}
