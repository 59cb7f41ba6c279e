import type { Context } from 'hono'
import { type Emulator, type Fault, startEmulator } from './harness.ts'

/**
 * Meta's Graph API as far as Custom Audiences go, from its documentation:
 * - https://developers.facebook.com/docs/marketing-api/reference/custom-audience/users
 *   (POST and DELETE /{version}/{audience_id}/users, `payload` = { schema, data }, at most 10,000
 *   users a request, the answer { audience_id, session_id, num_received, num_invalid_entries,
 *   invalid_entry_samples })
 * - https://developers.facebook.com/docs/marketing-api/audiences/guides/custom-audiences
 *   (multi-key schemas, SHA-256 hashes of normalised values, `access_token` as a parameter)
 * - https://developers.facebook.com/docs/graph-api/guides/error-handling and
 *   https://developers.facebook.com/documentation/ads-commerce/marketing-api/error-reference
 *   (the { error: { message, type, code, error_subcode, is_transient, fbtrace_id } } body; 190 an
 *   invalid token, 100/33 an object that does not exist or cannot be reached)
 * - https://developers.facebook.com/docs/graph-api/overview/rate-limiting and
 *   https://developers.facebook.com/docs/marketing-api/overview/rate-limiting (codes 4, 17, 613,
 *   80003 and the X-Business-Use-Case-Usage header with estimated_time_to_regain_access, minutes)
 * The access token is checked on every call; the audiences' members are kept as the hashes sent.
 */

export interface Member {
  EMAIL?: string
  PHONE?: string
}

export interface FacebookEmulator extends Emulator {
  /** Tokens the API takes; remove one to revoke it. */
  tokens: Set<string>
  /** The members of a custom audience, as hashed keys. */
  members(audienceId: string): Member[]
  /** The hashed emails (or phones) of an audience's members, sorted. */
  hashes(audienceId: string, key: keyof Member): string[]
  /** Every payload the users edge got, in order, with its method. */
  payloads: { method: string; audienceId: string; schema: string[]; data: string[][] }[]
}

/** A Graph API error body as the error handling guide shows it. */
export function graphError(code: number, message: string, extra: Record<string, unknown> = {}) {
  return { error: { message, type: 'OAuthException', code, ...extra, fbtrace_id: 'AbCdEfGhIjK' } }
}

/** The custom audience rate limit (80003) with its usage header, access back in `minutes`. */
export function audienceRateLimit(minutes: number): Fault {
  return {
    status: 400,
    match: /\/users/,
    body: graphError(80003, 'There have been too many calls to this ad-account. Wait a bit and try again.', {
      error_subcode: 2446079,
    }),
    headers: {
      'x-business-use-case-usage': JSON.stringify({
        '10153848260347724': [
          {
            type: 'custom_audience',
            call_count: 100,
            total_cputime: 14,
            total_time: 21,
            estimated_time_to_regain_access: minutes,
          },
        ],
      }),
    },
  }
}

/** A transient server failure (code 2, `is_transient`), as Meta answers during an outage. */
export const serviceUnavailable: Fault = {
  status: 500,
  match: /\/users/,
  body: graphError(2, 'An unexpected error has occurred. Please retry your request later.', {
    is_transient: true,
  }),
}

const HASH = /^[0-9a-f]{64}$/
const KEYS = new Set([
  'EMAIL',
  'PHONE',
  'FN',
  'LN',
  'CT',
  'ST',
  'ZIP',
  'COUNTRY',
  'DOBY',
  'GEN',
  'MADID',
  'EXTERN_ID',
])
const LIMIT = 10_000

export async function startFacebook(options: {
  tokens: Iterable<string>
  audiences: Record<string, string>
}): Promise<FacebookEmulator> {
  const tokens = new Set(options.tokens)
  const audiences = new Map(
    Object.entries(options.audiences).map(([id, name]) => [id, { name, members: [] as Member[] }]),
  )
  const payloads: FacebookEmulator['payloads'] = []

  /** The call's parameters: the query of a read, the form body of a write. */
  async function params(c: Context): Promise<URLSearchParams> {
    if (c.req.method === 'GET') return new URL(c.req.url).searchParams
    return new URLSearchParams(await c.req.text())
  }

  const refuse = (c: Context, status: 400 | 404, body: unknown, headers: Record<string, string> = {}) => {
    for (const [name, value] of Object.entries(headers)) c.header(name, value)
    return c.json(body, status)
  }

  /** 190 for a missing or unknown token; Meta repeats nothing of it. */
  function unauthorized(c: Context, given: string | null) {
    return refuse(
      c,
      400,
      given
        ? graphError(190, 'Invalid OAuth access token - Cannot parse access token', { error_subcode: 463 })
        : graphError(104, 'An access token is required to request this resource.'),
      { 'www-authenticate': 'OAuth "Facebook Platform" "invalid_token" "Invalid OAuth access token"' },
    )
  }

  const missing = (c: Context, id: string) =>
    refuse(
      c,
      400,
      graphError(
        100,
        `Unsupported request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
        { error_subcode: 33 },
      ),
    )

  const sameMember = (a: Member, b: Member) =>
    (a.EMAIL !== undefined && a.EMAIL === b.EMAIL) || (a.PHONE !== undefined && a.PHONE === b.PHONE)

  async function users(c: Context, method: 'POST' | 'DELETE') {
    const query = await params(c)
    const token = query.get('access_token')
    if (!token || !tokens.has(token)) return unauthorized(c, token)
    const id = c.req.param('id')!
    const audience = audiences.get(id)
    if (!audience) return missing(c, id)
    let payload: { schema?: unknown; data?: unknown }
    try {
      payload = JSON.parse(query.get('payload') ?? '')
    } catch {
      return refuse(c, 400, graphError(100, '(#100) param payload must be a JSON object'))
    }
    const schema = [payload.schema].flat()
    if (!schema.length || !schema.every((key) => typeof key === 'string' && KEYS.has(key)))
      return refuse(
        c,
        400,
        graphError(100, '(#100) Invalid parameter', { error_user_msg: 'Unknown schema key' }),
      )
    if (!Array.isArray(payload.data))
      return refuse(
        c,
        400,
        graphError(100, '(#100) Invalid parameter', { error_user_msg: 'data must be a list' }),
      )
    if (payload.data.length > LIMIT)
      return refuse(
        c,
        400,
        graphError(100, '(#100) Invalid parameter', {
          error_user_msg: `At most ${LIMIT} users can be sent in one request`,
        }),
      )
    const data = (payload.data as unknown[]).map((row) => [row].flat().map(String))
    payloads.push({ method, audienceId: id, schema: schema as string[], data })
    const invalid: string[] = []
    for (const row of data) {
      const member: Member = {}
      schema.forEach((key, index) => {
        const value = row[index] ?? ''
        if ((key === 'EMAIL' || key === 'PHONE') && HASH.test(value)) member[key] = value
      })
      const malformed = row.length !== schema.length || row.some((value) => value !== '' && !HASH.test(value))
      if (malformed || (member.EMAIL === undefined && member.PHONE === undefined)) {
        invalid.push(JSON.stringify(row))
        continue
      }
      if (method === 'POST') {
        const known = audience.members.find((other) => sameMember(other, member))
        if (known) Object.assign(known, member)
        else audience.members.push(member)
      } else audience.members = audience.members.filter((other) => !sameMember(other, member))
    }
    return c.json({
      audience_id: id,
      session_id: String(payloads.length),
      num_received: data.length,
      num_invalid_entries: invalid.length,
      invalid_entry_samples: Object.fromEntries(invalid.slice(0, 5).map((row) => [row, 'Invalid format'])),
    })
  }

  const emulator = await startEmulator((app) => {
    app.get('/:version/me', async (c) => {
      const token = (await params(c)).get('access_token')
      if (!token || !tokens.has(token)) return unauthorized(c, token)
      return c.json({ id: '100089012345678', name: 'Sluice system user' })
    })
    app.post('/:version/:id/users', (c) => users(c, 'POST'))
    app.delete('/:version/:id/users', (c) => users(c, 'DELETE'))
    app.get('/:version/:id', async (c) => {
      const token = (await params(c)).get('access_token')
      if (!token || !tokens.has(token)) return unauthorized(c, token)
      const id = c.req.param('id')
      const audience = audiences.get(id)
      if (!audience) return missing(c, id)
      return c.json({ id, name: audience.name })
    })
  })
  const members = (audienceId: string) => audiences.get(audienceId)?.members ?? []
  return {
    ...emulator,
    tokens,
    payloads,
    members,
    hashes: (audienceId, key) =>
      members(audienceId)
        .flatMap((member) => (member[key] === undefined ? [] : [member[key]!]))
        .sort(),
  }
}
