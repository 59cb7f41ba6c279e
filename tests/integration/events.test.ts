import { sql } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, expect, it } from 'vitest'
import {
  OUTBOX_START,
  outboxBounds,
  parsePosition,
  positionId,
  readOutbox,
  trimOutbox,
} from '../../server/db/outbox.repo.ts'
import { createEventHub, type EventSink } from '../../server/events/hub.ts'
import { createLogger } from '../../server/log.ts'
import { listen, ORIGIN, useTestApp } from '../support/app.ts'
import { until } from '../support/crash.ts'
import { describeEachDialect } from '../support/dialects.ts'
import { deployPipeline } from '../support/pipelines.ts'
import { registerScriptedSource, scriptedSource } from '../support/scripted-source.ts'
import { openEvents } from '../support/sse.ts'

registerScriptedSource()

describeEachDialect('live events: the outbox behind GET /api/events', (dialect) => {
  const t = useTestApp(dialect)
  let server: Awaited<ReturnType<typeof listen>>
  let admin = ''
  beforeAll(async () => {
    server = await listen(t().app)
    admin = await t().setupAdmin()
  })
  afterAll(async () => {
    await server?.close()
  })

  const deployScripted = async (name: string) => {
    const document = { version: 1, nodes: [scriptedSource('s', { records: 10, batchSize: 5 })], edges: [] }
    return (await deployPipeline(t(), admin, name, document)).jobOf('s')
  }
  const runNow = async (jobId: string) => {
    t().clock.advance(1000)
    const asked = await t().send('POST', `/api/jobs/${jobId}/run`, { cookie: admin })
    expect(asked.status, asked.text).toBe(200)
    await t().deps.dispatcher.tick()
  }
  /** The event ids of a job's events readers can see, after `after`, in reading order. */
  const outboxIds = async (jobId: string, after?: string) =>
    (await readOutbox(t().database.db, after ? parsePosition(after)! : OUTBOX_START, 100_000))
      .filter((row) => row.job_id === jobId)
      .map((row) => positionId(row.position))
  const synced = (jobId: string) => (e: { topic: string; data: Record<string, unknown> }) =>
    e.topic === 'job.log' && e.data.event === 'Synced' && e.data.jobId === jobId

  it("streams a job's status, progress, metrics and log lines as their transactions commit", async () => {
    const job = await deployScripted('live')
    const sse = await openEvents(`${server.url}/api/events?jobs=${job}`, { cookie: admin })
    await runNow(job)
    await sse.until(synced(job))
    const topics = sse.received.map((e) => `${e.topic}${e.topic === 'job.status' ? `:${e.data.status}` : ''}`)
    // Run now (due at once), claimed, two batches of progress and metrics, the run's log, asleep again.
    expect(topics[0]).toBe('job.status:sleeping')
    expect(topics).toContain('job.status:running')
    expect(topics.indexOf('job.status:running')).toBeLessThan(sse.received.findIndex(synced(job)))
    const progress = sse.received.filter((e) => e.topic === 'job.progress').map((e) => e.data.added)
    expect(progress).toEqual([5, 10])
    const metrics = sse.received.filter((e) => e.topic === 'job.metrics').at(-1)!
    expect(metrics.data).toMatchObject({ jobId: job, added: 10, removed: 0, omitted: 0 })
    const log = sse.received.find(synced(job))!
    expect(log.data).toMatchObject({
      message: 'Synced: 10 added, 0 removed, 0 omitted',
      details: { added: 10 },
    })
    await sse.until((e) => e.topic === 'job.status' && e.data.status === 'sleeping', 10_000, 1)
    // Exactly the outbox rows of this job, each once, in the outbox's order.
    const ids = sse.received.map((e) => e.id)
    const kept = await outboxIds(job)
    expect(ids).toEqual(kept.slice(kept.indexOf(ids[0]!)))
    const status = (await t().send('GET', `/api/jobs/${job}`, { cookie: admin })).json
    expect(sse.received.filter((e) => e.topic === 'job.status').at(-1)!.data).toMatchObject({
      jobId: job,
      status: 'sleeping',
      nextRunAt: status.nextRunAt,
    })
    sse.close()
  })

  it('resumes after Last-Event-ID (header or query) with no gap and no repeat', async () => {
    const job = await deployScripted('resume')
    const first = await openEvents(`${server.url}/api/events?jobs=${job}`, { cookie: admin })
    await runNow(job)
    await first.until(synced(job))
    first.close()
    const last = first.received.at(-1)!.id
    // Meanwhile, while nobody listens: two more runs.
    await runNow(job)
    await runNow(job)
    const missed = await outboxIds(job, last)
    expect(missed.length).toBeGreaterThan(8)
    const resumed = await openEvents(`${server.url}/api/events?jobs=${job}`, {
      cookie: admin,
      lastEventId: last,
    })
    await resumed.until((e) => e.id === missed.at(-1))
    await runNow(job)
    await resumed.until(synced(job), 10_000, missed.length)
    const all = await outboxIds(job, last)
    await resumed.until((e) => e.id === all.at(-1))
    expect(resumed.received.map((e) => e.id)).toEqual(all)
    resumed.close()
    const byQuery = await openEvents(`${server.url}/api/events?jobs=${job}&lastEventId=${missed[2]}`, {
      cookie: admin,
    })
    await byQuery.until((e) => e.id === all.at(-1))
    expect(byQuery.received.map((e) => e.id)).toEqual(all.slice(3))
    byQuery.close()
  })

  it('filters by pipeline and topic, and refuses what it cannot serve', async () => {
    const mine = await deployPipeline(t(), admin, 'mine', {
      version: 1,
      nodes: [scriptedSource('s', { records: 4, batchSize: 4 })],
      edges: [],
    })
    const other = await deployScripted('other')
    const pipelineId = (await t().send('GET', `/api/jobs/${mine.jobOf('s')}`, { cookie: admin })).json
      .pipelineId as string
    const sse = await openEvents(
      `${server.url}/api/events?pipeline=${pipelineId}&topics=job.log,pipeline.deployed`,
      {
        cookie: admin,
      },
    )
    await runNow(other)
    await runNow(mine.jobOf('s'))
    await mine.redeploy({ version: 1, nodes: [scriptedSource('s', { records: 5, batchSize: 5 })], edges: [] })
    await sse.until((e) => e.topic === 'pipeline.deployed')
    await sse.until(synced(mine.jobOf('s')))
    expect(new Set(sse.received.map((e) => e.topic))).toEqual(new Set(['job.log', 'pipeline.deployed']))
    expect(
      sse.received.every((e) => e.data.pipelineId === pipelineId || e.data.jobId === mine.jobOf('s')),
    ).toBe(true)
    expect(sse.received.find((e) => e.topic === 'pipeline.deployed')!.data).toMatchObject({
      pipelineId,
      version: 2,
    })
    sse.close()

    const get = (path: string, headers: Record<string, string> = {}) =>
      fetch(`${server.url}${path}`, { headers: { cookie: admin, ...headers } })
    expect((await fetch(`${server.url}/api/events`)).status).toBe(401)
    for (const [path, headers] of [
      ['/api/events?topics=job.nope', {}],
      ['/api/events?lastEventId=abc', {}],
      [`/api/events?jobs=${Array.from({ length: 201 }, (_, n) => `j${n}`).join(',')}`, {}],
      ['/api/events?color=red', {}],
      ['/api/events', { 'last-event-id': '12; drop' }],
    ] as const) {
      const answer = await get(path, headers)
      expect(answer.status, path).toBe(400)
      expect((await answer.json()).error.code).toBe('ValidationFailed')
    }
    const viewer = (await t().addUser(admin, 'viewer')).cookie
    const watching = await openEvents(`${server.url}/api/events`, { cookie: viewer })
    watching.close()
  })

  it('tells a client whose events were trimmed to reload, then carries on live', async () => {
    const job = await deployScripted('trimmed')
    await runNow(job)
    expect(await trimOutbox(t().database.db, '9999-01-01T00:00:00.000Z', 7)).toBeGreaterThan(0)
    const kept = await t().database.db.selectFrom('outbox').select('seq').execute()
    expect(kept).toHaveLength(1)
    const sse = await openEvents(`${server.url}/api/events?jobs=${job}`, { cookie: admin, lastEventId: '1' })
    await sse.until((e) => e.topic === 'reset')
    await runNow(job)
    await sse.until(synced(job))
    expect(sse.received[0]!.topic).toBe('reset')
    sse.close()
  })

  it('writes no event for a change that rolls back, and serves app.request clients from a web stream', async () => {
    const job = await deployScripted('rollback')
    const before = await outboxIds(job)
    await expect(
      t()
        .database.db.transaction()
        .execute(async (trx) => {
          await trx.updateTable('jobs').set({ status: 'paused' }).where('id', '=', job).execute()
          throw new Error('changed my mind')
        }),
    ).rejects.toThrow('changed my mind')
    expect(await outboxIds(job)).toEqual(before)

    const response = await t().app.request(`/api/events?jobs=${job}&lastEventId=${before.at(-2)}`, {
      headers: { cookie: admin, origin: ORIGIN },
    })
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/)
    const reader = response.body!.getReader()
    let text = ''
    while (!text.includes(`id: ${before.at(-1)}\n`) || !text.includes('retry: 3000'))
      text += new TextDecoder().decode((await reader.read()).value)
    expect(text).toMatch(/retry: 3000\n\n/)
    expect(text).not.toContain(`id: ${before.at(-2)}\n`)
    await reader.cancel()
  })

  it('keeps idle streams open with comment heartbeats, and drops a client that cannot keep up', async () => {
    const hub = createEventHub({
      db: t().database.db,
      logger: createLogger({ level: 'silent' }),
      pollMs: 20,
      heartbeatMs: 30,
    })
    const frames: string[] = []
    let closed = 0
    const idle: EventSink = {
      filter: {},
      position: OUTBOX_START,
      write: (frame) => frames.push(frame) > 0,
      close: () => closed++,
    }
    await hub.subscribe(idle)
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(frames.filter((frame) => frame === ': keep-alive\n\n').length).toBeGreaterThanOrEqual(2)
    // A client whose buffer is full (write answers false) is let go; it resumes by Last-Event-ID.
    const slow: EventSink = { filter: {}, position: OUTBOX_START, write: () => false, close: () => closed++ }
    await hub.subscribe(slow)
    await deployScripted('heartbeat')
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(closed).toBe(1)
    expect(hub.size).toBe(1)
    await hub.stop()
    expect(closed).toBe(2)
  })

  if (dialect === 'postgres') {
    it('rings the outbox only while this process has clients; the events are written either way (PostgreSQL)', async () => {
      const job = await deployScripted('rung')
      const db = t().database.db
      const listener = new pg.Client({ connectionString: t().deps.config.db })
      await listener.connect()
      const heard: string[] = []
      listener.on('notification', (notice) => heard.push(notice.channel))
      await listener.query('listen sluice_outbox; listen sluice_probe')
      /** Outbox notices since the last call: notices arrive in commit order, so once the probe sent after the change is heard, the change's would have been. */
      const rung = async (from: number) => {
        await sql`select pg_notify('sluice_probe', '')`.execute(db)
        await until('the probe', () => heard.slice(from).includes('sluice_probe'))
        return heard.slice(from).filter((channel) => channel === 'sluice_outbox').length
      }
      /** Pauses or resumes the job; answers how many outbox notices the change rang. */
      const act = async (action: 'pause' | 'resume') => {
        const from = heard.length
        const answer = await t().send('POST', `/api/jobs/${job}/${action}`, { cookie: admin })
        expect(answer.status, answer.text).toBe(200)
        return rung(from)
      }
      const listeners = async () => (await db.selectFrom('outbox_listeners').select('id').execute()).length
      try {
        await until(
          'no clients from earlier tests',
          async () => t().deps.hub.size === 0 && (await listeners()) === 0,
        )
        const before = (await outboxBounds(db)).last!
        expect(await act('pause')).toBe(0)
        expect((await readOutbox(db, before, 100)).map((row) => [row.job_id, row.topic])).toContainEqual([
          job,
          'job.status',
        ])

        const sse = await openEvents(`${server.url}/api/events?jobs=${job}`, { cookie: admin })
        expect(await listeners()).toBe(1)
        expect(await act('resume')).toBeGreaterThan(0)
        await sse.until((e) => e.topic === 'job.status' && e.data.status === 'sleeping')
        sse.close()
        await until('the hub to go idle', async () => (await listeners()) === 0)
        expect(await act('pause')).toBe(0)
      } finally {
        await listener.end()
      }
    })

    it('never lets a reader pass an event that commits later, whatever order transactions commit in (PostgreSQL)', async () => {
      const a = await deployScripted('order-a')
      const b = await deployScripted('order-b')
      const db = t().database.db
      const seen = (await outboxBounds(db)).last!
      let release = () => {}
      const held = new Promise<void>((resolve) => {
        release = resolve
      })
      let updated = () => {}
      const changed = new Promise<void>((resolve) => {
        updated = resolve
      })
      // A writes first and commits last. B's event commits while A is open: a reader that took
      // it then would pass A's for good, so readers see neither until A ends.
      const slow = db.transaction().execute(async (trx) => {
        await trx.updateTable('jobs').set({ status: 'paused' }).where('id', '=', a).execute()
        updated()
        await held
      })
      await changed
      await db.updateTable('jobs').set({ status: 'paused' }).where('id', '=', b).execute()
      expect(await readOutbox(db, seen, 100)).toEqual([])
      release()
      await slow
      const read = await readOutbox(db, seen, 100)
      expect(read.map((row) => row.job_id)).toEqual([a, b])
    })
  }
})
