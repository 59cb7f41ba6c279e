import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { at, nextLink } from '../../nodes/rest/rest.connector.ts'
import { useTestApp } from '../support/app.ts'
import { describeEachDialect } from '../support/dialects.ts'
import { edge } from '../support/documents.ts'
import { authorizationNode } from '../support/keyed-api.ts'
import { deployPipeline, runJobNow } from '../support/pipelines.ts'

const KEY = 'rest-api-key-8c1f2e'
const TOTAL = 23

/** A JSON API with four kinds of paging, an incremental filter, and the usual ways to fail. */
async function contactsApi() {
  const contacts = Array.from({ length: TOTAL }, (_, n) => ({
    id: n,
    email: `c${n}@rest.example`,
    updated_at: `2026-01-01T00:00:${String(n).padStart(2, '0')}Z`,
  }))
  const requests: URL[] = []
  const credentials: string[] = []
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://api.test')
    requests.push(url)
    const auth = request.headers.authorization ?? ''
    const presented =
      auth === `Bearer ${KEY}`
        ? 'bearer'
        : request.headers['x-api-key'] === KEY
          ? 'header'
          : url.searchParams.get('api_key') === KEY
            ? 'query'
            : auth === `Basic ${Buffer.from(`ada:${KEY}`).toString('base64')}`
              ? 'basic'
              : null
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body))
    }
    if (!presented) return json(401, { message: 'missing or wrong key' })
    credentials.push(presented)
    const since = url.searchParams.get('updated_since')
    const visible = contacts.filter((contact) => !since || contact.updated_at > since)
    const slice = (from: number, count: number) => visible.slice(from, from + count)
    switch (url.pathname) {
      case '/page': {
        const size = Number(url.searchParams.get('per_page') ?? 10)
        const page = Number(url.searchParams.get('page') ?? 1)
        return json(200, { data: { items: slice((page - 1) * size, size) } })
      }
      case '/offset':
        return json(200, {
          data: {
            items: slice(Number(url.searchParams.get('offset')), Number(url.searchParams.get('limit'))),
          },
        })
      case '/cursor': {
        const from = Number(url.searchParams.get('cursor') ?? 0)
        return json(200, {
          data: { items: slice(from, 7) },
          next_cursor: from + 7 < visible.length ? String(from + 7) : null,
        })
      }
      case '/link': {
        const from = Number(url.searchParams.get('from') ?? 0)
        const more = from + 10 < visible.length
        return json(
          200,
          { data: { items: slice(from, 10) } },
          more ? { link: `</link?from=${from + 10}>; rel="next"` } : {},
        )
      }
      case '/limited':
        return json(429, { message: 'slow down' }, { 'retry-after': '30' })
      case '/text':
        response.writeHead(200, { 'content-type': 'text/html' }).end('<html>login</html>')
        return
      default:
        return json(404, { message: 'no such endpoint' })
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    contacts,
    requests,
    credentials,
    url: (path: string) => `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

describeEachDialect('REST / JSON source', (dialect) => {
  let api: Awaited<ReturnType<typeof contactsApi>>
  beforeAll(async () => {
    api = await contactsApi()
  })
  afterAll(() => api.close())
  const t = useTestApp(dialect)
  let admin = ''
  let bearer = ''
  beforeAll(async () => {
    admin = await t().setupAdmin()
    bearer = (
      await t().send('POST', '/api/authorizations', {
        cookie: admin,
        body: {
          name: 'Bearer',
          provider: 'rest',
          method: 'apikey',
          credentials: { placement: 'bearer', apiKey: KEY },
        },
      })
    ).json.id
  })

  const source = (id: string, config: Record<string, unknown>) => ({
    id,
    kind: 'source' as const,
    provider: 'rest',
    jobType: 'records',
    name: `REST ${id}`,
    position: { x: 0, y: 0 },
    data: { config: { recordsPath: 'data.items', ...config }, cadence: { every: '1h' } },
  })
  const deploy = async (name: string, config: Record<string, unknown>, authorizationId = bearer) =>
    (
      await deployPipeline(t(), admin, name, {
        version: 1,
        nodes: [source('src', config), authorizationNode('auth', 'rest', authorizationId)],
        edges: [edge('auth', 'src')],
      })
    ).jobOf('src')
  const run = (job: string) => runJobNow(t(), admin, job)
  const stored = async (job: string) =>
    (
      await t().database.db.selectFrom('raw_messages').select('payload').where('job_id', '=', job).execute()
    ).map((row) => JSON.parse(row.payload) as { id: number })

  it('pages by page number, offset, cursor and Link header, reading every record once', async () => {
    const pagings = {
      page: { url: api.url('/page'), pagination: { type: 'page', sizeParam: 'per_page', size: 5 } },
      offset: { url: api.url('/offset'), pagination: { type: 'offset', limit: 6 } },
      cursor: { url: api.url('/cursor'), pagination: { type: 'cursor', path: 'next_cursor' } },
      link: { url: api.url('/link'), pagination: { type: 'link' } },
    }
    for (const [name, config] of Object.entries(pagings)) {
      const job = await deploy(`Paging ${name}`, config)
      const detail = await run(job)
      expect(detail.lastError, name).toBeNull()
      const ids = (await stored(job)).map((record) => record.id).sort((a, b) => a - b)
      expect(ids, name).toEqual(api.contacts.map((contact) => contact.id))
    }
  })

  it('asks only for what changed since the last run, and previews the first page', async () => {
    const job = await deploy('Incremental', {
      url: api.url('/page'),
      pagination: { type: 'page', sizeParam: 'per_page', size: 10 },
      incremental: { param: 'updated_since', field: 'updated_at' },
    })
    await run(job)
    expect(await stored(job)).toHaveLength(TOTAL)
    api.contacts[3]!.updated_at = '2026-02-01T00:00:00Z'
    api.contacts[4]!.updated_at = '2026-02-02T00:00:00Z'
    api.requests.length = 0
    const detail = await run(job)
    expect(detail.lastError).toBeNull()
    expect(api.requests[0]!.searchParams.get('updated_since')).toBe('2026-01-01T00:00:22Z')
    expect((await stored(job)).length).toBe(TOTAL + 2)
    // Nothing changed: the next run asks from the newest value and stores nothing.
    await run(job)
    expect(api.requests.at(-1)!.searchParams.get('updated_since')).toBe('2026-02-02T00:00:00Z')
    expect((await stored(job)).length).toBe(TOTAL + 2)

    const preview = await t().send('POST', '/api/preview', {
      cookie: admin,
      body: {
        provider: 'rest',
        jobType: 'records',
        authorizationId: bearer,
        config: {
          url: api.url('/page'),
          recordsPath: 'data.items',
          pagination: { type: 'page', sizeParam: 'per_page', size: 5 },
        },
      },
    })
    expect(preview.status, preview.text).toBe(200)
    expect(preview.json.records).toHaveLength(5)
    expect(preview.json.schema.properties).toMatchObject({
      email: { type: ['string'] },
      id: { type: ['integer'] },
    })
  })

  it('sends the key as a bearer token, a header, a query parameter or basic auth', async () => {
    const placements = [
      ['header', { placement: 'header', name: 'X-Api-Key', apiKey: KEY }, 'apikey'],
      ['query', { placement: 'query', name: 'api_key', apiKey: KEY }, 'apikey'],
      ['basic', { username: 'ada', password: KEY }, 'basic'],
      ['bearer', { apiKey: KEY }, 'apikey'],
    ] as const
    for (const [expected, credentials, method] of placements) {
      const created = await t().send('POST', '/api/authorizations', {
        cookie: admin,
        body: { name: expected, provider: 'rest', method, credentials },
      })
      const tested = await t().send('POST', `/api/authorizations/${created.json.id}/test`, {
        cookie: admin,
        body: { config: { url: api.url('/page'), recordsPath: 'data.items' } },
      })
      expect(tested.json, expected).toEqual({
        ok: true,
        message: expect.stringMatching(/answered with 10 records/),
      })
      expect(api.credentials.at(-1)).toBe(expected)
    }
    // The key in a query parameter is never logged or stored with the job's error.
    const wrong = await t().send('POST', '/api/authorizations', {
      cookie: admin,
      body: { name: 'Wrong', provider: 'rest', method: 'apikey', credentials: { apiKey: 'not-the-key' } },
    })
    const refused = await t().send('POST', `/api/authorizations/${wrong.json.id}/test`, {
      cookie: admin,
      body: { config: { url: api.url('/page'), recordsPath: 'data.items' } },
    })
    expect(refused.json).toEqual({
      ok: false,
      message: expect.stringMatching(/HTTP 401.*check the authorization/),
    })
  })

  it('turns rate limits, a wrong records path, HTML and missing endpoints into errors that say what to do', async () => {
    const cases: [Record<string, unknown>, Record<string, unknown>, RegExp][] = [
      [{ url: api.url('/limited') }, { sleepReason: 'rate_limit' }, /./],
      [
        { url: api.url('/page'), recordsPath: 'results' },
        { sleepReason: 'retry' },
        /records path "results" is not a list in the response; the response has: data/,
      ],
      [{ url: api.url('/text') }, { sleepReason: 'retry' }, /did not answer JSON \(text\/html\)/],
      [{ url: api.url('/missing') }, { sleepReason: 'retry' }, /HTTP 404.*check the URL/],
    ]
    for (const [config, expected, message] of cases) {
      const job = await deploy(`Failing ${String(config.url)} ${String(config.recordsPath)}`, config)
      const detail = await run(job)
      expect(detail, String(config.url)).toMatchObject({ status: 'sleeping', ...expected })
      if (expected.sleepReason === 'rate_limit') {
        // Not an error: it sleeps until the API's Retry-After, and says so in the log.
        expect(Date.parse(detail.nextRunAt) - t().clock.now().getTime()).toBe(30_000)
        const logs = (await t().send('GET', `/api/jobs/${job}/logs?event=Sleeping`, { cookie: admin })).json
        expect(logs.at(-1).message).toMatch(/Rate-limited by the provider/)
      } else expect(detail.lastError).toMatch(message)
    }
  })
})

it('reads dot paths and Link headers', () => {
  expect(at({ a: { b: [1] } }, 'a.b')).toEqual([1])
  expect(at({ a: 1 }, '')).toEqual({ a: 1 })
  expect(at({ a: 1 }, 'a.b')).toBeUndefined()
  expect(at({}, '__proto__')).toBeUndefined()
  expect(
    nextLink(
      '<https://x.test/p?page=2>; rel="next", <https://x.test/p?page=9>; rel="last"',
      'https://x.test/p',
    ),
  ).toBe('https://x.test/p?page=2')
  expect(nextLink('</p?page=3>; rel="prev next"', 'https://x.test/p?page=2')).toBe('https://x.test/p?page=3')
  expect(nextLink('<https://x.test/p?page=9>; rel="last"', 'https://x.test/p')).toBeNull()
  expect(nextLink(null, 'https://x.test/p')).toBeNull()
})
