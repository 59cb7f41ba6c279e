import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { CRASH_ENV } from '../support/crash.ts'
import { openTestDatabase } from '../support/dialects.ts'
import { type KeyedApi, startKeyedApi } from '../support/keyed-api.ts'
import { startOAuthProvider } from '../support/oauth-provider.ts'
import { type RunningSluice, signInRemote, startSluice } from '../support/server.ts'

/** Two API processes on one PostgreSQL share an OAuth2 authorization whose token is about to expire. */
describe.skipIf(!inject('pgUrl'))('OAuth2 refresh across processes', () => {
  let provider: Awaited<ReturnType<typeof startOAuthProvider>>
  let api: KeyedApi
  let database: Awaited<ReturnType<typeof openTestDatabase>>
  const processes: RunningSluice[] = []
  beforeAll(async () => {
    // The first token is due for a refresh a second from now (the margin is a minute).
    provider = await startOAuthProvider(
      () => api,
      (response, grant) => {
        response.body.expires_in = grant.grant_type === 'authorization_code' ? 61 : 3600
      },
    )
    api = await startKeyedApi([])
    database = await openTestDatabase('postgres', { migrate: false })
  })
  afterAll(async () => {
    for (const sluice of processes) await sluice.stop()
    await provider.stop()
    await api.close()
    await database.close()
  })

  it('refreshes once however many processes need the token at the same moment', async () => {
    const env = { ...CRASH_ENV, SLUICE_DB: database.url, KEYED_API_URL: api.url }
    const a = await startSluice(env, { scripted: true, mode: 'api' })
    processes.push(a)
    const b = await startSluice(env, { scripted: true, mode: 'api' })
    processes.push(b)
    const adminA = await signInRemote(a.base)
    const adminB = await signInRemote(b.base)
    const registered = await adminA.call('PUT', '/api/oauth/clients/keyed', {
      clientId: 'sluice-app',
      clientSecret: 'shared-client-secret',
      authorizeUrl: `${provider.authorizeUrl}`,
      tokenUrl: `${provider.tokenUrl}`,
    })
    expect(registered.status).toBe(200)
    const start = await fetch(`${a.base}/api/oauth/keyed/start?name=Shared`, {
      headers: { cookie: adminA.cookie },
      redirect: 'manual',
    })
    expect(start.status).toBe(302)
    const consent = await fetch(start.headers.get('location')!, { redirect: 'manual' })
    const callback = new URL(consent.headers.get('location')!)
    const done = await fetch(`${a.base}${callback.pathname}${callback.search}`, {
      headers: { cookie: adminA.cookie },
      redirect: 'manual',
    })
    const id = new URL(done.headers.get('location')!, a.base).searchParams.get('authorization')!
    expect(id).toBeTruthy()
    expect(provider.grants).toEqual(['authorization_code'])
    await new Promise((resolve) => setTimeout(resolve, 1500))
    const tests = await Promise.all(
      [adminA, adminB, adminA, adminB, adminA, adminB].map((admin) =>
        admin.call('POST', `/api/authorizations/${id}/test`, {}),
      ),
    )
    expect(tests.map((test) => test.json)).toEqual(Array(6).fill({ ok: true, message: 'connected to Acme' }))
    expect(provider.grants).toEqual(['authorization_code', 'refresh_token'])
  }, 180_000)
})
