import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { type Browser, chromium, type Page } from 'playwright-core'
import { startSluice } from './server.ts'

const requireHere = createRequire(import.meta.url)

export const CHROMIUM = '/usr/bin/chromium'

/** True when end-to-end suites can run; outside CI a missing Chromium skips them with one line. */
export function chromiumAvailable(): boolean {
  if (fs.existsSync(CHROMIUM)) return true
  if (process.env.CI)
    throw new Error(
      `Chromium is missing at ${CHROMIUM} but CI requires the e2e suites: apt-get install -y chromium`,
    )
  console.warn(
    'Chromium is not installed: skipping the end-to-end suites (apt-get install -y chromium to run them)',
  )
  return false
}

/** Launch flags that keep Chromium off the closed network (TOOLCHAIN.md). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}

/** Collects console errors and page errors so a test can assert there were none. */
export function watchConsole(page: Page): string[] {
  const problems: string[] = []
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning')
      problems.push(`${message.type()}: ${message.text()}`)
  })
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`))
  return problems
}

export const SCREENSHOTS = path.resolve('test-results', 'e2e')

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true })
  const file = path.join(SCREENSHOTS, `${name}.png`)
  await page.screenshot({ path: file, fullPage: true })
  return file
}

/** A Sluice process and a Chromium page on it, watched for console problems: an e2e suite's setup. */
export async function openBrowserSession(env: Record<string, string> = {}) {
  const sluice = await startSluice(env)
  const browser = await launchChromium()
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
  const problems = watchConsole(page)
  return {
    sluice,
    browser,
    page,
    problems,
    async close() {
      await browser.close()
      await sluice.stop()
    },
  }
}

/**
 * axe-core's serious and critical findings on the page as it is now, one line each. Evaluated
 * over the DevTools protocol: the app's CSP (rightly) refuses injected script tags.
 */
export async function seriousA11yFindings(page: Page): Promise<string[]> {
  await page.evaluate(fs.readFileSync(requireHere.resolve('axe-core/axe.min.js'), 'utf8'))
  return page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: {
          run: (
            context: unknown,
            options: unknown,
          ) => Promise<{
            violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[]
          }>
        }
      }
    ).axe
    const result = await axe.run(document, { resultTypes: ['violations'] })
    return result.violations
      .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
      .map(
        (violation) =>
          `${violation.id}: ${violation.help} (${violation.nodes.map((entry) => entry.target.join(' ')).join(', ')})`,
      )
  })
}
