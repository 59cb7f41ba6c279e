import { afterAll, beforeAll, expect, it } from 'vitest'
import { useTestApp } from '../support/app.ts'
import { describeEachDialect } from '../support/dialects.ts'
import { edge } from '../support/documents.ts'
import {
  authorizationNode,
  type KeyedApi,
  keyedSource,
  registerKeyedApi,
  startKeyedApi,
} from '../support/keyed-api.ts'
import { deployPipeline } from '../support/pipelines.ts'

registerKeyedApi()

const GOOD_KEY = 'key-good-7f3a9c2e'
const NEW_KEY = 'key-rotated-5b8d1e4f'
const BAD_KEY = 'key-refused-0c6e2a9b'

describeEachDialect('the Vault: authorizations', (dialect) => {
  let api: KeyedApi
  beforeAll(async () => {
    api = await startKeyedApi([GOOD_KEY, NEW_KEY, 'ada:open-sesame-42'])
  })
  afterAll(() => api.close())
  const t = useTestApp(dialect)
  let admin = ''
  let editor = ''
  let viewer = ''
  beforeAll(async () => {
    admin = await t().setupAdmin()
    editor = (await t().addUser(admin, 'editor')).cookie
    viewer = (await t().addUser(admin, 'viewer')).cookie
  })

  const create = (credentials: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    t().send('POST', '/api/authorizations', {
      cookie: editor,
      body: { name: 'Acme key', provider: 'keyed', method: 'apikey', credentials, ...extra },
    })

  it('stores credentials sealed and answers secrets only as { set: true }', async () => {
    const created = await create({ baseUrl: api.url, apiKey: GOOD_KEY }, { description: 'Production' })
    expect(created.status, created.text).toBe(201)
    expect(created.json).toMatchObject({
      name: 'Acme key',
      description: 'Production',
      provider: 'keyed',
      method: 'apikey',
      fields: { baseUrl: api.url, apiKey: { set: true } },
      usedBy: [],
      error: null,
    })
    expect(created.text).not.toContain(GOOD_KEY)
    const id = created.json.id as string
    const one = await t().send('GET', `/api/authorizations/${id}`, { cookie: viewer })
    expect(one.status).toBe(200)
    expect(one.json.fields.apiKey).toEqual({ set: true })
    const list = await t().send('GET', '/api/authorizations?q=acme', { cookie: viewer })
    expect(list.json.map((row: { id: string }) => row.id)).toContain(id)
    // Who made it, by name, in every answer.
    expect(created.json.createdByName).toBe('editor user')
    expect(list.json.find((row: { id: string }) => row.id === id).createdByName).toBe(
      created.json.createdByName,
    )
    expect(one.json.createdByName).toBe(created.json.createdByName)
    expect((await t().send('GET', '/api/authorizations?q=zzz', { cookie: viewer })).json).toEqual([])
    expect((await t().send('GET', '/api/authorizations?provider=sample', { cookie: viewer })).json).toEqual(
      [],
    )
    expect(one.text + list.text).not.toContain(GOOD_KEY)
    // At rest: a sealed value naming the key, bound to this row; the plaintext nowhere.
    const row = await t()
      .database.db.selectFrom('authorizations')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow()
    expect(JSON.stringify(row)).not.toContain(GOOD_KEY)
    expect(JSON.parse(row.secrets).apiKey).toMatch(new RegExp(`^v1\\.${t().deps.vault.keyId}\\.`))
    expect(row.key_id).toBe(t().deps.vault.keyId)
  })

  it('refuses bad input with what to fix, and viewers', async () => {
    const cases: [Record<string, unknown>, number, string, RegExp][] = [
      [{ provider: 'nope', method: 'apikey' }, 400, 'UnknownProvider', /nope/],
      [{ provider: 'keyed', method: 'none' }, 400, 'UnknownAuthMethod', /apikey, basic/],
      [
        { provider: 'keyed', method: 'apikey', credentials: { baseUrl: api.url } },
        400,
        'InvalidCredentials',
        /credentials\.apiKey/,
      ],
      [
        { provider: 'keyed', method: 'apikey', credentials: { baseUrl: 'not a url', apiKey: GOOD_KEY } },
        400,
        'InvalidCredentials',
        /credentials\.baseUrl/,
      ],
      [
        {
          provider: 'keyed',
          method: 'apikey',
          credentials: { baseUrl: api.url, apiKey: GOOD_KEY, extra: 1 },
        },
        400,
        'InvalidCredentials',
        /extra/,
      ],
      [{ provider: 'keyed', method: 'oauth2' }, 400, 'UseOAuthFlow', /GET \/api\/oauth\/keyed\/start/],
      [
        { provider: 'keyed', method: 'apikey', credentials: { baseUrl: api.url, apiKey: { set: true } } },
        400,
        'InvalidCredentials',
        /no value is stored/,
      ],
    ]
    for (const [input, status, code, message] of cases) {
      const response = await t().send('POST', '/api/authorizations', {
        cookie: editor,
        body: { name: 'X', ...input },
      })
      expect(response.status, JSON.stringify(input)).toBe(status)
      expect(response.json.error.code, JSON.stringify(input)).toBe(code)
      expect(response.json.error.message).toMatch(message)
      expect(response.text).not.toContain(GOOD_KEY)
    }
    const denied = await t().send('POST', '/api/authorizations', {
      cookie: viewer,
      body: {
        name: 'X',
        provider: 'keyed',
        method: 'apikey',
        credentials: { baseUrl: api.url, apiKey: GOOD_KEY },
      },
    })
    expect(denied.status).toBe(403)
    // Mass assignment: who created it is the caller, whatever the body says.
    const sneaky = await t().send('POST', '/api/authorizations', {
      cookie: editor,
      body: { name: 'X', provider: 'keyed', method: 'apikey', createdBy: 'someone', credentials: {} },
    })
    expect(sneaky.status).toBe(400)
    expect(sneaky.json.error.message).toMatch(/createdBy/)
  })

  it('tests the connection with an actionable message that never shows the key', async () => {
    const good = await create({ baseUrl: api.url, apiKey: GOOD_KEY })
    const ok = await t().send('POST', `/api/authorizations/${good.json.id}/test`, { cookie: editor })
    expect(ok.json).toEqual({ ok: true, message: 'connected to Acme' })
    expect(api.seen.at(-1)).toBe(`key:${GOOD_KEY}`)
    const bad = await create({ baseUrl: api.url, apiKey: BAD_KEY })
    const refused = await t().send('POST', `/api/authorizations/${bad.json.id}/test`, { cookie: editor })
    expect(refused.status).toBe(200)
    expect(refused.json.ok).toBe(false)
    expect(refused.json.message).toMatch(/HTTP 401.*check the credentials/)
    // The emulator echoed the refused key; the answer must not.
    expect(api.seen.at(-1)).toBe(`key:${BAD_KEY}`)
    expect(refused.text).not.toContain(BAD_KEY)
    const basic = await t().send('POST', '/api/authorizations', {
      cookie: editor,
      body: {
        name: 'Ada',
        provider: 'keyed',
        method: 'basic',
        credentials: { baseUrl: api.url, username: 'ada', password: 'open-sesame-42' },
      },
    })
    expect(basic.json.fields).toEqual({ baseUrl: api.url, username: 'ada', password: { set: true } })
    expect(
      (await t().send('POST', `/api/authorizations/${basic.json.id}/test`, { cookie: editor })).json.ok,
    ).toBe(true)
    expect(api.seen.at(-1)).toBe('basic:ada:open-sesame-42')
    expect((await t().send('POST', '/api/authorizations/nope/test', { cookie: editor })).status).toBe(404)
  })

  it('renames, and rotates credentials keeping a secret sent back as { set: true }', async () => {
    const created = await create({ baseUrl: api.url, apiKey: GOOD_KEY })
    const id = created.json.id as string
    const renamed = await t().send('PATCH', `/api/authorizations/${id}`, {
      cookie: editor,
      body: { name: 'Renamed', description: 'd' },
    })
    expect(renamed.json).toMatchObject({ name: 'Renamed', description: 'd' })
    // A form sends the fields back, the secret as its marker: the stored key stays.
    const kept = await t().send('PATCH', `/api/authorizations/${id}`, {
      cookie: editor,
      body: { credentials: { baseUrl: `${api.url}/`, apiKey: { set: true } } },
    })
    expect(kept.status, kept.text).toBe(200)
    expect(kept.json.fields.baseUrl).toBe(`${api.url}/`)
    const before = await t()
      .database.db.selectFrom('authorizations')
      .select('secrets')
      .where('id', '=', id)
      .executeTakeFirstOrThrow()
    await t().send('PATCH', `/api/authorizations/${id}`, {
      cookie: editor,
      body: { credentials: { baseUrl: api.url } },
    })
    expect((await t().send('POST', `/api/authorizations/${id}/test`, { cookie: editor })).json.ok).toBe(true)
    expect(api.seen.at(-1)).toBe(`key:${GOOD_KEY}`)
    const rotated = await t().send('PATCH', `/api/authorizations/${id}`, {
      cookie: editor,
      body: { credentials: { apiKey: NEW_KEY } },
    })
    expect(rotated.status).toBe(200)
    expect(rotated.text).not.toContain(NEW_KEY)
    const after = await t()
      .database.db.selectFrom('authorizations')
      .select('secrets')
      .where('id', '=', id)
      .executeTakeFirstOrThrow()
    expect(after.secrets).not.toBe(before.secrets)
    expect((await t().send('POST', `/api/authorizations/${id}/test`, { cookie: editor })).json.ok).toBe(true)
    expect(api.seen.at(-1)).toBe(`key:${NEW_KEY}`)
    const invalid = await t().send('PATCH', `/api/authorizations/${id}`, {
      cookie: editor,
      body: { credentials: { apiKey: 'short' } },
    })
    expect(invalid.status).toBe(400)
    expect(invalid.json.error.message).toMatch(/credentials\.apiKey/)
    expect((await t().send('PATCH', `/api/authorizations/${id}`, { cookie: editor, body: {} })).status).toBe(
      400,
    )
    expect(
      (await t().send('PATCH', `/api/authorizations/${id}`, { cookie: viewer, body: { name: 'v' } })).status,
    ).toBe(403)
    const trail = await t().send('GET', `/api/audit?entityType=authorization&entityId=${id}`, {
      cookie: admin,
    })
    expect(trail.status).toBe(200)
    expect(trail.json.map((entry: { action: string }) => entry.action)).toEqual([
      'rotated',
      'rotated',
      'rotated',
      'renamed',
      'created',
    ])
    expect(trail.text).not.toContain(NEW_KEY)
    expect((await t().send('GET', '/api/audit', { cookie: editor })).status).toBe(403)
  })

  it('gives running jobs the credentials, checks wiring on deploy, and refuses deleting one in use', async () => {
    const created = await create({ baseUrl: api.url, apiKey: GOOD_KEY })
    const authId = created.json.id as string
    const { jobOf } = await deployPipeline(t(), admin, `Keyed ${dialect}`, {
      version: 1,
      nodes: [keyedSource('src'), authorizationNode('auth', 'keyed', authId)],
      edges: [edge('auth', 'src')],
    })
    const jobId = jobOf('src')
    const seenBefore = api.seen.length
    await t().deps.dispatcher.tick()
    const job = await t().send('GET', `/api/jobs/${jobId}`, { cookie: viewer })
    expect(job.json.status, job.json.lastError).toBe('sleeping')
    expect(job.json.authorization).toEqual({ id: authId, name: 'Acme key' })
    expect(job.text).not.toContain(GOOD_KEY)
    expect(api.seen.slice(seenBefore)).toEqual([`key:${GOOD_KEY}`, `key:${GOOD_KEY}`, `key:${GOOD_KEY}`])
    const runs = await t().send('GET', `/api/jobs/${jobId}/runs`, { cookie: viewer })
    expect(runs.json[0].added).toBe(12)
    const list = await t().send('GET', `/api/jobs?authorizationId=${authId}`, { cookie: viewer })
    expect(list.json.map((row: { authorization: unknown }) => row.authorization)).toEqual([
      { id: authId, name: 'Acme key' },
    ])
    expect((await t().send('GET', `/api/authorizations/${authId}`, { cookie: viewer })).json.usedBy).toEqual([
      jobId,
    ])

    // Rotating shows in the job's log as a user action.
    await t().send('PATCH', `/api/authorizations/${authId}`, {
      cookie: editor,
      body: { credentials: { apiKey: NEW_KEY } },
    })
    const logs = await t().send('GET', `/api/jobs/${jobId}/logs?event=AuthorizationChanged`, {
      cookie: viewer,
    })
    expect(logs.json).toHaveLength(1)
    expect(logs.json[0].message).toMatch(/changed the credentials of authorization "Acme key"/)

    const inUse = await t().send('DELETE', `/api/authorizations/${authId}`, { cookie: editor })
    expect(inUse.status).toBe(409)
    expect(inUse.json.error.code).toBe('AuthorizationInUse')
    expect(inUse.json.error.details.jobs).toEqual([
      expect.objectContaining({ id: jobId, name: 'Contacts src' }),
    ])
    expect(inUse.json.error.message).toMatch(/Contacts src/)
  })

  it('refuses a deploy wiring an authorization that does not exist or belongs to another provider', async () => {
    const scriptedAuth = await t().send('POST', '/api/authorizations', {
      cookie: editor,
      body: { name: 'Other', provider: 'sample', method: 'none' },
    })
    expect(scriptedAuth.status, scriptedAuth.text).toBe(201)
    for (const [authorizationId, code] of [
      ['does-not-exist', 'UnknownAuthorization'],
      [scriptedAuth.json.id, 'ProviderMismatch'],
    ] as const) {
      const created = await t().send('POST', '/api/pipelines', {
        cookie: admin,
        body: {
          name: `Wiring ${code}`,
          document: {
            version: 1,
            nodes: [keyedSource('src'), authorizationNode('auth', 'keyed', authorizationId)],
            edges: [edge('auth', 'src')],
          },
        },
      })
      const deploy = await t().send('POST', `/api/pipelines/${created.json.id}/deploy`, {
        cookie: admin,
        body: {},
      })
      expect(deploy.status).toBe(422)
      expect(JSON.stringify(deploy.json)).toContain(code)
    }
    const unused = await t().send('DELETE', `/api/authorizations/${scriptedAuth.json.id}`, { cookie: editor })
    expect(unused.status).toBe(204)
    expect(
      (await t().send('GET', `/api/authorizations/${scriptedAuth.json.id}`, { cookie: viewer })).status,
    ).toBe(404)
  })

  it('turns an altered stored secret into a clear error, never garbage credentials', async () => {
    const created = await create({ baseUrl: api.url, apiKey: GOOD_KEY })
    const id = created.json.id as string
    const row = await t()
      .database.db.selectFrom('authorizations')
      .select('secrets')
      .where('id', '=', id)
      .executeTakeFirstOrThrow()
    const sealed = JSON.parse(row.secrets).apiKey as string
    const flipped = `${sealed.slice(0, -3)}${sealed.at(-3) === 'A' ? 'B' : 'A'}${sealed.slice(-2)}`
    await t()
      .database.db.updateTable('authorizations')
      .set({ secrets: JSON.stringify({ apiKey: flipped }) })
      .where('id', '=', id)
      .execute()
    const seen = api.seen.length
    const test = await t().send('POST', `/api/authorizations/${id}/test`, { cookie: editor })
    expect(test.json.ok).toBe(false)
    expect(test.json.message).toMatch(/failed its integrity check.*enter it again/)
    expect(api.seen.length).toBe(seen)
    // Entering it again repairs it.
    await t().send('PATCH', `/api/authorizations/${id}`, {
      cookie: editor,
      body: { credentials: { apiKey: GOOD_KEY } },
    })
    expect((await t().send('POST', `/api/authorizations/${id}/test`, { cookie: editor })).json.ok).toBe(true)
  })
})
