import { type Kysely, PostgresAdapter, sql } from 'kysely'

/**
 * The outbox (DESIGN.md §7): every job status change, log line, run progress, metrics update and
 * deploy, written by triggers in the transaction that makes it (a run's start and end are its
 * job's status changes and log lines; its progress comes with each batch), so no code path can change
 * state without its event and no event outlives a rolled-back change. Frozen once landed.
 *
 * Readers walk the outbox in an order in which no row can ever appear behind one already read —
 * else a reader that passed 12 would never see an 11 committed later, and `Last-Event-ID` would
 * skip it. On SQLite (one writer at a time) that is `seq`, the write order. On PostgreSQL write
 * order is not commit order, so rows carry their transaction id and are read in `(tx, seq)` order
 * up to `pg_snapshot_xmin`: every transaction below it has ended, so nothing can commit there any
 * more. That position is the SSE event id. Writers take no lock and update nothing after the
 * insert — measured, numbering rows at commit under an advisory lock, and later renumbering them
 * in a second pass, were the largest costs of a unit of work on PostgreSQL (claim.bench.ts). The
 * PostgreSQL trigger NOTIFYs the row's `seq` and nothing else (delivered at commit).
 */
/** Row JSON per event, shared by both dialects: `j(...)` is json_object or json_build_object. */
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
/** Counts moved: a batch committed. (A run's end is its job's status change and Synced line.) */
const PROGRESS_CHANGED = `old.added <> new.added or old.removed <> new.removed or old.omitted <> new.omitted`

export async function up(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter
  await db.schema
    .createTable('outbox')
    .addColumn('seq', postgres ? 'bigserial' : 'integer', (c) =>
      postgres ? c.primaryKey() : c.primaryKey().autoIncrement(),
    )
    .$call((table) =>
      postgres
        ? table.addColumn('tx', sql`xid8`, (c) => c.notNull().defaultTo(sql`pg_current_xact_id()`))
        : table,
    )
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('topic', 'text', (c) => c.notNull())
    .addColumn('job_id', 'text')
    .addColumn('pipeline_id', 'text')
    .addColumn('data', 'text', (c) => c.notNull())
    .execute()
  if (postgres) {
    await sql`create index outbox_order on outbox (tx, seq)`.execute(db)
    await postgresTriggers(db)
  } else await sqliteTriggers(db)
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
  const p = payloads('json_build_object')
  const pipelineOf = (job: string) => `(select pipeline_id from jobs where id = ${job})`
  // Each function writes its row itself (no shared helper: a nested call per event is measurable
  // on a hot path) and NOTIFYs its id — only the id: readers fetch the rows.
  const emit = (topic: string, job: string, pipeline: string, data: string) =>
    `insert into outbox (at, topic, job_id, pipeline_id, data)
       values (to_char(now() at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), '${topic}', ${job}, ${pipeline}, (${data})::text)
       returning seq into emitted;
     perform pg_notify('sluice_outbox', emitted::text);`
  const functions: [name: string, body: string][] = [
    ['sluice_outbox_job_status', emit('job.status', 'new.id', 'new.pipeline_id', p.status)],
    [
      'sluice_outbox_job_log',
      emit(
        'job.log',
        'new.job_id',
        pipelineOf('new.job_id'),
        `json_build_object('jobId', new.job_id, 'id', new.id, 'at', new.at, 'event', new.event,
           'message', new.message, 'actor', new.actor, 'details', new.details::json)`,
      ),
    ],
    ['sluice_outbox_run', emit('job.progress', 'new.job_id', pipelineOf('new.job_id'), p.progress)],
    ['sluice_outbox_metrics', emit('job.metrics', 'new.job_id', pipelineOf('new.job_id'), p.metrics)],
    ['sluice_outbox_deployed', emit('pipeline.deployed', 'null', 'new.id', p.deployed)],
  ]
  for (const [name, body] of functions) {
    await sql
      .raw(
        `create function ${name}() returns trigger language plpgsql as $$ declare emitted bigint; begin ${body} return null; end $$`,
      )
      .execute(db)
  }
  const trigger = (name: string, event: string, table: string, fn: string, when?: string) =>
    `create trigger ${name} after ${event} on ${table}
     for each row ${when ? `when (${when})` : ''} execute function ${fn}()`
  const triggers = [
    trigger('outbox_job_created', 'insert', 'jobs', 'sluice_outbox_job_status'),
    trigger('outbox_job_status', 'update', 'jobs', 'sluice_outbox_job_status', STATUS_CHANGED),
    trigger('outbox_job_log', 'insert', 'job_logs', 'sluice_outbox_job_log'),
    trigger('outbox_run_progress', 'update', 'job_runs', 'sluice_outbox_run', PROGRESS_CHANGED),
    trigger('outbox_metrics_created', 'insert', 'job_metrics', 'sluice_outbox_metrics'),
    trigger('outbox_metrics', 'update', 'job_metrics', 'sluice_outbox_metrics'),
    trigger(
      'outbox_deployed',
      'update',
      'pipelines',
      'sluice_outbox_deployed',
      'old.deployed_version is distinct from new.deployed_version',
    ),
  ]
  for (const sqlText of triggers) await sql.raw(sqlText).execute(db)
}
