import { z } from 'zod'
import type { Config } from '../config.ts'
import type { JobListRow } from '../db/jobs.repo.ts'
import type { Job } from '../db/schema.ts'

const csv = <T extends string>(values: readonly [T, ...T[]]) =>
  z
    .string()
    .transform((text) =>
      text
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.enum(values)))

export const listJobsQuery = z.strictObject({
  type: csv(['import', 'export', 'enrichment', 'system'] as const).optional(),
  status: csv(['running', 'sleeping', 'failed', 'paused', 'completed', 'removed'] as const).optional(),
  provider: z.string().max(100).optional(),
  jobType: z.string().max(100).optional(),
  authorizationId: z.string().max(100).optional(),
  pipelineId: z.string().max(100).optional(),
  q: z.string().max(200).optional(),
  sort: z.string().max(40).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  cursor: z.string().max(500).optional(),
})

export const patchJobBody = z
  .strictObject({ name: z.string().trim().min(1).max(200), description: z.string().max(2000) })
  .partial()
  .refine((value) => value.name !== undefined || value.description !== undefined, 'send name or description')

const logId = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER)
export const logsQuery = z.strictObject({
  after: logId.optional(),
  before: logId
    .optional()
    .meta({ description: 'Only entries older than this id: the newest `limit` of them' }),
  newest: z
    .enum(['true', 'false'])
    .transform((value) => value === 'true')
    .optional()
    .meta({ description: 'The newest `limit` entries (still oldest first in the answer)' }),
  event: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
})

export const runsQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(1000).default(100) })

export const metricsQuery = z.strictObject({
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  bucket: z.enum(['hour', 'day']).default('hour'),
})

/** Authorization names by id (`authorizationNames`); one the Vault no longer holds says so. */
export type AuthorizationNames = ReadonlyMap<string, string>

const authorizationOf = (job: JobListRow, names: AuthorizationNames) =>
  job.authorization_id
    ? { id: job.authorization_id, name: names.get(job.authorization_id) ?? '(deleted authorization)' }
    : null

const jobStatus = z.enum(['running', 'sleeping', 'failed', 'paused', 'completed', 'removed'])
const jobKind = z.enum(['import', 'export', 'enrichment', 'system'])

export const jobListItemJson = z.object({
  id: z.string(),
  name: z.string(),
  authorization: z.object({ id: z.string(), name: z.string() }).nullable(),
  provider: z.string(),
  jobType: z.string(),
  type: jobKind,
  status: jobStatus,
  pipelineId: z.string().nullable(),
  nodeId: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
})

export const jobDetailJson = jobListItemJson.extend({
  description: z.string(),
  sleepReason: z.enum(['schedule', 'retry', 'rate_limit']).nullable(),
  createdBy: z.string(),
  createdByName: z.string().nullable().meta({ description: 'Null when the user is gone' }),
  updatedBy: z.string(),
  updatedByName: z.string().nullable(),
  statusChangedAt: z.string(),
  config: z.unknown(),
  cadence: z.unknown(),
  mapping: z.unknown(),
  nextRunAt: z.string().nullable(),
  lastRunAt: z.string().nullable(),
  lastSuccessAt: z.string().nullable(),
  firstErrorAt: z.string().nullable(),
  consecutiveErrors: z.number().int(),
  lastError: z.string().nullable(),
  /** Where the next run continues (a source's cursor or offset); null before the first batch. */
  checkpoint: z.unknown(),
  failsAt: z.string().nullable().meta({ description: 'When a job that keeps failing will be marked failed' }),
  purgesAt: z
    .string()
    .nullable()
    .meta({ description: 'When a failed, paused, completed or removed job is purged' }),
})

export const logJson = z.object({
  id: z.string(),
  at: z.string(),
  event: z.string(),
  message: z.string(),
  actor: z.string().nullable(),
  details: z.unknown(),
})
export const runJson = z.object({
  id: z.string(),
  dueAt: z.string(),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  outcome: z.string().nullable(),
  added: z.number().int(),
  removed: z.number().int(),
  omitted: z.number().int(),
  error: z.string().nullable(),
  worker: z.string(),
})
export const metricJson = z.object({
  t: z.string(),
  added: z.number(),
  removed: z.number(),
  omitted: z.number(),
})

export function toJobListItem(job: JobListRow, names: AuthorizationNames): z.infer<typeof jobListItemJson> {
  return {
    id: job.id,
    name: job.name,
    authorization: authorizationOf(job, names),
    provider: job.provider,
    jobType: job.job_type,
    type: job.type,
    status: job.status,
    pipelineId: job.pipeline_id,
    nodeId: job.node_id,
    createdAt: job.created_at,
    updatedAt: job.updated_at,
  }
}

const plus = (iso: string | null, ms: number) => (iso ? new Date(Date.parse(iso) + ms).toISOString() : null)
const TERMINAL = new Set(['failed', 'paused', 'completed', 'removed'])

/** When a failing job will be marked failed, and when a stopped one will be purged. */
export function deadlinesOf(job: Job, config: Config): { failsAt: string | null; purgesAt: string | null } {
  return {
    failsAt:
      job.consecutive_errors > 0 && !TERMINAL.has(job.status)
        ? plus(job.first_error_at, config.failAfterMs)
        : null,
    purgesAt: TERMINAL.has(job.status) ? plus(job.status_changed_at, config.purgeAfterMs) : null,
  }
}

export function toJobDetail(
  job: Job,
  config: Config,
  names: AuthorizationNames,
): Omit<z.infer<typeof jobDetailJson>, 'createdByName' | 'updatedByName'> {
  return {
    ...toJobListItem(job, names),
    description: job.description,
    sleepReason: job.sleep_reason,
    createdBy: job.created_by,
    updatedBy: job.updated_by,
    statusChangedAt: job.status_changed_at,
    config: JSON.parse(job.config) as unknown,
    cadence: JSON.parse(job.cadence) as unknown,
    mapping: job.mapping === null ? null : (JSON.parse(job.mapping) as unknown),
    nextRunAt: job.next_run_at,
    lastRunAt: job.last_run_at,
    lastSuccessAt: job.last_success_at,
    firstErrorAt: job.first_error_at,
    consecutiveErrors: job.consecutive_errors,
    lastError: job.last_error,
    checkpoint: job.state === null ? null : (JSON.parse(job.state) as unknown),
    ...deadlinesOf(job, config),
  }
}
