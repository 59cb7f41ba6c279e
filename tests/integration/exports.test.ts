import fs from 'node:fs'
import path from 'node:path'
import { expect, it } from 'vitest'
import type { AudienceFilter } from '../../nodes/audience.ts'
import { applyAck, exportDelta, exportPlan } from '../../server/data/export-delta.ts'
import { trimTombstones } from '../../server/db/tombstones.repo.ts'
import { useTestApp } from '../support/app.ts'
import { describeEachDialect } from '../support/dialects.ts'
import { collectSource, edge, fileDestination, sampleSource } from '../support/documents.ts'
import {
  audienceNode,
  deployPipeline,
  deployRecorderExport,
  recorderExportDocument,
  runExport,
  sentIds,
} from '../support/pipelines.ts'
import { received, recorderDestination, registerRecorder } from '../support/scripted-destination.ts'

registerRecorder()

describeEachDialect(
  'exports: deltas delivered once, idempotently, keyed by the destination identifier',
  (dialect) => {
    const t = useTestApp(dialect)
    let admin = ''
    let key = ''

    const collect = async (body: Record<string, unknown>) => {
      const answer = await t().send('POST', '/collect/json/web', { body, headers: { authorization: key } })
      expect(answer.status, answer.text).toBe(200)
    }
    const audience = async (name: string, filter: AudienceFilter) =>
      (await t().send('POST', '/api/audiences', { cookie: admin, body: { name, filter } })).json.id as string
    const pipeline = (name: string, audienceId: string, config: Record<string, unknown> = {}) =>
      deployRecorderExport(t(), admin, { name, stream: 'web', audienceId, config })
    const run = (jobId: string) => runExport(t(), admin, jobId)
    const ids = sentIds
    const lastRun = async (jobId: string) =>
      (await t().send('GET', `/api/jobs/${jobId}/runs`, { cookie: admin })).json[0]

    it('delivers adds, changes and removes once each, counting people without an email omitted', async () => {
      admin = await t().setupAdmin()
      key = (await t().send('POST', '/api/data-keys', { cookie: admin, body: { name: 'web' } })).json.key
      await collect({ email: 'ann@example.com', plan: 'pro' })
      await collect({ email: 'bob@example.com', plan: 'free' })
      await collect({ email: 'cy@example.com', plan: 'pro', city: 'Oslo' })
      await collect({ user_id: 'dee', plan: 'pro' })
      const pros = await audience('Pros', { field: 'plan', op: 'eq', value: 'pro' })
      const job = await pipeline('main', pros)
      const first = await run(job)
      expect(ids(first)).toEqual({ upserts: ['ann@example.com', 'cy@example.com'], removes: [] })
      expect(first[0]!.upserts.find((row) => row.id === 'cy@example.com')!.fields).toMatchObject({
        email: 'cy@example.com',
        plan: 'pro',
        city: 'Oslo',
      })
      expect(await lastRun(job)).toMatchObject({ outcome: 'success', added: 2, removed: 0, omitted: 1 })
      // Nothing changed: nothing is sent, and nobody is looked at again (dee is not re-counted).
      expect(await run(job)).toEqual([])
      expect(await lastRun(job)).toMatchObject({ added: 0, removed: 0, omitted: 0 })
      await collect({ email: 'cy@example.com', city: 'Bergen' })
      expect(ids(await run(job))).toEqual({ upserts: ['cy@example.com'], removes: [] })
      await collect({ email: 'bob@example.com', plan: 'pro' })
      await collect({ email: 'ann@example.com', plan: 'free' })
      expect(ids(await run(job))).toEqual({ upserts: ['bob@example.com'], removes: ['ann@example.com'] })
      expect(await lastRun(job)).toMatchObject({ added: 1, removed: 1 })
      const metrics = (
        await t().send('GET', `/api/jobs/${job}/metrics?bucket=day&from=2026-01-01T00:00:00Z`, {
          cookie: admin,
        })
      ).json as { added: number; removed: number }[]
      expect(metrics.reduce((sum, bucket) => sum + bucket.added, 0)).toBe(4)
      expect(metrics.reduce((sum, bucket) => sum + bucket.removed, 0)).toBe(1)
      // A changed filter reconciles: the free now come in, the pros go.
      const put = await t().send('PUT', `/api/audiences/${pros}`, {
        cookie: admin,
        body: { name: 'Pros', filter: { field: 'plan', op: 'eq', value: 'free' } },
      })
      expect(put.status).toBe(200)
      expect(ids(await run(job))).toEqual({
        upserts: ['ann@example.com'],
        removes: ['bob@example.com', 'cy@example.com'],
      })
    })

    it('removes no surviving identifier when two delivered profiles merge', async () => {
      await collect({ email: 'x@example.com', plan: 'team' })
      await collect({ email: 'y@example.com', plan: 'team', user_id: 'u-y' })
      const job = await pipeline('merge', await audience('Teams', { field: 'plan', op: 'eq', value: 'team' }))
      expect(ids(await run(job))).toEqual({ upserts: ['x@example.com', 'y@example.com'], removes: [] })
      // One message names both: they are one person now, x's profile (the older) surviving.
      await collect({ email: 'x@example.com', user_id: 'u-y' })
      const sent = ids(await run(job))
      expect(sent.removes).not.toContain('x@example.com')
      const state = await t()
        .database.db.selectFrom('export_deliveries')
        .select(['identifier', 'profile_id'])
        .where('job_id', '=', job)
        .execute()
      const survivor = (
        await t().send('GET', '/api/profiles?field=email&value=x%40example.com', { cookie: admin })
      ).json[0].id
      expect(state.find((row) => row.identifier === 'x@example.com')?.profile_id).toBe(survivor)
      // The same person under a new email: the new one is delivered, the old one removed.
      await collect({ email: 'x2@example.com', user_id: 'u-y' })
      const moved = ids(await run(job))
      expect(moved.upserts).toEqual(['x2@example.com'])
      expect(moved.removes).toEqual(['x@example.com'])
    })

    it('takes deleted people off from tombstones, and reconciles in full once tombstones were trimmed', async () => {
      for (const name of ['d1', 'd2', 'd3']) await collect({ email: `${name}@example.com`, plan: 'gone' })
      const job = await pipeline(
        'deleted',
        await audience('Gone', { field: 'plan', op: 'eq', value: 'gone' }),
      )
      expect(ids(await run(job)).upserts).toEqual(['d1@example.com', 'd2@example.com', 'd3@example.com'])
      const holder = async (email: string) =>
        (
          await t().send('GET', `/api/profiles?field=email&value=${encodeURIComponent(email)}`, {
            cookie: admin,
          })
        ).json[0].id as string
      const erase = async (email: string) =>
        expect(
          (await t().send('DELETE', `/api/profiles/${await holder(email)}`, { cookie: admin })).status,
        ).toBe(204)
      await erase('d1@example.com')
      expect(ids(await run(job))).toEqual({ upserts: [], removes: ['d1@example.com'] })
      // A tombstone trimmed before the export saw it: the floor rises past the checkpoint, so the
      // next run compares everything instead of trusting the change sequence.
      await erase('d2@example.com')
      const trimmed = await trimTombstones(t().database.db, '9999-01-01T00:00:00Z')
      expect(trimmed).toBeGreaterThan(0)
      expect(ids(await run(job))).toEqual({ upserts: [], removes: ['d2@example.com'] })
      expect(ids(await run(job))).toEqual({ upserts: [], removes: [] })
    })

    it('re-sends only the batch whose acknowledgement a crash lost; acknowledging twice is harmless', async () => {
      for (let n = 1; n <= 5; n++) await collect({ email: `p${n}@example.com`, plan: 'batch' })
      const job = await pipeline(
        'crash',
        await audience('Batch', { field: 'plan', op: 'eq', value: 'batch' }),
        {
          failAfterBatches: 2,
        },
      )
      const failed = await run(job)
      expect(failed.map((batch) => batch.upserts.map((row) => row.id))).toEqual([
        ['p1@example.com', 'p2@example.com'],
        ['p3@example.com', 'p4@example.com'],
      ])
      expect((await t().send('GET', `/api/jobs/${job}`, { cookie: admin })).json).toMatchObject({
        status: 'sleeping',
        sleepReason: 'retry',
        consecutiveErrors: 1,
      })
      await t().database.db.updateTable('jobs').set({ config: '{}' }).where('id', '=', job).execute()
      const resent = await run(job)
      expect(resent.map((batch) => batch.upserts.map((row) => row.id))).toEqual([
        ['p3@example.com', 'p4@example.com'],
        ['p5@example.com'],
      ])
      // The same acknowledgement again changes nothing and counts nothing.
      const db = t().database.db
      const before = await db
        .selectFrom('export_deliveries')
        .selectAll()
        .where('job_id', '=', job)
        .orderBy('identifier')
        .execute()
      const row = before.find((delivery) => delivery.identifier === 'p5@example.com')!
      const again = await applyAck(
        db,
        job,
        new Map([[row.identifier, { profileId: row.profile_id, fingerprint: row.fingerprint }]]),
        { delivered: [row.identifier], removed: [], rejected: [] },
        row.delivered_at,
      )
      expect(again).toEqual({ added: 0, removed: 0, omitted: 0 })
      expect(
        await db
          .selectFrom('export_deliveries')
          .selectAll()
          .where('job_id', '=', job)
          .orderBy('identifier')
          .execute(),
      ).toEqual(before)
    })

    it('does not move past people a destination that returned early never acknowledged', async () => {
      for (let n = 1; n <= 5; n++) await collect({ email: `q${n}@example.com`, plan: 'quits' })
      const job = await pipeline(
        'quits',
        await audience('Quits', { field: 'plan', op: 'eq', value: 'quits' }),
        {
          quitAfterBatches: 2,
        },
      )
      expect((await run(job)).map((batch) => batch.upserts.map((row) => row.id))).toEqual([
        ['q1@example.com', 'q2@example.com'],
        ['q3@example.com', 'q4@example.com'],
      ])
      expect((await t().send('GET', `/api/jobs/${job}`, { cookie: admin })).json).toMatchObject({
        status: 'sleeping',
        sleepReason: 'retry',
        lastError: 'the destination stopped before acknowledging every batch; the next run sends the rest',
      })
      await t().database.db.updateTable('jobs').set({ config: '{}' }).where('id', '=', job).execute()
      expect((await run(job)).map((batch) => batch.upserts.map((row) => row.id))).toEqual([
        ['q3@example.com', 'q4@example.com'],
        ['q5@example.com'],
      ])
    })

    /**
     * Three members delivered; then the first leaves and a fourth joins, so the next run has an
     * upsert and a removal, and the destination is set to misbehave (see scripted-destination.ts).
     */
    const oneLeavesOneJoins = async (plan: string, misbehave: Record<string, unknown>) => {
      for (const n of [1, 2, 3]) await collect({ email: `${plan[0]}${n}@example.com`, plan })
      const job = await pipeline(plan, await audience(plan, { field: 'plan', op: 'eq', value: plan }))
      expect(ids(await run(job)).upserts).toHaveLength(3)
      await collect({ email: `${plan[0]}1@example.com`, plan: 'left' })
      await collect({ email: `${plan[0]}4@example.com`, plan })
      await t()
        .database.db.updateTable('jobs')
        .set({ config: JSON.stringify(misbehave) })
        .where('id', '=', job)
        .execute()
      return job
    }

    it('ends with the error of a destination that fails while the next batch, removals, waits computed ahead', async () => {
      const job = await oneLeavesOneJoins('waits', { failAfterBatches: 1 })
      // The removal of w1 waits for w4's acknowledgement, which never comes: the run must end.
      expect(ids(await run(job))).toEqual({ upserts: ['w4@example.com'], removes: [] })
      expect((await t().send('GET', `/api/jobs/${job}`, { cookie: admin })).json).toMatchObject({
        status: 'sleeping',
        sleepReason: 'retry',
        lastError: expect.stringContaining('502'),
      })
      await t().database.db.updateTable('jobs').set({ config: '{}' }).where('id', '=', job).execute()
      expect(ids(await run(job))).toEqual({ upserts: ['w4@example.com'], removes: ['w1@example.com'] })
    })

    it('does not move past removals a destination that stopped after its last acknowledgement never got', async () => {
      const job = await oneLeavesOneJoins('stops', { stopAfterAcks: 1 })
      // s4 is acknowledged; the removal of s1, computed ahead or not, never went out.
      expect(ids(await run(job))).toEqual({ upserts: ['s4@example.com'], removes: [] })
      expect((await t().send('GET', `/api/jobs/${job}`, { cookie: admin })).json).toMatchObject({
        sleepReason: 'retry',
        lastError: 'the destination stopped before acknowledging every batch; the next run sends the rest',
      })
      await t().database.db.updateTable('jobs').set({ config: '{}' }).where('id', '=', job).execute()
      expect(ids(await run(job))).toEqual({ upserts: [], removes: ['s1@example.com'] })
    })

    it('sends again, rather than judging by stored state, an identifier whose upsert is not acknowledged yet', async () => {
      await collect({ email: 'f1@example.com', plan: 'flight' })
      const job = await pipeline(
        'flight',
        await audience('Flight', { field: 'plan', op: 'eq', value: 'flight' }),
      )
      expect(ids(await run(job)).upserts).toEqual(['f1@example.com'])
      const { deps } = t()
      const [row] = await deps.db.selectFrom('jobs').selectAll().where('id', '=', job).execute()
      const plan = await exportPlan(deps.db, row!)
      const delta = (unacknowledged?: (identifier: string) => boolean) =>
        exportDelta(deps.db, row!, plan, {
          batchSize: 10,
          settled: async () => true,
          omitted: { count: 0 },
          since: null,
          upTo: Number.MAX_SAFE_INTEGER,
          unacknowledged,
        })
      const upserts = async (batches: ReturnType<typeof delta>) => {
        const sent: string[] = []
        for await (const batch of batches) sent.push(...batch.batch.upserts.map((person) => person.id))
        return sent
      }
      // Delivered as it is: nothing to send, unless an upsert of it is still in flight.
      expect(await upserts(delta())).toEqual([])
      expect(await upserts(delta((identifier) => identifier === 'f1@example.com'))).toEqual([
        'f1@example.com',
      ])
      // Sent again for another profile with the same payload: nothing counts, the state follows.
      const stored = await deps.db
        .selectFrom('export_deliveries')
        .selectAll()
        .where('job_id', '=', job)
        .executeTakeFirstOrThrow()
      const ack = { delivered: [stored.identifier], removed: [], rejected: [] }
      const other = new Map([[stored.identifier, { profileId: 'p-other', fingerprint: stored.fingerprint }]])
      expect(await applyAck(deps.db, job, other, ack, stored.delivered_at)).toEqual({
        added: 0,
        removed: 0,
        omitted: 0,
      })
      expect(
        await deps.db.selectFrom('export_deliveries').selectAll().where('job_id', '=', job).execute(),
      ).toEqual([{ ...stored, profile_id: 'p-other' }])
    })

    it('counts people the destination rejects as omitted and retries them when they change, not forever', async () => {
      await collect({ email: 'r1@example.com', plan: 'rejects' })
      await collect({ email: 'r2@example.com', plan: 'rejects' })
      const job = await pipeline(
        'rejects',
        await audience('Rejects', { field: 'plan', op: 'eq', value: 'rejects' }),
        {
          reject: ['r2@example.com'],
        },
      )
      await run(job)
      expect(await lastRun(job)).toMatchObject({ added: 1, omitted: 1 })
      // DESIGN.md §4: rejected rows are not retried forever; a change of the person sends them again.
      expect(await run(job)).toEqual([])
      await collect({ email: 'r2@example.com', city: 'Lima' })
      expect(ids(await run(job)).upserts).toEqual(['r2@example.com'])
    })

    it('maps profile attributes to destination fields, keys people by the marked identifier, and reconciles a mapping change', async () => {
      await collect({ email: 'M1@example.com', user_id: 'u-m1', plan: 'mapped', note: 'internal' })
      await collect({ email: 'm2@example.com', plan: 'mapped' })
      const options = {
        name: 'mapped',
        stream: 'web',
        audienceId: await audience('Mapped', { field: 'plan', op: 'eq', value: 'mapped' }),
        mapping: {
          fields: [
            { from: 'user_id', to: 'external_id', identity: true },
            { from: 'email', to: 'Email', transform: 'lowercase' as const },
            { from: 'plan', to: 'PLAN', transform: 'uppercase' as const },
          ],
          keepUnmapped: false,
        },
      }
      const deployed = await deployPipeline(t(), admin, 'mapped', recorderExportDocument(options))
      const job = deployed.jobOf('dst')
      const first = await run(job)
      // m2 has no user_id, the identifier this mapping requires: counted omitted, not sent.
      expect(first.flatMap((batch) => batch.upserts)).toEqual([
        { id: 'u-m1', fields: { external_id: 'u-m1', Email: 'm1@example.com', PLAN: 'MAPPED' } },
      ])
      expect(await lastRun(job)).toMatchObject({ added: 1, removed: 0, omitted: 1 })
      expect(await run(job)).toEqual([])
      // A changed mapping is a new plan: the next run compares everyone and re-sends the changed payload.
      const withNote = {
        ...options,
        mapping: { ...options.mapping, fields: [...options.mapping.fields, { from: 'note', to: 'Note' }] },
      }
      await deployed.redeploy(recorderExportDocument(withNote))
      expect((await run(job)).flatMap((batch) => batch.upserts)).toEqual([
        {
          id: 'u-m1',
          fields: { external_id: 'u-m1', Email: 'm1@example.com', PLAN: 'MAPPED', Note: 'internal' },
        },
      ])
      expect(await lastRun(job)).toMatchObject({ added: 1, removed: 0, omitted: 1 })
    })

    it('delivers Sample data → audience → File export end to end after its import, one file per run with changes', async () => {
      const sampled = await audience('Sampled', { stream: 'sample.events' })
      const document = {
        version: 1,
        nodes: [
          sampleSource('sample', { customers: 20, eventsPerRun: 60, batchSize: 30 }),
          audienceNode('aud', sampled),
          {
            ...fileDestination('file', { directory: 'exports/e2e', format: 'jsonl' }),
            data: { config: { directory: 'exports/e2e', format: 'jsonl' }, cadence: { after: 'upstream' } },
          },
        ],
        edges: [edge('sample', 'aud'), edge('aud', 'file')],
      }
      const { jobOf } = await deployPipeline(t(), admin, 'Sample to file', document)
      // The import runs first; committing new profiles, it makes the export (after upstream) due.
      await t().deps.dispatcher.tick()
      expect((await t().send('GET', `/api/jobs/${jobOf('file')}`, { cookie: admin })).json.nextRunAt).toBe(
        t().clock.now().toISOString(),
      )
      await t().deps.dispatcher.tick()
      const folder = path.join(t().database.dataDir, 'exports', 'e2e')
      const files = () =>
        fs.existsSync(folder) ? fs.readdirSync(folder).filter((name) => name.endsWith('.jsonl')) : []
      expect(files()).toHaveLength(1)
      const rows = fs
        .readFileSync(path.join(folder, files()[0]!), 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line))
      const profiles = (
        await t().send('POST', '/api/audiences/preview', {
          cookie: admin,
          body: { filter: { stream: 'sample.events' } },
        })
      ).json.count
      expect(rows.length).toBe(profiles)
      expect(rows.length).toBeGreaterThan(0)
      expect(JSON.stringify(rows[0])).toMatch(/@/)
      // Run again with nothing new: no new file.
      t().clock.advance(60_000)
      await t()
        .database.db.updateTable('jobs')
        .set({ next_run_at: t().clock.now().toISOString() })
        .where('id', '=', jobOf('file'))
        .execute()
      await t().deps.dispatcher.tick()
      expect((await t().send('GET', `/api/jobs/${jobOf('file')}/runs`, { cookie: admin })).json).toHaveLength(
        2,
      )
      expect(files()).toHaveLength(1)
    })
  },
)

describeEachDialect('after upstream, fed by a collect stream', (dialect) => {
  const t = useTestApp(dialect)

  it('runs the export shortly after new data arrives, at most once a minute', async () => {
    const admin = await t().setupAdmin()
    const key = (await t().send('POST', '/api/data-keys', { cookie: admin, body: { name: 'web' } })).json.key
    const send = (body: Record<string, unknown>) =>
      t().send('POST', '/collect/json/web', { body, headers: { authorization: key } })
    const audienceId = (
      await t().send('POST', '/api/audiences', {
        cookie: admin,
        body: { name: 'All web', filter: { stream: 'web' } },
      })
    ).json.id
    const destination = {
      ...recorderDestination('dst'),
      data: { config: {}, cadence: { after: 'upstream' as const } },
    }
    const document = {
      version: 1,
      nodes: [collectSource('src', 'web'), audienceNode('aud', audienceId), destination],
      edges: [edge('src', 'aud'), edge('aud', 'dst')],
    }
    const job = (await deployPipeline(t(), admin, 'Live', document)).jobOf('dst')
    const nextRun = async () => (await t().send('GET', `/api/jobs/${job}`, { cookie: admin })).json.nextRunAt
    expect(await nextRun()).toBeNull()
    await send({ email: 'live@example.com' })
    await t().deps.upstream.flush()
    expect(await nextRun()).toBe(t().clock.now().toISOString())
    await t().deps.dispatcher.tick()
    expect(received.get(job)?.flatMap((batch) => batch.upserts.map((row) => row.id))).toEqual([
      'live@example.com',
    ])
    const ranAt = t().clock.now().getTime()
    // More traffic ten seconds later: the export waits for its minute.
    t().clock.advance(10_000)
    await send({ email: 'later@example.com' })
    await t().deps.upstream.flush()
    expect(await nextRun()).toBe(new Date(ranAt + 60_000).toISOString())
  })
})
