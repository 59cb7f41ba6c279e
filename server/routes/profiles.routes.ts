import { Hono } from 'hono'
import { z } from 'zod'
import { identityRulesSchema, keyOf } from '../data/identity.ts'
import { deleteProfile, getProfile, listProfiles, mergedInto, resolveProfile } from '../db/profiles.repo.ts'
import { listMessages, toMessageJson } from '../db/raw-messages.repo.ts'
import { getIdentityRules, putIdentityRules } from '../db/settings.repo.ts'
import { ApiError, notFound } from '../errors.ts'
import type { AppEnv } from '../http/context.ts'
import { answer, failure, route } from '../http/route.ts'
import { body, idParam, params, query } from '../http/validate.ts'
import { messageJson } from './messages.schemas.ts'

const tags = ['Profiles']
const identityJson = z.object({ field: z.string(), value: z.string(), flagged: z.boolean() })
const profileSummary = z.object({
  id: z.string(),
  identities: z.array(identityJson),
  createdAt: z.string(),
  updatedAt: z.string(),
})
const profileJson = z.object({
  id: z.string(),
  attributes: z.record(z.string(), z.object({ value: z.unknown(), at: z.string(), stream: z.string() })),
  identities: z.array(identityJson),
  streams: z.array(z.string()),
  mergedFrom: z.array(z.string()),
  createdAt: z.string(),
  updatedAt: z.string(),
})
const listQuery = z.strictObject({
  q: z.string().min(1).max(200).optional(),
  field: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .meta({ description: 'With value: the profile holding this identity' }),
  value: z.string().min(1).max(500).optional(),
  sort: z.string().max(40).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  cursor: z.string().max(500).optional(),
})

export const profileRoutes = new Hono<AppEnv>()
  .get(
    '/api/profiles',
    route('viewer', {
      summary:
        'Profiles, most recently changed first; q matches an identity value or an attribute, field+value one identity exactly',
      tags,
      responses: { 200: answer(z.array(profileSummary), 'Profiles; X-Next-Cursor when more remain') },
    }),
    query(listQuery),
    async (c) => {
      const { db } = c.get('deps')
      const { field, value, ...rest } = c.req.valid('query')
      let identityKey: string | undefined
      if (field !== undefined || value !== undefined) {
        if (field === undefined || value === undefined) {
          throw new ApiError(
            400,
            'ValidationFailed',
            'send field and value together, e.g. ?field=email&value=ann@example.com',
          )
        }
        // An identity that normalises to nothing (blank, a placeholder) holds no one.
        identityKey = keyOf(await getIdentityRules(db), field, value) ?? '\u001f'
      }
      const { items, nextCursor } = await listProfiles(db, { ...rest, identityKey })
      if (nextCursor) c.header('X-Next-Cursor', nextCursor)
      return c.json(items satisfies z.infer<typeof profileSummary>[], 200)
    },
  )
  .get(
    '/api/profiles/:id',
    route('viewer', {
      summary: 'One profile; the id of a profile merged into another shows the survivor',
      tags,
      responses: { 200: answer(profileJson, 'The profile'), 404: failure('No such profile') },
    }),
    params(idParam),
    async (c) => {
      const { id } = c.req.valid('param')
      const profile = await getProfile(c.get('deps').db, id)
      if (!profile) throw notFound('profile', id)
      return c.json(profile satisfies z.infer<typeof profileJson>, 200)
    },
  )
  .get(
    '/api/profiles/:id/messages',
    route('viewer', {
      summary: "A person's activity: the raw messages applied to them (also before merges), newest first",
      tags,
      responses: {
        200: answer(z.array(messageJson), 'Messages; X-Next-Cursor when more remain'),
        404: failure('No such profile'),
      },
    }),
    params(idParam),
    query(
      z.strictObject({
        limit: z.coerce.number().int().min(1).max(1000).default(50),
        cursor: z.coerce.number().int().min(1).optional(),
      }),
    ),
    async (c) => {
      const { db } = c.get('deps')
      const { id } = c.req.valid('param')
      const { limit, cursor } = c.req.valid('query')
      const profile = await resolveProfile(db, id)
      if (!profile) throw notFound('profile', id)
      const profiles = [profile.id, ...(await mergedInto(db, profile.id))]
      const { items, next } = await listMessages(db, { profiles }, { limit, before: cursor })
      if (next !== null) c.header('X-Next-Cursor', String(next))
      return c.json(items.map(toMessageJson) satisfies z.infer<typeof messageJson>[], 200)
    },
  )
  .delete(
    '/api/profiles/:id',
    route('admin', {
      summary: 'Privacy deletion: the profile and its raw messages go; its identities are suppressed',
      tags,
      responses: { 204: { description: 'Deleted' }, 404: failure('No such profile') },
    }),
    params(idParam),
    async (c) => {
      const { db, clock } = c.get('deps')
      const { id } = c.req.valid('param')
      const principal = c.get('principal')!
      const deleted = await db
        .transaction()
        .execute((trx) => deleteProfile(trx, id, principal.userId, clock.now().toISOString()))
      if (!deleted) throw notFound('profile', id)
      c.get('log').info({ profileId: deleted.id, messages: deleted.messages }, 'profile deleted on request')
      return c.body(null, 204)
    },
  )
  .get(
    '/api/identity-rules',
    route('viewer', {
      summary: 'The fields that identify a person, by priority (1 = strongest)',
      tags,
      responses: { 200: answer(identityRulesSchema, 'Identity rules') },
    }),
    async (c) => c.json(await getIdentityRules(c.get('deps').db), 200),
  )
  .put(
    '/api/identity-rules',
    route('admin', {
      summary: 'Replace the identity rules; they apply to messages unified from now on (rebuild to replay)',
      tags,
      responses: { 200: answer(identityRulesSchema, 'The rules as stored') },
    }),
    body(identityRulesSchema),
    async (c) => {
      const { db, clock } = c.get('deps')
      const rules = c.req.valid('json')
      rules.fields.sort((a, b) => a.priority - b.priority)
      await putIdentityRules(db, rules, c.get('principal')!.userId, clock.now().toISOString())
      return c.json(rules, 200)
    },
  )
