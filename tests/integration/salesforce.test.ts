import { afterAll, beforeAll, expect, it } from 'vitest'
import { LOOKBACK_MS } from '../../nodes/salesforce/salesforce.source.ts'
import { useTestApp } from '../support/app.ts'
import { describeEachDialect } from '../support/dialects.ts'
import { edge } from '../support/documents.ts'
import { type SalesforceEmulator, startSalesforce } from '../support/emulators/salesforce.ts'
import { authorizationNode } from '../support/keyed-api.ts'
import { startOAuthProvider } from '../support/oauth-provider.ts'
import { deployPipeline, runJobNow } from '../support/pipelines.ts'

const QUERY = '/services/data/v66.0/query'
/** A SOQL dateTime literal as Sluice writes it: whole seconds, UTC. */
const literal = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')
/** An instant as Salesforce writes it (`…000+0000`), in ms. */
const msOf = (stamp: string) => Date.parse(stamp.replace('+0000', 'Z'))

describeEachDialect('Salesforce', (dialect) => {
  const t = useTestApp(dialect)
  let salesforce: SalesforceEmulator
  let oauth: Awaited<ReturnType<typeof startOAuthProvider>>
  /** When set, the token endpoint refuses refreshes as Salesforce does for a revoked grant. */
  let refuseRefresh = false
  let admin = ''
  let authorization = ''
  beforeAll(async () => {
    salesforce = await startSalesforce({ now: () => t().clock.now() })
    // Salesforce's token answer names the org's instance; the API lives there.
    oauth = await startOAuthProvider(
      () => salesforce,
      (response, grant) => {
        if (refuseRefresh && grant.grant_type === 'refresh_token') {
          response.statusCode = 400
          response.body = { error: 'invalid_grant', error_description: 'expired access/refresh token' }
          return
        }
        response.body.instance_url = salesforce.url
      },
    )
    admin = await t().setupAdmin()
    const registered = await t().send('PUT', '/api/oauth/clients/salesforce', {
      cookie: admin,
      body: {
        clientId: '3MVG9-sluice-connected-app',
        clientSecret: 'connected-app-secret',
        authorizeUrl: oauth.authorizeUrl,
        tokenUrl: oauth.tokenUrl,
      },
    })
    expect(registered.status, registered.text).toBe(200)
    const start = await t().send('GET', '/api/oauth/salesforce/start?name=Acme%20org', { cookie: admin })
    expect(start.status, start.text).toBe(302)
    const consent = new URL(start.headers.get('location')!)
    expect(consent.searchParams.get('scope')).toBe('api refresh_token')
    const callback = new URL((await fetch(consent, { redirect: 'manual' })).headers.get('location')!)
    const done = await t().send('GET', `${callback.pathname}${callback.search}`, { cookie: admin })
    authorization = new URL(done.headers.get('location')!, 'http://x').searchParams.get('authorization')!
    expect(
      (await t().send('GET', `/api/authorizations/${authorization}`, { cookie: admin })).json,
    ).toMatchObject({
      provider: 'salesforce',
      method: 'oauth2',
      fields: { instanceUrl: salesforce.url },
    })
  })
  afterAll(async () => {
    await oauth.stop()
    await salesforce.close()
  })

  const deploy = async (name: string, jobType: 'contacts' | 'leads', config: Record<string, unknown> = {}) =>
    (
      await deployPipeline(t(), admin, name, {
        version: 1,
        nodes: [
          {
            id: 'src',
            kind: 'source',
            provider: 'salesforce',
            jobType,
            name,
            position: { x: 0, y: 0 },
            // Salesforce's Email field is who a record is about.
            data: {
              config,
              cadence: { every: '1h' },
              mapping: { fields: [{ from: 'Email', to: 'email', identity: true }] },
            },
          },
          authorizationNode('auth', 'salesforce', authorization),
        ],
        edges: [edge('auth', 'src')],
      })
    ).jobOf('src')
  const run = (job: string) => runJobNow(t(), admin, job)
  const stored = async (job: string) =>
    (
      await t().database.db.selectFrom('raw_messages').select('payload').where('job_id', '=', job).execute()
    ).map((row) => JSON.parse(row.payload) as Record<string, unknown>)
  const since = (from: number) => salesforce.calls.slice(from)
  const soqlOf = (path: string) => new URL(path, salesforce.url).searchParams.get('q')

  it('reads every contact from the org page by page, resumes a sync cut off by a 5xx at its page, then only what changed', async () => {
    salesforce.seed('Contact', 450, new Date(t().clock.now().getTime() - 86_400_000))
    const job = await deploy('Contacts', 'contacts', { batchSize: 200 })
    salesforce.fail({
      status: 503,
      body: [{ message: 'Server unavailable', errorCode: 'SERVER_UNAVAILABLE' }],
      match: /\/query\/\w+-400$/,
    })
    let mark = salesforce.calls.length
    let detail = await run(job)
    expect(detail).toMatchObject({ status: 'sleeping', sleepReason: 'retry', consecutiveErrors: 1 })
    expect(detail.lastError).toMatch(/Salesforce answered HTTP 503: SERVER_UNAVAILABLE: Server unavailable/)
    expect(await stored(job)).toHaveLength(400)
    const calls = since(mark)
    expect(calls.map((call) => call.path.replace(/\?.*/, '').replace(/01g\w+-/, 'LOCATOR-'))).toEqual([
      QUERY,
      `${QUERY}/LOCATOR-200`,
      `${QUERY}/LOCATOR-400`,
    ])
    expect(soqlOf(calls[0]!.path)).toBe(
      'SELECT Id, SystemModstamp, Email, FirstName, LastName, Phone, Title, AccountId FROM Contact ORDER BY SystemModstamp ASC, Id ASC',
    )
    expect(calls[0]!.headers['sforce-query-options']).toBe('batchSize=200')
    expect(
      calls.every((call) => salesforce.keys.has(call.headers.authorization!.replace('Bearer ', ''))),
    ).toBe(true)

    mark = salesforce.calls.length
    detail = await run(job)
    expect(detail).toMatchObject({ lastError: null, consecutiveErrors: 0 })
    expect(since(mark).map((call) => call.path)).toEqual([calls[2]!.path])
    const records = await stored(job)
    expect(new Set(records.map((record) => record.Id)).size).toBe(450)
    expect(records[0]).toEqual({
      Id: expect.stringMatching(/^003/),
      SystemModstamp: expect.stringMatching(/\+0000$/),
      Email: expect.stringMatching(/@org\.example$/),
      FirstName: expect.any(String),
      LastName: expect.any(String),
      Phone: null,
      Title: 'Buyer',
      AccountId: null,
    })

    // Two contacts are edited. The newest stamp read is a day older than the sync that read it:
    // no save can be pending at it, and the next run asks for what came after.
    const newest = msOf(salesforce.records.Contact.at(-1)!.SystemModstamp)
    t().clock.advance(60_000)
    const [first, second] = salesforce.records.Contact
    salesforce.change('Contact', first!.Id, { Title: 'CEO' })
    const edited = salesforce.change('Contact', second!.Id, { Title: 'CFO' })
    mark = salesforce.calls.length
    detail = await run(job)
    expect(detail.lastError).toBeNull()
    expect(since(mark).map((call) => soqlOf(call.path))).toEqual([
      `SELECT Id, SystemModstamp, Email, FirstName, LastName, Phone, Title, AccountId FROM Contact WHERE SystemModstamp > ${literal(newest)} ORDER BY SystemModstamp ASC, Id ASC`,
    ])
    expect(await stored(job)).toHaveLength(452)

    // A save that began in the same second as the newest record read commits after that run:
    // `>=` a few minutes back still finds it; what it reads again is a replay, not stored twice.
    const stamp = msOf(edited.SystemModstamp)
    const late = salesforce.seed('Contact', 1, new Date(stamp))[0]!
    mark = salesforce.calls.length
    detail = await run(job)
    expect(detail.lastError).toBeNull()
    expect(soqlOf(since(mark)[0]!.path)).toContain(
      `WHERE SystemModstamp >= ${literal(stamp - LOOKBACK_MS)} ORDER`,
    )
    expect(await stored(job)).toHaveLength(453)
    expect((await stored(job)).some((record) => record.Id === late.Id)).toBe(true)
    expect((await t().send('GET', `/api/jobs/${job}/runs`, { cookie: admin })).json[0]).toMatchObject({
      added: 1,
    })

    // Quiet minutes later, a sync that began well after that stamp leaves nothing pending at it.
    t().clock.advance(LOOKBACK_MS + 60_000)
    mark = salesforce.calls.length
    expect((await run(job)).lastError).toBeNull()
    expect((await run(job)).lastError).toBeNull()
    expect(since(mark).map((call) => /WHERE (.+) ORDER/.exec(soqlOf(call.path) ?? '')?.[1])).toEqual([
      `SystemModstamp >= ${literal(stamp - LOOKBACK_MS)}`,
      `SystemModstamp > ${literal(stamp)}`,
    ])
    expect(await stored(job)).toHaveLength(453)
  })

  it('reads leads, and queries again from the newest stamp read when the page it stopped at has expired', async () => {
    salesforce.seed('Lead', 450, new Date(t().clock.now().getTime() - 3_600_000))
    const job = await deploy('Leads', 'leads', { batchSize: 200 })
    salesforce.fail({
      status: 500,
      body: [{ message: 'An unexpected error occurred', errorCode: 'UNKNOWN_EXCEPTION' }],
      match: /\/query\/\w+-200$/,
    })
    expect((await run(job)).lastError).toMatch(/HTTP 500/)
    expect(await stored(job)).toHaveLength(200)
    salesforce.expireLocators()
    const mark = salesforce.calls.length
    const detail = await run(job)
    expect(detail.lastError).toBeNull()
    const [resumed, again] = since(mark)
    expect(resumed!.path).toMatch(/\/query\/01g\w+-200$/)
    expect(soqlOf(again!.path)).toMatch(
      /^SELECT Id, SystemModstamp, Email, FirstName, LastName, Phone, Company, Status, LeadSource FROM Lead WHERE SystemModstamp >= \S+Z ORDER BY SystemModstamp ASC, Id ASC$/,
    )
    const leads = await stored(job)
    expect(new Set(leads.map((lead) => lead.Id)).size).toBe(450)
    expect(leads[0]).toMatchObject({
      Id: expect.stringMatching(/^00Q/),
      Company: expect.stringMatching(/^Company/),
    })
  })

  it('names a field the org does not have, and refuses anything but field names before it reaches SOQL', async () => {
    const job = await deploy('Shoe sizes', 'contacts', { fields: ['Email', 'Shoe_Size__c'] })
    const detail = await run(job)
    expect(detail.lastError).toMatch(
      /Salesforce's Contact has no field "Shoe_Size__c" the connected user can read/,
    )
    const injected = await t().send('POST', '/api/pipelines', {
      cookie: admin,
      body: {
        name: 'Injected',
        document: {
          version: 1,
          nodes: [
            {
              id: 'src',
              kind: 'source',
              provider: 'salesforce',
              jobType: 'contacts',
              name: 'Injected',
              position: { x: 0, y: 0 },
              data: { config: { fields: ['Email FROM User WHERE Id != null --'] }, cadence: { every: '1h' } },
            },
            authorizationNode('auth', 'salesforce', authorization),
          ],
          edges: [edge('auth', 'src')],
        },
      },
    })
    const refused = await t().send('POST', `/api/pipelines/${injected.json.id}/deploy`, {
      cookie: admin,
      body: {},
    })
    expect(refused.status).toBe(422)
    expect(refused.text).toMatch(/a field's API name such as Email/)
  })

  it('sleeps an hour when the org has spent its daily requests, and until Retry-After on a 429', async () => {
    const job = await deploy('Limited', 'leads')
    salesforce.daily.remaining = 0
    let now = t().clock.now().getTime() + 1000
    let detail = await run(job)
    expect(detail).toMatchObject({ status: 'sleeping', sleepReason: 'rate_limit', lastError: null })
    expect(Date.parse(detail.nextRunAt) - now).toBe(3_600_000)
    salesforce.daily.remaining = Number.POSITIVE_INFINITY
    salesforce.fail({ status: 429, headers: { 'Retry-After': '120' } })
    now = t().clock.now().getTime() + 1000
    detail = await run(job)
    expect(detail).toMatchObject({ status: 'sleeping', sleepReason: 'rate_limit' })
    expect(Date.parse(detail.nextRunAt) - now).toBe(120_000)
    expect(await run(job)).toMatchObject({ lastError: null, sleepReason: 'schedule' })
    const tested = await t().send('POST', `/api/authorizations/${authorization}/test`, {
      cookie: admin,
      body: {},
    })
    expect(tested.json).toEqual({
      ok: true,
      message: 'Salesforce accepted the session; 14,998 of 15,000 daily API requests left',
    })
  })

  it('refreshes an expired session and goes on; a refused refresh is an authorization error', async () => {
    const job = await deploy('Sessions', 'leads')
    expect((await run(job)).lastError).toBeNull()
    const used = salesforce.calls.at(-1)!.headers.authorization
    // The org ends the session early: INVALID_SESSION_ID, a refresh, and the same request again.
    salesforce.keys.clear()
    const granted = oauth.grants.length
    salesforce.change('Lead', salesforce.records.Lead[0]!.Id, { Status: 'Working - Contacted' })
    const mark = salesforce.calls.length
    let detail = await run(job)
    expect(detail.lastError).toBeNull()
    expect(oauth.grants.slice(granted)).toEqual(['refresh_token'])
    const [refused, retried] = since(mark)
    expect(refused!.headers.authorization).toBe(used)
    expect(retried!.path).toBe(refused!.path)
    expect(retried!.headers.authorization).not.toBe(used)
    expect((await stored(job)).some((lead) => lead.Status === 'Working - Contacted')).toBe(true)

    salesforce.keys.clear()
    refuseRefresh = true
    detail = await run(job)
    expect(detail).toMatchObject({ status: 'sleeping', sleepReason: 'retry' })
    expect(detail.lastError).toMatch(/Salesforce refused the token request \(invalid_grant\)/)
    refuseRefresh = false
  })
})
