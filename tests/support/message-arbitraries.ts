import fc from 'fast-check'

/**
 * Random collect messages for the property tests (fast-check): small pools of identities, so
 * messages link people often and merges and chains of merges occur; equal and out-of-order event
 * times; identity-less messages. Values are indexes, made into strings per namespace by `payload`.
 */
export interface Message {
  user?: number
  email?: number
  /** Upper-cases the email: the same identity once normalised. */
  shout?: boolean
  anon?: number
  phone?: number
  color?: string
  n?: number
  ts?: number
}

/** `ts` indexes these: the first two are the same instant written two ways. */
export const TIMES = [
  '2026-01-01T00:00:00Z',
  '2026-01-01T01:00:00+01:00',
  '2026-01-02T00:00:00Z',
  '2026-01-03T00:00:00Z',
]

/** One message, identified (5 in 6) or not; with `phone`, an attribute a mapping may make an identity. */
export function messageArbitrary(options: { phone?: boolean } = {}): fc.Arbitrary<Message> {
  const attributes = {
    color: fc.constantFrom('red', 'green', 'blue'),
    n: fc.integer({ min: 0, max: 9 }),
    ts: fc.integer({ min: 0, max: 3 }),
    ...(options.phone ? { phone: fc.integer({ min: 0, max: 2 }) } : {}),
  }
  const identified = fc.record(
    {
      user: fc.integer({ min: 0, max: 2 }),
      email: fc.integer({ min: 0, max: 2 }),
      shout: fc.boolean(),
      anon: fc.integer({ min: 0, max: 3 }),
      ...attributes,
    },
    { requiredKeys: [] },
  )
  const identityLess = fc.record(attributes, { requiredKeys: [] })
  return fc.oneof({ arbitrary: identified, weight: 5 }, { arbitrary: identityLess, weight: 1 })
}

/**
 * A chain: people first seen under one identity each, then linked pairwise (a0-a1, a1-a2, ...),
 * so their profiles merge one into another along the links, around the random messages.
 */
export const chainArbitrary = fc.integer({ min: 0, max: 3 }).map((links) => {
  const singles: Message[] = Array.from({ length: links + 1 }, (_, i) => ({ anon: 10 + i, n: i }))
  const joins: Message[] = Array.from({ length: links }, (_, i) => ({ anon: 10 + i, user: 10 + i + 1 }))
  const bridges: Message[] = Array.from({ length: links }, (_, i) => ({ user: 10 + i + 1, anon: 10 + i + 1 }))
  return { singles, links: [...joins, ...bridges] }
})

/** The collect body of `m` in namespace `ns` (every identity and value prefixed, so runs never meet). */
export function payload(m: Message, ns: string): Record<string, unknown> {
  const body: Record<string, unknown> = {}
  if (m.user !== undefined) body.user_id = `${ns}u${m.user}`
  if (m.email !== undefined) {
    const email = `${ns}e${m.email}@example.com`
    body.email = m.shout ? email.toUpperCase() : email
  }
  if (m.anon !== undefined) body.anonymous_id = `${ns}a${m.anon}`
  if (m.phone !== undefined) body.phone = `${ns}p${m.phone}`
  if (m.color !== undefined) body.color = m.color
  if (m.n !== undefined) body.n = m.n
  if (m.ts !== undefined) body.ts = TIMES[m.ts]
  return body
}

/** Whether two messages of `messages` carry the same event time. */
export function hasEqualTimestamps(messages: Message[]): boolean {
  const stamps = messages.filter((m) => m.ts !== undefined).map((m) => Date.parse(TIMES[m.ts!]!))
  return new Set(stamps).size < stamps.length
}

export const isIdentityLess = (m: Message) =>
  m.user === undefined && m.email === undefined && m.anon === undefined
