import { Hono } from 'hono'
import { z } from 'zod'
import { hashPassword } from '../auth/passwords.ts'
import { isUniqueViolation, serialize } from '../db/locks.ts'
import type { Executor, User } from '../db/schema.ts'
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
import { audit } from '../http/audit.ts'
import type { AppEnv } from '../http/context.ts'
import { answer, failure, route } from '../http/route.ts'
import { body, idParam, params } from '../http/validate.ts'
import { emailSchema, passwordSchema, roleSchema, toUserJson, userJson } from './users.schemas.ts'

const createBody = z.strictObject({
  email: emailSchema,
  name: z.string().trim().min(1).max(200),
  password: passwordSchema,
  role: roleSchema.default('viewer'),
})
const patchBody = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    role: roleSchema,
    password: passwordSchema,
    disabled: z.boolean().meta({ description: 'Disable (true) or enable (false) the user' }),
  })
  .partial()
  .refine((value) => Object.keys(value).length > 0, 'send at least one of name, role, password, disabled')

const tags = ['Users']

/** Run inside a transaction serialized on 'admins', so two demotions cannot both pass. */
async function assertNotLastAdmin(trx: Executor, user: User): Promise<void> {
  if (user.role === 'admin' && (await countAdmins(trx)) <= 1) {
    throw new ApiError(409, 'LastAdmin', 'this is the only admin; make another user admin first')
  }
}

export const userRoutes = new Hono<AppEnv>()
  .get(
    '/api/users',
    route('admin', { summary: 'List users', tags, responses: { 200: answer(z.array(userJson), 'Users') } }),
    async (c) => {
      return c.json((await listUsers(c.get('deps').db)).map(toUserJson), 200)
    },
  )
  .post(
    '/api/users',
    route('admin', {
      summary: 'Create a user',
      tags,
      responses: { 201: answer(userJson, 'The user'), 409: failure('EmailTaken') },
    }),
    body(createBody),
    async (c) => {
      const { db, clock } = c.get('deps')
      const input = c.req.valid('json')
      const taken = () => new ApiError(409, 'EmailTaken', `a user with email ${input.email} already exists`)
      if (await findUserByEmail(db, input.email)) throw taken()
      const passwordHash = await hashPassword(input.password)
      try {
        const user = await insertUser(db, {
          ...input,
          passwordHash,
          createdBy: c.get('principal')!.userId,
          at: clock.now().toISOString(),
        })
        await audit(c, db, {
          action: 'created',
          entityType: 'user',
          entityId: user.id,
          entityName: user.email,
          details: { role: user.role },
        })
        return c.json(toUserJson(user), 201)
      } catch (error) {
        // Two admins adding the same email at once: the unique index decides, the loser hears why.
        if (isUniqueViolation(error)) throw taken()
        throw error
      }
    },
  )
  .patch(
    '/api/users/:id',
    route('admin', {
      summary: 'Rename, change role or reset password',
      tags,
      responses: {
        200: answer(userJson, 'The user'),
        404: failure('No such user'),
        409: failure('LastAdmin'),
      },
    }),
    params(idParam),
    body(patchBody),
    async (c) => {
      const { db, clock } = c.get('deps')
      const { id } = c.req.valid('param')
      const input = c.req.valid('json')
      const passwordHash = input.password ? await hashPassword(input.password) : undefined
      const user = await db.transaction().execute(async (trx) => {
        await serialize(trx, 'admins')
        const user = await findUser(trx, id)
        if (!user) throw notFound('user', id)
        if (input.role && input.role !== 'admin') await assertNotLastAdmin(trx, user)
        if (input.disabled && !user.disabled_at) {
          if (id === c.get('principal')!.userId)
            throw new ApiError(409, 'CannotDisableSelf', 'you cannot disable yourself: ask another admin')
          await assertNotLastAdmin(trx, user)
        }
        await updateUser(trx, id, {
          ...(input.name ? { name: input.name } : {}),
          ...(input.role ? { role: input.role } : {}),
          ...(passwordHash ? { password_hash: passwordHash } : {}),
          ...(input.disabled === undefined
            ? {}
            : { disabled_at: input.disabled ? (user.disabled_at ?? clock.now().toISOString()) : null }),
          updated_at: clock.now().toISOString(),
        })
        // A reset password or a lowered role must not leave old sessions with old rights.
        if (passwordHash || input.disabled || (input.role && input.role !== user.role))
          await deleteUserSessions(trx, id)
        await audit(c, trx, {
          action:
            input.disabled !== undefined && input.disabled !== (user.disabled_at !== null)
              ? input.disabled
                ? 'disabled'
                : 'enabled'
              : input.role && input.role !== user.role
                ? 'role changed'
                : passwordHash
                  ? 'password reset'
                  : 'changed',
          entityType: 'user',
          entityId: id,
          entityName: user.email,
          details: {
            fields: Object.keys(input),
            ...(input.role && input.role !== user.role ? { from: user.role, to: input.role } : {}),
          },
        })
        return (await findUser(trx, id))!
      })
      return c.json(toUserJson(user), 200)
    },
  )
  .delete(
    '/api/users/:id',
    route('admin', {
      summary: 'Delete a user',
      tags,
      responses: { 204: { description: 'Deleted' }, 404: failure('No such user'), 409: failure('LastAdmin') },
    }),
    params(idParam),
    async (c) => {
      const { db } = c.get('deps')
      const { id } = c.req.valid('param')
      await db.transaction().execute(async (trx) => {
        await serialize(trx, 'admins')
        const user = await findUser(trx, id)
        if (!user) throw notFound('user', id)
        await assertNotLastAdmin(trx, user)
        await deleteUser(trx, id)
        await audit(c, trx, { action: 'deleted', entityType: 'user', entityId: id, entityName: user.email })
      })
      return c.body(null, 204)
    },
  )
