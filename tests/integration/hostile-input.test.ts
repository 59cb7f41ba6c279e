import { expect, it } from 'vitest'
import { ORIGIN, useTestApp } from '../support/app.ts'
import { describeEachDialect } from '../support/dialects.ts'
import { sampleSource, sampleToFile } from '../support/documents.ts'

/** Input that once produced a 500 on one dialect or the other; each must be a clear 4xx. */
describeEachDialect('hostile input', (dialect) => {
  const t = useTestApp(dialect)
  let admin = ''
  let pipelineId = ''

  it('refuses sort names that are not the list columns, however they are spelled', async () => {
    admin = await t().setupAdmin()
    pipelineId = (
      await t().send('POST', '/api/pipelines', {
        cookie: admin,
        body: { name: 'P', document: sampleToFile() },
      })
    ).json.id
    for (const sort of ['__proto__', 'toString', 'constructor', '-hasOwnProperty']) {
      for (const list of ['/api/jobs', '/api/pipelines']) {
        const response = await t().send('GET', `${list}?sort=${sort}`, { cookie: admin })
        expect(response.status, `${list} ${sort}`).toBe(400)
        expect(response.json.error.code).toBe('InvalidSort')
      }
    }
    expect((await t().send('GET', '/api/docs/assets/constructor')).status).toBe(404)
    expect((await t().send('GET', '/api/docs/assets/__proto__')).status).toBe(404)
  })

  it('refuses the NUL character in paths, queries, bodies and cursors', async () => {
    const { send } = t()
    expect((await send('GET', '/api/pipelines/a%00b', { cookie: admin })).status).toBe(400)
    expect((await send('GET', '/api/jobs?q=a%00b', { cookie: admin })).status).toBe(400)
    const named = await send('POST', '/api/pipelines', {
      cookie: admin,
      body: { name: 'a\u0000b', document: sampleToFile() },
    })
    expect(named.status).toBe(400)
    expect(named.json.error.message).toMatch(/body\.name: must not contain the NUL character/)
    const inDocument = sampleToFile()
    inDocument.nodes[0]!.name = 'x\u0000'
    expect(
      (
        await send('PUT', `/api/pipelines/${pipelineId}`, {
          cookie: admin,
          body: { version: 1, document: inDocument },
        })
      ).status,
    ).toBe(400)
    const cursor = Buffer.from(JSON.stringify(['name', 'a\u0000', 'id'])).toString('base64url')
    const forged = await send('GET', `/api/jobs?sort=name&cursor=${cursor}`, { cookie: admin })
    expect(forged.status).toBe(400)
    expect(forged.json.error.code).toBe('InvalidCursor')
  })

  it('refuses numbers out of the columns’ range', async () => {
    const { send } = t()
    expect(
      (
        await send('PUT', `/api/pipelines/${pipelineId}`, {
          cookie: admin,
          body: { version: 3_000_000_000, name: 'x' },
        })
      ).status,
    ).toBe(400)
    expect(
      (
        await send('POST', `/api/pipelines/${pipelineId}/rollback`, {
          cookie: admin,
          body: { version: 3_000_000_000 },
        })
      ).status,
    ).toBe(400)
    expect(
      (await send('GET', `/api/jobs/x/logs?after=100000000000000000000`, { cookie: admin })).status,
    ).toBe(400)
    expect((await send('GET', '/api/jobs?limit=1e3', { cookie: admin })).status).toBe(200)
  })

  it('refuses config nested deeper than 16 levels before storing it', async () => {
    // Sent as raw text: building it with JSON.stringify would overflow this test's own stack.
    const document = {
      version: 1,
      nodes: [{ ...sampleSource('s'), data: { config: { deep: '@' } } }],
      edges: [],
    }
    const raw = JSON.stringify({ name: 'deep', document }).replace(
      '"@"',
      `${'['.repeat(5000)}1${']'.repeat(5000)}`,
    )
    const response = await t().send('POST', '/api/pipelines', { cookie: admin, raw })
    expect(response.status).toBe(422)
    expect(response.json.error.message).toMatch(/nest deeper than 16/)
  })

  it('matches searches case-insensitively beyond ASCII on both dialects', async () => {
    const { send } = t()
    await send('POST', '/api/pipelines', {
      cookie: admin,
      body: { name: 'Éclair Straße', document: sampleToFile() },
    })
    const found = await send('GET', `/api/pipelines?q=${encodeURIComponent('éclair')}`, { cookie: admin })
    expect(found.json.map((p: { name: string }) => p.name)).toEqual(['Éclair Straße'])
  })

  it('refuses cross-site and DNS-rebinding origins but allows this host on loopback', async () => {
    const { send } = t()
    const body = { name: 'origin test', document: sampleToFile() }
    const rebinding = await send('POST', '/api/pipelines', {
      cookie: admin,
      body,
      headers: { origin: 'http://evil.example:8080', host: 'evil.example:8080' },
    })
    expect(rebinding.status).toBe(403)
    expect(rebinding.json.error.message).toMatch(/SLUICE_PUBLIC_URL/)
    const otherLocalPort = await send('POST', '/api/pipelines', {
      cookie: admin,
      body,
      headers: { origin: 'http://localhost:3000', host: 'localhost:8080' },
    })
    expect(otherLocalPort.status).toBe(403)
    const devProxy = await send('POST', '/api/pipelines', {
      cookie: admin,
      body,
      headers: { origin: 'http://localhost:5173', host: 'localhost:5173' },
    })
    expect(devProxy.status).toBe(201)
    const setup = await send('POST', '/api/auth/setup', {
      body: { email: 'x@example.com', name: 'x', password: 'password-123' },
      headers: { origin: 'http://evil.example:8080', host: 'evil.example:8080' },
    })
    expect(setup.status).toBe(403)
    expect(ORIGIN).toBe('http://localhost:8080')
  })
})
