import { expect, it } from 'vitest'
import { useTestApp } from '../support/app.ts'
import { describeEachDialect } from '../support/dialects.ts'

interface ProfileJson {
  id: string
  attributes: Record<string, { value: unknown; at: string; stream: string }>
  identities: { field: string; value: string; flagged: boolean }[]
  streams: string[]
  mergedFrom: string[]
}

describeEachDialect('profiles: identity resolution, last writer wins, merges, privacy', (dialect) => {
  const t = useTestApp(dialect)
  let admin = ''
  let key = ''

  const collect = async (stream: string, body: unknown, query = '') => {
    const answer = await t().send('POST', `/collect/json/${stream}${query}`, {
      body,
      headers: { authorization: key },
    })
    expect(answer.status, answer.text).toBe(200)
    return answer.json
  }
  const find = async (q: string): Promise<{ id: string; identities: ProfileJson['identities'] }[]> => {
    const answer = await t().send('GET', `/api/profiles?q=${encodeURIComponent(q)}`, { cookie: admin })
    expect(answer.status).toBe(200)
    return answer.json
  }
  const profile = async (id: string): Promise<ProfileJson> => {
    const answer = await t().send('GET', `/api/profiles/${id}`, { cookie: admin })
    expect(answer.status, answer.text).toBe(200)
    return answer.json
  }
  const only = async (q: string) => {
    const found = await find(q)
    expect(found, `profiles matching ${q}`).toHaveLength(1)
    return profile(found[0]!.id)
  }

  it('unifies messages that share a normalised identity into one profile', async () => {
    admin = await t().setupAdmin()
    key = (await t().send('POST', '/api/data-keys', { cookie: admin, body: { name: 'web' } })).json.key
    await collect('web', { email: ' Ann@Example.com ', first_name: 'Ann' })
    await collect('crm', { email: 'ann@example.com', plan: 'pro', visits: 3 })
    const ann = await only('ann@example')
    expect(ann.identities).toEqual([{ field: 'email', value: 'ann@example.com', flagged: false }])
    expect(ann.attributes.first_name).toMatchObject({ value: 'Ann', stream: 'web' })
    expect(ann.attributes.plan).toMatchObject({ value: 'pro', stream: 'crm' })
    expect(ann.attributes.visits!.value).toBe(3)
    expect(ann.streams).toEqual(['crm', 'web'])
    // q also matches attribute text.
    expect((await find('pro')).map((p) => p.id)).toContain(ann.id)
  })

  it('stores a message with no identity raw and applies it to no one', async () => {
    const before = (await t().send('GET', '/api/profiles?limit=1000', { cookie: admin })).json.length
    await collect('anon', { page: '/pricing' })
    const messages = (await t().send('GET', '/api/streams/anon/messages', { cookie: admin })).json
    expect(messages).toHaveLength(1)
    expect(messages[0]).toMatchObject({ profileId: null, unifiedAt: expect.any(String) })
    expect((await t().send('GET', '/api/profiles?limit=1000', { cookie: admin })).json).toHaveLength(before)
  })

  it('keeps the newest value by event time: an older backfill row never overwrites a live value', async () => {
    const q = '?timestamp_field=ts'
    await collect('live', { user_id: 'u-lww', plan: 'team', ts: '2026-02-10T12:00:00+01:00' }, q)
    await collect('backfill', { user_id: 'u-lww', plan: 'free', ts: '2026-01-01T00:00:00Z' }, q)
    let lww = await only('u-lww')
    expect(lww.attributes.plan).toEqual({ value: 'team', at: '2026-02-10T11:00:00.000Z', stream: 'live' })
    await collect('backfill', { user_id: 'u-lww', plan: 'enterprise', ts: 1_770_800_000 }, q) // 2026-02-11
    lww = await only('u-lww')
    expect(lww.attributes.plan).toEqual({
      value: 'enterprise',
      at: '2026-02-11T08:53:20.000Z',
      stream: 'backfill',
    })
  })

  it('breaks equal event times by ingest sequence: the later message wins', async () => {
    const ts = '2026-02-01T00:00:00Z'
    await collect(
      'tie',
      [
        { user_id: 'u-tie', color: 'red', ts },
        { user_id: 'u-tie', color: 'blue', ts },
      ],
      '?timestamp_field=ts',
    )
    await collect(
      'tie',
      { user_id: 'u-tie', color: 'green', ts: '2026-02-01T01:00:00+01:00' },
      '?timestamp_field=ts',
    )
    expect((await only('u-tie')).attributes.color!.value).toBe('green')
  })

  it('uses the receive time without timestamp_field, so a later request wins', async () => {
    await collect('clock', { user_id: 'u-clock', tier: 'one' })
    t().clock.advance(1000)
    await collect('clock', { user_id: 'u-clock', tier: 'two' })
    const clock = await only('u-clock')
    expect(clock.attributes.tier).toEqual({
      value: 'two',
      at: t().clock.now().toISOString(),
      stream: 'clock',
    })
  })

  it('merges two people when a message links them: the older survives and records the merge', async () => {
    await collect('m', { anonymous_id: 'anon-1', seen: 'first' })
    t().clock.advance(1000)
    await collect('m', { email: 'bo@example.com', name: 'Bo' })
    const older = await only('anon-1')
    const newer = await only('bo@example.com')
    expect(older.id).not.toBe(newer.id)
    await collect('m', { anonymous_id: 'anon-1', email: 'BO@example.com' })
    const merged = await only('bo@example.com')
    expect(merged.id).toBe(older.id)
    expect(merged.mergedFrom).toEqual([newer.id])
    expect(merged.identities.map((i) => i.value).sort()).toEqual(['anon-1', 'bo@example.com'])
    expect(merged.attributes).toMatchObject({ seen: { value: 'first' }, name: { value: 'Bo' } })
    // The merged-away id still leads to the person.
    expect((await profile(newer.id)).id).toBe(older.id)
  })

  it('lists a person’s activity, including what reached them before a merge, newest first', async () => {
    const [bo] = await find('bo@example.com')
    const first = await t().send('GET', `/api/profiles/${bo!.id}/messages?limit=2`, { cookie: admin })
    expect(first.status).toBe(200)
    const cursor = first.headers.get('x-next-cursor')
    expect(cursor).not.toBeNull()
    const rest = await t().send('GET', `/api/profiles/${bo!.id}/messages?cursor=${cursor}`, { cookie: admin })
    const payloads = [...first.json, ...rest.json].map((m: { payload: object }) => m.payload)
    expect(payloads).toEqual([
      { anonymous_id: 'anon-1', email: 'BO@example.com' },
      { email: 'bo@example.com', name: 'Bo' },
      { anonymous_id: 'anon-1', seen: 'first' },
    ])
    expect((await t().send('GET', '/api/profiles/nope/messages', { cookie: admin })).status).toBe(404)
  })

  it('follows merge chains: three people joined one by one end in the oldest', async () => {
    await collect('chain', { anonymous_id: 'c-1' })
    t().clock.advance(1000)
    await collect('chain', { anonymous_id: 'c-2' })
    t().clock.advance(1000)
    await collect('chain', { anonymous_id: 'c-3' })
    const [one, two, three] = [await only('c-1'), await only('c-2'), await only('c-3')]
    await collect('chain', { anonymous_id: 'c-3', user_id: 'chain-user' })
    await collect('chain', { anonymous_id: 'c-2', user_id: 'chain-user' })
    await collect('chain', { anonymous_id: 'c-1', email: 'chain@example.com', user_id: 'chain-user' })
    const all = await only('chain-user')
    expect(all.id).toBe(one.id)
    expect(all.mergedFrom.sort()).toEqual([two.id, three.id].sort())
    expect(all.identities.map((i) => i.value).sort()).toEqual([
      'c-1',
      'c-2',
      'c-3',
      'chain-user',
      'chain@example.com',
    ])
    for (const id of [two.id, three.id]) expect((await profile(id)).id).toBe(one.id)
  })

  it('merges two people linked inside one request, whatever their order', async () => {
    await collect('batch', [
      { user_id: 'b-1', a: 1 },
      { email: 'b@example.com', b: 2 },
      { user_id: 'b-1', email: 'b@example.com' },
    ])
    const merged = await only('b-1')
    expect(merged.attributes).toMatchObject({ a: { value: 1 }, b: { value: 2 } })
    expect(merged.mergedFrom).toHaveLength(1)
    expect(await find('b@example.com')).toHaveLength(1)
  })

  it('stops a shared identity from collapsing people once it passes the merge cap, and flags it', async () => {
    const config = t().deps.config as { mergeCap: number }
    const cap = config.mergeCap
    config.mergeCap = 3
    try {
      for (let n = 1; n <= 6; n++) await collect('cap', { user_id: `cap-${n}`, email: 'team@shared.example' })
      // The later people carry the address as an attribute, but only one holds it as an identity.
      const shared = (await find('team@shared.example')).filter((p) =>
        p.identities.some((i) => i.value === 'team@shared.example'),
      )
      expect(shared).toHaveLength(1)
      const holder = await profile(shared[0]!.id)
      // The first person plus three joins; the value is flagged on the next and stops joining.
      expect(holder.identities.filter((i) => i.field === 'user_id').map((i) => i.value)).toEqual([
        'cap-1',
        'cap-2',
        'cap-3',
        'cap-4',
      ])
      expect(holder.identities.find((i) => i.field === 'email')).toEqual({
        field: 'email',
        value: 'team@shared.example',
        flagged: true,
      })
      for (const n of [5, 6]) {
        const alone = await only(`cap-${n}`)
        expect(alone.identities.map((i) => i.value)).toEqual([`cap-${n}`])
      }
      // A flagged value no longer bridges two known people either.
      await collect('cap', { user_id: 'cap-5', email: 'team@shared.example', note: 'kept apart' })
      expect((await only('cap-5')).attributes.note!.value).toBe('kept apart')
      expect((await only('cap-6')).id).not.toBe((await only('cap-5')).id)
    } finally {
      config.mergeCap = cap
    }
  })

  it('ignores placeholder identity values an SDK sends when it has no id', async () => {
    for (const [n, junk] of ['undefined', 'null', 'NaN', '0', 'N/A'].entries()) {
      await collect('junk', { user_id: junk, email: `junk${n}@example.com` })
    }
    const people = await find('junk')
    expect(people).toHaveLength(5)
    for (const person of people) expect(person.identities.map((i) => i.field)).toEqual(['email'])
  })

  it('deletes a person on request: profile, raw messages (also of merged profiles), and suppresses them', async () => {
    await collect('gdpr', { anonymous_id: 'g-anon', page: '/a' })
    t().clock.advance(1000)
    await collect('gdpr', { email: 'forget@example.com', page: '/b' })
    await collect('gdpr', { anonymous_id: 'g-anon', email: 'forget@example.com' })
    await collect('gdpr', { email: 'keep@example.com', page: '/c' })
    const person = await only('forget@example.com')
    expect(person.mergedFrom).toHaveLength(1)
    const editor = await t().addUser(admin, 'editor')
    expect((await t().send('DELETE', `/api/profiles/${person.id}`, { cookie: editor.cookie })).status).toBe(
      403,
    )
    expect((await t().send('DELETE', `/api/profiles/${person.id}`, { cookie: admin })).status).toBe(204)
    expect((await t().send('GET', `/api/profiles/${person.id}`, { cookie: admin })).status).toBe(404)
    expect((await t().send('GET', `/api/profiles/${person.mergedFrom[0]}`, { cookie: admin })).status).toBe(
      404,
    )
    const left = (await t().send('GET', '/api/streams/gdpr/messages', { cookie: admin })).json
    expect(left.map((m: { payload: { email?: string } }) => m.payload.email)).toEqual(['keep@example.com'])
    const streams = (await t().send('GET', '/api/streams?q=gdpr', { cookie: admin })).json
    expect(streams[0].messageCount).toBe(1)
    // Suppressed: a message naming the person again, even beside a new identity, is dropped whole:
    // no profile, no attributes, no raw copy.
    await collect('gdpr', { email: 'Forget@example.com', anonymous_id: 'new-device', name: 'Returning' })
    expect(await find('forget@example.com')).toEqual([])
    expect(await find('new-device')).toEqual([])
    expect(await find('Returning')).toEqual([])
    const after = (await t().send('GET', '/api/streams/gdpr/messages', { cookie: admin })).json
    expect(after.map((m: { payload: { email?: string } }) => m.payload.email)).toEqual(['keep@example.com'])
    const suppressions = await t().database.db.selectFrom('suppressions').selectAll().execute()
    expect(JSON.stringify(suppressions)).not.toContain('forget@example.com')
    expect(suppressions.length).toBeGreaterThanOrEqual(2)
    expect((await t().send('DELETE', `/api/profiles/${person.id}`, { cookie: admin })).status).toBe(404)
  })

  it('finds the one profile holding an identity, normalised as the rules say', async () => {
    await collect('exact', [{ email: 'exact@example.com', n: 1 }, { email: 'exact-not@example.com' }])
    const found = await t().send('GET', '/api/profiles?field=email&value=%20EXACT@example.com', {
      cookie: admin,
    })
    expect(found.json).toHaveLength(1)
    expect(found.json[0].identities).toEqual([{ field: 'email', value: 'exact@example.com', flagged: false }])
    const none = await t().send('GET', '/api/profiles?field=email&value=undefined', { cookie: admin })
    expect(none.json).toEqual([])
    const half = await t().send('GET', '/api/profiles?field=email', { cookie: admin })
    expect(half.status).toBe(400)
    expect(half.json.error.message).toMatch(/field and value together/)
  })

  it('suppresses a person by identity, with or without a profile, and lifts it', async () => {
    const editor = await t().addUser(admin, 'editor')
    const body = { field: 'email', value: 'Nobody-Yet@example.com' }
    expect((await t().send('POST', '/api/suppressions', { cookie: editor.cookie, body })).status).toBe(403)
    // No profile yet: the identity is suppressed ahead of any message.
    const ahead = await t().send('POST', '/api/suppressions', { cookie: admin, body })
    expect(ahead.status).toBe(201)
    expect(ahead.json).toEqual({ field: 'email', deletedProfile: null })
    await collect('supp', { email: 'nobody-yet@example.com', name: 'Should not exist' })
    expect(await find('nobody-yet')).toEqual([])
    // A known person: their profile is deleted as by a privacy request.
    await collect('supp', { email: 'known@example.com', anonymous_id: 'known-device' })
    const [known] = await find('known@example.com')
    const forgotten = await t().send('POST', '/api/suppressions', {
      cookie: admin,
      body: { field: 'anonymous_id', value: 'known-device' },
    })
    expect(forgotten.json.deletedProfile).toBe(known!.id)
    expect(await find('known@example.com')).toEqual([])
    const list = await t().send('GET', '/api/suppressions?field=email', { cookie: admin })
    expect(list.json.length).toBeGreaterThanOrEqual(2)
    expect(JSON.stringify(list.json)).not.toContain('example.com')
    // Lifted: the person may be collected again.
    const lifted = await t().send('POST', '/api/suppressions/lift', { cookie: admin, body })
    expect(lifted.json).toEqual({ lifted: true })
    await collect('supp', { email: 'nobody-yet@example.com' })
    expect(await find('nobody-yet')).toHaveLength(1)
    const bad = await t().send('POST', '/api/suppressions', {
      cookie: admin,
      body: { field: 'email', value: '   ' },
    })
    expect(bad.status).toBe(400)
  })

  it('reads and replaces identity rules; new rules apply to later messages', async () => {
    const rules = await t().send('GET', '/api/identity-rules', { cookie: admin })
    expect(rules.json.fields.map((f: { name: string }) => f.name)).toEqual([
      'user_id',
      'email',
      'anonymous_id',
    ])
    const bad = await t().send('PUT', '/api/identity-rules', {
      cookie: admin,
      body: {
        fields: [
          { name: 'a', priority: 1 },
          { name: 'a', priority: 2 },
        ],
      },
    })
    expect(bad.status).toBe(400)
    expect(bad.json.error.message).toMatch(/names each field once/)
    const editor = await t().addUser(admin, 'editor')
    const body = {
      fields: [
        { name: 'customer_no', priority: 1 },
        ...rules.json.fields.map((f: object, i: number) => ({ ...f, priority: i + 2 })),
      ],
    }
    expect((await t().send('PUT', '/api/identity-rules', { cookie: editor.cookie, body })).status).toBe(403)
    const put = await t().send('PUT', '/api/identity-rules', { cookie: admin, body })
    expect(put.status).toBe(200)
    await collect('rules', [
      { customer_no: 'C-9', x: 1 },
      { customer_no: ' C-9 ', y: 2 },
    ])
    const customer = await only('C-9')
    expect(customer.identities).toEqual([{ field: 'customer_no', value: 'C-9', flagged: false }])
    expect(customer.attributes).toMatchObject({ x: { value: 1 }, y: { value: 2 } })
    await t().send('PUT', '/api/identity-rules', { cookie: admin, body: rules.json })
  })

  it('answers unknown profiles with 404 and bad list queries with 400', async () => {
    expect((await t().send('GET', '/api/profiles/nope', { cookie: admin })).status).toBe(404)
    expect((await t().send('GET', '/api/profiles?sort=email', { cookie: admin })).status).toBe(400)
    expect((await t().send('GET', '/api/profiles?limit=0', { cookie: admin })).status).toBe(400)
    expect((await t().send('GET', '/api/profiles')).status).toBe(401)
  })
})
