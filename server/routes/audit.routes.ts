import { Hono } from 'hono'
import { z } from 'zod'
import { AUDIT_ENTITIES, listAudit } from '../db/audit.repo.ts'
import type { AppEnv } from '../http/context.ts'
import { answer, route } from '../http/route.ts'
import { query } from '../http/validate.ts'

const entryJson = z.object({
  id: z.number(),
  at: z.string(),
  actor: z
    .object({ id: z.string(), name: z.string() })
    .nullable()
    .meta({ description: 'Null for Sluice itself' }),
  actorName: z.string(),
  action: z.string(),
  entityType: z.string(),
  entityId: z.string(),
  entityName: z.string(),
  details: z.record(z.string(), z.unknown()).nullable(),
})
const auditQuery = z.strictObject({
  entityType: z.enum(AUDIT_ENTITIES).optional(),
  entityId: z.string().max(100).optional(),
  actorId: z.string().max(100).optional(),
  action: z.string().max(50).optional(),
  q: z.string().max(200).optional(),
  before: z.coerce
    .number()
    .int()
    .min(1)
    .optional()
    .meta({ description: 'Entries older than this id: the next page' }),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
})

/** `GET /api/audit`: who created, changed, deployed, paused, resumed or deleted what, and when. */
export const auditRoutes = new Hono<AppEnv>().get(
  '/api/audit',
  route('admin', {
    summary: 'The audit trail, newest first',
    tags: ['Audit'],
    responses: { 200: answer(z.array(entryJson), 'Entries') },
  }),
  query(auditQuery),
  async (c) => c.json(await listAudit(c.get('deps').db, c.req.valid('query')), 200),
)
