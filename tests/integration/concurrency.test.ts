import { expect, it } from 'vitest'
import { countAdmins } from '../../server/db/users.repo.ts'
import { cookieOf, ORIGIN, useTestApp } from '../support/app.ts'
import { describeEachDialect } from '../support/dialects.ts'
import { fileDestination, sampleSource, sampleToFile } from '../support/documents.ts'

/** Races that PostgreSQL's read-committed snapshots would let through without serialization. */
describeEachDialect('concurrent requests', (dialect) => {
  const t = useTestApp(dialect)
  let admin = ''

  it('lets exactly one of several simultaneous setups win', async () => {
    const attempts = await Promise.all(
      ['a', 'b', 'c'].map((who) =>
        t().send('POST', '/api/auth/setup', {
          body: { email: `${who}@example.com`, name: who, password: 'password-123' },
          headers: { origin: ORIGIN },
        }),
      ),
    )
    expect(attempts.map((r) => r.status).sort()).toEqual([201, 409, 409])
    const winner = attempts.find((r) => r.status === 201)!
    admin = cookieOf(winner.headers)
    expect((await t().send('GET', '/api/users', { cookie: admin })).json).toHaveLength(1)
  })

  it('charges sign-in attempts before checking the password, so parallel guesses hit the limit', async () => {
    const guesses = await Promise.all(
      Array.from({ length: 16 }, () =>
        t().send('POST', '/api/auth/login', {
          body: { email: 'victim@example.com', password: 'guess-guess' },
        }),
      ),
    )
    const statuses = guesses.map((r) => r.status)
    expect(statuses.filter((s) => s === 401)).toHaveLength(10)
    expect(statuses.filter((s) => s === 429)).toHaveLength(6)
  })

  it('never lets two admins demote each other down to no admin', async () => {
    const { send, addUser, database } = t()
    const second = await addUser(admin, 'admin')
    const me = await send('GET', '/api/auth/me', { cookie: admin })
    const [a, b] = await Promise.all([
      send('PATCH', `/api/users/${me.json.id}`, { cookie: second.cookie, body: { role: 'viewer' } }),
      send('PATCH', `/api/users/${second.user.id}`, { cookie: admin, body: { role: 'viewer' } }),
    ])
    expect([a.status, b.status].sort()).toEqual([200, 409])
    expect(await countAdmins(database.db)).toBe(1)
    // Whoever is still admin signs in afresh (a lowered role ends the other's sessions).
    admin = a.status === 200 ? second.cookie : admin
  })

  it('answers 409 to the loser of two identical user creations', async () => {
    const body = { email: 'twin@example.com', name: 'Twin', password: 'password-123' }
    const [a, b] = await Promise.all([
      t().send('POST', '/api/users', { cookie: admin, body }),
      t().send('POST', '/api/users', { cookie: admin, body }),
    ])
    expect([a.status, b.status].sort()).toEqual([201, 409])
    expect([a, b].find((r) => r.status === 409)!.json.error.code).toBe('EmailTaken')
  })

  it('applies simultaneous deploys one after another: one version, one job per node', async () => {
    const { send } = t()
    const created = await send('POST', '/api/pipelines', {
      cookie: admin,
      body: { name: 'Race', document: sampleToFile() },
    })
    const id = created.json.id
    const deploys = await Promise.all(
      [1, 2, 3].map(() => send('POST', `/api/pipelines/${id}/deploy`, { cookie: admin, body: {} })),
    )
    expect(deploys.map((r) => r.status)).toEqual([200, 200, 200])
    expect(deploys.filter((r) => r.json.changed)).toHaveLength(1)
    expect((await send('GET', `/api/pipelines/${id}/versions`, { cookie: admin })).json).toHaveLength(1)
    expect((await send('GET', `/api/jobs?pipelineId=${id}`, { cookie: admin })).json).toHaveLength(2)
  })

  it('never leaves live jobs behind when a deploy races the deletion of its pipeline', async () => {
    const { send } = t()
    const nodes = [sampleSource('s'), ...Array.from({ length: 40 }, (_, i) => fileDestination(`d${i}`))]
    const edges = nodes.slice(1).map((node) => ({ id: `e-${node.id}`, source: 's', target: node.id }))
    const created = await send('POST', '/api/pipelines', {
      cookie: admin,
      body: { name: 'Doomed', document: { version: 1, nodes, edges } },
    })
    const id = created.json.id
    const [deploy, remove] = await Promise.all([
      send('POST', `/api/pipelines/${id}/deploy`, { cookie: admin, body: {} }),
      send('DELETE', `/api/pipelines/${id}`, { cookie: admin }),
    ])
    expect(remove.status).toBe(204)
    expect([200, 404]).toContain(deploy.status)
    const live = await send('GET', `/api/jobs?pipelineId=${id}&limit=1000`, { cookie: admin })
    expect(live.json).toEqual([])
  })
})
