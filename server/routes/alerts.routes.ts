import { Hono } from 'hono'
import type { Selectable } from 'kysely'
import { z } from 'zod'
import { findAlertRule, listAlertRules, listDeliveries, openEpisodeCounts } from '../db/alerts.repo.ts'
import { newId, newSecret } from '../db/ids.ts'
import type { AlertRuleTable, Executor } from '../db/schema.ts'
import { ApiError, notFound } from '../errors.ts'
import { DeliveryError, send } from '../events/alert-delivery.ts'
import {
  type AlertTarget,
  alertCondition,
  alertRuleInput,
  alertRulePatch,
  openTargets,
  publicTarget,
  type StoredTarget,
  sealTarget,
} from '../events/alert-rules.ts'
import { audit } from '../http/audit.ts'
import type { AppEnv, Deps } from '../http/context.ts'
import { answer, failure, route } from '../http/route.ts'
import { body, idParam, params, query } from '../http/validate.ts'

const tags = ['Alerts']

const targetJson = z.union([
  z.object({ type: z.literal('webhook'), url: z.string(), secret: z.object({ set: z.literal(true) }) }),
  z.object({ type: z.literal('email'), to: z.array(z.string()) }),
])
const ruleJson = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  jobId: z.string().nullable(),
  condition: alertCondition,
  targets: z.array(targetJson).meta({ description: 'Webhook URLs show their host only; secrets never' }),
  enabled: z.boolean(),
  openEpisodes: z.number().meta({ description: 'Jobs the rule is firing for now' }),
  createdBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
})
const createdJson = ruleJson.extend({
  signingSecrets: z
    .array(z.object({ target: z.number(), secret: z.string() }))
    .meta({ description: 'Webhook signing secrets Sluice generated, shown this once' }),
})
const deliveryJson = z.object({
  id: z.string(),
  episodeId: z.string(),
  jobId: z.string(),
  summary: z.string(),
  target: z.number(),
  kind: z.enum(['webhook', 'email']),
  status: z.enum(['pending', 'sent', 'failed']),
  attempts: z.number(),
  lastError: z.string().nullable(),
  nextAttemptAt: z.string().nullable(),
  sentAt: z.string().nullable(),
  createdAt: z.string(),
  episodeOpenedAt: z.string(),
  episodeClosedAt: z.string().nullable(),
})
const listQuery = z.strictObject({
  q: z.string().max(200).optional(),
  jobId: z.string().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
})
const deliveriesQuery = z.strictObject({
  status: z.enum(['pending', 'sent', 'failed']).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
})

async function toRuleJson(db: Executor, rows: Selectable<AlertRuleTable>[]) {
  const open = await openEpisodeCounts(
    db,
    rows.map((row) => row.id),
  )
  return rows.map(
    (row): z.infer<typeof ruleJson> => ({
      id: row.id,
      name: row.name,
      description: row.description,
      jobId: row.job_id,
      condition: JSON.parse(row.condition),
      targets: (JSON.parse(row.targets) as StoredTarget[]).map(publicTarget),
      enabled: row.enabled === 1,
      openEpisodes: open.get(row.id) ?? 0,
      createdBy: row.created_by,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    }),
  )
}

/** Targets as stored: webhook secrets generated where none was given (returned to show once). */
function storeTargets(deps: Deps, ruleId: string, targets: AlertTarget[]) {
  const generated: { target: number; secret: string }[] = []
  const stored = targets.map((target, index): StoredTarget => {
    if (target.type === 'email') {
      if (!deps.config.smtpUrl)
        throw new ApiError(
          422,
          'EmailNotConfigured',
          `targets.${index}: email alerts need an SMTP server: set SLUICE_SMTP_URL (and SLUICE_SMTP_FROM)`,
        )
      return { type: 'email', to: target.to.map((address) => address.trim().toLowerCase()) }
    }
    const secret = target.secret ?? newSecret('whsec')
    if (!target.secret) generated.push({ target: index, secret })
    return sealTarget(deps.vault, ruleId, index, { type: 'webhook', url: target.url, secret })
  })
  return { stored, generated }
}

async function requireJob(db: Executor, jobId: string | null) {
  if (jobId === null) return
  const job = await db.selectFrom('jobs').select('status').where('id', '=', jobId).executeTakeFirst()
  if (!job || job.status === 'removed')
    throw new ApiError(422, 'UnknownJob', `jobId: no job ${jobId}; leave it null to watch every job`)
}

/** `/api/alerts` (DESIGN.md §7): rules, their delivery log, and a test send. */
export const alertRoutes = new Hono<AppEnv>()
  .get(
    '/api/alerts',
    route('viewer', {
      summary: 'Alert rules, newest first',
      tags,
      responses: { 200: answer(z.array(ruleJson), 'Rules') },
    }),
    query(listQuery),
    async (c) => {
      const { db } = c.get('deps')
      return c.json(await toRuleJson(db, await listAlertRules(db, c.req.valid('query'))), 200)
    },
  )
  .post(
    '/api/alerts',
    route('editor', {
      summary: 'Create an alert rule: a condition on one job or every job, and where to send it',
      tags,
      responses: {
        201: answer(createdJson, 'The rule; generated webhook secrets shown this once'),
        422: failure('UnknownJob, EmailNotConfigured'),
      },
    }),
    body(alertRuleInput),
    async (c) => {
      const deps = c.get('deps')
      const input = c.req.valid('json')
      await requireJob(deps.db, input.jobId)
      const id = newId()
      const { stored, generated } = storeTargets(deps, id, input.targets)
      const now = deps.clock.now().toISOString()
      const by = c.get('principal')!.userId
      const row: Selectable<AlertRuleTable> = {
        id,
        name: input.name,
        description: input.description ?? '',
        job_id: input.jobId,
        condition: JSON.stringify(input.condition),
        targets: JSON.stringify(stored),
        enabled: input.enabled ? 1 : 0,
        created_by: by,
        updated_by: by,
        created_at: now,
        updated_at: now,
      }
      await deps.db.insertInto('alert_rules').values(row).execute()
      await audit(c, deps.db, { action: 'created', entityType: 'alert', entityId: id, entityName: row.name })
      const [json] = await toRuleJson(deps.db, [row])
      return c.json({ ...json!, signingSecrets: generated }, 201)
    },
  )
  .get(
    '/api/alerts/:id',
    route('viewer', {
      summary: 'One alert rule',
      tags,
      responses: { 200: answer(ruleJson, 'The rule'), 404: failure('No such rule') },
    }),
    params(idParam),
    async (c) => {
      const { db } = c.get('deps')
      const { id } = c.req.valid('param')
      const row = await findAlertRule(db, id)
      if (!row) throw notFound('alert rule', id)
      return c.json((await toRuleJson(db, [row]))[0]!, 200)
    },
  )
  .patch(
    '/api/alerts/:id',
    route('editor', {
      summary: 'Change an alert rule; targets, when given, replace the list (webhooks need their URL again)',
      tags,
      responses: {
        200: answer(createdJson, 'The rule; generated webhook secrets shown this once'),
        404: failure('No such rule'),
        422: failure('UnknownJob, EmailNotConfigured'),
      },
    }),
    params(idParam),
    body(alertRulePatch),
    async (c) => {
      const deps = c.get('deps')
      const { id } = c.req.valid('param')
      const input = c.req.valid('json')
      const row = await findAlertRule(deps.db, id)
      if (!row) throw notFound('alert rule', id)
      if (input.jobId !== undefined) await requireJob(deps.db, input.jobId)
      const targets = input.targets ? storeTargets(deps, id, input.targets) : null
      const changes = {
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.description !== undefined ? { description: input.description } : {}),
        ...(input.jobId !== undefined ? { job_id: input.jobId } : {}),
        ...(input.condition ? { condition: JSON.stringify(input.condition) } : {}),
        ...(targets ? { targets: JSON.stringify(targets.stored) } : {}),
        ...(input.enabled !== undefined ? { enabled: input.enabled ? 1 : 0 } : {}),
        updated_by: c.get('principal')!.userId,
        updated_at: deps.clock.now().toISOString(),
      }
      const updated = await deps.db.transaction().execute(async (trx) => {
        // A new condition or scope is a new question: what was open under the old one ends.
        if (input.condition || input.jobId !== undefined)
          await trx
            .updateTable('alert_episodes')
            .set({ closed_at: changes.updated_at })
            .where('rule_id', '=', id)
            .where('closed_at', 'is', null)
            .execute()
        await audit(c, trx, {
          action: 'changed',
          entityType: 'alert',
          entityId: id,
          entityName: input.name ?? row.name,
          details: { fields: Object.keys(input) },
        })
        return trx
          .updateTable('alert_rules')
          .set(changes)
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirstOrThrow()
      })
      const [json] = await toRuleJson(deps.db, [updated])
      return c.json({ ...json!, signingSecrets: targets?.generated ?? [] }, 200)
    },
  )
  .delete(
    '/api/alerts/:id',
    route('editor', {
      summary: 'Delete an alert rule with its episodes and delivery log',
      tags,
      responses: { 204: { description: 'Deleted' }, 404: failure('No such rule') },
    }),
    params(idParam),
    async (c) => {
      const { db } = c.get('deps')
      const { id } = c.req.valid('param')
      const rule = await findAlertRule(db, id)
      if (!rule) throw notFound('alert rule', id)
      await db.deleteFrom('alert_rules').where('id', '=', id).execute()
      await audit(c, db, { action: 'deleted', entityType: 'alert', entityId: id, entityName: rule.name })
      return c.body(null, 204)
    },
  )
  .get(
    '/api/alerts/:id/deliveries',
    route('viewer', {
      summary: "A rule's delivery log, newest first",
      tags,
      responses: { 200: answer(z.array(deliveryJson), 'Deliveries'), 404: failure('No such rule') },
    }),
    params(idParam),
    query(deliveriesQuery),
    async (c) => {
      const { db } = c.get('deps')
      const { id } = c.req.valid('param')
      if (!(await findAlertRule(db, id))) throw notFound('alert rule', id)
      const rows = await listDeliveries(db, id, c.req.valid('query'))
      return c.json(
        rows.map(
          (row): z.infer<typeof deliveryJson> => ({
            id: row.id,
            episodeId: row.episode_id,
            jobId: row.job_id,
            summary: row.summary,
            target: row.target,
            kind: row.kind,
            status: row.status,
            attempts: row.attempts,
            lastError: row.last_error,
            nextAttemptAt: row.next_attempt_at,
            sentAt: row.sent_at,
            createdAt: row.created_at,
            episodeOpenedAt: row.opened_at,
            episodeClosedAt: row.closed_at,
          }),
        ),
        200,
      )
    },
  )
  .post(
    '/api/alerts/:id/test',
    route('editor', {
      summary: "Send a test alert to each of the rule's targets now",
      tags,
      responses: {
        200: answer(
          z.object({
            results: z.array(
              z.object({
                target: z.number(),
                type: z.string(),
                ok: z.boolean(),
                error: z.string().nullable(),
              }),
            ),
          }),
          'What each target said',
        ),
        404: failure('No such rule'),
      },
    }),
    params(idParam),
    async (c) => {
      const deps = c.get('deps')
      const { id } = c.req.valid('param')
      const rule = await findAlertRule(deps.db, id)
      if (!rule) throw notFound('alert rule', id)
      const now = deps.clock.now()
      const targets = openTargets(deps.vault, rule.id, rule.targets)
      const results = []
      for (const [index, target] of targets.entries()) {
        try {
          await send(
            deps.alerts.notifier,
            target,
            {
              deliveryId: `test-${newId()}`,
              test: true,
              rule: { id: rule.id, name: rule.name, condition: JSON.parse(rule.condition) },
              episode: {
                id: 'test',
                openedAt: now.toISOString(),
                summary: 'This is a test of the alert rule.',
              },
              job: null,
              url: `${deps.config.publicUrl}/alerts`,
            },
            now,
          )
          results.push({ target: index, type: target.type, ok: true, error: null })
        } catch (error) {
          const message = error instanceof DeliveryError ? error.message : String(error)
          results.push({ target: index, type: target.type, ok: false, error: message })
        }
      }
      return c.json({ results }, 200)
    },
  )
