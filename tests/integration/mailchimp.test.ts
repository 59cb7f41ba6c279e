import { afterAll, beforeAll, expect, it } from 'vitest'
import type { ConnectorContext } from '../../nodes/define.ts'
import { findProvider } from '../../nodes/index.ts'
import { writeAudience } from '../../nodes/mailchimp/mailchimp.destination.ts'
import { type AudienceConfig, audienceConfig } from '../../nodes/mailchimp/mailchimp.node.ts'
import { lookBack } from '../../nodes/mailchimp/mailchimp.source.ts'
import { concurrencyCaps } from '../../server/executor/budgets.ts'
import { outboundContext } from '../../server/net/outbound.ts'
import { useTestApp } from '../support/app.ts'
import { describeEachDialect } from '../support/dialects.ts'
import { collectSource, edge } from '../support/documents.ts'
import { hashOf, type MailchimpEmulator, startMailchimp } from '../support/emulators/mailchimp.ts'
import { authorizationNode } from '../support/keyed-api.ts'
import { audienceNode, collector, deployPipeline, runJobNow, saveAudience } from '../support/pipelines.ts'

const KEY = '0f1e2d3c4b5a69788796a5b4c3d2e1f0-us21'
const OTHER_KEY = 'a1b2c3d4e5f60718293a4b5c6d7e8f90-us19'
/** Well formed, but not a key the emulator knows. */
const WRONG_KEY = 'deadbeefdeadbeefdeadbeefdeadbeef-us21'
const KEYS = [KEY, OTHER_KEY, WRONG_KEY]

/** A key as is, or inside the basic-auth header that carries it. */
const leaks = (text: string) =>
  KEYS.some((key) => text.includes(key) || text.includes(Buffer.from(`sluice:${key}`).toString('base64')))

describeEachDialect('Mailchimp', (dialect) => {
  let mc: MailchimpEmulator
  beforeAll(async () => {
    mc = await startMailchimp({ keys: [KEY, OTHER_KEY], accountName: 'Freddie’s Jokes' })
  })
  afterAll(() => mc.close())
  const t = useTestApp(dialect)
  let admin = ''
  let vault = ''
  const jobs: string[] = []

  const authorize = async (apiKey: string) => {
    const created = await t().send('POST', '/api/authorizations', {
      cookie: admin,
      body: {
        name: `Mailchimp ${apiKey.slice(-4)} ${Math.random()}`,
        provider: 'mailchimp',
        method: 'apikey',
        credentials: { apiKey, apiUrl: mc.url },
      },
    })
    expect(created.status, created.text).toBe(201)
    return created.json.id as string
  }
  beforeAll(async () => {
    admin = await t().setupAdmin()
    vault = await authorize(KEY)
  })

  const sourceNode = (id: string, listId: string) => ({
    id,
    kind: 'source' as const,
    provider: 'mailchimp',
    jobType: 'members',
    name: `Members ${id}`,
    position: { x: 0, y: 0 },
    data: { config: { listId }, cadence: { every: '1h' } },
  })
  const deploySource = async (name: string, listId: string, authorizationId = vault) => {
    const job = (
      await deployPipeline(t(), admin, name, {
        version: 1,
        nodes: [sourceNode('src', listId), authorizationNode('auth', 'mailchimp', authorizationId)],
        edges: [edge('auth', 'src')],
      })
    ).jobOf('src')
    jobs.push(job)
    return job
  }
  const run = (job: string) => runJobNow(t(), admin, job)
  const stored = async (job: string) =>
    (
      await t()
        .database.db.selectFrom('raw_messages')
        .select(['payload', 'event_time', 'record_key'])
        .where('job_id', '=', job)
        .execute()
    ).map((row) => ({ ...row, data: JSON.parse(row.payload) as Record<string, unknown> }))
  const queryOf = (path: string) => new URL(path, 'http://mailchimp.test').searchParams
  /** Nothing else due: each case starts alone, and no job of one case consumes another's fault. */
  const settle = () => t().database.db.updateTable('jobs').set({ status: 'paused' }).execute()

  it('checks the key against the API root and names the account and the audience', async () => {
    mc.addList('chk0000001', 'Newsletter')
    mc.addMember('chk0000001', 'ada@example.org')
    mc.addMember('chk0000001', 'bob@example.org')
    mc.calls.length = 0
    const tested = await t().send('POST', `/api/authorizations/${vault}/test`, {
      cookie: admin,
      body: { config: { listId: 'chk0000001' } },
    })
    expect(tested.json).toEqual({
      ok: true,
      message: 'connected to the Mailchimp account Freddie’s Jokes; audience Newsletter has 2 members',
    })
    const [root] = mc.callsTo(/^GET \/3\.0\/\?/)
    expect(root!.headers.authorization).toBe(`Basic ${Buffer.from(`sluice:${KEY}`).toString('base64')}`)
    expect(mc.callsTo(/^GET \/3\.0\/lists\/chk0000001\?/)).toHaveLength(1)

    const missing = await t().send('POST', `/api/authorizations/${vault}/test`, {
      cookie: admin,
      body: { config: { listId: 'nope000000' } },
    })
    expect(missing.json).toEqual({
      ok: false,
      message: expect.stringMatching(/no audience with ID "nope000000".*Resource Not Found/),
    })
    // An ID that is no ID (`..` would reach the API root) is refused, not checked.
    const traversal = await t().send('POST', `/api/authorizations/${vault}/test`, {
      cookie: admin,
      body: { config: { listId: '..' } },
    })
    expect(traversal.json).toEqual({ ok: false, message: expect.stringMatching(/^invalid Audience ID: /) })
    const refused = await t().send('POST', `/api/authorizations/${await authorize(WRONG_KEY)}/test`, {
      cookie: admin,
      body: {},
    })
    expect(refused.json).toEqual({
      ok: false,
      message: expect.stringMatching(
        /refused the API key \(API Key Invalid: .*\); check the key in the Vault/,
      ),
    })
    // The datacenter is part of the key: without it there is no API to call.
    const bare = await t().send('POST', '/api/authorizations', {
      cookie: admin,
      body: {
        name: 'No datacenter',
        provider: 'mailchimp',
        method: 'apikey',
        credentials: { apiKey: '0f1e2d3c4b5a69788796a5b4c3d2e1f0' },
      },
    })
    expect(bare.status).toBe(400)
    expect(bare.text).toMatch(/ends with its datacenter, e\.g\. …-us21/)
  })

  it('reads every member with merge fields, tags and status, then only members changed since', async () => {
    mc.addList('news000001', 'News')
    const people = ['ada', 'bob', 'cyd', 'dee', 'eve']
    for (const [n, name] of people.entries()) {
      mc.advance(60)
      mc.addMember('news000001', `${name}@example.org`, {
        merge_fields: { FNAME: name.toUpperCase(), LNAME: 'Doe' },
        tags: n % 2 ? ['vip'] : [],
        ...(name === 'eve' ? { status: 'unsubscribed' as const } : {}),
      })
    }
    const newest = mc.member('news000001', 'eve@example.org')!.last_changed
    const job = await deploySource('Members', 'news000001')
    mc.calls.length = 0
    let detail = await run(job)
    expect(detail.lastError).toBeNull()
    const [first] = mc.callsTo(/^GET \/3\.0\/lists\/news000001\/members/)
    expect(Object.fromEntries(queryOf(first!.path))).toEqual({
      count: '1000',
      offset: '0',
      sort_field: 'last_changed',
      sort_dir: 'DESC',
    })
    const rows = await stored(job)
    expect(rows).toHaveLength(5)
    const bob = rows.find((row) => row.data.email === 'bob@example.org')!
    const member = mc.member('news000001', 'bob@example.org')!
    expect(bob.data).toMatchObject({
      email: 'bob@example.org',
      mailchimp_id: hashOf('bob@example.org'),
      status: 'subscribed',
      merge_fields: { FNAME: 'BOB', LNAME: 'Doe' },
      tags: ['vip'],
      last_changed: member.last_changed,
    })
    expect(bob.record_key).toBe(`${member.id}:${member.last_changed}`)
    expect(Date.parse(bob.event_time)).toBe(Date.parse(member.last_changed))
    expect(rows.find((row) => row.data.email === 'eve@example.org')!.data.status).toBe('unsubscribed')

    // Two members change: the next run asks only for what changed since the newest it read.
    mc.advance(3600)
    mc.touch('news000001', 'ada@example.org', { merge_fields: { FNAME: 'Ada Lovelace' } })
    mc.touch('news000001', 'cyd@example.org', { status: 'unsubscribed' })
    mc.calls.length = 0
    detail = await run(job)
    expect(detail.lastError).toBeNull()
    expect(queryOf(mc.calls[0]!.path).get('since_last_changed')).toBe(lookBack(newest))
    const after = await stored(job)
    expect(after).toHaveLength(7)
    expect(
      after.filter((row) => row.data.email === 'ada@example.org').map((row) => row.data.merge_fields),
    ).toContainEqual({ FNAME: 'Ada Lovelace', LNAME: 'Doe' })
    const runs = (await t().send('GET', `/api/jobs/${job}/runs`, { cookie: admin })).json
    expect(runs[0]).toMatchObject({ outcome: 'success', added: 2 })
    // Nothing changed: the run asks from the newest change and stores nothing.
    mc.calls.length = 0
    await run(job)
    expect(queryOf(mc.calls[0]!.path).get('since_last_changed')).toBe(
      lookBack(mc.member('news000001', 'cyd@example.org')!.last_changed),
    )
    expect(await stored(job)).toHaveLength(7)

    // A preview reads one page of the preview's size and stores nothing.
    mc.calls.length = 0
    const preview = await t().send('POST', '/api/preview', {
      cookie: admin,
      body: {
        provider: 'mailchimp',
        jobType: 'members',
        authorizationId: vault,
        config: { listId: 'news000001' },
      },
    })
    expect(preview.status, preview.text).toBe(200)
    expect(preview.json.records).toHaveLength(5)
    expect(preview.json.schema.properties).toMatchObject({
      email: { type: ['string'] },
      tags: { type: ['array'] },
    })
    expect(mc.calls.map((call) => queryOf(call.path).get('count'))).toEqual(['20'])
    expect(await stored(job)).toHaveLength(7)
    await settle()
  })

  it('pages newest first; a sync cut off by a 5xx retries from its checkpoint and loses no one changed meanwhile', async () => {
    const TOTAL = 2100
    mc.addList('big0000001', 'Big')
    for (let n = 0; n < TOTAL; n++) {
      mc.advance(1)
      mc.addMember('big0000001', `m${n}@big.example.org`)
    }
    const top = mc.member('big0000001', `m${TOTAL - 1}@big.example.org`)!.last_changed
    const job = await deploySource('Big audience', 'big0000001')
    mc.fail({
      status: 503,
      match: /^GET \/3\.0\/lists\/big0000001\/members\?.*offset=1960/,
      body: {
        type: 'https://mailchimp.com/developer/marketing/docs/errors/',
        title: 'Service Unavailable',
        status: 503,
        detail: 'This service is temporarily unavailable.',
        instance: 'a1b2',
      },
    })
    mc.calls.length = 0
    let detail = await run(job)
    expect(detail).toMatchObject({ status: 'sleeping', sleepReason: 'retry', consecutiveErrors: 1 })
    expect(detail.lastError).toMatch(
      /Mailchimp answered HTTP 503: Service Unavailable: This service is temporarily/,
    )
    const offsets = () =>
      mc.callsTo(/^GET \/3\.0\/lists\/big0000001\/members/).map((call) => queryOf(call.path).get('offset'))
    // Pages of 1,000 that overlap by 20.
    expect(offsets()).toEqual(['0', '980', '1960'])
    expect(new Set((await stored(job)).map((row) => row.data.email)).size).toBe(1980)

    // Meanwhile 30 members already read change and one joins: newest first, they move ahead of
    // the offset, so the members not yet read move later and the resumed page still finds them.
    mc.advance(600)
    for (let n = 1000; n < 1030; n++)
      mc.touch('big0000001', `m${n}@big.example.org`, { merge_fields: { FNAME: `M${n}` } })
    mc.addMember('big0000001', 'new@big.example.org')
    mc.calls.length = 0
    // The executor retries on its own once the back-off has passed.
    t().clock.set(new Date(Date.parse(detail.nextRunAt) + 1000))
    await t().deps.dispatcher.tick()
    detail = (await t().send('GET', `/api/jobs/${job}`, { cookie: admin })).json
    expect(detail).toMatchObject({ status: 'sleeping', sleepReason: 'schedule', consecutiveErrors: 0 })
    expect(offsets()).toEqual(['1960'])
    expect(queryOf(mc.calls[0]!.path).has('since_last_changed')).toBe(false)
    const emails = new Set((await stored(job)).map((row) => row.data.email))
    for (let n = 0; n < TOTAL; n++) expect(emails.has(`m${n}@big.example.org`), `m${n}`).toBe(true)

    // The next sync starts from the newest member the cut-off sync saw: the changed ones come now.
    mc.calls.length = 0
    await run(job)
    expect(queryOf(mc.calls[0]!.path).get('since_last_changed')).toBe(lookBack(top))
    const rows = await stored(job)
    expect(
      rows.filter((row) => (row.data.merge_fields as { FNAME?: string } | undefined)?.FNAME),
    ).toHaveLength(30)
    expect(rows.some((row) => row.data.email === 'new@big.example.org')).toBe(true)
    await settle()
  })

  it('sleeps on 429 until Retry-After (a minute without one), and says what to fix on 401 and 404', async () => {
    mc.addList('lim0000001', 'Limited')
    mc.addMember('lim0000001', 'ada@example.org')
    const job = await deploySource('Limited', 'lim0000001')
    const tooMany = {
      type: 'https://mailchimp.com/developer/marketing/docs/errors/',
      title: 'Too Many Requests',
      status: 429,
      detail: 'You have exceeded the limit of 10 simultaneous connections.',
      instance: 'c3d4',
    }
    mc.fail({ status: 429, body: tooMany, headers: { 'retry-after': '120' }, match: /lim0000001/ })
    let detail = await run(job)
    expect(detail).toMatchObject({ status: 'sleeping', sleepReason: 'rate_limit' })
    expect(Date.parse(detail.nextRunAt) - t().clock.now().getTime()).toBe(120_000)
    const logs = (await t().send('GET', `/api/jobs/${job}/logs?event=Sleeping`, { cookie: admin })).json
    expect(logs.at(-1).message).toMatch(/Rate-limited by the provider/)
    mc.fail({ status: 429, body: tooMany, match: /lim0000001/ })
    detail = await run(job)
    expect(detail).toMatchObject({ status: 'sleeping', sleepReason: 'rate_limit' })
    expect(Date.parse(detail.nextRunAt) - t().clock.now().getTime()).toBe(60_000)
    // Not an error: the job goes on once Mailchimp lets it.
    detail = await run(job)
    expect(detail).toMatchObject({ lastError: null, consecutiveErrors: 0 })
    expect(await stored(job)).toHaveLength(1)

    const wrong = await deploySource('Wrong key', 'lim0000001', await authorize(WRONG_KEY))
    detail = await run(wrong)
    expect(detail.lastError).toMatch(
      /^Mailchimp refused the API key \(API Key Invalid: Your API key may be invalid.*\); check the key in the Vault$/,
    )
    // A careless answer that echoes the key does not carry it into Sluice.
    mc.fail({
      status: 401,
      match: /lim0000001/,
      body: { title: 'API Key Invalid', status: 401, detail: `The key ${KEY} is not valid.`, instance: 'x' },
    })
    detail = await run(job)
    expect(detail.lastError).toMatch(/The key \[redacted\] is not valid/)

    const missing = await deploySource('Missing audience', 'gone000000')
    detail = await run(missing)
    expect(detail.lastError).toMatch(
      /^Mailchimp has no audience with ID "gone000000": check the Audience ID in the job's settings \(Resource Not Found/,
    )
    await settle()
  })

  it('subscribes exactly the audience with merge fields and tags, reports refused members, unsubscribes who leaves', async () => {
    const collect = await collector(t(), admin, 'mc')
    const people: [string, string, string][] = [
      ['ada@x.example.org', 'Ada', 'pro'],
      ['bob@x.example.org', 'Bob', 'pro'],
      ['cyd@x.example.org', 'Cyd', 'pro'],
      ['eve@localhost', 'Eve', 'pro'],
      ['dan@x.example.org', 'Dan', 'free'],
    ]
    for (const [email, first_name, plan] of people) await collect({ email, first_name, plan })
    const audience = await saveAudience(t(), admin, 'Pros', { field: 'plan', op: 'eq', value: 'pro' })
    // Cyd once unsubscribed on her own: Mailchimp will not subscribe her again through the API.
    mc.addList('aud0000001', 'Pros').compliance.add('cyd@x.example.org')
    mc.addList('aud0000002', 'Pros archive')
    const document = (listId: string, config: Record<string, unknown>) => ({
      version: 1,
      nodes: [
        collectSource('src', 'mc'),
        audienceNode('aud', audience),
        {
          id: 'dst',
          kind: 'destination' as const,
          provider: 'mailchimp',
          jobType: 'audience',
          name: 'Mailchimp',
          position: { x: 0, y: 0 },
          data: { config: { listId, ...config }, cadence: { every: '1h' } },
        },
        authorizationNode('auth', 'mailchimp', vault),
      ],
      edges: [edge('src', 'aud'), edge('aud', 'dst'), edge('auth', 'dst')],
    })
    const unsubscribing = (
      await deployPipeline(
        t(),
        admin,
        'To Mailchimp',
        document('aud0000001', {
          mergeFields: { FNAME: 'first_name', PLAN: 'plan' },
          tags: ['sluice', 'pro'],
        }),
      )
    ).jobOf('dst')
    const archiving = (
      await deployPipeline(
        t(),
        admin,
        'To Mailchimp, archiving',
        document('aud0000002', { onRemove: 'archive' }),
      )
    ).jobOf('dst')
    jobs.push(unsubscribing, archiving)
    const batches = (listId: string) =>
      mc.callsTo(new RegExp(`^POST /3\\.0/lists/${listId}$`)).map((call) => JSON.parse(call.body))
    const members = (listId: string) =>
      Object.fromEntries(
        [...mc.lists.get(listId)!.members.values()].map((member) => [member.email_address, member]),
      )

    mc.calls.length = 0
    let detail = await run(unsubscribing)
    expect(detail.lastError).toBeNull()
    const [sent] = batches('aud0000001')
    expect(sent.update_existing).toBe(true)
    expect(sent.members.map((member: { email_address: string }) => member.email_address).sort()).toEqual([
      'ada@x.example.org',
      'bob@x.example.org',
      'cyd@x.example.org',
      'eve@localhost',
    ])
    expect(
      sent.members.find((member: { email_address: string }) => member.email_address === 'ada@x.example.org'),
    ).toEqual({
      email_address: 'ada@x.example.org',
      status: 'subscribed',
      status_if_new: 'subscribed',
      merge_fields: { FNAME: 'Ada', PLAN: 'pro' },
      tags: ['sluice', 'pro'],
    })
    let list = members('aud0000001')
    expect(Object.keys(list).sort()).toEqual(['ada@x.example.org', 'bob@x.example.org'])
    expect(list['bob@x.example.org']).toMatchObject({
      status: 'subscribed',
      merge_fields: { FNAME: 'Bob', PLAN: 'pro' },
      tags: [expect.objectContaining({ name: 'sluice' }), expect.objectContaining({ name: 'pro' })],
    })
    // Members Mailchimp refused (Cyd, and Eve's address) are counted omitted.
    let runs = (await t().send('GET', `/api/jobs/${unsubscribing}/runs`, { cookie: admin })).json
    expect(runs[0]).toMatchObject({ outcome: 'success', added: 2, omitted: 2 })
    // The log says why, by reason, without naming the people.
    const rejected = (
      await t().send('GET', `/api/jobs/${unsubscribing}/logs?event=Rejected`, { cookie: admin })
    ).json
    expect(rejected).toHaveLength(1)
    expect(rejected[0].message).toMatch(/^2 refused by the destination, counted omitted: /)
    expect(rejected[0].message).not.toMatch(/x\.example\.org/)

    // Ada leaves the audience: she is unsubscribed, not deleted; Bob is not sent again.
    await collect({ email: 'ada@x.example.org', plan: 'free' })
    mc.calls.length = 0
    detail = await run(unsubscribing)
    expect(detail.lastError).toBeNull()
    expect(batches('aud0000001')).toEqual([
      { members: [{ email_address: 'ada@x.example.org', status: 'unsubscribed' }], update_existing: true },
    ])
    list = members('aud0000001')
    expect(list['ada@x.example.org']!.status).toBe('unsubscribed')
    expect(list['bob@x.example.org']!.status).toBe('subscribed')
    runs = (await t().send('GET', `/api/jobs/${unsubscribing}/runs`, { cookie: admin })).json
    expect(runs[0]).toMatchObject({ outcome: 'success', removed: 1 })
    // And back: the job subscribes her again.
    await collect({ email: 'ada@x.example.org', plan: 'pro' })
    await run(unsubscribing)
    expect(members('aud0000001')['ada@x.example.org']!.status).toBe('subscribed')

    // Archiving instead: the audience is made sure of once, then one DELETE per person who left.
    detail = await run(archiving)
    expect(detail.lastError).toBeNull()
    expect(Object.keys(members('aud0000002')).sort()).toEqual([
      'ada@x.example.org',
      'bob@x.example.org',
      'cyd@x.example.org',
    ])
    await collect({ email: 'bob@x.example.org', plan: 'free' })
    mc.calls.length = 0
    detail = await run(archiving)
    expect(detail.lastError).toBeNull()
    expect(mc.calls.map((call) => `${call.method} ${call.path}`)).toEqual([
      'GET /3.0/lists/aud0000002?fields=id%2Cname',
      `DELETE /3.0/lists/aud0000002/members/${hashOf('bob@x.example.org')}`,
    ])
    expect(members('aud0000002')['bob@x.example.org']!.status).toBe('archived')
    runs = (await t().send('GET', `/api/jobs/${archiving}/runs`, { cookie: admin })).json
    expect(runs[0]).toMatchObject({ outcome: 'success', removed: 1 })
    await settle()
  })

  it('declares 10 connections per key: the 11th job of a key waits, another key does not', async () => {
    expect(findProvider('mailchimp')?.budget).toEqual({ concurrency: 10 })
    expect(concurrencyCaps().get('mailchimp')).toBe(10)
    mc.addList('cap0000001', 'Capped')
    mc.addMember('cap0000001', 'ada@example.org')
    const other = await authorize(OTHER_KEY)
    const nodes: Record<string, unknown>[] = []
    const edges = []
    for (let n = 0; n < 11; n++) {
      nodes.push(sourceNode(`s${n}`, 'cap0000001'))
      edges.push(edge('auth', `s${n}`))
    }
    nodes.push(sourceNode('o', 'cap0000001'), authorizationNode('auth', 'mailchimp', vault))
    nodes.push(authorizationNode('auth-other', 'mailchimp', other))
    edges.push(edge('auth-other', 'o'))
    await settle()
    const { jobOf } = await deployPipeline(t(), admin, 'Capped', { version: 1, nodes, edges })
    const ids = Array.from({ length: 11 }, (_, n) => jobOf(`s${n}`))
    // Another worker holds ten units of this key.
    await t()
      .database.db.updateTable('jobs')
      .set({
        status: 'running',
        lease_owner: 'elsewhere',
        lease_token: 'held',
        lease_expires_at: '2999-01-01T00:00:00.000Z',
      })
      .where('id', 'in', ids.slice(0, 10))
      .execute()
    mc.calls.length = 0
    await t().deps.dispatcher.tick()
    const runs = async (id: string) =>
      (await t().send('GET', `/api/jobs/${id}/runs`, { cookie: admin })).json.length
    expect(await runs(ids[10]!)).toBe(0)
    expect(await runs(jobOf('o'))).toBe(1)
    expect(mc.calls.map((call) => call.headers.authorization)).toEqual([
      `Basic ${Buffer.from(`sluice:${OTHER_KEY}`).toString('base64')}`,
    ])
    // One unit ends: the waiting job runs.
    await t().database.db.updateTable('jobs').set({ status: 'paused' }).where('id', '=', ids[0]!).execute()
    await t().deps.dispatcher.tick()
    expect(await runs(ids[10]!)).toBe(1)
    await settle()
  })

  it('retries a members page answered without its list instead of taking it for the end of the audience', async () => {
    const TOTAL = 1100
    mc.addList('odd0000001', 'Odd answer')
    for (let n = 0; n < TOTAL; n++) {
      mc.advance(1)
      mc.addMember('odd0000001', `o${n}@odd.example.org`)
    }
    const job = await deploySource('Odd answer', 'odd0000001')
    // A 200 that is not the members list (a proxy's stand-in, an answer cut short): ending the sync
    // there would move its `since` past the 100 members not read, and no later sync would ask again.
    mc.fail({
      status: 200,
      body: { status: 'ok' },
      match: /^GET \/3\.0\/lists\/odd0000001\/members\?.*offset=980/,
    })
    let detail = await run(job)
    expect(detail).toMatchObject({ status: 'sleeping', sleepReason: 'retry', consecutiveErrors: 1 })
    expect(detail.lastError).toMatch(/no members list/)
    expect(new Set((await stored(job)).map((row) => row.data.email)).size).toBe(1000)
    detail = await run(job)
    expect(detail.lastError).toBeNull()
    expect(new Set((await stored(job)).map((row) => row.data.email)).size).toBe(TOTAL)
    await settle()
  })

  it('censors the key and its basic-auth header in what Mailchimp echoes, before cutting the message short', async () => {
    mc.addList('echo000001', 'Echo')
    mc.addMember('echo000001', 'ada@example.org')
    const job = await deploySource('Echo', 'echo000001')
    // Messages are kept to 300 characters: "API Key Invalid: " and 273 more put the key across the cut.
    mc.fail({
      status: 401,
      match: /echo000001/,
      body: { title: 'API Key Invalid', status: 401, detail: `${'x'.repeat(273)}${KEY}`, instance: 'e1' },
    })
    let detail = await run(job)
    expect(detail.lastError).toMatch(/^Mailchimp refused the API key/)
    expect(detail.lastError).not.toContain(KEY.slice(0, 10))
    // The header carries base64 of `sluice:<key>`, which is neither the key nor any form of it.
    const header = Buffer.from(`sluice:${KEY}`).toString('base64')
    mc.fail({
      status: 400,
      match: /echo000001/,
      body: {
        title: 'Bad Request',
        status: 400,
        detail: `refused Authorization: Basic ${header}`,
        instance: 'e2',
      },
    })
    detail = await run(job)
    expect(detail.lastError).toBe(
      'Mailchimp refused the request: Bad Request: refused Authorization: Basic [redacted]',
    )
    expect(leaks(detail.lastError)).toBe(false)
    await settle()
  })

  it('never writes a key into a job log or error', async () => {
    expect(jobs.length).toBeGreaterThan(5)
    for (const job of jobs) {
      const log = await t().send('GET', `/api/jobs/${job}/logs/download`, { cookie: admin })
      expect(log.status).toBe(200)
      const detail = (await t().send('GET', `/api/jobs/${job}`, { cookie: admin })).text
      expect(leaks(log.text), job).toBe(false)
      expect(leaks(detail), job).toBe(false)
    }
    const errors = await t()
      .database.db.selectFrom('job_runs')
      .select('error')
      .where('job_id', 'in', jobs)
      .execute()
    expect(errors.some((row) => row.error)).toBe(true)
    for (const row of errors) expect(leaks(row.error ?? '')).toBe(false)
  })
})

it('splits a large batch into requests of at most 500 members, as batch subscribe requires', async () => {
  const mc = await startMailchimp({ keys: [KEY] })
  try {
    mc.addList('bulk000001', 'Bulk')
    const upserts = Array.from({ length: 1202 }, (_, n) => ({ id: `p${n}@bulk.example.org`, fields: {} }))
    upserts.splice(700, 0, { id: 'bad@localhost', fields: {} })
    const acks = []
    const ctx: ConnectorContext<AudienceConfig> = {
      config: audienceConfig.parse({ listId: 'bulk000001' }),
      credentials: { apiKey: KEY, apiUrl: mc.url },
      signal: new AbortController().signal,
      now: () => new Date('2026-03-01T12:00:00Z'),
      sleep: async () => {},
      dataDir: '',
      jobId: null,
      ...outboundContext({ allowPrivateNetwork: true }),
    }
    async function* one() {
      yield { upserts, removes: [{ id: 'gone@bulk.example.org' }] }
    }
    for await (const ack of writeAudience(ctx, one())) acks.push(ack)
    const sizes = mc
      .callsTo(/^POST \/3\.0\/lists\/bulk000001$/)
      .map((call) => JSON.parse(call.body).members.length)
    expect(sizes).toEqual([500, 500, 204])
    // One acknowledgement for the batch; the refused member with Mailchimp's reason.
    expect(acks).toEqual([
      {
        delivered: upserts.filter((row) => row.id !== 'bad@localhost').map((row) => row.id),
        removed: ['gone@bulk.example.org'],
        rejected: [
          {
            id: 'bad@localhost',
            reason:
              'bad@localhost looks fake or invalid, please enter a real email address. (email_address: Invalid email address)',
          },
        ],
      },
    ])
    expect(mc.lists.get('bulk000001')!.members.size).toBe(1203)
  } finally {
    await mc.close()
  }
})
