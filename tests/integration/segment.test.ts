import zlib from 'node:zlib'
import RudderAnalytics from '@rudderstack/rudder-sdk-node'
import { Analytics as SegmentAnalytics } from '@segment/analytics-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { segmentRecord } from '../../server/data/segment.ts'
import { listen, useTestApp } from '../support/app.ts'
import { describeEachDialect } from '../support/dialects.ts'

const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`

interface StoredMessage {
  eventTime: string
  receivedAt: string
  messageId: string | null
  payload: Record<string, unknown> & {
    type: string
    event?: string
    userId?: string
    timestamp?: string
    originalTimestamp?: string
    sentAt?: string
  }
}

describeEachDialect('Segment-spec collect API (/v1/*)', (dialect) => {
  const t = useTestApp(dialect)
  let admin = ''
  let key = ''
  const keys: Record<string, string> = {}

  /** A POST as the SDKs send it: the data key as the basic-auth user. */
  const v1 = (path: string, body: unknown, headers: Record<string, string> = { authorization: basic(key) }) =>
    t().send('POST', path, { body, headers })
  /** A POST of raw bytes (gzip, oversized) straight through the app. */
  const postBytes = async (path: string, body: Uint8Array | string, headers: Record<string, string>) => {
    const response = await t().app.request(path, {
      method: 'POST',
      headers: { authorization: basic(key), 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : new Uint8Array(body),
    })
    const text = await response.text()
    return { status: response.status, json: JSON.parse(text) }
  }
  const messages = async (stream: string): Promise<StoredMessage[]> => {
    const response = await t().send('GET', `/api/streams/${stream}/messages?limit=1000`, { cookie: admin })
    return response.status === 404 ? [] : response.json
  }
  const newKey = async (name: string, stream?: string) => {
    const created = await t().send('POST', '/api/data-keys', {
      cookie: admin,
      body: { name, ...(stream ? { stream } : {}) },
    })
    expect(created.status).toBe(201)
    return created.json.key as string
  }

  beforeAll(async () => {
    admin = await t().setupAdmin()
    key = await newKey('Segment default')
    for (const stream of [
      'shapes',
      'batches',
      'times',
      'dedup',
      'gzip',
      'bad',
      'sdk_segment',
      'sdk_rudder',
    ]) {
      keys[stream] = await newKey(`key for ${stream}`, stream)
    }
  })

  it('takes each single call at its own endpoint, the type from the path, and answers like Segment', async () => {
    const auth = { authorization: basic(keys.shapes!) }
    const calls: [string, Record<string, unknown>][] = [
      ['track', { userId: 'u1', event: 'Signed Up', properties: { plan: 'pro' } }],
      // The path wins over a body's own type, as at Segment.
      ['identify', { type: 'track', userId: 'u1', traits: { email: 'u1@example.com' } }],
      ['page', { anonymousId: 'a1', name: 'Home', properties: { url: 'https://example.com/' } }],
      ['screen', { userId: 'u1', name: 'Settings' }],
      ['group', { userId: 'u1', groupId: 'g1', traits: { name: 'Initech' } }],
      ['alias', { previousId: 'a1', userId: 'u1' }],
    ]
    for (const [type, body] of calls) {
      const answer = await v1(`/v1/${type}`, body, auth)
      expect(answer.status, type).toBe(200)
      expect(answer.json).toEqual({ success: true, stored: 1, duplicates: 0, rejectedCount: 0, rejected: [] })
    }
    const stored = (await messages('shapes')).reverse()
    expect(stored.map((m) => m.payload.type)).toEqual([
      'track',
      'identify',
      'page',
      'screen',
      'group',
      'alias',
    ])
    // Stored as sent, only the type added.
    expect(stored[0]!.payload).toEqual({ ...calls[0]![1], type: 'track' })
    expect(stored[4]!.payload).toEqual({
      userId: 'u1',
      groupId: 'g1',
      traits: { name: 'Initech' },
      type: 'group',
    })
    expect(stored.every((m) => m.eventTime === t().clock.now().toISOString())).toBe(true)
    // Segment lets a body carry its writeKey: that is the data key, a secret, and never stored.
    await v1('/v1/screen', { userId: 'u1', name: 'Keyed', writeKey: keys.shapes }, auth)
    const [keyed] = await messages('shapes')
    expect(keyed!.payload).toEqual({ userId: 'u1', name: 'Keyed', type: 'screen' })
  })

  it('stores a batch, merging its top-level context and integrations under each message’s own', async () => {
    const answer = await v1(
      '/v1/batch',
      {
        batch: [
          {
            type: 'identify',
            userId: 'b1',
            traits: { email: 'b1@example.com' },
            context: { ip: '10.0.0.1' },
          },
          { type: 'track', userId: 'b1', event: 'Clicked', integrations: { All: false } },
        ],
        context: { ip: '127.0.0.1', library: { name: 'curl' } },
        integrations: { All: true, Mixpanel: false },
        writeKey: 'ignored',
      },
      { authorization: basic(keys.batches!) },
    )
    expect(answer.status).toBe(200)
    expect(answer.json).toMatchObject({ success: true, stored: 2, duplicates: 0, rejectedCount: 0 })
    const [track, identify] = await messages('batches')
    expect(identify!.payload.context).toEqual({ ip: '10.0.0.1', library: { name: 'curl' } })
    expect(identify!.payload.integrations).toEqual({ All: true, Mixpanel: false })
    expect(track!.payload.context).toEqual({ ip: '127.0.0.1', library: { name: 'curl' } })
    expect(track!.payload.integrations).toEqual({ All: false, Mixpanel: false })
    expect(track!.payload).not.toHaveProperty('writeKey')
  })

  it('writes to the key’s own stream, else to "segment"', async () => {
    expect((await v1('/v1/track', { userId: 'd1', event: 'Default stream' })).status).toBe(200)
    expect((await messages('segment')).map((m) => m.payload.event)).toEqual(['Default stream'])
    expect((await messages('shapes')).map((m) => m.payload.event)).not.toContain('Default stream')
  })

  it('dates a message by timestamp, else originalTimestamp corrected for clock skew, in UTC', async () => {
    const now = t().clock.now().toISOString() // 2026-03-01T12:00:00.000Z, the receive time
    const batch = [
      { type: 'track', userId: 't', event: 'offset', timestamp: '2026-01-15T10:00:00+02:00' },
      // The device's clock is 5 minutes slow: sent at 11:55 by its clock, received at 12:00.
      {
        type: 'track',
        userId: 't',
        event: 'skewed',
        originalTimestamp: '2026-03-01T11:50:00.000Z',
        sentAt: '2026-03-01T11:55:00.000Z',
      },
      { type: 'track', userId: 't', event: 'batch sentAt', originalTimestamp: '2026-03-01T13:00:00+01:00' },
      {
        type: 'track',
        userId: 't',
        event: 'both',
        timestamp: '2026-02-01T00:00:00Z',
        originalTimestamp: now,
      },
      { type: 'track', userId: 't', event: 'none' },
    ]
    const answer = await v1(
      '/v1/batch',
      { batch, sentAt: '2026-03-01T11:59:00.000Z' },
      { authorization: basic(keys.times!) },
    )
    expect(answer.json.stored).toBe(5)
    const times = Object.fromEntries((await messages('times')).map((m) => [m.payload.event, m.eventTime]))
    expect(times).toEqual({
      offset: '2026-01-15T08:00:00.000Z',
      skewed: '2026-03-01T11:55:00.000Z',
      'batch sentAt': '2026-03-01T12:01:00.000Z',
      both: '2026-02-01T00:00:00.000Z',
      none: now,
    })
    const stored = await messages('times')
    expect(stored.every((m) => m.receivedAt === now)).toBe(true)
  })

  it('stores a retried batch once by messageId; a message without one is not deduplicated', async () => {
    const auth = { authorization: basic(keys.dedup!) }
    const batch = [
      { type: 'track', userId: 'r', event: 'one', messageId: 'msg-1' },
      { type: 'track', userId: 'r', event: 'two', messageId: 'msg-2' },
    ]
    expect((await v1('/v1/batch', { batch }, auth)).json).toMatchObject({ stored: 2, duplicates: 0 })
    expect((await v1('/v1/batch', { batch }, auth)).json).toMatchObject({ stored: 0, duplicates: 2 })
    const mixed = [batch[0], { type: 'track', userId: 'r', event: 'three', messageId: 'msg-3' }]
    expect((await v1('/v1/batch', { batch: mixed }, auth)).json).toMatchObject({ stored: 1, duplicates: 1 })
    expect((await v1('/v1/track', batch[1], auth)).json).toMatchObject({ stored: 0, duplicates: 1 })
    const anonymous = { userId: 'r', event: 'no id' }
    await v1('/v1/track', anonymous, auth)
    await v1('/v1/track', anonymous, auth)
    const stored = await messages('dedup')
    expect(stored).toHaveLength(5)
    expect(stored.map((m) => m.messageId ?? '-').sort()).toEqual(['-', '-', 'msg-1', 'msg-2', 'msg-3'])
    const streams = await t().send('GET', '/api/streams', { cookie: admin })
    expect(streams.json.find((s: { name: string }) => s.name === 'dedup').messageCount).toBe(5)
  })

  it('accepts gzip and deflate bodies, and refuses a zip bomb, corrupt data and unknown encodings', async () => {
    const auth = { authorization: basic(keys.gzip!) }
    const body = JSON.stringify({ batch: [{ type: 'track', userId: 'z', event: 'zipped' }] })
    const gzipped = await postBytes('/v1/batch', zlib.gzipSync(body), { ...auth, 'content-encoding': 'gzip' })
    expect(gzipped).toEqual({
      status: 200,
      json: { success: true, stored: 1, duplicates: 0, rejectedCount: 0, rejected: [] },
    })
    const single = JSON.stringify({ userId: 'z', event: 'deflated' })
    const deflated = await postBytes('/v1/track', zlib.deflateSync(single), {
      ...auth,
      'content-encoding': 'deflate',
    })
    expect(deflated.status).toBe(200)
    expect((await messages('gzip')).map((m) => m.payload.event)).toEqual(['deflated', 'zipped'])

    // 2 MB of spaces packs into a few kB: small on the wire, over the limit once unpacked.
    const bomb = zlib.gzipSync(`{"batch":[${' '.repeat(2 * 1024 * 1024)}]}`)
    expect(bomb.length).toBeLessThan(10_000)
    const refused = await postBytes('/v1/batch', bomb, { ...auth, 'content-encoding': 'gzip' })
    expect(refused.status).toBe(413)
    expect(refused.json.error.code).toBe('PayloadTooLarge')
    const corrupt = await postBytes('/v1/batch', 'not gzip at all', { ...auth, 'content-encoding': 'gzip' })
    expect(corrupt.status).toBe(400)
    expect(corrupt.json.error.code).toBe('MalformedBody')
    const brotli = await postBytes('/v1/batch', zlib.brotliCompressSync(body), {
      ...auth,
      'content-encoding': 'br',
    })
    expect(brotli.status).toBe(415)
    expect(brotli.json.error.message).toMatch(/"br" is not supported/)
  })

  it('merges an anonymous visitor into the user an alias names', async () => {
    await v1('/v1/identify', { anonymousId: 'alias-anon', traits: { plan: 'trial' } })
    await v1('/v1/alias', { previousId: 'alias-anon', userId: 'alias-user' })
    await v1('/v1/track', { userId: 'alias-user', event: 'Upgraded' })
    const found = await t().send('GET', '/api/profiles?q=alias-', { cookie: admin })
    expect(found.json).toHaveLength(1)
    const person = await t().send('GET', `/api/profiles/${found.json[0].id}`, { cookie: admin })
    expect(person.json.identities.map((i: { value: string }) => i.value).sort()).toEqual([
      'alias-anon',
      'alias-user',
    ])
    expect(person.json.attributes).toMatchObject({
      plan: { value: 'trial' },
      last_event: { value: 'Upgraded' },
    })
  })

  it('takes browser calls: short paths, text/plain bodies, the key as writeKey, CORS', async () => {
    const browser = (path: string, body: unknown) =>
      t().app.request(path, {
        method: 'POST',
        headers: { 'content-type': 'text/plain', origin: 'https://shop.example' },
        body: JSON.stringify(body),
      })
    const preflight = await t().app.request('/v1/t', {
      method: 'OPTIONS',
      headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST' },
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*')
    const tracked = await browser('/v1/t', {
      writeKey: keys.shapes,
      userId: 'web-user',
      event: 'Viewed',
      messageId: 'b-1',
    })
    expect(tracked.status).toBe(200)
    expect(tracked.headers.get('access-control-allow-origin')).toBe('*')
    const stored = (await messages('shapes')).find((m) => m.payload.messageId === 'b-1')!
    expect(stored.payload).toMatchObject({ type: 'track', userId: 'web-user', event: 'Viewed' })
    expect(stored.payload).not.toHaveProperty('writeKey')
    expect((await browser('/v1/i', { writeKey: 'sdk_wrong', userId: 'x' })).status).toBe(401)
    expect((await browser('/v1/i', { userId: 'x' })).status).toBe(401)
  })

  it('refuses a missing or unknown key with 401 and a body over 1 MB with 413', async () => {
    const event = { userId: 'x', event: 'auth' }
    const missing = await v1('/v1/track', event, {})
    expect(missing.status).toBe(401)
    expect(missing.json.error.code).toBe('Unauthenticated')
    const unknown = await v1('/v1/track', event, { authorization: basic('sdk_unknown') })
    expect(unknown.status).toBe(401)
    expect(unknown.json.error.code).toBe('InvalidDataKey')
    expect((await v1('/v1/batch', { batch: [] }, { authorization: `Bearer ${key}` })).status).toBe(200)
    const big = {
      batch: [{ type: 'track', userId: 'x', event: 'big', properties: { blob: 'x'.repeat(1024 * 1024) } }],
    }
    const tooLarge = await v1('/v1/batch', big)
    expect(tooLarge.status).toBe(413)
    expect(tooLarge.json.error.code).toBe('PayloadTooLarge')
  })

  it('refuses malformed JSON and a body that is not a batch with 400, naming the problem', async () => {
    const malformed = await t().send('POST', '/v1/batch', {
      raw: '{"batch": [',
      headers: { authorization: basic(key) },
    })
    expect(malformed.status).toBe(400)
    expect(malformed.json.error.code).toBe('MalformedJson')
    for (const body of [{}, { batch: {} }, [], 'batch']) {
      const answer = await v1('/v1/batch', body)
      expect(answer.status, JSON.stringify(body)).toBe(400)
      expect(answer.json.error.code).toBe('InvalidBatch')
      expect(answer.json.error.message).toMatch(/"batch": \[/)
    }
    const badContext = await v1('/v1/batch', { batch: [], context: 'web' })
    expect(badContext.json.error.message).toBe("the batch's context must be an object")
    const notObject = await v1('/v1/identify', [{ userId: 'x' }])
    expect(notObject.status).toBe(400)
    expect(notObject.json.error.code).toBe('InvalidMessage')
  })

  it('stores the valid messages of a batch and lists each invalid one with its reason, never a 500', async () => {
    const auth = { authorization: basic(keys.bad!) }
    const deep = JSON.parse(`${'{"a":'.repeat(200)}1${'}'.repeat(200)}`)
    const batch = [
      { type: 'track', userId: 'ok', event: 'Good' },
      { type: 'track', event: 'Nobody' },
      { type: 'track', userId: 'x' },
      { type: 'purchase', userId: 'x' },
      { type: 'alias', userId: 'x' },
      'not an object',
      { type: 'track', userId: 'x', event: 'late', timestamp: 'yesterday' },
      { type: 'track', userId: 'x', event: 'nul', properties: { note: 'a\u0000b' } },
      { type: 'track', userId: 'x', event: 'deep', properties: deep },
      { type: 'identify', userId: 'x', messageId: 'm'.repeat(201) },
      { type: 'group', userId: 'x' },
      { type: 'identify', anonymousId: 'anon', userId: null, traits: null },
    ]
    const answer = await v1('/v1/batch', { batch }, auth)
    expect(answer.status).toBe(200)
    expect(answer.json).toMatchObject({ success: true, stored: 2, rejectedCount: 10 })
    expect(answer.json.rejected).toEqual([
      { index: 1, reason: 'userId or anonymousId is required' },
      { index: 2, reason: 'event: a track call needs an event name' },
      { index: 3, reason: 'type: must be one of track, identify, page, screen, group, alias' },
      { index: 4, reason: 'previousId: is required' },
      { index: 5, reason: 'expected a JSON object, got string' },
      { index: 6, reason: expect.stringMatching(/^timestamp: is not a date/) },
      { index: 7, reason: 'properties.note must not contain the NUL character' },
      { index: 8, reason: expect.stringMatching(/^properties(\.a)+ nests deeper than 64 levels$/) },
      { index: 9, reason: 'messageId: must be at most 200 characters' },
      { index: 10, reason: 'groupId: is required' },
    ])
    expect((await messages('bad')).map((m) => m.payload.type)).toEqual(['identify', 'track'])

    const none = await v1('/v1/batch', { batch: batch.slice(1, 3) }, auth)
    expect(none.status).toBe(400)
    expect(none.json.error).toMatchObject({
      code: 'InvalidMessages',
      message: 'none of the 2 messages is valid; first: userId or anonymousId is required',
      details: { rejectedCount: 2 },
    })
    const single = await v1('/v1/track', { userId: 'x' }, auth)
    expect(single.status).toBe(400)
    expect(single.json.error).toEqual({
      code: 'InvalidMessage',
      message: 'the track message is invalid: event: a track call needs an event name',
    })
    expect(await messages('bad')).toHaveLength(2)
  })

  describe('with the real SDKs over HTTP', () => {
    let server: Awaited<ReturnType<typeof listen>>
    beforeAll(async () => {
      server = await listen(t().app)
    })
    afterAll(async () => {
      await server?.close()
    })

    const profilesOf = async (q: string) =>
      (await t().send('GET', `/api/profiles?q=${encodeURIComponent(q)}`, { cookie: admin })).json as {
        identities: { field: string; value: string }[]
      }[]

    it('receives identify and track from @segment/analytics-node as one person', async () => {
      const analytics = new SegmentAnalytics({
        writeKey: keys.sdk_segment!,
        host: server.url,
        path: '/v1/batch',
        flushAt: 10,
        maxRetries: 0,
      })
      const statuses: number[] = []
      const errors: unknown[] = []
      analytics.on('http_response', (response) => statuses.push(response.status))
      analytics.on('error', (error) => errors.push(error))
      analytics.identify({ userId: 'seg-1', traits: { email: 'Seg.User@Example.com', plan: 'pro' } })
      analytics.track({ userId: 'seg-1', event: 'Order Completed', properties: { total: 30 } })
      await analytics.closeAndFlush({ timeout: 10_000 })
      expect(errors).toEqual([])
      expect(statuses).toEqual([200])

      const stored = await messages('sdk_segment')
      expect(stored.map((m) => m.payload.type).sort()).toEqual(['identify', 'track'])
      const track = stored.find((m) => m.payload.type === 'track')!
      expect(track.payload).toMatchObject({
        userId: 'seg-1',
        event: 'Order Completed',
        properties: { total: 30 },
        context: { library: { name: '@segment/analytics-node' } },
      })
      expect(track.messageId).toBe(track.payload.messageId)
      // The SDK stamps `timestamp` itself: the event time is the SDK's, not the (manual) server clock.
      expect(track.eventTime).toBe(new Date(track.payload.timestamp!).toISOString())

      const profiles = await profilesOf('seg.user@example.com')
      // Needs recordOf (server/data/record.ts) to read Segment payloads through segmentRecord.
      expect(profiles, 'one profile, unified through segmentRecord').toHaveLength(1)
      expect(profiles[0]!.identities).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ field: 'user_id', value: 'seg-1' }),
          expect.objectContaining({ field: 'email', value: 'seg.user@example.com' }),
        ]),
      )
    })

    it('receives gzipped identify and track from @rudderstack/rudder-sdk-node as one person', async () => {
      const client = new RudderAnalytics(keys.sdk_rudder!, {
        dataPlaneUrl: server.url,
        flushAt: 10,
        flushInterval: 60_000,
        retryCount: 0,
        logLevel: 'error',
      })
      client.identify({ userId: 'rud-1', traits: { email: 'rud@example.com', name: 'Rudy' } })
      client.track({ userId: 'rud-1', event: 'Trial Started', properties: { days: 14 } })
      client.page({ anonymousId: 'rud-anon', name: 'Pricing' })
      await client.flush()

      const stored = await messages('sdk_rudder')
      expect(stored.map((m) => m.payload.type).sort()).toEqual(['identify', 'page', 'track'])
      const identify = stored.find((m) => m.payload.type === 'identify')!
      expect(identify.payload).toMatchObject({
        userId: 'rud-1',
        traits: { email: 'rud@example.com' },
        context: { traits: { email: 'rud@example.com' }, library: { name: 'analytics-node' } },
        channel: 'server',
      })
      expect(identify.messageId).toBe(identify.payload.messageId)
      // RudderStack sends originalTimestamp and sentAt from the real clock; the server's (manual)
      // receive time minus the tiny gap between them is the skew-corrected event time.
      const { originalTimestamp, sentAt } = identify.payload
      const gap = Date.parse(sentAt!) - Date.parse(originalTimestamp!)
      expect(gap).toBeGreaterThanOrEqual(0)
      expect(Date.parse(identify.eventTime)).toBe(t().clock.now().getTime() - gap)

      const profiles = await profilesOf('rud@example.com')
      // Needs recordOf (server/data/record.ts) to read Segment payloads through segmentRecord.
      expect(profiles, 'one profile, unified through segmentRecord').toHaveLength(1)
      expect(profiles[0]!.identities).toEqual(
        expect.arrayContaining([expect.objectContaining({ field: 'user_id', value: 'rud-1' })]),
      )
    })
  })
})

describe('segmentRecord: a Segment message as a flat record for unification', () => {
  it('flattens traits, keeps identities and the last event, and ignores non-Segment payloads', () => {
    expect(
      segmentRecord({
        type: 'identify',
        userId: 'u1',
        anonymousId: 'a1',
        traits: { email: 'U1@example.com', plan: 'pro', user_id: 'spoof' },
        context: { traits: { plan: 'free', country: 'DE' }, ip: '10.0.0.1' },
      }),
    ).toEqual({ plan: 'pro', country: 'DE', email: 'U1@example.com', user_id: 'u1', anonymous_id: 'a1' })
    expect(
      segmentRecord({
        type: 'track',
        userId: 42,
        event: 'Paid',
        properties: { price: 9, email: 'p@example.com' },
      }),
    ).toEqual({
      user_id: '42',
      email: 'p@example.com',
      last_event: 'Paid',
      last_event_properties: { price: 9, email: 'p@example.com' },
    })
    // A group's name is the company's, not the person's.
    expect(
      segmentRecord({
        type: 'group',
        userId: 'u1',
        groupId: 'g1',
        traits: { name: 'Initech', email: 'hq@x.com' },
      }),
    ).toEqual({ user_id: 'u1', group_id: 'g1', group_name: 'Initech', group_email: 'hq@x.com' })
    expect(segmentRecord({ type: 'alias', previousId: 'a1', userId: 'u1' })).toEqual({
      user_id: 'u1',
      previous_id: 'a1',
      anonymous_id: 'a1',
    })
    expect(
      segmentRecord({
        type: 'page',
        anonymousId: 'a2',
        name: 'Home',
        context: { page: { url: 'https://x/' } },
      }),
    ).toEqual({ anonymous_id: 'a2', last_page: 'Home', last_page_url: 'https://x/' })
    expect(segmentRecord({ type: 'screen', userId: 'u1', name: 'Cart' })).toEqual({
      user_id: 'u1',
      last_screen: 'Cart',
    })
    expect(segmentRecord({ email: 'row@example.com', event: 'signup' })).toBeNull()
    expect(segmentRecord({ type: 'track', event: 'nobody' })).toBeNull()
    const hostile = segmentRecord(
      JSON.parse('{"type":"identify","userId":"u","traits":{"__proto__":{"x":1}}}'),
    )
    expect(Object.getPrototypeOf(hostile)).toBe(Object.prototype)
  })
})
