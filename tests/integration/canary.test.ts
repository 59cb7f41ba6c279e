import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { ROOT } from '../../server/bootstrap.ts'
import { CRASH_ENV, until } from '../support/crash.ts'
import { describeEachDialect, openTestDatabase } from '../support/dialects.ts'
import { authorizationNode, type KeyedApi, keyedSource, startKeyedApi } from '../support/keyed-api.ts'
import { type RunningSluice, signInRemote, startSluice } from '../support/server.ts'
import { openEvents } from '../support/sse.ts'

/** Unique strings that must never appear anywhere but in the requests that set them. */
const CANARY = {
  goodKey: 'canary-good-key-3f8a1c',
  refusedKey: 'canary-refused-key-9d2e7b',
  rotatedKey: 'canary-rotated-key-5c6f0a',
  password: 'canary-password-1b4d8e',
  webhookSecret: 'canary-webhook-secret-7e2a9f',
  webhookPath: 'canary-webhook-path-2c8b5d',
}
const STRINGS = Object.values(CANARY)

/** Every form a leak could take: as is, base64 (a basic-auth header), URL-encoded. */
const forms = (value: string) => [
  value,
  Buffer.from(value).toString('base64').replace(/=+$/, ''),
  encodeURIComponent(value),
]

function leaks(where: string, text: string): string[] {
  return STRINGS.flatMap((value) =>
    forms(value)
      .filter((form) => text.includes(form))
      .map(() => `${value} in ${where}`),
  )
}

describeEachDialect('canary: no secret ever leaks', (dialect) => {
  let api: KeyedApi
  let sluice: RunningSluice
  let database: Awaited<ReturnType<typeof openTestDatabase>> | undefined
  const bodies: [string, string][] = []
  // Our own folder: the database files are read after the server stops.
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-canary-'))
  beforeAll(async () => {
    api = await startKeyedApi([CANARY.goodKey, CANARY.rotatedKey, `canary-user:${CANARY.password}`])
    if (dialect === 'postgres') database = await openTestDatabase('postgres', { migrate: false })
    sluice = await startSluice(
      { ...CRASH_ENV, SLUICE_LOG_LEVEL: 'trace', ...(database ? { SLUICE_DB: database.url } : {}) },
      { scripted: true, dataDir },
    )
  })
  afterAll(async () => {
    await sluice?.stop()
    await api?.close()
    await database?.close()
    fs.rmSync(dataDir, { recursive: true, force: true })
  })

  it('keeps canary credentials out of responses, logs, SSE, the database files and the client bundle', async () => {
    const admin = await signInRemote(sluice.base)
    const call = async (method: string, route: string, body?: unknown) => {
      const response = await admin.call(method, route, body)
      bodies.push([`${method} ${route}`, JSON.stringify(response.json)])
      return response
    }
    const sse = await openEvents(`${sluice.base}/api/events`, { cookie: admin.cookie })
    const authorize = async (name: string, method: string, credentials: Record<string, string>) => {
      const created = await call('POST', '/api/authorizations', {
        name,
        provider: 'keyed',
        method,
        credentials: { baseUrl: api.url, ...credentials },
      })
      expect(created.status).toBe(201)
      return created.json.id as string
    }
    const good = await authorize('Good', 'apikey', { apiKey: CANARY.goodKey })
    const refused = await authorize('Refused', 'apikey', { apiKey: CANARY.refusedKey })
    const basic = await authorize('Basic', 'basic', { username: 'canary-user', password: CANARY.password })
    for (const id of [good, refused, basic]) await call('POST', `/api/authorizations/${id}/test`, {})
    expect((await call('POST', `/api/authorizations/${refused}/test`, {})).json.ok).toBe(false)
    await call('POST', '/api/preview', {
      provider: 'keyed',
      jobType: 'contacts',
      config: {},
      authorizationId: refused,
    })
    await call('POST', '/api/preview', {
      provider: 'keyed',
      jobType: 'contacts',
      config: {},
      authorizationId: good,
    })
    const node = (id: string, authorizationId: string) => [
      keyedSource(`src-${id}`),
      authorizationNode(`auth-${id}`, 'keyed', authorizationId),
    ]
    const pipeline = await call('POST', '/api/pipelines', {
      name: 'Canary',
      document: {
        version: 1,
        nodes: [...node('good', good), ...node('refused', refused), ...node('basic', basic)],
        edges: ['good', 'refused', 'basic'].map((id) => ({
          id: `e-${id}`,
          source: `auth-${id}`,
          target: `src-${id}`,
        })),
      },
    })
    const deployed = await call('POST', `/api/pipelines/${pipeline.json.id}/deploy`, {})
    expect(deployed.status).toBe(200)
    const jobs = deployed.json.jobs as { nodeId: string; jobId: string }[]
    const jobOf = (nodeId: string) => jobs.find((job) => job.nodeId === nodeId)!.jobId
    await until('the jobs to run', async () => {
      const ok = (await admin.call('GET', `/api/jobs/${jobOf('src-good')}/runs`)).json.length > 0
      const failing =
        (await admin.call('GET', `/api/jobs/${jobOf('src-refused')}`)).json.consecutiveErrors > 0
      return ok && failing
    })
    expect((await call('GET', `/api/jobs/${jobOf('src-refused')}`)).json.lastError).toMatch(/HTTP 401/)
    expect(api.seen).toContain(`key:${CANARY.refusedKey}`)
    await call('PATCH', `/api/authorizations/${good}`, { credentials: { apiKey: CANARY.rotatedKey } })
    await until(
      'the good job to sleep again',
      async () => (await admin.call('GET', `/api/jobs/${jobOf('src-good')}`)).json.status === 'sleeping',
    )
    const again = await call('POST', `/api/jobs/${jobOf('src-good')}/run`, {})
    expect(again.status, JSON.stringify(again.json)).toBe(200)
    await until('the rotated key to be used', () => api.seen.includes(`key:${CANARY.rotatedKey}`))
    const rule = await call('POST', '/api/alerts', {
      name: 'Canary alert',
      condition: { kind: 'error_streak', errors: 1 },
      targets: [
        {
          type: 'webhook',
          url: `https://hooks.example.com/services/${CANARY.webhookPath}`,
          secret: CANARY.webhookSecret,
        },
      ],
    })
    expect(rule.status).toBe(201)
    await call('GET', `/api/pipelines/${pipeline.json.id}/export`)

    // Every GET route the API documents, ids filled in from what exists.
    const spec = (await admin.call('GET', '/api/openapi.json')).json as {
      paths: Record<string, Record<string, unknown>>
    }
    const ids: Record<string, string> = {
      jobs: jobOf('src-refused'),
      pipelines: pipeline.json.id,
      authorizations: good,
      alerts: rule.json.id,
    }
    let gets = 0
    for (const [template, methods] of Object.entries(spec.paths)) {
      if (!methods.get || template === '/api/events' || template.startsWith('/api/docs')) continue
      const route = template.replace(/\{(\w+)\}/g, (_, name: string) => {
        const collection = template.split('/')[2]!
        return ids[collection] ?? `no-such-${name}`
      })
      const response = await fetch(`${sluice.base}${route}`, { headers: { cookie: admin.cookie } })
      bodies.push([`GET ${route}`, await response.text()])
      expect(response.status, route).toBeLessThan(500)
      gets++
    }
    expect(gets).toBeGreaterThan(30)
    await until('status events on the stream', () => sse.received.length > 5)
    sse.source.close()
    bodies.push(['SSE', JSON.stringify(sse.received)])

    const found: string[] = []
    for (const [where, text] of bodies) found.push(...leaks(`the answer to ${where}`, text))
    found.push(...leaks('the server log', sluice.output()))
    // While it runs, the WAL holds recent pages; after a clean stop, the main file holds everything.
    const files =
      dialect === 'sqlite'
        ? ['sluice.db', 'sluice.db-wal'].map((file) => path.join(sluice.dataDir, file))
        : []
    const read = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file).toString('latin1') : '')
    for (const file of files) found.push(...leaks(`${path.basename(file)} while running`, read(file)))
    if (database) {
      const client = new pg.Client({ connectionString: database.url })
      await client.connect()
      try {
        const { rows: tables } = await client.query(
          "select table_name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'",
        )
        expect(tables.length).toBeGreaterThan(20)
        for (const { table_name: table } of tables) {
          const { rows } = await client.query(`select * from "${table}"`)
          found.push(...leaks(`table ${table}`, JSON.stringify(rows)))
        }
      } finally {
        await client.end()
      }
    }
    const output = sluice.output()
    await sluice.stop()
    found.push(...leaks('the server log at shutdown', sluice.output()))
    expect(output.length).toBeGreaterThan(1000)
    for (const file of files) found.push(...leaks(`${path.basename(file)} after shutdown`, read(file)))
    const dist = path.join(ROOT, 'dist')
    // global-setup built the client: the bundle users download is searched too.
    expect(fs.existsSync(path.join(dist, 'client', 'index.html'))).toBe(true)
    const walk = (dir: string): string[] =>
      fs.existsSync(dir)
        ? fs
            .readdirSync(dir, { withFileTypes: true })
            .flatMap((entry) =>
              entry.isDirectory() ? walk(path.join(dir, entry.name)) : [path.join(dir, entry.name)],
            )
        : []
    for (const file of walk(dist)) found.push(...leaks(path.relative(ROOT, file), read(file)))
    expect(found).toEqual([])
  }, 240_000)
})
