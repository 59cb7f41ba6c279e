import { Hono } from 'hono'
import { z } from 'zod'
import { sha256 } from '../auth/tokens.ts'
import { newId, newSecret } from '../db/ids.ts'
import { deleteToken, findToken, insertToken, listTokens, RANK } from '../db/tokens.repo.ts'
import { ApiError, notFound } from '../errors.ts'
import type { AppEnv } from '../http/context.ts'
import { route } from '../http/route.ts'
import { body, params } from '../http/validate.ts'
import { roleSchema } from './users.schemas.ts'

const createBody = z.strictObject({ name: z.string().trim().min(1).max(200), role: roleSchema.optional() })
const tags = ['Tokens']

export const tokenRoutes = new Hono<AppEnv>()
  .get(
    '/api/tokens',
    route('admin', { summary: 'List API tokens (never their values)', tags }),
    async (c) => {
      return c.json(await listTokens(c.get('deps').db), 200)
    },
  )
  .post(
    '/api/tokens',
    route('admin', { summary: 'Create an API token; its value is shown once', tags }),
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
      return c.json({ id, name: input.name, role, token, prefix: token.slice(0, 8), createdAt: at }, 201)
    },
  )
  .delete(
    '/api/tokens/:id',
    route('admin', { summary: 'Revoke an API token', tags }),
    params(z.strictObject({ id: z.string().min(1).max(100) })),
    async (c) => {
      const { db } = c.get('deps')
      const { id } = c.req.valid('param')
      if (!(await findToken(db, id))) throw notFound('token', id)
      await deleteToken(db, id)
      return c.body(null, 204)
    },
  )
