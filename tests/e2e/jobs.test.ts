import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chromiumAvailable, openBrowserSession, screenshot, seriousA11yFindings } from '../support/browser.ts'
import { edge, fileDestination, sampleSource } from '../support/documents.ts'
import { webhookReceiver } from '../support/receivers.ts'
import { ADMIN_ENV, type RunningSluice, signInRemote } from '../support/server.ts'

const SECRET = 'whsec-e2e-0123456789abcdef'

/**
 * The job lists and the job summary page in real Chromium against a real `npm start`: columns,
 * server-side sort and filters, live statuses, inline edits, actions, the activity of a real run,
 * the configuration without secrets, and the log with its filter and download.
 */
describe.skipIf(!chromiumAvailable())('jobs console in Chromium', () => {
  let sluice: RunningSluice
  let page: Page
  let problems: string[]
  let api: Awaited<ReturnType<typeof signInRemote>>
  let session: Awaited<ReturnType<typeof openBrowserSession>> | undefined
  const jobIds: Record<string, string> = {}

  const nav = () => page.getByRole('navigation', { name: 'Main' })
  const visible = (locator: { isVisible(): Promise<boolean> }, timeout = 10_000) =>
    expect.poll(() => locator.isVisible(), { timeout }).toBe(true)
  const names = () => page.locator('tbody tr td:first-child').allTextContents()
  const navigations = () => page.evaluate(() => performance.getEntriesByType('navigation').length)

  beforeAll(async () => {
    session = await openBrowserSession({ SLUICE_ALLOW_PRIVATE_NETWORK: '1' })
    ;({ sluice, page, problems } = session)
    await page.goto(sluice.base)
    await page.getByLabel('Name').fill('Ada Admin')
    await page.getByLabel('Email').fill(ADMIN_ENV.SLUICE_ADMIN_EMAIL)
    await page.getByLabel('Password').fill(ADMIN_ENV.SLUICE_ADMIN_PASSWORD)
    await page.getByRole('button', { name: 'Create admin account' }).click()
    await nav().waitFor({ timeout: 15_000 })
    api = await signInRemote(sluice.base)
    // Two sample sources into a webhook whose endpoint is down: the export keeps failing.
    const authorization = await api.call('POST', '/api/authorizations', {
      name: 'Growth hook',
      provider: 'webhook',
      method: 'apikey',
      credentials: { signingSecret: SECRET },
    })
    expect(authorization.status).toBe(201)
    const document = {
      version: 1,
      nodes: [
        { ...sampleSource('newsletter', { customers: 40, eventsPerRun: 40 }), name: 'Newsletter signups' },
        {
          ...sampleSource('crm', { count: 10 }),
          name: 'CRM contacts',
          data: { config: { customers: 10, eventsPerRun: 10 }, cadence: { every: '1h' } },
        },
        {
          ...fileDestination('hook'),
          provider: 'webhook',
          jobType: 'batches',
          name: 'Growth webhook',
          data: { config: { url: 'http://127.0.0.1:9/hook', headers: { 'X-Team': 'growth' } } },
        },
        {
          id: 'auth',
          kind: 'authorization',
          provider: 'webhook',
          name: 'Growth hook',
          position: { x: 0, y: 0 },
          data: { authorizationId: authorization.json.id },
        },
      ],
      edges: [edge('newsletter', 'hook'), edge('auth', 'hook')],
    }
    const created = await api.call('POST', '/api/pipelines', { name: 'Growth', document })
    expect(created.status).toBe(201)
    const deployed = await api.call('POST', `/api/pipelines/${created.json.id}/deploy`, {})
    expect(deployed.status).toBe(200)
    for (const job of deployed.json.jobs as { nodeId: string; jobId: string }[])
      jobIds[job.nodeId] = job.jobId
  }, 240_000)

  afterAll(async () => {
    await session?.close()
  })

  it('lists sources with their columns, sorted and filtered by the server', async () => {
    await nav().getByRole('link', { name: 'Sources' }).click()
    await expect.poll(names, { timeout: 10_000 }).toHaveLength(2)
    expect(await page.locator('thead th').allTextContents()).toEqual([
      'Name↕',
      'Authorization',
      'Provider↕',
      'Type↕',
      'Status↕',
      'Created▼',
    ])
    const row = await page.locator('tbody tr').first().getByRole('cell').allTextContents()
    expect(row.slice(1, 3)).toEqual(['None needed', 'Sample data'])
    await page.getByRole('button', { name: 'Name' }).click()
    await expect.poll(names).toEqual(['CRM contacts', 'Newsletter signups'])
    expect(await page.locator('th[aria-sort="ascending"]').textContent()).toMatch(/^Name/)
    await page.getByRole('button', { name: 'Name' }).click()
    await expect.poll(names).toEqual(['Newsletter signups', 'CRM contacts'])
    await page.getByLabel('Search sources').fill('crm')
    await expect.poll(names).toEqual(['CRM contacts'])
    await page.getByLabel('Search sources').fill('')
    await page.getByLabel('Status').selectOption('paused')
    await visible(page.getByRole('heading', { name: 'No sources match' }))
    await page.getByLabel('Status').selectOption('')
    await page.getByLabel('Provider').selectOption('sample')
    await expect.poll(names).toHaveLength(2)
    await screenshot(page, 'jobs-01-sources')
  }, 60_000)

  it('shows a status change made through the API without a reload', async () => {
    const before = await navigations()
    const row = page.locator('tr', { hasText: 'CRM contacts' })
    expect(await row.textContent()).not.toMatch(/paused/i)
    expect((await api.call('POST', `/api/jobs/${jobIds.crm}/pause`)).status).toBe(200)
    await expect.poll(() => row.textContent(), { timeout: 10_000 }).toMatch(/paused/i)
    expect(await navigations()).toBe(before)
  }, 30_000)

  it('lists destinations with their authorization and opens the create wizard from + Create New', async () => {
    await nav().getByRole('link', { name: 'Destinations' }).click()
    await expect.poll(names, { timeout: 10_000 }).toEqual(['Growth webhook'])
    const cells = await page.locator('tbody tr').first().getByRole('cell').allTextContents()
    expect(cells.slice(1, 4)).toEqual(['Growth hook', 'Webhook', 'Send batches'])
    await page.getByRole('button', { name: '+ Create New' }).click()
    const dialog = page.getByRole('dialog', { name: 'Create a new destination' })
    await dialog.getByLabel('Pipeline', { exact: true }).selectOption({ label: 'Growth' })
    await dialog.getByRole('button', { name: 'Continue' }).click()
    const wizard = page.getByRole('dialog', { name: 'Add a data source or destination' })
    await visible(wizard, 15_000)
    // Only destinations are offered: no Sample data tile.
    expect(await wizard.getByRole('button', { name: /Webhook/ }).count()).toBe(1)
    expect(await wizard.getByRole('button', { name: /Sample data/ }).count()).toBe(0)
    await screenshot(page, 'jobs-02-create-wizard')
    await page.keyboard.press('Escape')
    await expect.poll(() => wizard.count()).toBe(0)
  }, 60_000)

  it('edits the name and description on the summary page, and they persist', async () => {
    await page.goto(`${sluice.base}/sources`)
    await page.getByRole('link', { name: 'CRM contacts' }).click()
    await page.waitForURL(/\/jobs\//)
    await visible(page.getByRole('heading', { name: 'CRM contacts', level: 1 }))
    const facts = await page.locator('.job-facts').textContent()
    for (const expected of ['Sample data', 'Created byAda Admin', 'AuthorizationNone needed', 'Purged'])
      expect(facts).toContain(expected)
    await page.getByRole('button', { name: 'Edit name' }).click()
    await page.getByLabel('Name', { exact: true }).fill('CRM contacts (hourly)')
    await page.getByLabel('Name', { exact: true }).press('Enter')
    await visible(page.getByRole('heading', { name: 'CRM contacts (hourly)', level: 1 }))
    await page.getByRole('button', { name: 'Edit description' }).click()
    await page.getByLabel('Description').fill('Contacts from the CRM, every hour')
    await page.getByRole('button', { name: 'Save' }).click()
    await visible(page.getByText('Contacts from the CRM, every hour'))
    await page.reload()
    await visible(page.getByRole('heading', { name: 'CRM contacts (hourly)', level: 1 }))
    await visible(page.getByText('Contacts from the CRM, every hour'))
    await screenshot(page, 'jobs-03a-summary-header')
    const stored = await api.call('GET', `/api/jobs/${jobIds.crm}`)
    expect(stored.json).toMatchObject({
      name: 'CRM contacts (hourly)',
      description: 'Contacts from the CRM, every hour',
    })
  }, 60_000)

  it('resumes, runs now, charts the real run and streams its log', async () => {
    const before = await navigations()
    await page.getByRole('button', { name: 'Resume' }).click()
    await visible(page.getByRole('button', { name: 'Pause' }))
    await expect.poll(() => page.locator('.job-facts').textContent(), { timeout: 10_000 }).toMatch(/Next run/)
    await expect
      .poll(() => page.getByRole('button', { name: 'Run now' }).isEnabled(), { timeout: 10_000 })
      .toBe(true)
    await page.getByRole('button', { name: 'Run now' }).click()
    const log = page.getByRole('region', { name: 'Log' })
    await expect.poll(() => log.textContent(), { timeout: 30_000 }).toMatch(/Synced/)
    const runs = (await api.call('GET', `/api/jobs/${jobIds.crm}/runs`)).json as { added: number }[]
    const added = runs.reduce((sum, run) => sum + run.added, 0)
    expect(added).toBeGreaterThan(0)
    await expect
      .poll(() => page.getByTestId('activity-totals').textContent(), { timeout: 40_000 })
      .toBe(`${added} added · 0 removed · 0 omitted`)
    expect(await page.locator('.recharts-bar-rectangle').count()).toBeGreaterThan(0)
    await expect.poll(() => page.getByRole('region', { name: 'Runs' }).textContent()).toMatch(/success/)
    // The filter asks the server for one event.
    await log.getByLabel('Filter log by event').selectOption('Resumed')
    await expect.poll(() => log.locator('li').allTextContents()).toHaveLength(1)
    expect(await log.locator('li').first().textContent()).toMatch(/Resumed/)
    await log.getByLabel('Filter log by event').selectOption('')
    const download = page.waitForEvent('download')
    await log.getByRole('link', { name: 'Download' }).click()
    const file = await download
    expect(file.suggestedFilename()).toMatch(/^CRM-contacts-hourly-.+\.log$/)
    expect(await navigations()).toBe(before)
    await screenshot(page, 'jobs-03-summary')
  }, 90_000)

  it('shows a failing destination with its countdown and a configuration without its secret', async () => {
    await page.goto(`${sluice.base}/jobs/${jobIds.hook}`)
    await visible(page.getByRole('heading', { name: 'Growth webhook', level: 1 }))
    await expect
      .poll(() => page.locator('.job-facts').textContent(), { timeout: 60_000 })
      .toMatch(/Marked failed/)
    await visible(page.getByRole('alert').filter({ hasText: 'Last error' }))
    // A change made elsewhere (here through the API) shows without a reload.
    const before = await navigations()
    expect((await api.call('POST', `/api/jobs/${jobIds.hook}/pause`)).status).toBe(200)
    await expect
      .poll(() => page.locator('.job-title-row').textContent(), { timeout: 10_000 })
      .toMatch(/Paused/)
    expect(await navigations()).toBe(before)
    expect((await api.call('POST', `/api/jobs/${jobIds.hook}/resume`)).status).toBe(200)
    const config = await page.getByRole('region', { name: 'Configuration' }).textContent()
    expect(config).toContain('http://127.0.0.1:9/hook')
    expect(config).toContain('X-Team')
    expect(await page.content()).not.toContain(SECRET)
    await page.getByRole('link', { name: 'Open on canvas' }).click()
    await page.waitForURL(/\/pipelines\/[^/?]+$/, { timeout: 15_000 })
    await visible(page.getByRole('complementary', { name: 'Node details' }), 15_000)
    expect(await page.getByRole('complementary', { name: 'Node details' }).textContent()).toContain(
      'Growth webhook',
    )
    await screenshot(page, 'jobs-04-open-on-canvas')
  }, 90_000)

  it('alerts on the failing destination by webhook, once, and logs the delivery', async () => {
    const receiver = await webhookReceiver()
    try {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Alerts' }).click()
      await visible(page.getByRole('heading', { name: 'No alert rules yet' }))
      await page.getByRole('button', { name: '+ New alert rule' }).first().click()
      const dialog = page.getByRole('dialog', { name: 'New alert rule' })
      await dialog.getByLabel('Name').fill('Growth webhook failing')
      await dialog.getByLabel('Watch').selectOption({ label: 'Growth webhook' })
      await dialog.getByLabel('Fire when').selectOption('error_streak')
      await dialog.getByLabel('Errors in a row').fill('1')
      await dialog.getByLabel('Webhook URL').fill(receiver.url('/alerts/secret-path'))
      await dialog.getByRole('button', { name: 'Create rule' }).click()
      const created = page.getByRole('dialog', { name: 'Alert rule created' })
      await visible(created)
      expect(await created.getByTestId('signing-secret').textContent()).toMatch(/^whsec/)
      await created.getByRole('button', { name: 'Done' }).click()
      const row = page.locator('tbody tr', { hasText: 'Growth webhook failing' }).first()
      expect(await row.textContent()).toMatch(/Growth webhook: 1 errors in a row/)
      await expect.poll(() => receiver.received.length, { timeout: 60_000 }).toBeGreaterThan(0)
      expect(receiver.received[0]!.body).toContain('Growth webhook')
      expect(receiver.received[0]!.headers['x-sluice-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/)
      await row.getByRole('button', { name: 'Deliveries of Growth webhook failing' }).click()
      const log = page.getByRole('table', { name: 'Deliveries of Growth webhook failing' })
      await expect.poll(() => log.textContent(), { timeout: 20_000 }).toMatch(/sent/)
      await expect.poll(() => row.textContent(), { timeout: 20_000 }).toMatch(/Firing for 1/)
      // The webhook's URL may hold a token: only its host is ever shown.
      expect(await page.content()).not.toContain('secret-path')
      expect(receiver.received).toHaveLength(1)
      await screenshot(page, 'jobs-05-alerts')
    } finally {
      await receiver.stop()
    }
  }, 120_000)

  it('has no serious or critical accessibility findings on the lists and the summary, and fits 1280×800', async () => {
    await page.setViewportSize({ width: 1280, height: 800 })
    for (const route of [
      '/sources',
      '/destinations',
      '/enrichment',
      '/alerts',
      `/jobs/${jobIds.newsletter}`,
    ]) {
      await page.goto(`${sluice.base}${route}`)
      await visible(page.getByRole('heading', { level: 1 }))
      await visible(page.locator('table, .empty-state').first())
      expect({ route, findings: await seriousA11yFindings(page) }).toEqual({ route, findings: [] })
      // Nothing runs off the side: the page never needs a horizontal scroll bar.
      const overflow = await page.evaluate(() =>
        [document.documentElement, ...document.querySelectorAll<HTMLElement>('.page')].some(
          (element) => element.scrollWidth > element.clientWidth + 1,
        ),
      )
      expect({ route, overflow }).toEqual({ route, overflow: false })
    }
  }, 90_000)

  it('left no console errors', () => {
    expect(problems).toEqual([])
  })
})
