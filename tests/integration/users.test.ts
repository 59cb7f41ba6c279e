import { expect, it } from 'vitest'
import { useTestApp } from '../support/app.ts'
import { describeEachDialect } from '../support/dialects.ts'

describeEachDialect('users', (dialect) => {
  const t = useTestApp(dialect)
  let admin = ''

  it('lets an admin create, list, change and delete users; records who created them', async () => {
    const { send, setupAdmin } = t()
    admin = await setupAdmin()
    const created = await send('POST', '/api/users', {
      cookie: admin,
      body: { email: 'Eve@Example.com', name: 'Eve', password: 'password-123', role: 'editor' },
    })
    expect(created.status).toBe(201)
    expect(created.json).toMatchObject({ email: 'eve@example.com', role: 'editor' })
    const me = await send('GET', '/api/auth/me', { cookie: admin })
    expect(created.json.createdBy).toBe(me.json.id)
    const list = await send('GET', '/api/users', { cookie: admin })
    expect(list.json.map((user: { email: string }) => user.email)).toEqual([
      'admin@example.com',
      'eve@example.com',
    ])
    const patched = await send('PATCH', `/api/users/${created.json.id}`, {
      cookie: admin,
      body: { role: 'viewer', name: 'Eve V' },
    })
    expect(patched.json).toMatchObject({ role: 'viewer', name: 'Eve V' })
    expect((await send('DELETE', `/api/users/${created.json.id}`, { cookie: admin })).status).toBe(204)
    expect((await send('DELETE', `/api/users/${created.json.id}`, { cookie: admin })).status).toBe(404)
  })

  it('refuses duplicate emails, bad input and an empty patch', async () => {
    const { send } = t()
    const dupe = await send('POST', '/api/users', {
      cookie: admin,
      body: { email: 'admin@example.com', name: 'A', password: 'password-123' },
    })
    expect(dupe.status).toBe(409)
    expect(dupe.json.error.code).toBe('EmailTaken')
    const badEmail = await send('POST', '/api/users', {
      cookie: admin,
      body: { email: 'not-an-email', name: 'A', password: 'password-123' },
    })
    expect(badEmail.status).toBe(400)
    expect(badEmail.json.error.message).toMatch(/body\.email/)
    const badRole = await send('POST', '/api/users', {
      cookie: admin,
      body: { email: 'r@example.com', name: 'A', password: 'password-123', role: 'owner' },
    })
    expect(badRole.json.error.message).toMatch(/body\.role/)
    const me = await send('GET', '/api/auth/me', { cookie: admin })
    expect((await send('PATCH', `/api/users/${me.json.id}`, { cookie: admin, body: {} })).status).toBe(400)
    expect((await send('GET', '/api/users', { cookie: admin })).json).toHaveLength(1)
  })

  it('never removes or demotes the last admin', async () => {
    const { send } = t()
    const me = await send('GET', '/api/auth/me', { cookie: admin })
    const demote = await send('PATCH', `/api/users/${me.json.id}`, {
      cookie: admin,
      body: { role: 'editor' },
    })
    expect(demote.status).toBe(409)
    expect(demote.json.error.code).toBe('LastAdmin')
    expect((await send('DELETE', `/api/users/${me.json.id}`, { cookie: admin })).status).toBe(409)
  })

  it('ends the sessions of a user whose role is lowered', async () => {
    const { send, addUser } = t()
    const editor = await addUser(admin, 'editor')
    expect((await send('GET', '/api/auth/me', { cookie: editor.cookie })).status).toBe(200)
    await send('PATCH', `/api/users/${editor.user.id}`, { cookie: admin, body: { role: 'viewer' } })
    expect((await send('GET', '/api/auth/me', { cookie: editor.cookie })).status).toBe(401)
  })

  it('disables a user: no sign-in, no session, no token, until enabled again', async () => {
    const { send, addUser } = t()
    // A second admin, since only admins hold API tokens.
    const editor = await addUser(admin, 'admin')
    const token = await send('POST', '/api/tokens', { cookie: editor.cookie, body: { name: 'script' } })
    expect(token.status).toBe(201)
    const bearer = token.json.token as string
    expect((await send('GET', '/api/auth/me', { token: bearer })).status).toBe(200)
    const off = await send('PATCH', `/api/users/${editor.user.id}`, {
      cookie: admin,
      body: { disabled: true },
    })
    expect(off.status).toBe(200)
    expect(off.json.disabled).toBe(true)
    expect((await send('GET', '/api/auth/me', { cookie: editor.cookie })).status).toBe(401)
    expect((await send('GET', '/api/auth/me', { token: bearer })).status).toBe(401)
    const login = await send('POST', '/api/auth/login', {
      body: { email: editor.email, password: 'password-123' },
    })
    expect(login.status).toBe(403)
    expect(login.json.error.code).toBe('UserDisabled')
    // A wrong password says nothing about the account.
    expect(
      (await send('POST', '/api/auth/login', { body: { email: editor.email, password: 'wrong-one-1' } }))
        .status,
    ).toBe(401)
    const list = await send('GET', '/api/users', { cookie: admin })
    expect(list.json.find((user: { id: string }) => user.id === editor.user.id).disabled).toBe(true)
    const on = await send('PATCH', `/api/users/${editor.user.id}`, {
      cookie: admin,
      body: { disabled: false },
    })
    expect(on.json.disabled).toBe(false)
    expect(
      (await send('POST', '/api/auth/login', { body: { email: editor.email, password: 'password-123' } }))
        .status,
    ).toBe(200)
    // Nobody disables themself, and the last admin stays.
    const me = await send('GET', '/api/auth/me', { cookie: admin })
    const self = await send('PATCH', `/api/users/${me.json.id}`, { cookie: admin, body: { disabled: true } })
    expect(self.status).toBe(409)
    expect(self.json.error.code).toBe('CannotDisableSelf')
  })

  it('keeps users and tokens to admins', async () => {
    const { send, addUser } = t()
    const editor = await addUser(admin, 'editor')
    for (const [method, path] of [
      ['GET', '/api/users'],
      ['POST', '/api/users'],
      ['GET', '/api/tokens'],
      ['POST', '/api/tokens'],
    ] as const) {
      const response = await send(method, path, {
        cookie: editor.cookie,
        body: method === 'POST' ? {} : undefined,
      })
      expect(response.status, `${method} ${path}`).toBe(403)
      expect(response.json.error.message).toMatch(/admin role/)
    }
  })
})
