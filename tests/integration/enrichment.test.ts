import { expect, it } from 'vitest'
import { enrichmentStream } from '../../server/executor/enrichment-unit.ts'
import { useTestApp } from '../support/app.ts'
import { describeEachDialect } from '../support/dialects.ts'
import { collectSource, edge } from '../support/documents.ts'
import { deployPipeline } from '../support/pipelines.ts'
import { asked, registerScorer, scorerNode } from '../support/scripted-enrichment.ts'

registerScorer()

describeEachDialect('enrichment units', (dialect) => {
  const t = useTestApp(dialect)

  it('enriches changed profiles once, stores the output as raw messages and unifies it', async () => {
    const admin = await t().setupAdmin()
    const key = (await t().send('POST', '/api/data-keys', { cookie: admin, body: { name: 'web' } })).json.key
    const send = (body: Record<string, unknown>) =>
      t().send('POST', '/collect/json/web', { body, headers: { authorization: key } })
    await send({ email: 'ann@example.com', plan: 'pro' })
    await send({ email: 'bo@example.com', plan: 'free' })
    await send({ user_id: 'anon-1', plan: 'free' })
    const document = {
      version: 1,
      nodes: [collectSource('src', 'web'), scorerNode('score')],
      edges: [edge('src', 'score')],
    }
    const job = (await deployPipeline(t(), admin, 'Scores', document)).jobOf('score')
    const run = async () => {
      t().clock.advance(60_000)
      expect((await t().send('POST', `/api/jobs/${job}/run`, { cookie: admin })).status).toBe(200)
      await t().deps.dispatcher.tick()
    }
    const profileOf = async (email: string) => {
      const found = (
        await t().send('GET', `/api/profiles?field=email&value=${encodeURIComponent(email)}`, {
          cookie: admin,
        })
      ).json
      return (await t().send('GET', `/api/profiles/${found[0].id}`, { cookie: admin })).json
    }
    await run()
    expect(asked.get(job)).toHaveLength(3)
    const ann = await profileOf('ann@example.com')
    expect(ann.attributes.score).toMatchObject({ value: 15, stream: enrichmentStream(job) })
    expect(ann.streams).toContain(enrichmentStream(job))
    const runs = (await t().send('GET', `/api/jobs/${job}/runs`, { cookie: admin })).json
    // Enriched / 0 / lacking the input (no email).
    expect(runs[0]).toMatchObject({ outcome: 'success', added: 2, removed: 0, omitted: 1 })
    const stream = (await t().send('GET', `/api/streams/${enrichmentStream(job)}`, { cookie: admin })).json
    expect(stream.messageCount).toBe(2)
    // Its own output does not make a profile look changed: nothing is asked again.
    await run()
    expect(asked.get(job)).toHaveLength(3)
    // A real change is.
    await send({ email: 'bo@example.com', plan: 'pro' })
    await run()
    expect(asked.get(job)).toHaveLength(4)
    expect(asked.get(job)!.at(-1)).toBe((await profileOf('bo@example.com')).id)
    expect(
      (await t().send('GET', `/api/streams/${enrichmentStream(job)}`, { cookie: admin })).json.messageCount,
    ).toBe(3)
    // Its output is raw messages: a rebuild replays it, and the same people keep their scores.
    const before = await profileOf('ann@example.com')
    const started = await t().send('POST', '/api/profiles/rebuild', { cookie: admin })
    expect(started.status, started.text).toBe(202)
    await t().deps.dispatcher.tick()
    expect((await t().send('GET', '/api/profiles/rebuild', { cookie: admin })).json.status).toBe('completed')
    const after = await profileOf('ann@example.com')
    expect(after.id).toBe(before.id)
    expect(after.attributes.score).toMatchObject({ value: 15, stream: enrichmentStream(job) })
    // Nothing about the people changed: the enrichment is not asked again.
    await run()
    expect(asked.get(job)).toHaveLength(4)
    // DESIGN.md §4, enrichment: profiles enriched / 0 / profiles lacking the input, per hour.
    const metrics = (
      await t().send('GET', `/api/jobs/${job}/metrics?bucket=hour&from=2026-01-01T00:00:00Z`, {
        cookie: admin,
      })
    ).json as { added: number; removed: number; omitted: number }[]
    const sum = (name: 'added' | 'removed' | 'omitted') => metrics.reduce((n, bucket) => n + bucket[name], 0)
    expect({ added: sum('added'), removed: sum('removed'), omitted: sum('omitted') }).toEqual({
      added: 3,
      removed: 0,
      omitted: 1,
    })
    const runCounts = (await t().send('GET', `/api/jobs/${job}/runs`, { cookie: admin })).json.map(
      (r: { added: number; omitted: number }) => [r.added, r.omitted],
    )
    expect(runCounts).toEqual([
      [0, 0],
      [1, 0],
      [0, 0],
      [2, 1],
    ])
  })
})
