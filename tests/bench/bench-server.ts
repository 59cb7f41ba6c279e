import { type ChildProcess, spawn } from 'node:child_process'
import { freePort } from '../support/postgres.ts'
import { waitForHealth } from '../support/server.ts'

export const BENCH_ADMIN = { email: 'bench@example.com', password: 'bench-password' }

/**
 * Sluice in its own process, as `npm start` runs it (so the load generator does not share its
 * event loop), over `dataDir`, signed in as the bench admin (created by SLUICE_ADMIN_*).
 */
export async function startBenchServer(
  dataDir: string,
): Promise<{ base: string; cookie: string; server: ChildProcess }> {
  const port = await freePort()
  const server = spawn(process.execPath, ['--import', 'tsx', 'server/index.ts'], {
    env: {
      ...process.env,
      PORT: String(port),
      SLUICE_DATA_DIR: dataDir,
      SLUICE_SKIP_CLIENT_BUILD: '1',
      SLUICE_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  const base = `http://127.0.0.1:${port}`
  await waitForHealth(base)
  const login = await fetch(`${base}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: base },
    body: JSON.stringify(BENCH_ADMIN),
  })
  if (!login.ok) throw new Error(`bench sign-in failed: ${login.status}`)
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!
  return { base, cookie, server }
}
