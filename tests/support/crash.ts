import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type SQLite from 'better-sqlite3'
import { afterAll, beforeAll, expect } from 'vitest'
import type { Cadence } from '../../nodes/cadence.ts'
import { openTestDatabase } from './dialects.ts'
import { type ScriptedConfig, scriptedSource } from './scripted-source.ts'
import { ADMIN_ENV, type RunningSluice, signInRemote, startSluice } from './server.ts'

/** Real processes with short leases, so a dead worker's job is picked up within seconds. */
export const CRASH_ENV = {
  SLUICE_SKIP_CLIENT_BUILD: '1',
  SLUICE_LEASE_TTL: '2s',
  SLUICE_LOG_LEVEL: 'warn',
  ...ADMIN_ENV,
}

/** Starts (or restarts, on the same data folder) a Sluice that knows the scripted source. */
export const startCrashable = (env: Record<string, string>, dataDir: string) =>
  startSluice({ ...CRASH_ENV, ...env }, { dataDir, scripted: true })

/** Polls `probe` (every 2 ms, so kill points land close to what was waited for) until truthy. */
export async function until<T>(
  what: string,
  probe: () => Promise<T> | T,
  timeoutMs = 60_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value) return value as NonNullable<T>
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
}

/** Deploys one scripted source on a running Sluice; returns its job id. */
export async function deployScripted(base: string, config: Partial<ScriptedConfig>, cadence: Cadence) {
  const admin = await signInRemote(base)
  const document = { version: 1, nodes: [scriptedSource('s', config, cadence)], edges: [] }
  const created = await admin.call('POST', '/api/pipelines', { name: 'Crash test', document })
  const deployed = await admin.call('POST', `/api/pipelines/${created.json.id}/deploy`, {})
  expect(deployed.status).toBe(200)
  return deployed.json.jobs[0].jobId as string
}

/** True when another connection holds the SQLite write lock: a batch transaction is open. */
export function writeLocked(db: SQLite.Database): boolean {
  try {
    db.exec('BEGIN IMMEDIATE')
    db.exec('ROLLBACK')
    return false
  } catch (error) {
    if ((error as { code?: string }).code === 'SQLITE_BUSY') return true
    throw error
  }
}

/** Waits (up to 3 s) for the moment a batch transaction is open; true if it found one. */
export async function awaitWriteLock(db: SQLite.Database): Promise<boolean> {
  const probeUntil = Date.now() + 3000
  while (Date.now() < probeUntil) {
    if (writeLocked(db)) return true
    await new Promise((resolve) => setImmediate(resolve))
  }
  return false
}

/**
 * A suite's throwaway PostgreSQL database and the Sluice processes it starts against it (each with
 * its own data folder, the scripted source known), all stopped and removed after the suite.
 * @example const pg = usePostgresProcesses(); const worker = await pg.spawn('worker')
 */
export function usePostgresProcesses() {
  let database: Awaited<ReturnType<typeof openTestDatabase>> | undefined
  const processes: RunningSluice[] = []
  const dirs: string[] = []
  beforeAll(async () => {
    database = await openTestDatabase('postgres')
  })
  afterAll(async () => {
    for (const sluice of processes) await sluice.stop()
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true })
    await database?.close()
  })
  const db = () => {
    if (!database) throw new Error('the PostgreSQL database is not ready')
    return database
  }
  return {
    database: db,
    /** Starts `npm start` (`all`), `start:api` or `start:worker` against the suite's database. */
    async spawn(mode: 'all' | 'api' | 'worker', env: Record<string, string> = {}, url = db().url) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), `sluice-${mode}-`))
      dirs.push(dir)
      const sluice = await startSluice(
        { ...CRASH_ENV, SLUICE_DB: url, ...env },
        { dataDir: dir, scripted: true, ...(mode === 'all' ? {} : { mode }) },
      )
      processes.push(sluice)
      return sluice
    },
  }
}
