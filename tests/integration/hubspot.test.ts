import { afterAll, beforeAll, expect, it } from 'vitest'
import type { ConnectorContext, WriteAck } from '../../nodes/define.ts'
import { writeAudience } from '../../nodes/hubspot/hubspot.destination.ts'
import type { ContactsExportConfig } from '../../nodes/hubspot/hubspot.node.ts'
import { LOOKBACK_MS } from '../../nodes/hubspot/hubspot.source.ts'
import { outboundContext } from '../../server/net/outbound.ts'
import { useTestApp } from '../support/app.ts'
import { describeEachDialect } from '../support/dialects.ts'
import { collectSource, edge } from '../support/documents.ts'
import { burstLimited, type HubSpotEmulator, startHubSpot } from '../support/emulators/hubspot.ts'
import { authorizationNode } from '../support/keyed-api.ts'
import { startOAuthProvider } from '../support/oauth-provider.ts'
import { audienceNode, deployPipeline, runJobNow, saveAudience } from '../support/pipelines.ts'

const TOKEN = 'pat-na1-0f3c2a9e-hubspot-test-token'

interface SearchBody {
  filterGroups: { filters: { propertyName: string; operator: string; value: string }[] }[]
  sorts: { propertyName: string; direction: string }[]
  properties: string[]
  limit: number
  after?: string
}

describeEachDialect('HubSpot', (dialect) => {
  const t = useTestApp(dialect)
  let hubspot: HubSpotEmulator
  let admin = ''
  let authorization = ''
  beforeAll(async () => {
    hubspot = await startHubSpot({ now: () => t().clock.now() })
    hubspot.keys.add(TOKEN)
    admin = await t().setupAdmin()
    const created = await t().send('POST', '/api/authorizations', {
      cookie: admin,
      body: {
        name: 'HubSpot private app',
        provider: 'hubspot',
        method: 'apikey',
        credentials: { accessToken: TOKEN, apiUrl: hubspot.url },
      },
    })
    expect(created.status, created.text).toBe(201)
    authorization = created.json.id
  })
  afterAll(() => hubspot.close())

  const deploySource = async (
    name: string,
    config: Record<string, unknown> = {},
    authorizationId = authorization,
  ) =>
    (
      await deployPipeline(t(), admin, name, {
        version: 1,
        nodes: [
          {
            id: 'src',
            kind: 'source',
            provider: 'hubspot',
            jobType: 'contacts',
            name,
            position: { x: 0, y: 0 },
            data: { config, cadence: { every: '1h' } },
          },
          authorizationNode('auth', 'hubspot', authorizationId),
        ],
        edges: [edge('auth', 'src')],
      })
    ).jobOf('src')
  const run = (job: string) => runJobNow(t(), admin, job)
  const stored = async (job: string) =>
    (
      await t().database.db.selectFrom('raw_messages').select('payload').where('job_id', '=', job).execute()
    ).map((row) => JSON.parse(row.payload) as Record<string, unknown>)
  /** What the emulator was asked from `from` on. */
  const since = (from: number) => hubspot.calls.slice(from)
  const searches = (from: number) =>
    since(from)
      .filter((call) => call.path === '/crm/v3/objects/contacts/search')
      .map((call) => JSON.parse(call.body) as SearchBody)

  it('lists every contact page by page, resumes a sync cut off by a 5xx where it stopped, then reads only what changed', async () => {
    hubspot.seed(250, new Date(t().clock.now().getTime() - 86_400_000))
    const job = await deploySource('Contacts')
    // The third page fails: the two before it are kept, and the next run asks for the third.
    hubspot.fail({
      status: 503,
      body: { status: 'error', message: 'Service Unavailable' },
      match: /after=1200/,
    })
    const began = t().clock.now().getTime() + 1000
    let mark = hubspot.calls.length
    let detail = await run(job)
    expect(detail).toMatchObject({ status: 'sleeping', sleepReason: 'retry', consecutiveErrors: 1 })
    expect(detail.lastError).toMatch(/HubSpot answered HTTP 503: Service Unavailable/)
    expect(await stored(job)).toHaveLength(200)
    const listed = since(mark).map((call) => new URL(call.path, hubspot.url))
    expect(listed.map((url) => url.searchParams.get('after'))).toEqual([null, '1100', '1200'])
    for (const url of listed) {
      expect(url.pathname).toBe('/crm/v3/objects/contacts')
      expect(url.searchParams.get('limit')).toBe('100')
      expect(url.searchParams.get('properties')).toBe(
        'email,firstname,lastname,phone,lifecyclestage,lastmodifieddate',
      )
    }
    expect(since(mark).every((call) => call.headers.authorization === `Bearer ${TOKEN}`)).toBe(true)

    mark = hubspot.calls.length
    detail = await run(job)
    expect(detail).toMatchObject({ lastError: null, consecutiveErrors: 0 })
    expect(since(mark).map((call) => call.path)).toEqual([
      '/crm/v3/objects/contacts?limit=100&properties=email%2Cfirstname%2Clastname%2Cphone%2Clifecyclestage%2Clastmodifieddate&archived=false&after=1200',
    ])
    const records = await stored(job)
    expect(new Set(records.map((record) => record.email)).size).toBe(250)
    expect(records.find((record) => record.email === 'c7@hubspot.example')).toMatchObject({
      id: '1008',
      firstname: 'First7',
      lifecyclestage: 'lead',
    })

    // Someone edits a contact and another is created: the next run searches from when the
    // listing began (less the look-back) and stores just those two.
    t().clock.advance(60_000)
    hubspot.change('1005', { firstname: 'Renamed' })
    hubspot.seed(1)
    mark = hubspot.calls.length
    detail = await run(job)
    expect(detail.lastError).toBeNull()
    const [first] = searches(mark)
    expect(searches(mark)).toHaveLength(1)
    expect(first).toEqual({
      filterGroups: [
        {
          filters: [
            { propertyName: 'lastmodifieddate', operator: 'GTE', value: String(began - LOOKBACK_MS) },
          ],
        },
      ],
      sorts: [{ propertyName: 'lastmodifieddate', direction: 'ASCENDING' }],
      properties: ['email', 'firstname', 'lastname', 'phone', 'lifecyclestage', 'lastmodifieddate'],
      limit: 200,
    })
    expect(await stored(job)).toHaveLength(252)
    expect(
      (await stored(job))
        .filter((record) => record.id === '1005')
        .map((record) => record.firstname)
        .sort(),
    ).toEqual(['First4', 'Renamed'])

    // Nothing changed: the search starts from the last change read; what it finds again is a replay.
    const changed = Date.parse(hubspot.contacts.get('1251')!.updatedAt)
    mark = hubspot.calls.length
    detail = await run(job)
    expect(detail.lastError).toBeNull()
    expect(searches(mark).map((body) => body.filterGroups[0]!.filters[0]!.value)).toEqual([
      String(changed - LOOKBACK_MS),
    ])
    expect(await stored(job)).toHaveLength(252)
    const runs = (await t().send('GET', `/api/jobs/${job}/runs`, { cookie: admin })).json
    expect(runs[0]).toMatchObject({ added: 0 })
    // Once that change is older than the previous sync's start by the look-back, it was searchable
    // when that sync ran: the next one asks only for what came after it.
    t().clock.advance(LOOKBACK_MS + 60_000)
    mark = hubspot.calls.length
    expect((await run(job)).lastError).toBeNull()
    expect((await run(job)).lastError).toBeNull()
    expect(searches(mark).map((body) => body.filterGroups[0]!.filters[0]!.value)).toEqual([
      String(changed - LOOKBACK_MS),
      String(changed + 1),
    ])
    expect(await stored(job)).toHaveLength(252)
  })

  it('walks a bulk change of one instant by contact id, never paging a search past its 10,000-result cap', async () => {
    const job = await deploySource('Bulk', { properties: ['email', 'lifecyclestage'] })
    expect((await run(job)).lastError).toBeNull()
    const before = (await stored(job)).length
    expect(before).toBe(hubspot.contacts.size)
    // An import touches every contact at the same millisecond: more than a search page of them.
    t().clock.advance(60_000)
    const at = t().clock.now()
    for (const id of hubspot.contacts.keys()) hubspot.change(id, { lifecyclestage: 'customer' }, at)
    const mark = hubspot.calls.length
    const detail = await run(job)
    expect(detail.lastError).toBeNull()
    const bodies = searches(mark)
    expect(bodies.every((body) => body.after === undefined && body.sorts.length === 1)).toBe(true)
    const ms = String(at.getTime())
    expect(
      bodies.map((body) =>
        body.filterGroups[0]!.filters.map((f) => `${f.propertyName} ${f.operator} ${f.value}`),
      ),
    ).toEqual([
      [expect.stringMatching(/^lastmodifieddate GTE \d+$/)],
      [`lastmodifieddate EQ ${ms}`, 'hs_object_id GT 0'],
      [`lastmodifieddate EQ ${ms}`, 'hs_object_id GT 1200'],
      [`lastmodifieddate GTE ${at.getTime() + 1}`],
    ])
    expect(bodies[1]!.sorts).toEqual([{ propertyName: 'hs_object_id', direction: 'ASCENDING' }])
    const customers = (await stored(job)).filter((record) => record.lifecyclestage === 'customer')
    expect(new Set(customers.map((record) => record.id)).size).toBe(hubspot.contacts.size)
    expect(await stored(job)).toHaveLength(before + hubspot.contacts.size)
  })

  it("sleeps through HubSpot's burst and daily rate limits until they lift", async () => {
    const job = await deploySource('Limited')
    hubspot.fail(burstLimited())
    let now = t().clock.now().getTime() + 1000
    let detail = await run(job)
    expect(detail).toMatchObject({ status: 'sleeping', sleepReason: 'rate_limit', lastError: null })
    expect(Date.parse(detail.nextRunAt) - now).toBe(10_000)
    const logs = (await t().send('GET', `/api/jobs/${job}/logs?event=Sleeping`, { cookie: admin })).json
    expect(logs.at(-1).message).toMatch(/Rate-limited by the provider/)

    hubspot.daily.remaining = 0
    now = t().clock.now().getTime() + 1000
    detail = await run(job)
    expect(detail).toMatchObject({ status: 'sleeping', sleepReason: 'rate_limit' })
    expect(Date.parse(detail.nextRunAt) - now).toBe(3_600_000)
    hubspot.daily.remaining = Number.POSITIVE_INFINITY
    expect(await run(job)).toMatchObject({ lastError: null, sleepReason: 'schedule' })
    expect(await stored(job)).toHaveLength(hubspot.contacts.size)
  })

  it('turns a refused token into an authorization error that never shows the token', async () => {
    const wrong = await t().send('POST', '/api/authorizations', {
      cookie: admin,
      body: {
        name: 'Revoked app',
        provider: 'hubspot',
        method: 'apikey',
        credentials: { accessToken: 'pat-na1-revoked-token-123', apiUrl: hubspot.url },
      },
    })
    const job = await deploySource('Revoked', {}, wrong.json.id)
    const detail = await run(job)
    expect(detail).toMatchObject({ status: 'sleeping', sleepReason: 'retry' })
    expect(detail.lastError).toMatch(
      /HubSpot refused the access token \(HTTP 401 INVALID_AUTHENTICATION: .*\): paste a current private app access token/,
    )
    expect(detail.lastError).not.toContain('pat-na1-revoked')
    expect(await stored(job)).toHaveLength(0)
    const tested = await t().send('POST', `/api/authorizations/${wrong.json.id}/test`, {
      cookie: admin,
      body: {},
    })
    expect(tested.json).toEqual({ ok: false, message: expect.stringMatching(/HTTP 401/) })
    const good = await t().send('POST', `/api/authorizations/${authorization}/test`, {
      cookie: admin,
      body: {},
    })
    expect(good.json).toEqual({ ok: true, message: 'HubSpot accepted the token and lists contacts' })
  })

  it("connects an account through OAuth2 on the admin's API URL, and refreshes the token HubSpot stops taking", async () => {
    const oauth = await startOAuthProvider(() => hubspot)
    try {
      const registered = await t().send('PUT', '/api/oauth/clients/hubspot', {
        cookie: admin,
        body: {
          clientId: 'sluice-public-app',
          clientSecret: 'public-app-secret',
          authorizeUrl: oauth.authorizeUrl,
          tokenUrl: oauth.tokenUrl,
          apiUrl: hubspot.url,
        },
      })
      expect(registered.status, registered.text).toBe(200)
      const start = await t().send('GET', '/api/oauth/hubspot/start?name=Marketing%20portal', {
        cookie: admin,
      })
      const consent = new URL(start.headers.get('location')!)
      expect(consent.searchParams.get('scope')).toBe(
        'oauth crm.objects.contacts.read crm.objects.contacts.write',
      )
      const callback = new URL((await fetch(consent, { redirect: 'manual' })).headers.get('location')!)
      const done = await t().send('GET', `${callback.pathname}${callback.search}`, { cookie: admin })
      const connected = new URL(done.headers.get('location')!, 'http://x').searchParams.get('authorization')!
      const job = await deploySource('Connected portal', { properties: ['email'] }, connected)
      let mark = hubspot.calls.length
      expect((await run(job)).lastError).toBeNull()
      expect(await stored(job)).toHaveLength(hubspot.contacts.size)
      const issued = since(mark)[0]!.headers.authorization
      expect(issued).toMatch(/^Bearer /)
      expect(issued).not.toBe(`Bearer ${TOKEN}`)

      // HubSpot stops taking the token (they last 30 minutes): one refresh, the same request again.
      hubspot.keys.delete(issued!.slice('Bearer '.length))
      hubspot.change('1001', { firstname: 'Refreshed' })
      const granted = oauth.grants.length
      mark = hubspot.calls.length
      const detail = await run(job)
      expect(detail.lastError).toBeNull()
      expect(oauth.grants.slice(granted)).toEqual(['refresh_token'])
      const [refused, retried] = since(mark)
      expect(refused!.headers.authorization).toBe(issued)
      expect(retried!.path).toBe(refused!.path)
      expect(retried!.headers.authorization).not.toBe(issued)
      expect(hubspot.keys.has(retried!.headers.authorization!.slice('Bearer '.length))).toBe(true)
      expect(await stored(job)).toHaveLength(hubspot.contacts.size + 1)
    } finally {
      await oauth.stop()
    }
  })

  it('upserts exactly the audience by email in batches of 100, rejects what HubSpot refuses, and unticks who leaves on the next run', async () => {
    const key = (await t().send('POST', '/api/data-keys', { cookie: admin, body: { name: 'shop' } })).json.key
    const collect = async (rows: Record<string, unknown>[]) => {
      const answer = await t().send('POST', '/collect/json/shop', {
        body: rows,
        headers: { authorization: key },
      })
      expect(answer.status, answer.text).toBe(200)
    }
    const pros = Array.from({ length: 150 }, (_, n) => ({
      email: `p${n}@shop.example`,
      first_name: `Pro${n}`,
      plan: 'pro',
    }))
    await collect([
      ...pros,
      { email: 'broken@localhost', first_name: 'Broken', plan: 'pro' },
      { email: 'free@shop.example', first_name: 'Free', plan: 'free' },
    ])
    const audience = await saveAudience(t(), admin, 'Pros', { field: 'plan', op: 'eq', value: 'pro' })
    const { jobOf } = await deployPipeline(t(), admin, 'To HubSpot', {
      version: 1,
      nodes: [
        collectSource('src', 'shop'),
        audienceNode('aud', audience),
        {
          id: 'dst',
          kind: 'destination',
          provider: 'hubspot',
          jobType: 'audience',
          name: 'HubSpot contacts',
          position: { x: 0, y: 0 },
          data: {
            config: { audienceProperty: 'in_sluice_audience' },
            cadence: { every: '1h' },
            mapping: {
              fields: [
                { from: 'email', to: 'email', identity: true },
                { from: 'first_name', to: 'firstname' },
              ],
              keepUnmapped: false,
            },
          },
        },
        authorizationNode('auth', 'hubspot', authorization),
      ],
      edges: [edge('src', 'aud'), edge('aud', 'dst'), edge('auth', 'dst')],
    })
    const job = jobOf('dst')
    const upserts = (from: number) =>
      since(from)
        .filter((call) => call.path === '/crm/v3/objects/contacts/batch/upsert')
        .map(
          (call) =>
            JSON.parse(call.body) as {
              inputs: { id: string; idProperty: string; properties: Record<string, string> }[]
            },
        )

    // The audience property does not exist in HubSpot yet: a config error that names it.
    let detail = await run(job)
    expect(detail.lastError).toMatch(
      /HubSpot has no contact property "in_sluice_audience": create it in HubSpot as a single checkbox contact property/,
    )
    hubspot.properties.add('in_sluice_audience')
    let mark = hubspot.calls.length
    detail = await run(job)
    expect(detail.lastError).toBeNull()
    const bodies = upserts(mark)
    expect(bodies.every((body) => body.inputs.length <= 100)).toBe(true)
    expect(bodies[0]!.inputs).toHaveLength(100)
    expect(bodies[0]!.inputs[0]).toEqual({
      id: expect.stringMatching(/@/),
      idProperty: 'email',
      properties: {
        email: expect.any(String),
        firstname: expect.stringMatching(/^(Pro\d+|Broken)$/),
        in_sluice_audience: 'true',
      },
    })
    const ticked = () =>
      [...hubspot.contacts.values()]
        .filter((contact) => contact.properties.in_sluice_audience === 'true')
        .map((contact) => contact.properties.email)
        .sort()
    expect(ticked()).toEqual(pros.map((pro) => pro.email).sort())
    expect(hubspot.byEmail('p3@shop.example')!.properties.firstname).toBe('Pro3')
    expect(hubspot.byEmail('free@shop.example')).toBeUndefined()
    // HubSpot refused the one bad address with its batch; halving found it, the rest went through.
    expect(hubspot.byEmail('broken@localhost')).toBeUndefined()
    const runs = (await t().send('GET', `/api/jobs/${job}/runs`, { cookie: admin })).json
    expect(runs[0]).toMatchObject({ added: 150, omitted: 1 })

    // A pro downgrades and another's contact was deleted in HubSpot meanwhile: both leave.
    await collect([
      { email: 'p0@shop.example', plan: 'free' },
      { email: 'p1@shop.example', plan: 'free' },
    ])
    hubspot.contacts.delete(hubspot.byEmail('p1@shop.example')!.id)
    mark = hubspot.calls.length
    detail = await run(job)
    expect(detail.lastError).toBeNull()
    expect(upserts(mark)).toEqual([])
    const updates = since(mark).filter((call) => call.path === '/crm/v3/objects/contacts/batch/update')
    expect(updates).toHaveLength(1)
    const removals = (JSON.parse(updates[0]!.body) as { inputs: { id: string }[] }).inputs
    expect(removals.sort((a, b) => a.id.localeCompare(b.id))).toEqual([
      { id: 'p0@shop.example', idProperty: 'email', properties: { in_sluice_audience: 'false' } },
      { id: 'p1@shop.example', idProperty: 'email', properties: { in_sluice_audience: 'false' } },
    ])
    expect(hubspot.byEmail('p0@shop.example')!.properties.in_sluice_audience).toBe('false')
    expect(hubspot.byEmail('p1@shop.example')).toBeUndefined()
    expect((await t().send('GET', `/api/jobs/${job}/runs`, { cookie: admin })).json[0]).toMatchObject({
      removed: 2,
    })
    expect(ticked()).toHaveLength(148)
  })
})

it('stops with a config error when HubSpot refuses the audience property itself, rather than rejecting everyone', async () => {
  const now = () => new Date('2026-03-01T12:00:00Z')
  const hubspot = await startHubSpot({ now })
  try {
    hubspot.keys.add(TOKEN)
    // Created as a Yes/No dropdown instead of a single checkbox: it takes neither true nor false.
    hubspot.properties.add('in_sluice_audience')
    hubspot.enumerations.set('in_sluice_audience', ['yes', 'no'])
    const ctx: ConnectorContext<ContactsExportConfig> = {
      config: { audienceProperty: 'in_sluice_audience' },
      credentials: { accessToken: TOKEN, apiUrl: hubspot.url },
      signal: new AbortController().signal,
      now,
      sleep: async () => {},
      dataDir: '',
      jobId: null,
      ...outboundContext({ allowPrivateNetwork: true }),
    }
    async function* one() {
      yield {
        upserts: Array.from({ length: 8 }, (_, n) => ({ id: `p${n}@shop.example`, fields: {} })),
        removes: [],
      }
    }
    const acks: WriteAck[] = []
    const writing = (async () => {
      for await (const ack of writeAudience(ctx, one())) acks.push(ack)
    })()
    await expect(writing).rejects.toMatchObject({
      kind: 'config',
      message: expect.stringMatching(
        /audience property "in_sluice_audience" \(INVALID_OPTION\): make it a single checkbox/,
      ),
    })
    expect(acks).toEqual([])
    // Found on the first answer: no halving down to every person.
    expect(hubspot.callsTo(/batch\/upsert/)).toHaveLength(1)
  } finally {
    await hubspot.close()
  }
})
