import { sql } from 'kysely'
import { expect, it } from 'vitest'
import { orderChunk, replayChunk, startRebuild } from '../../server/data/rebuild.ts'
import { sweepRetention } from '../../server/data/retention.ts'
import { createNextGeneration, dropGenerationTables } from '../../server/db/generations.ts'
import { useTestApp } from '../support/app.ts'
import { describeEachDialect } from '../support/dialects.ts'
import { deployRecorderExport, runExport, sentIds } from '../support/pipelines.ts'
import { registerRecorder } from '../support/scripted-destination.ts'

registerRecorder()

describeEachDialect(
  'profile rebuild: a new generation from raw messages, ids kept, nothing lost',
  (dialect) => {
    const t = useTestApp(dialect)
    let admin = ''
    let key = ''

    const collect = async (body: Record<string, unknown>) => {
      const answer = await t().send('POST', '/collect/json/web?timestamp_field=ts', {
        body,
        headers: { authorization: key },
      })
      expect(answer.status, answer.text).toBe(200)
    }
    /** Every profile as id → { identities, attributes }, sorted. */
    async function snapshot() {
      const list = (await t().send('GET', '/api/profiles?limit=1000', { cookie: admin })).json as {
        id: string
      }[]
      const out: Record<string, unknown> = {}
      for (const { id } of list) {
        const profile = (await t().send('GET', `/api/profiles/${id}`, { cookie: admin })).json
        out[id] = {
          identities: profile.identities
            .map((i: { field: string; value: string }) => `${i.field}=${i.value}`)
            .sort(),
          attributes: profile.attributes,
        }
      }
      return out
    }
    async function rebuild(during?: () => Promise<void>) {
      const started = await t().send('POST', '/api/profiles/rebuild', { cookie: admin })
      expect(started.status, started.text).toBe(202)
      const jobId = started.json.jobId as string
      const again = await t().send('POST', '/api/profiles/rebuild', { cookie: admin })
      expect(again.status).toBe(409)
      expect(again.json.error.code).toBe('RebuildRunning')
      const ticking = t().deps.dispatcher.tick()
      await during?.()
      await ticking
      const status = (await t().send('GET', '/api/profiles/rebuild', { cookie: admin })).json
      expect(status).toMatchObject({ jobId, status: 'completed', phase: 'done', percent: 100 })
      // The same as a list, for pages that ask before any rebuild ran.
      expect((await t().send('GET', '/api/profiles/rebuilds', { cookie: admin })).json).toEqual([status])
      return status as { replayed: number; total: number; profiles: number }
    }

    it('rebuilds under the current rules, keeping ids where identities match', async () => {
      admin = await t().setupAdmin()
      key = (await t().send('POST', '/api/data-keys', { cookie: admin, body: { name: 'web' } })).json.key
      expect((await t().send('GET', '/api/profiles/rebuild', { cookie: admin })).status).toBe(404)
      expect((await t().send('GET', '/api/profiles/rebuilds', { cookie: admin })).json).toEqual([])
      // Out of order event times: the replay order differs from arrival, the result must not.
      await collect({ email: 'ann@example.com', phone: '111', plan: 'pro', ts: '2026-01-03T00:00:00Z' })
      await collect({ user_id: 'u-ann', email: 'ann@example.com', plan: 'free', ts: '2026-01-01T00:00:00Z' })
      await collect({ email: 'bo@example.com', phone: '111', ts: '2026-01-02T00:00:00Z' })
      await collect({ email: 'cy@example.com', city: 'Oslo', ts: '2026-01-02T00:00:00Z' })
      await collect({ city: 'nowhere', ts: '2026-01-02T00:00:00Z' })
      await t().deps.unifier.drain()
      const before = await snapshot()
      const same = await rebuild()
      expect(same.total).toBe(5)
      expect(same.profiles).toBe(3)
      expect(await snapshot()).toEqual(before)

      // Phone becomes an identity: ann and bo share one, so the rebuild makes them one person,
      // the older profile (ann's) keeping its id.
      const rules = await t().send('PUT', '/api/identity-rules', {
        cookie: admin,
        body: {
          fields: [
            { name: 'user_id', priority: 1 },
            { name: 'email', priority: 2 },
            { name: 'phone', priority: 3 },
            { name: 'anonymous_id', priority: 4 },
          ],
        },
      })
      expect(rules.status, rules.text).toBe(200)
      const ann = (
        await t().send('GET', '/api/profiles?field=email&value=ann%40example.com', { cookie: admin })
      ).json[0].id
      const cy = (
        await t().send('GET', '/api/profiles?field=email&value=cy%40example.com', { cookie: admin })
      ).json[0].id
      await rebuild()
      const after = await snapshot()
      expect(Object.keys(after).sort()).toEqual([ann, cy].sort())
      expect((after[ann] as { identities: string[] }).identities).toEqual([
        'email=ann@example.com',
        'email=bo@example.com',
        'phone=111',
        'user_id=u-ann',
      ])
      // Last writer wins by event time: the pro plan (Jan 3) beats the free one (Jan 1).
      expect((after[ann] as { attributes: { plan: { value: string } } }).attributes.plan.value).toBe('pro')
      const messages = (await t().send('GET', `/api/profiles/${ann}/messages`, { cookie: admin })).json
      expect(messages.length ?? messages.items?.length).toBeGreaterThanOrEqual(3)
    })

    it('says what a rebuild would lose to stream retention, and rebuilds only when told to accept it', async () => {
      const post = (body: Record<string, unknown>) =>
        t().send('POST', '/collect/json/brief', { body, headers: { authorization: key } })
      expect((await post({ email: 'gone@example.com', plan: 'old' })).status).toBe(200)
      t().clock.advance(10 * 86_400_000)
      expect((await post({ email: 'kept@example.com', plan: 'new' })).status).toBe(200)
      const patch = await t().send('PATCH', '/api/streams/brief', {
        cookie: admin,
        body: { retentionDays: 5 },
      })
      expect(patch.status).toBe(200)
      // A sweep waits while a rebuild is being built: what that rebuild replays is what the count leaves out.
      await createNextGeneration(t().database.db, 99)
      expect((await sweepRetention(t().database.db, t().clock.now())).size).toBe(0)
      await dropGenerationTables(t().database.db, 'next')
      expect(Object.fromEntries(await sweepRetention(t().database.db, t().clock.now()))).toEqual({ brief: 1 })
      const stream = (await t().send('GET', '/api/streams/brief', { cookie: admin })).json
      expect(stream).toMatchObject({ messageCount: 1, expiredSinceRebuild: 1 })

      const refused = await t().send('POST', '/api/profiles/rebuild', { cookie: admin })
      expect(refused.status).toBe(409)
      expect(refused.json.error).toMatchObject({ code: 'RetentionLoss', details: { expired: { brief: 1 } } })
      expect(refused.json.error.message).toMatch(/brief: 1.*acceptRetentionLoss/)
      const wrong = await t().send('POST', '/api/profiles/rebuild', { cookie: admin, body: { accept: true } })
      expect(wrong.status).toBe(400)
      const gone = () =>
        t().send('GET', '/api/profiles?field=email&value=gone%40example.com', { cookie: admin })
      expect((await gone()).json).toHaveLength(1)

      const started = await t().send('POST', '/api/profiles/rebuild', {
        cookie: admin,
        body: { acceptRetentionLoss: true },
      })
      expect(started.status, started.text).toBe(202)
      await t().deps.dispatcher.tick()
      expect((await t().send('GET', '/api/profiles/rebuild', { cookie: admin })).json.status).toBe(
        'completed',
      )
      // As warned: the person known only from the expired message is gone; the loss is settled.
      expect((await gone()).json).toHaveLength(0)
      expect((await t().send('GET', '/api/streams/brief', { cookie: admin })).json.expiredSinceRebuild).toBe(
        0,
      )
      await rebuild()
    })

    it('passes over a message deleted after it was put in replay order', async () => {
      const db = t().database.db
      await collect({ email: 'erased@example.com', plan: 'x', ts: '2026-01-05T00:00:00Z' })
      await t().deps.unifier.drain()
      const state = await startRebuild(db)
      while ((await orderChunk(db, state, 3)) > 0) {}
      expect(state.ordered).toBe(state.total)
      await db.deleteFrom('raw_messages').where('payload', 'like', '%erased@example.com%').execute()
      const context = { now: t().clock.now().toISOString(), mergeCap: 20 }
      let replayed = 0
      for (
        let n = await replayChunk(db, state, context, 2);
        n > 0;
        n = await replayChunk(db, state, context, 2)
      )
        replayed += n
      expect(replayed).toBe(state.ordered)
      const { rows } = await sql<{ n: number | string }>`select count(*) as n from profile_identities_next
        where value = 'erased@example.com'`.execute(db)
      expect(Number(rows[0]!.n)).toBe(0)
      await dropGenerationTables(db, 'next')
    })

    it('loses no message sent during the rebuild and makes exports remove no one', async () => {
      for (let n = 0; n < 300; n++)
        await collect({ email: `p${n}@example.com`, n, ts: '2026-02-01T00:00:00Z' })
      await t().deps.unifier.drain()
      const audience = (
        await t().send('POST', '/api/audiences', {
          cookie: admin,
          body: { name: 'Numbered', filter: { field: 'n', op: 'exists' } },
        })
      ).json.id
      const job = await deployRecorderExport(t(), admin, { name: 'out', stream: 'web', audienceId: audience })
      const runOnce = async () => sentIds(await runExport(t(), admin, job))
      expect((await runOnce()).upserts).toHaveLength(300)

      // Realtime traffic while the rebuild replays: new people and changes to old ones.
      const during = await rebuild(async () => {
        for (let n = 0; n < 40; n++) {
          await collect({ email: `late${n}@example.com`, n: 1000 + n, ts: '2026-02-02T00:00:00Z' })
          await collect({ email: `p${n}@example.com`, n: 500 + n, ts: '2026-02-02T00:00:00Z' })
          await new Promise((resolve) => setImmediate(resolve))
        }
      })
      // The replay's bounds were set before the traffic was through: some of it came by the tail.
      expect(during.total).toBeLessThan(305 + 80)
      await t().deps.unifier.drain()
      for (let n = 0; n < 40; n++) {
        const late = (
          await t().send('GET', `/api/profiles?field=email&value=late${n}%40example.com`, { cookie: admin })
        ).json[0]
        expect(late, `late${n}`).toBeDefined()
        const old = (
          await t().send('GET', `/api/profiles?field=email&value=p${n}%40example.com`, { cookie: admin })
        ).json[0]
        expect(
          (await t().send('GET', `/api/profiles/${old.id}`, { cookie: admin })).json.attributes.n.value,
        ).toBe(500 + n)
      }
      const sent = await runOnce()
      expect(sent.removes).toEqual([])
      expect(sent.upserts).toEqual(
        [
          ...Array.from({ length: 40 }, (_, n) => `late${n}@example.com`),
          ...Array.from({ length: 40 }, (_, n) => `p${n}@example.com`),
        ].sort(),
      )
      expect(await runOnce()).toEqual({ upserts: [], removes: [] })
    })
  },
)
