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

export const logsQuery = z.strictObject({
  after: z.coerce.number().int().min(0).optional(),
  event: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
})

export const runsQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(1000).default(100) })

export const metricsQuery = z.strictObject({
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  bucket: z.enum(['hour', 'day']).default('hour'),
})

/** Authorization names join in with the Vault; until then the id stands for the name. */
const authorizationOf = (job: JobListRow) =>
  job.authorization_id ? { id: job.authorization_id, name: job.authorization_id } : null

export function toJobListItem(job: JobListRow) {
  return {
    id: job.id,
    name: job.name,
    authorization: authorizationOf(job),
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

export function toJobDetail(job: Job, config: Config) {
  return {
    ...toJobListItem(job),
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
    failsAt:
      job.consecutive_errors > 0 && !TERMINAL.has(job.status)
        ? plus(job.first_error_at, config.failAfterMs)
        : null,
    purgesAt: TERMINAL.has(job.status) ? plus(job.status_changed_at, config.purgeAfterMs) : null,
  }
}
