import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'

/**
 * What every SaaS emulator shares: a Hono app on loopback that records each call it gets, and a
 * queue of faults the test arms (a 429 with `Retry-After`, a 5xx, a 401, a provider's own error
 * body) that the next matching requests get instead of the real answer. Each emulator adds the
 * provider's documented routes on `app`; its authentication is its own.
 */

export interface RecordedCall {
  method: string
  /** Path and query, as sent. */
  path: string
  headers: Record<string, string>
  /** The body as text (JSON bodies stay text so tests can parse what was really sent). */
  body: string
}

export interface Fault {
  status: number
  body?: unknown
  headers?: Record<string, string>
  /** Only requests whose `METHOD path` matches get it; all do when absent. */
  match?: RegExp
  /** How many requests get it (default 1). */
  times?: number
}

export interface Emulator {
  url: string
  app: Hono
  calls: RecordedCall[]
  /** Calls whose `METHOD path` matches, e.g. `emulator.callsTo(/^POST \/3.0\/lists/)`. */
  callsTo(pattern: RegExp): RecordedCall[]
  /** The next matching requests get this answer instead of the route's. */
  fail(fault: Fault): void
  close(): Promise<void>
}

/**
 * Starts an emulator; `routes` adds the provider's documented routes to the app.
 * @example const hubspot = await startEmulator((app) => app.get('/crm/v3/objects/contacts', ...))
 */
export async function startEmulator(routes: (app: Hono) => void): Promise<Emulator> {
  const calls: RecordedCall[] = []
  const faults: (Fault & { left: number })[] = []
  const app = new Hono()
  app.use(async (c, next) => {
    const url = new URL(c.req.url)
    const body = ['GET', 'HEAD'].includes(c.req.method) ? '' : await c.req.text()
    const call = {
      method: c.req.method,
      path: `${url.pathname}${url.search}`,
      headers: Object.fromEntries(c.req.raw.headers.entries()),
      body,
    }
    calls.push(call)
    const line = `${call.method} ${call.path}`
    const fault = faults.find((armed) => armed.left > 0 && (!armed.match || armed.match.test(line)))
    if (fault) {
      fault.left--
      return new Response(fault.body === undefined ? null : JSON.stringify(fault.body), {
        status: fault.status,
        headers: {
          ...(fault.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...fault.headers,
        },
      })
    }
    await next()
  })
  routes(app)
  const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 })
  await new Promise<void>((resolve) => server.once('listening', () => resolve()))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    app,
    calls,
    callsTo: (pattern) => calls.filter((call) => pattern.test(`${call.method} ${call.path}`)),
    fail: (fault) => faults.push({ ...fault, left: fault.times ?? 1 }),
    close: () =>
      new Promise<void>((resolve) => {
        if ('closeAllConnections' in server) server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** The bearer token of a recorded or live request, or null. */
export function bearerOf(authorization: string | undefined | null): string | null {
  return /^Bearer (.+)$/i.exec(authorization ?? '')?.[1] ?? null
}
