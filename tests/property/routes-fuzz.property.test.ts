import fc from 'fast-check'
import { expect, it } from 'vitest'
import { useTestApp } from '../support/app.ts'
import { describeEachDialect } from '../support/dialects.ts'
import { sampleToFile } from '../support/documents.ts'
import { routeTable } from '../support/routes.ts'

const BODIES = 10_000

/** Field names the API's bodies use, so generated objects reach past the first "unknown key". */
const FIELDS = [
  'name',
  'description',
  'document',
  'version',
  'nodes',
  'edges',
  'kind',
  'provider',
  'jobType',
  'data',
  'config',
  'cadence',
  'mapping',
  'authorizationId',
  'audienceId',
  'method',
  'credentials',
  'apiKey',
  'filter',
  'field',
  'op',
  'value',
  'stream',
  'condition',
  'targets',
  'type',
  'url',
  'secret',
  'to',
  'jobId',
  'enabled',
  'email',
  'password',
  'role',
  'startPaused',
  'records',
  'userId',
  'event',
  'properties',
  'traits',
  'batch',
  'messageId',
  'timestamp',
  'id',
  'source',
  'target',
  'position',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
]

const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    'a\u0000b',
    '\ud800',
    '💥'.repeat(50),
    '-1',
    '1e309',
    'null',
    'x'.repeat(5000),
  ),
)
const number = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -1, 2 ** 31, 2 ** 53, -(2 ** 63), 1e308, Number.MAX_SAFE_INTEGER + 2),
)
const value = fc.letrec((tie) => ({
  json: fc.oneof(
    { depthSize: 'small' },
    text,
    number,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('json'), { maxLength: 5 }),
    fc.dictionary(fc.oneof(fc.constantFrom(...FIELDS), fc.string({ maxLength: 10 })), tie('json'), {
      maxKeys: 6,
    }),
  ),
})).json

/** A pipeline-shaped document with random parts, so validation and deploy paths are fuzzed too. */
const document = fc.record({
  version: fc.oneof(fc.constant(1), value),
  nodes: fc.array(
    fc.record({
      id: fc.oneof(fc.constantFrom('a', 'b', 'c'), text),
      kind: fc.oneof(
        fc.constantFrom('source', 'destination', 'authorization', 'audience', 'enrichment', 'note'),
        text,
      ),
      provider: fc.oneof(fc.constantFrom('sample', 'file-export', 'collect', 'keyed'), text),
      jobType: fc.oneof(fc.constantFrom('customers', 'events', 'file', 'json'), text),
      name: text,
      position: fc.oneof(fc.record({ x: number, y: number }), value),
      data: value,
    }),
    { maxLength: 4 },
  ),
  edges: fc.array(
    fc.record({ id: text, source: fc.constantFrom('a', 'b', 'c'), target: fc.constantFrom('a', 'b', 'c') }),
    {
      maxLength: 4,
    },
  ),
})

/** A body as sent: JSON of something, a known shape with random parts, or bytes that are not JSON. */
const body = fc.oneof(
  value.map((v) => JSON.stringify(v)),
  fc.dictionary(fc.constantFrom(...FIELDS), value, { maxKeys: 8 }).map((v) => JSON.stringify(v)),
  fc
    .record({ name: text, document, version: fc.oneof(fc.nat(5), value) }, { requiredKeys: [] })
    .map((v) => JSON.stringify(v)),
  fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.constantFrom(
      '{',
      '[',
      '{"a":',
      '{"name":"x",}',
      'nul',
      '{"__proto__":{"role":"admin"}}',
      '[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]',
    ),
    fc.nat(60_000).map((depth) => '['.repeat(depth) + ']'.repeat(depth)),
  ),
)

describeEachDialect('fuzzing every JSON route', (dialect) => {
  const t = useTestApp(dialect, { SLUICE_COLLECT_RATE_LIMIT: '1000000' })

  it(`answers ${BODIES.toLocaleString('en')} malformed bodies with no 500 and no crash`, async () => {
    const admin = await t().setupAdmin()
    const token = (
      await t().send('POST', '/api/tokens', { cookie: admin, body: { name: 'fuzz', role: 'admin' } })
    ).json.token as string
    const dataKey = (await t().send('POST', '/api/data-keys', { cookie: admin, body: { name: 'fuzz' } })).json
      .key as string
    // Real ids where routes take one, so bodies get past "not found" into the handlers.
    const pipeline = (
      await t().send('POST', '/api/pipelines', { token, body: { name: 'Fuzz', document: sampleToFile() } })
    ).json
    const deployed = (await t().send('POST', `/api/pipelines/${pipeline.id}/deploy`, { token, body: {} }))
      .json
    const authorization = (
      await t().send('POST', '/api/authorizations', {
        token,
        body: { name: 'F', provider: 'sample', method: 'none' },
      })
    ).json
    const ids: Record<string, string> = {
      pipelines: pipeline.id,
      jobs: deployed.jobs[0].jobId,
      authorizations: authorization.id,
    }
    const routes = routeTable(t().app).filter(
      (rule) =>
        rule.method !== 'GET' &&
        /^\/(api|collect\/json|v1)\//.test(rule.path) &&
        rule.path !== '/api/auth/logout',
    )
    expect(routes.length).toBeGreaterThan(40)
    const statuses = new Map<number, number>()
    const fiveHundreds: string[] = []
    let sent = 0
    const perRoute = Math.ceil(BODIES / routes.length)
    for (const rule of routes) {
      const path = rule.path.replace(/:(\w+)/g, (_, name: string) =>
        name === 'id' ? (ids[rule.path.split('/')[2]!] ?? 'x-id') : `fuzz-${name}`,
      )
      const authorization =
        rule.access === 'datakey' || rule.path.startsWith('/v1/') ? dataKey : `Bearer ${token}`
      for (const raw of fc.sample(body, { numRuns: perRoute, seed: sent })) {
        const response = await t().app.request(
          path,
          { method: rule.method, headers: { authorization, 'content-type': 'application/json' }, body: raw },
          { incoming: { socket: { remoteAddress: '127.0.0.1' } } },
        )
        await response.text()
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1)
        if (response.status >= 500) fiveHundreds.push(`${rule.method} ${path} ${raw.slice(0, 200)}`)
        sent++
      }
    }
    expect(sent).toBeGreaterThanOrEqual(BODIES)
    expect(fiveHundreds).toEqual([])
    // Still serving, and most bodies were refused as input, not waved through.
    expect((await t().send('GET', '/api/health')).status).toBe(200)
    const refused = [...statuses]
      .filter(([status]) => status >= 400 && status < 500)
      .reduce((n, [, c]) => n + c, 0)
    expect(refused / sent).toBeGreaterThan(0.8)
  }, 600_000)
})
