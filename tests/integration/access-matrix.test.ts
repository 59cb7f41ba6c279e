import { beforeAll, expect, it } from 'vitest'
import type { Access } from '../../server/http/route.ts'
import { ORIGIN, useTestApp } from '../support/app.ts'
import { describeEachDialect } from '../support/dialects.ts'
import { concrete, routeTable } from '../support/routes.ts'

type Caller =
  | 'anonymous'
  | 'viewer'
  | 'editor'
  | 'admin'
  | 'viewer token'
  | 'editor token'
  | 'admin token'
  | 'data key'
const CALLERS: Caller[] = [
  'anonymous',
  'viewer',
  'editor',
  'admin',
  'viewer token',
  'editor token',
  'admin token',
  'data key',
]
const RANK = { viewer: 1, editor: 2, admin: 3 } as const

/** Whether `caller` passes a route's access rule. */
function allowed(access: Access, caller: Caller): boolean {
  if (access === 'public') return true
  if (access === 'datakey') return caller === 'data key'
  if (caller === 'anonymous' || caller === 'data key') return false
  const role = caller.replace(' token', '') as keyof typeof RANK
  return RANK[role] >= RANK[access]
}

describeEachDialect('access control', (dialect) => {
  const t = useTestApp(dialect, { SLUICE_COLLECT_RATE_LIMIT: '5' })
  let admin = ''
  beforeAll(async () => {
    admin = await t().setupAdmin()
  })

  it('holds the full role matrix over every route: sessions, API tokens and data keys', async () => {
    const viewer = (await t().addUser(admin, 'viewer')).cookie
    const editor = (await t().addUser(admin, 'editor')).cookie
    const token = async (role: string) =>
      (await t().send('POST', '/api/tokens', { cookie: admin, body: { name: role, role } })).json
        .token as string
    const dataKey = (await t().send('POST', '/api/data-keys', { cookie: admin, body: { name: 'Web' } })).json
      .key as string
    const credentials: Record<Caller, { cookie?: string; token?: string; headers?: Record<string, string> }> =
      {
        anonymous: {},
        viewer: { cookie: viewer },
        editor: { cookie: editor },
        admin: { cookie: admin },
        'viewer token': { token: await token('viewer') },
        'editor token': { token: await token('editor') },
        'admin token': { token: await token('admin') },
        'data key': { headers: { authorization: dataKey } },
      }
    /** The status of one call; an event stream that opened is closed at once. */
    const probe = async (method: string, path: string, as: (typeof credentials)[Caller]) => {
      const headers: Record<string, string> = { ...as.headers }
      if (as.token) headers.authorization = `Bearer ${as.token}`
      if (as.cookie) Object.assign(headers, { cookie: as.cookie, origin: ORIGIN })
      if (method !== 'GET') headers['content-type'] = 'application/json'
      const response = await t().app.request(
        path,
        { method, headers, ...(method === 'GET' ? {} : { body: '{}' }) },
        { incoming: { socket: { remoteAddress: '127.0.0.1' } } },
      )
      if (response.headers.get('content-type')?.startsWith('text/event-stream')) await response.body?.cancel()
      else await response.text()
      return response.status
    }
    const rules = routeTable(t().app).filter((rule) => rule.access !== 'public')
    expect(rules.length).toBeGreaterThan(60)
    const wrong: string[] = []
    for (const rule of rules) {
      for (const caller of CALLERS) {
        const status = await probe(rule.method, concrete(rule.path), credentials[caller])
        const passed = ![401, 403].includes(status)
        const expected = allowed(rule.access!, caller)
        if (passed !== expected || status >= 500)
          wrong.push(`${rule.method} ${rule.path} as ${caller}: ${status}`)
        if (!expected && caller === 'anonymous') expect(status).toBe(401)
      }
    }
    expect(wrong).toEqual([])
  }, 240_000)

  it('refuses mass assignment: who created something, a status or a role never come from a body', async () => {
    const cookie = admin
    const editor = await t().addUser(cookie, 'editor')
    const attempts: [string, string, Record<string, unknown>, string][] = [
      [
        'POST',
        '/api/pipelines',
        { name: 'p', document: { version: 1, nodes: [], edges: [] }, createdBy: 'someone' },
        editor.cookie,
      ],
      [
        'POST',
        '/api/authorizations',
        { name: 'a', provider: 'sample', method: 'none', createdBy: 'x' },
        editor.cookie,
      ],
      [
        'POST',
        '/api/alerts',
        {
          name: 'a',
          condition: { kind: 'failed' },
          targets: [{ type: 'email', to: ['a@b.co'] }],
          created_by: 'x',
        },
        editor.cookie,
      ],
      ['POST', '/api/audiences', { name: 'a', filter: { stream: 'web' }, createdBy: 'x' }, editor.cookie],
      ['POST', '/api/data-keys', { name: 'k', createdBy: 'x' }, cookie],
      [
        'POST',
        '/api/users',
        { email: 'x@example.com', name: 'x', password: 'password-123', role: 'viewer', createdBy: 'x' },
        cookie,
      ],
    ]
    for (const [method, path, body, as] of attempts) {
      const response = await t().send(method, path, { cookie: as, body })
      expect(response.status, path).toBe(400)
      expect(response.json.error.message, path).toMatch(/createdBy|created_by|Unrecognized key/)
    }
    // A job's status changes only through pause/resume/run; a job PATCH takes name and description.
    const pipeline = await t().send('POST', '/api/pipelines', {
      cookie: editor.cookie,
      body: { name: 'Mass', document: { version: 1, nodes: [], edges: [] } },
    })
    expect(pipeline.json.createdBy).toBe(editor.user.id)
    const patchUser = await t().send('PATCH', `/api/users/${editor.user.id}`, {
      cookie: editor.cookie,
      body: { role: 'admin' },
    })
    expect(patchUser.status).toBe(403)
    const me = await t().send('GET', '/api/auth/me', { cookie: editor.cookie })
    expect(me.json.role).toBe('editor')
    const escalate = await t().send('POST', '/api/tokens', {
      cookie: editor.cookie,
      body: { name: 't', role: 'admin' },
    })
    expect(escalate.status).toBe(403)
    const setupAgain = await t().send('POST', '/api/auth/setup', {
      body: { email: 'evil@example.com', name: 'Evil', password: 'password-123' },
      headers: { origin: ORIGIN },
    })
    expect(setupAgain.status).toBe(409)
  })

  it('refuses cookie requests that change data from a foreign origin or none; tokens need no origin', async () => {
    const cookie = admin
    const unsafe = routeTable(t().app).filter(
      (rule) => rule.path.startsWith('/api/') && rule.access !== 'public' && rule.method !== 'GET',
    )
    expect(unsafe.length).toBeGreaterThan(30)
    for (const rule of unsafe) {
      for (const [origin, code] of [
        ['https://evil.example', 'OriginMismatch'],
        ['http://localhost:9999', 'OriginMismatch'],
        ['null', 'OriginMismatch'],
      ] as const) {
        const response = await t().send(rule.method, concrete(rule.path), {
          cookie,
          body: {},
          headers: { origin },
        })
        expect(response.status, `${rule.method} ${rule.path} from ${origin}`).toBe(403)
        expect(response.json.error.code).toBe(code)
      }
      const bare = await t().app.request(concrete(rule.path), {
        method: rule.method,
        headers: { cookie, 'content-type': 'application/json' },
        body: '{}',
      })
      expect(bare.status, `${rule.method} ${rule.path} without an origin`).toBe(403)
    }
    const token = (await t().send('POST', '/api/tokens', { cookie, body: { name: 'ci' } })).json
      .token as string
    const created = await t().send('POST', '/api/data-keys', { token, body: { name: 'From CI' } })
    expect(created.status).toBe(201)
  })

  it('sends security headers on the API and the app shell', async () => {
    for (const path of ['/api/health', '/api/docs', '/nothing-here']) {
      const response = await t().app.request(path)
      const csp = response.headers.get('content-security-policy') ?? ''
      expect(csp, path).toMatch(/default-src 'self'/)
      expect(csp).toMatch(/script-src 'self'(;|$)/)
      expect(csp).toMatch(/frame-ancestors 'none'/)
      expect(csp).toMatch(/object-src 'none'/)
      expect(response.headers.get('x-frame-options')).toBe('DENY')
      expect(response.headers.get('x-content-type-options')).toBe('nosniff')
      expect(response.headers.get('referrer-policy')).toBe('same-origin')
    }
  })

  it('rate-limits wrong API tokens and data keys per address, and collect per data key, with Retry-After', async () => {
    const from = (address: string) => ({ incoming: { socket: { remoteAddress: address } } })
    const call = (path: string, authorization: string, address: string, init: RequestInit = {}) =>
      t().app.request(
        path,
        { ...init, headers: { authorization, ...(init.headers as object) } },
        from(address),
      )
    let last: Response | undefined
    for (let n = 0; n < 51; n++) last = await call('/api/jobs', `Bearer slc_guess_${n}`, '203.0.113.7')
    expect(last!.status).toBe(429)
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0)
    expect((await last!.json()).error.message).toMatch(/too many unknown API tokens or data keys/)
    // Other addresses are not affected; a wrong data key counts the same.
    expect((await call('/api/jobs', 'Bearer slc_guess', '203.0.113.8')).status).toBe(401)
    const collect = {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"email":"a@b.co"}',
    }
    expect((await call('/collect/json/web', 'sdk_guess', '203.0.113.7', collect)).status).toBe(429)

    const cookie = admin
    const key = (await t().send('POST', '/api/data-keys', { cookie, body: { name: 'Burst' } })).json
      .key as string
    const statuses: number[] = []
    let limited: Response | undefined
    for (let n = 0; n < 8; n++) {
      const response = await call('/collect/json/burst', key, '198.51.100.1', collect)
      statuses.push(response.status)
      if (response.status === 429) limited = response
    }
    expect(statuses.filter((status) => status === 200).length).toBeLessThanOrEqual(5)
    expect(statuses).toContain(429)
    expect(limited!.headers.get('retry-after')).toBe('1')
    expect((await limited!.json()).error.message).toMatch(/more than 5 requests a second/)
  })
})
