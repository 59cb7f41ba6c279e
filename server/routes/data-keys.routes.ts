import { Hono } from 'hono'
import { z } from 'zod'
import { sha256 } from '../auth/tokens.ts'
import { streamName } from '../data/collect-options.ts'
import { deleteDataKey, findDataKey, insertDataKey, listDataKeys } from '../db/data-keys.repo.ts'
import { newId, newSecret } from '../db/ids.ts'
import { notFound } from '../errors.ts'
import { audit } from '../http/audit.ts'
import type { AppEnv } from '../http/context.ts'
import { answer, failure, route } from '../http/route.ts'
import { body, idParam, params } from '../http/validate.ts'

const tags = ['Data keys']
const dataKeyJson = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  stream: z.string().nullable(),
  createdBy: z.string(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
})
const createBody = z.strictObject({
  name: z.string().trim().min(1).max(200),
  stream: streamName
    .optional()
    .meta({ description: 'Limit the key to this stream; also where /v1/* events go' }),
})

export const dataKeyRoutes = new Hono<AppEnv>()
  .get(
    '/api/data-keys',
    route('admin', {
      summary: 'List data keys (never their values)',
      tags,
      responses: { 200: answer(z.array(dataKeyJson), 'Keys') },
    }),
    async (c) => c.json(await listDataKeys(c.get('deps').db), 200),
  )
  .post(
    '/api/data-keys',
    route('admin', {
      summary: 'Create a data key for the collect API; its value is shown once',
      tags,
      responses: {
        201: answer(dataKeyJson.extend({ key: z.string() }), 'The key, with its value this once'),
      },
    }),
    body(createBody),
    async (c) => {
      const { db, clock } = c.get('deps')
      const input = c.req.valid('json')
      const key = newSecret('sdk')
      const row = {
        id: newId(),
        name: input.name,
        key_hash: sha256(key),
        prefix: key.slice(0, 8),
        stream: input.stream ?? null,
        created_by: c.get('principal')!.userId,
        created_at: clock.now().toISOString(),
      }
      await insertDataKey(db, row)
      await audit(c, db, {
        action: 'created',
        entityType: 'data-key',
        entityId: row.id,
        entityName: row.name,
        details: { stream: row.stream },
      })
      return c.json({ ...(await findDataKey(db, row.id))!, key }, 201)
    },
  )
  .delete(
    '/api/data-keys/:id',
    route('admin', {
      summary: 'Delete a data key; senders using it get 401',
      tags,
      responses: { 204: { description: 'Deleted' }, 404: failure('No such key') },
    }),
    params(idParam),
    async (c) => {
      const { db } = c.get('deps')
      const { id } = c.req.valid('param')
      const key = await findDataKey(db, id)
      if (!key) throw notFound('data key', id)
      await deleteDataKey(db, id)
      await audit(c, db, { action: 'deleted', entityType: 'data-key', entityId: id, entityName: key.name })
      return c.body(null, 204)
    },
  )
