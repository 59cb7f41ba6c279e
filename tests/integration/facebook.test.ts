import { createHash } from 'node:crypto'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { useTestApp } from '../support/app.ts'
import { describeEachDialect } from '../support/dialects.ts'
import { collectSource, edge } from '../support/documents.ts'
import {
  audienceRateLimit,
  type FacebookEmulator,
  serviceUnavailable,
  startFacebook,
} from '../support/emulators/facebook.ts'
import { authorizationNode } from '../support/keyed-api.ts'
import { audienceNode, collector, deployPipeline, runJobNow, saveAudience } from '../support/pipelines.ts'

const TOKEN = 'EAAGm0PX4ZCpsBAFakeSystemUserToken0123456789'
const AUDIENCE = '23851234567890123'
/** A second audience, so paging is checked on members of its own. */
const BULK = '23851234567890456'

/** `printf '%s' '<value normalised by hand>' | sha256sum` (tests/unit/hashed-identifiers.test.ts). */
const HASH = {
  mary: 'f1904cf1a9d73a55fa5de0ac823c4403ded71afd4c3248d00bdcd0866552bb79', // mary@example.com
  jane: '86e0b9e56c17cc4d12387e1949b85053fbe73bc3ce5a1188713a9d300cc6133d', // jane.doe@example.com
  john: 'bf76de1a7b58966a1a636ee208f34a243f0f24c29b3d1163b6e0d14c0cfadfee', // john.smith+promo@gmail.com
  dee: '81125bf4a7b2bf34bcb85b72fdf330be5b45bf8ba3113c4dd74c456057cf5f3b', // dee@example.com
  maryPhone: '758fbf68945f21c416814c539ab578876c8d98fb69e6da692def92cd52417fe0', // 14155552671
  johnPhone: '35e206e5dec4c89b9e8b71b8c32724a5bb518483ac5a20c6617d738375b3b823', // 442079460958
  luc: '8a3e7886c9335e82e02299fa3e87b46e2de3b0c63d56003e30a5029394a47661', // 33612345678
}

describeEachDialect('Facebook Custom Audiences', (dialect) => {
  let fb: FacebookEmulator
  beforeAll(async () => {
    fb = await startFacebook({
      tokens: [TOKEN],
      audiences: { [AUDIENCE]: 'Sluice pros', [BULK]: 'Sluice bulk' },
    })
  })
  afterAll(() => fb.close())
  const t = useTestApp(dialect)
  let admin: string

  it('adds the audience hashed in batches, removes who leaves, sleeps on 80003, retries code 2, stops on 190', async () => {
    admin = await t().setupAdmin()
    const collect = await collector(t(), admin, 'crm')
    await collect({ user_id: 'u1', email: '  Mary@Example.com ', phone: '(415) 555-2671', plan: 'pro' })
    await collect({ user_id: 'u2', email: 'jane.doe@example.com', plan: 'pro' })
    await collect({
      user_id: 'u3',
      email: 'John.Smith+Promo@Gmail.com',
      phone: '+44 (0)20 7946 0958',
      plan: 'pro',
    })
    // Neither a mailbox nor a phone: rejected with the reason, counted omitted.
    await collect({ user_id: 'u4', email: 'not-an-email', plan: 'pro' })
    // Only a phone, with its country code: keyed by it, since the mapping marks it an identity.
    await collect({ user_id: 'u5', phone: '+33 6 12 34 56 78', plan: 'pro' })
    await collect({ user_id: 'u6', email: 'dee@example.com', plan: 'free' })
    const audience = await saveAudience(t(), admin, 'Pros', { field: 'plan', op: 'eq', value: 'pro' })
    const authorization = await t().send('POST', '/api/authorizations', {
      cookie: admin,
      body: {
        name: 'Meta system user',
        provider: 'facebook',
        method: 'apikey',
        credentials: { accessToken: TOKEN, apiUrl: fb.url },
      },
    })
    expect(authorization.status, authorization.text).toBe(201)

    const { jobOf } = await deployPipeline(t(), admin, 'Pros to Meta', {
      version: 1,
      nodes: [
        collectSource('src', 'crm'),
        audienceNode('aud', audience),
        {
          id: 'dst',
          kind: 'destination',
          provider: 'facebook',
          jobType: 'audience',
          name: 'Meta audience',
          position: { x: 0, y: 0 },
          data: {
            config: { audienceId: AUDIENCE, batchSize: 2, defaultCountry: 'us' },
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
        authorizationNode('auth', 'facebook', authorization.json.id),
      ],
      edges: [edge('src', 'aud'), edge('aud', 'dst'), edge('auth', 'dst')],
    })
    const job = jobOf('dst')
    const run = () => runJobNow(t(), admin, job)
    const lastRun = async () => (await t().send('GET', `/api/jobs/${job}/runs`, { cookie: admin })).json[0]

    let detail = await run()
    expect(detail.lastError).toBeNull()
    // Exactly the audience, as Meta's hashes of the normalised values.
    expect(fb.hashes(AUDIENCE, 'EMAIL')).toEqual([HASH.mary, HASH.jane, HASH.john].sort())
    expect(fb.hashes(AUDIENCE, 'PHONE')).toEqual([HASH.maryPhone, HASH.johnPhone, HASH.luc].sort())
    expect(fb.members(AUDIENCE)).toContainEqual({ EMAIL: HASH.mary, PHONE: HASH.maryPhone })
    // Four people in requests of two, the token in the form body and never in the URL.
    const adds = fb.callsTo(new RegExp(`^POST /v26\\.0/${AUDIENCE}/users$`))
    expect(adds).toHaveLength(2)
    for (const call of adds) {
      expect(call.headers['content-type']).toBe('application/x-www-form-urlencoded')
      expect(new URLSearchParams(call.body).get('access_token')).toBe(TOKEN)
    }
    expect(fb.payloads.map((payload) => [payload.schema, payload.data.length])).toEqual([
      [['EMAIL', 'PHONE'], 2],
      [['EMAIL', 'PHONE'], 2],
    ])
    expect(fb.payloads.flatMap((payload) => payload.data)).toContainEqual(['', HASH.luc])
    expect(fb.calls.some((call) => call.path.includes(TOKEN))).toBe(false)
    expect(await lastRun()).toMatchObject({ added: 4, removed: 0, omitted: 1 })

    // Jane and the phone-only person leave: one DELETE naming each by the key they were sent under.
    await collect({ user_id: 'u2', plan: 'free' })
    await collect({ user_id: 'u5', plan: 'free' })
    fb.payloads.length = 0
    detail = await run()
    expect(detail.lastError).toBeNull()
    expect(fb.payloads).toEqual([
      {
        method: 'DELETE',
        audienceId: AUDIENCE,
        schema: ['EMAIL', 'PHONE'],
        data: expect.arrayContaining([
          [HASH.jane, ''],
          ['', HASH.luc],
        ]),
      },
    ])
    expect(fb.hashes(AUDIENCE, 'EMAIL')).toEqual([HASH.mary, HASH.john].sort())
    expect(fb.hashes(AUDIENCE, 'PHONE')).toEqual([HASH.maryPhone, HASH.johnPhone].sort())
    expect(await lastRun()).toMatchObject({ added: 0, removed: 2 })

    // Dee joins while the ad account is throttled (80003): the job sleeps until access is back.
    await collect({ user_id: 'u6', plan: 'pro' })
    fb.fail(audienceRateLimit(7))
    const before = t().clock.now().getTime()
    detail = await run()
    expect(detail).toMatchObject({ status: 'sleeping', sleepReason: 'rate_limit' })
    expect(Date.parse(detail.nextRunAt) - (before + 1000)).toBe(7 * 60_000)
    // Then Meta has an outage (code 2, is_transient): retried with back-off.
    fb.fail(serviceUnavailable)
    detail = await run()
    expect(detail).toMatchObject({ status: 'sleeping', sleepReason: 'retry', consecutiveErrors: 1 })
    expect(detail.lastError).toMatch(/Meta answered HTTP 500 \(code 2\): An unexpected error/)
    fb.payloads.length = 0
    detail = await run()
    expect(detail).toMatchObject({ consecutiveErrors: 0, lastError: null })
    expect(fb.payloads).toEqual([
      { method: 'POST', audienceId: AUDIENCE, schema: ['EMAIL'], data: [[HASH.dee]] },
    ])
    expect(fb.hashes(AUDIENCE, 'EMAIL')).toEqual([HASH.mary, HASH.john, HASH.dee].sort())

    // The token is revoked (190): an auth error that says what to do and never shows the token.
    fb.tokens.delete(TOKEN)
    await collect({ user_id: 'u2', plan: 'pro' })
    detail = await run()
    expect(detail.lastError).toMatch(
      /^Meta answered HTTP 400 \(code 190\/463\): Invalid OAuth access token.*generate a new system user token/,
    )
    expect(detail.lastError).not.toContain(TOKEN)
    expect(fb.hashes(AUDIENCE, 'EMAIL')).not.toContain(HASH.jane)
    fb.tokens.add(TOKEN)
    detail = await run()
    expect(detail.lastError).toBeNull()
    expect(fb.hashes(AUDIENCE, 'EMAIL')).toContain(HASH.jane)

    // The connection test reads the audience with the token; an unknown audience says so.
    const test = (config: Record<string, unknown> | undefined) =>
      t().send('POST', `/api/authorizations/${authorization.json.id}/test`, {
        cookie: admin,
        body: config ? { config } : {},
      })
    expect((await test({ audienceId: AUDIENCE })).json).toEqual({
      ok: true,
      message: 'custom audience "Sluice pros" can be updated with this token',
    })
    expect((await test(undefined)).json).toEqual({
      ok: true,
      message: 'the token works (Sluice system user); add the audience ID to check it',
    })
    const unknown = (await test({ audienceId: '999' })).json
    expect(unknown.ok).toBe(false)
    expect(unknown.message).toMatch(
      /^Meta answered HTTP 400 \(code 100\/33\): Unsupported request\. Object with ID '999'/,
    )
  })

  it('pages a larger audience: three add requests of at most two people, then removes in two', async () => {
    const sha = (text: string) => createHash('sha256').update(text).digest('hex')
    // Each email as collected, then as Meta normalises it (trimmed, lower-cased), by hand.
    const people = [
      ['  Ana@Example.com', 'ana@example.com'],
      ['BO@example.com ', 'bo@example.com'],
      ['cy@Example.ORG', 'cy@example.org'],
      ['Dev@example.net', 'dev@example.net'],
      ['EVE@example.com', 'eve@example.com'],
    ] as const
    const hashes = people.map(([, email]) => sha(email))
    const collect = await collector(t(), admin, 'bulk')
    for (const [index, [email]] of people.entries())
      await collect({ user_id: `b${index}`, email, cohort: 'bulk' })
    const audience = await saveAudience(t(), admin, 'Bulk', { field: 'cohort', op: 'eq', value: 'bulk' })
    const authorization = await t().send('POST', '/api/authorizations', {
      cookie: admin,
      body: {
        name: 'Meta bulk',
        provider: 'facebook',
        method: 'apikey',
        credentials: { accessToken: TOKEN, apiUrl: fb.url },
      },
    })
    expect(authorization.status, authorization.text).toBe(201)
    const { jobOf } = await deployPipeline(t(), admin, 'Bulk to Meta', {
      version: 1,
      nodes: [
        collectSource('src', 'bulk'),
        audienceNode('aud', audience),
        {
          id: 'dst',
          kind: 'destination',
          provider: 'facebook',
          jobType: 'audience',
          name: 'Meta bulk audience',
          position: { x: 0, y: 0 },
          data: {
            config: { audienceId: BULK, batchSize: 2 },
            cadence: { every: '1h' },
            mapping: { fields: [{ from: 'email', to: 'email', identity: true }], keepUnmapped: false },
          },
        },
        authorizationNode('auth', 'facebook', authorization.json.id),
      ],
      edges: [edge('src', 'aud'), edge('aud', 'dst'), edge('auth', 'dst')],
    })
    const job = jobOf('dst')
    const run = async () => {
      expect((await runJobNow(t(), admin, job)).lastError).toBeNull()
      return (await t().send('GET', `/api/jobs/${job}/runs`, { cookie: admin })).json[0]
    }
    const requests = (method: string) => fb.callsTo(new RegExp(`^${method} /v26\\.0/${BULK}/users$`))
    const sent = () => fb.payloads.filter((payload) => payload.audienceId === BULK)
    const hashesSent = () => sent().flatMap((payload) => payload.data.flat())

    // Five people in requests of two: three POSTs of 2, 2 and 1, together exactly the five hashes.
    expect(await run()).toMatchObject({ added: 5, removed: 0, omitted: 0 })
    expect(requests('POST')).toHaveLength(3)
    const sizes = () => sent().map((payload) => `${payload.method} ${payload.data.length}`)
    expect(sizes()).toEqual(['POST 2', 'POST 2', 'POST 1'])
    expect(hashesSent().sort()).toEqual([...hashes].sort())
    expect(fb.hashes(BULK, 'EMAIL')).toEqual([...hashes].sort())

    // Three leave: two DELETEs of 2 and 1 naming exactly them; nothing is added again.
    for (const index of [0, 2, 4]) await collect({ user_id: `b${index}`, cohort: 'gone' })
    fb.payloads.length = 0
    expect(await run()).toMatchObject({ added: 0, removed: 3 })
    expect(requests('DELETE')).toHaveLength(2)
    expect(sizes()).toEqual(['DELETE 2', 'DELETE 1'])
    expect(hashesSent().sort()).toEqual([hashes[0], hashes[2], hashes[4]].sort())
    expect(fb.hashes(BULK, 'EMAIL')).toEqual([hashes[1], hashes[3]].sort())
  })
})
