import http from 'node:http'
import type net from 'node:net'
import pg from 'pg'
import SftpClient from 'ssh2-sftp-client'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { guardedAgents, OutboundRefused, outboundContext, refusalOf } from '../../server/net/outbound.ts'
import { useTestApp } from '../support/app.ts'
import { edge } from '../support/documents.ts'
import {
  authorizationNode,
  type KeyedApi,
  keyedSource,
  registerKeyedApi,
  startKeyedApi,
} from '../support/keyed-api.ts'
import { deployPipeline } from '../support/pipelines.ts'

registerKeyedApi()

/** A listener that only counts who connects: any count above 0 means the guard let one through. */
async function canary(host: string) {
  let connections = 0
  const server = http.createServer((_, response) => response.end('canary'))
  server.on('connection', () => connections++)
  await new Promise<void>((resolve) => server.listen({ port: 0, host, ipv6Only: false }, resolve))
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => connections,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

const OFF = { allowPrivateNetwork: false }
const ON = { allowPrivateNetwork: true }
const REFUSED = /refused to connect to .*SLUICE_ALLOW_PRIVATE_NETWORK=1/

describe('the outbound guard', () => {
  let target: Awaited<ReturnType<typeof canary>>
  let redirector: http.Server
  let redirectorPort = 0
  beforeAll(async () => {
    // Both stacks: 127.0.0.1, ::1 and ::ffff:127.0.0.1 all reach it.
    target = await canary('::')
    // An "outside" server (exempted as public) that redirects inward.
    redirector = http.createServer((_, response) => {
      response.writeHead(302, { location: `http://127.0.0.1:${target.port}/inside` })
      response.end()
    })
    await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.2', resolve))
    redirectorPort = (redirector.address() as net.AddressInfo).port
  })
  afterAll(async () => {
    await target.close()
    await new Promise((resolve) => redirector.close(resolve))
  })

  it('classifies addresses: only public unicast passes', () => {
    for (const address of ['8.8.8.8', '1.1.1.1', '2001:4860:4860::8888'])
      expect(refusalOf(address, OFF), address).toBeNull()
    const refused: [string, RegExp][] = [
      ['127.0.0.1', /loopback/],
      ['10.0.0.1', /private-network/],
      ['172.16.5.4', /private-network/],
      ['192.168.1.1', /private-network/],
      ['169.254.169.254', /link-local \(cloud metadata\)/],
      ['100.100.100.200', /carrier-grade NAT/],
      ['0.0.0.0', /unspecified/],
      ['224.0.0.1', /multicast/],
      ['::1', /loopback/],
      ['::ffff:127.0.0.1', /loopback/],
      ['::ffff:169.254.169.254', /link-local/],
      ['fd00:ec2::254', /unique local/],
      ['fe80::1', /link-local/],
    ]
    for (const [address, reason] of refused) expect(refusalOf(address, OFF), address).toMatch(reason)
    expect(refusalOf('127.0.0.1', ON)).toBeNull()
  })

  it('refuses HTTP to loopback, private, metadata and mapped addresses, by name and by redirect', async () => {
    const { fetch } = outboundContext({ ...OFF, exempt: ['127.0.0.2'] })
    const urls = [
      `http://127.0.0.1:${target.port}/`,
      'http://10.0.0.1/',
      'http://169.254.169.254/latest/meta-data/',
      `http://[::1]:${target.port}/`,
      `http://[::ffff:127.0.0.1]:${target.port}/`,
      `http://localhost:${target.port}/`,
      `http://127.0.0.2:${redirectorPort}/`,
    ]
    for (const url of urls) {
      const error = await fetch(url, { signal: AbortSignal.timeout(5000) }).then(
        () => null,
        (caught: unknown) => caught,
      )
      expect(error, url).toBeInstanceOf(OutboundRefused)
      expect((error as OutboundRefused).kind).toBe('config')
      expect((error as Error).message, url).toMatch(REFUSED)
    }
    expect(target.connections()).toBe(0)
    // The flag on: the same requests go through, the redirect followed.
    const open = outboundContext(ON).fetch
    for (const url of [urls[0]!, urls[3]!, urls[4]!, urls[5]!, urls[6]!]) {
      const response = await open(url)
      expect(response.status, url).toBe(200)
      expect(await response.text()).toBe('canary')
    }
    expect(target.connections()).toBeGreaterThan(0)
  })

  it('refuses through the node:http agents SDK clients take (the AWS SDK), and allows with the flag', async () => {
    const get = (agents: ReturnType<typeof guardedAgents>, url: string) =>
      new Promise<number>((resolve, reject) => {
        const request = http.get(url, { agent: agents.httpAgent }, (response) => {
          response.resume()
          resolve(response.statusCode ?? 0)
        })
        request.on('error', reject)
      })
    const before = target.connections()
    const closed = guardedAgents(OFF)
    for (const url of [
      `http://127.0.0.1:${target.port}/`,
      `http://[::1]:${target.port}/`,
      `http://[::ffff:127.0.0.1]:${target.port}/`,
      `http://localhost:${target.port}/`,
      'http://169.254.169.254/latest/meta-data/',
    ]) {
      await expect(get(closed, url), url).rejects.toThrow(REFUSED)
    }
    expect(target.connections()).toBe(before)
    const open = guardedAgents(ON)
    expect(await get(open, `http://localhost:${target.port}/`)).toBe(200)
    open.httpAgent.destroy()
    closed.httpAgent.destroy()
  })

  it('refuses PostgreSQL and SFTP clients before they open a socket, and allows them with the flag', async () => {
    const pgCanary = await canary('127.0.0.1')
    try {
      const guard = outboundContext(OFF)
      for (const host of [
        '127.0.0.1',
        'localhost',
        '[::1]',
        '[::ffff:127.0.0.1]',
        '10.0.0.1',
        '169.254.169.254',
      ]) {
        await expect(guard.resolveHost(host), host).rejects.toThrow(REFUSED)
      }
      // What a connector does: connect to the checked address.
      const connectPg = async (policy: typeof OFF, url: URL) => {
        const client = new pg.Client({
          host: await outboundContext(policy).resolveHost(url.hostname),
          port: Number(url.port),
          user: decodeURIComponent(url.username),
          password: decodeURIComponent(url.password),
          database: url.pathname.slice(1),
          connectionTimeoutMillis: 5000,
        })
        await client.connect()
        try {
          return (await client.query('select 1 as one')).rows[0].one
        } finally {
          await client.end()
        }
      }
      const pgUrl = new URL(inject('pgUrl') ?? `postgres://sluice@127.0.0.1:${pgCanary.port}/sluice`)
      await expect(connectPg(OFF, pgUrl)).rejects.toThrow(REFUSED)
      await expect(connectPg(OFF, new URL(`postgres://u:p@localhost:${pgCanary.port}/db`))).rejects.toThrow(
        REFUSED,
      )
      const connectSftp = async (policy: typeof OFF, host: string) => {
        const sftp = new SftpClient()
        try {
          await sftp.connect({
            host: await outboundContext(policy).resolveHost(host),
            port: pgCanary.port,
            username: 'nobody',
            password: 'nothing',
            readyTimeout: 2000,
            retries: 0,
          })
        } finally {
          await sftp.end().catch(() => undefined)
        }
      }
      await expect(connectSftp(OFF, '127.0.0.1')).rejects.toThrow(REFUSED)
      await expect(connectSftp(OFF, 'localhost')).rejects.toThrow(REFUSED)
      expect(pgCanary.connections()).toBe(0)
      // With the flag: a real PostgreSQL answers, and the SFTP client reaches the listener.
      if (inject('pgUrl')) expect(await connectPg(ON, pgUrl)).toBe(1)
      await expect(connectSftp(ON, '127.0.0.1')).rejects.toThrow()
      expect(pgCanary.connections()).toBe(1)
    } finally {
      await pgCanary.close()
    }
  })
})

describe('the outbound guard in connectors, with the flag off', () => {
  let api: KeyedApi
  beforeAll(async () => {
    api = await startKeyedApi(['guarded-key-1234'])
  })
  afterAll(() => api.close())
  const t = useTestApp('sqlite', { SLUICE_ALLOW_PRIVATE_NETWORK: '0' })

  it('turns a connection test and a job run at a loopback API into a clear config error', async () => {
    const admin = await t().setupAdmin()
    const created = await t().send('POST', '/api/authorizations', {
      cookie: admin,
      body: {
        name: 'Inside',
        provider: 'keyed',
        method: 'apikey',
        credentials: { baseUrl: api.url, apiKey: 'guarded-key-1234' },
      },
    })
    const test = await t().send('POST', `/api/authorizations/${created.json.id}/test`, { cookie: admin })
    expect(test.json.ok).toBe(false)
    expect(test.json.message).toMatch(
      /refused to connect to 127\.0\.0\.1: 127\.0\.0\.1 is a loopback address/,
    )
    const { jobOf } = await deployPipeline(t(), admin, 'Guarded', {
      version: 1,
      nodes: [keyedSource('src'), authorizationNode('auth', 'keyed', created.json.id)],
      edges: [edge('auth', 'src')],
    })
    await t().deps.dispatcher.tick()
    const job = await t().send('GET', `/api/jobs/${jobOf('src')}`, { cookie: admin })
    // An error like any other (DESIGN.md §4): it sleeps and retries, saying what to fix.
    expect(job.json).toMatchObject({ status: 'sleeping', sleepReason: 'retry', consecutiveErrors: 1 })
    expect(job.json.lastError).toMatch(REFUSED)
    expect(api.seen).toEqual([])
  })
})
