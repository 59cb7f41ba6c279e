import { sql } from 'kysely'
import { parseDuration } from '../../nodes/duration.ts'
import { closeEpisodes, openEpisode, openEpisodeJobs } from '../db/alerts.repo.ts'
import type { Executor, Job } from '../db/schema.ts'
import type { AlertCondition, StoredTarget } from './alert-rules.ts'

type Watched = Pick<
  Job,
  | 'id'
  | 'name'
  | 'status'
  | 'sleep_reason'
  | 'status_changed_at'
  | 'consecutive_errors'
  | 'first_error_at'
  | 'last_error'
>
/** A job for which a condition holds now, and what to tell people about it. */
interface Hit {
  jobId: string
  summary: string
}

const COLUMNS = [
  'jobs.id',
  'jobs.name',
  'jobs.status',
  'jobs.sleep_reason',
  'jobs.status_changed_at',
  'jobs.consecutive_errors',
  'jobs.first_error_at',
  'jobs.last_error',
] as const

const since = (from: string, now: Date) => {
  const minutes = Math.max(0, Math.round((now.getTime() - Date.parse(from)) / 60_000))
  return minutes < 120 ? `${minutes} min` : `${Math.round(minutes / 60)} h`
}
const cause = (job: Watched) => (job.last_error ? `: ${job.last_error}` : '')

/** The jobs (of `scope`, or all) for which `condition` holds at `now`. */
async function hits(
  db: Executor,
  condition: AlertCondition,
  scope: string | null,
  now: Date,
): Promise<Hit[]> {
  const jobs = db
    .selectFrom('jobs')
    .select(COLUMNS)
    .where('jobs.status', '<>', 'removed')
    .$if(scope !== null, (query) => query.where('jobs.id', '=', scope!))
  switch (condition.kind) {
    case 'failed':
      return (await jobs.where('jobs.status', '=', 'failed').execute()).map((job) => ({
        jobId: job.id,
        summary: `“${job.name}” failed${cause(job)}`,
      }))
    case 'error_streak': {
      let query = jobs.where('jobs.consecutive_errors', '>=', condition.errors ?? 1)
      if (condition.longerThan !== undefined) {
        const cutoff = new Date(now.getTime() - parseDuration(condition.longerThan)!).toISOString()
        query = query.where('jobs.first_error_at', '<', cutoff)
      }
      return (await query.execute()).map((job) => ({
        jobId: job.id,
        summary: `“${job.name}” has failed ${job.consecutive_errors} times in a row${
          job.first_error_at ? ` for ${since(job.first_error_at, now)}` : ''
        }${cause(job)}`,
      }))
    }
    case 'sleeping': {
      const cutoff = new Date(now.getTime() - parseDuration(condition.longerThan)!).toISOString()
      const asleep = await jobs
        .where('jobs.status', '=', 'sleeping')
        .where('jobs.sleep_reason', 'in', condition.reasons)
        .where('jobs.status_changed_at', '<', cutoff)
        .execute()
      const why = {
        schedule: 'waiting for its schedule',
        retry: 'retrying after errors',
        rate_limit: 'rate-limited',
      }
      return asleep.map((job) => ({
        jobId: job.id,
        summary: `“${job.name}” has been sleeping (${why[job.sleep_reason ?? 'schedule']}) for ${since(
          job.status_changed_at,
          now,
        )}${cause(job)}`,
      }))
    }
    case 'omitted': {
      // Each job's last finished run.
      const last = sql<string>`(select r.id from job_runs r where r.job_id = jobs.id and r.ended_at is not null
        order by r.ended_at desc, r.id desc limit 1)`
      const rows = await jobs
        .innerJoin('job_runs as run', (join) => join.on('run.id', '=', last))
        .select(['run.added', 'run.removed', 'run.omitted'])
        .where('run.omitted', '>', 0)
        .execute()
      return rows
        .filter((row) => row.omitted * 100 > condition.percent * (row.added + row.removed + row.omitted))
        .map((row) => {
          const total = row.added + row.removed + row.omitted
          return {
            jobId: row.id,
            summary: `“${row.name}”'s last run omitted ${row.omitted} of ${total} profiles (${Math.round(
              (row.omitted / total) * 100,
            )}%, over ${condition.percent}%)`,
          }
        })
    }
  }
}

/**
 * One pass over the enabled rules (DESIGN.md §7): an episode opens, with its deliveries, for each
 * job a condition newly holds for, and closes when the condition no longer does. Safe to run in
 * several processes at once: the open-episode index lets one of them open it.
 */
export async function evaluateAlerts(db: Executor, now: Date): Promise<{ opened: number; closed: number }> {
  const rules = await db.selectFrom('alert_rules').selectAll().where('enabled', '=', 1).execute()
  let opened = 0
  let closed = 0
  const at = now.toISOString()
  for (const rule of rules) {
    const condition = JSON.parse(rule.condition) as AlertCondition
    const targets = JSON.parse(rule.targets) as StoredTarget[]
    const found = await hits(db, condition, rule.job_id, now)
    const holding = new Set(found.map((hit) => hit.jobId))
    const open = await openEpisodeJobs(db, rule.id)
    for (const hit of found) {
      if (open.includes(hit.jobId)) continue
      const fired = await db.transaction().execute((trx) =>
        openEpisode(
          trx,
          { ruleId: rule.id, jobId: hit.jobId, summary: hit.summary, at },
          targets.map((target) => ({ kind: target.type })),
        ),
      )
      if (fired) opened++
    }
    closed += await closeEpisodes(
      db,
      rule.id,
      open.filter((jobId) => !holding.has(jobId)),
      at,
    )
  }
  return { opened, closed }
}
