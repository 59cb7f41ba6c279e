import { afterAll, beforeAll, expect, it } from 'vitest'
import { useTestApp } from '../support/app.ts'
import { describeEachDialect } from '../support/dialects.ts'
import { edge } from '../support/documents.ts'
import { authorizationNode, type KeyedApi, startKeyedApi } from '../support/keyed-api.ts'
import { startOAuthProvider } from '../support/oauth-provider.ts'
import { deployPipeline, runJobNow } from '../support/pipelines.ts'

describeEachDialect('REST source with OAuth2 from the Vault', (dialect) => {
  let provider: Awaited<ReturnType<typeof startOAuthProvider>>
  let api: KeyedApi
  beforeAll(async () => {
    provider = await startOAuthProvider(() => api)
    api = await startKeyedApi([])
  })
  afterAll(async () => {
    await provider.stop()
    await api.close()
  })
  const t = useTestApp(dialect)

  it('needs the endpoints from the admin, connects an account, reads with its token and refreshes on a 401', async () => {
    const admin = await t().setupAdmin()
    const register = (body: Record<string, unknown>) =>
      t().send('PUT', '/api/oauth/clients/rest', {
        cookie: admin,
        body: { clientId: 'sluice', clientSecret: 's3cret-client', ...body },
      })
    const incomplete = await register({ scopes: ['contacts.read'] })
    expect(incomplete.status).toBe(400)
    expect(incomplete.json.error.message).toBe(
      'body.authorizeUrl: required, rest has no fixed OAuth2 endpoints; body.tokenUrl: required, rest has no fixed OAuth2 endpoints',
    )
    expect(
      (await register({ authorizeUrl: provider.authorizeUrl, tokenUrl: provider.tokenUrl })).status,
    ).toBe(200)

    const start = await t().send('GET', '/api/oauth/rest/start?name=Contacts%20API', { cookie: admin })
    expect(start.status, start.text).toBe(302)
    const consent = new URL(start.headers.get('location')!)
    expect(consent.searchParams.has('scope')).toBe(false)
    const callback = new URL((await fetch(consent, { redirect: 'manual' })).headers.get('location')!)
    const done = await t().send('GET', `${callback.pathname}${callback.search}`, { cookie: admin })
    const id = new URL(done.headers.get('location')!, 'http://x').searchParams.get('authorization')!
    expect((await t().send('GET', `/api/authorizations/${id}`, { cookie: admin })).json).toMatchObject({
      provider: 'rest',
      method: 'oauth2',
      fields: { accessToken: { set: true }, refreshToken: { set: true } },
    })

    const { jobOf } = await deployPipeline(t(), admin, 'Contacts API', {
      version: 1,
      nodes: [
        {
          id: 'src',
          kind: 'source',
          provider: 'rest',
          jobType: 'records',
          name: 'Contacts',
          position: { x: 0, y: 0 },
          data: {
            config: {
              url: `${api.url}/contacts`,
              recordsPath: 'contacts',
              pagination: { type: 'cursor', param: 'page', path: 'next' },
            },
            cadence: { every: '1h' },
          },
        },
        authorizationNode('auth', 'rest', id),
      ],
      edges: [edge('auth', 'src')],
    })
    const job = jobOf('src')
    let detail = await runJobNow(t(), admin, job)
    expect(detail.lastError).toBeNull()
    const first = api.seen.at(-1)!
    expect(first).toMatch(/^bearer:/)
    const stored = async () =>
      Number(
        (
          await t()
            .database.db.selectFrom('raw_messages')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('job_id', '=', job)
            .executeTakeFirstOrThrow()
        ).n,
      )
    expect(await stored()).toBe(12)

    // The API drops the token early: the 401 refreshes it and the run goes on with the new one.
    api.keys.delete(first.slice('bearer:'.length))
    // Not reset: the provider numbers its tokens by the grants it has recorded.
    const granted = provider.grants.length
    detail = await runJobNow(t(), admin, job)
    expect(detail.lastError).toBeNull()
    expect(provider.grants.slice(granted)).toEqual(['refresh_token'])
    expect(api.seen.at(-1)).not.toBe(first)
    expect(api.seen.at(-1)).toMatch(/^bearer:/)
  })
})
