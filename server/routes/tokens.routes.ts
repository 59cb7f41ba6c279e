import { Hono } from 'hono'
import { z } from 'zod'
import { sha256 } from '../auth/tokens.ts'
import { newId, newSecret } from '../db/ids.ts'
import { deleteToken, findToken, insertToken, listTokens, RANK } from '../db/tokens.repo.ts'
import { ApiError, notFound } from '../errors.ts'
import { audit } from '../http/audit.ts'
import type { AppEnv } from '../http/context.ts'
import { answer, failure, route } from '../http/route.ts'
import { body, idParam, params } from '../http/validate.ts'
import { roleSchema } from './users.schemas.ts'

const createBody = z.strictObject({ name: z.string().trim().min(1).max(200), role: roleSchema.optional() })
const tags = ['Tokens']

const tokenJson = z.object({
  id: z.string(),
  name: z.string(),
  role: roleSchema,
  prefix: z.string().meta({ description: 'The first characters, to tell tokens apart' }),
  userId: z.string(),
  createdBy: z.string(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
})

export const tokenRoutes = new Hono<AppEnv>()
  .get(
    '/api/tokens',
    route('admin', {
      summary: 'List API tokens (never their values)',
      tags,
      responses: { 200: answer(z.array(tokenJson), 'Tokens') },
    }),
    async (c) => {
      return c.json(await listTokens(c.get('deps').db), 200)
    },
  )
  .post(
    '/api/tokens',
    route('admin', {
      summary: 'Create an API token; its value is shown once',
      tags,
      responses: {
        201: answer(
          tokenJson
            .pick({ id: true, name: true, role: true, prefix: true, createdAt: true })
            .extend({ token: z.string() }),
          'The token, with its value this once',
        ),
      },
    }),
    body(createBody),
    async (c) => {
      const { db, clock } = c.get('deps')
      const principal = c.get('principal')!
      const input = c.req.valid('json')
      const role = input.role ?? principal.role
      if (RANK[role] > RANK[principal.role]) {
        throw new ApiError(
          403,
          'Forbidden',
          `you cannot create a token with more rights (${role}) than your own`,
        )
      }
      const token = newSecret('slc')
      const id = newId()
      const at = clock.now().toISOString()
      await insertToken(db, {
        id,
        name: input.name,
        role,
        hash: sha256(token),
        prefix: token.slice(0, 8),
        userId: principal.userId,
        at,
      })
      await audit(c, db, {
        action: 'created',
        entityType: 'token',
        entityId: id,
        entityName: input.name,
        details: { role },
      })
      return c.json({ id, name: input.name, role, token, prefix: token.slice(0, 8), createdAt: at }, 201)
    },
  )
  .delete(
    '/api/tokens/:id',
    route('admin', {
      summary: 'Revoke an API token',
      tags,
      responses: { 204: { description: 'Revoked' }, 404: failure('No such token') },
    }),
    params(idParam),
    async (c) => {
      const { db } = c.get('deps')
      const { id } = c.req.valid('param')
      const token = await findToken(db, id)
      if (!token) throw notFound('token', id)
      await deleteToken(db, id)
      await audit(c, db, { action: 'revoked', entityType: 'token', entityId: id, entityName: token.name })
      return c.body(null, 204)
    },
  )
