import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chromiumAvailable, openBrowserSession, screenshot, seriousA11yFindings } from '../support/browser.ts'
import { edge, sampleSource } from '../support/documents.ts'
import { findPostgresBin, type PostgresServer, startPostgres } from '../support/postgres.ts'
import { ADMIN_ENV, type RunningSluice, signInRemote } from '../support/server.ts'

const PASSWORD = 'warehouse-e2e-password'
const WRONG = 'not-the-password-at-all'

/**
 * The Vault page in real Chromium against a real `npm start` and a real PostgreSQL that asks for
 * a password: create an authorization from the provider's form, test it (refused, then after a
 * rotation accepted), rename it, and be refused deleting it while a job uses it.
 */
describe.skipIf(!chromiumAvailable())('vault and admin pages in Chromium', () => {
  let sluice: RunningSluice
  let page: Page
  let problems: string[]
  let warehouse: PostgresServer
  let session: Awaited<ReturnType<typeof openBrowserSession>> | undefined

  const visible = (locator: { isVisible(): Promise<boolean> }, timeout = 10_000) =>
    expect.poll(() => locator.isVisible(), { timeout }).toBe(true)
  const row = (name: string) => page.locator('tbody tr', { hasText: name })

  beforeAll(async () => {
    const bin = findPostgresBin()
    if (!bin) throw new Error('PostgreSQL is not installed: apt-get install -y postgresql')
    warehouse = await startPostgres(bin, '', { password: PASSWORD })
    session = await openBrowserSession({ SLUICE_ALLOW_PRIVATE_NETWORK: '1' })
    ;({ sluice, page, problems } = session)
    await page.goto(sluice.base)
    await page.getByLabel('Name').fill('Ada Admin')
    await page.getByLabel('Email').fill(ADMIN_ENV.SLUICE_ADMIN_EMAIL)
    await page.getByLabel('Password').fill(ADMIN_ENV.SLUICE_ADMIN_PASSWORD)
    await page.getByRole('button', { name: 'Create admin account' }).click()
    await page.getByRole('navigation', { name: 'Main' }).waitFor({ timeout: 15_000 })
  }, 240_000)

  afterAll(async () => {
    await session?.close()
    warehouse?.stop()
  })

  it('starts empty, saying what an authorization is', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Vault' }).click()
    await visible(page.getByRole('heading', { name: 'No authorizations yet' }))
    // OAuth2 providers' apps are an admin's to set up.
    await visible(page.getByRole('region', { name: 'OAuth apps' }))
  }, 30_000)

  it('lets an admin register a provider’s OAuth app, then offers Connect for that provider', async () => {
    const apps = page.getByRole('region', { name: 'OAuth apps' })
    await apps.getByRole('button', { name: 'Set up the REST / JSON API OAuth app' }).click()
    const dialog = page.getByRole('dialog', { name: 'REST / JSON API OAuth app' })
    await dialog.getByLabel('Client ID').fill('sluice-e2e-client')
    await dialog.getByLabel('Client secret').fill('oauth-client-secret-e2e')
    await dialog.getByLabel('Authorize URL').fill('https://auth.example.com/authorize')
    await dialog.getByLabel('Token URL').fill('https://auth.example.com/token')
    await dialog.getByLabel('Scopes').fill('contacts.read offline_access')
    await dialog.getByRole('button', { name: 'Save' }).click()
    const row = apps.locator('tbody tr', { hasText: 'REST / JSON API' })
    await expect.poll(() => row.textContent(), { timeout: 10_000 }).toContain('sluice-e2e-client')
    expect(await row.textContent()).toContain('/api/oauth/callback')
    expect(await page.content()).not.toContain('oauth-client-secret-e2e')
    // Connecting an account of that provider goes through its sign-in, back to the Vault.
    await page.getByRole('button', { name: '+ New authorization' }).click()
    const create = page.getByRole('dialog', { name: 'New authorization' })
    await create.getByLabel('Provider').selectOption({ label: 'REST / JSON API' })
    await create.getByLabel('Method').selectOption({ label: 'OAuth2 (connect an account)' })
    const connect = create.getByRole('link', { name: 'Connect with REST / JSON API' })
    const href = new URL((await connect.getAttribute('href'))!, sluice.base)
    expect(href.pathname).toBe('/api/oauth/rest/start')
    expect(href.searchParams.get('returnTo')).toBe('/vault')
    expect(await create.getByRole('button', { name: 'Save authorization' }).isDisabled()).toBe(true)
    await page.keyboard.press('Escape')
    await expect.poll(() => create.count()).toBe(0)
    // A provider whose app has fields of its own (Google Ads' developer token) asks for them, sealed.
    await apps.getByRole('button', { name: 'Set up the Google Ads Customer Match OAuth app' }).click()
    const ads = page.getByRole('dialog', { name: 'Google Ads Customer Match OAuth app' })
    await ads.getByLabel('Client ID').fill('ads-client')
    await ads.getByLabel('Client secret').fill('ads-client-secret-e2e')
    await ads.getByLabel('API URL').fill('https://googleads.sandbox.example')
    expect(await ads.getByLabel('Developer token').getAttribute('type')).toBe('password')
    await ads.getByLabel('Developer token').fill('dev-token-e2e-123')
    await ads.getByRole('button', { name: 'Save' }).click()
    await expect.poll(() => ads.count(), { timeout: 10_000 }).toBe(0)
    const stored = await page.evaluate(() => fetch('/api/oauth/clients').then((answer) => answer.json()))
    expect(stored.find((app: { provider: string }) => app.provider === 'google-ads')).toMatchObject({
      apiUrl: 'https://googleads.sandbox.example',
      appFields: { developerToken: { set: true } },
    })
    expect(await page.content()).not.toContain('dev-token-e2e-123')
  }, 30_000)

  it('creates an authorization from the provider’s form and shows it without its secret', async () => {
    const where = new URL(warehouse.url)
    await page.getByRole('button', { name: '+ New authorization' }).click()
    const dialog = page.getByRole('dialog', { name: 'New authorization' })
    await dialog.getByLabel('Provider').selectOption({ label: 'PostgreSQL' })
    await dialog.getByLabel('Name', { exact: true }).fill('Warehouse')
    await dialog.getByLabel('Description').fill('Reporting replica')
    await dialog.getByLabel('Host').fill(where.hostname)
    await dialog.getByLabel('Port').fill(where.port)
    await dialog.getByLabel('Database').fill('postgres')
    await dialog.getByLabel('User').fill('postgres')
    await dialog.getByLabel('Password').fill(WRONG)
    await dialog.getByLabel('TLS').selectOption('disable')
    await screenshot(page, 'vault-01-create')
    await dialog.getByRole('button', { name: 'Save authorization' }).click()
    await expect.poll(() => dialog.count(), { timeout: 10_000 }).toBe(0)
    await visible(row('Warehouse'))
    const cells = await row('Warehouse').getByRole('cell').allTextContents()
    expect(cells.slice(0, 6)).toEqual([
      'WarehouseReporting replica',
      'PostgreSQL',
      'User and password',
      'Ada Admin',
      'just now',
      'Unused',
    ])
    expect(await page.content()).not.toContain(WRONG)
  }, 30_000)

  it('tests the connection: refused with the wrong password, accepted after rotating it', async () => {
    await row('Warehouse').getByRole('button', { name: 'Test Warehouse' }).click()
    const result = row('Warehouse').locator('.test-result')
    await expect.poll(() => result.textContent(), { timeout: 20_000 }).toMatch(/^✗ .*password/i)
    await row('Warehouse').getByRole('button', { name: 'Rotate Warehouse' }).click()
    const dialog = page.getByRole('dialog', { name: 'Rotate Warehouse' })
    // The non-secret fields are kept; the secret is typed anew.
    expect(await dialog.getByLabel('Database').inputValue()).toBe('postgres')
    expect(await dialog.getByLabel('Password').inputValue()).toBe('')
    await dialog.getByLabel('Password').fill(PASSWORD)
    await dialog.getByRole('button', { name: 'Rotate credentials' }).click()
    await expect.poll(() => dialog.count(), { timeout: 10_000 }).toBe(0)
    await row('Warehouse').getByRole('button', { name: 'Test Warehouse' }).click()
    await expect.poll(() => result.textContent(), { timeout: 20_000 }).toMatch(/^✓ /)
    await screenshot(page, 'vault-02-tested')
    expect(await page.content()).not.toContain(PASSWORD)
  }, 60_000)

  it('renames it, and searches and filters the list', async () => {
    await row('Warehouse').getByRole('button', { name: 'Edit Warehouse' }).click()
    const dialog = page.getByRole('dialog', { name: 'Edit Warehouse' })
    await dialog.getByLabel('Name').fill('Reporting warehouse')
    await dialog.getByRole('button', { name: 'Save' }).click()
    await visible(row('Reporting warehouse'))
    await page.getByLabel('Search authorizations').fill('nothing like it')
    await visible(page.getByRole('heading', { name: 'No authorizations match' }))
    await page.getByLabel('Search authorizations').fill('reporting')
    await visible(row('Reporting warehouse'))
    await page.getByLabel('Search authorizations').fill('')
    await page.getByLabel('Provider').selectOption({ label: 'PostgreSQL' })
    await visible(row('Reporting warehouse'))
  }, 30_000)

  it('refuses to delete an authorization a job uses, naming the job', async () => {
    const api = await signInRemote(sluice.base)
    const [authorization] = (await api.call('GET', '/api/authorizations')).json as { id: string }[]
    const document = {
      version: 1,
      nodes: [
        sampleSource('src'),
        {
          id: 'out',
          kind: 'destination',
          provider: 'postgres',
          jobType: 'table',
          name: 'Marketing table',
          position: { x: 300, y: 0 },
          data: { config: { table: 'marketing_people' } },
        },
        {
          id: 'auth',
          kind: 'authorization',
          provider: 'postgres',
          name: 'Warehouse',
          position: { x: 300, y: -120 },
          data: { authorizationId: authorization!.id },
        },
      ],
      edges: [edge('src', 'out'), edge('auth', 'out')],
    }
    const created = await api.call('POST', '/api/pipelines', { name: 'To the warehouse', document })
    expect(
      (await api.call('POST', `/api/pipelines/${created.json.id}/deploy`, { startPaused: true })).status,
    ).toBe(200)
    await page.reload()
    await expect.poll(() => row('Reporting warehouse').textContent(), { timeout: 10_000 }).toMatch(/1 job/)
    await row('Reporting warehouse').getByRole('button', { name: 'Delete Reporting warehouse' }).click()
    const dialog = page.getByRole('dialog', { name: 'Delete Reporting warehouse?' })
    await dialog.getByRole('button', { name: 'Delete' }).click()
    await visible(dialog.getByRole('alert'))
    expect(await dialog.getByRole('alert').textContent()).toMatch(/used by 1 job/)
    await visible(dialog.getByRole('link', { name: 'Marketing table' }))
    expect(await dialog.getByRole('button', { name: 'Delete' }).isDisabled()).toBe(true)
    await screenshot(page, 'vault-03-delete-refused')
    await dialog.getByRole('button', { name: 'Cancel' }).click()
    expect((await api.call('GET', '/api/authorizations')).json).toHaveLength(1)
  }, 60_000)

  it('has no serious or critical accessibility findings', async () => {
    expect(await seriousA11yFindings(page)).toEqual([])
  }, 30_000)

  it('adds a user, changes their role, and issues and revokes an API token shown once', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).click()
    await page.waitForURL(/\/admin$/)
    await page.getByRole('button', { name: '+ New user' }).click()
    const dialog = page.getByRole('dialog', { name: 'New user' })
    await dialog.getByLabel('Name').fill('Maya Marketer')
    await dialog.getByLabel('Email').fill('maya@example.com')
    await dialog.getByLabel('First password').fill('short')
    await dialog.getByRole('button', { name: 'Create user' }).click()
    await expect.poll(() => dialog.getByRole('alert').textContent()).toMatch(/password.*8 characters/)
    await dialog.getByLabel('First password').fill('a long enough password')
    await dialog.getByRole('button', { name: 'Create user' }).click()
    const maya = page.locator('tbody tr', { hasText: 'maya@example.com' })
    await visible(maya)
    expect(await maya.getByLabel('Role of Maya Marketer').inputValue()).toBe('editor')
    await maya.getByLabel('Role of Maya Marketer').selectOption('viewer')
    const api = await signInRemote(sluice.base)
    await expect
      .poll(
        async () =>
          (await api.call('GET', '/api/users')).json.find(
            (u: { email: string }) => u.email === 'maya@example.com',
          ).role,
      )
      .toBe('viewer')
    // The admin cannot remove themself here; others can be removed.
    expect(
      await page.locator('tbody tr', { hasText: ADMIN_ENV.SLUICE_ADMIN_EMAIL }).getByRole('button').count(),
    ).toBe(0)

    await page.getByRole('button', { name: '+ New token' }).click()
    const tokenDialog = page.getByRole('dialog', { name: 'New API token' })
    await tokenDialog.getByLabel('Name').fill('Nightly report')
    await tokenDialog.getByRole('button', { name: 'Create token' }).click()
    const shown = page.getByRole('dialog', { name: 'API token created' }).getByTestId('token-value')
    await visible(shown)
    const token = (await shown.textContent())!
    const me = await fetch(`${sluice.base}/api/auth/me`, { headers: { authorization: `Bearer ${token}` } })
    expect(me.status).toBe(200)
    await page.getByRole('button', { name: 'I have copied it' }).click()
    const row = page.locator('tbody tr', { hasText: 'Nightly report' })
    await visible(row)
    expect(await page.content()).not.toContain(token)
    expect(await row.textContent()).toContain(`${token.slice(0, 8)}…`)
    await screenshot(page, 'vault-04-users-tokens')
    expect(await seriousA11yFindings(page)).toEqual([])
    await row.getByRole('button', { name: 'Revoke Nightly report' }).click()
    await expect.poll(() => row.count()).toBe(0)
    const after = await fetch(`${sluice.base}/api/auth/me`, { headers: { authorization: `Bearer ${token}` } })
    expect(after.status).toBe(401)
    await maya.getByRole('button', { name: 'Disable Maya Marketer' }).click()
    await expect.poll(() => maya.textContent()).toMatch(/Disabled/)
    const login = await fetch(`${sluice.base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: sluice.base },
      body: JSON.stringify({ email: 'maya@example.com', password: 'a long enough password' }),
    })
    expect(login.status).toBe(403)
    await maya.getByRole('button', { name: 'Enable Maya Marketer' }).click()
    await expect.poll(() => maya.textContent()).toMatch(/Active/)
    await maya.getByRole('button', { name: 'Remove Maya Marketer' }).click()
    await expect.poll(() => maya.count()).toBe(0)
  }, 60_000)

  it('left no console errors but the two deliberate refusals', () => {
    // The browser logs each refused request: the in-use delete (409) and the short password (400).
    expect(problems).toEqual([
      'error: Failed to load resource: the server responded with a status of 409 (Conflict)',
      'error: Failed to load resource: the server responded with a status of 400 (Bad Request)',
    ])
  })
})
