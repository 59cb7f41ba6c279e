import type { Kysely } from 'kysely'
import type { Cadence } from '../../nodes/cadence.ts'
import { recordAudit } from '../db/audit.repo.ts'
import { newId } from '../db/ids.ts'
import { appendLog, insertJob, jobsOfPipeline, updateJob } from '../db/jobs.repo.ts'
import { serialize } from '../db/locks.ts'
import { findPipeline, findVersion, insertVersion } from '../db/pipelines.repo.ts'
import type { Database, Job, JobStatus, NewJob } from '../db/schema.ts'
import { ApiError, notFound } from '../errors.ts'
import { firstRunAt } from '../executor/schedule.ts'
import { lookupsFor } from './lookups.ts'
import { canonical, isEmptyPlan, type JobSpec, jobSpecs, type Plan, planDeploy } from './plan.ts'
import type { Problem } from './problems.ts'
import { validatePipeline } from './validate.ts'

export interface Actor {
  userId: string
  name: string
}

export type DeployAction = 'created' | 'updated' | 'removed' | 'unchanged'

export interface DeployResult {
  version: number | null
  changed: boolean
  jobs: { nodeId: string; jobId: string; action: DeployAction }[]
  plan: Plan
}

export function invalidPipeline(problems: Problem[]): ApiError {
  const first = problems[0]?.message ?? 'the pipeline is invalid'
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more problems)` : ''
  return new ApiError(422, 'InvalidPipeline', `${first}${more}`, { details: { errors: problems } })
}

/** Validates a stored draft and computes its plan against the pipeline's jobs, without writing. */
export async function planPipeline(db: Kysely<Database>, pipelineId: string) {
  const pipeline = await findPipeline(db, pipelineId)
  if (!pipeline) throw notFound('pipeline', pipelineId)
  const document = JSON.parse(pipeline.document) as unknown
  const { doc, problems } = validatePipeline(document, await lookupsFor(db, document))
  if (!doc) throw invalidPipeline(problems)
  const specs = jobSpecs(doc)
  return { pipeline, doc, specs, plan: planDeploy(specs, await jobsOfPipeline(db, pipelineId)) }
}

function schedule(
  cadence: Cadence,
  now: Date,
  paused: boolean,
): Pick<NewJob, 'status' | 'sleep_reason' | 'next_run_at'> {
  if (paused) return { status: 'paused', sleep_reason: null, next_run_at: null }
  // A realtime job is "running" while enabled (DESIGN.md §4); it holds no lease.
  if (cadence === 'realtime') return { status: 'running', sleep_reason: null, next_run_at: null }
  return {
    status: 'sleeping',
    sleep_reason: 'schedule',
    next_run_at: firstRunAt(cadence, now)?.toISOString() ?? null,
  }
}

function specColumns(spec: JobSpec) {
  return {
    name: spec.name,
    description: spec.description,
    provider: spec.provider,
    job_type: spec.jobType,
    type: spec.type,
    authorization_id: spec.authorizationId,
    config: JSON.stringify(spec.config),
    cadence: JSON.stringify(spec.cadence),
    mapping: spec.mapping === null ? null : JSON.stringify(spec.mapping),
  }
}

/**
 * Applies a pipeline's draft in one transaction: creates, updates and removes its jobs and stores
 * the document as a new deployed version. A deploy that changes nothing writes nothing.
 */
export async function deployPipeline(
  db: Kysely<Database>,
  pipelineId: string,
  actor: Actor,
  options: { startPaused: boolean; now: Date },
): Promise<DeployResult> {
  return db.transaction().execute(async (trx) => {
    await serialize(trx, `pipeline:${pipelineId}`)
    const { pipeline, doc, specs, plan } = await planPipeline(trx, pipelineId)
    const at = options.now.toISOString()
    const stored = canonical(doc)
    const last =
      pipeline.deployed_version === null
        ? undefined
        : await findVersion(trx, pipelineId, pipeline.deployed_version)
    const docChanged = !last || canonical(JSON.parse(last.document)) !== stored
    const jobs: DeployResult['jobs'] = plan.unchanged.map((job) => ({ ...job, action: 'unchanged' as const }))
    if (isEmptyPlan(plan) && !docChanged) {
      return { version: pipeline.deployed_version, changed: false, jobs, plan }
    }
    const specOf = new Map(specs.map((spec) => [spec.nodeId, spec]))
    const by = `by ${actor.name}`

    for (const item of plan.create) {
      const spec = specOf.get(item.nodeId)!
      const id = newId(options.now.getTime())
      await insertJob(trx, {
        id,
        pipeline_id: pipelineId,
        node_id: spec.nodeId,
        ...specColumns(spec),
        ...schedule(spec.cadence, options.now, options.startPaused),
        status_changed_at: at,
        consecutive_errors: 0,
        state: null,
        created_by: actor.userId,
        updated_by: actor.userId,
        created_at: at,
        updated_at: at,
      })
      await appendLog(trx, {
        jobId: id,
        at,
        event: 'Deployed',
        message: `Deployed ${by}`,
        actor: actor.userId,
        details: { pipelineId },
      })
      jobs.push({ nodeId: item.nodeId, jobId: id, action: 'created' })
    }

    const existing = new Map((await jobsOfPipeline(trx, pipelineId)).map((job) => [job.id, job]))
    for (const item of plan.update) {
      const spec = specOf.get(item.nodeId)!
      const job = existing.get(item.jobId)!
      const cadenceChanged = item.changes.some((change) => change.field === 'cadence')
      let status: Partial<NewJob> = {}
      if (item.revive)
        status = { ...schedule(spec.cadence, options.now, options.startPaused), status_changed_at: at }
      else if (cadenceChanged && followsSchedule(job)) {
        // A new cadence re-plans the job; realtime <-> scheduled also changes running <-> sleeping.
        const next = schedule(spec.cadence, options.now, false)
        status = { ...next, ...(next.status !== job.status ? { status_changed_at: at } : {}) }
      }
      await updateJob(trx, item.jobId, {
        ...specColumns(spec),
        ...status,
        ...(item.resetsCheckpoint ? { state: null } : {}),
        updated_by: actor.userId,
        updated_at: at,
      })
      const fields = item.changes.map((change) => change.field).join(', ')
      const what = item.revive ? 'Restored to the pipeline' : `Updated ${fields}`
      await appendLog(trx, {
        jobId: item.jobId,
        at,
        event: 'Updated',
        message: `${what} ${by}${item.resetsCheckpoint ? '; the checkpoint was reset' : ''}`,
        actor: actor.userId,
        details: { changes: item.changes, resetsCheckpoint: item.resetsCheckpoint },
      })
      jobs.push({ nodeId: item.nodeId, jobId: item.jobId, action: 'updated' })
    }

    for (const item of plan.remove) {
      await markRemoved(trx, item.jobId, actor, at, `Removed from the pipeline ${by}`)
      jobs.push({ nodeId: item.nodeId, jobId: item.jobId, action: 'removed' })
    }

    const version = (pipeline.deployed_version ?? 0) + 1
    await insertVersion(trx, { pipelineId, version, document: stored, actor: actor.userId, at })
    await recordAudit(trx, {
      actor,
      action: 'deployed',
      entityType: 'pipeline',
      entityId: pipelineId,
      entityName: pipeline.name,
      details: {
        version,
        created: plan.create.length,
        updated: plan.update.length,
        removed: plan.remove.length,
        startPaused: options.startPaused,
      },
      at,
    })
    return { version, changed: true, jobs, plan }
  })
}

/**
 * True when a job's timing comes from its cadence alone: sleeping until its next slot, or an
 * enabled realtime job holding no lease. A retry or rate-limit sleep and a run in progress keep
 * their own timing; paused, failed and completed jobs are not scheduled at all.
 */
function followsSchedule(job: Job): boolean {
  if (job.status === 'sleeping') return job.sleep_reason === 'schedule'
  return job.status === 'running' && job.lease_token === null
}

/** Hides a job from lists and scheduling; its logs stay until the purger deletes it. */
export async function markRemoved(
  db: Kysely<Database>,
  jobId: string,
  actor: Actor,
  at: string,
  message: string,
) {
  const removed: JobStatus = 'removed'
  await updateJob(db, jobId, {
    status: removed,
    status_changed_at: at,
    next_run_at: null,
    sleep_reason: null,
    updated_by: actor.userId,
    updated_at: at,
  })
  await appendLog(db, { jobId, at, event: 'Removed', message, actor: actor.userId })
}
