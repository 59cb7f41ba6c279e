import { Hono } from 'hono'
import { z } from 'zod'
import type { RebuildState } from '../data/rebuild.ts'
import { expiredSinceRebuild } from '../db/generations.ts'
import { newId } from '../db/ids.ts'
import { insertJob } from '../db/jobs.repo.ts'
import { serialize } from '../db/locks.ts'
import type { Executor, Job } from '../db/schema.ts'
import { ApiError } from '../errors.ts'
import type { AppEnv } from '../http/context.ts'
import { answer, failure, route } from '../http/route.ts'
import { body } from '../http/validate.ts'

const tags = ['Profiles']
const ACTIVE: Job['status'][] = ['sleeping', 'running', 'paused']

const rebuildJson = z.object({
  jobId: z.string(),
  status: z.string(),
  phase: z.enum(['waiting', 'order', 'replay', 'catch-up', 'swap', 'done']),
  ordered: z.number().meta({ description: 'Messages put in replay order so far' }),
  replayed: z.number(),
  total: z.number(),
  percent: z.number().meta({
    description: 'Ordering counts for the first 10, the replay for the rest; catch-up and swap follow it',
  }),
  profiles: z.number().nullable().meta({ description: 'Profiles in the new generation, once flipped' }),
  lastError: z.string().nullable(),
  createdAt: z.string(),
})

const rebuildBody = z.strictObject({
  acceptRetentionLoss: z.boolean().optional().meta({
    description: 'Rebuild even though stream retention deleted messages the rebuild cannot replay',
  }),
})

/** The latest rebuild job, or the one still going. */
function latestRebuild(db: Executor, statuses?: Job['status'][]) {
  let query = db
    .selectFrom('jobs')
    .selectAll()
    .where('type', '=', 'system')
    .where('job_type', '=', 'rebuild')
    .where('status', '<>', 'removed')
  if (statuses) query = query.where('status', 'in', statuses)
  return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst()
}

function toRebuildJson(job: Job): z.infer<typeof rebuildJson> {
  const state = job.state ? (JSON.parse(job.state) as RebuildState) : null
  const replayed = state?.replayed ?? 0
  const ordered = state?.ordered ?? 0
  const total = state?.total ?? 0
  const share = (n: number, weight: number) => (total === 0 ? 0 : (Math.min(n, total) / total) * weight)
  return {
    jobId: job.id,
    status: job.status,
    phase: state?.phase ?? 'waiting',
    ordered,
    replayed,
    total,
    percent: state?.phase === 'done' ? 100 : Math.floor(share(ordered, 10) + share(replayed, 90)),
    profiles: state?.profiles ?? null,
    lastError: job.last_error,
    createdAt: job.created_at,
  }
}

/** Profile rebuild (DESIGN.md §5): one `system` job at a time, its progress readable here. */
export const rebuildRoutes = new Hono<AppEnv>()
  .post(
    '/api/profiles/rebuild',
    route('admin', {
      summary: 'Rebuild every profile from the raw messages under the current identity rules and mappings',
      description:
        'Runs as a system job: replay into a new generation while traffic keeps flowing, then a flip. ' +
        'Profile ids survive where identities match. One rebuild at a time.',
      tags,
      responses: {
        202: answer(z.object({ jobId: z.string() }), 'The rebuild job, started'),
        409: failure(
          'RebuildRunning: a rebuild is under way (its jobId is in details); RetentionLoss: stream ' +
            'retention deleted messages the rebuild cannot replay (per stream in details)',
        ),
      },
    }),
    body(rebuildBody),
    async (c) => {
      const { db, clock, dispatcher } = c.get('deps')
      const by = c.get('principal')!.userId
      const now = clock.now().toISOString()
      const jobId = await db.transaction().execute(async (trx) => {
        await serialize(trx, 'sluice.rebuild')
        const running = await latestRebuild(trx, ACTIVE)
        if (running)
          throw new ApiError(
            409,
            'RebuildRunning',
            `a rebuild is under way (job ${running.id}, ${running.status}): wait for it, or resume it if paused`,
            { details: { jobId: running.id } },
          )
        const expired = await expiredSinceRebuild(trx)
        if (Object.keys(expired).length > 0 && !c.req.valid('json').acceptRetentionLoss) {
          const list = Object.entries(expired).map(([stream, count]) => `${stream}: ${count}`)
          throw new ApiError(
            409,
            'RetentionLoss',
            `stream retention deleted raw messages since profiles were last built (${list.join(', ')}); ` +
              'a rebuild derives profiles only from the messages kept, so attributes and people known ' +
              'only from those would be lost. Send { "acceptRetentionLoss": true } to rebuild anyway',
            { details: { expired } },
          )
        }
        const id = newId()
        await insertJob(trx, {
          id,
          name: 'Profile rebuild',
          description: 'Replays raw messages into a new profile generation',
          provider: 'sluice',
          job_type: 'rebuild',
          type: 'system',
          config: '{}',
          cadence: JSON.stringify('once'),
          status: 'sleeping',
          status_changed_at: now,
          sleep_reason: 'schedule',
          next_run_at: now,
          consecutive_errors: 0,
          created_by: by,
          updated_by: by,
          created_at: now,
          updated_at: now,
        })
        return id
      })
      c.get('log').info({ jobId }, 'profile rebuild requested')
      dispatcher.poke()
      return c.json({ jobId }, 202)
    },
  )
  .get(
    '/api/profiles/rebuild',
    route('viewer', {
      summary: 'The latest profile rebuild and its progress',
      tags,
      responses: { 200: answer(rebuildJson, 'The rebuild'), 404: failure('No rebuild ever ran') },
    }),
    async (c) => {
      const job = await latestRebuild(c.get('deps').db)
      if (!job)
        throw new ApiError(
          404,
          'NotFound',
          'no profile rebuild has run yet: POST /api/profiles/rebuild starts one',
        )
      return c.json(toRebuildJson(job), 200)
    },
  )
  .get(
    '/api/profiles/rebuilds',
    route('viewer', {
      summary: 'The latest profile rebuild as a list: empty before the first (a page asks without a 404)',
      tags,
      responses: { 200: answer(z.array(rebuildJson), 'None, or the latest rebuild') },
    }),
    async (c) => {
      const job = await latestRebuild(c.get('deps').db)
      return c.json(job ? [toRebuildJson(job)] : [], 200)
    },
  )
