import fc from 'fast-check'
import { afterAll, expect, it } from 'vitest'
import { useTestApp } from '../support/app.ts'
import { describeEachDialect } from '../support/dialects.ts'
import {
  chainArbitrary,
  hasEqualTimestamps,
  isIdentityLess,
  type Message,
  messageArbitrary,
  payload,
} from '../support/message-arbitraries.ts'

/**
 * Unification does not depend on the lane: a message sequence split any way between realtime
 * requests and bulk uploads (unified later, in other chunks, in another order) yields the same
 * profiles as the whole sequence sent realtime.
 */
const message = messageArbitrary()
const scenario = fc
  .record({
    random: fc.array(message, { minLength: 1, maxLength: 12 }),
    chain: chainArbitrary,
    lanes: fc.array(fc.boolean(), { minLength: 26, maxLength: 26 }),
  })
  .map(({ random, chain, lanes }) => ({ messages: [...chain.singles, ...random, ...chain.links], lanes }))

describeEachDialect('property: realtime and bulk lanes give the same profiles', (dialect) => {
  const t = useTestApp(dialect)
  const covered = { runs: 0, mergeChains: 0, equalTimestamps: 0, identityLess: 0, bulkMessages: 0 }
  let admin = ''
  let key = ''
  let runId = 0

  afterAll(() => {
    console.log(`lanes property [${dialect}] covered: ${JSON.stringify(covered)}`)
  })

  async function send(messages: Message[], lanes: boolean[], ns: string) {
    const stream = `${ns}s`
    let bulk: Record<string, unknown>[] = []
    const flush = async () => {
      if (!bulk.length) return
      const response = await t().app.request(`/collect/bulk/${stream}?timestamp_field=ts`, {
        method: 'POST',
        headers: { authorization: key, 'content-type': 'application/x-ndjson' },
        body: bulk.map((row) => JSON.stringify(row)).join('\n'),
      })
      expect(response.status).toBe(200)
      covered.bulkMessages += bulk.length
      bulk = []
    }
    for (const [index, m] of messages.entries()) {
      if (lanes[index]) {
        bulk.push(payload(m, ns))
        continue
      }
      await flush()
      const answer = await t().send('POST', `/collect/json/${stream}?timestamp_field=ts`, {
        body: payload(m, ns),
        headers: { authorization: key },
      })
      expect(answer.status).toBe(200)
    }
    await flush()
    await t().deps.unifier.drain()
  }

  /** Profiles as sets of identities with their attribute values, namespace removed, sorted. */
  async function profiles(ns: string) {
    const list = (await t().send('GET', `/api/profiles?q=${ns}&limit=1000`, { cookie: admin })).json as {
      id: string
    }[]
    const shapes = []
    let chains = 0
    for (const { id } of list) {
      const profile = (await t().send('GET', `/api/profiles/${id}`, { cookie: admin })).json
      if (profile.mergedFrom.length >= 2) chains++
      shapes.push(
        JSON.stringify({
          identities: profile.identities.map(
            (i: { field: string; value: string }) => `${i.field}=${i.value.replace(ns, '')}`,
          ),
          attributes: Object.fromEntries(
            Object.entries(profile.attributes as Record<string, { value: unknown; at: string }>).map(
              ([name, a]) => [
                name,
                [typeof a.value === 'string' ? a.value.toLowerCase().replace(ns, '') : a.value, a.at],
              ],
            ),
          ),
        }),
      )
    }
    return { shapes: shapes.sort(), chains }
  }

  it('holds for random sequences with merge chains, equal timestamps and identity-less messages', async () => {
    admin = await t().setupAdmin()
    key = (await t().send('POST', '/api/data-keys', { cookie: admin, body: { name: 'prop' } })).json.key
    const config = t().deps.config as { mergeCap: number }
    config.mergeCap = 1_000_000
    await fc.assert(
      fc.asyncProperty(scenario, async ({ messages, lanes }) => {
        runId += 1
        const reference = `r${runId}x`
        const split = `p${runId}x`
        await send(messages, [], reference)
        await send(messages, lanes, split)
        const expected = await profiles(reference)
        const actual = await profiles(split)
        covered.runs += 1
        if (expected.chains > 0) covered.mergeChains += 1
        if (hasEqualTimestamps(messages)) covered.equalTimestamps += 1
        covered.identityLess += messages.filter(isIdentityLess).length
        expect(actual.shapes).toEqual(expected.shapes)
      }),
      { numRuns: dialect === 'sqlite' ? 60 : 20, seed: Number(process.env.FC_SEED ?? Date.now() % 2 ** 31) },
    )
    expect(covered.mergeChains).toBeGreaterThan(0)
    expect(covered.equalTimestamps).toBeGreaterThan(0)
    expect(covered.identityLess).toBeGreaterThan(0)
    expect(covered.bulkMessages).toBeGreaterThan(0)
  }, 120_000)
})
