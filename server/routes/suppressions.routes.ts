import { Hono } from 'hono'
import { z } from 'zod'
import { identityHash, keyOf } from '../data/identity.ts'
import { serialize } from '../db/locks.ts'
import { deleteProfile } from '../db/profiles.repo.ts'
import { getIdentityRules } from '../db/settings.repo.ts'
import { ApiError } from '../errors.ts'
import type { AppEnv } from '../http/context.ts'
import { answer, route } from '../http/route.ts'
import { body, query } from '../http/validate.ts'

const tags = ['Profiles']
const identityBody = z.strictObject({
  field: z.string().trim().min(1).max(200),
  value: z.string().min(1).max(500),
})
const suppressionJson = z.object({
  field: z.string(),
  createdAt: z.string(),
  createdBy: z.string().nullable(),
})

/**
 * The suppression list of privacy requests. It holds hashes, never values, so it lists who asked
 * by field and date only; a request can name a person Sluice has no profile for yet.
 */
export const suppressionRoutes = new Hono<AppEnv>()
  .get(
    '/api/suppressions',
    route('admin', {
      summary: 'Suppressed identities (hashed: field and date only), newest first; filter by field',
      tags,
      responses: { 200: answer(z.array(suppressionJson), 'Suppressions') },
    }),
    query(
      z.strictObject({
        field: z.string().max(200).optional(),
        limit: z.coerce.number().int().min(1).max(1000).default(100),
      }),
    ),
    async (c) => {
      const { field, limit } = c.req.valid('query')
      let select = c.get('deps').db.selectFrom('suppressions').select(['field', 'created_at', 'created_by'])
      if (field) select = select.where('field', '=', field)
      const rows = await select.orderBy('created_at', 'desc').orderBy('hash').limit(limit).execute()
      const json = rows.map((row) => ({
        field: row.field,
        createdAt: row.created_at,
        createdBy: row.created_by,
      }))
      return c.json(json satisfies z.infer<typeof suppressionJson>[], 200)
    },
  )
  .post(
    '/api/suppressions',
    route('admin', {
      summary:
        'Forget a person by one identity: their profile (if any) is deleted and the identity suppressed',
      tags,
      responses: {
        201: answer(
          z.object({ field: z.string(), deletedProfile: z.string().nullable() }),
          'Suppressed; deletedProfile names the profile that was deleted with it',
        ),
      },
    }),
    body(identityBody),
    async (c) => {
      const { db, clock, unifier } = c.get('deps')
      const { field, value } = c.req.valid('json')
      const by = c.get('principal')!.userId
      const now = clock.now().toISOString()
      const deletedProfile = await db.transaction().execute(async (trx) => {
        await serialize(trx, 'sluice.unify')
        const key = keyOf(await getIdentityRules(trx), field, value)
        if (key === null) {
          throw new ApiError(
            400,
            'InvalidIdentity',
            `"${field}" has no usable value here: send the value as the person gave it`,
          )
        }
        const holder = await trx
          .selectFrom('profile_identities')
          .select('profile_id')
          .where('key', '=', key)
          .executeTakeFirst()
        if (holder) return (await deleteProfile(trx, holder.profile_id, by, now))?.id ?? null
        await trx
          .insertInto('suppressions')
          .values({ hash: identityHash(key), field, created_at: now, created_by: by })
          .onConflict((conflict) => conflict.column('hash').doNothing())
          .execute()
        return null
      })
      c.get('log').info({ field, deletedProfile }, 'identity suppressed on request')
      // Held or pending messages naming the person are dropped when next unified.
      unifier.wake()
      return c.json({ field, deletedProfile }, 201)
    },
  )
  .post(
    '/api/suppressions/lift',
    route('admin', {
      summary: 'Lift a suppression (the person consented again); what was deleted stays deleted',
      tags,
      responses: { 200: answer(z.object({ lifted: z.boolean() }), 'Whether a suppression was lifted') },
    }),
    body(identityBody),
    async (c) => {
      const { db } = c.get('deps')
      const { field, value } = c.req.valid('json')
      const key = keyOf(await getIdentityRules(db), field, value)
      if (key === null) throw new ApiError(400, 'InvalidIdentity', `"${field}" has no usable value here`)
      const result = await db
        .deleteFrom('suppressions')
        .where('hash', '=', identityHash(key))
        .executeTakeFirst()
      return c.json({ lifted: Number(result.numDeletedRows) > 0 }, 200)
    },
  )
