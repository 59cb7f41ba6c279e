import { expect, it } from 'vitest'
import type { AudienceFilter } from '../../nodes/audience.ts'
import { useTestApp } from '../support/app.ts'
import { describeEachDialect } from '../support/dialects.ts'

const PEOPLE = [
  {
    stream: 'web',
    body: {
      email: 'ann@example.com',
      plan: 'pro',
      visits: 12,
      vip: true,
      signup: '2026-01-05',
      city: 'Berlin',
    },
  },
  {
    stream: 'web',
    body: {
      email: 'bob@example.com',
      plan: 'free',
      visits: 3,
      vip: false,
      signup: '2026-02-10',
      city: 'Boston',
    },
  },
  {
    stream: 'crm',
    body: { email: 'cy@example.com', plan: 'pro', visits: '7', signup: '2025-12-24', city: 'berlin-mitte' },
  },
  { stream: 'crm', body: { email: 'dee@example.com', plan: 'team', visits: 40 } },
  { stream: 'shop', body: { email: 'ann@example.com', orders: 2 } },
]

describeEachDialect('audiences: saved filters with live counts, evaluated in the database', (dialect) => {
  const t = useTestApp(dialect)
  let admin = ''

  const emailsOf = async (filter: AudienceFilter) => {
    const answer = await t().send('POST', '/api/audiences/preview', {
      cookie: admin,
      body: { filter, limit: 100 },
    })
    expect(answer.status, answer.text).toBe(200)
    const emails = (answer.json.sample as { attributes: { email: string } }[])
      .map((p) => p.attributes.email)
      .sort()
    expect(answer.json.count).toBe(emails.length)
    return emails
  }

  it('matches every operator on typed attribute values, and streams', async () => {
    admin = await t().setupAdmin()
    const key = (await t().send('POST', '/api/data-keys', { cookie: admin, body: { name: 'k' } })).json.key
    for (const person of PEOPLE) {
      const sent = await t().send('POST', `/collect/json/${person.stream}`, {
        body: person.body,
        headers: { authorization: key },
      })
      expect(sent.status, sent.text).toBe(200)
    }
    expect(await emailsOf({ field: 'plan', op: 'eq', value: 'pro' })).toEqual([
      'ann@example.com',
      'cy@example.com',
    ])
    // Typed: the number 7 is not the text "7".
    expect(await emailsOf({ field: 'visits', op: 'eq', value: 7 })).toEqual([])
    expect(await emailsOf({ field: 'visits', op: 'eq', value: '7' })).toEqual(['cy@example.com'])
    expect(await emailsOf({ field: 'visits', op: 'gt', value: 10 })).toEqual([
      'ann@example.com',
      'dee@example.com',
    ])
    expect(await emailsOf({ field: 'visits', op: 'lte', value: 12 })).toEqual([
      'ann@example.com',
      'bob@example.com',
    ])
    expect(await emailsOf({ field: 'visits', op: 'gte', value: 40 })).toEqual(['dee@example.com'])
    expect(await emailsOf({ field: 'signup', op: 'lt', value: '2026-01-01' })).toEqual(['cy@example.com'])
    expect(await emailsOf({ field: 'vip', op: 'eq', value: true })).toEqual(['ann@example.com'])
    // neq includes people without the attribute.
    expect(await emailsOf({ field: 'plan', op: 'neq', value: 'pro' })).toEqual([
      'bob@example.com',
      'dee@example.com',
    ])
    expect(await emailsOf({ field: 'city', op: 'contains', value: 'BERLIN' })).toEqual([
      'ann@example.com',
      'cy@example.com',
    ])
    expect(await emailsOf({ field: 'plan', op: 'in', value: ['team', 'free'] })).toEqual([
      'bob@example.com',
      'dee@example.com',
    ])
    expect(await emailsOf({ field: 'vip', op: 'exists' })).toEqual(['ann@example.com', 'bob@example.com'])
    expect(await emailsOf({ stream: 'shop' })).toEqual(['ann@example.com'])
    expect(
      await emailsOf({
        and: [
          {
            or: [
              { field: 'plan', op: 'eq', value: 'pro' },
              { field: 'visits', op: 'gt', value: 30 },
            ],
          },
          { not: { stream: 'shop' } },
        ],
      }),
    ).toEqual(['cy@example.com', 'dee@example.com'])
    expect(await emailsOf({ field: 'no such field', op: 'exists' })).toEqual([])
  })

  it('saves, lists, searches, counts live, updates with versions and deletes audiences', async () => {
    const created = await t().send('POST', '/api/audiences', {
      cookie: admin,
      body: {
        name: 'Pro plan',
        description: 'Paying people',
        filter: { field: 'plan', op: 'eq', value: 'pro' },
      },
    })
    expect(created.status, created.text).toBe(201)
    expect(created.json).toMatchObject({ name: 'Pro plan', version: 1, count: 2 })
    const id = created.json.id
    const twin = await t().send('POST', '/api/audiences', {
      cookie: admin,
      body: { name: 'PRO PLAN', filter: { stream: 'web' } },
    })
    expect(twin.status).toBe(409)
    expect(twin.json.error.code).toBe('NameTaken')
    await t().send('POST', '/api/audiences', {
      cookie: admin,
      body: { name: 'Web visitors', filter: { stream: 'web' } },
    })
    expect(
      (await t().send('GET', '/api/audiences?q=paying', { cookie: admin })).json.map(
        (a: { id: string }) => a.id,
      ),
    ).toEqual([id])
    expect(
      (await t().send('GET', '/api/audiences', { cookie: admin })).json.map((a: { name: string }) => a.name),
    ).toEqual(['Pro plan', 'Web visitors'])
    // Live: a new pro member counts at once.
    const key = (await t().send('POST', '/api/data-keys', { cookie: admin, body: { name: 'k2' } })).json.key
    await t().send('POST', '/collect/json/web', {
      body: { email: 'eve@example.com', plan: 'pro' },
      headers: { authorization: key },
    })
    expect((await t().send('GET', `/api/audiences/${id}`, { cookie: admin })).json.count).toBe(3)
    const updated = await t().send('PUT', `/api/audiences/${id}`, {
      cookie: admin,
      body: { name: 'Pro or team', filter: { field: 'plan', op: 'in', value: ['pro', 'team'] }, version: 1 },
    })
    expect(updated.json).toMatchObject({ version: 2, count: 4 })
    const stale = await t().send('PUT', `/api/audiences/${id}`, {
      cookie: admin,
      body: { name: 'Stale', filter: { stream: 'web' }, version: 1 },
    })
    expect(stale.status).toBe(409)
    expect(stale.json.error.code).toBe('VersionConflict')
    // In use by a pipeline: deleting is refused, naming it; a node naming a missing audience is a problem.
    const document = {
      version: 1,
      nodes: [
        { id: 'aud', kind: 'audience', name: 'Pros', position: { x: 0, y: 0 }, data: { audienceId: id } },
      ],
      edges: [],
    }
    const pipeline = await t().send('POST', '/api/pipelines', {
      cookie: admin,
      body: { name: 'Uses it', document },
    })
    const refused = await t().send('DELETE', `/api/audiences/${id}`, { cookie: admin })
    expect(refused.status).toBe(409)
    expect(refused.json.error.message).toMatch(/"Uses it"/)
    await t().send('DELETE', `/api/pipelines/${pipeline.json.id}`, { cookie: admin })
    expect((await t().send('DELETE', `/api/audiences/${id}`, { cookie: admin })).status).toBe(204)
    expect((await t().send('GET', `/api/audiences/${id}`, { cookie: admin })).status).toBe(404)
    const dangling = await t().send('POST', '/api/pipelines', {
      cookie: admin,
      body: { name: 'Dangling', document },
    })
    const problems = (
      await t().send('POST', `/api/pipelines/${dangling.json.id}/validate`, { cookie: admin })
    ).json
    expect(problems.errors.map((p: { code: string }) => p.code)).toContain('UnknownAudience')
  })

  it('refuses bad filters with a message that says what to fix, and viewers cannot save', async () => {
    const bad = async (filter: unknown) => {
      const answer = await t().send('POST', '/api/audiences/preview', { cookie: admin, body: { filter } })
      expect(answer.status, answer.text).toBe(400)
      return answer.json.error.message as string
    }
    expect(await bad({ field: 'visits', op: 'gt', value: true })).toMatch(/number or a string/)
    expect(await bad({ field: 'city', op: 'contains', value: 3 })).toMatch(/give a string/)
    expect(await bad({ field: 'a"b', op: 'exists' })).toMatch(/quotes/)
    expect(await bad({ and: [] })).toMatch(/a group needs at least one condition/)
    expect(await bad({ field: 'plan', op: 'like', value: 'p%' })).toMatch(
      /unknown operator "like": use one of eq, neq/,
    )
    expect(await bad({ fild: 'plan' })).toMatch(/a condition is \{ field, op, value \}/)
    let deep: unknown = { stream: 'web' }
    for (let n = 0; n < 12; n++) deep = { not: deep }
    expect(await bad(deep)).toMatch(/nest at most 10/)
    const viewer = await t().addUser(admin, 'viewer')
    const preview = await t().send('POST', '/api/audiences/preview', {
      cookie: viewer.cookie,
      body: { filter: { stream: 'web' } },
    })
    expect(preview.status).toBe(200)
    const save = await t().send('POST', '/api/audiences', {
      cookie: viewer.cookie,
      body: { name: 'Nope', filter: { stream: 'web' } },
    })
    expect(save.status).toBe(403)
  })
})
