import type pg from 'pg'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { lowerBound } from '../../nodes/postgres/postgres.source.ts'
import { useTestApp } from '../support/app.ts'
import { describeEachDialect } from '../support/dialects.ts'
import { edge } from '../support/documents.ts'
import { authorizationNode } from '../support/keyed-api.ts'
import { deployPipeline, runJobNow } from '../support/pipelines.ts'
import { freePort } from '../support/postgres.ts'
import { startWarehouse, type Warehouse } from '../support/warehouse.ts'

/** Twelve contacts a minute apart, with a column of every type a marketer's table holds. */
const CONTACTS = `
  CREATE TABLE contacts (
    id int PRIMARY KEY, email text NOT NULL, plan text, score numeric(10,2), visits bigint,
    balance numeric, active boolean, tags text[], meta jsonb, photo bytea, born date,
    updated_at timestamptz NOT NULL, seen_at timestamp);
  INSERT INTO contacts
    SELECT n, 'c' || n || '@pg.example', CASE WHEN n % 3 = 0 THEN 'pro' ELSE 'free' END, n + 0.5, n,
           n, n % 2 = 0, ARRAY['t' || n], jsonb_build_object('n', n), NULL, NULL,
           '2026-01-01T00:00:00Z'::timestamptz + n * interval '1 minute' + interval '0.123456 s',
           '2026-01-01T08:00:00'::timestamp
      FROM generate_series(1, 12) AS n;
  UPDATE contacts SET visits = 9007199254740993, balance = 12345678901234567890.12, score = 12.50,
         meta = '{"a": [1, 2], "b": null}', photo = '\\x010203', born = '1990-05-17' WHERE id = 1;
  CREATE TABLE secret (id int PRIMARY KEY, email text);
  CREATE ROLE reader LOGIN PASSWORD 'reader-pw';`

describeEachDialect('PostgreSQL source', (dialect) => {
  let warehouse: Warehouse
  let crm: pg.Client
  beforeAll(async () => {
    warehouse = await startWarehouse(['crm'])
    crm = await warehouse.client('crm')
    await crm.query(CONTACTS)
  }, 60_000)
  afterAll(async () => {
    await crm?.end()
    warehouse?.stop()
  })
  const t = useTestApp(dialect)
  let admin = ''
  const authorize = async (name: string, overrides: Record<string, unknown> = {}) => {
    const created = await t().send('POST', '/api/authorizations', {
      cookie: admin,
      body: {
        name,
        provider: 'postgres',
        method: 'basic',
        credentials: warehouse.credentials('crm', overrides),
      },
    })
    expect(created.status, created.text).toBe(201)
    return created.json.id as string
  }
  let owner = ''
  beforeAll(async () => {
    admin = await t().setupAdmin()
    owner = await authorize('CRM')
  })

  /** The PostgreSQL source, authorized by `authorizationId`. */
  const document = (name: string, data: Record<string, unknown>, authorizationId: string) => ({
    version: 1,
    nodes: [
      {
        id: 'src',
        kind: 'source',
        provider: 'postgres',
        jobType: 'rows',
        name,
        position: { x: 0, y: 0 },
        data,
      },
      authorizationNode('auth', 'postgres', authorizationId),
    ],
    edges: [edge('auth', 'src')],
  })
  const deploy = async (name: string, config: Record<string, unknown>, authorizationId = owner) =>
    (
      await deployPipeline(
        t(),
        admin,
        name,
        document(name, { config, cadence: { every: '1h' } }, authorizationId),
      )
    ).jobOf('src')
  const run = (job: string) => runJobNow(t(), admin, job)
  const stored = async (job: string) =>
    (
      await t()
        .database.db.selectFrom('raw_messages')
        .select(['payload', 'record_key'])
        .where('job_id', '=', job)
        .execute()
    ).map((row) => JSON.parse(row.payload) as Record<string, unknown>)

  it('reads only new and changed rows, type for type, including rows committed late within the look-back', async () => {
    const job = await deploy('Contacts', {
      table: 'public.contacts',
      cursorColumn: 'updated_at',
      lookBack: '10m',
      eventTimeColumn: 'updated_at',
      batchSize: 5,
    })
    let detail = await run(job)
    expect(detail.lastError).toBeNull()
    let rows = await stored(job)
    expect(rows.map((row) => row.id).sort((a, b) => Number(a) - Number(b))).toEqual(
      Array.from({ length: 12 }, (_, n) => n + 1),
    )
    // Exact values: a bigint past 2^53 and a long numeric keep every digit, times keep microseconds.
    expect(rows.find((row) => row.id === 1)).toEqual({
      id: 1,
      email: 'c1@pg.example',
      plan: 'free',
      score: 12.5,
      visits: '9007199254740993',
      balance: '12345678901234567890.12',
      active: false,
      tags: ['t1'],
      meta: { a: [1, 2], b: null },
      photo: 'AQID',
      born: '1990-05-17',
      updated_at: '2026-01-01T00:01:00.123456Z',
      seen_at: '2026-01-01T08:00:00',
    })
    const times = await t()
      .database.db.selectFrom('raw_messages')
      .select('event_time')
      .where('job_id', '=', job)
      .orderBy('event_time')
      .execute()
    expect(new Date(String(times[0]!.event_time)).toISOString()).toBe('2026-01-01T00:01:00.123Z')

    // Two rows change, one arrives late with a cursor 3 minutes behind the last run's, another
    // 2 hours behind: outside the 10-minute window, it is the one a look-back cannot catch.
    await crm.query(`
      UPDATE contacts SET plan = 'team', updated_at = '2026-01-01T00:20:00Z' WHERE id IN (3, 4);
      INSERT INTO contacts (id, email, updated_at) VALUES
        (13, 'late@pg.example', '2026-01-01T00:09:00Z'),
        (14, 'ancient@pg.example', '2025-12-31T22:00:00Z');`)
    detail = await run(job)
    expect(detail.lastError).toBeNull()
    rows = await stored(job)
    expect(rows).toHaveLength(15)
    expect(rows.filter((row) => row.plan === 'team').map((row) => row.id)).toEqual(
      expect.arrayContaining([3, 4]),
    )
    expect(rows.some((row) => row.email === 'late@pg.example')).toBe(true)
    expect(rows.some((row) => row.email === 'ancient@pg.example')).toBe(false)
    const runs = (await t().send('GET', `/api/jobs/${job}/runs`, { cookie: admin })).json
    expect(runs[0]).toMatchObject({ outcome: 'success', added: 3 })
    // Nothing changed: the window is re-read, and every row in it is a replay.
    await run(job)
    expect(await stored(job)).toHaveLength(15)
  })

  it('reads a custom query in full, previews it, and checks a connection and its config', async () => {
    const query = `SELECT id, email, plan FROM contacts WHERE plan = 'pro'`
    const preview = await t().send('POST', '/api/preview', {
      cookie: admin,
      body: {
        provider: 'postgres',
        jobType: 'rows',
        authorizationId: owner,
        config: { query, sync: 'full' },
      },
    })
    expect(preview.status, preview.text).toBe(200)
    expect(preview.json.records.map((record: { data: { id: number } }) => record.data.id).sort()).toEqual([
      12, 6, 9,
    ])
    expect(preview.json.schema.properties).toMatchObject({
      id: { type: ['integer'] },
      email: { type: ['string'] },
    })

    const job = await deploy('Pros', { query, sync: 'full', batchSize: 2 })
    await run(job)
    expect((await stored(job)).map((row) => row.email).sort()).toEqual([
      'c12@pg.example',
      'c6@pg.example',
      'c9@pg.example',
    ])
    await crm.query(`UPDATE contacts SET email = 'six@pg.example' WHERE id = 6`)
    await run(job)
    // A full sync reads every row again; only the changed one is news.
    expect((await stored(job)).map((row) => row.email)).toContain('six@pg.example')
    expect(await stored(job)).toHaveLength(4)

    const test = async (config?: Record<string, unknown>) =>
      (
        await t().send('POST', `/api/authorizations/${owner}/test`, {
          cookie: admin,
          body: config ? { config } : {},
        })
      ).json
    expect(await test()).toEqual({ ok: true, message: expect.stringMatching(/^Connected to PostgreSQL \d+/) })
    expect(await test({ table: 'contacts', cursorColumn: 'updated_at' })).toMatchObject({ ok: true })
    expect(await test({ table: 'mart_contacts' })).toEqual({
      ok: true,
      message: expect.stringMatching(/Sluice can write table mart_contacts/),
    })
  })

  it('says what to fix: wrong password, missing table, no privilege, unreachable host, broken query', async () => {
    const wrong = await authorize('Wrong password', { password: 'not-it' })
    const reader = await authorize('Reader', { username: 'reader', password: 'reader-pw' })
    const closed = await authorize('Nobody home', { port: await freePort() })
    const cases: [string, Record<string, unknown>, string, RegExp][] = [
      [
        'wrong password',
        { table: 'contacts', cursorColumn: 'updated_at' },
        wrong,
        /refused user "postgres".*check the user and password in the authorization/,
      ],
      [
        'missing table',
        { table: 'nope', cursorColumn: 'updated_at' },
        owner,
        /relation "nope" does not exist \(table nope\); check the table name/,
      ],
      [
        'no privilege',
        { table: 'secret', sync: 'full' },
        reader,
        /permission denied for table secret.*grant user "reader" the privilege/,
      ],
      [
        'unreachable',
        { table: 'contacts', sync: 'full' },
        closed,
        /cannot reach PostgreSQL at 127\.0\.0\.1:\d+ \(ECONNREFUSED\); check the host and port/,
      ],
      [
        'broken query',
        { query: 'SELEC id FROM contacts', sync: 'full' },
        owner,
        /syntax error.*check the query/,
      ],
      [
        'a query that writes',
        { query: 'DELETE FROM contacts RETURNING id', sync: 'full' },
        owner,
        /check the query/,
      ],
      [
        'missing column',
        { table: 'contacts', cursorColumn: 'changed_at' },
        owner,
        /column q\.changed_at does not exist.*check the column names/,
      ],
    ]
    for (const [name, config, authorization, message] of cases) {
      const job = await deploy(`Failing: ${name}`, config, authorization)
      const detail = await run(job)
      expect(detail, name).toMatchObject({ status: 'sleeping', sleepReason: 'retry', consecutiveErrors: 1 })
      expect(detail.lastError, name).toMatch(message)
    }
    expect((await crm.query('SELECT count(*)::int AS n FROM contacts')).rows[0].n).toBe(14)
    const tested = await t().send('POST', `/api/authorizations/${wrong}/test`, { cookie: admin, body: {} })
    expect(tested.json).toEqual({ ok: false, message: expect.stringMatching(/check the user and password/) })
    // A config that cannot work is refused at deploy time, naming the field.
    const created = await t().send('POST', '/api/pipelines', {
      cookie: admin,
      body: {
        name: 'No cursor',
        document: document('No cursor', { config: { table: 'contacts' } }, owner),
      },
    })
    const refused = await t().send('POST', `/api/pipelines/${created.json.id}/deploy`, {
      cookie: admin,
      body: {},
    })
    expect(refused.status).toBe(422)
    expect(refused.text).toMatch(/cursorColumn.*needs a cursor column/)
  })
})

it('steps back from the last cursor by the look-back window', () => {
  expect(lowerBound('2026-01-01 00:10:00.5+00', 'time', '10m')).toBe('2026-01-01T00:00:00.500Z')
  expect(lowerBound('2026-01-01 00:10:00', 'time', '1h')).toBe('2025-12-31T23:10:00.000Z')
  expect(lowerBound('2026-01-05', 'date', '2d')).toBe('2026-01-03')
  expect(lowerBound('1000', 'number', '100')).toBe('900')
  // A duration means nothing to a numeric cursor, nor any window to a text one: re-read from the mark.
  expect(lowerBound('1000', 'number', '5m')).toBe('1000')
  expect(lowerBound('m', 'text', '5m')).toBe('m')
})
