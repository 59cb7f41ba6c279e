import { afterAll, beforeAll, expect, it } from 'vitest'
import { useTestApp } from '../support/app.ts'
import { describeEachDialect } from '../support/dialects.ts'
import { edge } from '../support/documents.ts'
import { authorizationNode } from '../support/keyed-api.ts'
import { deployPipeline, runJobNow } from '../support/pipelines.ts'
import { freePort } from '../support/postgres.ts'
import { type Bucketeer, startS3 } from '../support/s3.ts'

const MINUTE = 60_000
const csv = (rows: string[][]) => `${rows.map((row) => row.join(',')).join('\n')}\n`

describeEachDialect('S3 source', (dialect) => {
  let s3: Bucketeer
  beforeAll(async () => {
    s3 = await startS3(['drops', 'errors', 'backfill'])
  }, 30_000)
  afterAll(async () => s3?.stop())
  const t = useTestApp(dialect)
  let admin = ''
  const authorize = async (name: string, overrides: Record<string, unknown> = {}) => {
    const created = await t().send('POST', '/api/authorizations', {
      cookie: admin,
      body: { name, provider: 's3', method: 'apikey', credentials: s3.credentials(overrides) },
    })
    expect(created.status, created.text).toBe(201)
    return created.json.id as string
  }
  let owner = ''
  beforeAll(async () => {
    admin = await t().setupAdmin()
    owner = await authorize('Drops')
  })

  const deploy = async (
    name: string,
    config: Record<string, unknown>,
    options: { authorization?: string; cadence?: unknown } = {},
  ) =>
    (
      await deployPipeline(t(), admin, name, {
        version: 1,
        nodes: [
          {
            id: 'src',
            kind: 'source',
            provider: 's3',
            jobType: 'files',
            name,
            position: { x: 0, y: 0 },
            data: { config, cadence: options.cadence ?? { every: '1h' } },
          },
          authorizationNode('auth', 's3', options.authorization ?? owner),
        ],
        edges: [edge('auth', 'src')],
      })
    ).jobOf('src')
  const run = (job: string) => runJobNow(t(), admin, job)
  const stored = async (job: string) =>
    (
      await t()
        .database.db.selectFrom('raw_messages')
        .select(['payload', 'event_time'])
        .where('job_id', '=', job)
        .orderBy('seq')
        .execute()
    ).map((row): Record<string, unknown> => ({ ...JSON.parse(row.payload), at: row.event_time }))
  const emails = async (job: string) => (await stored(job)).map((row) => row.email).sort()

  it('reads CSV, gzipped CSV, JSON and NDJSON files in order, then only new and changed ones, including a file that landed late', async () => {
    const t0 = new Date('2026-11-01T10:00:00Z').getTime()
    const at = (minutes: number) => new Date(t0 + minutes * MINUTE)
    /** A CSV file in the drops bucket, last modified `minute` minutes after t0. */
    const drop = (key: string, rows: string[][], minute: number) =>
      s3.put('drops', key, csv(rows), { modified: at(minute) })
    await drop(
      'crm/a.csv',
      [
        ['id', 'email', 'plan'],
        ['1', 'a1@s3.example', 'free'],
        ['2', 'a2@s3.example', 'pro'],
      ],
      0,
    )
    await s3.put(
      'drops',
      'crm/2026/b.csv.gz',
      csv([
        ['id', 'email'],
        ['3', 'b3@s3.example'],
      ]),
      {
        gzip: true,
        modified: at(1),
      },
    )
    await s3.put(
      'drops',
      'crm/c.ndjson',
      '{"id":4,"email":"c4@s3.example","updated_at":"2026-10-30T08:00:00Z"}\n',
      {
        modified: at(2),
      },
    )
    await s3.put('drops', 'crm/d.json', JSON.stringify([{ id: 5, email: 'd5@s3.example', tags: ['x'] }]), {
      modified: at(3),
    })
    // Not matched by the pattern, and outside the prefix.
    await s3.put('drops', 'crm/notes.md', '# not data', { modified: at(4) })
    await drop(
      'other/e.csv',
      [
        ['id', 'email'],
        ['9', 'nope@s3.example'],
      ],
      4,
    )

    const job = await deploy('Drops', {
      bucket: 'drops',
      prefix: 'crm/',
      glob: '**/*.{csv,csv.gz,ndjson,json}',
      idField: 'id',
      eventTimeField: 'updated_at',
      lookBack: '15m',
      batchSize: 2,
    })
    let detail = await run(job)
    expect(detail.lastError).toBeNull()
    expect(await emails(job)).toEqual([
      'a1@s3.example',
      'a2@s3.example',
      'b3@s3.example',
      'c4@s3.example',
      'd5@s3.example',
    ])
    const rows = await stored(job)
    // CSV cells are text; JSON keeps its types; the event time comes from the named field.
    expect(rows.find((row) => row.id === '2')).toMatchObject({ email: 'a2@s3.example', plan: 'pro' })
    expect(rows.find((row) => row.id === 5)).toMatchObject({ tags: ['x'] })
    expect(new Date(String(rows.find((row) => row.id === 4)!.at)).toISOString()).toBe(
      '2026-10-30T08:00:00.000Z',
    )
    // In the order the files changed.
    expect(rows.map((row) => row.email)).toEqual([
      'a1@s3.example',
      'a2@s3.example',
      'b3@s3.example',
      'c4@s3.example',
      'd5@s3.example',
    ])

    // Nothing changed: nothing read.
    detail = await run(job)
    expect(detail.lastError).toBeNull()
    expect(await stored(job)).toHaveLength(5)

    // A new file; a.csv rewritten with one row changed; a file that landed late, dated 5 minutes
    // behind the newest (within the 15-minute window); one dated 2 hours behind (outside it).
    await drop(
      'crm/f.csv',
      [
        ['id', 'email'],
        ['6', 'f6@s3.example'],
      ],
      10,
    )
    await drop(
      'crm/a.csv',
      [
        ['id', 'email', 'plan'],
        ['1', 'a1@s3.example', 'free'],
        ['2', 'a2@s3.example', 'team'],
      ],
      11,
    )
    await drop(
      'crm/late.csv',
      [
        ['id', 'email'],
        ['7', 'late7@s3.example'],
      ],
      6,
    )
    await drop(
      'crm/ancient.csv',
      [
        ['id', 'email'],
        ['8', 'old8@s3.example'],
      ],
      -120,
    )
    detail = await run(job)
    expect(detail.lastError).toBeNull()
    const now = await stored(job)
    expect(now.slice(5).map((row) => `${row.email}/${row.plan ?? ''}`)).toEqual([
      'late7@s3.example/',
      'f6@s3.example/',
      'a2@s3.example/team',
    ])
    // Exact counts in the job's metrics and run history.
    const runs = (await t().send('GET', `/api/jobs/${job}/runs`, { cookie: admin })).json as {
      added: number
    }[]
    expect(runs.map((one) => one.added).reverse()).toEqual([5, 0, 3])
  })

  it('backfills once and completes; previews the first file; checks the bucket', async () => {
    for (let n = 0; n < 3; n++) {
      const rows = Array.from({ length: 40 }, (_, i) => [String(n * 40 + i), `p${n * 40 + i}@s3.example`])
      await s3.put('backfill', `2025/part-${n}.csv`, csv([['id', 'email'], ...rows]))
    }
    const job = await deploy('Backfill', { bucket: 'backfill', batchSize: 25 }, { cadence: 'once' })
    const detail = await run(job)
    expect(detail).toMatchObject({ status: 'completed', lastError: null })
    expect(await stored(job)).toHaveLength(120)

    const preview = await t().send('POST', '/api/preview', {
      cookie: admin,
      body: {
        provider: 's3',
        jobType: 'files',
        authorizationId: owner,
        config: { bucket: 'backfill', glob: '**/*.csv' },
      },
    })
    expect(preview.status, preview.text).toBe(200)
    expect(preview.json.records[0].data).toEqual({ id: '0', email: 'p0@s3.example' })
    expect(preview.json.schema.properties).toHaveProperty('email')

    const test = async (config?: Record<string, unknown>) =>
      (
        await t().send('POST', `/api/authorizations/${owner}/test`, {
          cookie: admin,
          body: config ? { config } : {},
        })
      ).json
    expect(await test()).toMatchObject({ ok: true, message: expect.stringMatching(/sees \d+ buckets/) })
    expect(await test({ bucket: 'backfill', glob: '**/*.csv' })).toMatchObject({
      ok: true,
      message: expect.stringContaining('3 matching files'),
    })
    expect(await test({ bucket: 'no-such-bucket' })).toMatchObject({
      ok: false,
      message: expect.stringMatching(/bucket "no-such-bucket" does not exist/),
    })
  })

  // s3rver does not verify SigV4 signatures, so a wrong secret and refusals are unit-tested (s3-errors.test.ts).
  it('says what to fix for an unknown key, a missing bucket, an unreachable endpoint and a malformed file, and retries', async () => {
    await s3.put('errors', 'broken.json', '[{"id": 1, "email": "x@s3.example"}, {"id": 2,')
    await s3.put('errors', 'bad.csv.gz', 'this is not gzip at all')
    await s3.put(
      'errors',
      'rows.ndjson',
      '{"id":1,"email":"r1@s3.example"}\nnot json\n{"id":3,"email":"r3@s3.example"}\n',
    )
    await s3.put('errors', 'readme.md', 'hello')
    const closed = await freePort()
    const cases: [string, Record<string, unknown>, Record<string, unknown> | null, RegExp, string][] = [
      [
        'unknown key',
        { bucket: 'errors', glob: '*.ndjson' },
        { accessKeyId: 'NOBODY' },
        /does not know the access key id "NOBODY"/,
        'retry',
      ],
      [
        'missing bucket',
        { bucket: 'gone-bucket' },
        null,
        /bucket "gone-bucket" does not exist at http:\/\/127\.0\.0\.1:\d+: check its name/,
        'retry',
      ],
      [
        'unreachable',
        { bucket: 'errors' },
        { endpoint: `http://127.0.0.1:${closed}` },
        /cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\): check the authorization's endpoint/,
        'retry',
      ],
      [
        'malformed JSON',
        { bucket: 'errors', glob: 'broken.json' },
        null,
        /s3:\/\/errors\/broken\.json is malformed: .*fix or remove the file/,
        'retry',
      ],
      [
        'not gzip',
        { bucket: 'errors', glob: '*.gz' },
        null,
        /s3:\/\/errors\/bad\.csv\.gz is malformed/,
        'retry',
      ],
      [
        'bad row',
        { bucket: 'errors', glob: '*.ndjson' },
        null,
        /row 2 of s3:\/\/errors\/rows\.ndjson cannot be read .*set the source's bad rows to skip/,
        'retry',
      ],
      [
        'unknown format',
        { bucket: 'errors', glob: '*.md' },
        null,
        /cannot tell the format of s3:\/\/errors\/readme\.md.*choose a format/,
        'retry',
      ],
    ]
    for (const [name, config, credentials, message, reason] of cases) {
      const authorization = credentials ? await authorize(`S3 ${name}`, credentials) : owner
      const job = await deploy(`Errors: ${name}`, config, { authorization })
      const detail = await run(job)
      expect(detail.lastError, name).toMatch(message)
      expect(detail, name).toMatchObject({ status: 'sleeping', sleepReason: reason, consecutiveErrors: 1 })
      expect(new Date(detail.nextRunAt).getTime(), name).toBeGreaterThan(t().clock.now().getTime())
      expect(await stored(job), name).toHaveLength(0)
    }

    // Skipping bad rows reads the rest and counts the bad one omitted.
    const job = await deploy('Skip bad rows', { bucket: 'errors', glob: '*.ndjson', badRows: 'skip' })
    const detail = await run(job)
    expect(detail.lastError).toBeNull()
    expect(await emails(job)).toEqual(['r1@s3.example', 'r3@s3.example'])
    const runs = (await t().send('GET', `/api/jobs/${job}/runs`, { cookie: admin })).json
    expect(runs[0]).toMatchObject({ added: 2, omitted: 1 })
  })
})
