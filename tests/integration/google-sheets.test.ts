import { afterAll, beforeAll, expect, it } from 'vitest'
import { useTestApp } from '../support/app.ts'
import { describeEachDialect } from '../support/dialects.ts'
import { edge } from '../support/documents.ts'
import {
  googleError,
  quotaExceeded,
  type SheetsEmulator,
  startSheetsEmulator,
  unavailable,
} from '../support/emulators/google-sheets.ts'
import { bearerOf } from '../support/emulators/harness.ts'
import { authorizationNode } from '../support/keyed-api.ts'
import { startOAuthProvider } from '../support/oauth-provider.ts'
import { deployPipeline, runJobNow } from '../support/pipelines.ts'

const HEADER = ['email', 'First name', 'plan', 'Score', '', 'plan']
const person = (n: number, plan = 'free') => [
  `p${n}@sheets.example`,
  `Person ${n}`,
  plan,
  n * 10,
  `note ${n}`,
  'x',
]
const QUERY = 'majorDimension=ROWS&valueRenderOption=UNFORMATTED_VALUE&dateTimeRenderOption=FORMATTED_STRING'

describeEachDialect('Google Sheets source', (dialect) => {
  let sheets: SheetsEmulator
  let oauth: Awaited<ReturnType<typeof startOAuthProvider>>
  /** Set to make the provider refuse refresh grants, as Google does for a revoked grant. */
  let refuseRefresh = false
  beforeAll(async () => {
    sheets = await startSheetsEmulator()
    oauth = await startOAuthProvider(
      () => sheets,
      (response, grant) => {
        if (refuseRefresh && grant.grant_type === 'refresh_token') {
          response.statusCode = 400
          response.body = { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' }
        }
      },
    )
  })
  afterAll(async () => {
    await oauth.stop()
    await sheets.close()
  })
  const t = useTestApp(dialect)

  let admin: string | undefined
  /** Signs the admin in and registers Sluice's Google app, its API URL pointing at the emulator. */
  async function adminCookie(): Promise<string> {
    if (admin) return admin
    admin = await t().setupAdmin()
    const registered = await t().send('PUT', '/api/oauth/clients/google-sheets', {
      cookie: admin,
      body: {
        clientId: 'sluice.apps.googleusercontent.com',
        clientSecret: 'google-client-secret',
        authorizeUrl: oauth.authorizeUrl,
        tokenUrl: oauth.tokenUrl,
        apiUrl: sheets.url,
      },
    })
    expect(registered.status, registered.text).toBe(200)
    return admin
  }

  /** Connects a Google account through the OAuth2 flow: a new authorization, with its own token. */
  async function connect(name: string): Promise<string> {
    const cookie = await adminCookie()
    const start = await t().send('GET', `/api/oauth/google-sheets/start?name=${encodeURIComponent(name)}`, {
      cookie,
    })
    expect(start.status, start.text).toBe(302)
    const consent = new URL(start.headers.get('location')!)
    expect(consent.searchParams.get('scope')).toBe('https://www.googleapis.com/auth/spreadsheets.readonly')
    const callback = new URL((await fetch(consent, { redirect: 'manual' })).headers.get('location')!)
    const done = await t().send('GET', `${callback.pathname}${callback.search}`, { cookie })
    return new URL(done.headers.get('location')!, 'http://x').searchParams.get('authorization')!
  }

  /** A pipeline reading `config` with a newly connected account; the job's id and helpers. */
  async function deploy(name: string, config: Record<string, unknown>) {
    const cookie = await adminCookie()
    const authorization = await connect(name)
    const { jobOf } = await deployPipeline(t(), cookie, name, {
      version: 1,
      nodes: [
        {
          id: 'src',
          kind: 'source',
          provider: 'google-sheets',
          jobType: 'rows',
          name,
          position: { x: 0, y: 0 },
          data: { config, cadence: { every: '1h' } },
        },
        authorizationNode('auth', 'google-sheets', authorization),
      ],
      edges: [edge('auth', 'src')],
    })
    const job = jobOf('src')
    return {
      job,
      authorization,
      run: () => runJobNow(t(), cookie, job),
      /** What the job stored, oldest first. */
      stored: async () =>
        (
          await t()
            .database.db.selectFrom('raw_messages')
            .select('payload')
            .where('job_id', '=', job)
            .orderBy('seq')
            .execute()
        ).map((row) => JSON.parse(row.payload) as Record<string, unknown>),
    }
  }

  /** The values.get ranges and spreadsheets.get calls made since `from`. */
  const readsSince = (from: number) =>
    sheets.calls.slice(from).map((call) => {
      const [path, query] = call.path.split('?')
      const range = path!.split('/values/')[1]
      return range === undefined ? 'tabs' : `${decodeURIComponent(range)}?${query}`
    })

  it('reads a whole tab in pages of rows, names fields from the header, and previews the first rows', async () => {
    const id = '1FullSyncSheet_abcdefghij'
    sheets.create(id, 'Leads', {
      title: 'Sheet 1',
      columnCount: 6,
      rows: [HEADER, ...Array.from({ length: 7 }, (_, n) => person(n + 1))],
    })
    const from = sheets.calls.length
    const { run, stored, job, authorization } = await deploy('Full sync', {
      // The address as the browser shows it: the id is taken from it.
      spreadsheet: `https://docs.google.com/spreadsheets/d/${id}/edit#gid=0`,
      sheet: 'Sheet 1',
      pageSize: 3,
    })
    const detail = await run()
    expect(detail.lastError).toBeNull()
    // Tabs first, then the header row, then three pages of three rows: the third comes back short.
    expect(readsSince(from)).toEqual([
      'tabs',
      `'Sheet 1'!A1:F1?${QUERY}`,
      `'Sheet 1'!A2:F4?${QUERY}`,
      `'Sheet 1'!A5:F7?${QUERY}`,
      `'Sheet 1'!A8:F10?${QUERY}`,
    ])
    expect(sheets.calls[from]!.path).toContain(`/v4/spreadsheets/${id}?fields=`)
    for (const call of sheets.calls.slice(from))
      expect(sheets.keys.has(bearerOf(call.headers.authorization)!)).toBe(true)
    const rows = await stored()
    expect(rows).toHaveLength(7)
    // A blank header is named after its column, a repeated one numbered; numbers stay numbers.
    expect(rows[0]).toEqual({
      email: 'p1@sheets.example',
      'First name': 'Person 1',
      plan: 'free',
      Score: 10,
      column_E: 'note 1',
      plan_2: 'x',
    })
    expect(rows.map((row) => row.email)).toEqual(
      Array.from({ length: 7 }, (_, n) => `p${n + 1}@sheets.example`),
    )
    const runs = (await t().send('GET', `/api/jobs/${job}/runs`, { cookie: await adminCookie() })).json
    expect(runs[0]).toMatchObject({ outcome: 'success', added: 7 })

    const previewed = sheets.calls.length
    const preview = await t().send('POST', '/api/preview', {
      cookie: await adminCookie(),
      body: {
        provider: 'google-sheets',
        jobType: 'rows',
        authorizationId: authorization,
        config: { spreadsheet: id, sheet: 'sheet 1' },
      },
    })
    expect(preview.status, preview.text).toBe(200)
    expect(preview.json.records.map((record: { data: unknown }) => record.data)).toEqual(rows)
    expect(preview.json.schema.properties).toMatchObject({
      email: { type: ['string'] },
      Score: { type: ['integer'] },
    })
    // The tab's name as Google has it, whatever the case typed; one page of at most 20 rows.
    expect(readsSince(previewed)).toEqual(['tabs', `'Sheet 1'!A1:F1?${QUERY}`, `'Sheet 1'!A2:F21?${QUERY}`])
  })

  it('reads only the rows appended since the last run; full mode re-reads the tab and turns edits into updates', async () => {
    const id = '1IncrementalSheet_abcdefg'
    const sheet = sheets.create(id, 'Sign-ups', {
      title: "Jon's list",
      columnCount: 6,
      rows: [HEADER, ...Array.from({ length: 4 }, (_, n) => person(n + 1))],
    })
    const rows = sheet.tabs[0]!.rows
    const appended = await deploy('Appended', { spreadsheet: id, sheet: "Jon's list", pageSize: 10 })
    expect((await appended.run()).lastError).toBeNull()
    expect(await appended.stored()).toHaveLength(4)

    rows.push(person(5), person(6))
    rows[1] = person(1, 'pro') // an edit above the checkpoint: append mode does not see it
    let from = sheets.calls.length
    expect((await appended.run()).lastError).toBeNull()
    expect(readsSince(from)).toEqual([
      'tabs',
      `'Jon''s list'!A1:F1?${QUERY}`,
      `'Jon''s list'!A6:F15?${QUERY}`,
    ])
    expect((await appended.stored()).map((row) => row.email)).toEqual([
      'p1@sheets.example',
      'p2@sheets.example',
      'p3@sheets.example',
      'p4@sheets.example',
      'p5@sheets.example',
      'p6@sheets.example',
    ])
    // Nothing new: the page below the last row comes back empty and nothing is stored.
    from = sheets.calls.length
    expect((await appended.run()).lastError).toBeNull()
    expect(readsSince(from).at(-1)).toBe(`'Jon''s list'!A8:F17?${QUERY}`)
    expect(await appended.stored()).toHaveLength(6)

    const full = await deploy('Whole tab', {
      spreadsheet: id,
      sheet: "Jon's list",
      mode: 'full',
      keyColumn: 'email',
    })
    expect((await full.run()).lastError).toBeNull()
    expect(await full.stored()).toHaveLength(6)
    rows[3] = person(3, 'pro')
    // Sorting the sheet moves rows; keyed by email, moved rows are no news.
    ;[rows[5], rows[6]] = [rows[6]!, rows[5]!]
    from = sheets.calls.length
    expect((await full.run()).lastError).toBeNull()
    expect(readsSince(from).at(-1)).toBe(`'Jon''s list'!A2:F1000?${QUERY}`)
    const stored = await full.stored()
    expect(stored).toHaveLength(7)
    expect(stored.at(-1)).toMatchObject({ email: 'p3@sheets.example', plan: 'pro' })
    const cookie = await adminCookie()
    const [found] = (await t().send('GET', '/api/profiles?q=p3%40sheets.example', { cookie })).json
    const profile = (await t().send('GET', `/api/profiles/${found.id}`, { cookie })).json
    expect(profile.attributes.plan.value).toBe('pro')
  })

  it('starts a full re-read again from the top when deleted rows leave its checkpoint below the tab', async () => {
    const id = '1ShrunkSheet_abcdefghijk'
    const sheet = sheets.create(id, 'Shrinking', {
      title: 'Sheet1',
      columnCount: 6,
      rowCount: 8,
      rows: [HEADER, ...Array.from({ length: 6 }, (_, n) => person(n + 1))],
    })
    const tab = sheet.tabs[0]!
    const { run, stored } = await deploy('Shrinking', {
      spreadsheet: id,
      mode: 'full',
      keyColumn: 'email',
      pageSize: 2,
    })
    // The third page fails: the re-read stops with its checkpoint at row 5.
    sheets.fail({ ...unavailable(), match: /A6%3AF7/ })
    expect((await run()).lastError).toMatch(/503 UNAVAILABLE/)
    expect(await stored()).toHaveLength(4)
    // Rows 2 to 5 are deleted (the grid shrinks with them) and a row left is edited.
    tab.rows.splice(1, 4)
    tab.rowCount = 4
    tab.rows[1] = person(5, 'pro')
    expect((await run()).lastError).toBeNull()
    const rows = await stored()
    expect(rows.some((row) => row.email === 'p6@sheets.example')).toBe(true)
    expect(rows.at(-2)).toMatchObject({ email: 'p5@sheets.example', plan: 'pro' })
    expect(rows).toHaveLength(6)
  })

  it('sleeps until the time a 429 states, or a minute without one, and retries a 5xx', async () => {
    const id = '1RateLimitedSheet_abcdefg'
    sheets.create(id, 'Quota', { title: 'Sheet1', columnCount: 6, rows: [HEADER, person(1), person(2)] })
    const { run, stored, job } = await deploy('Limited', { spreadsheet: id })
    const cookie = await adminCookie()

    sheets.fail({ ...quotaExceeded(120), match: /\/values\// })
    let before = t().clock.now().getTime()
    let detail = await run()
    expect(detail).toMatchObject({ status: 'sleeping', sleepReason: 'rate_limit' })
    expect(Date.parse(detail.nextRunAt) - before).toBe(1000 + 120_000)
    const logs = (await t().send('GET', `/api/jobs/${job}/logs?event=Sleeping`, { cookie })).json
    expect(logs.at(-1).message).toContain(new Date(before + 1000 + 120_000).toISOString())

    // Google's quota answer carries no Retry-After: the quota refills each minute.
    sheets.quota.remaining = 0
    before = t().clock.now().getTime()
    detail = await run()
    expect(detail).toMatchObject({ status: 'sleeping', sleepReason: 'rate_limit' })
    expect(Date.parse(detail.nextRunAt) - before).toBe(1000 + 60_000)
    sheets.quota.remaining = null

    sheets.fail(unavailable())
    detail = await run()
    expect(detail).toMatchObject({ status: 'sleeping', sleepReason: 'retry', consecutiveErrors: 1 })
    expect(detail.lastError).toMatch(/Google Sheets answered 503 UNAVAILABLE/)
    expect(await stored()).toHaveLength(0)
    detail = await run()
    expect(detail).toMatchObject({ consecutiveErrors: 0, lastError: null })
    expect(await stored()).toHaveLength(2)
  })

  it('refreshes a token Google refuses and goes on; a refused refresh is an auth error asking to reconnect', async () => {
    const id = '1RefreshingSheet_abcdefgh'
    sheets.create(id, 'Tokens', { title: 'Sheet1', columnCount: 6, rows: [HEADER, person(1)] })
    const { run, stored, authorization } = await deploy('Refreshed', { spreadsheet: id })
    expect((await run()).lastError).toBeNull()
    const first = bearerOf(sheets.calls.at(-1)!.headers.authorization)!

    // Google drops the token early: the 401 refreshes it, and the request is made again with the new one.
    sheets.keys.delete(first)
    const granted = oauth.grants.length
    let from = sheets.calls.length
    const spreadsheet = sheets.spreadsheets.get(id)!
    spreadsheet.tabs[0]!.rows.push(person(2))
    expect((await run()).lastError).toBeNull()
    expect(oauth.grants.slice(granted)).toEqual(['refresh_token'])
    const tokens = sheets.calls.slice(from).map((call) => bearerOf(call.headers.authorization))
    expect(tokens[0]).toBe(first)
    expect(tokens.slice(1).every((token) => token !== first && sheets.keys.has(token!))).toBe(true)
    expect(tokens.length).toBe(4)
    expect(await stored()).toHaveLength(2)

    // The grant is revoked: Google refuses the refresh too.
    refuseRefresh = true
    try {
      sheets.keys.delete(tokens.at(-1)!)
      from = sheets.calls.length
      const detail = await run()
      expect(detail.lastError).toMatch(
        /refused the token request \(invalid_grant\).*reconnect it in the Vault/,
      )
      expect(detail.consecutiveErrors).toBe(1)
      // One refused request, no retry without a token.
      expect(sheets.calls.length - from).toBe(1)
      const cookie = await adminCookie()
      const shown = (await t().send('GET', `/api/authorizations/${authorization}`, { cookie })).json
      expect(JSON.stringify(shown)).not.toContain(tokens.at(-1))
    } finally {
      refuseRefresh = false
    }
  })

  it('says what to fix when the sheet is not shared, missing, or has no such tab', async () => {
    const id = '1ConfigErrorsSheet_abcdef'
    const sheet = sheets.create(id, 'Private', { title: 'Leads', columnCount: 6, rows: [HEADER, person(1)] })
    const authorizationId = await connect('Config errors')
    const cookie = await adminCookie()
    const preview = (config: Record<string, unknown>) =>
      t().send('POST', '/api/preview', {
        cookie,
        body: { provider: 'google-sheets', jobType: 'rows', authorizationId, config },
      })
    const test = (config: Record<string, unknown>) =>
      t().send('POST', `/api/authorizations/${authorizationId}/test`, { cookie, body: { config } })

    expect((await test({ spreadsheet: id, sheet: 'Leads' })).json).toEqual({
      ok: true,
      message: 'the account can read "Private": tab "Leads" has 1000 rows and 6 columns',
    })
    let answer = await preview({ spreadsheet: id, sheet: 'Contacts' })
    expect(answer.status).toBe(422)
    expect(answer.json.error.message).toBe(
      'the spreadsheet "Private" has no tab "Contacts"; its tabs are: "Leads"',
    )

    sheet.shared = false
    answer = await preview({ spreadsheet: id, sheet: 'Leads' })
    expect(answer.json.error.message).toMatch(
      /^Google Sheets answered 403 PERMISSION_DENIED: The caller does not have permission; share the spreadsheet 1ConfigErrorsSheet_abcdef with the Google account/,
    )
    expect((await test({ spreadsheet: id, sheet: 'Leads' })).json.ok).toBe(false)
    sheet.shared = true

    answer = await preview({ spreadsheet: '1NoSuchSpreadsheet_abcdef', sheet: 'Leads' })
    expect(answer.json.error.message).toMatch(/404 NOT_FOUND.*no spreadsheet 1NoSuchSpreadsheet_abcdef/)

    // A range Google cannot read (a tab renamed between two requests) names the tab.
    sheets.fail({
      status: 400,
      body: googleError(400, 'INVALID_ARGUMENT', "Unable to parse range: 'Leads'!A1:F1"),
      match: /\/values\//,
    })
    answer = await preview({ spreadsheet: id, sheet: 'Leads' })
    expect(answer.json.error.message).toBe(
      `Google Sheets answered 400 INVALID_ARGUMENT: Unable to parse range: 'Leads'!A1:F1; check the tab "Leads" of the spreadsheet ${id}`,
    )
    expect(answer.json.error.details).toEqual({ kind: 'config' })

    const refused = await preview({ spreadsheet: 'https://example.com/not-a-sheet', sheet: 'Leads' })
    expect(refused.status).toBe(400)
    expect(refused.json.error.message).toMatch(/config\.spreadsheet: a spreadsheet address/)
  })
})
