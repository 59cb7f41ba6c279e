import { CompiledQuery } from 'kysely'
import { newId } from '../db/ids.ts'
import { pgPoolOf } from '../db/pg-handle.ts'
import type { Executor, Job } from '../db/schema.ts'

/**
 * PostgreSQL's one-statement forms of claiming, opening and ending runs (DESIGN.md §4). Every
 * statement is a round trip and, unless prepared, a parse-and-plan: a run's bookkeeping — the
 * claim, its run row and the first run's Started line; then the lease release with the outcome,
 * the run's end and its log lines — is written by data-modifying CTEs in two statements, each
 * committing as one, sent as named statements so each connection plans them once. Measured with
 * 4 worker processes on a no-op job (claim.bench.ts): 7–8 ad-hoc statements per run at first,
 * 2 now. SQLite runs the same writes as separate statements in one transaction
 * (run-lifecycle.ts, leases.ts), where a statement costs microseconds.
 */

/** A claimed job whose run row the claim opened. */
export type ClaimedJob = Job & { run_id?: string }

export interface LogLine {
  event: string
  message: string
  details: unknown
}

/** Runs `text` as a named statement on the pool, or (inside a transaction, or without one) plainly. */
async function run<R>(db: Executor, name: string, text: string, values: unknown[]): Promise<R[]> {
  const pool = db.isTransaction ? undefined : pgPoolOf(db)
  if (pool) return (await pool.query({ name, text, values })).rows as R[]
  return (await db.executeQuery<R>(CompiledQuery.raw(text, values))).rows
}

const LEASE_TIME = `to_char((now() at time zone 'utc') + make_interval(secs => $7::float8), 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`
const NOW_TEXT = `to_char(now() at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`

/**
 * The claim and the opening of the claimed jobs' runs, in one statement. Jobs whose lease expired
 * (their worker died) come first, then due sleeping ones; each clause walks its own index. Both
 * lock up to `limit` rows, so a recovery may lock a few due rows for the statement's length.
 */
const CLAIM = `
  with expired as (
    select id, 0 as rank, lease_expires_at as due from jobs
    where status = 'running' and lease_expires_at < ${NOW_TEXT}
      and ($2::text[] is null or type = any($2::text[]))
      and (authorization_id is null or not (provider = any($3::text[])))
    order by lease_expires_at limit $4 for update skip locked
  ), ready as (
    select id, 1 as rank, next_run_at as due from jobs
    where status = 'sleeping' and next_run_at <= $1
      and ($2::text[] is null or type = any($2::text[]))
      and (authorization_id is null or not (provider = any($3::text[])))
    order by next_run_at limit $4 for update skip locked
  ), candidate as (
    select id from (select * from expired union all select * from ready) as both_clauses
    order by rank, due limit $4
  ), claimed as (
    update jobs set status = 'running',
      status_changed_at = case when status = 'sleeping' then $1 else status_changed_at end,
      sleep_reason = null, lease_owner = $5, lease_token = $6 || ':' || id, lease_expires_at = ${LEASE_TIME}
    where id in (select id from candidate)
    returning *
  ), numbered as (select claimed.*, row_number() over () as n from claimed),
  opened as (
    insert into job_runs (id, job_id, due_at, worker, started_at, ended_at, outcome, added, removed, omitted, error)
    select ($8::text[])[n], id, coalesce(next_run_at, $1), $5, $1, null, null, 0, 0, 0, null from numbered
    on conflict (job_id, due_at) do update set worker = excluded.worker
    returning id, job_id, (xmax = 0) as inserted
  ), started as (
    insert into job_logs (job_id, at, event, message, details, actor)
    select opened.job_id, $1, 'Started', 'Started: the first run', null, null
    from opened join claimed on claimed.id = opened.job_id
    where opened.inserted and claimed.last_run_at is null
  )
  select claimed.*, opened.id as run_id from claimed join opened on opened.job_id = claimed.id`

/**
 * Claims up to `limit` jobs — dead workers' first, then due ones — that no budget applies to
 * (`capped`: providers with one), opening their run rows.
 */
export async function claimAndOpenPg(
  db: Executor,
  options: {
    now: string
    owner: string
    token: string
    ttlMs: number
    limit: number
    types?: readonly string[]
  },
  capped: readonly string[],
): Promise<ClaimedJob[]> {
  const ids = Array.from({ length: options.limit }, () => newId())
  return run<ClaimedJob>(db, 'sluice_claim', CLAIM, [
    options.now,
    options.types ?? null,
    capped,
    options.limit,
    options.owner,
    options.token,
    options.ttlMs / 1000,
    ids,
  ])
}

const OPEN_RUN = `
  with opened as (
    insert into job_runs (id, job_id, due_at, worker, started_at, ended_at, outcome, added, removed, omitted, error)
    values ($1, $2, $3, $4, $5, null, null, 0, 0, 0, null)
    on conflict (job_id, due_at) do update set worker = excluded.worker
    returning id, (xmax = 0) as inserted
  ), started as (
    insert into job_logs (job_id, at, event, message, details, actor)
    select $2, $5, 'Started', 'Started: the first run', null, null from opened where opened.inserted and $6::boolean
  )
  select id from opened`

/** Opens (or, for a recovered job, continues) the slot's run row; the first run also logs Started. */
export async function openRunPg(
  db: Executor,
  open: { id: string; jobId: string; dueAt: string; owner: string; startedAt: string; firstRun: boolean },
): Promise<string> {
  const rows = await run<{ id: string }>(db, 'sluice_open_run', OPEN_RUN, [
    open.id,
    open.jobId,
    open.dueAt,
    open.owner,
    open.startedAt,
    open.firstRun,
  ])
  return rows[0]!.id
}

const FINISH_RUN = `
  with released as (
    update jobs set status = $3, sleep_reason = $4, next_run_at = $5, consecutive_errors = $6,
      first_error_at = $7, last_error = $8, status_changed_at = $9, last_run_at = $10,
      last_success_at = coalesce($11, last_success_at),
      lease_owner = null, lease_token = null, lease_expires_at = null
    where id = $1 and lease_token = $2
    returning id
  ), ended as (
    update job_runs set ended_at = $10, outcome = $13, error = $17
    where id = $12 and exists (select 1 from released)
  ), logged as (
    insert into job_logs (job_id, at, event, message, details, actor)
    select $1, $10, line.event, line.message, line.details, null
    from unnest($14::text[], $15::text[], $16::text[]) as line(event, message, details)
    where exists (select 1 from released)
  )
  select count(*)::int as released from released`

/** What a finished unit makes of its job (outcome.ts), as finish() writes it. */
export interface FinishChanges {
  status: string
  sleep_reason: string | null
  next_run_at: string | null
  consecutive_errors: number
  first_error_at: string | null
  last_error: string | null
  status_changed_at: string
  last_run_at: string
  last_success_at?: string
}

/**
 * Releases the lease with the outcome's `changes`, ends the run and writes its log lines, all
 * only if `token` still holds the lease. True if it did.
 */
export async function finishRunPg(
  db: Executor,
  finish: {
    jobId: string
    token: string
    changes: FinishChanges
    runId: string
    outcome: 'success' | 'error'
    error: string | null
    logs: LogLine[]
  },
): Promise<boolean> {
  const c = finish.changes
  const rows = await run<{ released: number }>(db, 'sluice_finish_run', FINISH_RUN, [
    finish.jobId,
    finish.token,
    c.status,
    c.sleep_reason,
    c.next_run_at,
    c.consecutive_errors,
    c.first_error_at,
    c.last_error,
    c.status_changed_at,
    c.last_run_at,
    c.last_success_at ?? null,
    finish.runId,
    finish.outcome,
    finish.logs.map((line) => line.event),
    finish.logs.map((line) => line.message),
    finish.logs.map((line) => (line.details === undefined ? null : JSON.stringify(line.details))),
    finish.error,
  ])
  return rows[0]!.released === 1
}
