import type { Context } from 'hono'
import { bearerOf, type Emulator, type Fault, startEmulator } from './harness.ts'

/**
 * HubSpot's CRM API v3 for contacts, as its documentation describes it: bearer tokens, the list
 * endpoint's `after` cursor, search with its filter, sort, page and 10,000-result limits, batch
 * upsert and update by email (100 inputs), HubSpot's error bodies (`status`, `message`,
 * `category`, `correlationId`; validation details embedded in the message), and its daily rate
 * limit with the documented 429 body. Tests arm other faults (a burst 429, a 5xx) with `fail`.
 */

export interface StoredContact {
  id: string
  properties: Record<string, string | null>
  createdAt: string
  updatedAt: string
  archived: boolean
}

export interface HubSpotEmulator extends Emulator {
  /** Accepted access tokens (private app tokens, or what the OAuth provider issues). */
  keys: Set<string>
  contacts: Map<string, StoredContact>
  /** Contact properties defined in the account; tests add custom ones. */
  properties: Set<string>
  /** Enumeration (dropdown) properties and the option values they take; others take any text. */
  enumerations: Map<string, string[]>
  /** Requests left today; at 0 every request gets the documented DAILY 429. */
  daily: { remaining: number }
  /** Adds `count` contacts `c<n>@hubspot.example` (numbered on from earlier seeds), changed at `at` (default now). */
  seed(count: number, at?: Date): StoredContact[]
  /** Changes a contact's properties as a HubSpot user would, stamping its modification time. */
  change(id: string, properties: Record<string, string>, at?: Date): StoredContact
  byEmail(email: string): StoredContact | undefined
}

const READ_ONLY = ['hs_object_id', 'createdate', 'lastmodifieddate']
const DEFAULT_PROPERTIES = [
  'email',
  'firstname',
  'lastname',
  'phone',
  'lifecyclestage',
  'company',
  ...READ_ONLY,
]
const DATES = new Set(['createdate', 'lastmodifieddate'])
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/

let correlation = 0
const correlationId = () => `00000000-0000-4000-8000-${String(++correlation).padStart(12, '0')}`

/** HubSpot's error body. https://developers.hubspot.com/docs/api/error-handling */
const error = (category: string, message: string, extra: Record<string, unknown> = {}) => ({
  status: 'error',
  message,
  correlationId: correlationId(),
  category,
  ...extra,
})

/**
 * A validation failure as HubSpot reports property problems: the list of invalid properties
 * embedded as JSON in the message.
 */
const invalidProperties = (problems: { name: string; error: string; message: string }[]) =>
  error(
    'VALIDATION_ERROR',
    `Property values were not valid: ${JSON.stringify(problems.map((problem) => ({ isValid: false, ...problem, localizedErrorMessage: problem.message })))}`,
  )

/**
 * The 429 of a burst limit, as https://developers.hubspot.com/docs/guides/apps/api-usage/usage-details
 * shows it (body and rate-limit headers).
 */
export const burstLimited = (): Fault => ({
  status: 429,
  body: {
    status: 'error',
    message: 'You have reached your ten_secondly_rolling limit.',
    errorType: 'RATE_LIMIT',
    correlationId: correlationId(),
    policyName: 'TEN_SECONDLY_ROLLING',
    requestId: 'b5e2f9d0-0000-4000-8000-000000000001',
  },
  headers: {
    'X-HubSpot-RateLimit-Interval-Milliseconds': '10000',
    'X-HubSpot-RateLimit-Max': '100',
    'X-HubSpot-RateLimit-Remaining': '0',
  },
})

/** Compares a property's values: dates as instants (ms or ISO), ids as numbers, the rest as text. */
function comparable(name: string, value: string | null | undefined): number | string | null {
  if (value === null || value === undefined) return null
  if (DATES.has(name)) return /^\d+$/.test(value) ? Number(value) : Date.parse(value)
  if (name === 'hs_object_id') return Number(value)
  return value.toLowerCase()
}

interface Filter {
  propertyName?: string
  operator?: string
  value?: string
}

function matches(contact: StoredContact, filter: Filter): boolean {
  const name = filter.propertyName ?? ''
  const actual = comparable(name, name === 'hs_object_id' ? contact.id : contact.properties[name])
  const wanted = comparable(name, filter.value)
  switch (filter.operator) {
    case 'HAS_PROPERTY':
      return actual !== null
    case 'NOT_HAS_PROPERTY':
      return actual === null
    case 'EQ':
      return actual !== null && actual === wanted
    case 'NEQ':
      return actual !== wanted
  }
  if (actual === null || wanted === null) return false
  if (filter.operator === 'GT') return actual > wanted
  if (filter.operator === 'GTE') return actual >= wanted
  if (filter.operator === 'LT') return actual < wanted
  if (filter.operator === 'LTE') return actual <= wanted
  return false
}

export async function startHubSpot(options: { now: () => Date }): Promise<HubSpotEmulator> {
  const keys = new Set<string>()
  const contacts = new Map<string, StoredContact>()
  const properties = new Set(DEFAULT_PROPERTIES)
  const enumerations = new Map<string, string[]>()
  const daily = { remaining: Number.POSITIVE_INFINITY }
  let nextId = 1000
  let seeded = 0

  const stamp = (contact: StoredContact, at: Date) => {
    contact.updatedAt = at.toISOString()
    contact.properties.lastmodifieddate = contact.updatedAt
  }
  const create = (email: string, values: Record<string, string>, at: Date): StoredContact => {
    const id = String(++nextId)
    const contact: StoredContact = {
      id,
      properties: { ...values, email: email.toLowerCase(), hs_object_id: id, createdate: at.toISOString() },
      createdAt: at.toISOString(),
      updatedAt: at.toISOString(),
      archived: false,
    }
    stamp(contact, at)
    contacts.set(id, contact)
    return contact
  }
  const byEmail = (email: string) =>
    [...contacts.values()].find((contact) => contact.properties.email === email.toLowerCase())
  /** What a read answers: the asked-for properties (null when unset) and the ones always returned. */
  const shown = (contact: StoredContact, asked: string[]) => {
    const names = new Set([...(asked.length ? asked : ['email', 'firstname', 'lastname']), ...READ_ONLY])
    return {
      id: contact.id,
      properties: Object.fromEntries([...names].map((name) => [name, contact.properties[name] ?? null])),
      createdAt: contact.createdAt,
      updatedAt: contact.updatedAt,
      archived: contact.archived,
    }
  }
  const sorted = () =>
    [...contacts.values()].filter((c) => !c.archived).sort((a, b) => Number(a.id) - Number(b.id))
  /** Problems with properties a write sets; empty when all are writable. */
  const propertyProblems = (values: Record<string, unknown>) =>
    Object.entries(values).flatMap(([name, value]) =>
      !properties.has(name)
        ? [{ name, error: 'PROPERTY_DOESNT_EXIST', message: `Property "${name}" does not exist` }]
        : READ_ONLY.includes(name)
          ? [
              {
                name,
                error: 'READ_ONLY_VALUE',
                message: `"${name}" is a read only property; its value cannot be set.`,
              },
            ]
          : enumerations.has(name) && !enumerations.get(name)!.includes(String(value))
            ? [
                {
                  name,
                  error: 'INVALID_OPTION',
                  message: `${String(value)} was not one of the allowed options: [${enumerations.get(name)!.join(', ')}]`,
                },
              ]
            : [],
    )

  const emulator = await startEmulator((app) => {
    // Every request: a bearer token HubSpot issued (private app or OAuth), within the daily limit.
    // https://developers.hubspot.com/docs/guides/apps/authentication/intro-to-auth
    app.use('/crm/*', async (c, next) => {
      const token = bearerOf(c.req.header('authorization'))
      if (!token || !keys.has(token))
        return c.json(
          error(
            'INVALID_AUTHENTICATION',
            'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview',
          ),
          401,
        )
      // https://developers.hubspot.com/docs/guides/apps/api-usage/usage-details (429 example)
      if (daily.remaining <= 0)
        return c.json(
          {
            status: 'error',
            message: 'You have reached your daily limit.',
            errorType: 'RATE_LIMIT',
            correlationId: correlationId(),
            policyName: 'DAILY',
            requestId: 'b5e2f9d0-0000-4000-8000-000000000002',
          },
          429,
          { 'X-HubSpot-RateLimit-Daily': '250000', 'X-HubSpot-RateLimit-Daily-Remaining': '0' },
        )
      daily.remaining--
      await next()
    })

    // List contacts: `limit` (max 100), `after`, `properties`, `archived`; `paging.next.after` when more.
    // https://developers.hubspot.com/docs/guides/api/crm/objects/contacts (retrieve contacts)
    app.get('/crm/v3/objects/contacts', (c) => {
      const limit = Number(c.req.query('limit') ?? 10)
      if (!Number.isInteger(limit) || limit < 1 || limit > 100)
        return c.json(error('VALIDATION_ERROR', 'limit must be between 1 and 100'), 400)
      const asked = (c.req.query('properties') ?? '').split(',').filter(Boolean)
      const after = Number(c.req.query('after') ?? 0)
      const rest = sorted().filter((contact) => Number(contact.id) > after)
      const results = rest.slice(0, limit)
      const more = rest.length > limit
      const last = results.at(-1)?.id
      return c.json({
        results: results.map((contact) => shown(contact, asked)),
        ...(more && last
          ? {
              paging: {
                next: {
                  after: last,
                  link: `${new URL(c.req.url).origin}/crm/v3/objects/contacts?after=${last}`,
                },
              },
            }
          : {}),
      })
    })

    // Search: up to 5 filterGroups of up to 6 filters (18 in all), one sort, `limit` up to 200,
    // `after` an offset, and never more than 10,000 results for one query.
    // https://developers.hubspot.com/docs/api/crm/search (limitations)
    app.post('/crm/v3/objects/contacts/search', async (c) => {
      const body = (await c.req.json().catch(() => ({}))) as {
        filterGroups?: { filters?: Filter[] }[]
        sorts?: { propertyName?: string; direction?: string }[]
        properties?: string[]
        limit?: number
        after?: string
      }
      const groups = body.filterGroups ?? []
      const filters = groups.flatMap((group) => group.filters ?? [])
      if (
        groups.length > 5 ||
        groups.some((group) => (group.filters ?? []).length > 6) ||
        filters.length > 18
      )
        return c.json(
          error('VALIDATION_ERROR', 'Too many filters: at most 5 filterGroups of 6 filters, 18 in all'),
          400,
        )
      if ((body.sorts ?? []).length > 1)
        return c.json(error('VALIDATION_ERROR', 'There can be only one sort in a search request'), 400)
      const limit = body.limit ?? 10
      if (limit < 1 || limit > 200)
        return c.json(error('VALIDATION_ERROR', 'limit must be between 1 and 200'), 400)
      const offset = Number(body.after ?? 0)
      if (offset + limit > 10_000)
        return c.json(error('VALIDATION_ERROR', 'Search results are limited to 10,000 per query'), 400)
      const unknown = filters.map((filter) => filter.propertyName ?? '').find((name) => !properties.has(name))
      if (unknown !== undefined)
        return c.json(
          error('VALIDATION_ERROR', `There was a problem with the request: unknown property ${unknown}`),
          400,
        )
      let found = sorted().filter(
        (contact) =>
          groups.length === 0 ||
          groups.some((group) => (group.filters ?? []).every((f) => matches(contact, f))),
      )
      const sort = body.sorts?.[0]
      if (sort?.propertyName) {
        const name = sort.propertyName
        const key = (contact: StoredContact) =>
          comparable(name, name === 'hs_object_id' ? contact.id : contact.properties[name]) ?? ''
        found = found.sort((a, b) => {
          const [x, y] = [key(a), key(b)]
          const order = x < y ? -1 : x > y ? 1 : 0
          return sort.direction === 'DESCENDING' ? -order : order
        })
      }
      const results = found.slice(offset, offset + limit)
      const more = offset + limit < found.length
      return c.json({
        total: found.length,
        results: results.map((contact) => shown(contact, body.properties ?? [])),
        ...(more ? { paging: { next: { after: String(offset + limit) } } } : {}),
      })
    })

    /** Batch writes by email: 1–100 inputs, each `{ id, idProperty: 'email', properties }`; all or nothing on bad values. */
    const batch = async (c: Context, upsert: boolean) => {
      const body = (await c.req.json().catch(() => ({}))) as {
        inputs?: { id?: string; idProperty?: string; properties?: Record<string, unknown> }[]
      }
      const inputs = body.inputs ?? []
      if (inputs.length < 1 || inputs.length > 100)
        return c.json(
          error('VALIDATION_ERROR', `inputs: between 1 and 100 inputs are allowed, got ${inputs.length}`),
          400,
        )
      if (inputs.some((input) => input.idProperty !== 'email' || typeof input.id !== 'string'))
        return c.json(error('VALIDATION_ERROR', 'Each input needs an id and idProperty email'), 400)
      const problems = inputs.flatMap((input) => [
        ...propertyProblems(input.properties ?? {}),
        ...(EMAIL.test(input.id!)
          ? []
          : [{ name: 'email', error: 'INVALID_EMAIL', message: `Email address ${input.id} is invalid` }]),
      ])
      if (problems.length) return c.json(invalidProperties(problems), 400)
      const now = options.now()
      const startedAt = now.toISOString()
      const results = []
      const missing: string[] = []
      for (const input of inputs) {
        const values = Object.fromEntries(
          Object.entries(input.properties ?? {}).map(([name, value]) => [name, String(value)]),
        )
        const existing = byEmail(input.id!)
        if (!existing && !upsert) {
          missing.push(input.id!)
          continue
        }
        let contact = existing
        if (contact) {
          Object.assign(contact.properties, values)
          stamp(contact, now)
        } else contact = create(input.id!, values, now)
        results.push({ ...shown(contact, Object.keys(values)), ...(upsert ? { new: !existing } : {}) })
      }
      const answer = { status: 'COMPLETE', results, startedAt, completedAt: options.now().toISOString() }
      if (!missing.length) return c.json(answer, 200)
      return c.json(
        {
          ...answer,
          numErrors: 1,
          errors: [
            {
              status: 'error',
              category: 'OBJECT_NOT_FOUND',
              message:
                'Could not get some CONTACT objects, they may be deleted or not exist. Check that ids are valid.',
              context: { ids: missing },
            },
          ],
        },
        207,
      )
    }
    // https://developers.hubspot.com/docs/api-reference/legacy/crm/objects/contacts/batch/upsert-contacts
    app.post('/crm/v3/objects/contacts/batch/upsert', (c) => batch(c, true))
    // https://developers.hubspot.com/docs/api-reference/legacy/crm/objects/contacts/batch/update-contacts
    app.post('/crm/v3/objects/contacts/batch/update', (c) => batch(c, false))
  })

  return Object.assign(emulator, {
    keys,
    contacts,
    properties,
    enumerations,
    daily,
    seed(count: number, at = options.now()) {
      return Array.from({ length: count }, () => {
        const n = seeded++
        return create(
          `c${n}@hubspot.example`,
          { firstname: `First${n}`, lastname: `Last${n}`, lifecyclestage: 'lead' },
          at,
        )
      })
    },
    change(id: string, values: Record<string, string>, at = options.now()) {
      const contact = contacts.get(id)
      if (!contact) throw new Error(`no contact ${id}`)
      Object.assign(contact.properties, values)
      stamp(contact, at)
      return contact
    },
    byEmail,
  })
}
