import { type Kysely, PostgresAdapter, sql } from 'kysely'

/**
 * The outbox (DESIGN.md §7): every job status change, log line, run progress, metrics update and
 * deploy, written by triggers in the transaction that makes it, so no code path can change state
 * without its event and no event outlives a rolled-back change. Its id is the SSE event id.
 * Frozen once landed.
 *
 * Ids must become visible in id order, or a reader that has passed id 12 would never see an 11
 * that committed later, and `Last-Event-ID` would skip it. SQLite has one writer at a time, so
 * they do. On PostgreSQL the rows are written by deferred constraint triggers, which run at commit
 * after everything else the transaction does, under one transaction-scoped advisory lock: outbox
 * ids are taken and committed in commit order, and since the lock is the last one a transaction
 * takes, waiting for it cannot deadlock. The same trigger NOTIFYs the id (delivered at commit).
 */
const LOCK = 7_310_411

/** Row JSON per event, shared by both dialects: `j(...)` is json_object or jsonb_build_object. */
const payloads = (j: string) => ({
  status: `${j}('jobId', new.id, 'pipelineId', new.pipeline_id, 'nodeId', new.node_id, 'name', new.name,
    'status', new.status, 'sleepReason', new.sleep_reason, 'nextRunAt', new.next_run_at,
    'statusChangedAt', new.status_changed_at, 'lastError', new.last_error,
    'consecutiveErrors', new.consecutive_errors, 'firstErrorAt', new.first_error_at)`,
  progress: `${j}('jobId', new.job_id, 'runId', new.id, 'dueAt', new.due_at, 'startedAt', new.started_at,
    'endedAt', new.ended_at, 'outcome', new.outcome, 'added', new.added, 'removed', new.removed,
    'omitted', new.omitted)`,
  metrics: `${j}('jobId', new.job_id, 'bucket', new.bucket, 'added', new.added, 'removed', new.removed,
    'omitted', new.omitted)`,
  deployed: `${j}('pipelineId', new.id, 'version', new.deployed_version, 'name', new.name)`,
})

const STATUS_CHANGED = `old.status is distinct from new.status or old.sleep_reason is distinct from new.sleep_reason
  or old.next_run_at is distinct from new.next_run_at or old.last_error is distinct from new.last_error`
const PROGRESS_CHANGED = `old.added <> new.added or old.removed <> new.removed or old.omitted <> new.omitted
  or old.outcome is distinct from new.outcome`

export async function up(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter
  await db.schema
    .createTable('outbox')
    .addColumn('id', postgres ? 'bigserial' : 'integer', (c) =>
      postgres ? c.primaryKey() : c.primaryKey().autoIncrement(),
    )
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('topic', 'text', (c) => c.notNull())
    .addColumn('job_id', 'text')
    .addColumn('pipeline_id', 'text')
    .addColumn('data', 'text', (c) => c.notNull())
    .execute()
  // The trim finds the first id younger than the cutoff.
  await db.schema.createIndex('outbox_at').on('outbox').columns(['at']).execute()
  if (postgres) await postgresTriggers(db)
  else await sqliteTriggers(db)
}

async function sqliteTriggers(db: Kysely<any>): Promise<void> {
  const p = payloads('json_object')
  const now = `strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`
  const pipelineOf = (job: string) => `(select pipeline_id from jobs where id = ${job})`
  const insert = (topic: string, job: string, pipeline: string, data: string) =>
    `insert into outbox (at, topic, job_id, pipeline_id, data) values (${now}, '${topic}', ${job}, ${pipeline}, ${data});`
  const isNot = (condition: string) => condition.replaceAll('is distinct from', 'is not')
  const triggers = [
    `create trigger outbox_job_created after insert on jobs begin
       ${insert('job.status', 'new.id', 'new.pipeline_id', p.status)} end`,
    `create trigger outbox_job_status after update on jobs when ${isNot(STATUS_CHANGED)} begin
       ${insert('job.status', 'new.id', 'new.pipeline_id', p.status)} end`,
    `create trigger outbox_job_log after insert on job_logs begin
       ${insert(
         'job.log',
         'new.job_id',
         pipelineOf('new.job_id'),
         `json_object('jobId', new.job_id, 'id', new.id, 'at', new.at, 'event', new.event,
           'message', new.message, 'actor', new.actor, 'details', json(new.details))`,
       )} end`,
    `create trigger outbox_run_started after insert on job_runs begin
       ${insert('job.progress', 'new.job_id', pipelineOf('new.job_id'), p.progress)} end`,
    `create trigger outbox_run_progress after update on job_runs when ${isNot(PROGRESS_CHANGED)} begin
       ${insert('job.progress', 'new.job_id', pipelineOf('new.job_id'), p.progress)} end`,
    `create trigger outbox_metrics_created after insert on job_metrics begin
       ${insert('job.metrics', 'new.job_id', pipelineOf('new.job_id'), p.metrics)} end`,
    `create trigger outbox_metrics after update on job_metrics begin
       ${insert('job.metrics', 'new.job_id', pipelineOf('new.job_id'), p.metrics)} end`,
    `create trigger outbox_deployed after update of deployed_version on pipelines
       when old.deployed_version is not new.deployed_version begin
       ${insert('pipeline.deployed', 'null', 'new.id', p.deployed)} end`,
  ]
  for (const trigger of triggers) await sql.raw(trigger).execute(db)
}

async function postgresTriggers(db: Kysely<any>): Promise<void> {
  const p = payloads('jsonb_build_object')
  await sql
    .raw(
      `create function sluice_outbox_emit(p_topic text, p_job text, p_pipeline text, p_data jsonb)
       returns void language plpgsql as $$
       declare emitted bigint;
       begin
         perform pg_advisory_xact_lock(${LOCK});
         insert into outbox (at, topic, job_id, pipeline_id, data)
           values (to_char(clock_timestamp() at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                   p_topic, p_job, p_pipeline, p_data::text)
           returning id into emitted;
         perform pg_notify('sluice_outbox', emitted::text);
       end $$`,
    )
    .execute(db)
  const pipelineOf = (job: string) => `(select pipeline_id from jobs where id = ${job})`
  const functions: [name: string, body: string][] = [
    [
      'sluice_outbox_job_status',
      `perform sluice_outbox_emit('job.status', new.id, new.pipeline_id, ${p.status});`,
    ],
    [
      'sluice_outbox_job_log',
      `perform sluice_outbox_emit('job.log', new.job_id, ${pipelineOf('new.job_id')},
         jsonb_build_object('jobId', new.job_id, 'id', new.id, 'at', new.at, 'event', new.event,
           'message', new.message, 'actor', new.actor, 'details', new.details::jsonb));`,
    ],
    [
      'sluice_outbox_run',
      `perform sluice_outbox_emit('job.progress', new.job_id, ${pipelineOf('new.job_id')}, ${p.progress});`,
    ],
    [
      'sluice_outbox_metrics',
      `perform sluice_outbox_emit('job.metrics', new.job_id, ${pipelineOf('new.job_id')}, ${p.metrics});`,
    ],
    [
      'sluice_outbox_deployed',
      `perform sluice_outbox_emit('pipeline.deployed', null, new.id, ${p.deployed});`,
    ],
  ]
  for (const [name, body] of functions) {
    await sql
      .raw(
        `create function ${name}() returns trigger language plpgsql as $$ begin ${body} return null; end $$`,
      )
      .execute(db)
  }
  const deferred = (name: string, event: string, table: string, fn: string, when?: string) =>
    `create constraint trigger ${name} after ${event} on ${table} deferrable initially deferred
     for each row ${when ? `when (${when})` : ''} execute function ${fn}()`
  const triggers = [
    deferred('outbox_job_created', 'insert', 'jobs', 'sluice_outbox_job_status'),
    deferred('outbox_job_status', 'update', 'jobs', 'sluice_outbox_job_status', STATUS_CHANGED),
    deferred('outbox_job_log', 'insert', 'job_logs', 'sluice_outbox_job_log'),
    deferred('outbox_run_started', 'insert', 'job_runs', 'sluice_outbox_run'),
    deferred('outbox_run_progress', 'update', 'job_runs', 'sluice_outbox_run', PROGRESS_CHANGED),
    deferred('outbox_metrics_created', 'insert', 'job_metrics', 'sluice_outbox_metrics'),
    deferred('outbox_metrics', 'update', 'job_metrics', 'sluice_outbox_metrics'),
    deferred(
      'outbox_deployed',
      'update',
      'pipelines',
      'sluice_outbox_deployed',
      'old.deployed_version is distinct from new.deployed_version',
    ),
  ]
  for (const trigger of triggers) await sql.raw(trigger).execute(db)
}
