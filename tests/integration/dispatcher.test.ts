import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { examplePipeline } from '../../nodes/examples.ts'
import { systemClock } from '../../server/clock.ts'
import { createDispatcher } from '../../server/executor/dispatcher.ts'
import { useTestApp } from '../support/app.ts'
import { describeEachDialect } from '../support/dialects.ts'
import { sampleSource } from '../support/documents.ts'
import { ADMIN_ENV, type RunningSluice, signInRemote, startSluice } from '../support/server.ts'

describeEachDialect('dispatcher: claims due imports, run now', (dialect) => {
  const t = useTestApp(dialect)
  let admin = ''
  const jobs: string[] = []
  const runs = async (id: string) =>
    (await t().send('GET', `/api/jobs/${id}/runs`, { cookie: admin })).json.length

  it('runs every due import, at most SLUICE_WORKER_CONCURRENCY at once', async () => {
    admin = await t().setupAdmin()
    const nodes = [1, 2, 3].map((n) => sampleSource(`s${n}`, { seed: n, eventsPerRun: 10, batchSize: 5 }))
    const created = await t().send('POST', '/api/pipelines', {
      cookie: admin,
      body: { name: 'Three sources', document: { version: 1, nodes, edges: [] } },
    })
    const deployed = await t().send('POST', `/api/pipelines/${created.json.id}/deploy`, {
      cookie: admin,
      body: {},
    })
    jobs.push(...deployed.json.jobs.map((job: { jobId: string }) => job.jobId))
    const config = t().deps.config as { workerConcurrency: number }
    const concurrency = config.workerConcurrency
    config.workerConcurrency = 2
    try {
      await t().deps.dispatcher.tick()
      expect((await Promise.all(jobs.map(runs))).sort()).toEqual([0, 1, 1])
      await t().deps.dispatcher.tick()
      expect(await Promise.all(jobs.map(runs))).toEqual([1, 1, 1])
    } finally {
      config.workerConcurrency = concurrency
    }
    await t().deps.dispatcher.tick()
    expect(await Promise.all(jobs.map(runs))).toEqual([1, 1, 1])
  })

  it('runs a sleeping job at once on request, and refuses one that is not sleeping', async () => {
    const [first, second] = jobs as [string, string]
    t().clock.advance(60_000)
    const run = await t().send('POST', `/api/jobs/${first}/run`, { cookie: admin })
    expect(run.status).toBe(200)
    expect(run.json.nextRunAt).toBe(t().clock.now().toISOString())
    await t().deps.dispatcher.tick()
    expect(await runs(first)).toBe(2)
    expect(await runs(second)).toBe(1)
    await t().send('POST', `/api/jobs/${second}/pause`, { cookie: admin })
    const refused = await t().send('POST', `/api/jobs/${second}/run`, { cookie: admin })
    expect(refused.status).toBe(409)
    expect(refused.json.error.message).toMatch(/paused; resume it instead/)
    expect((await t().send('POST', '/api/jobs/nope/run', { cookie: admin })).status).toBe(404)
  })
})

describe('out of the box: the example pipeline turns sample data into profiles', () => {
  let sluice: RunningSluice
  beforeAll(async () => {
    sluice = await startSluice({
      SLUICE_SKIP_CLIENT_BUILD: '1',
      ...ADMIN_ENV,
    })
  }, 200_000)
  afterAll(async () => {
    await sluice?.stop()
  })

  it('deploys the example and finds people in the profiles within seconds', async () => {
    const admin = await signInRemote(sluice.base)
    const { id } = (await admin.call('POST', '/api/pipelines', examplePipeline())).json as { id: string }
    expect((await admin.call('POST', `/api/pipelines/${id}/deploy`, {})).status).toBe(200)
    const cookie = admin.cookie
    let profiles: unknown[] = []
    for (let tries = 0; tries < 100 && profiles.length === 0; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      profiles = (await (
        await fetch(`${sluice.base}/api/profiles`, { headers: { cookie } })
      ).json()) as unknown[]
    }
    expect(profiles.length).toBeGreaterThan(0)
    const streams = (await (await fetch(`${sluice.base}/api/streams`, { headers: { cookie } })).json()) as {
      name: string
      messageCount: number
    }[]
    expect(streams.find((stream) => stream.name === 'sample.events')?.messageCount).toBeGreaterThan(0)
  })
})

describeEachDialect('dispatcher: on time', (dialect) => {
  const t = useTestApp(dialect)

  it('wakes at the earliest job’s due time, not at the next one-second poll', async () => {
    const admin = await t().setupAdmin()
    const document = { version: 1, nodes: [sampleSource('s', { eventsPerRun: 5 })], edges: [] }
    const created = await t().send('POST', '/api/pipelines', {
      cookie: admin,
      body: { name: 'On time', document },
    })
    const deployed = await t().send('POST', `/api/pipelines/${created.json.id}/deploy`, {
      cookie: admin,
      body: {},
    })
    const jobId = deployed.json.jobs[0].jobId as string
    // Due half-way between two whole seconds, where croner's one-second poll fires.
    const due = new Date(Math.ceil(Date.now() / 1000) * 1000 + 1500)
    await t()
      .database.db.updateTable('jobs')
      .set({ next_run_at: due.toISOString() })
      .where('id', '=', jobId)
      .execute()
    const dispatcher = createDispatcher({ ...t().deps, clock: systemClock })
    dispatcher.start()
    try {
      let run: { started_at: string; due_at: string } | undefined
      while (!run) {
        await new Promise((resolve) => setTimeout(resolve, 20))
        run = await t().database.db.selectFrom('job_runs').select(['started_at', 'due_at']).executeTakeFirst()
      }
      expect(run.due_at).toBe(due.toISOString())
      const late = Date.parse(run.started_at) - due.getTime()
      expect(late).toBeGreaterThanOrEqual(0)
      expect(late).toBeLessThan(150)
    } finally {
      await dispatcher.stop()
    }
  })
})
