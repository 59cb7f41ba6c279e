import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { sql } from 'kysely'
import { describe, expect, inject, it } from 'vitest'
import { OUTBOX_START, parsePosition, positionId, readOutbox } from '../../server/db/outbox.repo.ts'
import { until, usePostgresProcesses } from '../support/crash.ts'
import { openTestDatabase } from '../support/dialects.ts'
import { smtpReceiver, webhookReceiver } from '../support/receivers.ts'
import { scriptedSource } from '../support/scripted-source.ts'
import { type RunningSluice, signInRemote } from '../support/server.ts'
import { openEvents } from '../support/sse.ts'

const JOBS = 1000
const PIPELINES = 10

/**
 * DESIGN.md §8 with real processes on one real PostgreSQL: API processes that only serve, workers
 * that only run jobs, coordinated by the database alone.
 */
describe.skipIf(!inject('pgUrl'))('scale-out: API and worker processes on one PostgreSQL', () => {
  const pg = usePostgresProcesses()
  const workers: RunningSluice[] = []
  const spawn = async (mode: 'api' | 'worker', env: Record<string, string> = {}) => {
    const sluice = await pg.spawn(mode, env)
    if (mode === 'worker') workers.push(sluice)
    return sluice
  }
  const db = () => pg.database().db
  /** The ids of a pipeline's events readers can see after `after`, in reading order. */
  const pipelineEvents = async (pipelineId: string, after: string) =>
    (await readOutbox(db(), parsePosition(after) ?? OUTBOX_START, 100_000))
      .filter((row) => row.pipeline_id === pipelineId)
      .map((row) => positionId(row.position))
  const count = async (query: ReturnType<typeof sql<{ n: number }>>) =>
    Number((await query.execute(db())).rows[0]!.n)
  const holding = async (pid: number) =>
    (await db().selectFrom('jobs').select('id').where('lease_owner', 'like', `%:${pid}:%`).execute()).map(
      (row) => row.id,
    )

  it('runs 1,000 due jobs exactly once across three workers, through a kill -9 and a SIGSTOP past the lease', async () => {
    const api = await spawn('api')
    const admin = await signInRemote(api.base)
    // Ten pipelines of a hundred one-time jobs, each taking 50–500 ms.
    for (let p = 0; p < PIPELINES; p++) {
      const nodes = Array.from({ length: JOBS / PIPELINES }, (_, n) => {
        const i = p * (JOBS / PIPELINES) + n
        return {
          ...scriptedSource(
            `s${n}`,
            { records: 1, batchSize: 1, total: 1, batchDelayMs: 50 + ((i * 37) % 451) },
            'once',
          ),
          position: { x: n * 10, y: p * 10 },
        }
      })
      const created = await admin.call('POST', '/api/pipelines', {
        name: `Load ${p}`,
        document: { version: 1, nodes, edges: [] },
      })
      expect(created.status).toBe(201)
      const deployed = await admin.call('POST', `/api/pipelines/${created.json.id}/deploy`, {})
      expect(deployed.status).toBe(200)
    }
    expect(await count(sql`select count(*)::int as n from jobs where status = 'sleeping'`)).toBe(JOBS)
    const env = { SLUICE_WORKER_CONCURRENCY: '25' }
    const [killed, frozen] = await Promise.all([
      spawn('worker', env),
      spawn('worker', env),
      spawn('worker', env),
    ])
    const completed = () => count(sql`select count(*)::int as n from jobs where status = 'completed'`)

    await until('150 completed jobs', async () => (await completed()) >= 150, 120_000)
    const killedHeld = await holding(killed!.process.pid!)
    const killedAt = Date.now()
    killed!.process.kill('SIGKILL')
    expect((await killed!.exited).signal).toBe('SIGKILL')

    await until('400 completed jobs', async () => (await completed()) >= 400, 120_000)
    const frozenHeld = await holding(frozen!.process.pid!)
    const frozenAt = Date.now()
    frozen!.process.kill('SIGSTOP')
    // Whatever the frozen worker had sent before the signal has landed by now.
    await new Promise((resolve) => setTimeout(resolve, 1000))
    const atFreeze = await count(sql`select coalesce(max(seq), 0)::int as n from raw_messages`)
    await until('every job to complete', async () => (await completed()) === JOBS, 180_000)
    frozen!.process.kill('SIGCONT')
    // Woken past its lease, mid-unit: its fencing fails, so nothing it had in hand lands.
    await new Promise((resolve) => setTimeout(resolve, 3000))

    console.info(
      `scale-out: kill -9 took ${killedHeld.length} running jobs, SIGSTOP froze ${frozenHeld.length}; all ${JOBS} completed`,
    )
    expect(killedHeld.length).toBeGreaterThan(0)
    expect(frozenHeld.length).toBeGreaterThan(0)
    const frozenPid = frozen!.process.pid!
    expect(
      await count(
        sql`select count(*)::int as n from raw_messages where seq > ${atFreeze} and payload like ${`%"pid":${frozenPid}}%`}`,
      ),
    ).toBe(0)
    // One run per job and due time, each a success that stored its one record once.
    const runs = await db().selectFrom('job_runs').selectAll().execute()
    expect(runs).toHaveLength(JOBS)
    expect(new Set(runs.map((run) => `${run.job_id}|${run.due_at}`)).size).toBe(JOBS)
    // (Every job's one record is the same person, so only the first run changes a profile.)
    expect(runs.filter((run) => run.outcome !== 'success')).toEqual([])
    expect(await count(sql`select count(distinct job_id)::int as n from raw_messages`)).toBe(JOBS)
    expect(await count(sql`select count(*)::int as n from raw_messages`)).toBe(JOBS)
    // What the dead and the frozen worker held was finished by them before the signal, or carried
    // on by another worker in the same run row (which names who carried it) — most of it carried.
    const carriedBy = (held: string[], pid: number, at: number) => {
      const mine = new RegExp(`:${pid}:`)
      const rows = runs.filter((run) => held.includes(run.job_id))
      expect(rows).toHaveLength(held.length)
      for (const run of rows)
        if (mine.test(run.worker)) expect(Date.parse(run.ended_at!)).toBeLessThanOrEqual(at)
      return rows.filter((run) => !mine.test(run.worker)).length
    }
    expect(carriedBy(killedHeld, killed!.process.pid!, killedAt)).toBeGreaterThan(0)
    expect(carriedBy(frozenHeld, frozenPid, frozenAt)).toBeGreaterThan(0)
    expect(await count(sql`select count(*)::int as n from job_logs where event in ('Error', 'Failed')`)).toBe(
      0,
    )
  }, 300_000)

  it('an SSE client on API process A sees a worker change a job, and resumes on API process B without gaps or repeats', async () => {
    const [a, b] = await Promise.all([spawn('api'), spawn('api')])
    const admin = await signInRemote(a.base)
    const document = {
      version: 1,
      nodes: [scriptedSource('s', { records: 3, batchSize: 1, batchDelayMs: 20 }, { every: '1h' })],
      edges: [],
    }
    const created = await admin.call('POST', '/api/pipelines', { name: 'Watched', document })
    const sse = await openEvents(`${a.base}/api/events?pipeline=${created.json.id}`, { cookie: admin.cookie })
    const deployed = await admin.call('POST', `/api/pipelines/${created.json.id}/deploy`, {})
    const job = deployed.json.jobs[0].jobId as string
    const isSynced = (e: { topic: string; data: Record<string, unknown> }) =>
      e.topic === 'job.log' && e.data.event === 'Synced'
    // A worker claims it: the running status travels worker → PostgreSQL → NOTIFY → process A.
    await sse.until((e) => e.topic === 'job.status' && e.data.status === 'running', 20_000)
    await sse.until(isSynced, 20_000)
    await sse.until(
      (e) => e.topic === 'job.status' && e.data.status === 'sleeping' && e.data.jobId === job,
      20_000,
    )
    sse.close()
    const last = sse.received.at(-1)!.id

    // While no one listens: a run made on process B, executed by a worker.
    expect((await admin.call('POST', `/api/jobs/${job}/run`)).status).toBe(200)
    await until('the second run to end', async () => {
      const runs = await db().selectFrom('job_runs').select('ended_at').where('job_id', '=', job).execute()
      return runs.length === 2 && runs.every((run) => run.ended_at !== null)
    })
    const signedInB = await signInRemote(b.base)
    const resumed = await openEvents(`${b.base}/api/events?pipeline=${created.json.id}`, {
      cookie: signedInB.cookie,
      lastEventId: last,
    })
    const missed = await pipelineEvents(created.json.id, last)
    expect(missed.length).toBeGreaterThan(5)
    await resumed.until((e) => e.id === missed.at(-1), 20_000)
    // And live again on B: a third run.
    expect((await signedInB.call('POST', `/api/jobs/${job}/run`)).status).toBe(200)
    await resumed.until(isSynced, 20_000, missed.length)
    await resumed.until(
      (e) => e.topic === 'job.status' && e.data.status === 'sleeping',
      20_000,
      missed.length + 1,
    )
    const all = await pipelineEvents(created.json.id, last)
    expect(resumed.received.map((e) => e.id)).toEqual(all)
    expect(new Set([...sse.received.map((e) => e.id), ...resumed.received.map((e) => e.id)]).size).toBe(
      sse.received.length + resumed.received.length,
    )
    resumed.close()
  }, 120_000)
  it('alerts fire once per rule and episode from two worker processes, to the webhook and the SMTP server', async () => {
    // Every worker shares the settings (here: SMTP); the ones of the earlier tests go.
    for (const worker of workers.splice(0)) await worker.stop()
    const hook = await webhookReceiver()
    const mail = await smtpReceiver()
    try {
      const env = { SLUICE_SMTP_URL: mail.url(), SLUICE_FAIL_AFTER: '2s', SLUICE_RETRY_BASE: '300ms' }
      const [api] = await Promise.all([spawn('api', env), spawn('worker', env), spawn('worker', env)])
      // Down when the alerts first fire: the workers retry until it answers.
      await hook.stop()
      const admin = await signInRemote(api!.base)
      const document = { version: 1, nodes: [scriptedSource('s', { steps: ['transient'] })], edges: [] }
      const created = await admin.call('POST', '/api/pipelines', { name: 'Alerted', document })
      const job = (await admin.call('POST', `/api/pipelines/${created.json.id}/deploy`, {})).json.jobs[0]
        .jobId
      for (const [name, condition] of [
        ['Streak', { kind: 'error_streak', errors: 2 }],
        ['Failed', { kind: 'failed' }],
      ] as const) {
        const rule = await admin.call('POST', '/api/alerts', {
          name,
          jobId: job,
          condition,
          targets: [
            { type: 'webhook', url: hook.url(`/${name}`) },
            { type: 'email', to: [`${name.toLowerCase()}@example.com`] },
          ],
        })
        expect(rule.status).toBe(201)
      }
      await until('both emails', () => mail.received.length >= 2, 60_000)
      const rules = (await admin.call('GET', '/api/alerts')).json as { id: string }[]
      type Delivery = { kind: string; status: string; attempts: number; lastError: string | null }
      const webhookDeliveries = async () => {
        const logs = await Promise.all(
          rules.map(async (rule) => (await admin.call('GET', `/api/alerts/${rule.id}/deliveries`)).json),
        )
        return (logs.flat() as Delivery[]).filter((delivery) => delivery.kind === 'webhook')
      }
      // Each delivery is attempted on its own: the emails may land before a webhook's first try.
      let webhooks: Delivery[] = []
      await until(
        'both webhooks tried while down',
        async () => {
          await new Promise((resolve) => setTimeout(resolve, 100))
          webhooks = await webhookDeliveries()
          return webhooks.length === 2 && webhooks.every((delivery) => delivery.attempts >= 1)
        },
        60_000,
      )
      expect(webhooks.map((delivery) => delivery.status)).toEqual(['pending', 'pending'])
      expect(webhooks[0]!.lastError).toMatch(/could not be reached/)
      await hook.start()
      await until('both webhooks, retried', () => hook.received.length >= 2, 60_000)
      // Both workers evaluate every five seconds: let them, several times over.
      await new Promise((resolve) => setTimeout(resolve, 11_000))
      expect(hook.received.map((request) => request.path).sort()).toEqual(['/Failed', '/Streak'])
      expect(mail.received.map((message) => message.to[0]).sort()).toEqual([
        'failed@example.com',
        'streak@example.com',
      ])
      expect(JSON.parse(hook.received.find((r) => r.path === '/Failed')!.body).sluice.job.id).toBe(job)
    } finally {
      await hook.stop()
      await mail.stop()
    }
  }, 120_000)
  it('processes starting at once on an empty database agree on one first admin', async () => {
    const empty = await openTestDatabase('postgres')
    try {
      const started = await Promise.all(
        (['api', 'worker', 'worker'] as const).map((mode) => pg.spawn(mode, {}, empty.url)),
      )
      const users = await empty.db.selectFrom('users').select(['email', 'role']).execute()
      expect(users).toEqual([{ email: 'admin@example.com', role: 'admin' }])
      for (const sluice of started) await sluice.stop()
    } finally {
      await empty.close()
    }
  }, 120_000)
})

describe('split processes on SQLite', () => {
  it('refuses start:worker and start:api with a message saying why and what to do', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-refuse-'))
    try {
      for (const mode of ['worker', 'api']) {
        const run = spawnSync(process.execPath, ['--import', 'tsx', 'server/index.ts', `--${mode}`], {
          env: { ...process.env, SLUICE_DATA_DIR: dir, SLUICE_DB: '', PORT: '0' },
          encoding: 'utf8',
        })
        expect(run.status, run.stderr).toBe(1)
        expect(run.stderr).toMatch(
          /needs PostgreSQL \(SLUICE_DB=postgres:\/\/\.\.\.\): SQLite is one process/,
        )
        expect(run.stderr).toMatch(/npm start/)
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }, 60_000)
})
