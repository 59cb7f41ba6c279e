import { z } from 'zod'
import { defineProvider, SECRET } from '../define.ts'

/** A dot path into a JSON body (`data.items`); empty means the body itself. */
const jsonPath = z
  .string()
  .max(200)
  .regex(
    /^([A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*)?$/,
    'a dot path such as data.items, or empty for the whole body',
  )

const param = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9_.[\]-]+$/, 'a query parameter name')

export const pagination = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('none') }).meta({ title: 'One request' }),
  z
    .strictObject({
      type: z.literal('page'),
      param: param.default('page'),
      start: z.int().min(0).default(1),
      sizeParam: param.optional(),
      size: z.int().min(1).max(10_000).default(100),
    })
    .meta({ title: 'Page number', description: 'Stops at a page shorter than size' }),
  z
    .strictObject({
      type: z.literal('offset'),
      param: param.default('offset'),
      limitParam: param.default('limit'),
      limit: z.int().min(1).max(10_000).default(100),
    })
    .meta({ title: 'Offset and limit', description: 'Stops at a page shorter than limit' }),
  z
    .strictObject({ type: z.literal('cursor'), param: param.default('cursor'), path: jsonPath.min(1) })
    .meta({ title: 'Cursor from the body', description: 'Stops when the body has no next cursor' }),
  z
    .strictObject({ type: z.literal('link') })
    .meta({ title: 'Link header', description: 'Follows rel="next"' }),
])

export const restConfig = z.strictObject({
  url: z
    .url({ protocol: /^https?$/, error: 'an http:// or https:// URL' })
    .max(2000)
    .meta({
      title: 'URL',
      description: 'The endpoint that lists the records',
      placeholder: 'https://api.example.com/v1/contacts',
    }),
  method: z
    .enum(['GET', 'POST'])
    .default('GET')
    .meta({ title: 'Method', description: 'GET, or POST with a body' }),
  body: z.string().max(20_000).optional().meta({ title: 'Body', description: 'JSON sent with POST' }),
  headers: z
    .record(z.string().regex(/^[A-Za-z0-9-]{1,100}$/), z.string().max(2000))
    .default({})
    .meta({
      title: 'Headers',
      description: 'Not secret: keys and tokens belong in the authorization',
    }),
  recordsPath: jsonPath
    .default('')
    .meta({ title: 'Records path', description: 'Where the list of records is, e.g. data.items' }),
  idPath: jsonPath.default('id').meta({ title: 'Id field', description: 'Identifies a record across runs' }),
  eventTimePath: jsonPath
    .optional()
    .meta({ title: 'Event time field', description: 'When each record happened, e.g. created_at' }),
  pagination: pagination
    .default({ type: 'none' })
    .meta({ title: 'Paging', description: 'How the API splits its list into pages' }),
  maxPages: z
    .int()
    .min(1)
    .max(100_000)
    .default(1000)
    .meta({ title: 'Most pages per run', description: 'A guard against an API that never stops paging' }),
  incremental: z
    .strictObject({
      param: param.meta({ title: 'Query parameter', description: 'e.g. updated_since' }),
      field: jsonPath
        .min(1)
        .meta({ title: 'Record field', description: 'Its largest value is sent next run, e.g. updated_at' }),
    })
    .optional()
    .meta({ title: 'Incremental', description: 'Ask only for records changed since the last run' }),
})
export type RestConfig = z.infer<typeof restConfig>

const ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M8 3H7a2 2 0 0 0-2 2v5a2 2 0 0 1-2 2 2 2 0 0 1 2 2v5a2 2 0 0 0 2 2h1"/><path d="M16 21h1a2 2 0 0 0 2-2v-5a2 2 0 0 1 2-2 2 2 0 0 1-2-2V5a2 2 0 0 0-2-2h-1"/></svg>`

/** A low-code source: any JSON API, described by its URL, auth, records path and paging. */
export const rest = defineProvider({
  id: 'rest',
  title: 'REST / JSON API',
  category: 'source',
  icon: ICON,
  description:
    'Reads records from any JSON API: pages through it, and asks only for what changed since the last run.',
  auth: [
    { id: 'none', title: 'No authorization', schema: z.strictObject({}) },
    {
      id: 'apikey',
      title: 'API key or bearer token',
      schema: z.strictObject({
        placement: z.enum(['bearer', 'header', 'query']).default('bearer').meta({
          title: 'Sent as',
          description: 'Authorization: Bearer <key>, a header of its own, or a query parameter',
        }),
        name: z
          .string()
          .min(1)
          .max(100)
          .regex(/^[A-Za-z0-9_-]+$/)
          .default('api_key')
          .meta({
            title: 'Header or parameter name',
            description: 'For header or query placement, e.g. X-Api-Key or api_key',
          }),
        apiKey: z
          .string()
          .min(1)
          .max(4000)
          .meta({ ...SECRET, title: 'Key' }),
      }),
    },
    {
      id: 'basic',
      title: 'User and password',
      schema: z.strictObject({
        username: z.string().min(1).max(200),
        password: z.string().min(1).max(1000).meta(SECRET),
      }),
    },
    {
      id: 'oauth2',
      title: 'OAuth2 (connect an account)',
      schema: z.strictObject({
        accessToken: z.string().meta({ ...SECRET, title: 'Access token' }),
        refreshToken: z
          .string()
          .optional()
          .meta({ ...SECRET, title: 'Refresh token' }),
      }),
      // Every API has its own: the admin gives them, with the scopes, when registering the app.
      oauth: { authorizeUrl: '', tokenUrl: '', scopes: [] },
    },
  ],
  jobTypes: [
    {
      id: 'records',
      title: 'Records',
      direction: 'import',
      description:
        'Every record the API lists, page by page; with an incremental field, only the changed ones.',
      config: restConfig,
      requiresAuthorization: false,
      defaultCadence: { every: '1h' },
      resetsCheckpoint: ['url', 'recordsPath', 'incremental'],
    },
  ],
})
