import { createHash } from 'node:crypto'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { useTestApp } from '../support/app.ts'
import { describeEachDialect } from '../support/dialects.ts'
import { collectSource, edge } from '../support/documents.ts'
import {
  adsFailure,
  type GoogleAdsEmulator,
  quotaExhausted,
  startGoogleAds,
  unavailable,
} from '../support/emulators/google-ads.ts'
import { bearerOf } from '../support/emulators/harness.ts'
import { authorizationNode } from '../support/keyed-api.ts'
import { startOAuthProvider } from '../support/oauth-provider.ts'
import { audienceNode, collector, deployPipeline, runJobNow, saveAudience } from '../support/pipelines.ts'

// The connector waits between polls of a running job on Sluice's clock, which the test clock
// passes at once; the emulator decides when a job is done (after a set number of polls).

const DEVELOPER_TOKEN = 'ABcdEFgh12IJklMN34opQR'
const CUSTOMER = '1234567890'
const MANAGER = '9876543210'
const LIST = '7012345678'
const USER_LIST = `customers/${CUSTOMER}/userLists/${LIST}`
/** A second list, so paging is checked on members of its own. */
const BULK = '7012345679'
const BULK_LIST = `customers/${CUSTOMER}/userLists/${BULK}`

/** `printf '%s' '<value normalised by hand>' | sha256sum` (tests/unit/hashed-identifiers.test.ts). */
const HASH = {
  mary: 'f1904cf1a9d73a55fa5de0ac823c4403ded71afd4c3248d00bdcd0866552bb79', // mary@example.com
  jane: '86e0b9e56c17cc4d12387e1949b85053fbe73bc3ce5a1188713a9d300cc6133d', // jane.doe@example.com
  john: 'bf76de1a7b58966a1a636ee208f34a243f0f24c29b3d1163b6e0d14c0cfadfee', // john.smith+promo@gmail.com
  dana: '07e2f1394b0ea80e2adca010ea8318df697001a005ba7452720edda4b0ce57b3', // dana@example.com
  maryPhone: 'cb6880e416769253645cb9c6b8989154bf66a56a77fc14c81fb1019663cbb928', // +14155552671
  johnPhone: 'f0bf0228144d9fe2bdf1da2d8ca698f17bf1410ee688b075c27062e47b6f0b6d', // +442079460958
  luc: '42d573cfc315801d4cd8eddd5416b416a0bf298b9b9e12d6b07442c91db42bd8', // +33612345678
}

describeEachDialect('Google Ads Customer Match', (dialect) => {
  const keys = new Set<string>()
  let refuseRefresh = false
  let oauth: Awaited<ReturnType<typeof startOAuthProvider>>
  let ads: GoogleAdsEmulator
  beforeAll(async () => {
    oauth = await startOAuthProvider(
      () => ({ keys }),
      (response, grant) => {
        if (refuseRefresh && grant.grant_type === 'refresh_token') {
          response.statusCode = 400
          response.body = { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' }
        }
      },
    )
    ads = await startGoogleAds({
      tokens: () => keys,
      lists: {
        [CUSTOMER]: {
          [LIST]: { name: 'Sluice pros' },
          [BULK]: { name: 'Sluice bulk' },
          '555': { name: 'Site visitors', type: 'RULE_BASED' },
        },
      },
      managers: { [CUSTOMER]: MANAGER },
      developerToken: DEVELOPER_TOKEN,
    })
  })
  afterAll(async () => {
    await oauth.stop()
    await ads.close()
  })
  const t = useTestApp(dialect)
  let admin: string

  it('uploads the audience hashed through offline user data jobs, removes who leaves, and handles quota, outages, 401s and refusals', async () => {
    ads.calls.length = 0
    ads.jobs.length = 0
    refuseRefresh = false
    admin = await t().setupAdmin()
    // The admin's OAuth app: Google's endpoints replaced by the mock, the API by the emulator.
    const app = await t().send('PUT', '/api/oauth/clients/google-ads', {
      cookie: admin,
      body: {
        clientId: 'sluice.apps.googleusercontent.com',
        clientSecret: 'GOCSPX-client-secret',
        authorizeUrl: oauth.authorizeUrl,
        tokenUrl: oauth.tokenUrl,
        apiUrl: ads.url,
        appFields: { developerToken: DEVELOPER_TOKEN },
      },
    })
    expect(app.status, app.text).toBe(200)
    const start = await t().send('GET', '/api/oauth/google-ads/start?name=Ads%20account', { cookie: admin })
    expect(start.status, start.text).toBe(302)
    const consent = new URL(start.headers.get('location')!)
    expect(consent.searchParams.get('scope')).toBe('https://www.googleapis.com/auth/adwords')
    const callback = new URL((await fetch(consent, { redirect: 'manual' })).headers.get('location')!)
    const done = await t().send('GET', `${callback.pathname}${callback.search}`, { cookie: admin })
    const authorization = new URL(done.headers.get('location')!, 'http://x').searchParams.get(
      'authorization',
    )!
    expect(authorization).toBeTruthy()

    const collect = await collector(t(), admin, 'crm')
    await collect({ user_id: 'u1', email: '  Mary@Example.com ', phone: '(415) 555-2671', plan: 'pro' })
    await collect({ user_id: 'u2', email: 'jane.doe@example.com', plan: 'pro' })
    await collect({
      user_id: 'u3',
      email: 'John.Smith+Promo@Gmail.com',
      phone: '+44 (0)20 7946 0958',
      plan: 'pro',
    })
    await collect({ user_id: 'u4', email: 'not-an-email', plan: 'pro' })
    await collect({ user_id: 'u5', phone: '+33 6 12 34 56 78', plan: 'pro' })
    await collect({ user_id: 'u6', email: 'Dana@Example.com', plan: 'free' })
    const audience = await saveAudience(t(), admin, 'Pros', { field: 'plan', op: 'eq', value: 'pro' })
    const { jobOf } = await deployPipeline(t(), admin, 'Pros to Google', {
      version: 1,
      nodes: [
        collectSource('src', 'crm'),
        audienceNode('aud', audience),
        {
          id: 'dst',
          kind: 'destination',
          provider: 'google-ads',
          jobType: 'customer-match',
          name: 'Customer list',
          position: { x: 0, y: 0 },
          data: {
            config: {
              customerId: '123-456-7890',
              userListId: LIST,
              loginCustomerId: '987-654-3210',
              consent: 'granted',
              batchSize: 2,
            },
            cadence: { every: '1h' },
            mapping: {
              fields: [
                { from: 'email', to: 'email', identity: true },
                { from: 'phone', to: 'phone', identity: true },
              ],
              keepUnmapped: false,
            },
          },
        },
        authorizationNode('auth', 'google-ads', authorization),
      ],
      edges: [edge('src', 'aud'), edge('aud', 'dst'), edge('auth', 'dst')],
    })
    const job = jobOf('dst')
    const run = () => runJobNow(t(), admin, job)
    const lastRun = async () => (await t().send('GET', `/api/jobs/${job}/runs`, { cookie: admin })).json[0]
    const lines = () => ads.calls.map((call) => `${call.method} ${call.path}`)

    // The first upload: one job, its operations in requests of two, run, polled until done.
    ads.pollsBeforeDone = 2
    let detail = await run()
    expect(detail.lastError).toBeNull()
    const base = `/v26/customers/${CUSTOMER}`
    expect(lines()).toEqual([
      `POST ${base}/offlineUserDataJobs:create`,
      `POST ${base}/offlineUserDataJobs/9000:addOperations`,
      `POST ${base}/offlineUserDataJobs/9000:addOperations`,
      `POST ${base}/offlineUserDataJobs/9000:run`,
      `GET ${base}/operations/op-9000`,
      `GET ${base}/operations/op-9000`,
    ])
    for (const call of ads.calls) {
      expect(keys.has(bearerOf(call.headers.authorization)!)).toBe(true)
      expect(call.headers['developer-token']).toBe(DEVELOPER_TOKEN)
      expect(call.headers['login-customer-id']).toBe(MANAGER)
    }
    expect(JSON.parse(ads.calls[0]!.body)).toEqual({
      job: {
        type: 'CUSTOMER_MATCH_USER_LIST',
        customerMatchUserListMetadata: {
          userList: USER_LIST,
          consent: { adUserData: 'GRANTED', adPersonalization: 'GRANTED' },
        },
      },
    })
    expect(JSON.parse(ads.calls[1]!.body)).toMatchObject({ enablePartialFailure: true })
    expect(ads.jobs[0]).toMatchObject({ action: 'create', requests: [2, 2], status: 'SUCCESS', polls: 2 })
    expect(ads.jobs[0]!.operations).toContainEqual({
      userIdentifiers: [{ hashedEmail: HASH.mary }, { hashedPhoneNumber: HASH.maryPhone }],
    })
    expect(ads.hashes(USER_LIST, 'hashedEmail')).toEqual([HASH.mary, HASH.jane, HASH.john].sort())
    expect(ads.hashes(USER_LIST, 'hashedPhoneNumber')).toEqual(
      [HASH.maryPhone, HASH.johnPhone, HASH.luc].sort(),
    )
    expect(await lastRun()).toMatchObject({ added: 4, removed: 0, omitted: 1 })

    // Jane and the phone-only person leave: a job of removes, each by the key they were sent under.
    ads.pollsBeforeDone = 0
    await collect({ user_id: 'u2', plan: 'free' })
    await collect({ user_id: 'u5', plan: 'free' })
    detail = await run()
    expect(detail.lastError).toBeNull()
    expect(ads.jobs[1]).toMatchObject({ action: 'remove', status: 'SUCCESS' })
    expect(ads.jobs[1]!.operations).toEqual(
      expect.arrayContaining([
        { userIdentifiers: [{ hashedEmail: HASH.jane }] },
        { userIdentifiers: [{ hashedPhoneNumber: HASH.luc }] },
      ]),
    )
    expect(ads.hashes(USER_LIST, 'hashedEmail')).toEqual([HASH.mary, HASH.john].sort())
    expect(ads.hashes(USER_LIST, 'hashedPhoneNumber')).toEqual([HASH.maryPhone, HASH.johnPhone].sort())
    expect(await lastRun()).toMatchObject({ added: 0, removed: 2 })

    // Dana joins while the quota is spent: the job sleeps for Google's retry delay.
    await collect({ user_id: 'u6', plan: 'pro' })
    ads.fail({ ...quotaExhausted(90), match: /offlineUserDataJobs:create/ })
    const before = t().clock.now().getTime()
    detail = await run()
    expect(detail).toMatchObject({ status: 'sleeping', sleepReason: 'rate_limit' })
    expect(Date.parse(detail.nextRunAt) - (before + 1000)).toBe(90_000)
    // Then the service is down: retried with back-off, and the next run delivers.
    ads.fail({ ...unavailable, match: /:addOperations/ })
    detail = await run()
    expect(detail).toMatchObject({ status: 'sleeping', sleepReason: 'retry', consecutiveErrors: 1 })
    expect(detail.lastError).toMatch(
      /^Google Ads answered HTTP 503 UNAVAILABLE: The service is currently unavailable/,
    )
    detail = await run()
    expect(detail).toMatchObject({ consecutiveErrors: 0, lastError: null })
    expect(ads.hashes(USER_LIST, 'hashedEmail')).toContain(HASH.dana)

    // Google drops the access token: the 401 refreshes it once and the upload goes on with the new one.
    const used = bearerOf(ads.calls.at(-1)!.headers.authorization)!
    keys.delete(used)
    const grants = oauth.grants.length
    await collect({ user_id: 'u2', plan: 'pro' })
    detail = await run()
    expect(detail.lastError).toBeNull()
    expect(oauth.grants.slice(grants)).toEqual(['refresh_token'])
    expect(bearerOf(ads.calls.at(-1)!.headers.authorization)).not.toBe(used)
    expect(ads.hashes(USER_LIST, 'hashedEmail')).toContain(HASH.jane)

    // Partial failure: Google refuses one operation; it is counted omitted and nothing runs.
    await collect({ user_id: 'u5', plan: 'pro' })
    ads.fail({
      status: 200,
      match: /:addOperations/,
      body: {
        partialFailureError: {
          code: 3,
          message: 'The SHA256 encoded value is malformed.',
          details: [
            {
              '@type': 'type.googleapis.com/google.ads.googleads.v26.errors.GoogleAdsFailure',
              errors: [
                {
                  errorCode: { offlineUserDataJobError: 'INVALID_SHA256_FORMAT' },
                  message: 'The SHA256 encoded value is malformed.',
                  location: {
                    fieldPathElements: [{ fieldName: 'operations', index: 0 }, { fieldName: 'create' }],
                  },
                },
              ],
            },
          ],
        },
      },
    })
    const calls = ads.calls.length
    detail = await run()
    expect(detail.lastError).toBeNull()
    expect(
      lines()
        .slice(calls)
        .some((line) => line.endsWith(':run')),
    ).toBe(false)
    expect(await lastRun()).toMatchObject({ added: 0, omitted: 1 })
    expect(ads.hashes(USER_LIST, 'hashedPhoneNumber')).not.toContain(HASH.luc)

    // Documented refusals: a developer token not approved (auth), a list Google does not know (config).
    await collect({ user_id: 'u5', plan: 'free' })
    await collect({ user_id: 'u5', plan: 'pro' })
    ads.fail({
      status: 403,
      match: /:create/,
      body: adsFailure(
        403,
        [
          {
            errorCode: { authorizationError: 'DEVELOPER_TOKEN_NOT_APPROVED' },
            message: 'The developer token is only approved for use with test accounts.',
          },
        ],
        'The caller does not have permission',
      ),
    })
    detail = await run()
    expect(detail.lastError).toMatch(
      /^Google Ads answered HTTP 403 PERMISSION_DENIED: authorizationError\.DEVELOPER_TOKEN_NOT_APPROVED \(The developer token is only approved for use with test accounts\.\); an admin fixes the Google Ads app's developer token/,
    )
    ads.fail({
      status: 400,
      match: /:create/,
      body: adsFailure(400, [
        {
          errorCode: { offlineUserDataJobError: 'INVALID_USER_LIST_ID' },
          message: 'The user list ID provided for the job is invalid.',
        },
      ]),
    })
    detail = await run()
    expect(detail.lastError).toMatch(
      /^Google Ads answered HTTP 400 INVALID_ARGUMENT: offlineUserDataJobError\.INVALID_USER_LIST_ID .*check the customer ID and the customer list ID$/,
    )
    // A job Google fails while processing is a config error naming it.
    ads.failNextJob = { code: 3, message: 'The user list is closed.' }
    detail = await run()
    expect(detail.lastError).toMatch(
      /^Google Ads could not process upload job customers\/1234567890\/offlineUserDataJobs\/\d+: The user list is closed\./,
    )
    detail = await run()
    expect(detail.lastError).toBeNull()
    expect(ads.hashes(USER_LIST, 'hashedPhoneNumber')).toContain(HASH.luc)

    // The connection test: the account's customers, then the list by its ID and type.
    const test = (config?: Record<string, unknown>) =>
      t().send('POST', `/api/authorizations/${authorization}/test`, {
        cookie: admin,
        body: config ? { config } : {},
      })
    expect((await test()).json).toEqual({
      ok: true,
      message: 'connected: the account reaches 1 Google Ads customer; add the customer list to check it',
    })
    const config = { customerId: '123-456-7890', loginCustomerId: '9876543210' }
    expect((await test({ ...config, userListId: LIST })).json).toEqual({
      ok: true,
      message: 'customer list "Sluice pros" can be updated',
    })
    expect((await test({ ...config, userListId: '555' })).json).toEqual({
      ok: false,
      message:
        'list "Site visitors" is a RULE_BASED list; Customer Match uploads go to a customer list (CRM_BASED)',
    })
    // Without the manager account Google refuses the client customer.
    const denied = (await test({ customerId: CUSTOMER, userListId: LIST })).json
    expect(denied).toMatchObject({ ok: false })
    expect(denied.message).toMatch(/USER_PERMISSION_DENIED.*login-customer-id.*set its ID\)$/)

    // Google refuses the token and the refresh: an auth error that asks to reconnect, no secret in it.
    refuseRefresh = true
    keys.clear()
    await collect({ user_id: 'u3', plan: 'free' })
    detail = await run()
    expect(detail.lastError).toMatch(/stopped working: .*invalid_grant.*reconnect it in the Vault/)
    expect(detail.lastError).not.toContain(DEVELOPER_TOKEN)
    expect(ads.hashes(USER_LIST, 'hashedEmail')).toContain(HASH.john)
  })

  it('pages a larger audience: one job of three addOperations requests, then removes in two', async () => {
    ads.calls.length = 0
    refuseRefresh = false
    ads.pollsBeforeDone = 0
    const sha = (text: string) => createHash('sha256').update(text).digest('hex')
    // Each email as collected, then as Google normalises it (no spaces, lower-cased), by hand.
    const people = [
      ['  Ana@Example.com', 'ana@example.com'],
      ['BO@example .com', 'bo@example.com'],
      ['cy@Example.ORG', 'cy@example.org'],
      ['Dev@example.net', 'dev@example.net'],
      ['EVE@example.com', 'eve@example.com'],
    ] as const
    const hashes = people.map(([, email]) => sha(email))
    // A new connection through the OAuth app the first test configured.
    const start = await t().send('GET', '/api/oauth/google-ads/start?name=Bulk%20account', { cookie: admin })
    const consent = new URL(start.headers.get('location')!)
    const callback = new URL((await fetch(consent, { redirect: 'manual' })).headers.get('location')!)
    const done = await t().send('GET', `${callback.pathname}${callback.search}`, { cookie: admin })
    const { searchParams } = new URL(done.headers.get('location')!, 'http://x')
    const collect = await collector(t(), admin, 'bulk')
    for (const [index, [email]] of people.entries())
      await collect({ user_id: `b${index}`, email, cohort: 'bulk' })
    const audience = await saveAudience(t(), admin, 'Bulk', { field: 'cohort', op: 'eq', value: 'bulk' })
    const { jobOf } = await deployPipeline(t(), admin, 'Bulk to Google', {
      version: 1,
      nodes: [
        collectSource('src', 'bulk'),
        audienceNode('aud', audience),
        {
          id: 'dst',
          kind: 'destination',
          provider: 'google-ads',
          jobType: 'customer-match',
          name: 'Bulk customer list',
          position: { x: 0, y: 0 },
          data: {
            config: { customerId: CUSTOMER, userListId: BULK, loginCustomerId: MANAGER, batchSize: 2 },
            cadence: { every: '1h' },
            mapping: { fields: [{ from: 'email', to: 'email', identity: true }], keepUnmapped: false },
          },
        },
        authorizationNode('auth', 'google-ads', searchParams.get('authorization')!),
      ],
      edges: [edge('src', 'aud'), edge('aud', 'dst'), edge('auth', 'dst')],
    })
    const job = jobOf('dst')
    const run = async () => {
      expect((await runJobNow(t(), admin, job)).lastError).toBeNull()
      return (await t().send('GET', `/api/jobs/${job}/runs`, { cookie: admin })).json[0]
    }
    // The emulator's record of the list's jobs: the operations each addOperations request carried.
    const jobs = () => ads.jobs.filter((one) => one.userList === BULK_LIST)
    const emailsOf = (index: number) =>
      jobs()[index]!.operations.flatMap((op) => op.userIdentifiers.map((id) => id.hashedEmail))
    const addOperations = () =>
      ads.callsTo(/^POST \/v26\/customers\/\d+\/offlineUserDataJobs\/\d+:addOperations$/)

    // Five people in requests of two: one job of three requests (2, 2, 1), together exactly the five.
    expect(await run()).toMatchObject({ added: 5, removed: 0, omitted: 0 })
    expect(addOperations()).toHaveLength(3)
    expect(jobs()).toMatchObject([{ action: 'create', requests: [2, 2, 1], status: 'SUCCESS' }])
    expect(emailsOf(0).sort()).toEqual([...hashes].sort())
    expect(ads.hashes(BULK_LIST, 'hashedEmail')).toEqual([...hashes].sort())

    // Three leave: a job of removes in two requests (2, 1) naming exactly them.
    for (const index of [0, 2, 4]) await collect({ user_id: `b${index}`, cohort: 'gone' })
    ads.calls.length = 0
    expect(await run()).toMatchObject({ added: 0, removed: 3 })
    expect(addOperations()).toHaveLength(2)
    expect(jobs()[1]).toMatchObject({ action: 'remove', requests: [2, 1], status: 'SUCCESS' })
    expect(emailsOf(1).sort()).toEqual([hashes[0], hashes[2], hashes[4]].sort())
    expect(ads.hashes(BULK_LIST, 'hashedEmail')).toEqual([hashes[1], hashes[3]].sort())
  })
})
