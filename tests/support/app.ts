import { serve } from '@hono/node-server'
import { afterAll, beforeAll } from 'vitest'
import { createApp } from '../../server/app.ts'
import { buildDeps } from '../../server/bootstrap.ts'
import { manualClock } from '../../server/clock.ts'
import { loadConfig } from '../../server/config.ts'
import type { Dialect } from '../../server/db/database.ts'
import type { Role } from '../../server/db/schema.ts'
import type { Deps } from '../../server/http/context.ts'
import { createLogger } from '../../server/log.ts'
import { openTestDatabase } from './dialects.ts'
import { freshVault } from './vault.ts'

export const ORIGIN = 'http://localhost:8080'

export interface Caller {
  /** Sent as a bearer token, or a session cookie with a same-origin Origin header. */
  token?: string
  cookie?: string
}

export interface SendOptions extends Caller {
  body?: unknown
  /** Raw body text, sent as is (for malformed JSON). */
  raw?: string
  headers?: Record<string, string>
}

/** The real app over a real database of `dialect`, with a hand-moved clock; `env` adds settings. */
export async function createTestApp(dialect: Dialect, env: Record<string, string> = {}) {
  const database = await openTestDatabase(dialect)
  const clock = manualClock('2026-03-01T12:00:00.000Z')
  // Test servers listen on loopback: the outbound guard lets them through unless a test says otherwise.
  const config = loadConfig({
    SLUICE_ALLOW_PRIVATE_NETWORK: '1',
    ...env,
    SLUICE_DATA_DIR: database.dataDir,
    SLUICE_DB: database.url,
  })
  const deps: Deps = buildDeps({
    db: database.db,
    dialect,
    config,
    clock,
    logger: createLogger({ level: 'silent' }),
    version: 'test',
    vault: freshVault(),
  })
  const app = createApp(deps)

  async function send(method: string, path: string, options: SendOptions = {}) {
    const headers: Record<string, string> = { ...options.headers }
    if (options.token) headers.authorization = `Bearer ${options.token}`
    if (options.cookie) {
      headers.cookie = options.cookie
      headers.origin ??= ORIGIN
    }
    let body: string | undefined
    if (options.raw !== undefined) body = options.raw
    else if (options.body !== undefined) body = JSON.stringify(options.body)
    if (body !== undefined) headers['content-type'] ??= 'application/json'
    const response = await app.request(
      path,
      { method, headers, ...(body !== undefined ? { body } : {}) },
      { incoming: { socket: { remoteAddress: '127.0.0.1' } } },
    )
    const text = await response.text()
    let json: unknown = null
    try {
      json = text ? JSON.parse(text) : null
    } catch {
      json = text
    }
    // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers
    return { status: response.status, headers: response.headers, json: json as any, text }
  }

  /** Completes setup and returns the admin's session cookie. */
  async function setupAdmin(email = 'admin@example.com', password = 'correct horse battery') {
    const response = await send('POST', '/api/auth/setup', {
      body: { email, name: 'Ada Admin', password },
      headers: { origin: ORIGIN },
    })
    if (response.status !== 201) throw new Error(`setup failed: ${response.status} ${response.text}`)
    return cookieOf(response.headers)
  }

  /** A user of `role`, signed in: their id, email and session cookie. */
  async function addUser(adminCookie: string, role: Role) {
    const email = `${role}-${Math.random().toString(36).slice(2, 8)}@example.com`
    const user = await send('POST', '/api/users', {
      cookie: adminCookie,
      body: { email, name: `${role} user`, password: 'password-123', role },
    })
    if (user.status !== 201) throw new Error(`user failed: ${user.status} ${user.text}`)
    const login = await send('POST', '/api/auth/login', {
      body: { email, password: 'password-123' },
      headers: { origin: ORIGIN },
    })
    const cookie = cookieOf(login.headers)
    return { user: user.json as { id: string }, cookie, email }
  }

  return {
    app,
    deps,
    clock,
    database,
    send,
    setupAdmin,
    addUser,
    close: async () => {
      await deps.hub.stop()
      await deps.dispatcher.stop()
      await deps.alerts.stop()
      await deps.unifier.stop()
      await database.close()
    },
  }
}

export type TestApp = Awaited<ReturnType<typeof createTestApp>>

export function cookieOf(headers: Headers): string {
  const setCookie = headers.get('set-cookie') ?? ''
  const match = /sluice_session=([^;]+)/.exec(setCookie)
  if (!match) throw new Error(`no session cookie in ${setCookie}`)
  return `sluice_session=${match[1]}`
}

/**
 * Builds a test app before the suite and closes it after; read it through the getter. `env` (or
 * a function giving it, for settings known only once the suite's own servers run) adds settings.
 */
export function useTestApp(
  dialect: Dialect,
  env: Record<string, string> | (() => Record<string, string>) = {},
): () => TestApp {
  let testApp: TestApp | undefined
  beforeAll(async () => {
    testApp = await createTestApp(dialect, typeof env === 'function' ? env() : env)
  })
  afterAll(async () => {
    await testApp?.close()
  })
  return () => {
    if (!testApp) throw new Error('test app not ready')
    return testApp
  }
}

/**
 * Serves a test app on a free loopback port, for clients that need real HTTP (the Segment and
 * RudderStack SDKs). `close()` also drops kept-alive connections so the suite ends at once.
 * @example const server = await listen(t().app); new Analytics({ writeKey, host: server.url })
 */
export async function listen(app: {
  // biome-ignore lint/suspicious/noExplicitAny: any app's fetch, whatever its bindings
  fetch: (request: Request, env?: any) => Response | Promise<Response>
}) {
  let server: ReturnType<typeof serve> | undefined
  const port = await new Promise<number>((resolve) => {
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => resolve(info.port))
  })
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        if (!server) return resolve()
        server.close(() => resolve())
        if ('closeAllConnections' in server) server.closeAllConnections()
      }),
  }
}
