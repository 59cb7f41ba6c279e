import { expect, it } from 'vitest'
import { sweepRetention } from '../../server/data/retention.ts'
import { useTestApp } from '../support/app.ts'
import { describeEachDialect } from '../support/dialects.ts'

describeEachDialect('collect API (realtime JSON) and streams', (dialect) => {
  const t = useTestApp(dialect)
  let admin = ''
  let key = ''

  const collect = (
    stream: string,
    body: unknown,
    query = '',
    headers: Record<string, string> = { authorization: key },
  ) => t().send('POST', `/collect/json/${stream}${query}`, { body, headers })
  const messages = async (stream: string) =>
    (await t().send('GET', `/api/streams/${stream}/messages`, { cookie: admin })).json

  it('creates data keys shown once and stored hashed; only admins manage them', async () => {
    const { send, setupAdmin, addUser, database } = t()
    admin = await setupAdmin()
    const created = await send('POST', '/api/data-keys', { cookie: admin, body: { name: 'Website' } })
    expect(created.status).toBe(201)
    key = created.json.key
    expect(key).toMatch(/^sdk_/)
    expect(created.json).toMatchObject({ name: 'Website', stream: null, prefix: key.slice(0, 8) })
    const rows = await database.db.selectFrom('data_keys').selectAll().execute()
    expect(JSON.stringify(rows)).not.toContain(key)
    expect(JSON.stringify((await send('GET', '/api/data-keys', { cookie: admin })).json)).not.toContain(key)
    const editor = await addUser(admin, 'editor')
    expect(
      (await send('POST', '/api/data-keys', { cookie: editor.cookie, body: { name: 'x' } })).status,
    ).toBe(403)
    expect(
      (await send('POST', '/api/data-keys', { cookie: admin, body: { name: 'x', stream: 'bad stream!' } }))
        .status,
    ).toBe(400)
  })

  it('stores one object or an array of objects and answers like Lytics', async () => {
    const one = await collect('web', { email: 'a@example.com', event: 'signup' })
    expect(one.status).toBe(200)
    expect(one.json).toEqual({
      status: 200,
      message: 'success',
      data: {
        message_count: 1,
        rejected_count: 0,
        duplicate_count: 0,
        dryrun: false,
        droperrors: false,
        timestamp_field: null,
        filename: null,
        upload_id: null,
        errors: [],
      },
    })
    const many = await collect('web', [{ email: 'b@example.com' }, { email: 'c@example.com' }])
    expect(many.json.data.message_count).toBe(2)
    const streams = await t().send('GET', '/api/streams', { cookie: admin })
    expect(streams.json).toEqual([
      {
        name: 'web',
        messageCount: 3,
        lastMessageAt: t().clock.now().toISOString(),
        retentionDays: null,
        expiredSinceRebuild: 0,
        createdAt: expect.any(String),
      },
    ])
    const stored = await messages('web')
    expect(stored.map((m: { payload: { email: string } }) => m.payload.email)).toEqual([
      'c@example.com',
      'b@example.com',
      'a@example.com',
    ])
    // The realtime lane unifies in the request's own transaction.
    expect(stored[0]).toMatchObject({
      lane: 'realtime',
      stream: 'web',
      uploadId: null,
      unifiedAt: t().clock.now().toISOString(),
      profileId: expect.any(String),
    })
  })

  it('takes event times from timestamp_field, in UTC, and the receive time when a row has none', async () => {
    const rows = [
      { email: 'tz@example.com', ts: '2026-01-15T10:00:00+02:00' },
      { email: 'epoch@example.com', ts: 1_767_225_600 },
      { email: 'millis@example.com', ts: '1767225600000' },
      { email: 'none@example.com' },
    ]
    const answer = await collect('times', rows, '?timestamp_field=ts')
    expect(answer.json.data).toMatchObject({ message_count: 4, timestamp_field: 'ts' })
    const times = Object.fromEntries(
      (await messages('times')).map((m: { payload: { email: string }; eventTime: string }) => [
        m.payload.email,
        m.eventTime,
      ]),
    )
    expect(times).toEqual({
      'tz@example.com': '2026-01-15T08:00:00.000Z',
      'epoch@example.com': '2026-01-01T00:00:00.000Z',
      'millis@example.com': '2026-01-01T00:00:00.000Z',
      'none@example.com': t().clock.now().toISOString(),
    })
  })

  it('stores nothing when a row is bad, unless droperrors keeps the good ones', async () => {
    const rows = [
      { email: 'ok@example.com', ts: '2026-01-01' },
      'not an object',
      { email: 'late@example.com', ts: 'yesterday' },
    ]
    const refused = await collect('strict', rows, '?timestamp_field=ts')
    expect(refused.status).toBe(400)
    expect(refused.json.error.code).toBe('RowsRejected')
    expect(refused.json.error.details.errors).toEqual([
      { row: 2, reason: 'expected a JSON object, got string' },
      { row: 3, reason: expect.stringMatching(/ts is "yesterday", which is not a date/) },
    ])
    expect((await t().send('GET', '/api/streams/strict/messages', { cookie: admin })).status).toBe(404)
    const kept = await collect('strict', rows, '?timestamp_field=ts&droperrors=true')
    expect(kept.json.data).toMatchObject({ message_count: 1, rejected_count: 2, droperrors: true })
    expect((await messages('strict')).map((m: { payload: { email: string } }) => m.payload.email)).toEqual([
      'ok@example.com',
    ])
  })

  it('counts without storing on dryrun, merges append into each row, and stores a messageId once', async () => {
    const dry = await collect('dry', [{ a: 1 }, { a: 2 }], '?dryrun=true')
    expect(dry.json.data).toMatchObject({ message_count: 2, dryrun: true })
    expect((await t().send('GET', '/api/streams/dry/messages', { cookie: admin })).status).toBe(404)
    await collect(
      'tagged',
      { email: 'x@example.com' },
      `?append=${encodeURIComponent('{"source":"crm"}')}&filename=leads.json`,
    )
    expect((await messages('tagged'))[0].payload).toEqual({ email: 'x@example.com', source: 'crm' })
    const event = { messageId: 'm-1', event: 'click' }
    await collect('dedup', [event])
    const retry = await collect('dedup', [event, { messageId: 'm-2', event: 'view' }])
    expect(retry.json.data).toMatchObject({ message_count: 2, duplicate_count: 1 })
    expect(await messages('dedup')).toHaveLength(2)
    expect((await collect('bad', {}, '?append=[1,2]')).status).toBe(400)
  })

  it('accepts the key as Authorization, Bearer or access_token, and refuses a missing or unknown one', async () => {
    expect((await collect('auth', { n: 1 }, '', { authorization: `Bearer ${key}` })).status).toBe(200)
    expect((await collect('auth', { n: 2 }, `?access_token=${key}`, {})).status).toBe(200)
    const missing = await collect('auth', { n: 3 }, '', {})
    expect(missing.status).toBe(401)
    const unknown = await collect('auth', { n: 4 }, '', { authorization: 'sdk_nope' })
    expect(unknown.status).toBe(401)
    expect(unknown.json.error.code).toBe('InvalidDataKey')
    expect(await messages('auth')).toHaveLength(2)
  })

  it('keeps a stream-bound key to its stream and refuses keys once deleted', async () => {
    const bound = await t().send('POST', '/api/data-keys', {
      cookie: admin,
      body: { name: 'CRM only', stream: 'crm' },
    })
    const headers = { authorization: bound.json.key }
    expect((await collect('crm', { a: 1 }, '', headers)).status).toBe(200)
    const elsewhere = await collect('web', { a: 1 }, '', headers)
    expect(elsewhere.status).toBe(403)
    expect(elsewhere.json.error.code).toBe('StreamNotAllowed')
    expect((await t().send('DELETE', `/api/data-keys/${bound.json.id}`, { cookie: admin })).status).toBe(204)
    expect((await collect('crm', { a: 1 }, '', headers)).status).toBe(401)
  })

  it('answers bad requests with clear errors, never a 500', async () => {
    const stream = await collect('not%20valid', { a: 1 })
    expect(stream.status).toBe(400)
    expect(stream.json.error.code).toBe('InvalidStream')
    const malformed = await t().send('POST', '/collect/json/web', {
      raw: '{"a": ',
      headers: { authorization: key },
    })
    expect(malformed.status).toBe(400)
    expect(malformed.json.error.code).toBe('MalformedJson')
    const type = await t().send('POST', '/collect/json/web', {
      raw: 'a,b\n1,2',
      headers: { authorization: key, 'content-type': 'text/csv' },
    })
    expect(type.status).toBe(415)
    const big = await collect('web', { blob: 'x'.repeat(1024 * 1024 + 1) })
    expect(big.status).toBe(413)
    expect((await collect('web', [], '?dryrun=maybe')).status).toBe(400)
  })

  it('pages a stream newest first with a cursor', async () => {
    await collect(
      'paged',
      Array.from({ length: 25 }, (_, n) => ({ n })),
    )
    const seen: number[] = []
    let cursor: string | null = null
    do {
      const page = await t().send(
        'GET',
        `/api/streams/paged/messages?limit=10${cursor ? `&cursor=${cursor}` : ''}`,
        { cookie: admin },
      )
      seen.push(...page.json.map((m: { payload: { n: number } }) => m.payload.n))
      cursor = page.headers.get('x-next-cursor')
    } while (cursor)
    expect(seen).toEqual(Array.from({ length: 25 }, (_, n) => 24 - n))
    const one = await t().send('GET', '/api/streams/paged', { cookie: admin })
    expect(one.json).toMatchObject({ name: 'paged', messageCount: 25 })
    expect((await t().send('GET', '/api/streams/nope', { cookie: admin })).status).toBe(404)
    const search = await t().send('GET', '/api/streams?q=PAG', { cookie: admin })
    expect(search.json.map((s: { name: string }) => s.name)).toEqual(['paged'])
  })
})

describeEachDialect('stream retention', (dialect) => {
  const t = useTestApp(dialect)

  it('deletes unified raw messages past a stream retention, keeps pending ones and profiles', async () => {
    const { send, setupAdmin, clock, database } = t()
    const cookie = await setupAdmin()
    const key = (await send('POST', '/api/data-keys', { cookie, body: { name: 'k' } })).json.key
    // API tokens, not sessions: the clock moves weeks ahead, past any session's life.
    const token = async (role: string) =>
      (await send('POST', '/api/tokens', { cookie, body: { name: role, role } })).json.token as string
    const [admin, editor, viewer] = [await token('admin'), await token('editor'), await token('viewer')]
    const post = (body: unknown) =>
      send('POST', '/collect/json/kept', { body, headers: { authorization: key } })
    await post({ email: 'old@example.com', plan: 'pro' })
    clock.advance(10 * 86_400_000)
    await post({ email: 'new@example.com' })
    // A pending message (as a paused source leaves it) is never lost to retention.
    await database.db
      .updateTable('raw_messages')
      .set({ unified_at: null })
      .where('payload', 'like', '%new@%')
      .execute()
    clock.advance(10 * 86_400_000)
    const body = { retentionDays: 15 }
    expect((await send('PATCH', '/api/streams/kept', { token: viewer, body })).status).toBe(403)
    const set = await send('PATCH', '/api/streams/kept', { token: editor, body })
    expect(set.status).toBe(200)
    expect(set.json.retentionDays).toBe(15)
    expect(
      (await send('PATCH', '/api/streams/kept', { token: admin, body: { retentionDays: 0 } })).status,
    ).toBe(400)
    expect((await send('PATCH', '/api/streams/nope', { token: admin, body })).status).toBe(404)
    const deleted = await sweepRetention(database.db, clock.now())
    expect(Object.fromEntries(deleted)).toEqual({ kept: 1 })
    const left = (await send('GET', '/api/streams/kept/messages', { token: admin })).json
    expect(left.map((m: { payload: { email: string } }) => m.payload.email)).toEqual(['new@example.com'])
    expect((await send('GET', '/api/streams?q=kept', { token: admin })).json[0].messageCount).toBe(1)
    expect((await send('GET', '/api/profiles?q=old@example.com', { token: admin })).json).toHaveLength(1)
    await send('PATCH', '/api/streams/kept', { token: admin, body: { retentionDays: null } })
    clock.advance(1000 * 86_400_000)
    await database.db.updateTable('raw_messages').set({ unified_at: clock.now().toISOString() }).execute()
    expect((await sweepRetention(database.db, clock.now())).size).toBe(0)
  })
})
