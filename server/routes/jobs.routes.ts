import { type Context, Hono } from 'hono'
import { z } from 'zod'
import type { Config } from '../config.ts'
import { authorizationNames } from '../db/authorizations.repo.ts'
import { appendLog, findJob, listJobs, listLogs, listMetrics, listRuns, updateJob } from '../db/jobs.repo.ts'
import { serialize } from '../db/locks.ts'
import { renameNode } from '../db/pipelines.repo.ts'
import type { Executor, Job } from '../db/schema.ts'
import { userNames } from '../db/users.repo.ts'
import { ApiError, notFound } from '../errors.ts'
import { audit } from '../http/audit.ts'
import type { AppEnv } from '../http/context.ts'
import { answer, failure, route } from '../http/route.ts'
import { body, idParam, params, query } from '../http/validate.ts'
import {
  jobDetailJson,
  jobListItemJson,
  listJobsQuery,
  logJson,
  logsQuery,
  metricJson,
  metricsQuery,
  patchJobBody,
  runJson,
  runsQuery,
  toJobDetail,
  toJobListItem,
} from './jobs.schemas.ts'

const tags = ['Jobs']

/** One log entry as a line of the downloaded file: time, event, message and its details as JSON. */
const logFileLine = (line: { at: string; event: string; message: string; details: unknown }) =>
  `${line.at}\t${line.event}\t${line.message.replaceAll('\n', ' ')}${
    line.details === null || line.details === undefined ? '' : `\t${JSON.stringify(line.details)}`
  }\n`
const DAY = 86_400_000

async function jobOr404(c: { get(key: 'deps'): AppEnv['Variables']['deps'] }, id: string) {
  const job = await findJob(c.get('deps').db, id)
  if (!job) throw notFound('job', id)
  return job
}

/** Pause and resume (DESIGN.md §4): the status change and its log line commit together. */
async function transition(c: Context<AppEnv>, action: 'pause' | 'resume') {
  const { db, clock, config, unifier } = c.get('deps')
  const principal = c.get('principal')!
  const id = c.req.param('id')!
  const at = clock.now().toISOString()
  await db.transaction().execute(async (trx) => {
    await serialize(trx, `job:${id}`)
    const job = await findJob(trx, id)
    if (!job || job.status === 'removed') throw notFound('job', id)
    const allowed = action === 'pause' ? ['running', 'sleeping'] : ['paused', 'failed']
    if (!allowed.includes(job.status)) {
      throw new ApiError(
        409,
        'InvalidTransition',
        `the job is ${job.status}; only ${allowed.join(' or ')} jobs can be ${action === 'pause' ? 'paused' : 'resumed'}`,
      )
    }
    const realtime = JSON.parse(job.cadence) === 'realtime'
    const changes =
      action === 'pause'
        ? { status: 'paused' as const, sleep_reason: null, next_run_at: null }
        : {
            ...(realtime
              ? { status: 'running' as const, sleep_reason: null, next_run_at: null }
              : { status: 'sleeping' as const, sleep_reason: 'schedule' as const, next_run_at: at }),
            consecutive_errors: 0,
            first_error_at: null,
          }
    await updateJob(trx, id, {
      ...changes,
      status_changed_at: at,
      updated_by: principal.userId,
      updated_at: at,
    })
    await appendLog(trx, {
      jobId: id,
      at,
      event: action === 'pause' ? 'Paused' : 'Resumed',
      message: `${action === 'pause' ? 'Paused' : 'Resumed'} by ${principal.name}`,
      actor: principal.userId,
    })
    await audit(c, trx, {
      action: action === 'pause' ? 'paused' : 'resumed',
      entityType: 'job',
      entityId: id,
      entityName: job.name,
      details: { from: job.status },
    })
  })
  // A resumed collect source has stored messages waiting to be unified; a resumed job is due now.
  if (action === 'resume') {
    unifier.wake()
    c.get('deps').dispatcher.poke()
  }
  return c.json(await detailOf(db, config, (await findJob(db, id))!), 200)
}

/** A job's detail with its authorization's name. */
async function detailOf(db: Executor, config: Config, job: Job) {
  const names = await authorizationNames(db, job.authorization_id ? [job.authorization_id] : [])
  const people = await userNames(db, [job.created_by, job.updated_by])
  const nameOf = (id: string) => people.get(id) ?? null
  return {
    ...toJobDetail(job, config, names),
    createdByName: nameOf(job.created_by),
    updatedByName: nameOf(job.updated_by),
  }
}

export const jobRoutes = new Hono<AppEnv>()
  .get(
    '/api/jobs',
    route('viewer', {
      summary: 'List jobs with filters, search, sort and keyset paging',
      tags,
      responses: { 200: answer(z.array(jobListItemJson), 'A page of jobs; X-Next-Cursor when more remain') },
    }),
    query(listJobsQuery),
    async (c) => {
      const { items, nextCursor } = await listJobs(c.get('deps').db, c.req.valid('query'))
      if (nextCursor) c.header('X-Next-Cursor', nextCursor)
      const names = await authorizationNames(
        c.get('deps').db,
        items.flatMap((item) => (item.authorization_id ? [item.authorization_id] : [])),
      )
      return c.json(
        items.map((item) => toJobListItem(item, names)),
        200,
      )
    },
  )
  .get(
    '/api/jobs/:id',
    route('viewer', {
      summary: 'A job with its schedule, errors and countdowns',
      tags,
      responses: { 200: answer(jobDetailJson, 'The job'), 404: failure('No such job') },
    }),
    params(idParam),
    async (c) => {
      const job = await jobOr404(c, c.req.valid('param').id)
      return c.json(await detailOf(c.get('deps').db, c.get('deps').config, job), 200)
    },
  )
  .patch(
    '/api/jobs/:id',
    route('editor', {
      summary: 'Rename or describe a job',
      tags,
      responses: { 200: answer(jobDetailJson, 'The job'), 404: failure('No such job') },
    }),
    params(idParam),
    body(patchJobBody),
    async (c) => {
      const { db, clock } = c.get('deps')
      const principal = c.get('principal')!
      const job = await jobOr404(c, c.req.valid('param').id)
      const input = c.req.valid('json')
      const at = clock.now().toISOString()
      await db.transaction().execute(async (trx) => {
        if (job.pipeline_id) await serialize(trx, `pipeline:${job.pipeline_id}`)
        await updateJob(trx, job.id, { ...input, updated_by: principal.userId, updated_at: at })
        if (job.pipeline_id && job.node_id) {
          await renameNode(trx, job.pipeline_id, job.node_id, input, { actor: principal.userId, at })
        }
        if (input.name !== undefined && input.name !== job.name) {
          await appendLog(trx, {
            jobId: job.id,
            at,
            event: 'Renamed',
            message: `Renamed from "${job.name}" to "${input.name}" by ${principal.name}`,
            actor: principal.userId,
          })
        }
        if (input.description !== undefined && input.description !== job.description) {
          await appendLog(trx, {
            jobId: job.id,
            at,
            event: 'Updated',
            message: `Description changed by ${principal.name}`,
            actor: principal.userId,
          })
        }
        await audit(c, trx, {
          action: input.name !== undefined && input.name !== job.name ? 'renamed' : 'changed',
          entityType: 'job',
          entityId: job.id,
          entityName: input.name ?? job.name,
          details: { fields: Object.keys(input) },
        })
      })
      return c.json(await detailOf(db, c.get('deps').config, (await findJob(db, job.id))!), 200)
    },
  )
  .post(
    '/api/jobs/:id/pause',
    route('editor', {
      summary: 'Pause a job: it is not scheduled until resumed (a paused collect source still stores)',
      tags,
      responses: {
        200: answer(jobDetailJson, 'The paused job'),
        404: failure('No such job'),
        409: failure('InvalidTransition: the job is not running or sleeping'),
      },
    }),
    params(idParam),
    async (c) => transition(c, 'pause'),
  )
  .post(
    '/api/jobs/:id/resume',
    route('editor', {
      summary: 'Resume a paused or failed job: due now, error streak cleared',
      tags,
      responses: {
        200: answer(jobDetailJson, 'The resumed job'),
        404: failure('No such job'),
        409: failure('InvalidTransition: the job is not paused or failed'),
      },
    }),
    params(idParam),
    async (c) => transition(c, 'resume'),
  )
  .post(
    '/api/jobs/:id/run',
    route('editor', {
      summary: 'Run a sleeping job now (also ahead of a retry back-off or a rate-limit sleep)',
      tags,
      responses: {
        200: answer(jobDetailJson, 'The job, due now'),
        404: failure('No such job'),
        409: failure('InvalidTransition: the job is running, or paused/failed (resume it), or done'),
      },
    }),
    params(idParam),
    async (c) => {
      const { db, clock, config, dispatcher } = c.get('deps')
      const id = c.req.valid('param').id
      const at = clock.now().toISOString()
      await db.transaction().execute(async (trx) => {
        await serialize(trx, `job:${id}`)
        const job = await findJob(trx, id)
        if (!job || job.status === 'removed') throw notFound('job', id)
        if (job.status !== 'sleeping') {
          const hint =
            job.status === 'running'
              ? 'it is running now'
              : job.status === 'paused' || job.status === 'failed'
                ? `it is ${job.status}; resume it instead`
                : `it is ${job.status}`
          throw new ApiError(409, 'InvalidTransition', `cannot run this job now: ${hint}`)
        }
        const cadence = JSON.parse(job.cadence) as unknown
        if (
          cadence === 'realtime' ||
          (typeof cadence === 'object' && cadence !== null && 'after' in cadence)
        ) {
          throw new ApiError(
            409,
            'InvalidTransition',
            'this job runs on events (realtime or after its upstream), not on demand',
          )
        }
        await updateJob(trx, id, { next_run_at: at, updated_at: at })
        const principal = c.get('principal')!
        await appendLog(trx, {
          jobId: id,
          at,
          event: 'RunRequested',
          message: `Run now requested by ${principal.name}`,
          actor: principal.userId,
        })
        await audit(c, trx, { action: 'ran', entityType: 'job', entityId: id, entityName: job.name })
      })
      dispatcher.poke()
      return c.json(await detailOf(db, config, (await findJob(db, id))!), 200)
    },
  )
  .get(
    '/api/jobs/:id/logs',
    route('viewer', {
      summary: "A job's log, oldest first after `after`",
      tags,
      responses: { 200: answer(z.array(logJson), 'Log entries'), 404: failure('No such job') },
    }),
    params(idParam),
    query(logsQuery),
    async (c) => {
      const job = await jobOr404(c, c.req.valid('param').id)
      const { after, before, newest, event, limit } = c.req.valid('query')
      const events = event
        ?.split(',')
        .map((part) => part.trim())
        .filter(Boolean)
      const logs = await listLogs(c.get('deps').db, job.id, {
        ...(after !== undefined ? { after } : {}),
        ...(before !== undefined ? { before } : {}),
        ...(newest ? { newest } : {}),
        ...(events ? { event: events } : {}),
        limit,
      })
      return c.json(logs, 200)
    },
  )
  .get(
    '/api/jobs/:id/logs/download',
    route('viewer', {
      summary: "A job's whole log as a text file, one line per entry, oldest first",
      tags,
      responses: { 200: { description: 'text/plain attachment' }, 404: failure('No such job') },
    }),
    params(idParam),
    async (c) => {
      const { db } = c.get('deps')
      const job = await jobOr404(c, c.req.valid('param').id)
      // Page through by id so a long log streams instead of being held in memory.
      let after = 0
      const encoder = new TextEncoder()
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const page = await listLogs(db, job.id, { after, limit: 1000 })
          if (page.length === 0) return controller.close()
          after = Number(page.at(-1)!.id)
          controller.enqueue(encoder.encode(page.map(logFileLine).join('')))
        },
      })
      const file = job.name.replace(/[^\w.-]+/g, '-').replace(/^-+|-+$/g, '') || 'job'
      return new Response(body, {
        headers: {
          'content-type': 'text/plain; charset=utf-8',
          'content-disposition': `attachment; filename="${file}-${job.id}.log"`,
        },
      })
    },
  )
  .get(
    '/api/jobs/:id/runs',
    route('viewer', {
      summary: "A job's run history, newest first",
      tags,
      responses: { 200: answer(z.array(runJson), 'Runs'), 404: failure('No such job') },
    }),
    params(idParam),
    query(runsQuery),
    async (c) => {
      const job = await jobOr404(c, c.req.valid('param').id)
      return c.json(await listRuns(c.get('deps').db, job.id, c.req.valid('query').limit), 200)
    },
  )
  .get(
    '/api/jobs/:id/metrics',
    route('viewer', {
      summary: 'Profiles added, removed and omitted per hour or day',
      tags,
      responses: { 200: answer(z.array(metricJson), 'Buckets'), 404: failure('No such job') },
    }),
    params(idParam),
    query(metricsQuery),
    async (c) => {
      const { clock } = c.get('deps')
      const job = await jobOr404(c, c.req.valid('param').id)
      const input = c.req.valid('query')
      // By default up to and including this instant, so the current hour's bucket is always in.
      const to = input.to ? new Date(input.to) : new Date(clock.now().getTime() + 1)
      const from = input.from ? new Date(input.from) : new Date(to.getTime() - 7 * DAY)
      const metrics = await listMetrics(c.get('deps').db, job.id, {
        from: from.toISOString(),
        to: to.toISOString(),
        bucket: input.bucket,
      })
      return c.json(metrics, 200)
    },
  )
