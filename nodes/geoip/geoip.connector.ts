import { isIP } from 'node:net'
import type { Lookup } from 'geoip-lite'
import ipaddr from 'ipaddr.js'
import { type ConnectorContext, ConnectorError, defineConnector, parseConfig } from '../define.ts'
import { type GeoipConfig, geoip, geoipConfig } from './geoip.node.ts'

type GeoDatabase = { lookup(ip: string): Lookup | null }

let loading: Promise<GeoDatabase> | undefined

/**
 * geoip-lite reads its whole database (~100 MB of files) into memory when it is imported, which
 * takes most of a second: it is imported on the first lookup, not when the server starts.
 */
function database(): Promise<GeoDatabase> {
  loading ??= import('geoip-lite')
    .then((module) => (module as { default?: GeoDatabase }).default ?? (module as GeoDatabase))
    .catch((error: unknown) => {
      loading = undefined
      throw new ConnectorError(
        'config',
        `the GeoIP database could not be loaded: ${(error as Error).message}`,
        {
          cause: error,
        },
      )
    })
  return loading
}

/**
 * The address to look up, or null: only public unicast addresses locate anyone. Private, loopback,
 * link-local, carrier-grade NAT and documentation ranges say where a network is, not a person.
 * An IPv4-mapped IPv6 address (::ffff:8.8.8.8) is looked up as the IPv4 address it carries.
 */
export function publicAddress(value: unknown): string | null {
  if (typeof value !== 'string') return null
  const text = value.trim()
  if (isIP(text) === 0) return null
  try {
    const parsed = ipaddr.process(text)
    return parsed.range() === 'unicast' ? parsed.toString() : null
  } catch {
    return null
  }
}

/** The attributes a lookup answer gives: only the parts it knows (8.8.8.8 has no city). */
export function geoAttributes(found: Lookup | null, prefix: string): Record<string, string> {
  if (!found?.country) return {}
  const parts: [string, string | undefined][] = [
    ['country', found.country],
    ['region', found.region],
    ['city', found.city],
    ['timezone', found.timezone],
  ]
  return Object.fromEntries(
    parts
      .filter((entry): entry is [string, string] => Boolean(entry[1]))
      .map(([name, value]) => [`${prefix}${name}`, value]),
  )
}

/**
 * Where `ip` is, as attributes named with `prefix`; empty for an address that is not public or
 * not in the database.
 * @example await locate('8.8.8.8', 'geo_') // { geo_country: 'US', geo_timezone: 'America/Chicago' }
 */
export async function locate(ip: unknown, prefix: string): Promise<Record<string, string>> {
  const address = publicAddress(ip)
  return address ? geoAttributes((await database()).lookup(address), prefix) : {}
}

async function enrich(
  ctx: ConnectorContext<GeoipConfig>,
  profiles: { id: string; attributes: Record<string, unknown> }[],
) {
  const config = parseConfig(geoipConfig, ctx.config, 'GeoIP')
  const wanted = profiles.flatMap((profile) => {
    const address = publicAddress(profile.attributes[config.ipAttribute])
    return address ? [{ id: profile.id, address }] : []
  })
  // A batch without one public address does not need the database loaded.
  if (wanted.length === 0) return []
  const geo = await database()
  return wanted.flatMap(({ id, address }) => {
    const attributes = geoAttributes(geo.lookup(address), config.prefix)
    return Object.keys(attributes).length ? [{ id, attributes }] : []
  })
}

export default defineConnector(geoip, {
  async check() {
    try {
      const found = (await database()).lookup('8.8.8.8')
      return found
        ? { ok: true, message: `the GeoIP database is loaded (8.8.8.8 is in ${found.country})` }
        : { ok: false, message: 'the GeoIP database is loaded but empty: reinstall geoip-lite' }
    } catch (error) {
      return { ok: false, message: (error as Error).message }
    }
  },
  jobs: { location: { direction: 'enrichment', enrich } },
})
