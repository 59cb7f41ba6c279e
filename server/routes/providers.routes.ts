import { Hono } from 'hono'
import { z } from 'zod'
import { jobConnector } from '../../nodes/connectors.ts'
import { ConnectorError, type SourceRecord } from '../../nodes/define.ts'
import { catalogueJson, findJobType, findProvider } from '../../nodes/index.ts'
import { findAuthorization } from '../db/authorizations.repo.ts'
import { listMessages } from '../db/raw-messages.repo.ts'
import { ApiError, notFound } from '../errors.ts'
import { throttleFor } from '../executor/budgets.ts'
import type { AppEnv } from '../http/context.ts'
import { answer, failure, route } from '../http/route.ts'
import { body } from '../http/validate.ts'
import { outboundContext } from '../net/outbound.ts'
import { credentialsFor } from '../vault/job-credentials.ts'
import { scrubSecrets } from '../vault/scrubber.ts'

const PREVIEW_LIMIT = 20
const PREVIEW_TIMEOUT_MS = 30_000

const previewBody = z.strictObject({
  provider: z.string().min(1).max(100),
  jobType: z.string().min(1).max(100),
  config: z.record(z.string(), z.unknown()).default({}),
  authorizationId: z.string().max(100).optional(),
})

/** A connector's failure as the preview's answer; a provider echoing a key must not show it. */
const previewFailed = (error: ConnectorError) =>
  new ApiError(422, 'PreviewFailed', scrubSecrets(error.message), { details: { kind: error.kind } })

/** A JSON Schema of what the previewed records hold, so the UI can offer fields to map. */
function inferSchema(records: SourceRecord[]) {
  const properties: Record<string, { type: string[] }> = {}
  for (const record of records) {
    for (const [field, value] of Object.entries(record.data)) {
      const type =
        value === null
          ? 'null'
          : Array.isArray(value)
            ? 'array'
            : Number.isInteger(value)
              ? 'integer'
              : typeof value
      const entry = properties[field] ?? { type: [] }
      properties[field] = entry
      if (!entry.type.includes(type)) entry.type.push(type)
    }
  }
  return { type: 'object', properties }
}

let catalogueBody: string | undefined

export const providerRoutes = new Hono<AppEnv>()
  .get(
    '/api/providers',
    route('viewer', {
      summary: 'The node catalogue with JSON Schemas of every config',
      tags: ['Catalogue'],
      responses: {
        200: answer(
          z.array(
            z.looseObject({
              id: z.string(),
              title: z.string(),
              category: z.string(),
              icon: z.string(),
              description: z.string(),
              authMethods: z.array(z.unknown()),
              jobTypes: z.array(z.unknown()),
            }),
          ),
          'Providers (GET /api/providers in API.md)',
        ),
      },
    }),
    (c) => {
      // The catalogue is fixed for the life of the process; its JSON Schemas take tens of ms to build.
      catalogueBody ??= JSON.stringify(catalogueJson())
      return c.body(catalogueBody, 200, { 'content-type': 'application/json' })
    },
  )
  .post(
    '/api/preview',
    route('editor', {
      summary: "A source's first records, with no side effects",
      tags: ['Catalogue'],
      responses: {
        200: answer(
          z.object({
            records: z.array(
              z.object({
                key: z.string(),
                eventTime: z.string().optional(),
                data: z.record(z.string(), z.unknown()),
              }),
            ),
            schema: z.unknown(),
          }),
          'Up to 20 records and their inferred JSON Schema',
        ),
        422: failure('PreviewFailed: the connector could not read'),
      },
    }),
    body(previewBody),
    async (c) => {
      const input = c.req.valid('json')
      const provider = findProvider(input.provider)
      if (!provider) throw new ApiError(400, 'UnknownProvider', `unknown provider "${input.provider}"`)
      const jobType = findJobType(input.provider, input.jobType)
      if (!jobType)
        throw new ApiError(400, 'UnknownJobType', `${provider.title} has no job type "${input.jobType}"`)
      if (jobType.direction !== 'import') {
        throw new ApiError(
          400,
          'NotASource',
          `${provider.title} ${jobType.title} is an ${jobType.direction} job; only sources preview`,
        )
      }
      const deps = c.get('deps')
      if (input.authorizationId) {
        const owner = await findAuthorization(deps.db, input.authorizationId)
        if (!owner) throw notFound('authorization', input.authorizationId)
        if (owner.provider !== provider.id)
          throw new ApiError(
            400,
            'ProviderMismatch',
            `authorization "${owner.name}" belongs to ${owner.provider}, not ${provider.id}`,
          )
      } else if (jobType.requiresAuthorization) {
        throw new ApiError(
          400,
          'AuthorizationRequired',
          `${provider.title} needs an authorization to preview: give authorizationId`,
        )
      }
      const config = jobType.config.safeParse(input.config)
      if (!config.success) {
        const message = config.error.issues
          .map((issue) => `config.${issue.path.join('.')}: ${issue.message}`)
          .join('; ')
        throw new ApiError(400, 'InvalidConfig', message)
      }
      // A pushed source reads nothing: what it holds is its stream's newest raw messages.
      const stream = (config.data as { stream?: unknown }).stream
      if (jobType.defaultCadence === 'realtime' && typeof stream === 'string') {
        const { items } = await listMessages(c.get('deps').db, stream, { limit: PREVIEW_LIMIT })
        const records = items.map((row) => ({
          key: String(row.seq),
          eventTime: row.event_time,
          data: JSON.parse(row.payload) as Record<string, unknown>,
        }))
        return c.json({ records, schema: inferSchema(records) }, 200)
      }
      const connector = jobConnector(input.provider, input.jobType)
      if (connector?.direction !== 'import') {
        throw new ApiError(400, 'NoConnector', `${provider.title} ${jobType.title} cannot be previewed`)
      }
      const { clock, config: settings } = deps
      const records: SourceRecord[] = []
      const { credentials, reauthorize } = await credentialsFor(deps, input.authorizationId ?? null).catch(
        (error: unknown) => {
          throw error instanceof ConnectorError ? previewFailed(error) : error
        },
      )
      const signal = AbortSignal.timeout(PREVIEW_TIMEOUT_MS)
      const throttle = throttleFor(provider.id, input.authorizationId ?? null)
      const ctx = {
        config: config.data,
        credentials,
        ...(reauthorize ? { reauthorize } : {}),
        signal,
        now: () => clock.now(),
        sleep: (ms: number) => clock.sleep(ms, signal),
        // A preview spends the authorization's request budget like its jobs do.
        ...(throttle ? { throttle } : {}),
        dataDir: settings.dataDir,
        jobId: null,
        ...outboundContext(settings),
      }
      try {
        for await (const batch of connector.read(ctx, {
          checkpoint: null,
          preview: { limit: PREVIEW_LIMIT },
        })) {
          records.push(...batch.records)
          if (records.length >= PREVIEW_LIMIT) break
        }
      } catch (error) {
        throw error instanceof ConnectorError ? previewFailed(error) : error
      }
      const first = records.slice(0, PREVIEW_LIMIT)
      return c.json({ records: first, schema: inferSchema(first) }, 200)
    },
  )
