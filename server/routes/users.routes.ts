import { Hono } from 'hono'
import { z } from 'zod'
import { hashPassword } from '../auth/passwords.ts'
import { deleteUserSessions } from '../db/sessions.repo.ts'
import {
  countAdmins,
  deleteUser,
  findUser,
  findUserByEmail,
  insertUser,
  listUsers,
  updateUser,
} from '../db/users.repo.ts'
import { ApiError, notFound } from '../errors.ts'
import type { AppEnv } from '../http/context.ts'
import { route } from '../http/route.ts'
import { body, params } from '../http/validate.ts'
import { emailSchema, passwordSchema, roleSchema, toUserJson } from './users.schemas.ts'

const idParam = z.strictObject({ id: z.string().min(1).max(100) })
const createBody = z.strictObject({
  email: emailSchema,
  name: z.string().trim().min(1).max(200),
  password: passwordSchema,
  role: roleSchema.default('viewer'),
})
const patchBody = z
  .strictObject({ name: z.string().trim().min(1).max(200), role: roleSchema, password: passwordSchema })
  .partial()
  .refine((value) => Object.keys(value).length > 0, 'send at least one of name, role, password')

const tags = ['Users']

export const userRoutes = new Hono<AppEnv>()
  .get('/api/users', route('admin', { summary: 'List users', tags }), async (c) => {
    return c.json((await listUsers(c.get('deps').db)).map(toUserJson), 200)
  })
  .post('/api/users', route('admin', { summary: 'Create a user', tags }), body(createBody), async (c) => {
    const { db, clock } = c.get('deps')
    const input = c.req.valid('json')
    if (await findUserByEmail(db, input.email)) {
      throw new ApiError(409, 'EmailTaken', `a user with email ${input.email} already exists`)
    }
    const user = await insertUser(db, {
      ...input,
      passwordHash: await hashPassword(input.password),
      createdBy: c.get('principal')!.userId,
      at: clock.now().toISOString(),
    })
    return c.json(toUserJson(user), 201)
  })
  .patch(
    '/api/users/:id',
    route('admin', { summary: 'Rename, change role or reset password', tags }),
    params(idParam),
    body(patchBody),
    async (c) => {
      const { db, clock } = c.get('deps')
      const { id } = c.req.valid('param')
      const input = c.req.valid('json')
      const user = await findUser(db, id)
      if (!user) throw notFound('user', id)
      if (input.role && input.role !== 'admin' && user.role === 'admin' && (await countAdmins(db)) <= 1) {
        throw new ApiError(409, 'LastAdmin', 'this is the only admin; make another user admin first')
      }
      await updateUser(db, id, {
        ...(input.name ? { name: input.name } : {}),
        ...(input.role ? { role: input.role } : {}),
        ...(input.password ? { password_hash: await hashPassword(input.password) } : {}),
        updated_at: clock.now().toISOString(),
      })
      // A reset password or a lowered role must not leave old sessions with old rights.
      if (input.password || (input.role && input.role !== user.role)) await deleteUserSessions(db, id)
      return c.json(toUserJson((await findUser(db, id))!), 200)
    },
  )
  .delete(
    '/api/users/:id',
    route('admin', { summary: 'Delete a user', tags }),
    params(idParam),
    async (c) => {
      const { db } = c.get('deps')
      const { id } = c.req.valid('param')
      const user = await findUser(db, id)
      if (!user) throw notFound('user', id)
      if (user.role === 'admin' && (await countAdmins(db)) <= 1) {
        throw new ApiError(409, 'LastAdmin', 'this is the only admin; make another user admin first')
      }
      await deleteUser(db, id)
      return c.body(null, 204)
    },
  )
