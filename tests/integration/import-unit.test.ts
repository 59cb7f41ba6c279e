import { expect, it } from 'vitest'
import { importStream, runImportUnit } from '../../server/executor/import-unit.ts'
import { claimDue } from '../../server/executor/leases.ts'
import { useTestApp } from '../support/app.ts'
import { describeEachDialect } from '../support/dialects.ts'
import { sampleSource } from '../support/documents.ts'

describeEachDialect('import units: sample data to stream to profiles', (dialect) => {
  const t = useTestApp(dialect)
  let admin = ''
  let jobId = ''

  const claimAndRun = async () => {
    const { deps, clock } = t()
    const claimed = await claimDue(deps.db, {
      owner: 'w1',
      ttlMs: deps.config.leaseTtlMs,
      now: clock.now(),
      limit: 5,
    })
    expect(claimed.map((job) => job.id)).toEqual([jobId])
    return runImportUnit(deps, claimed[0]!, 'w1')
  }
  const streamCount = async () =>
    (
      await t().send('GET', `/api/streams/${importStream({ provider: 'sample', job_type: 'events' })}`, {
        cookie: admin,
      })
    ).json.messageCount as number

  it('runs a deployed sample source: records land in its stream and become profiles, batch by batch', async () => {
    admin = await t().setupAdmin()
    const document = {
      version: 1,
      nodes: [sampleSource('src', { customers: 25, eventsPerRun: 50, batchSize: 20 })],
      edges: [],
    }
    const created = await t().send('POST', '/api/pipelines', {
      cookie: admin,
      body: { name: 'Sample', document },
    })
    const deployed = await t().send('POST', `/api/pipelines/${created.json.id}/deploy`, {
      cookie: admin,
      body: {},
    })
    jobId = deployed.json.jobs[0].jobId
    const scheduled = (await t().send('GET', `/api/jobs/${jobId}`, { cookie: admin })).json.nextRunAt
    expect(await claimAndRun()).toBe('Synced')
    expect(await streamCount()).toBe(50)
    const profiles = (await t().send('GET', '/api/profiles?limit=1000', { cookie: admin })).json
    expect(profiles.length).toBeGreaterThan(0)
    const job = (await t().send('GET', `/api/jobs/${jobId}`, { cookie: admin })).json
    expect(job).toMatchObject({ status: 'sleeping', sleepReason: 'schedule', consecutiveErrors: 0 })
    expect(job.nextRunAt).toBe(new Date(Date.parse(scheduled) + 15 * 60_000).toISOString())
    const logs = (await t().send('GET', `/api/jobs/${jobId}/logs`, { cookie: admin })).json
    expect(logs.map((l: { event: string }) => l.event)).toEqual(expect.arrayContaining(['Started', 'Synced']))
    const synced = logs.find((l: { event: string }) => l.event === 'Synced')
    expect(synced.message).toMatch(/^Synced: \d+ added, 0 removed, \d+ omitted$/)
    const runs = (await t().send('GET', `/api/jobs/${jobId}/runs`, { cookie: admin })).json
    expect(runs).toHaveLength(1)
    expect(runs[0]).toMatchObject({ dueAt: scheduled, outcome: 'success' })
    expect(runs[0].added).toBeGreaterThan(0)
  })

  it('continues from its checkpoint at the next slot, one run per slot', async () => {
    t().clock.advance(15 * 60_000)
    expect(await claimAndRun()).toBe('Synced')
    expect(await streamCount()).toBe(100)
    const runs = (await t().send('GET', `/api/jobs/${jobId}/runs`, { cookie: admin })).json
    expect(runs).toHaveLength(2)
  })

  it('stores a replayed record once: records are deduplicated by job and record key', async () => {
    const profilesBefore = (await t().send('GET', '/api/profiles?limit=1000', { cookie: admin })).json.length
    // As after a crash before the checkpoint committed: the same records are read again.
    await t().database.db.updateTable('jobs').set({ state: null }).where('id', '=', jobId).execute()
    t().clock.advance(15 * 60_000)
    expect(await claimAndRun()).toBe('Synced')
    expect(await streamCount()).toBe(100)
    expect((await t().send('GET', '/api/profiles?limit=1000', { cookie: admin })).json).toHaveLength(
      profilesBefore,
    )
  })

  it('hands a job back at a batch boundary on shutdown, due at the same slot, its run left open', async () => {
    t().clock.advance(15 * 60_000)
    const { deps, clock } = t()
    const [claimed] = await claimDue(deps.db, { owner: 'w1', ttlMs: 60_000, now: clock.now(), limit: 1 })
    const stop = new AbortController()
    stop.abort()
    expect(await runImportUnit(deps, claimed!, 'w1', { stop: stop.signal })).toBe('Interrupted')
    const job = (await t().send('GET', `/api/jobs/${jobId}`, { cookie: admin })).json
    expect(job).toMatchObject({ status: 'sleeping', nextRunAt: claimed!.next_run_at })
    const open = (await t().send('GET', `/api/jobs/${jobId}/runs`, { cookie: admin })).json
    expect(open.find((run: { dueAt: string }) => run.dueAt === claimed!.next_run_at)).toMatchObject({
      endedAt: null,
    })
    // The next worker continues that slot's run.
    expect(await claimAndRun()).toBe('Synced')
    const runs = (await t().send('GET', `/api/jobs/${jobId}/runs`, { cookie: admin })).json
    expect(runs.filter((run: { dueAt: string }) => run.dueAt === claimed!.next_run_at)).toHaveLength(1)
  })

  it('retries a failing source with back-off, then fails it once errors have lasted 10 hours', async () => {
    await t()
      .database.db.updateTable('jobs')
      .set({ config: '{"customers":-1}' })
      .where('id', '=', jobId)
      .execute()
    t().clock.advance(15 * 60_000)
    expect(await claimAndRun()).toBe('Error')
    let job = (await t().send('GET', `/api/jobs/${jobId}`, { cookie: admin })).json
    expect(job).toMatchObject({ status: 'sleeping', sleepReason: 'retry', consecutiveErrors: 1 })
    expect(job.lastError).toMatch(/configuration is invalid/)
    const logs = (await t().send('GET', `/api/jobs/${jobId}/logs?event=Error`, { cookie: admin })).json
    expect(logs[0].message).toMatch(/Check the configuration\. Retrying at /)
    // Nine hours and more of errors later, still retrying; at ten, failed.
    t().clock.advance(9 * 3_600_000 + 59 * 60_000)
    expect(await claimAndRun()).toBe('Error')
    t().clock.advance(60_000)
    expect(await claimAndRun()).toBe('Failed')
    job = (await t().send('GET', `/api/jobs/${jobId}`, { cookie: admin })).json
    expect(job).toMatchObject({ status: 'failed', nextRunAt: null, consecutiveErrors: 3 })
    const runs = (await t().send('GET', `/api/jobs/${jobId}/runs`, { cookie: admin })).json
    expect(runs.filter((run: { outcome: string }) => run.outcome === 'error')).toHaveLength(3)
    expect(
      await claimDue(t().deps.db, { owner: 'w1', ttlMs: 60_000, now: t().clock.now(), limit: 5 }),
    ).toEqual([])
  })
})
