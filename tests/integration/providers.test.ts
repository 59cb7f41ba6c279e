import fs from 'node:fs'
import { expect, it } from 'vitest'
import { useTestApp } from '../support/app.ts'
import { describeEachDialect } from '../support/dialects.ts'

describeEachDialect('catalogue and preview', (dialect) => {
  const t = useTestApp(dialect)
  let admin = ''

  it('serves every provider with JSON Schemas generated from zod', async () => {
    admin = await t().setupAdmin()
    const response = await t().send('GET', '/api/providers', { cookie: admin })
    expect(response.status).toBe(200)
    const ids = response.json.map((p: { id: string }) => p.id)
    expect(ids).toEqual(expect.arrayContaining(['sample', 'file-export']))
    const sample = response.json.find((p: { id: string }) => p.id === 'sample')
    expect(sample).toMatchObject({
      title: 'Sample data',
      category: 'source',
      icon: expect.stringContaining('<svg'),
    })
    const events = sample.jobTypes[0]
    expect(events).toMatchObject({
      id: 'events',
      direction: 'import',
      requiresAuthorization: false,
      resetsCheckpoint: expect.arrayContaining(['seed']),
    })
    expect(events.configSchema).toMatchObject({ type: 'object', properties: { seed: expect.any(Object) } })
    expect(sample.authMethods[0].schema.type).toBe('object')
  })

  it('previews a source with no side effects', async () => {
    const { send, database } = t()
    const tables = ['pipelines', 'jobs', 'job_logs', 'job_runs', 'job_metrics'] as const
    const count = async () =>
      Promise.all(
        tables.map(async (table) => (await database.db.selectFrom(table).selectAll().execute()).length),
      )
    const before = await count()
    const filesBefore = fs.readdirSync(database.dataDir).sort()
    const preview = await send('POST', '/api/preview', {
      cookie: admin,
      body: { provider: 'sample', jobType: 'events', config: { seed: 3 } },
    })
    expect(preview.status).toBe(200)
    expect(preview.json.records.length).toBeGreaterThan(0)
    expect(preview.json.records.length).toBeLessThanOrEqual(20)
    expect(preview.json.records[0]).toMatchObject({
      key: expect.any(String),
      data: expect.objectContaining({ email: expect.any(String) }),
    })
    expect(preview.json.schema.properties.email.type).toContain('string')
    const again = await send('POST', '/api/preview', {
      cookie: admin,
      body: { provider: 'sample', jobType: 'events', config: { seed: 3 } },
    })
    expect(again.json.records).toEqual(preview.json.records)
    expect(await count()).toEqual(before)
    expect(fs.readdirSync(database.dataDir).sort()).toEqual(filesBefore)
  })

  it('refuses previews of unknown providers, destinations and bad config, naming the field', async () => {
    const { send } = t()
    const unknown = await send('POST', '/api/preview', {
      cookie: admin,
      body: { provider: 'nope', jobType: 'x', config: {} },
    })
    expect(unknown.json.error.code).toBe('UnknownProvider')
    const destination = await send('POST', '/api/preview', {
      cookie: admin,
      body: { provider: 'file-export', jobType: 'file', config: {} },
    })
    expect(destination.status).toBe(400)
    expect(destination.json.error.code).toBe('NotASource')
    const bad = await send('POST', '/api/preview', {
      cookie: admin,
      body: { provider: 'sample', jobType: 'events', config: { customers: 'lots' } },
    })
    expect(bad.status).toBe(400)
    expect(bad.json.error.message).toMatch(/config\.customers/)
  })
})
