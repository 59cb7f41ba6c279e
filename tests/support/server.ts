import { type ChildProcess, spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { freePort } from './postgres.ts'

/** Polls `/api/health` until a freshly started server answers, or fails after `timeoutMs`. */
export async function waitForHealth(base: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${base}/api/health`)
      if (response.ok) return
      last = response.status
    } catch (error) {
      last = error
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  throw new Error(`server at ${base} did not become healthy: ${String(last)}`)
}

export interface RunningSluice {
  base: string
  port: number
  dataDir: string
  process: ChildProcess
  output: () => string
  /** Resolves when the process has exited: its exit code, or the signal that ended it. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** SIGTERM, wait for the exit, then delete the data folder (unless it was the caller's). */
  stop(): Promise<void>
}

export interface StartOptions {
  /** Reuse a data folder (a restart after a crash); it is then the caller's to delete. */
  dataDir?: string
  port?: number
  /** Register the test-only scripted source in the server process. */
  scripted?: boolean
  /** `npm run start:api` or `start:worker` instead of `npm start`. */
  mode?: 'api' | 'worker'
}

/**
 * Starts Sluice the way `npm start` does — a real process that builds the UI if it is stale,
 * migrates and serves — on a free port with a fresh data folder.
 */
export async function startSluice(
  env: Record<string, string> = {},
  options: StartOptions = {},
): Promise<RunningSluice> {
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-e2e-'))
  const port = options.port ?? (await freePort())
  let output = ''
  const args = [
    '--import',
    'tsx',
    ...(options.scripted ? ['--import', './tests/support/register-scripted.ts'] : []),
  ]
  const mode = options.mode ? [`--${options.mode}`] : []
  const child = spawn(process.execPath, [...args, 'server/index.ts', ...mode], {
    env: {
      ...process.env,
      PORT: String(port),
      SLUICE_DATA_DIR: dataDir,
      SLUICE_PUBLIC_URL: `http://127.0.0.1:${port}`,
      SLUICE_ALLOW_PRIVATE_NETWORK: '1',
      // Processes sharing a PostgreSQL must share the key; '' in `env` tests the key file instead.
      SLUICE_SECRET_KEY: TEST_SECRET_KEY,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )
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
    port,
    dataDir,
    process: child,
    output: () => output,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGCONT')
        child.kill('SIGTERM')
        await exited
      }
      if (!options.dataDir) fs.rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** The master key test processes share (a real deployment sets its own SLUICE_SECRET_KEY). */
export const TEST_SECRET_KEY = 'c2x1aWNlLXRlc3QtbWFzdGVyLWtleS0zMi1ieXRlcyE='

export const ADMIN_ENV = {
  SLUICE_ADMIN_EMAIL: 'admin@example.com',
  SLUICE_ADMIN_PASSWORD: 'correct horse battery',
}

/** Signs in to a running Sluice as the admin of ADMIN_ENV; `call` sends JSON with the session. */
export async function signInRemote(base: string) {
  const headers = { 'content-type': 'application/json', origin: base }
  const login = await fetch(`${base}/api/auth/login`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ email: ADMIN_ENV.SLUICE_ADMIN_EMAIL, password: ADMIN_ENV.SLUICE_ADMIN_PASSWORD }),
  })
  if (login.status !== 200) throw new Error(`sign-in failed: ${login.status} ${await login.text()}`)
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!
  return {
    cookie,
    // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers
    async call(method: string, route: string, body?: unknown): Promise<{ status: number; json: any }> {
      const response = await fetch(`${base}${route}`, {
        method,
        headers: { ...headers, cookie },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
      const text = await response.text()
      return { status: response.status, json: text ? JSON.parse(text) : null }
    },
  }
}
