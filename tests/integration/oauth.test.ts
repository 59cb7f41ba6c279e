import { afterAll, beforeAll, expect, it } from 'vitest'
import { useTestApp } from '../support/app.ts'
import { describeEachDialect } from '../support/dialects.ts'
import { edge } from '../support/documents.ts'
import {
  authorizationNode,
  type KeyedApi,
  keyedOAuth,
  keyedSource,
  registerKeyedApi,
  startKeyedApi,
} from '../support/keyed-api.ts'
import { startOAuthProvider } from '../support/oauth-provider.ts'
import { deployPipeline } from '../support/pipelines.ts'

registerKeyedApi()

const CLIENT_SECRET = 'oauth-client-secret-4f7a2b'
const HOUR = 3_600_000

describeEachDialect('OAuth2: authorization code with PKCE, refresh and reconnect', (dialect) => {
  let provider: Awaited<ReturnType<typeof startOAuthProvider>>
  let api: KeyedApi
  /** Refresh tokens the provider has revoked. */
  const revoked = new Set<string>()
  beforeAll(async () => {
    provider = await startOAuthProvider(
      () => api,
      (response, grant) => {
        if (grant.grant_type === 'refresh_token' && revoked.has(grant.refresh_token!)) {
          response.statusCode = 400
          response.body = { error: 'invalid_grant', error_description: 'the refresh token was revoked' }
        }
      },
    )
    api = await startKeyedApi([])
    keyedOAuth.baseUrl = api.url
  })
  afterAll(async () => {
    await provider.stop()
    await api.close()
  })
  const t = useTestApp(dialect)
  let admin = ''
  let editor = ''
  beforeAll(async () => {
    admin = await t().setupAdmin()
    editor = (await t().addUser(admin, 'editor')).cookie
  })

  /** Runs a flow through the provider as a browser would: start, consent (automatic), callback. */
  async function connect(query: string, as = editor) {
    const start = await t().send('GET', `/api/oauth/keyed/start?${query}`, { cookie: as })
    expect(start.status, start.text).toBe(302)
    const consent = new URL(start.headers.get('location')!)
    const atProvider = await fetch(consent, { redirect: 'manual' })
    const callback = new URL(atProvider.headers.get('location')!)
    return {
      consent,
      callback,
      finish: (cookie = as) => t().send('GET', `${callback.pathname}${callback.search}`, { cookie }),
    }
  }
  const accessTokenOf = async (id: string) => {
    const row = await t()
      .database.db.selectFrom('authorizations')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow()
    return t().deps.vault.unseal({ owner: id, field: 'accessToken' }, JSON.parse(row.secrets).accessToken)
  }

  it('needs an admin-registered app, then connects an account with PKCE and stores the tokens sealed', async () => {
    const missing = await t().send('GET', '/api/oauth/keyed/start', { cookie: editor })
    expect(missing.status).toBe(422)
    expect(missing.json.error.message).toMatch(
      /an admin must first register Sluice's OAuth app for Keyed test API/,
    )
    const denied = await t().send('PUT', '/api/oauth/clients/keyed', {
      cookie: editor,
      body: { clientId: 'x', clientSecret: 'y' },
    })
    expect(denied.status).toBe(403)
    expect(
      (await t().send('PUT', '/api/oauth/clients/keyed', { cookie: admin, body: { clientId: 'sluice-app' } }))
        .status,
    ).toBe(400)
    expect(
      (
        await t().send('PUT', '/api/oauth/clients/sample', {
          cookie: admin,
          body: { clientId: 'a', clientSecret: 'b' },
        })
      ).json.error.code,
    ).toBe('UnknownAuthMethod')
    const registered = await t().send('PUT', '/api/oauth/clients/keyed', {
      cookie: admin,
      body: {
        clientId: 'sluice-app',
        clientSecret: CLIENT_SECRET,
        authorizeUrl: `${provider.authorizeUrl}`,
        tokenUrl: `${provider.tokenUrl}`,
      },
    })
    expect(registered.status, registered.text).toBe(200)
    expect(registered.json.redirectUri).toBe(`${t().deps.config.publicUrl}/api/oauth/callback`)
    const clients = await t().send('GET', '/api/oauth/clients', { cookie: admin })
    expect(clients.json).toEqual([
      expect.objectContaining({
        provider: 'keyed',
        clientId: 'sluice-app',
        clientSecret: { set: true },
        scopes: ['contacts.read'],
      }),
    ])
    expect(clients.text).not.toContain(CLIENT_SECRET)

    const { consent, callback, finish } = await connect('name=Acme%20CRM&returnTo=/vault')
    expect(Object.fromEntries(consent.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: 'sluice-app',
      redirect_uri: `${t().deps.config.publicUrl}/api/oauth/callback`,
      scope: 'contacts.read',
      code_challenge_method: 'S256',
    })
    expect(consent.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/)
    // The state is stored hashed, the verifier sealed: neither is readable from the database.
    const state = consent.searchParams.get('state')!
    const stored = JSON.stringify(await t().database.db.selectFrom('oauth_states').selectAll().execute())
    expect(stored).not.toContain(state)
    // Someone else's browser cannot complete it.
    const foreign = await finish(admin)
    expect(foreign.status).toBe(302)
    expect(foreign.headers.get('location')).toMatch(/^\/vault\?oauthError=this\+sign-in\+link\+is\+unknown/)
    const { finish: again } = await connect('name=Acme%20CRM')
    const done = await again()
    expect(done.status, done.text).toBe(302)
    const id = new URL(done.headers.get('location')!, 'http://x').searchParams.get('authorization')!
    expect(done.headers.get('location')).toBe(`/vault?authorization=${id}`)
    const replay = await t().send('GET', `${callback.pathname}${callback.search}`, { cookie: editor })
    expect(replay.status).toBe(302)
    expect(new URL(replay.headers.get('location')!, 'http://x').searchParams.get('oauthError')).toMatch(
      /unknown or was used already; start connecting again/,
    )
    const authorization = await t().send('GET', `/api/authorizations/${id}`, { cookie: editor })
    expect(authorization.json).toMatchObject({
      name: 'Acme CRM',
      method: 'oauth2',
      provider: 'keyed',
      fields: { accessToken: { set: true }, refreshToken: { set: true } },
      error: null,
    })
    expect(Date.parse(authorization.json.expiresAt)).toBeGreaterThan(t().clock.now().getTime())
    expect((await t().send('POST', `/api/authorizations/${id}/test`, { cookie: editor })).json).toEqual({
      ok: true,
      message: 'connected to Acme',
    })
    expect(api.seen.at(-1)).toBe(`bearer:${await accessTokenOf(id)}`)
    // Open redirects are refused before anything starts.
    const open = await t().send('GET', '/api/oauth/keyed/start?returnTo=//evil.example', { cookie: editor })
    expect(open.status).toBe(400)
    // A declined consent returns with the reason.
    const declined = await connect('returnTo=/pipelines')
    const state2 = declined.consent.searchParams.get('state')!
    const back = await t().send('GET', `/api/oauth/callback?state=${state2}&error=access_denied`, {
      cookie: editor,
    })
    expect(back.headers.get('location')).toMatch(/^\/pipelines\?oauthError=the\+provider\+did\+not\+connect/)
  })

  it('refreshes before expiry and on a 401, once at a time, and marks a refused refresh for reconnecting', async () => {
    const { finish } = await connect('name=Refreshing')
    const id = new URL((await finish()).headers.get('location')!, 'http://x').searchParams.get(
      'authorization',
    )!
    const { jobOf } = await deployPipeline(t(), admin, `OAuth ${dialect}`, {
      version: 1,
      nodes: [keyedSource('a'), keyedSource('b'), authorizationNode('auth', 'keyed', id)],
      edges: [edge('auth', 'a'), edge('auth', 'b')],
    })
    await t().deps.dispatcher.tick()
    const runs = async (job: string) =>
      (await t().send('GET', `/api/jobs/${job}/runs`, { cookie: editor })).json
    // Both jobs import the same contacts into one stream; on PostgreSQL they run at once, so how
    // the 12 profiles split between their counts depends on which batch unifies first.
    const [a, b] = [(await runs(jobOf('a')))[0], (await runs(jobOf('b')))[0]]
    expect([a.outcome, b.outcome]).toEqual(['success', 'success'])
    expect(a.added + b.added).toBeGreaterThanOrEqual(12)
    expect(Math.max(a.added, b.added)).toBeLessThanOrEqual(12)
    const profiles = await t()
      .database.db.selectFrom('profiles')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow()
    expect(Number(profiles.n)).toBe(12)
    const first = await accessTokenOf(id)

    // Close to expiry: the next use refreshes first — one refresh for several at once.
    t().clock.advance(HOUR - 30_000)
    provider.grants.length = 0
    const tests = await Promise.all(
      [1, 2, 3].map(() => t().send('POST', `/api/authorizations/${id}/test`, { cookie: editor })),
    )
    expect(tests.map((test) => test.json.ok)).toEqual([true, true, true])
    expect(provider.grants).toEqual(['refresh_token'])
    const second = await accessTokenOf(id)
    expect(second).not.toBe(first)

    // The provider drops the token early: the connector's 401 refreshes and retries.
    api.keys.delete(second)
    const seen = api.seen.length
    expect((await t().send('POST', `/api/authorizations/${id}/test`, { cookie: editor })).json.ok).toBe(true)
    expect(provider.grants).toEqual(['refresh_token', 'refresh_token'])
    expect(api.seen.slice(seen)).toEqual([`bearer:${second}`, `bearer:${await accessTokenOf(id)}`])

    // The refresh token is revoked: at the next refresh every job using it errors with "reconnect".
    const row = await t()
      .database.db.selectFrom('authorizations')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow()
    revoked.add(
      t().deps.vault.unseal({ owner: id, field: 'refreshToken' }, JSON.parse(row.secrets).refreshToken),
    )
    t().clock.advance(HOUR)
    for (const job of [jobOf('a'), jobOf('b')]) {
      expect((await t().send('POST', `/api/jobs/${job}/run`, { cookie: editor })).status).toBe(200)
    }
    await t().deps.dispatcher.tick()
    for (const job of [jobOf('a'), jobOf('b')]) {
      const detail = (await t().send('GET', `/api/jobs/${job}`, { cookie: editor })).json
      expect(detail.status).toBe('sleeping')
      expect(detail.lastError).toMatch(
        /authorization "Refreshing" stopped working: Keyed test API refused the token request \(invalid_grant\).*reconnect it in the Vault/,
      )
      const logs = (
        await t().send('GET', `/api/jobs/${job}/logs?event=AuthorizationBroken`, { cookie: editor })
      ).json
      expect(logs).toHaveLength(1)
    }
    const broken = (await t().send('GET', `/api/authorizations/${id}`, { cookie: editor })).json
    expect(broken.error).toMatch(/invalid_grant/)

    // Reconnecting the same authorization clears it; the jobs work again.
    const { finish: reconnect } = await connect(`authorizationId=${id}`)
    expect((await reconnect()).headers.get('location')).toBe(`/vault?authorization=${id}`)
    expect((await t().send('GET', `/api/authorizations/${id}`, { cookie: editor })).json.error).toBeNull()
    expect((await t().send('POST', `/api/jobs/${jobOf('a')}/run`, { cookie: editor })).status).toBe(200)
    await t().deps.dispatcher.tick()
    expect(
      (await t().send('GET', `/api/jobs/${jobOf('a')}`, { cookie: editor })).json.consecutiveErrors,
    ).toBe(0)
    const trail = (await t().send('GET', `/api/audit?entityId=${id}`, { cookie: admin })).json.map(
      (entry: { action: string }) => entry.action,
    )
    expect(trail).toEqual(['reconnected', 'created'])
  })
})
