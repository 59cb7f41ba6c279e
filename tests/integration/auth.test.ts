import { expect, it } from 'vitest'
import { cookieOf, ORIGIN, useTestApp } from '../support/app.ts'
import { describeEachDialect } from '../support/dialects.ts'

describeEachDialect('auth and sessions', (dialect) => {
  const t = useTestApp(dialect)

  it('requires setup once, then refuses a second setup', async () => {
    const { send, setupAdmin } = t()
    expect((await send('GET', '/api/auth/setup')).json).toEqual({ required: true, user: null })
    const cookie = await setupAdmin()
    expect((await send('GET', '/api/auth/setup')).json).toEqual({ required: false, user: null })
    // With a session it also says whose, so the app starts in one round trip.
    const mine = await send('GET', '/api/auth/setup', { cookie })
    expect(mine.json).toMatchObject({ required: false, user: { email: 'admin@example.com', via: 'session' } })
    expect(mine.json.user.password_hash).toBeUndefined()
    const me = await send('GET', '/api/auth/me', { cookie })
    expect(me.status).toBe(200)
    expect(me.json).toMatchObject({ email: 'admin@example.com', role: 'admin', via: 'session' })
    expect(me.json.password_hash).toBeUndefined()
    const again = await send('POST', '/api/auth/setup', {
      body: { email: 'x@example.com', name: 'X', password: 'password-123' },
    })
    expect(again.status).toBe(409)
    expect(again.json.error.code).toBe('AlreadySetUp')
  })

  it('sets an HttpOnly SameSite=Lax session cookie and ends it on logout', async () => {
    const { send } = t()
    const login = await send('POST', '/api/auth/login', {
      body: { email: 'ADMIN@example.com', password: 'correct horse battery' },
    })
    expect(login.status).toBe(200)
    const setCookie = login.headers.get('set-cookie') ?? ''
    expect(setCookie).toMatch(/HttpOnly/i)
    expect(setCookie).toMatch(/SameSite=Lax/i)
    const cookie = cookieOf(login.headers)
    expect((await send('GET', '/api/auth/me', { cookie })).status).toBe(200)
    expect((await send('POST', '/api/auth/logout', { cookie })).status).toBe(204)
    expect((await send('GET', '/api/auth/me', { cookie })).status).toBe(401)
  })

  it('expires idle sessions after 14 days and sweeps them at the next sign-in', async () => {
    const { send, clock, database } = t()
    const body = { email: 'admin@example.com', password: 'correct horse battery' }
    const cookie = cookieOf((await send('POST', '/api/auth/login', { body })).headers)
    clock.advance(13 * 86_400_000)
    expect((await send('GET', '/api/auth/me', { cookie })).status).toBe(200) // use slides the expiry
    clock.advance(13 * 86_400_000)
    expect((await send('GET', '/api/auth/me', { cookie })).status).toBe(200)
    clock.advance(15 * 86_400_000)
    expect((await send('GET', '/api/auth/me', { cookie })).status).toBe(401)
    await send('POST', '/api/auth/login', { body })
    const live = await database.db.selectFrom('sessions').select('expires_at').execute()
    expect(live.every((row) => row.expires_at > clock.now().toISOString())).toBe(true)
  })

  it('answers 401 with a message for a wrong password or unknown user, the same way', async () => {
    const { send } = t()
    const wrong = await send('POST', '/api/auth/login', {
      body: { email: 'admin@example.com', password: 'nope-nope' },
    })
    const unknown = await send('POST', '/api/auth/login', {
      body: { email: 'ghost@example.com', password: 'nope-nope' },
    })
    expect(wrong.status).toBe(401)
    expect(unknown.status).toBe(401)
    expect(wrong.json.error).toEqual(unknown.json.error)
  })

  it('rate-limits failed sign-ins with 429 and Retry-After, even for the right password', async () => {
    const { send } = t()
    const body = { email: 'target@example.com', password: 'guess-guess' }
    for (let attempt = 0; attempt < 10; attempt++) {
      expect((await send('POST', '/api/auth/login', { body })).status).toBe(401)
    }
    const blocked = await send('POST', '/api/auth/login', { body })
    expect(blocked.status).toBe(429)
    expect(blocked.json.error.code).toBe('TooManyAttempts')
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0)
    // Another account from the same address is not locked by this one's failures.
    const other = await send('POST', '/api/auth/login', {
      body: { email: 'admin@example.com', password: 'correct horse battery' },
    })
    expect(other.status).toBe(200)
  })

  it('refuses cookie requests that change data from another origin or with no origin', async () => {
    const { send } = t()
    const login = await send('POST', '/api/auth/login', {
      body: { email: 'admin@example.com', password: 'correct horse battery' },
    })
    const cookie = cookieOf(login.headers)
    const body = { name: 'CSRF', document: { version: 1, nodes: [], edges: [] } }
    const foreign = await send('POST', '/api/pipelines', {
      cookie,
      body,
      headers: { origin: 'https://evil.example' },
    })
    expect(foreign.status).toBe(403)
    expect(foreign.json.error.code).toBe('OriginMismatch')
    const bare = await t().app.request('/api/pipelines', {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    expect(bare.status).toBe(403)
    const same = await send('POST', '/api/pipelines', { cookie, body, headers: { origin: ORIGIN } })
    expect(same.status).toBe(201)
  })

  it('validates setup and login input with messages naming the field', async () => {
    const { send } = t()
    const bad = await send('POST', '/api/auth/login', {
      body: { email: 'a@b.c', password: 'x', remember: true },
    })
    expect(bad.status).toBe(400)
    expect(bad.json.error.code).toBe('ValidationFailed')
    expect(bad.json.error.message).toMatch(/remember/)
  })

  it('creates bearer tokens shown once, stored hashed, and revocable', async () => {
    const { send, database } = t()
    const cookie = cookieOf(
      (
        await send('POST', '/api/auth/login', {
          body: { email: 'admin@example.com', password: 'correct horse battery' },
        })
      ).headers,
    )
    const created = await send('POST', '/api/tokens', { cookie, body: { name: 'CI', role: 'editor' } })
    expect(created.status).toBe(201)
    const token = created.json.token as string
    expect(token).toMatch(/^slc_/)
    const rows = await database.db.selectFrom('api_tokens').selectAll().execute()
    expect(rows.some((row) => row.token_hash === token || JSON.stringify(row).includes(token))).toBe(false)
    const list = await send('GET', '/api/tokens', { cookie })
    expect(JSON.stringify(list.json)).not.toContain(token)
    const me = await send('GET', '/api/auth/me', { token })
    expect(me.json).toMatchObject({ role: 'admin', via: 'token' })
    // The token's own role caps it: an editor token cannot manage users.
    expect((await send('GET', '/api/users', { token })).status).toBe(403)
    expect(
      (
        await send('POST', '/api/pipelines', {
          token,
          body: { name: 'via token', document: { version: 1, nodes: [], edges: [] } },
        })
      ).status,
    ).toBe(201)
    expect((await send('DELETE', `/api/tokens/${created.json.id}`, { cookie })).status).toBe(204)
    const revoked = await send('GET', '/api/auth/me', { token })
    expect(revoked.status).toBe(401)
    expect(revoked.json.error.code).toBe('InvalidToken')
    expect((await send('DELETE', `/api/tokens/${created.json.id}`, { cookie })).status).toBe(404)
    expect((await send('GET', '/api/auth/me', { headers: { authorization: 'Basic abc' } })).status).toBe(401)
  })
})
