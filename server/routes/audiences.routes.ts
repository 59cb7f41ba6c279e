import { Hono } from 'hono'
import { z } from 'zod'
import { type AudienceFilter, audienceFilterSchema } from '../../nodes/audience.ts'
import {
  countAudience,
  findAudience,
  listAudiences,
  pipelinesUsingAudience,
  sampleAudience,
} from '../db/audiences.repo.ts'
import { newId } from '../db/ids.ts'
import { isUniqueViolation, serialize } from '../db/locks.ts'
import type { Audience } from '../db/schema.ts'
import { ApiError, notFound } from '../errors.ts'
import { audit } from '../http/audit.ts'
import type { AppEnv } from '../http/context.ts'
import { answer, failure, route } from '../http/route.ts'
import { body, idParam, params, query } from '../http/validate.ts'

const tags = ['Audiences']
const audienceJson = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  filter: z.unknown(),
  version: z.number().int(),
  createdBy: z.string(),
  updatedBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
})
const audienceDetailJson = audienceJson.extend({
  count: z.number().int().meta({ description: 'Profiles matching now' }),
})
const sampleJson = z.object({
  id: z.string(),
  attributes: z.record(z.string(), z.unknown()),
  updatedAt: z.string(),
})
const writeBody = z.strictObject({
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2000).default(''),
  filter: audienceFilterSchema,
  version: z
    .number()
    .int()
    .min(1)
    .optional()
    .meta({ description: 'PUT: the version you edited (409 if stale)' }),
})
const previewBody = z.strictObject({
  filter: audienceFilterSchema,
  limit: z.number().int().min(0).max(100).default(10),
})

function toJson(audience: Audience): z.infer<typeof audienceJson> {
  return {
    id: audience.id,
    name: audience.name,
    description: audience.description,
    filter: JSON.parse(audience.filter) as AudienceFilter,
    version: audience.version,
    createdBy: audience.created_by,
    updatedBy: audience.updated_by,
    createdAt: audience.created_at,
    updatedAt: audience.updated_at,
  }
}

const nameTaken = (name: string, cause: unknown) =>
  new ApiError(409, 'NameTaken', `an audience named "${name}" exists already: choose another name`, { cause })

/** Saved audiences (DESIGN.md §5): named filters with a live count, referenced by audience nodes. */
export const audienceRoutes = new Hono<AppEnv>()
  .get(
    '/api/audiences',
    route('viewer', {
      summary: 'Saved audiences; q searches name and description; sort by name or -updatedAt',
      tags,
      responses: { 200: answer(z.array(audienceJson), 'Audiences') },
    }),
    query(
      z.strictObject({
        q: z.string().min(1).max(200).optional(),
        sort: z.enum(['name', '-updatedAt']).default('name'),
      }),
    ),
    async (c) => {
      const rows = await listAudiences(c.get('deps').db, c.req.valid('query'))
      return c.json(rows.map(toJson), 200)
    },
  )
  .post(
    '/api/audiences/preview',
    route('viewer', {
      summary: 'Count and sample the profiles a filter matches, without saving it',
      tags,
      responses: {
        200: answer(z.object({ count: z.number().int(), sample: z.array(sampleJson) }), 'Count and sample'),
        400: failure('The filter is invalid: the message says what to fix'),
      },
    }),
    body(previewBody),
    async (c) => {
      const { db } = c.get('deps')
      const { filter, limit } = c.req.valid('json')
      const [count, sample] = await Promise.all([
        countAudience(db, filter),
        sampleAudience(db, filter, limit),
      ])
      return c.json({ count, sample }, 200)
    },
  )
  .post(
    '/api/audiences',
    route('editor', {
      summary: 'Save an audience',
      tags,
      responses: {
        201: answer(audienceDetailJson, 'The audience, with its count'),
        400: failure('Invalid name or filter'),
        409: failure('NameTaken'),
      },
    }),
    body(writeBody),
    async (c) => {
      const { db, clock } = c.get('deps')
      const input = c.req.valid('json')
      const by = c.get('principal')!.userId
      const at = clock.now().toISOString()
      const id = newId()
      try {
        await db
          .insertInto('audiences')
          .values({
            id,
            name: input.name,
            name_key: input.name.toLowerCase(),
            description: input.description,
            filter: JSON.stringify(input.filter),
            version: 1,
            created_by: by,
            updated_by: by,
            created_at: at,
            updated_at: at,
          })
          .execute()
      } catch (error) {
        if (isUniqueViolation(error)) throw nameTaken(input.name, error)
        throw error
      }
      const audience = (await findAudience(db, id))!
      await audit(c, db, { action: 'created', entityType: 'audience', entityId: id, entityName: input.name })
      return c.json({ ...toJson(audience), count: await countAudience(db, input.filter) }, 201)
    },
  )
  .get(
    '/api/audiences/:id',
    route('viewer', {
      summary: 'One audience with its live count',
      tags,
      responses: { 200: answer(audienceDetailJson, 'The audience'), 404: failure('No such audience') },
    }),
    params(idParam),
    async (c) => {
      const { db } = c.get('deps')
      const audience = await findAudience(db, c.req.valid('param').id)
      if (!audience) throw notFound('audience', c.req.valid('param').id)
      const count = await countAudience(db, JSON.parse(audience.filter) as AudienceFilter)
      return c.json({ ...toJson(audience), count }, 200)
    },
  )
  .put(
    '/api/audiences/:id',
    route('editor', {
      summary: 'Change an audience; give the version you edited to be told of a concurrent change',
      tags,
      responses: {
        200: answer(audienceDetailJson, 'The audience'),
        404: failure('No such audience'),
        409: failure('VersionConflict or NameTaken'),
      },
    }),
    params(idParam),
    body(writeBody),
    async (c) => {
      const { db, clock } = c.get('deps')
      const { id } = c.req.valid('param')
      const input = c.req.valid('json')
      const at = clock.now().toISOString()
      try {
        await db.transaction().execute(async (trx) => {
          await serialize(trx, `audience:${id}`)
          const current = await findAudience(trx, id)
          if (!current) throw notFound('audience', id)
          if (input.version !== undefined && input.version !== current.version) {
            throw new ApiError(
              409,
              'VersionConflict',
              `the audience changed since you opened it (version ${current.version}, yours ${input.version}): reload it and apply your change again`,
              { details: { version: current.version } },
            )
          }
          await trx
            .updateTable('audiences')
            .set({
              name: input.name,
              name_key: input.name.toLowerCase(),
              description: input.description,
              filter: JSON.stringify(input.filter),
              version: current.version + 1,
              updated_by: c.get('principal')!.userId,
              updated_at: at,
            })
            .where('id', '=', id)
            .execute()
          await audit(c, trx, {
            action: 'changed',
            entityType: 'audience',
            entityId: id,
            entityName: input.name,
            details: { version: current.version + 1 },
          })
        })
      } catch (error) {
        if (isUniqueViolation(error)) throw nameTaken(input.name, error)
        throw error
      }
      const audience = (await findAudience(db, id))!
      return c.json({ ...toJson(audience), count: await countAudience(db, input.filter) }, 200)
    },
  )
  .delete(
    '/api/audiences/:id',
    route('editor', {
      summary: 'Delete an audience no pipeline uses',
      tags,
      responses: { 204: { description: 'Deleted' }, 404: failure('No such audience'), 409: failure('InUse') },
    }),
    params(idParam),
    async (c) => {
      const { db } = c.get('deps')
      const { id } = c.req.valid('param')
      await db.transaction().execute(async (trx) => {
        await serialize(trx, `audience:${id}`)
        const audience = await findAudience(trx, id)
        if (!audience) throw notFound('audience', id)
        const users = await pipelinesUsingAudience(trx, id)
        if (users.length > 0) {
          throw new ApiError(
            409,
            'InUse',
            `pipelines use this audience: ${users.map((p) => `"${p.name}"`).join(', ')}; remove its nodes from them first`,
            { details: { pipelines: users } },
          )
        }
        await trx.deleteFrom('audiences').where('id', '=', id).execute()
        await audit(c, trx, {
          action: 'deleted',
          entityType: 'audience',
          entityId: id,
          entityName: audience.name,
        })
      })
      return c.body(null, 204)
    },
  )
