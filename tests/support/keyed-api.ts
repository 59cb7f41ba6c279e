import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { z } from 'zod'
import { jobConnector, registerConnector } from '../../nodes/connectors.ts'
import {
  type ConnectorContext,
  ConnectorError,
  defineConnector,
  defineProvider,
  type ReadBatch,
  SECRET,
} from '../../nodes/define.ts'
import type { JobNode } from '../../nodes/pipeline.ts'

/**
 * A SaaS-like contacts API that needs a key, and the test-only provider that reads it: API key in
 * `X-Api-Key`, or basic auth. The emulator answers 401 with the refused key in its error body, as
 * careless providers do, so the tests see that Sluice never passes it on. Never shipped.
 */

export interface KeyedApi {
  url: string
  /** The credentials each request carried: `key:<apiKey>`, `basic:<user>:<password>` or `bearer:<token>`. */
  seen: string[]
  /** Accepted API keys and `user:password` pairs; change them to revoke. */
  keys: Set<string>
  close(): Promise<void>
}

const CONTACTS = 12

export async function startKeyedApi(keys: Iterable<string>): Promise<KeyedApi> {
  const api: Omit<KeyedApi, 'url' | 'close'> = { seen: [], keys: new Set(keys) }
  const server = http.createServer((request, response) => {
    const basic = /^Basic (.+)$/.exec(request.headers.authorization ?? '')
    const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')
    const credential = basic
      ? Buffer.from(basic[1]!, 'base64').toString('utf8')
      : bearer
        ? bearer[1]!
        : String(request.headers['x-api-key'] ?? '')
    api.seen.push(`${basic ? 'basic' : bearer ? 'bearer' : 'key'}:${credential}`)
    const reply = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' })
      response.end(JSON.stringify(body))
    }
    if (!api.keys.has(credential)) return reply(401, { error: `invalid credentials: ${credential}` })
    const url = new URL(request.url ?? '/', 'http://keyed.test')
    if (url.pathname === '/me') return reply(200, { account: 'Acme' })
    if (url.pathname === '/contacts') {
      const page = Number(url.searchParams.get('page') ?? '0')
      const size = 5
      const contacts = []
      for (let n = page * size; n < Math.min(CONTACTS, (page + 1) * size); n++)
        contacts.push({ id: n, email: `contact${n}@keyed.example` })
      return reply(200, { contacts, next: (page + 1) * size < CONTACTS ? page + 1 : null })
    }
    reply(404, { error: 'not found' })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    ...api,
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

const baseUrl = z.url().meta({ description: 'Where the API lives' })

export const keyed = defineProvider({
  id: 'keyed',
  title: 'Keyed test API',
  category: 'source',
  icon: '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><rect x="4" y="4" width="16" height="16"/></svg>',
  description: 'A contacts API that needs an API key or a password.',
  auth: [
    {
      id: 'apikey',
      title: 'API key',
      schema: z.strictObject({ baseUrl, apiKey: z.string().min(8).meta(SECRET) }),
    },
    {
      id: 'basic',
      title: 'User and password',
      schema: z.strictObject({
        baseUrl,
        username: z.string().min(1),
        password: z.string().min(8).meta(SECRET),
      }),
    },
    {
      id: 'oauth2',
      title: 'Connect with Keyed',
      schema: z.strictObject({
        accessToken: z.string().meta(SECRET),
        refreshToken: z.string().optional().meta(SECRET),
      }),
      oauth: {
        authorizeUrl: 'https://auth.keyed.example/authorize',
        tokenUrl: 'https://auth.keyed.example/token',
        scopes: ['contacts.read'],
      },
    },
  ],
  jobTypes: [
    {
      id: 'contacts',
      title: 'Contacts',
      direction: 'import',
      description: 'Every contact, page by page.',
      config: z.strictObject({}),
      requiresAuthorization: true,
      defaultCadence: { every: '1h' },
      resetsCheckpoint: [],
    },
  ],
})

const credentialsSchema = z.union([
  z.object({ baseUrl: z.string(), apiKey: z.string() }),
  z.object({ baseUrl: z.string(), username: z.string(), password: z.string() }),
  z.object({ accessToken: z.string() }),
])

/** Where OAuth2 authorizations (which carry no URL) reach the API: a test sets it (KEYED_API_URL in servers it starts). */
export const keyedOAuth = { baseUrl: process.env.KEYED_API_URL ?? '' }

async function call(
  ctx: Pick<ConnectorContext<unknown>, 'credentials' | 'signal' | 'fetch' | 'reauthorize'>,
  path: string,
  retried = false,
): Promise<Record<string, unknown>> {
  const credentials = credentialsSchema.parse(ctx.credentials)
  const headers: Record<string, string> =
    'apiKey' in credentials
      ? { 'x-api-key': credentials.apiKey }
      : 'accessToken' in credentials
        ? { authorization: `Bearer ${credentials.accessToken}` }
        : {
            authorization: `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`,
          }
  const base = 'baseUrl' in credentials ? credentials.baseUrl : keyedOAuth.baseUrl
  const response = await ctx.fetch(`${base}${path}`, { headers, signal: ctx.signal })
  const text = await response.text()
  // An OAuth2 token the API no longer takes: refresh once and retry (DESIGN.md §6).
  if (response.status === 401 && ctx.reauthorize && !retried) {
    return call({ ...ctx, credentials: await ctx.reauthorize() }, path, true)
  }
  // A careless connector: the provider's body, refused key and all, goes into the error.
  if (response.status === 401)
    throw new ConnectorError('auth', `HTTP 401 from the API: ${text}; check the credentials`, { code: '401' })
  if (!response.ok) throw new ConnectorError('transient', `HTTP ${response.status}: ${text}`)
  return JSON.parse(text) as Record<string, unknown>
}

async function* read(ctx: ConnectorContext): AsyncGenerator<ReadBatch<null>> {
  let page: number | null = 0
  while (page !== null) {
    const body = (await call(ctx, `/contacts?page=${page}`)) as {
      contacts: { id: number; email: string }[]
      next: number | null
    }
    yield { records: body.contacts.map((c) => ({ key: String(c.id), data: c })), checkpoint: null }
    page = body.next
  }
}

/** Registers the keyed provider in this process; safe to call more than once. */
export function registerKeyedApi(): void {
  if (jobConnector('keyed', 'contacts')) return
  registerConnector(
    defineConnector(keyed, {
      async check(ctx) {
        try {
          const me = await call(ctx, '/me')
          return { ok: true, message: `connected to ${String(me.account)}` }
        } catch (error) {
          return { ok: false, message: (error as Error).message }
        }
      },
      jobs: { contacts: { direction: 'import', read } },
    }),
  )
}

/** A canvas source node of the keyed API. */
export const keyedSource = (id: string): JobNode => ({
  id,
  kind: 'source',
  provider: 'keyed',
  jobType: 'contacts',
  name: `Contacts ${id}`,
  position: { x: 0, y: 0 },
  data: { config: {}, cadence: { every: '1h' } },
})

/** A canvas authorization node pointing at Vault authorization `authorizationId`. */
export const authorizationNode = (id: string, provider: string, authorizationId: string | null) => ({
  id,
  kind: 'authorization' as const,
  provider,
  name: `Authorization ${id}`,
  position: { x: 0, y: 0 },
  data: { authorizationId },
})
