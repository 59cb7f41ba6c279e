import { type ChildProcess, spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { type Browser, chromium, type Page } from 'playwright-core'
import { freePort } from './postgres.ts'
import { waitForHealth } from './server.ts'

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

export interface RunningSluice {
  base: string
  dataDir: string
  process: ChildProcess
  output: () => string
  stop(): Promise<void>
}

/**
 * Starts Sluice the way `npm start` does — a real process that builds the UI if it is stale,
 * migrates and serves — on a free port with a fresh data folder.
 */
export async function startSluice(env: Record<string, string> = {}): Promise<RunningSluice> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-e2e-'))
  const port = await freePort()
  let output = ''
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/index.ts'], {
    env: {
      ...process.env,
      PORT: String(port),
      SLUICE_DATA_DIR: dataDir,
      SLUICE_PUBLIC_URL: `http://127.0.0.1:${port}`,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout?.on('data', (chunk) => {
    output += chunk
  })
  child.stderr?.on('data', (chunk) => {
    output += chunk
  })
  const base = `http://127.0.0.1:${port}`
  try {
    await waitForHealth(base, 180_000)
  } catch (error) {
    child.kill('SIGKILL')
    throw new Error(`${(error as Error).message}\n${output}`)
  }
  return {
    base,
    dataDir,
    process: child,
    output: () => output,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve))
        child.kill('SIGTERM')
        await exited
      }
      fs.rmSync(dataDir, { recursive: true, force: true })
    },
  }
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
