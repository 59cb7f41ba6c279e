import { expect, it } from 'vitest'
import { useTestApp } from '../support/app.ts'
import { describeEachDialect } from '../support/dialects.ts'

describeEachDialect('HTTP edges', (dialect) => {
  const t = useTestApp(dialect)
  let admin = ''

  it('answers health without auth, with the dialect', async () => {
    admin = await t().setupAdmin()
    const health = await t().send('GET', '/api/health')
    expect(health.json).toEqual({ ok: true, version: 'test', db: dialect })
  })

  it('refuses malformed JSON with 400 MalformedJson', async () => {
    const response = await t().send('POST', '/api/pipelines', { cookie: admin, raw: '{"name": "x", ' })
    expect(response.status).toBe(400)
    expect(response.json.error).toEqual({
      code: 'MalformedJson',
      message: expect.stringMatching(/not valid JSON/),
    })
  })

  it('refuses wrong types and unknown fields, naming them', async () => {
    const wrongType = await t().send('POST', '/api/pipelines', {
      cookie: admin,
      body: { name: 42, document: { version: 1, nodes: [], edges: [] } },
    })
    expect(wrongType.status).toBe(400)
    expect(wrongType.json.error.message).toMatch(/body\.name/)
    const unknown = await t().send('POST', '/api/pipelines', {
      cookie: admin,
      body: { name: 'x', owner: 'me', document: { version: 1, nodes: [], edges: [] } },
    })
    expect(unknown.status).toBe(400)
    expect(unknown.json.error.message).toMatch(/owner/)
    const list = await t().send('GET', '/api/pipelines', { cookie: admin })
    expect(list.json).toEqual([])
  })

  it('refuses a body over 1 MB with 413 and writes nothing', async () => {
    const big = {
      name: 'big',
      description: 'x'.repeat(1024 * 1024 + 10),
      document: { version: 1, nodes: [], edges: [] },
    }
    const response = await t().send('POST', '/api/pipelines', { cookie: admin, body: big })
    expect(response.status).toBe(413)
    expect(response.json.error.code).toBe('PayloadTooLarge')
    expect((await t().send('GET', '/api/pipelines', { cookie: admin })).json).toEqual([])
  })

  it('refuses a body that is not JSON with 415', async () => {
    const response = await t().send('POST', '/api/pipelines', {
      cookie: admin,
      raw: 'name=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })
    expect(response.status).toBe(415)
    expect(response.json.error.code).toBe('UnsupportedMediaType')
  })

  it('answers unknown API paths with a JSON 404 and tags responses with a request id', async () => {
    const response = await t().send('GET', '/api/nothing-here', { cookie: admin })
    expect(response.status).toBe(404)
    expect(response.json.error.code).toBe('NotFound')
    expect(response.headers.get('x-request-id')).toMatch(/.{8,}/)
  })

  it('serves the OpenAPI document and offline interactive docs', async () => {
    const spec = await t().send('GET', '/api/openapi.json')
    expect(spec.status).toBe(200)
    expect(spec.json.openapi).toMatch(/^3\./)
    expect(spec.json.paths['/api/pipelines/{id}/deploy'].post).toBeDefined()
    const body = spec.json.paths['/api/pipelines'].post.requestBody.content['application/json'].schema
    expect(JSON.stringify(body)).toContain('document')
    const page = await t().send('GET', '/api/docs')
    expect(page.text).toContain('/api/docs/assets/swagger-ui-bundle.js')
    const script = await t().app.request('/api/docs/assets/swagger-ui-bundle.js')
    expect(script.status).toBe(200)
    expect((await script.text()).length).toBeGreaterThan(100_000)
    expect((await t().send('GET', '/api/docs/assets/..%2F..%2Fpackage.json')).status).toBe(404)
  })
})
