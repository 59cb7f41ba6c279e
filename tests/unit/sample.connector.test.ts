import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isValidPhoneNumber } from 'libphonenumber-js'
import { parsePhoneNumberFromString } from 'libphonenumber-js/max'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type ConnectorContext,
  ConnectorError,
  type ReadBatch,
  type SourceRecord,
} from '../../nodes/define.ts'
import sampleConnector from '../../nodes/sample/sample.connector.ts'
import { type SampleEventsConfig, sampleEventsConfig } from '../../nodes/sample/sample.node.ts'
import { outboundContext } from '../../server/net/outbound.ts'

const { read } = sampleConnector.jobs.events

let dataDir: string
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'sluice-sample-'))
})
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true })
})

function context(config: Partial<SampleEventsConfig>, signal = new AbortController().signal) {
  return {
    config: sampleEventsConfig.parse(config),
    credentials: {},
    ...outboundContext({ allowPrivateNetwork: false }),
    signal,
    // A wall clock that moves: output must not depend on it.
    now: () => new Date(),
    sleep: async () => {},
    dataDir,
    jobId: 'job-sample',
  } satisfies ConnectorContext<SampleEventsConfig>
}

async function collect(
  config: Partial<SampleEventsConfig>,
  checkpoint: unknown = null,
  extra: { preview?: { limit: number }; signal?: AbortSignal } = {},
): Promise<ReadBatch[]> {
  const batches: ReadBatch[] = []
  const options = extra.preview ? { checkpoint, preview: extra.preview } : { checkpoint }
  for await (const batch of read(context(config, extra.signal), options)) batches.push(batch)
  return batches
}

const records = (batches: ReadBatch[]): SourceRecord[] => batches.flatMap((batch) => batch.records)
const lastCheckpoint = (batches: ReadBatch[]) => batches.at(-1)?.checkpoint ?? null

/** Reads `runs` consecutive runs, each continuing from the previous checkpoint. */
async function runs(config: Partial<SampleEventsConfig>, sizes: number[]): Promise<SourceRecord[]> {
  let checkpoint: unknown = null
  const out: SourceRecord[] = []
  for (const eventsPerRun of sizes) {
    const batches = await collect({ ...config, eventsPerRun }, checkpoint)
    out.push(...records(batches))
    checkpoint = lastCheckpoint(batches)
  }
  return out
}

describe('sample source: determinism and checkpoints', () => {
  it('gives the same records for the same seed, whatever the wall clock', async () => {
    const first = records(await collect({ seed: 7, eventsPerRun: 300 }))
    await new Promise((resolve) => setTimeout(resolve, 5))
    const second = records(await collect({ seed: 7, eventsPerRun: 300 }))
    expect(second).toEqual(first)
    expect(first).toHaveLength(300)
  })

  it('gives different records for a different seed', async () => {
    const a = records(await collect({ seed: 1, eventsPerRun: 50 }))
    const b = records(await collect({ seed: 2, eventsPerRun: 50 }))
    expect(b.map((record) => record.data.email)).not.toEqual(a.map((record) => record.data.email))
  })

  it('produces the same sequence however runs and batches are split', async () => {
    const whole = await runs({ seed: 9, batchSize: 1000 }, [1000])
    const split = await runs({ seed: 9, batchSize: 7 }, [1, 99, 250, 13, 637])
    expect(split).toEqual(whole)
  })

  it('continues from the checkpoint and reports the next offset after each batch', async () => {
    const batches = await collect({ eventsPerRun: 1000, batchSize: 300 }, { offset: 500 })
    expect(batches.map((batch) => batch.records.length)).toEqual([300, 300, 300, 100])
    expect(batches.map((batch) => batch.checkpoint)).toEqual([
      { offset: 800 },
      { offset: 1100 },
      { offset: 1400 },
      { offset: 1500 },
    ])
    expect(batches[0]?.records[0]?.key).toBe('evt-42-500')
    expect(batches.at(-1)?.records.at(-1)?.key).toBe('evt-42-1499')
    expect(batches.every((batch) => batch.done !== true)).toBe(true)
  })

  it('starts at zero without a checkpoint and keys records by seed and index', async () => {
    const all = records(await collect({ seed: 5, eventsPerRun: 20, batchSize: 20 }))
    expect(all.map((record) => record.key)).toEqual(Array.from({ length: 20 }, (_, i) => `evt-5-${i}`))
  })

  it('rejects a checkpoint it did not write', async () => {
    await expect(collect({}, { offset: -1 })).rejects.toBeInstanceOf(ConnectorError)
    await expect(collect({}, { cursor: 'x' })).rejects.toMatchObject({ kind: 'config' })
  })

  it('stops between batches once the signal is aborted', async () => {
    const controller = new AbortController()
    const seen: ReadBatch[] = []
    for await (const batch of read(context({ eventsPerRun: 1000, batchSize: 100 }, controller.signal), {
      checkpoint: null,
    })) {
      seen.push(batch)
      if (seen.length === 2) controller.abort()
    }
    expect(seen).toHaveLength(2)
    expect(lastCheckpoint(seen)).toEqual({ offset: 200 })
  })
})

describe('sample source: preview', () => {
  it('returns one batch of at most the limit and touches nothing', async () => {
    const before = await readdir(dataDir)
    const batches = await collect(
      { eventsPerRun: 500, batchSize: 10 },
      { offset: 40 },
      { preview: { limit: 25 } },
    )
    expect(batches).toHaveLength(1)
    expect(batches[0]?.records).toHaveLength(25)
    expect(batches[0]?.records[0]?.key).toBe('evt-42-40')
    expect(await readdir(dataDir)).toEqual(before)
  })

  it('never returns more than a run would', async () => {
    const batches = await collect({ eventsPerRun: 5 }, null, { preview: { limit: 100 } })
    expect(records(batches)).toHaveLength(5)
  })

  it('matches what a run reads', async () => {
    const preview = records(await collect({ seed: 3 }, null, { preview: { limit: 10 } }))
    const run = records(await collect({ seed: 3, eventsPerRun: 10 }))
    expect(preview).toEqual(run)
  })
})

describe('sample source: realistic records', () => {
  let sample: SourceRecord[] = []
  beforeAll(async () => {
    sample = await runs({ seed: 42, customers: 1000 }, [2000, 2000])
  })
  const field = (record: SourceRecord, name: string) => record.data[name]

  it('shares emails between at least 10% of the events of any reasonable run', async () => {
    for (const seed of [1, 42, 2024]) {
      for (const customers of [1_000_000, 1000]) {
        for (const [offset, size] of [
          [0, 50],
          [3, 100],
          [12_345, 101],
          [1_000_003, 500],
        ] as const) {
          const run = records(await collect({ seed, customers, eventsPerRun: size }, { offset }))
          const counts = new Map<string, number>()
          for (const record of run) {
            const email = field(record, 'email')
            if (typeof email === 'string') counts.set(email, (counts.get(email) ?? 0) + 1)
          }
          const sharing = run.filter((record) => (counts.get(String(field(record, 'email'))) ?? 0) > 1).length
          expect(
            sharing / run.length,
            `seed ${seed}, ${customers} customers, ${size} at ${offset}`,
          ).toBeGreaterThanOrEqual(0.1)
        }
      }
    }
  })

  it('gives most events an email and the rest an anonymous id', () => {
    const withEmail = sample.filter((record) => typeof field(record, 'email') === 'string')
    expect(withEmail.length / sample.length).toBeGreaterThan(0.85)
    expect(sample.every((record) => /^[0-9a-f-]{36}$/.test(String(field(record, 'anonymous_id'))))).toBe(true)
  })

  it('keeps one identity per customer: a user id has one email, name and phone', () => {
    const byUser = new Map<unknown, string>()
    for (const record of sample.filter((r) => field(r, 'user_id') !== undefined)) {
      const identity = ['email', 'first_name', 'last_name', 'phone']
        .map((name) => field(record, name))
        .join('|')
      const known = byUser.get(field(record, 'user_id'))
      if (known !== undefined) expect(identity).toBe(known)
      byUser.set(field(record, 'user_id'), identity)
    }
    const emails = new Map<unknown, unknown>()
    for (const record of sample.filter((r) => field(r, 'email') !== undefined)) {
      const owner = emails.get(field(record, 'email'))
      if (owner !== undefined) expect(field(record, 'user_id')).toBe(owner)
      emails.set(field(record, 'email'), field(record, 'user_id'))
    }
  })

  it('writes lower-case emails built from the names, at common domains', () => {
    for (const record of sample.filter((r) => field(r, 'email') !== undefined)) {
      const email = String(field(record, 'email'))
      expect(email).toMatch(/^[a-z][a-z._]*[a-z]\d+@[a-z0-9-]+(\.[a-z0-9-]+)+$/)
      expect(email).toBe(email.toLowerCase())
      expect(email).toContain(String(field(record, 'last_name')).toLowerCase())
      expect(String(field(record, 'first_name'))).toMatch(/^[A-Z][a-z]+$/)
    }
  })

  it('gives valid E.164 phone numbers: NANP and UK mobiles', () => {
    const phones = new Set(
      sample.map((record) => field(record, 'phone')).filter((phone) => phone !== undefined),
    )
    expect(phones.size).toBeGreaterThan(100)
    for (const phone of phones) {
      expect(phone).toMatch(/^\+[1-9]\d{7,14}$/)
      expect(isValidPhoneNumber(String(phone)), String(phone)).toBe(true)
    }
    const uk = [...phones].filter((phone) => String(phone).startsWith('+44'))
    expect(uk.length).toBeGreaterThan(10)
    for (const phone of uk) {
      expect(phone).toMatch(/^\+447\d{9}$/)
      expect(parsePhoneNumberFromString(String(phone))?.getType()).toBe('MOBILE')
    }
    expect([...phones].some((phone) => String(phone).startsWith('+1'))).toBe(true)
  })

  it('uses public IPv4 addresses only', () => {
    const ips = sample.map((record) => String(field(record, 'ip')))
    expect(new Set(ips).size).toBeGreaterThan(500)
    for (const ip of ips) expect(isPublicIPv4(ip), ip).toBe(true)
  })

  it('uses real browser user agents', () => {
    const agents = new Set(sample.map((record) => String(field(record, 'user_agent'))))
    expect(agents.size).toBeGreaterThanOrEqual(8)
    for (const agent of agents) {
      expect(agent).toMatch(/^Mozilla\/5\.0 \((Windows NT|Macintosh|iPhone|iPad|X11|Linux)[^)]*\) /)
      expect(agent).toMatch(/(Chrome|Firefox|Version)\/\d+(\.\d+)*/)
    }
  })

  it('places events on a clock that only moves forward and never reads the wall clock', () => {
    const times = sample.map((record) => Date.parse(String(record.eventTime)))
    for (const [i, time] of times.entries()) {
      expect(sample[i]?.eventTime).toBe(new Date(time).toISOString())
      if (i > 0) expect(time).toBeGreaterThan(times[i - 1]!)
    }
    expect(new Date(times[0]!).getUTCFullYear()).toBe(2024)
  })

  it('carries event details: page urls, carts and purchases', () => {
    const byEvent = new Map<string, SourceRecord[]>()
    for (const r of sample) {
      const name = String(field(r, 'event'))
      byEvent.set(name, [...(byEvent.get(name) ?? []), r])
    }
    expect([...byEvent.keys()].sort()).toEqual(
      ['add_to_cart', 'email_click', 'email_open', 'login', 'page_view', 'purchase', 'signup'].sort(),
    )
    for (const view of byEvent.get('page_view') ?? [])
      expect(field(view, 'url')).toMatch(/^https:\/\/[a-z.]+\//)
    const purchases = byEvent.get('purchase') ?? []
    expect(purchases.length).toBeGreaterThan(100)
    const orders = new Set<unknown>()
    for (const purchase of purchases) {
      const amount = field(purchase, 'amount')
      expect(typeof amount).toBe('number')
      expect(Math.abs(Number(amount) * 100 - Math.round(Number(amount) * 100))).toBeLessThan(1e-6)
      expect(Number(amount)).toBeGreaterThan(0)
      expect(['USD', 'CAD', 'GBP']).toContain(field(purchase, 'currency'))
      expect(field(purchase, 'sku')).toMatch(/^[A-Z0-9-]+$/)
      expect(typeof field(purchase, 'product_name')).toBe('string')
      expect(field(purchase, 'email')).toBeDefined()
      orders.add(field(purchase, 'order_id'))
    }
    expect(orders.size).toBe(purchases.length)
    for (const open of byEvent.get('email_open') ?? []) expect(field(open, 'campaign_id')).toMatch(/^cmp-/)
    for (const event of sample) {
      expect(['US', 'CA', 'GB']).toContain(field(event, 'country'))
      expect(typeof field(event, 'city')).toBe('string')
    }
  })
})

describe('sample source: config schema and check', () => {
  it('applies the documented defaults', () => {
    expect(sampleEventsConfig.parse({})).toEqual({
      seed: 42,
      customers: 1000,
      eventsPerRun: 500,
      batchSize: 250,
    })
  })

  it.each([
    { customers: 0 },
    { customers: 1_000_001 },
    { eventsPerRun: 0 },
    { batchSize: 10_001 },
    { seed: 1.5 },
    { extra: true },
  ])('rejects %o', (config) => {
    expect(sampleEventsConfig.safeParse(config).success).toBe(false)
  })

  it('always answers ok without a network', async () => {
    const { jobId: _, ...ctx } = context({})
    expect(await sampleConnector.check({ ...ctx, config: null })).toMatchObject({ ok: true })
  })
})

/** An independent check (not the generator's): globally routable, per the IANA special-purpose registry. */
function isPublicIPv4(ip: string): boolean {
  const octets = ip.split('.').map(Number)
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) return false
  const value = octets.reduce((acc, o) => acc * 256 + o, 0)
  const blocked: [string, number][] = [
    ['0.0.0.0', 8],
    ['10.0.0.0', 8],
    ['100.64.0.0', 10],
    ['127.0.0.0', 8],
    ['169.254.0.0', 16],
    ['172.16.0.0', 12],
    ['192.0.0.0', 24],
    ['192.0.2.0', 24],
    ['192.88.99.0', 24],
    ['192.168.0.0', 16],
    ['198.18.0.0', 15],
    ['198.51.100.0', 24],
    ['203.0.113.0', 24],
    ['224.0.0.0', 4],
    ['240.0.0.0', 4],
  ]
  return blocked.every(([base, bits]) => {
    const start = base.split('.').reduce((acc, o) => acc * 256 + Number(o), 0)
    return value < start || value >= start + 2 ** (32 - bits)
  })
}
