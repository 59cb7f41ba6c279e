import UAParser from 'ua-parser-js'
import { type ConnectorContext, defineConnector, parseConfig } from '../define.ts'
import { type DeviceConfig, device, deviceConfig } from './device.node.ts'

/**
 * Crawlers and headless browsers: no person's device. Most of them (Googlebot, bingbot, the
 * smartphone Googlebot) also carry a full Chrome token, which ua-parser-js reads as a desktop or
 * mobile Chrome, so they are recognised by their own token first. `cubot` is a phone brand.
 */
const BOT = /(?<!cu)bot\b|spider|crawl|slurp|facebookexternalhit|headless|lighthouse|mediapartners-google/i

/**
 * What a user-agent string says, as attributes named with `prefix`; empty when it names no known
 * browser or system, or when it is a bot's.
 *
 * ua-parser-js only sets a device type it has evidence for (a "Mobile" token, a tablet or TV
 * model); desktop browsers carry no such token, so it leaves the type empty for them. An empty
 * type is therefore read as `desktop`, but only when a browser or system was recognised: a string
 * it knows nothing about (curl, a crawler) is no evidence of a desktop.
 * @example describeDevice(iphoneSafari, 'device_').device_type // 'mobile'
 */
export function describeDevice(value: unknown, prefix: string): Record<string, string> {
  if (typeof value !== 'string' || !value.trim() || BOT.test(value)) return {}
  const { browser, os, device: found } = new UAParser(value).getResult()
  if (!browser.name && !os.name) return {}
  const parts: [string, string | undefined][] = [
    ['type', found.type ?? 'desktop'],
    ['browser', browser.name],
    ['browser_version', browser.major],
    ['os', os.name],
    ['os_version', os.version],
  ]
  return Object.fromEntries(
    parts
      .filter((entry): entry is [string, string] => Boolean(entry[1]))
      .map(([name, part]) => [`${prefix}${name}`, part]),
  )
}

async function enrich(
  ctx: ConnectorContext<DeviceConfig>,
  profiles: { id: string; attributes: Record<string, unknown> }[],
) {
  const config = parseConfig(deviceConfig, ctx.config, 'device')
  return profiles.flatMap((profile) => {
    const attributes = describeDevice(profile.attributes[config.userAgentAttribute], config.prefix)
    return Object.keys(attributes).length ? [{ id: profile.id, attributes }] : []
  })
}

export default defineConnector(device, {
  check: async () => ({
    ok: true,
    message: 'user agents are parsed offline with ua-parser-js: nothing to connect to',
  }),
  jobs: { 'user-agent': { direction: 'enrichment', enrich } },
})
