import { Hono } from 'hono'
import { z } from 'zod'
import { deployPipeline, invalidPipeline, markRemoved, planPipeline } from '../compiler/deploy.ts'
import { lookupsFor } from '../compiler/lookups.ts'
import { canonical } from '../compiler/plan.ts'
import { validatePipeline } from '../compiler/validate.ts'
import { jobStatusesOf, jobsOfPipeline, lastEvents, lastRuns } from '../db/jobs.repo.ts'
import { serialize } from '../db/locks.ts'
import {
  findPipeline,
  findVersion,
  insertPipeline,
  listPipelines,
  listVersions,
  softDeletePipeline,
  updatePipelineDraft,
} from '../db/pipelines.repo.ts'
import { ApiError, notFound } from '../errors.ts'
import { audit } from '../http/audit.ts'
import type { AppEnv } from '../http/context.ts'
import { answer, failure, route } from '../http/route.ts'
import { body, idParam, params, query } from '../http/validate.ts'
import { deadlinesOf } from './jobs.schemas.ts'
import {
  createPipelineBody,
  deployBody,
  deployJson,
  listPipelinesQuery,
  pipelineJson,
  pipelineListItemJson,
  planJson,
  rollbackBody,
  statusJson,
  toPipelineJson,
  updatePipelineBody,
  validateJson,
  versionJson,
} from './pipelines.schemas.ts'

const tags = ['Pipelines']

const exportJson = z.object({
  format: z.literal('sluice.pipeline'),
  formatVersion: z.literal(1),
  exportedAt: z.string(),
  sluiceVersion: z.string(),
  name: z.string(),
  description: z.string(),
  document: z.unknown(),
  authorizations: z
    .array(z.object({ id: z.string(), name: z.string(), provider: z.string(), method: z.string() }))
    .meta({ description: 'What its authorization nodes point at, to reconnect elsewhere; no credentials' }),
})

/** A draft may be incomplete, but it must at least have the document's shape. */
function assertDocumentShape(document: unknown) {
  const { problems } = validatePipeline(document)
  const shape = problems.filter((problem) => problem.code === 'InvalidDocument')
  if (shape.length) throw invalidPipeline(shape)
}

const actorOf = (c: { get(key: 'principal'): { userId: string; name: string } | undefined }) => {
  const principal = c.get('principal')!
  return { userId: principal.userId, name: principal.name }
}

export const pipelineRoutes = new Hono<AppEnv>()
  .get(
    '/api/pipelines',
    route('viewer', {
      summary: 'List pipelines',
      tags,
      responses: {
        200: answer(z.array(pipelineListItemJson), 'A page of pipelines; X-Next-Cursor when more remain'),
      },
    }),
    query(listPipelinesQuery),
    async (c) => {
      const { db } = c.get('deps')
      const { items, nextCursor } = await listPipelines(db, c.req.valid('query'))
      if (nextCursor) c.header('X-Next-Cursor', nextCursor)
      const statuses = await jobStatusesOf(
        db,
        items.map((item) => item.id),
      )
      return c.json(
        items.map((item) => ({ ...toPipelineJson(item), jobStatuses: statuses.get(item.id) ?? {} })),
        200,
      )
    },
  )
  .post(
    '/api/pipelines',
    route('editor', {
      summary: 'Create a pipeline',
      tags,
      responses: { 201: answer(pipelineJson, 'The pipeline'), 422: failure('The document is malformed') },
    }),
    body(createPipelineBody),
    async (c) => {
      const { db, clock } = c.get('deps')
      const input = c.req.valid('json')
      assertDocumentShape(input.document)
      const row = await insertPipeline(db, {
        name: input.name,
        description: input.description ?? '',
        document: JSON.stringify(input.document),
        actor: c.get('principal')!.userId,
        at: clock.now().toISOString(),
      })
      await audit(c, db, {
        action: 'created',
        entityType: 'pipeline',
        entityId: row.id,
        entityName: row.name,
      })
      return c.json(toPipelineJson(row), 201)
    },
  )
  .get(
    '/api/pipelines/:id',
    route('viewer', {
      summary: 'A pipeline and its draft document',
      tags,
      responses: { 200: answer(pipelineJson, 'The pipeline'), 404: failure('No such pipeline') },
    }),
    params(idParam),
    async (c) => {
      const { id } = c.req.valid('param')
      const row = await findPipeline(c.get('deps').db, id)
      if (!row) throw notFound('pipeline', id)
      return c.json(toPipelineJson(row), 200)
    },
  )
  .put(
    '/api/pipelines/:id',
    route('editor', {
      summary: 'Save the draft (optimistic version check)',
      tags,
      responses: {
        200: answer(pipelineJson, 'The saved pipeline'),
        404: failure('No such pipeline'),
        409: failure('VersionConflict: changed since that version'),
        422: failure('The document is malformed'),
      },
    }),
    params(idParam),
    body(updatePipelineBody),
    async (c) => {
      const { db, clock } = c.get('deps')
      const { id } = c.req.valid('param')
      const input = c.req.valid('json')
      if (input.document !== undefined) assertDocumentShape(input.document)
      const current = await findPipeline(db, id)
      if (!current) throw notFound('pipeline', id)
      const saved = await updatePipelineDraft(db, id, input.version, {
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.description !== undefined ? { description: input.description } : {}),
        ...(input.document !== undefined ? { document: JSON.stringify(input.document) } : {}),
        actor: c.get('principal')!.userId,
        at: clock.now().toISOString(),
      })
      if (!saved) {
        const now = (await findPipeline(db, id)) ?? current
        throw new ApiError(
          409,
          'VersionConflict',
          `the pipeline changed since version ${input.version} (now ${now.version}); reload and apply your change again`,
          {
            details: { currentVersion: now.version },
          },
        )
      }
      const changed = Object.keys(input).filter((field) => field !== 'version')
      await audit(c, db, {
        action: input.name !== undefined && input.name !== current.name ? 'renamed' : 'changed',
        entityType: 'pipeline',
        entityId: id,
        entityName: input.name ?? current.name,
        details: { fields: changed },
      })
      return c.json(toPipelineJson((await findPipeline(db, id))!), 200)
    },
  )
  .delete(
    '/api/pipelines/:id',
    route('editor', {
      summary: 'Delete a pipeline; its jobs become removed',
      tags,
      responses: { 204: { description: 'Deleted' }, 404: failure('No such pipeline') },
    }),
    params(idParam),
    async (c) => {
      const { db, clock } = c.get('deps')
      const { id } = c.req.valid('param')
      const actor = actorOf(c)
      const at = clock.now().toISOString()
      await db.transaction().execute(async (trx) => {
        // Serialized with deploys of this pipeline: a racing deploy must not revive its jobs.
        await serialize(trx, `pipeline:${id}`)
        const pipeline = await findPipeline(trx, id)
        if (!pipeline) throw notFound('pipeline', id)
        await audit(c, trx, {
          action: 'deleted',
          entityType: 'pipeline',
          entityId: id,
          entityName: pipeline.name,
        })
        for (const job of await jobsOfPipeline(trx, id)) {
          if (job.status !== 'removed')
            await markRemoved(trx, job.id, actor, at, `Pipeline deleted by ${actor.name}`)
        }
        await softDeletePipeline(trx, id, actor.userId, at)
      })
      // A removed Collect API node no longer holds its stream: what it held is unified now.
      c.get('deps').unifier.wake()
      return c.body(null, 204)
    },
  )
  .post(
    '/api/pipelines/:id/validate',
    route('viewer', {
      summary: 'Every problem of the draft at once',
      tags,
      responses: { 200: answer(validateJson, 'The problems'), 404: failure('No such pipeline') },
    }),
    params(idParam),
    async (c) => {
      const { id } = c.req.valid('param')
      const row = await findPipeline(c.get('deps').db, id)
      if (!row) throw notFound('pipeline', id)
      const document = JSON.parse(row.document) as unknown
      const { problems } = validatePipeline(document, await lookupsFor(c.get('deps').db, document))
      return c.json({ ok: problems.length === 0, errors: problems }, 200)
    },
  )
  .post(
    '/api/pipelines/:id/plan',
    route('viewer', {
      summary: 'What a deploy of the draft would change',
      tags,
      responses: {
        200: answer(planJson, 'The plan'),
        404: failure('No such pipeline'),
        422: failure('InvalidPipeline, with details.errors'),
      },
    }),
    params(idParam),
    async (c) => {
      const { plan } = await planPipeline(c.get('deps').db, c.req.valid('param').id)
      return c.json(plan, 200)
    },
  )
  .post(
    '/api/pipelines/:id/deploy',
    route('editor', {
      summary: 'Deploy the draft: create, update and remove its jobs',
      tags,
      responses: {
        200: answer(deployJson, 'What the deploy did'),
        404: failure('No such pipeline'),
        422: failure('InvalidPipeline, with details.errors'),
      },
    }),
    params(idParam),
    body(deployBody),
    async (c) => {
      const { db, clock } = c.get('deps')
      const result = await deployPipeline(db, c.req.valid('param').id, actorOf(c), {
        startPaused: c.req.valid('json').startPaused ?? false,
        now: clock.now(),
      })
      // A deploy can release a held stream (a node removed, or its stream renamed), and its new
      // jobs are due now.
      c.get('deps').unifier.wake()
      c.get('deps').dispatcher.poke()
      return c.json(result, 200)
    },
  )
  .get(
    '/api/pipelines/:id/export',
    route('viewer', {
      summary:
        'The pipeline as a file to keep or move: its draft, and the authorizations it names (never their credentials)',
      tags,
      responses: {
        200: answer(exportJson, 'The export, as an attachment'),
        404: failure('No such pipeline'),
      },
    }),
    params(idParam),
    async (c) => {
      const { db, clock, version } = c.get('deps')
      const { id } = c.req.valid('param')
      const row = await findPipeline(db, id)
      if (!row) throw notFound('pipeline', id)
      const document = JSON.parse(row.document) as {
        nodes?: { kind?: string; data?: { authorizationId?: unknown } }[]
      }
      const named = (document.nodes ?? [])
        .filter((node) => node.kind === 'authorization' && typeof node.data?.authorizationId === 'string')
        .map((node) => node.data!.authorizationId as string)
      const authorizations = named.length
        ? await db
            .selectFrom('authorizations')
            .select(['id', 'name', 'provider', 'method'])
            .where('id', 'in', named)
            .orderBy('name')
            .execute()
        : []
      const file = row.name.replace(/[^\w.-]+/g, '-').replace(/^-+|-+$/g, '') || 'pipeline'
      c.header('content-disposition', `attachment; filename="${file}.sluice.json"`)
      return c.json(
        {
          format: 'sluice.pipeline' as const,
          formatVersion: 1 as const,
          exportedAt: clock.now().toISOString(),
          sluiceVersion: version,
          name: row.name,
          description: row.description,
          document,
          authorizations,
        },
        200,
      )
    },
  )
  .get(
    '/api/pipelines/:id/versions',
    route('viewer', {
      summary: 'Deployed versions, newest first',
      tags,
      responses: { 200: answer(z.array(versionJson), 'Versions'), 404: failure('No such pipeline') },
    }),
    params(idParam),
    async (c) => {
      const { db } = c.get('deps')
      const { id } = c.req.valid('param')
      if (!(await findPipeline(db, id))) throw notFound('pipeline', id)
      const versions = await listVersions(db, id)
      return c.json(
        versions.map((row) => ({ ...row, document: JSON.parse(row.document) as unknown })),
        200,
      )
    },
  )
  .post(
    '/api/pipelines/:id/rollback',
    route('editor', {
      summary: 'Restore a deployed version as the draft',
      tags,
      responses: {
        200: answer(pipelineJson, 'The pipeline with the restored draft'),
        404: failure('No such pipeline or version'),
        409: failure('Changed meanwhile'),
      },
    }),
    params(idParam),
    body(rollbackBody),
    async (c) => {
      const { db, clock } = c.get('deps')
      const { id } = c.req.valid('param')
      const { version } = c.req.valid('json')
      const current = await findPipeline(db, id)
      if (!current) throw notFound('pipeline', id)
      const deployed = await findVersion(db, id, version)
      if (!deployed)
        throw new ApiError(404, 'NotFound', `pipeline "${id}" has no deployed version ${version}`)
      if (canonical(JSON.parse(current.document)) !== canonical(JSON.parse(deployed.document))) {
        const saved = await updatePipelineDraft(db, id, current.version, {
          document: deployed.document,
          actor: c.get('principal')!.userId,
          at: clock.now().toISOString(),
        })
        if (!saved)
          throw new ApiError(409, 'VersionConflict', 'the pipeline changed while rolling back; try again')
      }
      await audit(c, db, {
        action: 'rolled back',
        entityType: 'pipeline',
        entityId: id,
        entityName: current.name,
        details: { toVersion: version },
      })
      return c.json(toPipelineJson((await findPipeline(db, id))!), 200)
    },
  )
  .get(
    '/api/pipelines/:id/status',
    route('viewer', {
      summary: "Each node's job status, for the canvas",
      tags,
      responses: { 200: answer(statusJson, 'Status per node'), 404: failure('No such pipeline') },
    }),
    params(idParam),
    async (c) => {
      const { db, config } = c.get('deps')
      const { id } = c.req.valid('param')
      if (!(await findPipeline(db, id))) throw notFound('pipeline', id)
      const jobs = (await jobsOfPipeline(db, id)).filter((job) => job.status !== 'removed')
      const ids = jobs.map((job) => job.id)
      const [events, runs] = await Promise.all([lastEvents(db, ids), lastRuns(db, ids)])
      const nodes = Object.fromEntries(
        jobs.map((job) => [
          job.node_id!,
          {
            jobId: job.id,
            status: job.status,
            sleepReason: job.sleep_reason,
            lastEvent: events.get(job.id) ?? null,
            nextRunAt: job.next_run_at,
            lastRun: runs.get(job.id) ?? null,
            ...deadlinesOf(job, config),
          },
        ]),
      )
      return c.json({ nodes }, 200)
    },
  )
