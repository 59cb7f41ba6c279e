import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Papa from 'papaparse'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ConnectorContext, ExportBatch } from '../../nodes/define.ts'
import s3Connector from '../../nodes/s3/s3.connector.ts'
import { PART_SIZE } from '../../nodes/s3/s3.destination.ts'
import { type S3DestinationConfig, s3DestinationConfig, s3SourceConfig } from '../../nodes/s3/s3.node.ts'
import { outboundContext } from '../../server/net/outbound.ts'
import { useTestApp } from '../support/app.ts'
import { describeEachDialect } from '../support/dialects.ts'
import { edge, sampleSource } from '../support/documents.ts'
import { authorizationNode } from '../support/keyed-api.ts'
import { audienceNode, deployPipeline, runJobNow } from '../support/pipelines.ts'
import { type Bucketeer, startS3 } from '../support/s3.ts'

let s3: Bucketeer
beforeAll(async () => {
  s3 = await startS3(['audiences', 'big', 'crashy'])
}, 30_000)
afterAll(async () => s3?.stop())

/** The rows of every file under a prefix, oldest file first (names sort by run time). */
async function filesUnder(bucket: string, prefix: string) {
  const keys = (await s3.keys(bucket, prefix)).map((object) => object.key).sort()
  const files: { key: string; rows: Record<string, string>[] }[] = []
  for (const key of keys) {
    const parsed = Papa.parse<Record<string, string>>(await s3.text(bucket, key), {
      header: true,
      skipEmptyLines: true,
    })
    files.push({ key, rows: parsed.data })
  }
  return files
}

describeEachDialect('S3 destination', (dialect) => {
  const t = useTestApp(dialect)
  it('delivers exactly the audience as one file per run, and the people who leave in the next', async () => {
    const admin = await t().setupAdmin()
    const authorization = await t().send('POST', '/api/authorizations', {
      cookie: admin,
      body: { name: 'Bucket', provider: 's3', method: 'apikey', credentials: s3.credentials() },
    })
    expect(authorization.status, authorization.text).toBe(201)
    const filter = { field: 'country', op: 'in', value: ['US', 'GB'] }
    const audience = (
      await t().send('POST', '/api/audiences', { cookie: admin, body: { name: 'US and UK', filter } })
    ).json
    const prefix = `${dialect}/us-uk/`
    const { jobOf } = await deployPipeline(t(), admin, 'Audience to S3', {
      version: 1,
      nodes: [
        sampleSource('src', { customers: 30, eventsPerRun: 200, seed: 7 }),
        audienceNode('aud', audience.id),
        {
          id: 'dst',
          kind: 'destination',
          provider: 's3',
          jobType: 'file',
          name: 'Bucket',
          position: { x: 0, y: 0 },
          data: { config: { bucket: 'audiences', prefix, filePrefix: 'audience' }, cadence: { every: '1h' } },
        },
        authorizationNode('auth', 's3', authorization.json.id),
      ],
      edges: [edge('src', 'aud'), edge('aud', 'dst'), edge('auth', 'dst')],
    })
    const run = async (node: string) =>
      expect((await runJobNow(t(), admin, jobOf(node))).lastError, node).toBeNull()
    const members = async (of: Record<string, unknown>) =>
      (
        (
          await t().send('POST', '/api/audiences/preview', {
            cookie: admin,
            body: { filter: of, limit: 100 },
          })
        ).json.sample as { attributes: { email: string } }[]
      )
        .map((profile) => profile.attributes.email)
        .sort()

    await run('src')
    await run('dst')
    const everyone = await members(filter)
    expect(everyone.length).toBeGreaterThan(5)
    let files = await filesUnder('audiences', prefix)
    expect(files).toHaveLength(1)
    expect(files[0]!.key).toMatch(
      new RegExp(`^${prefix}audience-\\d{4}-\\d{2}-\\d{2}T[\\d-]+Z-[0-9a-f]{6}\\.csv$`),
    )
    expect(files[0]!.rows.map((row) => row.id).sort()).toEqual(everyone)
    expect(new Set(files[0]!.rows.map((row) => row._op))).toEqual(new Set(['upsert']))
    expect(['US', 'GB']).toContain(files[0]!.rows[0]!.country)

    const narrowed = { field: 'country', op: 'eq', value: 'US' }
    const updated = await t().send('PUT', `/api/audiences/${audience.id}`, {
      cookie: admin,
      body: { name: 'US', filter: narrowed, version: audience.version },
    })
    expect(updated.status, updated.text).toBe(200)
    const stayed = await members(narrowed)
    const left = everyone.filter((email) => !stayed.includes(email))
    expect(left.length).toBeGreaterThan(0)
    await run('dst')
    files = await filesUnder('audiences', prefix)
    expect(files).toHaveLength(2)
    expect(
      files[1]!.rows
        .filter((row) => row._op === 'remove')
        .map((row) => row.id)
        .sort(),
    ).toEqual(left.sort())
    // Nothing changed: no third file.
    await run('dst')
    expect(await filesUnder('audiences', prefix)).toHaveLength(2)
  })
})

describe('S3 destination connector', () => {
  const { write } = s3Connector.jobs.file
  let dataDir = ''
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'sluice-s3-destination-'))
  })
  afterAll(async () => rm(dataDir, { recursive: true, force: true }))
  const context = (
    config: Partial<S3DestinationConfig>,
    credentials = s3.credentials(),
  ): ConnectorContext<S3DestinationConfig> => ({
    config: s3DestinationConfig.parse(config),
    credentials,
    ...outboundContext({ allowPrivateNetwork: true }),
    signal: new AbortController().signal,
    now: () => new Date(),
    sleep: async () => {},
    dataDir,
    jobId: 'job-s3',
  })
  const people = (from: number, count: number, pad = 0): ExportBatch => ({
    upserts: Array.from({ length: count }, (_, i) => ({
      id: `p${from + i}@example.com`,
      fields: { name: `Person ${from + i}`, note: 'x'.repeat(pad) },
    })),
    removes: [],
  })

  it('uploads a file larger than a part in parts, byte for byte', async () => {
    // 3 parts: rows of ~1 KB until past two parts' worth.
    const rows = Math.ceil((2.2 * PART_SIZE) / 1000)
    async function* batches() {
      for (let from = 0; from < rows; from += 5000) yield people(from, Math.min(5000, rows - from), 950)
    }
    let acks = 0
    const relay = await s3.relay()
    try {
      const via = s3.credentials({ endpoint: relay.endpoint })
      for await (const ack of write(context({ bucket: 'big', format: 'jsonl' }, via), batches()))
        acks += ack.delivered.length
    } finally {
      await relay.close()
    }
    expect(acks).toBe(rows)
    // Initiated, three parts, completed: nothing went up in one PUT.
    const parts = relay.requests.filter((request) => /^PUT .*[?&]partNumber=\d+/.test(request))
    expect(parts).toHaveLength(3)
    expect(relay.requests.filter((request) => /^POST .*[?&]uploads/.test(request))).toHaveLength(1)
    expect(relay.requests.filter((request) => /^POST .*[?&]uploadId=/.test(request))).toHaveLength(1)
    const [object] = await s3.keys('big')
    expect(object!.size).toBeGreaterThan(2 * PART_SIZE)
    const lines = (await s3.text('big', object!.key)).trimEnd().split('\n')
    expect(lines).toHaveLength(rows)
    expect(JSON.parse(lines[rows - 1]!)).toEqual({
      _op: 'upsert',
      id: `p${rows - 1}@example.com`,
      name: `Person ${rows - 1}`,
      note: 'x'.repeat(950),
    })
  })

  it('reaches a loopback endpoint only with SLUICE_ALLOW_PRIVATE_NETWORK (the outbound guard)', async () => {
    const guarded = { ...context({ bucket: 'big' }), ...outboundContext({ allowPrivateNetwork: false }) }
    const check = await s3Connector.check({ ...guarded, config: { bucket: 'big', prefix: 'x/' } })
    expect(check).toEqual({
      ok: false,
      message: expect.stringMatching(/refused to connect to 127\.0\.0\.1: .*SLUICE_ALLOW_PRIVATE_NETWORK/),
    })
    const read = s3Connector.jobs.files.read(
      { ...guarded, config: s3SourceConfig.parse({ bucket: 'big' }) },
      { checkpoint: null },
    )
    await expect(read[Symbol.asyncIterator]().next()).rejects.toMatchObject({
      kind: 'config',
      code: 'OutboundRefused',
    })
  })

  it('uploads what a crashed run acknowledged, at the start of the next run', async () => {
    const config = { bucket: 'crashy', prefix: 'out', format: 'csv' as const }
    // A run that acknowledged two batches and then died: its generator is never resumed.
    async function* first() {
      yield people(0, 3)
      yield people(3, 3)
      yield people(6, 3)
    }
    const dying = write(context(config), first())[Symbol.asyncIterator]()
    expect((await dying.next()).value?.delivered).toHaveLength(3)
    expect((await dying.next()).value?.delivered).toHaveLength(3)
    expect(await s3.keys('crashy')).toEqual([])
    expect(
      (await readdir(join(dataDir, 'spool', 's3'))).filter((name) => name.endsWith('.tmp')),
    ).toHaveLength(1)

    async function* second() {
      yield people(100, 2)
    }
    for await (const ack of write(context(config), second())) expect(ack.delivered).toHaveLength(2)
    const files = await filesUnder('crashy', 'out/')
    expect(files.map((file) => file.rows.map((row) => row.id))).toEqual([
      [
        'p0@example.com',
        'p1@example.com',
        'p2@example.com',
        'p3@example.com',
        'p4@example.com',
        'p5@example.com',
      ],
      ['p100@example.com', 'p101@example.com'],
    ])
    expect(await readdir(join(dataDir, 'spool', 's3'))).toEqual([])
  })
})
