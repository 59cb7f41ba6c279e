import { createHmac } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { retryAtOf } from '../../nodes/http-answers.ts'
import { useTestApp } from '../support/app.ts'
import { describeEachDialect } from '../support/dialects.ts'
import { collectSource, edge } from '../support/documents.ts'
import { authorizationNode } from '../support/keyed-api.ts'
import { audienceNode, deployPipeline, runJobNow } from '../support/pipelines.ts'

const SECRET = 'whsec-test-signing-secret-1234'

interface Hit {
  headers: http.IncomingHttpHeaders
  body: { idempotencyKey: string; items: { action: string; id: string; fields?: Record<string, unknown> }[] }
  raw: string
}

/** An endpoint that answers from a script (then 200) and keeps every request. */
async function endpoint() {
  const hits: Hit[] = []
  const script: { status: number; headers?: Record<string, string>; body?: string }[] = []
  const server = http.createServer((request, response) => {
    let raw = ''
    request.setEncoding('utf8')
    request.on('data', (chunk) => {
      raw += chunk
    })
    request.on('end', () => {
      hits.push({ headers: request.headers, body: JSON.parse(raw), raw })
      const next = script.shift() ?? { status: 200 }
      response.writeHead(next.status, next.headers).end(next.body ?? '')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    hits,
    script,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/sluice`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/** What a receiver does: recompute the signature from the raw body and the shared secret. */
function verified(hit: Hit): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(hit.headers['x-sluice-signature']))
  if (!match) return false
  return createHmac('sha256', SECRET).update(`${match[1]}.${hit.raw}`).digest('hex') === match[2]
}

describeEachDialect('webhook destination', (dialect) => {
  let hook: Awaited<ReturnType<typeof endpoint>>
  beforeAll(async () => {
    hook = await endpoint()
  })
  afterAll(() => hook.close())
  const t = useTestApp(dialect)

  it('POSTs signed batches with idempotency keys; sleeps on 429, retries 5xx, stops on other 4xx', async () => {
    const admin = await t().setupAdmin()
    const key = (await t().send('POST', '/api/data-keys', { cookie: admin, body: { name: 'web' } })).json.key
    const collect = async (body: Record<string, unknown>) =>
      expect(
        (await t().send('POST', '/collect/json/web', { body, headers: { authorization: key } })).status,
      ).toBe(200)
    for (const [email, plan] of [
      ['a@x.co', 'pro'],
      ['b@x.co', 'pro'],
      ['c@x.co', 'pro'],
      ['d@x.co', 'free'],
    ])
      await collect({ email, plan })
    const audience = (
      await t().send('POST', '/api/audiences', {
        cookie: admin,
        body: { name: 'Pros', filter: { field: 'plan', op: 'eq', value: 'pro' } },
      })
    ).json.id as string
    const authorization = await t().send('POST', '/api/authorizations', {
      cookie: admin,
      body: {
        name: 'Hook secret',
        provider: 'webhook',
        method: 'apikey',
        credentials: { signingSecret: SECRET },
      },
    })
    expect(authorization.status, authorization.text).toBe(201)
    const destination = (config: Record<string, unknown>) => ({
      id: 'dst',
      kind: 'destination' as const,
      provider: 'webhook',
      jobType: 'batches',
      name: 'Webhook',
      position: { x: 0, y: 0 },
      data: { config, cadence: { every: '1h' } },
    })
    const document = (config: Record<string, unknown>) => ({
      version: 1,
      nodes: [
        collectSource('src', 'web'),
        audienceNode('aud', audience),
        destination(config),
        authorizationNode('auth', 'webhook', authorization.json.id),
      ],
      edges: [edge('src', 'aud'), edge('aud', 'dst'), edge('auth', 'dst')],
    })
    // Credentials never travel in a config header.
    const smuggled = await t().send('POST', '/api/pipelines', {
      cookie: admin,
      body: {
        name: 'Smuggled',
        document: document({ url: hook.url, headers: { Authorization: 'Bearer x' } }),
      },
    })
    const refused = await t().send('POST', `/api/pipelines/${smuggled.json.id}/deploy`, {
      cookie: admin,
      body: {},
    })
    expect(refused.status).toBe(422)
    expect(refused.text).toMatch(/Sluice sets this header itself/)

    const { jobOf } = await deployPipeline(
      t(),
      admin,
      'Hooked',
      document({ url: hook.url, batchSize: 2, headers: { 'X-Team': 'growth' } }),
    )
    const job = jobOf('dst')
    const run = () => runJobNow(t(), admin, job)
    let detail = await run()
    expect(detail.lastError).toBeNull()
    expect(hook.hits).toHaveLength(2)
    for (const hit of hook.hits) {
      expect(verified(hit)).toBe(true)
      expect(hit.headers['idempotency-key']).toBe(hit.body.idempotencyKey)
      expect(hit.headers['x-team']).toBe('growth')
      expect(hit.headers['content-type']).toBe('application/json')
    }
    expect(
      hook.hits.flatMap((hit) => hit.body.items.map((item) => `${item.action}:${item.id}`)).sort(),
    ).toEqual(['upsert:a@x.co', 'upsert:b@x.co', 'upsert:c@x.co'])
    expect(hook.hits[0]!.body.items[0]!.fields).toMatchObject({ plan: 'pro' })
    expect((await t().send('GET', `/api/jobs/${job}/runs`, { cookie: admin })).json[0]).toMatchObject({
      added: 3,
    })

    // Someone leaves the audience; the endpoint is busy (429), then down (503), then refuses (400).
    await collect({ email: 'a@x.co', plan: 'free' })
    hook.hits.length = 0
    hook.script.push({ status: 429, headers: { 'retry-after': '120' } })
    const now = t().clock.now().getTime()
    detail = await run()
    expect(detail).toMatchObject({ status: 'sleeping', sleepReason: 'rate_limit' })
    expect(Date.parse(detail.nextRunAt) - (now + 1000)).toBe(120_000)
    hook.script.push({ status: 503, body: 'maintenance' })
    detail = await run()
    expect(detail).toMatchObject({ status: 'sleeping', sleepReason: 'retry', consecutiveErrors: 1 })
    expect(detail.lastError).toMatch(/HTTP 503: maintenance/)
    hook.script.push({ status: 400, body: '{"error":"unknown field plan"}' })
    detail = await run()
    expect(detail.lastError).toMatch(
      /the webhook answered HTTP 400: \{"error":"unknown field plan"\} \(check its URL/,
    )
    detail = await run()
    expect(detail).toMatchObject({ consecutiveErrors: 0, lastError: null })
    // Four tries of one batch: the same idempotency key each time, so the endpoint can drop repeats.
    expect(hook.hits).toHaveLength(4)
    expect(new Set(hook.hits.map((hit) => hit.body.idempotencyKey)).size).toBe(1)
    expect(hook.hits.at(-1)!.body.items).toEqual([{ action: 'remove', id: 'a@x.co' }])

    // The connection test sends one signed, empty request.
    hook.hits.length = 0
    const tested = await t().send('POST', `/api/authorizations/${authorization.json.id}/test`, {
      cookie: admin,
      body: { config: { url: hook.url } },
    })
    expect(tested.json).toEqual({
      ok: true,
      message: `${new URL(hook.url).host} accepted a signed test request`,
    })
    expect(verified(hook.hits[0]!)).toBe(true)
    expect(hook.hits[0]!.body.items).toEqual([])
  })
})

it('reads Retry-After as seconds or an HTTP date', () => {
  const now = new Date('2026-03-01T12:00:00Z')
  expect(retryAtOf('30', now).toISOString()).toBe('2026-03-01T12:00:30.000Z')
  expect(retryAtOf('Sun, 01 Mar 2026 12:05:00 GMT', now).toISOString()).toBe('2026-03-01T12:05:00.000Z')
  expect(retryAtOf(null, now).toISOString()).toBe('2026-03-01T12:01:00.000Z')
  expect(retryAtOf('soon', now).toISOString()).toBe('2026-03-01T12:01:00.000Z')
})
