import dns, { type LookupAddress } from 'node:dns'
import http from 'node:http'
import https from 'node:https'
import net from 'node:net'
import ipaddr from 'ipaddr.js'
import { Agent, buildConnector, fetch as undiciFetch } from 'undici'
import { ConnectorError } from '../../nodes/define.ts'

/**
 * The outbound guard (DESIGN.md §6). A connector's user chooses where it connects — a REST URL,
 * a database host, an SFTP server — so without a guard anyone who may edit a pipeline can reach
 * what only Sluice's host can: loopback services, the private network, the cloud metadata
 * endpoint. Every client a connector opens resolves through here, and the check applies to the
 * address actually connected (each DNS answer, each redirect's new connection), so neither a
 * name pointing inward nor a redirect gets past it. SLUICE_ALLOW_PRIVATE_NETWORK=1 lifts it.
 */

export interface OutboundPolicy {
  allowPrivateNetwork: boolean
  /** Tests only: addresses treated as public, to stand in for an outside server. */
  exempt?: readonly string[]
}

const HELP = 'Sluice does not connect to private networks unless SLUICE_ALLOW_PRIVATE_NETWORK=1 is set'

const KIND: Record<string, string> = {
  loopback: 'a loopback',
  private: 'a private-network',
  linkLocal: 'a link-local (cloud metadata)',
  uniqueLocal: 'a private-network (IPv6 unique local)',
  unspecified: 'an unspecified',
  carrierGradeNat: 'a carrier-grade NAT',
  multicast: 'a multicast',
  broadcast: 'a broadcast',
}

/** Why `address` may not be connected to, or null when it may. Only public unicast passes. */
export function refusalOf(address: string, policy: OutboundPolicy): string | null {
  if (policy.allowPrivateNetwork || policy.exempt?.includes(address)) return null
  let parsed: ipaddr.IPv4 | ipaddr.IPv6
  try {
    parsed = ipaddr.parse(address.replace(/^\[|\]$/g, '').replace(/%.*$/, ''))
  } catch {
    return `${address} is not an IP address`
  }
  // ::ffff:127.0.0.1 is 127.0.0.1.
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress())
    parsed = (parsed as ipaddr.IPv6).toIPv4Address()
  const range = parsed.range()
  if (range === 'unicast') return null
  return `${address} is ${KIND[range] ?? `a reserved (${range})`} address`
}

/** The error a refused connection is: a config error the user fixes by pointing elsewhere. */
export class OutboundRefused extends ConnectorError {
  constructor(host: string, reason: string) {
    super('config', `refused to connect to ${host}: ${reason}; ${HELP}`, { code: 'OutboundRefused' })
  }
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void

/** A `dns.lookup` for net/tls `connect` that drops refused answers and fails when none is left. */
export function guardedLookup(policy: OutboundPolicy) {
  return (hostname: string, options: dns.LookupOptions, callback: LookupCallback): void => {
    dns.lookup(hostname, { ...options, all: true }, (error, answers) => {
      if (error) return callback(error, [])
      const allowed = answers.filter((answer) => refusalOf(answer.address, policy) === null)
      if (allowed.length === 0) {
        const reason = answers.length ? refusalOf(answers[0]!.address, policy)! : 'it has no address'
        return callback(new OutboundRefused(hostname, `it resolves to ${reason.replace(/ is /, ', ')}`), [])
      }
      if (options.all) callback(null, allowed)
      else callback(null, allowed[0]!.address, allowed[0]!.family)
    })
  }
}

/**
 * The address to connect to for `host` (a name or a literal), checked: for clients that take a
 * host and open their own socket (pg, ssh2). They connect to the returned address, so a second
 * DNS answer cannot differ from the one checked; TLS clients pass `host` as the server name.
 * @throws OutboundRefused
 */
export async function resolveGuarded(host: string, policy: OutboundPolicy): Promise<string> {
  const literal = host.replace(/^\[|\]$/g, '')
  if (net.isIP(literal)) {
    const reason = refusalOf(literal, policy)
    if (reason) throw new OutboundRefused(host, reason)
    return literal
  }
  return new Promise((resolve, reject) => {
    guardedLookup(policy)(host, {}, (error, address) => (error ? reject(error) : resolve(address as string)))
  })
}

const dispatchers = new Map<string, Agent>()

/** One undici dispatcher per policy: every connection it opens (redirects too) is checked first. */
export function guardedDispatcher(policy: OutboundPolicy): Agent {
  const key = JSON.stringify([policy.allowPrivateNetwork, policy.exempt ?? []])
  let agent = dispatchers.get(key)
  if (!agent) {
    const connect = buildConnector({ lookup: guardedLookup(policy) as never, timeout: 10_000 })
    agent = new Agent({
      connect(options, callback) {
        // An IP literal skips lookup: check it here.
        const reason = net.isIP(options.hostname.replace(/^\[|\]$/g, ''))
          ? refusalOf(options.hostname, policy)
          : null
        if (reason) return callback(new OutboundRefused(options.hostname, reason), null)
        return connect(options, callback)
      },
    })
    dispatchers.set(key, agent)
  }
  return agent
}

/** A refusal surfaces as itself, not as fetch's generic "fetch failed". */
function refusalIn(error: unknown): OutboundRefused | null {
  for (let cause = error; cause; cause = (cause as { cause?: unknown }).cause)
    if (cause instanceof OutboundRefused) return cause
  return null
}

/** `fetch` for connectors, through the guard; a refusal (also mid-redirect) throws OutboundRefused. */
export function guardedFetch(policy: OutboundPolicy): typeof fetch {
  const dispatcher = guardedDispatcher(policy)
  return (async (input: string | URL | Request, init?: RequestInit) => {
    try {
      return await undiciFetch(input as never, { ...(init as object), dispatcher } as never)
    } catch (error) {
      throw refusalIn(error) ?? error
    }
  }) as typeof fetch
}

/** What a connector context carries of the guard under `policy`. */
export function outboundContext(policy: OutboundPolicy) {
  return {
    fetch: guardedFetch(policy),
    resolveHost: (host: string) => resolveGuarded(host, policy),
    nodeAgents: () => sharedAgents(policy),
  }
}

const agentPairs = new Map<string, ReturnType<typeof guardedAgents>>()
/** One pair of guarded agents per policy, so SDK clients of every unit share kept-alive sockets. */
function sharedAgents(policy: OutboundPolicy) {
  const key = JSON.stringify([policy.allowPrivateNetwork, policy.exempt ?? []])
  let pair = agentPairs.get(key)
  if (!pair) {
    pair = guardedAgents(policy)
    agentPairs.set(key, pair)
  }
  return pair
}

/**
 * `node:http`/`node:https` agents through the guard, for clients built on them (the AWS SDK's
 * `NodeHttpHandler({ httpAgent, httpsAgent })`): names resolve through the guarded lookup, and an
 * IP literal — which skips lookup — is checked before the socket opens.
 */
export function guardedAgents(policy: OutboundPolicy): { httpAgent: http.Agent; httpsAgent: https.Agent } {
  const lookup = guardedLookup(policy) as unknown as net.LookupFunction
  const refuseLiteral = (options: { host?: string | null; hostname?: string | null }) => {
    const host = String(options.hostname ?? options.host ?? '')
    const literal = host.replace(/^\[|\]$/g, '')
    const reason = net.isIP(literal) ? refusalOf(literal, policy) : null
    if (reason) throw new OutboundRefused(host, reason)
  }
  class GuardedHttpAgent extends http.Agent {
    override createConnection(
      options: net.NetConnectOpts & { host?: string },
      callback?: (error: Error | null, socket: net.Socket) => void,
    ) {
      refuseLiteral(options)
      // biome-ignore lint/suspicious/noExplicitAny: Agent#createConnection is untyped in @types/node
      return (http.Agent.prototype as any).createConnection.call(this, options, callback)
    }
  }
  class GuardedHttpsAgent extends https.Agent {
    override createConnection(
      options: net.NetConnectOpts & { host?: string },
      callback?: (error: Error | null, socket: net.Socket) => void,
    ) {
      refuseLiteral(options)
      // biome-ignore lint/suspicious/noExplicitAny: as above
      return (https.Agent.prototype as any).createConnection.call(this, options, callback)
    }
  }
  return {
    httpAgent: new GuardedHttpAgent({ keepAlive: true, lookup }),
    httpsAgent: new GuardedHttpsAgent({ keepAlive: true, lookup }),
  }
}
