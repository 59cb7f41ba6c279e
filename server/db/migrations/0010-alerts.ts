import { type Kysely, sql } from 'kysely'

/**
 * Alerts (DESIGN.md §7): rules, the episodes they open (a condition that became true for a job,
 * until it is false again) and the deliveries of each episode to each target, which double as
 * the delivery log. One open episode per rule and job (a partial unique index), so however many
 * processes evaluate, a rule fires once per episode. Frozen once landed.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('alert_rules')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    // Null: every job.
    .addColumn('job_id', 'text')
    .addColumn('condition', 'text', (c) => c.notNull())
    // JSON; webhook signing secrets included (never answered, logged or exported).
    .addColumn('targets', 'text', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute()

  await db.schema
    .createTable('alert_episodes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('rule_id', 'text', (c) => c.notNull().references('alert_rules.id').onDelete('cascade'))
    .addColumn('job_id', 'text', (c) => c.notNull())
    .addColumn('opened_at', 'text', (c) => c.notNull())
    .addColumn('closed_at', 'text')
    .addColumn('summary', 'text', (c) => c.notNull())
    .execute()
  await sql`create unique index alert_episodes_open on alert_episodes (rule_id, job_id) where closed_at is null`.execute(
    db,
  )
  await db.schema
    .createIndex('alert_episodes_rule')
    .on('alert_episodes')
    .columns(['rule_id', 'opened_at'])
    .execute()

  await db.schema
    .createTable('alert_deliveries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('episode_id', 'text', (c) => c.notNull().references('alert_episodes.id').onDelete('cascade'))
    .addColumn('rule_id', 'text', (c) => c.notNull())
    .addColumn('target', 'integer', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    // pending → sent | failed (after the last attempt)
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'text')
    .addColumn('claimed_until', 'text')
    .addColumn('claim_token', 'text')
    .addColumn('last_error', 'text')
    .addColumn('sent_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('alert_deliveries_due')
    .on('alert_deliveries')
    .columns(['status', 'next_attempt_at'])
    .execute()
  await db.schema
    .createIndex('alert_deliveries_rule')
    .on('alert_deliveries')
    .columns(['rule_id', 'created_at'])
    .execute()
}
