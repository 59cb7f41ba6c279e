import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import SQLite from 'better-sqlite3'
import { afterAll, describe, expect, inject, it } from 'vitest'
import {
  awaitWriteLock,
  deployScripted,
  startCrashable as start,
  until,
  usePostgresProcesses,
} from '../support/crash.ts'
import { type RunningSluice, signInRemote } from '../support/server.ts'

describe('crash safety with real processes [sqlite]', () => {
  const dirs: string[] = []
  const processes: RunningSluice[] = []
  afterAll(async () => {
    for (const sluice of processes) await sluice.stop()
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true })
  })
  const dataDir = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-crash-'))
    dirs.push(dir)
    return dir
  }
  /** The test's own connection to the server's SQLite file: counts, and the write-lock probe. */
  const inspect = (dir: string, jobId: string) => {
    const db = new SQLite(path.join(dir, 'sluice.db'), { timeout: 0 })
    return {
      db,
      stored: () =>
        db
          .prepare('select count(*) n, count(distinct record_key) d from raw_messages where job_id = ?')
          .get(jobId) as {
          n: number
          d: number
        },
      job: () =>
        db.prepare('select status, state, lease_token from jobs where id = ?').get(jobId) as {
          status: string
          state: string | null
          lease_token: string | null
        },
    }
  }

  it('kill -9 during a 100,000-record import, 10 times: nothing lost, nothing stored twice, each restart resumes from its checkpoint', async () => {
    const dir = dataDir()
    let sluice = await start({}, dir)
    processes.push(sluice)
    const jobId = await deployScripted(
      sluice.base,
      { records: 100_000, total: 100_000, batchSize: 1000 },
      'once',
    )
    const check = inspect(dir, jobId)
    let duringTransaction = 0
    let last = 0
    for (let kill = 1; kill <= 10; kill++) {
      // Kill points are chosen by committed rows, then the moment the server holds the write lock.
      await until(`${kill * 9000} committed records`, () => check.stored().n >= kill * 9000)
      const inside = await awaitWriteLock(check.db)
      sluice.process.kill('SIGKILL')
      if (inside) duringTransaction++
      expect((await sluice.exited).signal).toBe('SIGKILL')
      const after = check.stored()
      // Records and checkpoint commit together: the checkpoint is exactly what was stored.
      expect(after.d).toBe(after.n)
      expect(JSON.parse(check.job().state ?? '{"offset":0}').offset).toBe(after.n)
      expect(after.n).toBeGreaterThanOrEqual(last)
      last = after.n
      sluice = await start({}, dir)
      processes.push(sluice)
    }
    await until('the import to complete', () => check.job().status === 'completed', 120_000)
    expect(check.stored()).toEqual({ n: 100_000, d: 100_000 })
    const profiles = check.db.prepare('select count(*) n from profiles').get() as { n: number }
    expect(profiles.n).toBe(100_000)
    const emails = check.db
      .prepare("select count(*) n from profile_identities where field = 'email'")
      .get() as { n: number }
    expect(emails.n).toBe(100_000)
    const admin = await signInRemote(sluice.base)
    const runs = (await admin.call('GET', `/api/jobs/${jobId}/runs`)).json
    // One slot, one run row, carried across ten crashes to its end.
    expect(runs).toHaveLength(1)
    expect(runs[0]).toMatchObject({ outcome: 'success', added: 100_000, error: null })
    const logs = (await admin.call('GET', `/api/jobs/${jobId}/logs`)).json as { event: string }[]
    expect(logs.map((log) => log.event)).toEqual(['Deployed', 'Started', 'Synced', 'Completed'])
    console.info(`kill -9: ${duringTransaction} of 10 kills landed while a batch transaction was open`)
    expect(duringTransaction).toBeGreaterThanOrEqual(3)
    check.db.close()
  }, 300_000)

  it('SIGTERM stops claiming, ends at a batch boundary, hands the job back and exits 0; a restart finishes', async () => {
    const dir = dataDir()
    const sluice = await start({ SLUICE_LOG_LEVEL: 'info' }, dir)
    processes.push(sluice)
    const jobId = await deployScripted(
      sluice.base,
      { records: 20_000, total: 20_000, batchSize: 500, batchDelayMs: 30 },
      'once',
    )
    const check = inspect(dir, jobId)
    await until('some committed batches', () => check.stored().n >= 2000)
    const asked = Date.now()
    sluice.process.kill('SIGTERM')
    expect((await sluice.exited).code).toBe(0)
    expect(Date.now() - asked).toBeLessThan(5000)
    const handedBack = check.job()
    expect(handedBack).toMatchObject({ status: 'sleeping', lease_token: null })
    const stored = check.stored().n
    expect(stored).toBeLessThan(20_000)
    expect(JSON.parse(handedBack.state!).offset).toBe(stored)
    expect(sluice.output()).toMatch(/running jobs handed back/)
    const again = await start({}, dir)
    processes.push(again)
    await until('the import to complete', () => check.job().status === 'completed')
    expect(check.stored()).toEqual({ n: 20_000, d: 20_000 })
    check.db.close()
  }, 120_000)

  it('honours SLUICE_FAIL_AFTER and SLUICE_RETRY_BASE: an always-failing source is failed within seconds', async () => {
    const sluice = await start({ SLUICE_FAIL_AFTER: '3s', SLUICE_RETRY_BASE: '200ms' }, dataDir())
    processes.push(sluice)
    const began = Date.now()
    const jobId = await deployScripted(sluice.base, { steps: ['transient'] }, { every: '1h' })
    const admin = await signInRemote(sluice.base)
    const failed = await until(
      'the job to fail',
      async () => {
        const job = (await admin.call('GET', `/api/jobs/${jobId}`)).json
        return job.status === 'failed' ? job : null
      },
      20_000,
    )
    const elapsed = Date.now() - began
    expect(elapsed).toBeGreaterThanOrEqual(3000)
    expect(elapsed).toBeLessThan(10_000)
    expect(failed.consecutiveErrors).toBeGreaterThanOrEqual(3)
    const logs = (await admin.call('GET', `/api/jobs/${jobId}/logs`)).json as { event: string }[]
    const events = logs.map((log) => log.event)
    expect(events.at(-1)).toBe('Failed')
    expect(events.filter((event) => event === 'Error').length).toBe(failed.consecutiveErrors - 1)
  }, 60_000)
})

describe.skipIf(!inject('pgUrl'))('a worker frozen past its lease [postgres]', () => {
  const pg = usePostgresProcesses()

  it('SIGSTOP past the lease, another process takes over, SIGCONT: the frozen worker commits nothing', async () => {
    const database = pg.database()
    const spawnWorker = () => pg.spawn('all')
    const stored = async (jobId: string) => {
      const row = await database.db
        .selectFrom('raw_messages')
        .select((eb) => [
          eb.fn.countAll<number>().as('n'),
          eb.fn.count<number>('record_key').distinct().as('d'),
        ])
        .where('job_id', '=', jobId)
        .executeTakeFirstOrThrow()
      return { n: Number(row.n), d: Number(row.d) }
    }
    const status = async (jobId: string) =>
      (await database.db.selectFrom('jobs').selectAll().where('id', '=', jobId).executeTakeFirstOrThrow())
        .status
    const frozen = await spawnWorker()
    const jobId = await deployScripted(
      frozen.base,
      { records: 30_000, total: 30_000, batchSize: 500, batchDelayMs: 10 },
      'once',
    )
    await until('some committed batches', async () => (await stored(jobId)).n >= 3000)
    frozen.process.kill('SIGSTOP')
    const atStop = (await stored(jobId)).n
    // Past the 2 s lease (and PostgreSQL ends a transaction it left open), a second worker starts.
    await new Promise((resolve) => setTimeout(resolve, 3000))
    await spawnWorker()
    await until('the second worker to finish the import', async () => (await status(jobId)) === 'completed')
    expect(await stored(jobId)).toEqual({ n: 30_000, d: 30_000 })
    frozen.process.kill('SIGCONT')
    // The frozen worker wakes mid-unit: its fencing fails, so nothing it had in hand lands.
    await new Promise((resolve) => setTimeout(resolve, 3000))
    expect(await stored(jobId)).toEqual({ n: 30_000, d: 30_000 })
    expect(await status(jobId)).toBe('completed')
    const runs = await database.db.selectFrom('job_runs').selectAll().where('job_id', '=', jobId).execute()
    expect(runs).toHaveLength(1)
    expect(runs[0]).toMatchObject({ outcome: 'success', added: 30_000 })
    const errors = await database.db
      .selectFrom('job_logs')
      .select('event')
      .where('job_id', '=', jobId)
      .where('event', 'in', ['Error', 'Failed'])
      .execute()
    expect(errors).toEqual([])
    expect(atStop).toBeLessThan(30_000)
  }, 120_000)
})
