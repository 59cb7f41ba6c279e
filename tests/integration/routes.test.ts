import { expect, it } from 'vitest'
import { useTestApp } from '../support/app.ts'
import { describeEachDialect } from '../support/dialects.ts'
import { concrete, routeTable } from '../support/routes.ts'

describeEachDialect('route table', (dialect) => {
  const t = useTestApp(dialect)
  let adminCookie = ''

  it('gives every route an access rule and lists every API route in OpenAPI', async () => {
    const rules = routeTable(t().app)
    expect(rules.length).toBeGreaterThan(25)
    const missing = rules.filter((rule) => !rule.access).map((rule) => `${rule.method} ${rule.path}`)
    expect(missing).toEqual([])
    const spec = (await t().send('GET', '/api/openapi.json')).json as {
      paths: Record<string, Record<string, unknown>>
    }
    const undocumented = rules
      .filter((rule) => /^\/(api|collect|v1)\//.test(rule.path))
      .filter((rule) => !spec.paths[rule.path.replace(/:(\w+)/g, '{$1}')]?.[rule.method.toLowerCase()])
      .map((rule) => `${rule.method} ${rule.path}`)
    expect(undocumented).toEqual([])
  })

  it('answers 401 on every non-public route without a session or token', async () => {
    for (const rule of routeTable(t().app).filter((r) => r.access !== 'public')) {
      const response = await t().send(
        rule.method,
        concrete(rule.path),
        rule.method === 'GET' ? {} : { body: {} },
      )
      expect(response.status, `${rule.method} ${rule.path}`).toBe(401)
      expect(response.json.error.code).toBe('Unauthenticated')
    }
  })

  it('answers 403 to a viewer on every editor route and to an editor on every admin route', async () => {
    const admin = await t().setupAdmin()
    adminCookie = admin
    const viewer = await t().addUser(admin, 'viewer')
    const editor = await t().addUser(admin, 'editor')
    const rules = routeTable(t().app)
    const check = async (cookie: string, access: 'editor' | 'admin') => {
      const guarded = rules.filter((rule) => rule.access === access)
      expect(guarded.length).toBeGreaterThan(0)
      for (const rule of guarded) {
        const response = await t().send(rule.method, concrete(rule.path), {
          cookie,
          ...(rule.method === 'GET' ? {} : { body: {} }),
        })
        expect(response.status, `${rule.method} ${rule.path}`).toBe(403)
        expect(response.json.error.code).toBe('Forbidden')
      }
    }
    await check(viewer.cookie, 'editor')
    await check(viewer.cookie, 'admin')
    await check(editor.cookie, 'admin')
  })

  it('answers 404 NotFound on every route about one resource when it does not exist', async () => {
    const cookie = adminCookie
    // Smallest valid bodies, so validation passes and the lookup is what answers.
    const bodies: Record<string, unknown> = {
      'PUT /api/pipelines/:id': { version: 1, name: 'x' },
      'PUT /api/audiences/:id': { name: 'x', filter: { stream: 'web' } },
      'POST /api/pipelines/:id/deploy': {},
      'POST /api/pipelines/:id/rollback': { version: 1 },
      'PATCH /api/users/:id': { name: 'x' },
      'PATCH /api/jobs/:id': { name: 'x' },
      'PATCH /api/authorizations/:id': { name: 'x' },
    }
    const withId = routeTable(t().app).filter((rule) => rule.path.includes(':id'))
    expect(withId.length).toBeGreaterThan(15)
    for (const rule of withId) {
      const key = `${rule.method} ${rule.path}`
      const body = bodies[key]
      const response = await t().send(rule.method, rule.path.replace(':id', 'no-such-id'), {
        cookie,
        ...(body !== undefined ? { body } : {}),
      })
      expect(response.status, key).toBe(404)
      expect(response.json.error.code, key).toBe('NotFound')
    }
  })
})
