import { expect, it } from 'vitest'
import type { Mapping } from '../../nodes/pipeline.ts'
import { useTestApp } from '../support/app.ts'
import { describeEachDialect } from '../support/dialects.ts'
import { collectSource } from '../support/documents.ts'

describeEachDialect('Collect API source node: mapping and pause', (dialect) => {
  const t = useTestApp(dialect)
  let admin = ''
  let key = ''
  let jobId = ''

  const get = async (path: string) => (await t().send('GET', path, { cookie: admin })).json
  const collect = (body: unknown) =>
    t().send('POST', '/collect/json/signups', { body, headers: { authorization: key } })

  it('deploys a Collect API node whose mapping renames, casts, drops and marks identities', async () => {
    admin = await t().setupAdmin()
    key = (await t().send('POST', '/api/data-keys', { cookie: admin, body: { name: 'site' } })).json.key
    const mapping: Mapping = {
      fields: [
        { from: 'Email Address', to: 'email', transform: ['trim', 'lowercase'] },
        { from: ['first', 'last'], to: 'full_name' },
        { from: 'age', to: 'age', transform: 'number' },
        { from: 'optin', to: 'subscribed', transform: 'boolean' },
        { from: 'profile.crm_id', to: 'crm_id', identity: true },
        { from: 'password', drop: true },
      ],
    }
    const document = { version: 1, nodes: [collectSource('in', 'signups', mapping)], edges: [] }
    const created = await t().send('POST', '/api/pipelines', {
      cookie: admin,
      body: { name: 'Signups', document },
    })
    expect(created.status, created.text).toBe(201)
    const deployed = await t().send('POST', `/api/pipelines/${created.json.id}/deploy`, {
      cookie: admin,
      body: { startPaused: true },
    })
    expect(deployed.status, deployed.text).toBe(200)
    jobId = deployed.json.jobs[0].jobId
    expect((await get(`/api/jobs/${jobId}`)).status).toBe('paused')
  })

  it('stores messages while paused without unifying them', async () => {
    const sent = await collect({
      'Email Address': ' Cy@Example.COM ',
      first: 'Cy',
      last: 'Young',
      age: '41',
      optin: 'yes',
      profile: { crm_id: 'CRM-7' },
      password: 'hunter2',
    })
    expect(sent.status).toBe(200)
    const [message] = await get('/api/streams/signups/messages')
    expect(message).toMatchObject({ unifiedAt: null, profileId: null })
    expect(await get('/api/profiles?q=cy@example.com')).toEqual([])
    // Other streams' uploads are unified past the held messages, which stay pending.
    const upload = await t().app.request('/collect/bulk/elsewhere', {
      method: 'POST',
      headers: { authorization: key, 'content-type': 'text/csv' },
      body: 'email\nelse@example.com\n',
    })
    expect(upload.status).toBe(200)
    await t().deps.unifier.drain()
    expect(await get('/api/profiles?q=else@example.com')).toHaveLength(1)
    expect((await get('/api/streams/signups/messages'))[0]).toMatchObject({ unifiedAt: null })
  })

  it('unifies what was held on resume, through the mapping', async () => {
    const resumed = await t().send('POST', `/api/jobs/${jobId}/resume`, { cookie: admin })
    expect(resumed.status).toBe(200)
    expect(resumed.json.status).toBe('running')
    await t().deps.unifier.drain()
    const [found] = await get('/api/profiles?q=cy@example.com')
    const person = await get(`/api/profiles/${found.id}`)
    expect(
      person.identities.map((i: { field: string; value: string }) => `${i.field}=${i.value}`).sort(),
    ).toEqual(['crm_id=CRM-7', 'email=cy@example.com'])
    const values = Object.fromEntries(
      Object.entries(person.attributes as Record<string, { value: unknown }>).map(([name, a]) => [
        name,
        a.value,
      ]),
    )
    expect(values).toEqual({
      email: 'cy@example.com',
      full_name: 'Cy Young',
      age: 41,
      subscribed: true,
      crm_id: 'CRM-7',
    })
    // The node's metrics count what its stream did to profiles: one person created, and an
    // identity-less message omitted.
    expect((await collect({ page: '/no-identity' })).status).toBe(200)
    const metrics = await get(`/api/jobs/${jobId}/metrics`)
    expect(metrics).toEqual([{ t: expect.any(String), added: 1, removed: 0, omitted: 1 }])
    const logs = await get(`/api/jobs/${jobId}/logs`)
    expect(logs.map((l: { event: string }) => l.event)).toContain('Resumed')
  })

  it('previews a Collect API node with its stream’s newest messages', async () => {
    const preview = await t().send('POST', '/api/preview', {
      cookie: admin,
      body: { provider: 'collect', jobType: 'stream', config: { stream: 'signups' } },
    })
    expect(preview.status).toBe(200)
    expect(preview.json.records.map((r: { data: object }) => r.data)).toContainEqual(
      expect.objectContaining({ 'Email Address': ' Cy@Example.COM ' }),
    )
    const empty = await t().send('POST', '/api/preview', {
      cookie: admin,
      body: { provider: 'collect', jobType: 'stream', config: { stream: 'nothing_yet' } },
    })
    expect(empty.json.records).toEqual([])
  })

  it('forgets a person whose messages are still held by a paused node', async () => {
    const [cy] = await get('/api/profiles?q=cy@example.com')
    expect((await t().send('POST', `/api/jobs/${jobId}/pause`, { cookie: admin })).json.status).toBe('paused')
    expect((await collect({ 'Email Address': 'CY@example.com', first: 'Secret' })).status).toBe(200)
    expect((await t().send('DELETE', `/api/profiles/${cy.id}`, { cookie: admin })).status).toBe(204)
    expect((await t().send('POST', `/api/jobs/${jobId}/resume`, { cookie: admin })).status).toBe(200)
    await t().deps.unifier.drain()
    // The held message named the forgotten person: it is dropped, not turned into a new profile.
    expect(await get('/api/profiles?q=cy@example.com')).toEqual([])
    expect(JSON.stringify(await get('/api/streams/signups/messages'))).not.toContain('Secret')
  })

  it('refuses transitions that make no sense', async () => {
    const again = await t().send('POST', `/api/jobs/${jobId}/resume`, { cookie: admin })
    expect(again.status).toBe(409)
    expect(again.json.error.code).toBe('InvalidTransition')
    expect((await t().send('POST', `/api/jobs/${jobId}/pause`, { cookie: admin })).json.status).toBe('paused')
    expect((await t().send('POST', '/api/jobs/nope/pause', { cookie: admin })).status).toBe(404)
  })
})
