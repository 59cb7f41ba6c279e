import { Hono } from 'hono'
import { z } from 'zod'
import { recordAudit } from '../db/audit.repo.ts'
import {
  deleteAuthorization,
  findAuthorization,
  insertAuthorization,
  jobsUsing,
  listAuthorizations,
  updateAuthorization,
} from '../db/authorizations.repo.ts'
import { newId } from '../db/ids.ts'
import { appendLog } from '../db/jobs.repo.ts'
import type { Authorization, Executor } from '../db/schema.ts'
import { userNames } from '../db/users.repo.ts'
import { ApiError, notFound } from '../errors.ts'
import type { AppEnv, Deps } from '../http/context.ts'
import { answer, failure, route } from '../http/route.ts'
import { body, idParam, params, query } from '../http/validate.ts'
import { testConnection } from '../vault/connection-test.ts'
import {
  authMethodOf,
  openCredentials,
  parseCredentials,
  publicCredentials,
  sealSecrets,
} from '../vault/credentials.ts'

const tags = ['Vault']
const METHODS = ['apikey', 'basic', 'oauth2', 'none'] as const

const authorizationJson = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  provider: z.string(),
  method: z.enum(METHODS),
  fields: z
    .record(z.string(), z.unknown())
    .meta({ description: 'Non-secret fields; each stored secret shows as { "set": true }' }),
  error: z
    .string()
    .nullable()
    .meta({ description: 'Why the credentials stopped working; reconnect to clear' }),
  expiresAt: z.string().nullable(),
  createdBy: z.string(),
  createdByName: z.string().nullable().meta({ description: 'Null when the user is gone' }),
  createdAt: z.string(),
  updatedAt: z.string(),
  usedBy: z.array(z.string()).meta({ description: 'Ids of the jobs wired to it' }),
})
type AuthorizationJson = z.infer<typeof authorizationJson>

const credentialsInput = z
  .record(z.string().max(100), z.unknown())
  .meta({ description: "The method's fields (GET /api/providers shows each method's schema)" })
const createBody = z.strictObject({
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2000).optional(),
  provider: z.string().min(1).max(100),
  method: z.enum(METHODS),
  credentials: credentialsInput.default({}),
})
const patchBody = z
  .strictObject({
    name: z.string().trim().min(1).max(200).optional(),
    description: z.string().max(2000).optional(),
    method: z.enum(METHODS).optional(),
    credentials: credentialsInput
      .optional()
      .meta({ description: 'Merged over the stored ones; a secret sent as { "set": true } is kept' }),
  })
  .refine((patch) => Object.keys(patch).length > 0, 'give name, description, method or credentials')
const listQuery = z.strictObject({
  q: z.string().max(200).optional(),
  provider: z.string().max(100).optional(),
})
const testBody = z
  .strictObject({
    config: z.record(z.string(), z.unknown()).optional().meta({ description: 'A job config to test with' }),
  })
  .default({})

function toJson(row: Authorization, usedBy: string[], names: ReadonlyMap<string, string>): AuthorizationJson {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    provider: row.provider,
    method: row.method,
    fields: publicCredentials(row),
    error: row.error,
    expiresAt: row.expires_at,
    createdBy: row.created_by,
    createdByName: names.get(row.created_by) ?? null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    usedBy,
  }
}

async function requireAuthorization(db: Executor, id: string): Promise<Authorization> {
  const row = await findAuthorization(db, id)
  if (!row) throw notFound('authorization', id)
  return row
}

const oauthOnly = (provider: string) =>
  new ApiError(
    400,
    'UseOAuthFlow',
    `OAuth2 authorizations are made by connecting: open GET /api/oauth/${provider}/start in the browser`,
  )

/** The stored credentials of a row, for merging a rotation; the row's own method only. */
function currentOf(deps: Deps, row: Authorization) {
  try {
    return openCredentials(deps.vault, row)
  } catch {
    // Unreadable (altered, foreign key): a rotation replaces them, so start from nothing.
    return { fields: JSON.parse(row.fields) as Record<string, unknown>, secrets: {} }
  }
}

/** `/api/authorizations` (API.md Vault): credentials sealed at rest, never answered. */
export const authorizationRoutes = new Hono<AppEnv>()
  .get(
    '/api/authorizations',
    route('viewer', {
      summary: 'Authorizations in the Vault, by name, with the jobs using each',
      tags,
      responses: { 200: answer(z.array(authorizationJson), 'Authorizations (secrets as { "set": true })') },
    }),
    query(listQuery),
    async (c) => {
      const { db } = c.get('deps')
      const rows = await listAuthorizations(db, c.req.valid('query'))
      const used = await jobsUsing(
        db,
        rows.map((row) => row.id),
      )
      const names = await userNames(
        db,
        rows.map((row) => row.created_by),
      )
      return c.json(
        rows.map((row) => toJson(row, used.get(row.id) ?? [], names)),
        200,
      )
    },
  )
  .post(
    '/api/authorizations',
    route('editor', {
      summary: 'Store credentials for a provider; secrets are sealed and never echoed',
      tags,
      responses: {
        201: answer(authorizationJson, 'The authorization (secrets as { "set": true })'),
      },
    }),
    body(createBody),
    async (c) => {
      const deps = c.get('deps')
      const input = c.req.valid('json')
      const { provider, method } = authMethodOf(input.provider, input.method)
      if (method.id === 'oauth2') throw oauthOnly(provider.id)
      const { fields, secrets } = parseCredentials(method, input.credentials)
      const principal = c.get('principal')!
      const now = deps.clock.now().toISOString()
      const id = newId()
      const sealed = sealSecrets(deps.vault, id, secrets)
      const row: Authorization = {
        id,
        name: input.name,
        description: input.description ?? '',
        provider: provider.id,
        method: method.id,
        fields: JSON.stringify(fields),
        secrets: JSON.stringify(sealed),
        key_id: Object.keys(sealed).length ? deps.vault.keyId : null,
        expires_at: null,
        error: null,
        created_by: principal.userId,
        updated_by: principal.userId,
        created_at: now,
        updated_at: now,
      }
      await deps.db.transaction().execute(async (trx) => {
        await insertAuthorization(trx, row)
        await recordAudit(trx, {
          actor: principal,
          action: 'created',
          entityType: 'authorization',
          entityId: id,
          entityName: row.name,
          details: { provider: row.provider, method: row.method },
          at: now,
        })
      })
      return c.json(toJson(row, [], new Map([[principal.userId, principal.name]])), 201)
    },
  )
  .get(
    '/api/authorizations/:id',
    route('viewer', {
      summary: 'One authorization; secret fields appear only as { "set": true }',
      tags,
      responses: {
        200: answer(authorizationJson, 'The authorization'),
        404: failure('No such authorization'),
      },
    }),
    params(idParam),
    async (c) => {
      const { db } = c.get('deps')
      const { id } = c.req.valid('param')
      const row = await requireAuthorization(db, id)
      const used = await jobsUsing(db, [id])
      return c.json(toJson(row, used.get(id) ?? [], await userNames(db, [row.created_by])), 200)
    },
  )
  .patch(
    '/api/authorizations/:id',
    route('editor', {
      summary: 'Rename, describe, or rotate the credentials of an authorization',
      tags,
      responses: {
        200: answer(authorizationJson, 'The authorization'),
        404: failure('No such authorization'),
      },
    }),
    params(idParam),
    body(patchBody),
    async (c) => {
      const deps = c.get('deps')
      const { id } = c.req.valid('param')
      const patch = c.req.valid('json')
      const principal = c.get('principal')!
      const now = deps.clock.now().toISOString()
      const changed = await deps.db.transaction().execute(async (trx) => {
        const row = await requireAuthorization(trx, id)
        const next: Authorization = { ...row, updated_by: principal.userId, updated_at: now }
        const what: string[] = []
        if (patch.name !== undefined && patch.name !== row.name) {
          next.name = patch.name
          what.push('name')
        }
        if (patch.description !== undefined && patch.description !== row.description) {
          next.description = patch.description
          what.push('description')
        }
        const methodId = patch.method ?? row.method
        if (patch.credentials !== undefined || methodId !== row.method) {
          const { method } = authMethodOf(row.provider, methodId)
          if (method.id === 'oauth2') throw oauthOnly(row.provider)
          // Same method: merge over what is stored (a form sends only what changed).
          const current = methodId === row.method ? currentOf(deps, row) : { fields: {}, secrets: {} }
          const { fields, secrets } = parseCredentials(
            method,
            { ...current.fields, ...current.secrets, ...patch.credentials },
            current,
          )
          const sealed = sealSecrets(deps.vault, id, secrets)
          next.method = method.id
          next.fields = JSON.stringify(fields)
          next.secrets = JSON.stringify(sealed)
          next.key_id = Object.keys(sealed).length ? deps.vault.keyId : null
          // New credentials clear an error the old ones caused.
          next.error = null
          next.expires_at = null
          what.push('credentials')
        }
        await updateAuthorization(trx, id, {
          name: next.name,
          description: next.description,
          method: next.method,
          fields: next.fields,
          secrets: next.secrets,
          key_id: next.key_id,
          error: next.error,
          expires_at: next.expires_at,
          updated_by: next.updated_by,
          updated_at: now,
        })
        const used = (await jobsUsing(trx, [id])).get(id) ?? []
        if (what.length) {
          const action = what.includes('credentials')
            ? 'rotated'
            : what.includes('name')
              ? 'renamed'
              : 'changed'
          await recordAudit(trx, {
            actor: principal,
            action,
            entityType: 'authorization',
            entityId: id,
            entityName: next.name,
            details: { fields: what },
            at: now,
          })
          if (what.includes('credentials'))
            for (const jobId of used)
              await appendLog(trx, {
                jobId,
                at: now,
                event: 'AuthorizationChanged',
                message: `${principal.name} changed the credentials of authorization "${next.name}"`,
                actor: principal.userId,
              })
        }
        return { row: next, used }
      })
      return c.json(
        toJson(changed.row, changed.used, await userNames(deps.db, [changed.row.created_by])),
        200,
      )
    },
  )
  .delete(
    '/api/authorizations/:id',
    route('editor', {
      summary: 'Delete an authorization no job uses',
      tags,
      responses: {
        204: { description: 'Deleted' },
        404: failure('No such authorization'),
        409: failure('AuthorizationInUse, with the jobs that use it'),
      },
    }),
    params(idParam),
    async (c) => {
      const deps = c.get('deps')
      const { id } = c.req.valid('param')
      const principal = c.get('principal')!
      await deps.db.transaction().execute(async (trx) => {
        const row = await requireAuthorization(trx, id)
        const jobIds = (await jobsUsing(trx, [id])).get(id) ?? []
        if (jobIds.length) {
          const jobs = await trx
            .selectFrom('jobs')
            .select(['id', 'name', 'pipeline_id'])
            .where('id', 'in', jobIds)
            .execute()
          throw new ApiError(
            409,
            'AuthorizationInUse',
            `"${row.name}" is used by ${jobs.length} job${jobs.length === 1 ? '' : 's'} (${jobs
              .slice(0, 5)
              .map((job) => `"${job.name}"`)
              .join(
                ', ',
              )}${jobs.length > 5 ? ', …' : ''}): wire another authorization to them and deploy first`,
            {
              details: {
                jobs: jobs.map((job) => ({ id: job.id, name: job.name, pipelineId: job.pipeline_id })),
              },
            },
          )
        }
        await deleteAuthorization(trx, id)
        await recordAudit(trx, {
          actor: principal,
          action: 'deleted',
          entityType: 'authorization',
          entityId: id,
          entityName: row.name,
          details: { provider: row.provider },
          at: deps.clock.now().toISOString(),
        })
      })
      return c.body(null, 204)
    },
  )
  .post(
    '/api/authorizations/:id/test',
    route('editor', {
      summary: "Test the credentials with the provider connector's check",
      tags,
      responses: {
        200: answer(
          z.object({ ok: z.boolean(), message: z.string() }),
          'The check: ok, and what to fix if not',
        ),
        404: failure('No such authorization'),
      },
    }),
    params(idParam),
    body(testBody),
    async (c) => {
      const deps = c.get('deps')
      const { id } = c.req.valid('param')
      const row = await requireAuthorization(deps.db, id)
      return c.json(await testConnection(deps, row, c.req.valid('json').config ?? null), 200)
    },
  )
