import { createHash, randomUUID } from 'node:crypto'
import type { Context } from 'hono'
import { type Emulator, startEmulator } from './harness.ts'

/**
 * Mailchimp Marketing API 3.0, as its reference documents it, for the routes Sluice calls: basic
 * auth with the API key, the API root, audiences (lists), list members with offset/count paging
 * and `since_last_changed`, batch subscribe/unsubscribe (500 members a request, per-member errors
 * in a 200 answer), archiving a member, Mailchimp's problem bodies, and its limit of 10
 * simultaneous connections per key (429). Time is the emulator's own: `advance()` moves it, and
 * every change stamps the member's `last_changed` with it.
 */

const ERRORS_DOC = 'https://mailchimp.com/developer/marketing/docs/errors/'
const MAX_COUNT = 1000
const MAX_BATCH = 500
const MAX_CONNECTIONS = 10

export interface MailchimpMember {
  id: string
  email_address: string
  unique_email_id: string
  contact_id: string
  full_name: string
  web_id: number
  email_type: string
  status: 'subscribed' | 'unsubscribed' | 'cleaned' | 'pending' | 'transactional' | 'archived'
  merge_fields: Record<string, unknown>
  stats: { avg_open_rate: number; avg_click_rate: number }
  ip_signup: string
  timestamp_signup: string
  ip_opt: string
  timestamp_opt: string
  member_rating: number
  last_changed: string
  language: string
  vip: boolean
  email_client: string
  location: { latitude: number; longitude: number; country_code: string; timezone: string }
  source: string
  tags_count: number
  tags: { id: number; name: string }[]
  list_id: string
}

export interface EmulatedList {
  id: string
  name: string
  /** By subscriber hash, in the order they joined. */
  members: Map<string, MailchimpMember>
  /** Emails that unsubscribed themselves: Mailchimp refuses to resubscribe them through the API. */
  compliance: Set<string>
}

export interface MailchimpEmulator extends Emulator {
  /** Accepted API keys; delete one to revoke it. */
  keys: Set<string>
  lists: Map<string, EmulatedList>
  addList(id: string, name: string): EmulatedList
  /** Adds (or changes) a member now, as a signup form would. */
  addMember(
    listId: string,
    email: string,
    fields?: Partial<Pick<MailchimpMember, 'status' | 'merge_fields'>> & { tags?: string[] },
  ): MailchimpMember
  /** Changes a member's merge fields or status now, as an edit in Mailchimp would. */
  touch(
    listId: string,
    email: string,
    change: Partial<Pick<MailchimpMember, 'status' | 'merge_fields'>>,
  ): void
  member(listId: string, email: string): MailchimpMember | undefined
  /** Moves the emulator's clock on. */
  advance(seconds: number): void
  now(): string
}

export const hashOf = (email: string) => createHash('md5').update(email.trim().toLowerCase()).digest('hex')

/** Mailchimp's timestamps: ISO 8601 to the second with a `+00:00` offset. */
const stamp = (time: number) => new Date(time).toISOString().replace(/\.\d{3}Z$/, '+00:00')

/** Mailchimp's problem document (https://mailchimp.com/developer/marketing/docs/errors/). */
function problem(
  c: Context,
  status: number,
  title: string,
  detail: string,
  extra: Record<string, unknown> = {},
) {
  return c.body(
    JSON.stringify({ type: ERRORS_DOC, title, status, detail, instance: randomUUID(), ...extra }),
    {
      status: status as 400,
      headers: { 'content-type': 'application/problem+json; charset=utf-8' },
    },
  )
}

/** The `fields` query parameter: only the named (dot) paths of the body. */
function pick(body: Record<string, unknown>, fields: string | undefined): Record<string, unknown> {
  if (!fields) return body
  const out: Record<string, unknown> = {}
  for (const path of fields.split(',').map((field) => field.trim())) {
    const [head, ...rest] = path.split('.')
    if (!head || !(head in body)) continue
    const value = body[head]
    if (rest.length && value && typeof value === 'object' && !Array.isArray(value)) {
      out[head] = { ...(out[head] as object), ...pick(value as Record<string, unknown>, rest.join('.')) }
    } else out[head] = value
  }
  return out
}

const links = (href: string) => [{ rel: 'self', href, method: 'GET', targetSchema: '', schema: '' }]

export async function startMailchimp(
  options: { keys?: Iterable<string>; accountName?: string } = {},
): Promise<MailchimpEmulator> {
  const keys = new Set(options.keys ?? [])
  const lists = new Map<string, EmulatedList>()
  const inFlight = new Map<string, number>()
  let clock = Date.parse('2026-02-01T09:00:00Z')
  let webIds = 1000
  let tagIds = 1

  const now = () => stamp(clock)
  const tagsOf = (names: string[], current: MailchimpMember['tags']) => {
    const next = [...current]
    for (const name of names) if (!next.some((tag) => tag.name === name)) next.push({ id: tagIds++, name })
    return next
  }
  function create(list: EmulatedList, email: string): MailchimpMember {
    const id = hashOf(email)
    const member: MailchimpMember = {
      id,
      email_address: email.trim(),
      unique_email_id: id.slice(0, 10),
      contact_id: createHash('md5').update(`contact:${email}`).digest('hex'),
      full_name: '',
      web_id: webIds++,
      email_type: 'html',
      status: 'subscribed',
      merge_fields: {},
      stats: { avg_open_rate: 0, avg_click_rate: 0 },
      ip_signup: '',
      timestamp_signup: now(),
      ip_opt: '',
      timestamp_opt: now(),
      member_rating: 2,
      last_changed: now(),
      language: '',
      vip: false,
      email_client: '',
      location: { latitude: 0, longitude: 0, country_code: '', timezone: '' },
      source: 'API - Generic',
      tags_count: 0,
      tags: [],
      list_id: list.id,
    }
    list.members.set(id, member)
    return member
  }
  const changed = (member: MailchimpMember) => {
    member.last_changed = now()
    member.tags_count = member.tags.length
    const names = [member.merge_fields.FNAME, member.merge_fields.LNAME].filter(Boolean)
    member.full_name = names.join(' ')
  }
  const listOf = (id: string) => {
    const list = lists.get(id)
    if (!list) throw new Error(`no list ${id} in the emulator`)
    return list
  }

  const emulator = await startEmulator((app) => {
    // Authentication: HTTP basic, any user name, the API key as the password.
    // https://mailchimp.com/developer/marketing/docs/fundamentals/#api-structure
    app.use('/3.0/*', async (c, next) => {
      const basic = /^Basic (.+)$/i.exec(c.req.header('authorization') ?? '')
      if (!basic) return problem(c, 401, 'API Key Missing', 'Your request did not include an API key.')
      const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8')
      const key = decoded.slice(decoded.indexOf(':') + 1)
      if (!keys.has(key))
        return problem(
          c,
          401,
          'API Key Invalid',
          "Your API key may be invalid, or you've attempted to access the wrong datacenter.",
        )
      // "Each user account is permitted up to 10 simultaneous connections" (fundamentals, throttling).
      const open = (inFlight.get(key) ?? 0) + 1
      if (open > MAX_CONNECTIONS)
        return problem(
          c,
          429,
          'Too Many Requests',
          'You have exceeded the limit of 10 simultaneous connections.',
        )
      inFlight.set(key, open)
      try {
        await next()
      } finally {
        inFlight.set(key, (inFlight.get(key) ?? 1) - 1)
      }
    })

    // https://mailchimp.com/developer/marketing/api/root/list-api-root-resources/
    const root = (c: Context) =>
      c.json(
        pick(
          {
            account_id: '8d3a3db4d97663a9074efcc16',
            login_id: '64b7f6f7',
            account_name: options.accountName ?? 'Freddie’s Jokes',
            email: 'owner@freddiesjokes.example',
            first_name: 'Freddie',
            last_name: 'Chimp',
            username: 'freddie',
            role: 'owner',
            member_since: '2015-01-01T00:00:00+00:00',
            pricing_plan_type: 'monthly',
            account_timezone: 'America/New_York',
            pro_enabled: false,
            total_subscribers: [...lists.values()].reduce((sum, list) => sum + list.members.size, 0),
            _links: links('/3.0/'),
          },
          c.req.query('fields'),
        ),
      )
    app.get('/3.0', root)
    app.get('/3.0/', root)

    // https://mailchimp.com/developer/marketing/api/ping/ping/
    app.get('/3.0/ping', (c) => c.json({ health_status: "Everything's Chimpy!" }))

    // https://mailchimp.com/developer/marketing/api/lists/get-list-info/
    app.get('/3.0/lists/:list_id', (c) => {
      const list = lists.get(c.req.param('list_id'))
      if (!list) return problem(c, 404, 'Resource Not Found', 'The requested resource could not be found.')
      const members = [...list.members.values()]
      const count = (status: string) => members.filter((member) => member.status === status).length
      return c.json(
        pick(
          {
            id: list.id,
            web_id: 1,
            name: list.name,
            date_created: '2020-01-01T00:00:00+00:00',
            stats: {
              member_count: count('subscribed'),
              unsubscribe_count: count('unsubscribed'),
              cleaned_count: count('cleaned'),
            },
            _links: links(`/3.0/lists/${list.id}`),
          },
          c.req.query('fields'),
        ),
      )
    })

    // https://mailchimp.com/developer/marketing/api/list-members/list-members-info/
    app.get('/3.0/lists/:list_id/members', (c) => {
      const list = lists.get(c.req.param('list_id'))
      if (!list) return problem(c, 404, 'Resource Not Found', 'The requested resource could not be found.')
      const count = Number(c.req.query('count') ?? 10)
      const offset = Number(c.req.query('offset') ?? 0)
      if (
        !Number.isInteger(count) ||
        count < 1 ||
        count > MAX_COUNT ||
        !Number.isInteger(offset) ||
        offset < 0
      )
        return problem(c, 400, 'Invalid Resource', 'The resource submitted could not be validated.', {
          errors: [{ field: 'count', message: `Count must be between 1 and ${MAX_COUNT}.` }],
        })
      const since = c.req.query('since_last_changed')
      const before = c.req.query('before_last_changed')
      const status = c.req.query('status')
      // Archived members are listed only when asked for by status.
      let members = [...list.members.values()].filter((member) =>
        status ? member.status === status : member.status !== 'archived',
      )
      // "Restrict results to subscribers whose information changed after the set timeframe."
      if (since) members = members.filter((member) => Date.parse(member.last_changed) > Date.parse(since))
      if (before) members = members.filter((member) => Date.parse(member.last_changed) < Date.parse(before))
      const field = c.req.query('sort_field')
      if (field) {
        if (!['timestamp_opt', 'timestamp_signup', 'last_changed'].includes(field))
          return problem(c, 400, 'Invalid Resource', `Invalid sort_field: ${field}`)
        const direction = c.req.query('sort_dir') === 'DESC' ? -1 : 1
        const key = field as 'timestamp_opt' | 'timestamp_signup' | 'last_changed'
        // Stable: members changed in the same second keep the order they joined in.
        members = members
          .map((member, index) => ({ member, index }))
          .sort(
            (a, b) =>
              direction * (Date.parse(a.member[key]) - Date.parse(b.member[key])) || a.index - b.index,
          )
          .map((entry) => entry.member)
      }
      return c.json({
        members: members.slice(offset, offset + count),
        list_id: list.id,
        total_items: members.length,
        _links: links(`/3.0/lists/${list.id}/members`),
      })
    })

    // https://mailchimp.com/developer/marketing/api/lists/batch-subscribe-or-unsubscribe/
    app.post('/3.0/lists/:list_id', async (c) => {
      const list = lists.get(c.req.param('list_id'))
      if (!list) return problem(c, 404, 'Resource Not Found', 'The requested resource could not be found.')
      let body: { members?: unknown; update_existing?: boolean; sync_tags?: boolean }
      try {
        body = await c.req.json()
      } catch {
        return problem(c, 400, 'JSON Parse Error', 'We encountered an unspecified JSON parsing error.')
      }
      if (!Array.isArray(body.members))
        return problem(c, 400, 'Invalid Resource', 'The resource submitted could not be validated.', {
          errors: [{ field: 'members', message: 'Schema describes array, object found instead' }],
        })
      if (body.members.length > MAX_BATCH)
        return problem(c, 400, 'Invalid Resource', 'The resource submitted could not be validated.', {
          errors: [
            { field: 'members', message: `You may only add or update ${MAX_BATCH} members at a time.` },
          ],
        })
      const created: MailchimpMember[] = []
      const updated: MailchimpMember[] = []
      const errors: Record<string, unknown>[] = []
      for (const raw of body.members as Record<string, unknown>[]) {
        const email = String(raw.email_address ?? '')
        const status = raw.status as MailchimpMember['status'] | undefined
        const statusIfNew = raw.status_if_new as MailchimpMember['status'] | undefined
        if (!/^[^@\s]+@[^@\s]+\.[a-z]{2,}$/i.test(email)) {
          errors.push({
            email_address: email,
            error: `${email} looks fake or invalid, please enter a real email address.`,
            error_code: 'ERROR_GENERIC',
            field: 'email_address',
            field_message: 'Invalid email address',
          })
          continue
        }
        let member = list.members.get(hashOf(email))
        const isNew = !member || member.status === 'archived'
        if (member && member.status !== 'archived' && !body.update_existing) {
          errors.push({
            email_address: email,
            error: `${email} is already a list member. Use PUT to insert or update list members.`,
            error_code: 'ERROR_CONTACT_EXISTS',
          })
          continue
        }
        const next = isNew ? (status ?? statusIfNew) : (status ?? member!.status)
        if (!next) {
          errors.push({
            email_address: email,
            error: 'The status field is required.',
            error_code: 'ERROR_GENERIC',
            field: 'status',
            field_message: 'Required',
          })
          continue
        }
        if (list.compliance.has(email.toLowerCase()) && ['subscribed', 'pending'].includes(next)) {
          errors.push({
            email_address: email,
            error: `${email} is in a compliance state due to unsubscribe, bounce, or compliance review and cannot be subscribed.`,
            error_code: 'ERROR_GENERIC',
          })
          continue
        }
        member ??= create(list, email)
        member.status = next
        if (raw.merge_fields && typeof raw.merge_fields === 'object')
          member.merge_fields = { ...member.merge_fields, ...(raw.merge_fields as object) }
        const names = Array.isArray(raw.tags) ? raw.tags.map(String) : []
        member.tags = body.sync_tags ? tagsOf(names, []) : tagsOf(names, member.tags)
        changed(member)
        ;(isNew ? created : updated).push(member)
      }
      return c.json({
        new_members: created,
        updated_members: updated,
        errors,
        total_created: created.length,
        total_updated: updated.length,
        error_count: errors.length,
        _links: links(`/3.0/lists/${list.id}`),
      })
    })

    // https://mailchimp.com/developer/marketing/api/list-members/archive-list-member/
    app.delete('/3.0/lists/:list_id/members/:subscriber_hash', (c) => {
      const list = lists.get(c.req.param('list_id'))
      const member = list?.members.get(c.req.param('subscriber_hash'))
      if (!list || !member || member.status === 'archived')
        return problem(c, 404, 'Resource Not Found', 'The requested resource could not be found.')
      member.status = 'archived'
      changed(member)
      return c.body(null, 204)
    })

    app.notFound((c) => problem(c, 404, 'Resource Not Found', 'The requested resource could not be found.'))
  })

  return Object.assign(emulator, {
    keys,
    lists,
    addList(id: string, name: string) {
      const list: EmulatedList = { id, name, members: new Map(), compliance: new Set() }
      lists.set(id, list)
      return list
    },
    addMember(
      listId: string,
      email: string,
      fields: Partial<Pick<MailchimpMember, 'status' | 'merge_fields'>> & { tags?: string[] } = {},
    ) {
      const list = listOf(listId)
      const member = list.members.get(hashOf(email)) ?? create(list, email)
      if (fields.status) member.status = fields.status
      if (fields.merge_fields) member.merge_fields = { ...member.merge_fields, ...fields.merge_fields }
      if (fields.tags) member.tags = tagsOf(fields.tags, member.tags)
      changed(member)
      return member
    },
    touch(listId: string, email: string, change: Partial<Pick<MailchimpMember, 'status' | 'merge_fields'>>) {
      const member = listOf(listId).members.get(hashOf(email))
      if (!member) throw new Error(`no member ${email} in ${listId}`)
      if (change.status) member.status = change.status
      if (change.merge_fields) member.merge_fields = { ...member.merge_fields, ...change.merge_fields }
      changed(member)
    },
    member: (listId: string, email: string) => listOf(listId).members.get(hashOf(email)),
    advance(seconds: number) {
      clock += seconds * 1000
    },
    now,
  })
}
