import geoipLite from 'geoip-lite'
import { parsePhoneNumberFromString } from 'libphonenumber-js/max'
import UAParser from 'ua-parser-js'
import { expect, it } from 'vitest'
import type { JobNode } from '../../nodes/pipeline.ts'
import { enrichmentStream } from '../../server/executor/enrichment-unit.ts'
import { useTestApp } from '../support/app.ts'
import { describeEachDialect } from '../support/dialects.ts'
import { collectSource, edge, sampleSource } from '../support/documents.ts'
import { collector, deployPipeline, runJobNow } from '../support/pipelines.ts'

const enrichment = (
  id: string,
  provider: string,
  jobType: string,
  config: Record<string, unknown>,
): JobNode => ({
  id,
  kind: 'enrichment',
  provider,
  jobType,
  name: id,
  position: { x: 0, y: 0 },
  // A yearly slot: the test runs each one by hand, one after another, so each is fed every profile once.
  data: { config, cadence: { cron: '0 0 1 1 *', timezone: 'UTC' } },
})

/** What each library itself says about an input, without Sluice's code in between. */
const expected = {
  geo(ip: unknown): Record<string, string> {
    const found = typeof ip === 'string' ? geoipLite.lookup(ip) : null
    if (!found) return {}
    const parts = {
      geo_country: found.country,
      geo_region: found.region,
      geo_city: found.city,
      geo_timezone: found.timezone,
    }
    return Object.fromEntries(Object.entries(parts).filter(([, value]) => value))
  },
  phone(value: unknown): Record<string, string> {
    const parsed = typeof value === 'string' ? parsePhoneNumberFromString(value, 'GB') : undefined
    if (!parsed?.isValid()) return {}
    return {
      tel_e164: parsed.number,
      ...(parsed.country ? { tel_country: parsed.country } : {}),
      ...(parsed.getType() ? { tel_type: parsed.getType()!.toLowerCase() } : {}),
    }
  },
  device(ua: unknown): Record<string, string> {
    if (typeof ua !== 'string') return {}
    const { browser, os, device } = new UAParser(ua).getResult()
    const parts = {
      device_type: device.type ?? 'desktop',
      device_browser: browser.name,
      device_browser_version: browser.major,
      device_os: os.name,
      device_os_version: os.version,
    }
    return Object.fromEntries(Object.entries(parts).filter(([, value]) => value)) as Record<string, string>
  },
}

describeEachDialect('GeoIP, phone and device enrichment', (dialect) => {
  const t = useTestApp(dialect)

  it('adds what each library says about every profile fed by Sample data, and counts those lacking the input omitted', async () => {
    const admin = await t().setupAdmin()
    const collect = await collector(t(), admin, 'crm')
    // Someone without an address, a phone or a browser; and someone with only a national number.
    await collect({ email: 'offline@example.com', plan: 'free' })
    await collect({ email: 'caller@example.com', phone: '07400 123456' })

    const document = (telPrefix: string) => ({
      version: 1,
      nodes: [
        sampleSource('shop', { customers: 20, eventsPerRun: 120, batchSize: 120 }),
        collectSource('crm', 'crm'),
        enrichment('geo', 'geoip', 'location', {}),
        enrichment('tel', 'phone', 'numbers', { defaultCountry: 'GB', prefix: telPrefix }),
        enrichment('ua', 'device', 'user-agent', {}),
      ],
      edges: ['geo', 'tel', 'ua'].flatMap((target) => [edge('shop', target), edge('crm', target)]),
    })
    const { jobOf, redeploy } = await deployPipeline(t(), admin, 'Enriched', document('tel_'))
    expect((await runJobNow(t(), admin, jobOf('shop'))).lastError).toBeNull()

    const listed = (await t().send('GET', '/api/profiles?limit=1000', { cookie: admin })).json as {
      id: string
    }[]
    const before = await Promise.all(
      listed.map(async ({ id }) => (await t().send('GET', `/api/profiles/${id}`, { cookie: admin })).json),
    )
    const input = (profile: { attributes: Record<string, { value: unknown }> }, name: string) =>
      profile.attributes[name]?.value
    const cases = [
      { node: 'geo', attribute: 'ip', answer: expected.geo },
      { node: 'tel', attribute: 'phone', answer: expected.phone },
      { node: 'ua', attribute: 'user_agent', answer: expected.device },
    ]
    for (const { node } of cases) {
      const detail = await runJobNow(t(), admin, jobOf(node))
      expect(detail.lastError, node).toBeNull()
    }

    for (const { node, attribute, answer } of cases) {
      const job = jobOf(node)
      let enriched = 0
      let lacking = 0
      for (const { id } of listed) {
        const profile = (await t().send('GET', `/api/profiles/${id}`, { cookie: admin })).json
        const wanted = answer(input(profile, attribute))
        const added = Object.fromEntries(
          Object.entries(profile.attributes as Record<string, { value: unknown; stream: string }>)
            .filter(([, stamped]) => stamped.stream === enrichmentStream(job))
            .map(([name, stamped]) => [name, stamped.value]),
        )
        // The profile's identities ride along so the output finds its profile; they are not new.
        for (const identity of ['user_id', 'email', 'anonymous_id']) delete added[identity]
        expect(added, `${node} of ${attribute} ${String(input(profile, attribute))}`).toEqual(wanted)
        if (Object.keys(wanted).length) enriched++
        else lacking++
      }
      const runs = (await t().send('GET', `/api/jobs/${job}/runs`, { cookie: admin })).json
      expect(runs[0], node).toMatchObject({ outcome: 'success', added: enriched, omitted: lacking })
      expect(enriched, node).toBeGreaterThan(5)
      expect(lacking, node).toBeGreaterThan(0)
    }

    const profileOf = async (email: string) => {
      const [found] = (
        await t().send('GET', `/api/profiles?field=email&value=${encodeURIComponent(email)}`, {
          cookie: admin,
        })
      ).json
      return (await t().send('GET', `/api/profiles/${found.id}`, { cookie: admin })).json
    }
    const offline = await profileOf('offline@example.com')
    expect(Object.keys(offline.attributes).filter((name) => /^(geo|tel|device)_/.test(name))).toEqual([])
    // The national number is read with the configured country; the caller has nothing else to add.
    const caller = await profileOf('caller@example.com')
    expect(caller.attributes.tel_e164).toMatchObject({
      value: '+447400123456',
      stream: enrichmentStream(jobOf('tel')),
    })
    expect(caller.attributes.tel_type.value).toBe('mobile')
    expect(caller.attributes.geo_country).toBeUndefined()
    // A changed config enriches the same, unchanged people again, under the new names.
    await redeploy(document('mobile_'))
    expect((await runJobNow(t(), admin, jobOf('tel'))).lastError).toBeNull()
    expect((await profileOf('caller@example.com')).attributes.mobile_e164).toMatchObject({
      value: '+447400123456',
    })
    // Every Sample customer has a user agent, and the data set's are all real browsers.
    expect(before.filter((profile) => input(profile, 'user_agent') !== undefined).length).toBeGreaterThan(5)
  })
})
