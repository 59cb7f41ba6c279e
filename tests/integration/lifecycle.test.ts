import { describe, expect, it } from 'vitest'
import type { Cadence } from '../../nodes/cadence.ts'
import { createDispatcher } from '../../server/executor/dispatcher.ts'
import { useTestApp } from '../support/app.ts'
import { describeEachDialect } from '../support/dialects.ts'
import { edge, fileDestination } from '../support/documents.ts'
import { registerScriptedSource, type ScriptedConfig, scriptedSource } from '../support/scripted-source.ts'

registerScriptedSource()

const HOUR = 3_600_000

/** The whole lifecycle of DESIGN.md §4, driven by the scripted source and a hand-moved clock. */
describeEachDialect(
  'job lifecycle: run, sleep, retry, rate limits, fail, pause, resume, complete',
  (dialect) => {
    const t = useTestApp(dialect)
    let admin = ''

    async function deploy(config: Partial<ScriptedConfig>, cadence?: Cadence): Promise<string> {
      admin ||= await t().setupAdmin()
      const created = await t().send('POST', '/api/pipelines', {
        cookie: admin,
        body: {
          name: `Scripted ${Math.random()}`,
          document: { version: 1, nodes: [scriptedSource('s', config, cadence)], edges: [] },
        },
      })
      const deployed = await t().send('POST', `/api/pipelines/${created.json.id}/deploy`, {
        cookie: admin,
        body: {},
      })
      expect(deployed.status).toBe(200)
      return deployed.json.jobs[0].jobId as string
    }
    const job = async (id: string) => (await t().send('GET', `/api/jobs/${id}`, { cookie: admin })).json
    const events = async (id: string) =>
      (
        (await t().send('GET', `/api/jobs/${id}/logs?limit=200`, { cookie: admin })).json as {
          event: string
        }[]
      ).map((log) => log.event)
    /** The newest log line of `event`. */
    const logOf = async (id: string, event: string) =>
      (await t().send('GET', `/api/jobs/${id}/logs?event=${event}`, { cookie: admin })).json.at(-1)
    /** Runs, oldest first (the API lists the newest first). */
    const runs = async (id: string) =>
      (await t().send('GET', `/api/jobs/${id}/runs`, { cookie: admin })).json.reverse()
    /** Moves the clock to the job's next run (or `at`, when later) and runs what is due. */
    async function runDue(id: string, at?: number) {
      const due = Date.parse((await job(id)).nextRunAt)
      t().clock.set(new Date(Math.max(due, at ?? 0, t().clock.now().getTime())))
      await t().deps.dispatcher.tick()
    }

    it('runs on schedule, sums one Synced per run, and logs who deployed it', async () => {
      const id = await deploy({ records: 12, batchSize: 5 }, { every: '1h' })
      expect(await logOf(id, 'Deployed')).toMatchObject({ message: expect.stringMatching(/Ada Admin/) })
      const first = Date.parse((await job(id)).nextRunAt)
      await runDue(id)
      expect(await job(id)).toMatchObject({
        status: 'sleeping',
        sleepReason: 'schedule',
        consecutiveErrors: 0,
      })
      expect((await job(id)).nextRunAt).toBe(new Date(first + HOUR).toISOString())
      expect(await events(id)).toEqual(['Deployed', 'Started', 'Synced'])
      expect((await logOf(id, 'Synced')).message).toBe('Synced: 12 added, 0 removed, 0 omitted')
      // Not due yet: nothing runs a minute early.
      t().clock.set(new Date(first + HOUR - 60_000))
      await t().deps.dispatcher.tick()
      expect(await runs(id)).toHaveLength(1)
      await runDue(id)
      expect(await events(id)).toEqual(['Deployed', 'Started', 'Synced', 'Synced'])
      expect((await runs(id)).map((run: { added: number }) => run.added)).toEqual([12, 12])
    })

    it('retries transient and auth errors with back-off, and one success resets the streak', async () => {
      const id = await deploy({ steps: ['transient', 'auth', 'ok', 'transient'] })
      await runDue(id)
      let state = await job(id)
      expect(state).toMatchObject({ status: 'sleeping', sleepReason: 'retry', consecutiveErrors: 1 })
      const firstErrorAt = state.firstErrorAt
      // 30 s base, less up to a fifth of jitter.
      const wait = Date.parse(state.nextRunAt) - t().clock.now().getTime()
      expect(wait).toBeGreaterThanOrEqual(24_000)
      expect(wait).toBeLessThanOrEqual(30_000)
      const error = await logOf(id, 'Error')
      expect(error.message).toBe(`HTTP 503 Service Unavailable. Retrying at ${state.nextRunAt}`)
      expect(error.details).toMatchObject({ kind: 'transient', code: '503', retryAt: state.nextRunAt })
      await runDue(id)
      state = await job(id)
      expect(state).toMatchObject({ consecutiveErrors: 2, firstErrorAt, sleepReason: 'retry' })
      expect(state.lastError).toMatch(/API key was refused/)
      expect((await logOf(id, 'Error')).message).toMatch(/Check the authorization\. Retrying at /)
      const second = Date.parse(state.nextRunAt) - t().clock.now().getTime()
      expect(second).toBeGreaterThanOrEqual(48_000)
      expect(second).toBeLessThanOrEqual(60_000)
      await runDue(id)
      expect(await job(id)).toMatchObject({ status: 'sleeping', consecutiveErrors: 0, firstErrorAt: null })
      await runDue(id)
      expect(await job(id)).toMatchObject({ consecutiveErrors: 1, sleepReason: 'retry' })
      expect((await runs(id)).map((run: { outcome: string }) => run.outcome)).toEqual([
        'error',
        'error',
        'success',
        'error',
      ])
    })

    it('fails at the first failing unit at or after 10 hours of errors; a success at 9h59m resets the rule', async () => {
      const id = await deploy({ steps: ['transient', 'transient', 'ok', 'transient'] })
      await runDue(id)
      const start = Date.parse((await job(id)).firstErrorAt)
      await runDue(id, start + 9 * HOUR)
      await runDue(id, start + 9 * HOUR + 59 * 60_000)
      expect(await job(id)).toMatchObject({ status: 'sleeping', consecutiveErrors: 0 })
      // Errors again: the ten hours count from this new first error, not the old one.
      await runDue(id, start + 10 * HOUR + 60_000)
      const restarted = Date.parse((await job(id)).firstErrorAt)
      expect(restarted).toBe(start + 10 * HOUR + 60_000)
      await runDue(id, restarted + 10 * HOUR - 1)
      expect(await job(id)).toMatchObject({ status: 'sleeping', sleepReason: 'retry' })
      await runDue(id, restarted + 10 * HOUR)
      const failed = await job(id)
      expect(failed).toMatchObject({ status: 'failed', nextRunAt: null, sleepReason: null })
      expect(Date.parse(failed.statusChangedAt)).toBeGreaterThanOrEqual(restarted + 10 * HOUR)
      expect(failed.purgesAt).toBe(
        new Date(Date.parse(failed.statusChangedAt) + 90 * 24 * HOUR).toISOString(),
      )
      expect((await logOf(id, 'Failed')).message).toMatch(/resume it once the cause is fixed/)
      // Failed is terminal until resumed: a day later nothing has run.
      const count = (await runs(id)).length
      t().clock.advance(24 * HOUR)
      await t().deps.dispatcher.tick()
      expect(await runs(id)).toHaveLength(count)
      const resumed = await t().send('POST', `/api/jobs/${id}/resume`, { cookie: admin })
      expect(resumed.json).toMatchObject({ status: 'sleeping', consecutiveErrors: 0, firstErrorAt: null })
      expect(resumed.json.nextRunAt).toBe(t().clock.now().toISOString())
      expect((await events(id)).slice(-2)).toEqual(['Failed', 'Resumed'])
    })

    it('sleeps until the provider’s Retry-After on a 429, without counting an error', async () => {
      const id = await deploy({ steps: ['rate_limited', 'ok'], retryAfterSeconds: 120 })
      await runDue(id)
      const limited = await job(id)
      const at = t().clock.now().getTime()
      expect(limited).toMatchObject({ status: 'sleeping', sleepReason: 'rate_limit', consecutiveErrors: 0 })
      expect(limited.nextRunAt).toBe(new Date(at + 120_000).toISOString())
      expect((await logOf(id, 'Sleeping')).message).toBe(
        `Rate-limited by the provider: sleeping until ${limited.nextRunAt}`,
      )
      t().clock.set(new Date(at + 119_000))
      await t().deps.dispatcher.tick()
      expect(await runs(id)).toHaveLength(1)
      t().clock.set(new Date(at + 120_000))
      await t().deps.dispatcher.tick()
      expect(await job(id)).toMatchObject({ status: 'sleeping', sleepReason: 'schedule' })
    })

    it('completes a one-time import once its source is done, and never runs it again', async () => {
      const id = await deploy({ records: 100, total: 30, batchSize: 7 }, 'once')
      await runDue(id)
      expect(await job(id)).toMatchObject({ status: 'completed', nextRunAt: null })
      expect((await events(id)).slice(-2)).toEqual(['Synced', 'Completed'])
      expect((await logOf(id, 'Synced')).message).toBe('Synced: 30 added, 0 removed, 0 omitted')
      expect((await t().send('POST', `/api/jobs/${id}/run`, { cookie: admin })).status).toBe(409)
      expect((await t().send('POST', `/api/jobs/${id}/resume`, { cookie: admin })).status).toBe(409)
      expect((await t().send('POST', `/api/jobs/${id}/pause`, { cookie: admin })).status).toBe(409)
    })

    it('pauses in the middle of a multi-batch unit at a batch boundary; resume continues from the checkpoint', async () => {
      const id = await deploy({ records: 400, batchSize: 10, batchDelayMs: 15 })
      // Other tests' jobs write to the same stream: count this job's records.
      const stream = async () =>
        Number(
          (
            await t()
              .database.db.selectFrom('raw_messages')
              .select((eb) => eb.fn.countAll().as('n'))
              .where('job_id', '=', id)
              .executeTakeFirstOrThrow()
          ).n,
        )
      const before = 0
      t().clock.set((await job(id)).nextRunAt)
      const running = t().deps.dispatcher.tick()
      while ((await stream()) - before < 30) await new Promise((resolve) => setTimeout(resolve, 5))
      const paused = await t().send('POST', `/api/jobs/${id}/pause`, { cookie: admin })
      expect(paused.json.status).toBe('paused')
      await running
      const stored = (await stream()) - before
      expect(stored).toBeGreaterThanOrEqual(30)
      expect(stored).toBeLessThan(400)
      expect(stored % 10).toBe(0)
      const afterPause = await job(id)
      expect(afterPause).toMatchObject({ status: 'paused', nextRunAt: null })
      expect(afterPause.checkpoint).toEqual({ offset: stored })
      expect(await events(id)).toEqual(['Deployed', 'Started', 'Paused'])
      expect((await runs(id))[0].outcome).toBe('paused')
      // Paused: nothing runs however long we wait.
      t().clock.advance(48 * HOUR)
      await t().deps.dispatcher.tick()
      expect(await stream()).toBe(before + stored)
      await t().send('POST', `/api/jobs/${id}/resume`, { cookie: admin })
      await t().deps.dispatcher.tick()
      expect(await stream()).toBe(before + stored + 400)
      expect((await job(id)).checkpoint).toEqual({ offset: stored + 400 })
    })
  },
)

/**
 * Leases on SQLite run on the injected clock, so a lease can expire under a live worker here; on
 * PostgreSQL (the database's clock) the same is shown with real processes and SIGSTOP.
 */
describe('a connector that hangs past its lease', () => {
  const t = useTestApp('sqlite')

  it('commits nothing once its lease is gone: another worker continues from the checkpoint', async () => {
    const admin = await t().setupAdmin()
    const document = {
      version: 1,
      nodes: [
        scriptedSource('s', { steps: ['hang', 'ok'], batchesBeforeStep: 1, records: 10, batchSize: 5 }),
      ],
      edges: [],
    }
    const created = await t().send('POST', '/api/pipelines', {
      cookie: admin,
      body: { name: 'Hang', document },
    })
    const id = (
      await t().send('POST', `/api/pipelines/${created.json.id}/deploy`, { cookie: admin, body: {} })
    ).json.jobs[0].jobId as string
    const keys = async () =>
      (
        await t()
          .database.db.selectFrom('raw_messages')
          .select('record_key')
          .where('job_id', '=', id)
          .execute()
      ).map((row) => row.record_key)
    const shortLease = { ...t().deps, config: { ...t().deps.config, leaseTtlMs: 3000 } }
    const first = createDispatcher(shortLease)
    const hung = first.tick()
    while ((await keys()).length < 5) await new Promise((resolve) => setTimeout(resolve, 5))
    // The worker is stuck in its connector; its lease runs out.
    t().clock.advance(10_000)
    await createDispatcher(shortLease).tick()
    await hung
    const stored = await keys()
    expect(stored.sort()).toEqual(Array.from({ length: 15 }, (_, n) => `r${n}`).sort())
    const job = (await t().send('GET', `/api/jobs/${id}`, { cookie: admin })).json
    // A lost lease is no connector error.
    expect(job).toMatchObject({ status: 'sleeping', consecutiveErrors: 0, checkpoint: { offset: 15 } })
    const runs = (await t().send('GET', `/api/jobs/${id}/runs`, { cookie: admin })).json
    expect(runs).toHaveLength(1)
    expect(runs[0]).toMatchObject({ outcome: 'success', added: 15 })
  })
})

describeEachDialect('after: upstream', (dialect) => {
  const t = useTestApp(dialect)

  it('wakes the exports a source feeds when it commits new data, and only then', async () => {
    const admin = await t().setupAdmin()
    const withCadence = (id: string, cadence: Cadence) => {
      const node = fileDestination(id)
      return { ...node, data: { ...node.data, cadence } }
    }
    const pipeline = async (records: number) => {
      const document = {
        version: 1,
        nodes: [
          scriptedSource('s', { records }),
          withCadence('fed', { after: 'upstream' }),
          withCadence('paused', { after: 'upstream' }),
          withCadence('hourly', { every: '1h' }),
        ],
        edges: [edge('s', 'fed'), edge('s', 'paused'), edge('s', 'hourly')],
      }
      const created = await t().send('POST', '/api/pipelines', {
        cookie: admin,
        body: { name: `P${records}`, document },
      })
      const deployed = await t().send('POST', `/api/pipelines/${created.json.id}/deploy`, {
        cookie: admin,
        body: {},
      })
      expect(deployed.status, deployed.text).toBe(200)
      return Object.fromEntries(
        (deployed.json.jobs as { nodeId: string; jobId: string }[]).map((job) => [job.nodeId, job.jobId]),
      )
    }
    const detail = async (id: string) => (await t().send('GET', `/api/jobs/${id}`, { cookie: admin })).json
    const withData = await pipeline(5)
    const without = await pipeline(0)
    expect(await detail(withData.fed!)).toMatchObject({ status: 'sleeping', nextRunAt: null })
    expect(await detail(without.fed!)).toMatchObject({ status: 'sleeping', nextRunAt: null })
    await t().send('POST', `/api/jobs/${withData.paused}/pause`, { cookie: admin })
    const hourly = (await detail(withData.hourly!)).nextRunAt
    t().clock.advance(1000)
    await t().deps.dispatcher.tick()
    const now = t().clock.now().toISOString()
    expect((await detail(withData.s!)).lastSuccessAt).toBe(now)
    expect((await detail(without.s!)).lastSuccessAt).toBe(now)
    expect((await detail(withData.fed!)).nextRunAt).toBe(now)
    expect(await detail(withData.paused!)).toMatchObject({ status: 'paused', nextRunAt: null })
    // The hourly export keeps to its own schedule: it ran at its slot, and is next due an hour on.
    expect((await detail(withData.hourly!)).nextRunAt).toBe(
      new Date(Date.parse(hourly) + 3_600_000).toISOString(),
    )
    // The source that read nothing new wakes nobody.
    expect((await detail(without.fed!)).nextRunAt).toBeNull()
  })
})

describeEachDialect('cron across daylight-saving changes, through the dispatcher', (dialect) => {
  const t = useTestApp(dialect)

  it('runs daily 02:30 and 01:30 jobs in New York and Berlin once per local day for a year; a clock stepping back repeats nothing', async () => {
    const admin = await t().setupAdmin()
    const zones = [
      ['America/New_York', '30 2 * * *'],
      ['America/New_York', '30 1 * * *'],
      ['Europe/Berlin', '30 2 * * *'],
      ['Europe/Berlin', '30 1 * * *'],
    ] as const
    const nodes = zones.map(([timezone, cron], n) =>
      scriptedSource(`s${n}`, { records: 0 }, { cron, timezone }),
    )
    const created = await t().send('POST', '/api/pipelines', {
      cookie: admin,
      body: { name: 'DST', document: { version: 1, nodes, edges: [] } },
    })
    t().clock.set('2026-01-01T00:00:00.000Z')
    const deployed = await t().send('POST', `/api/pipelines/${created.json.id}/deploy`, {
      cookie: admin,
      body: {},
    })
    const ids = zones.map(
      (_, n) => deployed.json.jobs.find((job: { nodeId: string }) => job.nodeId === `s${n}`).jobId,
    )
    const db = t().database.db
    for (let step = 0; ; step++) {
      const next = await db
        .selectFrom('jobs')
        .select('next_run_at')
        .where('id', 'in', ids)
        .orderBy('next_run_at')
        .limit(1)
        .executeTakeFirstOrThrow()
      if (next.next_run_at! >= '2027-01-01') break
      // Each run is a minute late; now and then the clock steps back an hour after it.
      t().clock.set(new Date(Date.parse(next.next_run_at!) + 60_000))
      await t().deps.dispatcher.tick()
      if (step % 7 === 0) {
        t().clock.advance(-3_600_000)
        await t().deps.dispatcher.tick()
        t().clock.advance(3_600_000)
      }
    }
    for (const [n, [timezone]] of zones.entries()) {
      const runs = await db.selectFrom('job_runs').select('due_at').where('job_id', '=', ids[n]).execute()
      const days = runs.map((run) =>
        new Intl.DateTimeFormat('en-CA', { timeZone: timezone, dateStyle: 'short' }).format(
          new Date(run.due_at),
        ),
      )
      expect(days.length).toBe(365)
      expect(new Set(days).size).toBe(365)
    }
  }, 120_000)
})
