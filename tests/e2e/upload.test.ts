import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chromiumAvailable, openBrowserSession, screenshot, seriousA11yFindings } from '../support/browser.ts'
import type { RunningSluice } from '../support/server.ts'

const ROWS = 50_000
/** Rows (1-based, after the header) whose signup time is not a time. */
const BAD = new Set([101, 2_502, 40_000])

/** A CSV of ROWS people, a few with a broken `signed_up`. Line n of the file is row n - 1's data. */
function peopleCsv(): string {
  const lines = ['email,first_name,plan,signed_up']
  for (let i = 1; i <= ROWS; i++) {
    const time = BAD.has(i) ? 'last tuesday' : new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString()
    lines.push(`person${i}@example.com,Person ${i},${i % 3 ? 'free' : 'pro'},${time}`)
  }
  return `${lines.join('\n')}\n`
}

/**
 * The backfill upload page in real Chromium against a real `npm start`: a 50,000-row CSV with a
 * few bad rows uploads with progress, its rejects are listed with reasons, the people it brought
 * in are found in profile search, and an audience over them counts live as its filter changes.
 */
describe.skipIf(!chromiumAvailable())('file upload and audiences in Chromium', () => {
  let sluice: RunningSluice
  let page: Page
  let problems: string[]
  let session: Awaited<ReturnType<typeof openBrowserSession>> | undefined

  const visible = (locator: { isVisible(): Promise<boolean> }, timeout = 10_000) =>
    expect.poll(() => locator.isVisible(), { timeout }).toBe(true)

  beforeAll(async () => {
    session = await openBrowserSession()
    ;({ sluice, page, problems } = session)
    await page.goto(sluice.base)
    await page.getByLabel('Name').fill('Ada Admin')
    await page.getByLabel('Email').fill('ada@example.com')
    await page.getByLabel('Password').fill('a long enough password')
    await page.getByRole('button', { name: 'Create admin account' }).click()
    await page.getByRole('navigation', { name: 'Main' }).waitFor({ timeout: 15_000 })
  }, 240_000)

  afterAll(async () => {
    await session?.close()
  })

  it('uploads 50,000 rows with progress, lists the rejects and unifies the rest', async () => {
    await page.goto(`${sluice.base}/data/uploads`)
    await page.getByRole('link', { name: 'Upload a file' }).click()
    await page.waitForURL(/\/data\/uploads\/new$/)
    await page.getByLabel('Stream').fill('crm_people')
    await page.getByLabel('File', { exact: true }).setInputFiles({
      name: 'people.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(peopleCsv()),
    })
    // The event time field is offered from the file's own header, and guessed from its name.
    const timeField = page.getByLabel('Event time field')
    await expect
      .poll(() => timeField.locator('option').allTextContents())
      .toEqual(['None: use the time of the upload', 'email', 'first_name', 'plan', 'signed_up'])
    await timeField.selectOption('signed_up')
    expect(await page.getByLabel(/Drop rows with errors/).isChecked()).toBe(true)
    await screenshot(page, 'upload-01-form')

    // Record every value each progress bar shows, to see them move.
    await page.evaluate(() => {
      const seen: Record<string, string[]> = {}
      ;(window as unknown as { progressSeen: typeof seen }).progressSeen = seen
      const record = () => {
        for (const bar of document.querySelectorAll('[role="progressbar"]')) {
          const label = bar.getAttribute('aria-label') ?? ''
          const value = `${bar.getAttribute('aria-valuenow')}/${bar.getAttribute('aria-valuemax')}`
          seen[label] ??= []
          if (seen[label].at(-1) !== value) seen[label].push(value)
        }
      }
      new MutationObserver(record).observe(document.body, {
        subtree: true,
        childList: true,
        attributes: true,
      })
    })
    await page.getByRole('button', { name: 'Upload' }).click()

    const counts = page.getByTestId('upload-counts')
    await expect
      .poll(() => counts.textContent(), { timeout: 60_000 })
      .toMatch(/^49,997 accepted · 3 rejected/)
    const rejects = page.getByRole('table', { name: 'Rejected rows' })
    // CSV rows are numbered by file line, the header being line 1.
    await expect
      .poll(() => rejects.locator('tbody tr td:first-child').allTextContents())
      .toEqual([...BAD].map((row) => String(row + 1)))
    expect(await rejects.locator('tbody tr').first().textContent()).toMatch(/signed_up/)
    await expect.poll(() => counts.textContent(), { timeout: 120_000 }).toMatch(/49,997 unified$/)
    const seen = await page.evaluate(
      () => (window as unknown as { progressSeen: Record<string, string[]> }).progressSeen,
    )
    // Each bar started short of its end and finished at it.
    expect(seen.Upload!.length).toBeGreaterThan(1)
    expect(seen.Upload!.at(-1)).toMatch(/^(\d+)\/\1$/)
    expect(seen.Unification!.at(-1)).toBe('49997/49997')
    await screenshot(page, 'upload-02-result')
    expect(await seriousA11yFindings(page)).toEqual([])
  }, 240_000)

  it('finds the uploaded people in profile search', async () => {
    await page.getByRole('link', { name: 'See profiles' }).click()
    await page.waitForURL(/\/data\/profiles$/)
    await page.getByLabel('Search by email, id or attribute').fill('person4242@example.com')
    await visible(page.getByRole('cell', { name: 'person4242@example.com' }).first(), 15_000)
    // A rejected row's person never arrived.
    await page.getByLabel('Search by email, id or attribute').fill('person2502@example.com')
    await visible(page.getByText(/No profiles match/))
    await screenshot(page, 'upload-03-profiles')
  }, 60_000)

  it('builds an audience whose count follows the filter as it changes', async () => {
    await page.goto(`${sluice.base}/data/audiences`)
    await visible(page.getByRole('heading', { name: 'No audiences yet' }))
    await page.getByRole('link', { name: 'New audience' }).first().click()
    await page.waitForURL(/\/data\/audiences\/new$/)
    await page.getByLabel('Name', { exact: true }).fill('Pro plan')
    await page.getByLabel('Condition 1: attribute').fill('plan')
    await page.getByLabel('Condition 1: value').fill('pro')
    const count = page.getByTestId('audience-count')
    // Every third person is on pro; one of them was a rejected row.
    await expect.poll(() => count.textContent(), { timeout: 15_000 }).toBe('16,665 profiles')
    await page.getByLabel('Condition 1: value').fill('free')
    await expect.poll(() => count.textContent(), { timeout: 15_000 }).toBe('33,332 profiles')
    await page.getByRole('checkbox', { name: 'Exclude' }).check()
    await expect.poll(() => count.textContent(), { timeout: 15_000 }).toBe('16,665 profiles')
    expect(await page.getByRole('region', { name: 'Who matches' }).getByRole('link').count()).toBe(10)
    await page.getByRole('button', { name: 'JSON' }).click()
    expect(JSON.parse(await page.getByLabel('Filter (JSON)').inputValue())).toEqual({
      not: { field: 'plan', op: 'eq', value: 'free' },
    })
    await page.getByRole('button', { name: 'Save audience' }).click()
    await page.waitForURL(/\/data\/audiences\/(?!new)[^/]+$/)
    await visible(page.getByRole('heading', { name: 'Pro plan', level: 1 }))
    await expect.poll(() => count.textContent(), { timeout: 15_000 }).toBe('16,665 profiles')
    await screenshot(page, 'upload-04-audience')
    await page.getByRole('link', { name: 'All audiences' }).click()
    await visible(page.getByRole('link', { name: 'Pro plan' }))
    expect(await seriousA11yFindings(page)).toEqual([])
  }, 90_000)

  it('left no console errors', () => {
    expect(problems).toEqual([])
  })
})
