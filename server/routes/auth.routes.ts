import { type Context, Hono } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import { z } from 'zod'
import { DUMMY_HASH, hashPassword, verifyPassword } from '../auth/passwords.ts'
import { sha256 } from '../auth/tokens.ts'
import { newSecret } from '../db/ids.ts'
import { serialize } from '../db/locks.ts'
import { deleteExpiredSessions, deleteSession, insertSession } from '../db/sessions.repo.ts'
import { countUsers, findUser, findUserByEmail, insertUser, updateUser } from '../db/users.repo.ts'
import { ApiError } from '../errors.ts'
import { assertSameOrigin, SESSION_COOKIE, SESSION_TTL_MS } from '../http/authenticate.ts'
import type { AppEnv } from '../http/context.ts'
import { addressOf } from '../http/rate-limits.ts'
import { answer, failure, route } from '../http/route.ts'
import { body } from '../http/validate.ts'
import { emailSchema, passwordSchema, toUserJson, userJson } from './users.schemas.ts'

const setupBody = z.strictObject({
  email: emailSchema,
  name: z.string().trim().min(1).max(200),
  password: passwordSchema,
})
const loginBody = z.strictObject({
  email: z.string().trim().min(1).max(320),
  password: z.string().min(1).max(1024),
})

/** Creates a session row and sets its HttpOnly, SameSite=Lax cookie. */
async function startSession(c: Context<AppEnv>, userId: string): Promise<void> {
  const { db, clock, config } = c.get('deps')
  const now = clock.now()
  const secret = newSecret('ss')
  await insertSession(db, {
    id: sha256(secret),
    userId,
    at: now.toISOString(),
    expiresAt: new Date(now.getTime() + SESSION_TTL_MS).toISOString(),
    userAgent: c.req.header('user-agent')?.slice(0, 300) ?? null,
  })
  setCookie(c, SESSION_COOKIE, secret, {
    httpOnly: true,
    sameSite: 'Lax',
    secure: config.publicUrl.startsWith('https://'),
    path: '/',
    maxAge: SESSION_TTL_MS / 1000,
  })
}

const callerJson = userJson.extend({ via: z.enum(['session', 'token']) })

export const authRoutes = new Hono<AppEnv>()
  .get(
    '/api/auth/setup',
    route('public', {
      summary: 'Whether the first admin still has to be created',
      tags: ['Auth'],
      responses: {
        200: answer(
          z.object({ required: z.boolean(), user: callerJson.nullable() }),
          'Whether setup is still open, and who this session belongs to (null when nobody is signed in)',
        ),
      },
    }),
    // The caller rides along so the app learns everything it needs to start in one request
    // (index.html preloads this one), and a signed-out visitor's console shows no 401.
    async (c) => {
      const { db } = c.get('deps')
      const principal = c.get('principal')
      const user = principal ? await findUser(db, principal.userId) : undefined
      return c.json(
        {
          required: (await countUsers(db)) === 0,
          user: user && principal ? { ...toUserJson(user), via: principal.via } : null,
        },
        200,
      )
    },
  )
  .post(
    '/api/auth/setup',
    route('public', {
      summary: 'Create the first admin and sign in',
      tags: ['Auth'],
      responses: {
        201: answer(userJson, 'The new admin, signed in'),
        409: failure('Sluice already has users'),
      },
    }),
    body(setupBody),
    async (c) => {
      assertSameOriginIfBrowser(c)
      const { db, clock } = c.get('deps')
      const input = c.req.valid('json')
      const passwordHash = await hashPassword(input.password)
      // The count and insert share a transaction so two racing setups cannot both win.
      const user = await db.transaction().execute(async (trx) => {
        await serialize(trx, 'setup')
        if ((await countUsers(trx)) > 0) {
          throw new ApiError(409, 'AlreadySetUp', 'Sluice already has users; sign in instead')
        }
        return insertUser(trx, {
          ...input,
          role: 'admin',
          passwordHash,
          createdBy: null,
          at: clock.now().toISOString(),
        })
      })
      await startSession(c, user.id)
      c.get('log').info({ userId: user.id }, 'first admin created')
      return c.json(toUserJson(user), 201)
    },
  )
  .post(
    '/api/auth/login',
    route('public', {
      summary: 'Sign in with email and password',
      tags: ['Auth'],
      responses: {
        200: answer(userJson, 'The user, signed in'),
        401: failure('Wrong email or password'),
        429: failure('Too many attempts'),
      },
    }),
    body(loginBody),
    async (c) => {
      assertSameOriginIfBrowser(c)
      const { db, clock, loginLimiter } = c.get('deps')
      const { email, password } = c.req.valid('json')
      const address = addressOf(c)
      const key = email.toLowerCase()
      await loginLimiter.charge(address, key)
      const user = await findUserByEmail(db, key)
      const ok = await verifyPassword(password, user?.password_hash ?? DUMMY_HASH)
      if (!user || !ok) {
        c.get('log').warn({ email: key, address }, 'failed sign-in')
        throw new ApiError(401, 'InvalidCredentials', 'the email or password is wrong')
      }
      await loginLimiter.succeeded(address, key)
      // Only after the password checked out: a wrong one says nothing about the account.
      if (user.disabled_at)
        throw new ApiError(403, 'UserDisabled', 'this account is disabled: ask an admin to enable it')
      // Sign-ins are rare and cheap to piggyback on: expired sessions are swept here.
      await deleteExpiredSessions(db, clock.now().toISOString())
      const at = clock.now().toISOString()
      await updateUser(db, user.id, { last_login_at: at, updated_at: user.updated_at })
      await startSession(c, user.id)
      return c.json(toUserJson(user), 200)
    },
  )
  .post(
    '/api/auth/logout',
    route('public', {
      summary: 'End the session',
      tags: ['Auth'],
      responses: { 204: { description: 'Signed out' } },
    }),
    async (c) => {
      const cookie = getCookie(c, SESSION_COOKIE)
      if (cookie) {
        assertSameOrigin(c)
        await deleteSession(c.get('deps').db, sha256(cookie))
      }
      deleteCookie(c, SESSION_COOKIE, { path: '/' })
      return c.body(null, 204)
    },
  )
  .get(
    '/api/auth/me',
    route('viewer', {
      summary: 'The signed-in user',
      tags: ['Auth'],
      responses: { 200: answer(callerJson, 'The caller') },
    }),
    async (c) => {
      const principal = c.get('principal')!
      const user = await findUser(c.get('deps').db, principal.userId)
      if (!user) throw new ApiError(401, 'Unauthenticated', 'the user of this session no longer exists')
      return c.json({ ...toUserJson(user), via: principal.via }, 200)
    },
  )

/** Login CSRF guard: a browser form post from another site must not sign the victim in. */
function assertSameOriginIfBrowser(c: Context<AppEnv>): void {
  if (c.req.header('origin') || c.req.header('referer')) assertSameOrigin(c)
}
