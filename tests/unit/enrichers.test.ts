import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import type { ConnectorContext, EnrichmentConnector } from '../../nodes/define.ts'
import deviceConnector, { describeDevice } from '../../nodes/device/device.connector.ts'
import geoipConnector, { locate, publicAddress } from '../../nodes/geoip/geoip.connector.ts'
import phoneConnector, { describePhone } from '../../nodes/phone/phone.connector.ts'

const IPHONE_SAFARI =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1'
const IPAD_SAFARI =
  'Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1'
const WINDOWS_CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36'
const ANDROID_SAMSUNG =
  'Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36'

/** A connector's enrich() with the job's config parsed by the executor's rules (defaults filled in). */
function enricher(connector: { jobs: Record<string, unknown> }, job: string) {
  const enrichment = connector.jobs[job] as EnrichmentConnector<Record<string, unknown>>
  return (config: Record<string, unknown>, profiles: { id: string; attributes: Record<string, unknown> }[]) =>
    enrichment.enrich(
      { config, credentials: {}, jobId: 'job' } as ConnectorContext<Record<string, unknown>>,
      profiles,
    )
}

describe('GeoIP', () => {
  it('locates a known public address: 8.8.8.8 is in the US (no city: the database has none for it)', async () => {
    const found = await locate('8.8.8.8', 'geo_')
    expect(found).toMatchObject({ geo_country: 'US', geo_timezone: expect.stringMatching(/^America\//) })
    expect(found).not.toHaveProperty('geo_city')
    // A UK address, also written as the IPv4-mapped IPv6 address a dual-stack server logs.
    const uk = await locate('81.2.69.142', 'where_')
    expect(uk).toMatchObject({ where_country: 'GB', where_region: 'ENG', where_timezone: 'Europe/London' })
    expect(await locate('::ffff:81.2.69.142', 'where_')).toEqual(uk)
    expect(await locate('2a00:1450:4009:81f::200e', 'geo_')).toMatchObject({ geo_country: 'GB' })
  })

  it('looks up only public unicast addresses', async () => {
    for (const address of [
      '10.0.0.1',
      '192.168.1.20',
      '127.0.0.1',
      '100.64.0.1',
      '192.0.2.7',
      'fe80::1',
      '::1',
    ])
      expect(publicAddress(address), address).toBeNull()
    for (const junk of ['nope', '8.8', '999.1.1.1', '', 42, null, undefined])
      expect(publicAddress(junk), String(junk)).toBeNull()
    expect(publicAddress(' 8.8.8.8 ')).toBe('8.8.8.8')
    expect(await locate('10.0.0.1', 'geo_')).toEqual({})
  })

  it('enriches the profiles whose attribute holds a public address and returns nothing for the rest', async () => {
    const enrich = enricher(geoipConnector, 'location')
    const out = await enrich({ ipAttribute: 'last_ip', prefix: 'geo_' }, [
      { id: 'a', attributes: { last_ip: '8.8.8.8', ip: '81.2.69.142' } },
      { id: 'b', attributes: { ip: '8.8.8.8' } },
      { id: 'c', attributes: { last_ip: '192.168.0.1' } },
    ])
    expect(out).toEqual([{ id: 'a', attributes: await locate('8.8.8.8', 'geo_') }])
  })

  it('does not load the database when the connectors load (server start), only on the first lookup', () => {
    const root = fileURLToPath(new URL('../../', import.meta.url))
    const script = `
      import { createRequire } from 'node:module'
      const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((file) => file.includes('geoip-lite'))
      await import('./nodes/connectors.ts')
      const atStart = loaded()
      const { locate } = await import('./nodes/geoip/geoip.connector.ts')
      const found = await locate('8.8.8.8', 'geo_')
      console.log(JSON.stringify({ atStart, afterLookup: loaded(), country: found.geo_country }))`
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: root,
      encoding: 'utf8',
    })
    expect(child.status, child.stderr).toBe(0)
    expect(JSON.parse(child.stdout.trim().split('\n').at(-1)!)).toEqual({
      atStart: false,
      afterLookup: true,
      country: 'US',
    })
  })
})

describe('phone numbers', () => {
  it('normalises a UK mobile written internationally or nationally with GB as the default country', () => {
    const expected = { phone_e164: '+447400123456', phone_country: 'GB', phone_type: 'mobile' }
    expect(describePhone('+44 7400 123456', undefined, 'phone_')).toEqual(expected)
    expect(describePhone('07400 123456', 'GB', 'phone_')).toEqual(expected)
    expect(describePhone('0044 7400 123456', 'GB', 'phone_')).toEqual(expected)
    // A spreadsheet cell holding digits as a number.
    expect(describePhone(7400123456, 'GB', 'phone_')).toEqual(expected)
  })

  it('tells line types apart where the numbering plan does', () => {
    expect(describePhone('+44 20 7946 0958', undefined, 'p_')).toEqual({
      p_e164: '+442079460958',
      p_country: 'GB',
      p_type: 'fixed_line',
    })
    // North America numbers mobiles and fixed lines from the same ranges.
    expect(describePhone('+1 (212) 555-0123', undefined, 'p_')).toMatchObject({
      p_country: 'US',
      p_type: 'fixed_line_or_mobile',
    })
    expect(describePhone('+1 800 555 0199', undefined, 'p_')).toMatchObject({ p_type: 'toll_free' })
    // A non-geographic number has no country.
    expect(describePhone('+800 1234 5678', undefined, 'p_')).toEqual({
      p_e164: '+80012345678',
      p_type: 'toll_free',
    })
  })

  it('adds nothing for numbers no plan allows, or national numbers without a default country', () => {
    for (const value of ['12345', '+44 7400 12', 'call me', '', null, { number: 1 }])
      expect(describePhone(value, 'GB', 'phone_'), String(value)).toEqual({})
    expect(describePhone('07400 123456', undefined, 'phone_')).toEqual({})
  })

  it('reads numbers written with the 00 international prefix without a default country, as the config says', () => {
    const expected = { phone_e164: '+447400123456', phone_country: 'GB', phone_type: 'mobile' }
    expect(describePhone('0044 7400 123456', undefined, 'phone_')).toEqual(expected)
    expect(describePhone(' 00 44 7400 123456', undefined, 'phone_')).toEqual(expected)
    expect(describePhone('00 12345', undefined, 'phone_')).toEqual({})
  })

  it('enriches through the connector and refuses a country libphonenumber does not know', async () => {
    const enrich = enricher(phoneConnector, 'numbers')
    expect(
      await enrich({ phoneAttribute: 'mobile', defaultCountry: 'GB', prefix: 'phone_' }, [
        { id: 'a', attributes: { mobile: '07400 123456' } },
        { id: 'b', attributes: { phone: '07400 123456' } },
        { id: 'c', attributes: { mobile: 'n/a' } },
      ]),
    ).toEqual([
      { id: 'a', attributes: { phone_e164: '+447400123456', phone_country: 'GB', phone_type: 'mobile' } },
    ])
    await expect(
      enrich({ phoneAttribute: 'phone', defaultCountry: 'XX', prefix: 'phone_' }, []),
    ).rejects.toMatchObject({
      kind: 'config',
      message: expect.stringMatching(/"XX" is not a country/),
    })
  })
})

describe('device', () => {
  it('reads an iPhone Safari user agent as a mobile on iOS', () => {
    expect(describeDevice(IPHONE_SAFARI, 'device_')).toEqual({
      device_type: 'mobile',
      device_browser: 'Mobile Safari',
      device_browser_version: '17',
      device_os: 'iOS',
      device_os_version: '17.5',
    })
    expect(describeDevice(IPAD_SAFARI, 'device_')).toMatchObject({ device_type: 'tablet', device_os: 'iOS' })
    expect(describeDevice(ANDROID_SAMSUNG, 'ua_')).toMatchObject({
      ua_type: 'mobile',
      ua_browser: 'Samsung Internet',
      ua_os: 'Android',
    })
  })

  it('calls a recognised browser without a device type a desktop, and an unrecognised string nothing', () => {
    expect(describeDevice(WINDOWS_CHROME, 'device_')).toEqual({
      device_type: 'desktop',
      device_browser: 'Chrome',
      device_browser_version: '126',
      device_os: 'Windows',
      device_os_version: '10',
    })
    for (const value of ['curl/8.4.0', 'Googlebot/2.1 (+http://www.google.com/bot.html)', '', 7, null])
      expect(describeDevice(value, 'device_'), String(value)).toEqual({})
  })

  it("adds nothing for crawlers that carry a browser's token: a bot is no one's device", () => {
    // Google's and Bing's crawlers as they document them: each names a real Chrome too.
    for (const bot of [
      'Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Googlebot/2.1; +http://www.google.com/bot.html) Chrome/126.0.6478.126 Safari/537.36',
      'Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.126 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
      'Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36',
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36',
    ])
      expect(describeDevice(bot, 'device_'), bot).toEqual({})
    // A phone whose brand ends in "bot" is still a phone.
    expect(
      describeDevice(
        'Mozilla/5.0 (Linux; Android 9; CUBOT P30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36',
        'device_',
      ),
    ).toMatchObject({ device_type: 'mobile', device_os: 'Android' })
  })

  it('enriches through the connector from the configured attribute', async () => {
    const enrich = enricher(deviceConnector, 'user-agent')
    expect(
      await enrich({ userAgentAttribute: 'ua', prefix: 'device_' }, [
        { id: 'a', attributes: { ua: IPHONE_SAFARI } },
        { id: 'b', attributes: { user_agent: IPHONE_SAFARI } },
      ]),
    ).toEqual([{ id: 'a', attributes: describeDevice(IPHONE_SAFARI, 'device_') }])
  })
})
