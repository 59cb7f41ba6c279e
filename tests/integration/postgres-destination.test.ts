import type pg from 'pg'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { columnFor } from '../../nodes/postgres/postgres.destination.ts'
import { useTestApp } from '../support/app.ts'
import { describeEachDialect } from '../support/dialects.ts'
import { collectSource, edge, sampleSource } from '../support/documents.ts'
import { authorizationNode } from '../support/keyed-api.ts'
import { audienceNode, deployPipeline, runJobNow } from '../support/pipelines.ts'
import { startWarehouse, type Warehouse } from '../support/warehouse.ts'

describeEachDialect('PostgreSQL destination', (dialect) => {
  let warehouse: Warehouse
  let mart: pg.Client
  beforeAll(async () => {
    warehouse = await startWarehouse(['mart'])
    mart = await warehouse.client('mart')
    await mart.query(`CREATE SCHEMA crm; CREATE ROLE writer LOGIN PASSWORD 'writer-pw'`)
  }, 60_000)
  afterAll(async () => {
    await mart?.end()
    warehouse?.stop()
  })
  const t = useTestApp(dialect)

  let admin = ''
  beforeAll(async () => {
    admin = await t().setupAdmin()
  })

  it('delivers exactly the audience to a table it keeps in shape; people who leave are deleted, flagged or logged', async () => {
    const authorization = await t().send('POST', '/api/authorizations', {
      cookie: admin,
      body: {
        name: 'Mart',
        provider: 'postgres',
        method: 'basic',
        credentials: warehouse.credentials('mart'),
      },
    })
    expect(authorization.status, authorization.text).toBe(201)
    const filter = { field: 'country', op: 'in', value: ['US', 'GB'] }
    const audience = (
      await t().send('POST', '/api/audiences', { cookie: admin, body: { name: 'US and UK', filter } })
    ).json
    const destination = (id: string, config: Record<string, unknown>) => ({
      id,
      kind: 'destination' as const,
      provider: 'postgres',
      jobType: 'table',
      name: `Table ${id}`,
      position: { x: 0, y: 0 },
      data: { config, cadence: { every: '1h' } },
    })
    const { jobOf } = await deployPipeline(t(), admin, 'Audience to PostgreSQL', {
      version: 1,
      nodes: [
        sampleSource('src', { customers: 30, eventsPerRun: 200, seed: 7 }),
        audienceNode('aud', audience.id),
        destination('dst', { table: 'crm.audience' }),
        destination('flag', { table: 'audience_flagged', removals: 'flag' }),
        destination('log', { table: 'audience_log', mode: 'append' }),
        authorizationNode('auth', 'postgres', authorization.json.id),
      ],
      edges: [
        edge('src', 'aud'),
        edge('aud', 'dst'),
        edge('aud', 'flag'),
        edge('aud', 'log'),
        edge('auth', 'dst'),
        edge('auth', 'flag'),
        edge('auth', 'log'),
      ],
    })
    const run = async (node: string) =>
      expect((await runJobNow(t(), admin, jobOf(node))).lastError, node).toBeNull()
    const members = async (of: Record<string, unknown>) => {
      const answer = await t().send('POST', '/api/audiences/preview', {
        cookie: admin,
        body: { filter: of, limit: 100 },
      })
      expect(answer.json.count).toBeLessThanOrEqual(100)
      return (answer.json.sample as { attributes: { email: string; country: string } }[])
        .map((profile) => profile.attributes.email)
        .sort()
    }
    const ids = async (sql: string) =>
      (await mart.query<{ id: string }>(sql)).rows.map((row) => row.id).sort()

    await run('src')
    for (const node of ['dst', 'flag', 'log']) await run(node)
    const everyone = await members(filter)
    expect(everyone.length).toBeGreaterThan(5)
    expect(await ids('SELECT id FROM crm.audience')).toEqual(everyone)
    expect(await ids('SELECT id FROM audience_flagged WHERE sluice_removed_at IS NULL')).toEqual(everyone)
    // Columns follow the profiles' fields, typed by their values.
    const columns = Object.fromEntries(
      (
        await mart.query<{ column_name: string; data_type: string }>(
          `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'crm' AND table_name = 'audience'`,
        )
      ).rows.map((row) => [row.column_name, row.data_type]),
    )
    expect(columns).toMatchObject({ id: 'text', email: 'text', country: 'text' })
    const row = (await mart.query(`SELECT * FROM crm.audience WHERE id = $1`, [everyone[0]])).rows[0]
    expect(['US', 'GB']).toContain(row.country)
    expect(row.email).toBe(everyone[0])

    // The audience narrows to the US: the others leave, and the next runs deliver that.
    const narrowed = { field: 'country', op: 'eq', value: 'US' }
    const updated = await t().send('PUT', `/api/audiences/${audience.id}`, {
      cookie: admin,
      body: { name: 'US', filter: narrowed, version: audience.version },
    })
    expect(updated.status, updated.text).toBe(200)
    const stayed = await members(narrowed)
    const left = everyone.filter((email) => !stayed.includes(email))
    expect(left.length).toBeGreaterThan(0)
    for (const node of ['dst', 'flag', 'log']) await run(node)
    expect(await ids('SELECT id FROM crm.audience')).toEqual(stayed)
    expect(await ids('SELECT id FROM audience_flagged WHERE sluice_removed_at IS NULL')).toEqual(stayed)
    expect(await ids('SELECT id FROM audience_flagged WHERE sluice_removed_at IS NOT NULL')).toEqual(left)
    expect(await ids(`SELECT id FROM audience_log WHERE op = 'upsert'`)).toEqual(everyone)
    expect(await ids(`SELECT id FROM audience_log WHERE op = 'remove'`)).toEqual(left)
    // A third run with no change writes nothing more.
    for (const node of ['dst', 'log']) await run(node)
    expect(Number((await mart.query('SELECT count(*) AS n FROM audience_log')).rows[0].n)).toBe(
      everyone.length + left.length,
    )
  })

  it('refuses a table it does not own, and a user who may not create one', async () => {
    await mart.query(`CREATE TABLE crm.orders (order_no int PRIMARY KEY);
      CREATE TABLE crm.theirs (id text PRIMARY KEY, sluice_updated_at timestamptz NOT NULL);
      GRANT USAGE ON SCHEMA crm TO writer`)
    const authorize = async (name: string, overrides: Record<string, unknown> = {}) =>
      (
        await t().send('POST', '/api/authorizations', {
          cookie: admin,
          body: {
            name,
            provider: 'postgres',
            method: 'basic',
            credentials: warehouse.credentials('mart', overrides),
          },
        })
      ).json.id as string
    const owner = await authorize('Owner')
    const writer = await authorize('Writer', { username: 'writer', password: 'writer-pw' })
    const test = async (id: string, config: Record<string, unknown>) =>
      (await t().send('POST', `/api/authorizations/${id}/test`, { cookie: admin, body: { config } })).json
    expect(await test(writer, { table: 'crm.theirs' })).toEqual({
      ok: false,
      message: expect.stringMatching(/may not insert, update and delete in table crm\.theirs/),
    })
    expect(await test(writer, { table: 'people' })).toEqual({
      ok: false,
      message: expect.stringMatching(/may not create tables in schema public/),
    })
    expect(await test(owner, { table: 'crm.brand_new' })).toMatchObject({ ok: true })
    // A config the destination would refuse is named as such, not as a PostgreSQL error.
    expect(await test(owner, { table: 'bad name!' })).toEqual({
      ok: false,
      message: expect.stringMatching(/^invalid PostgreSQL destination config: .*table/s),
    })

    const key = (await t().send('POST', '/api/data-keys', { cookie: admin, body: { name: 'k' } })).json.key
    await t().send('POST', '/collect/json/web', {
      body: { email: 'ann@example.com', plan: 'pro', score: 3 },
      headers: { authorization: key },
    })
    const audience = (
      await t().send('POST', '/api/audiences', {
        cookie: admin,
        body: { name: 'Everyone', filter: { stream: 'web' } },
      })
    ).json.id
    const deploy = async (name: string, table: string, authorization: string) =>
      (
        await deployPipeline(t(), admin, name, {
          version: 1,
          nodes: [
            collectSource('src', 'web'),
            audienceNode('aud', audience),
            {
              id: 'dst',
              kind: 'destination',
              provider: 'postgres',
              jobType: 'table',
              name,
              position: { x: 0, y: 0 },
              data: { config: { table }, cadence: { every: '1h' } },
            },
            authorizationNode('auth', 'postgres', authorization),
          ],
          edges: [edge('src', 'aud'), edge('aud', 'dst'), edge('auth', 'dst')],
        })
      ).jobOf('dst')
    const run = (job: string) => runJobNow(t(), admin, job)
    const foreign = await run(await deploy('Foreign table', 'crm.orders', owner))
    expect(foreign).toMatchObject({ status: 'sleeping', sleepReason: 'retry' })
    expect(foreign.lastError).toMatch(
      /table crm\.orders exists but is not one Sluice writes.*name a new table/,
    )
    const denied = await run(await deploy('Denied', 'people', writer))
    expect(denied.lastError).toMatch(/permission denied for schema public.*grant user "writer"/)
    expect((await mart.query(`SELECT to_regclass('public.people') AS t`)).rows[0].t).toBeNull()
  })
})

it('names columns so PostgreSQL never cuts or confuses them', () => {
  expect(columnFor('email')).toBe('email')
  expect(columnFor('id')).toBe('field_id')
  expect(columnFor('sluice_updated_at')).toBe('field_sluice_updated_at')
  const long = columnFor('a'.repeat(80))
  expect(Buffer.byteLength(long)).toBeLessThanOrEqual(63)
  expect(long).not.toBe(columnFor(`${'a'.repeat(79)}b`))
})
