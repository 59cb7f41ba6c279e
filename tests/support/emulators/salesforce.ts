import type { Context } from 'hono'
import { bearerOf, type Emulator, startEmulator } from './harness.ts'

/**
 * An org's REST API as Salesforce documents it, for Contacts and Leads: bearer sessions (401
 * INVALID_SESSION_ID), SOQL queries (the subset Sluice sends: a field list, one WHERE on a field,
 * ORDER BY, LIMIT) paged by query locators in `nextRecordsUrl` with the `Sforce-Query-Options`
 * batch size, the error list `[{ message, errorCode }]` (INVALID_FIELD, MALFORMED_QUERY,
 * INVALID_TYPE, INVALID_QUERY_LOCATOR), the org's daily request allowance (403
 * REQUEST_LIMIT_EXCEEDED) and the limits resource. Tests arm 429s and 5xx with `fail`.
 */

export type SObject = 'Contact' | 'Lead'
export type SalesforceRecord = Record<string, string | null> & { Id: string; SystemModstamp: string }

export interface SalesforceEmulator extends Emulator {
  /** Accepted access tokens (what the OAuth provider issues). */
  keys: Set<string>
  records: Record<SObject, SalesforceRecord[]>
  /** API requests the org has left in its 24-hour window; at 0 requests get 403 REQUEST_LIMIT_EXCEEDED. */
  daily: { remaining: number }
  /** Adds `count` records saved at `at` (default now). */
  seed(object: SObject, count: number, at?: Date): SalesforceRecord[]
  /** Saves a record as a user would: new values and a new SystemModstamp. */
  change(object: SObject, id: string, values: Record<string, string>, at?: Date): SalesforceRecord
  /** Query locators are dropped after 15 minutes unused; this drops them all. */
  expireLocators(): void
}

const VERSION = /^v(\d+)\.0$/
const FIELDS: Record<SObject, string[]> = {
  Contact: [
    'Id',
    'SystemModstamp',
    'CreatedDate',
    'Email',
    'FirstName',
    'LastName',
    'Phone',
    'Title',
    'AccountId',
    'MailingCity',
  ],
  Lead: [
    'Id',
    'SystemModstamp',
    'CreatedDate',
    'Email',
    'FirstName',
    'LastName',
    'Phone',
    'Company',
    'Status',
    'LeadSource',
    'Rating',
  ],
}
const PREFIX: Record<SObject, string> = { Contact: '003', Lead: '00Q' }
const DATE_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?(Z|[+-]\d\d:\d\d)$/

/** Salesforce's way of writing an instant: milliseconds and `+0000`; stamps are whole seconds. */
export const stampOf = (at: Date) =>
  new Date(Math.floor(at.getTime() / 1000) * 1000).toISOString().replace('Z', '+0000')
const msOf = (stamp: string) => Date.parse(stamp.replace(/([+-]\d\d)(\d\d)$/, '$1:$2'))

/** Salesforce's error list. */
const errors = (errorCode: string, message: string) => [{ message, errorCode }]

interface Query {
  object: SObject
  fields: string[]
  where: { field: string; operator: string; value: string } | null
  order: { field: string; descending: boolean }[]
  limit: number | null
}

/** The SOQL Sluice sends, parsed; a string names what is wrong, as Salesforce's errors do. */
function parse(soql: string): Query | { errorCode: string; message: string } {
  const match =
    /^SELECT\s+(.+?)\s+FROM\s+(\w+)(?:\s+WHERE\s+(\w+)\s*(>=|<=|>|<|=)\s*(\S+))?(?:\s+ORDER\s+BY\s+(.+?))?(?:\s+LIMIT\s+(\d+))?$/i.exec(
      soql.trim(),
    )
  if (!match) return { errorCode: 'MALFORMED_QUERY', message: `unexpected token in: ${soql.slice(0, 100)}` }
  const [, list, type, whereField, operator, value, orderBy, limit] = match
  const object = (Object.keys(FIELDS) as SObject[]).find((name) => name.toLowerCase() === type!.toLowerCase())
  if (!object)
    return {
      errorCode: 'INVALID_TYPE',
      message: `sObject type '${type}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name.`,
    }
  const canonical = (name: string) =>
    FIELDS[object].find((field) => field.toLowerCase() === name.toLowerCase())
  const noSuch = (name: string) => ({
    errorCode: 'INVALID_FIELD',
    message: `\n${soql.slice(0, 80)}\n       ^\nERROR at Row:1:Column:8\nNo such column '${name}' on entity '${object}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.`,
  })
  const fields: string[] = []
  for (const raw of list!.split(',').map((name) => name.trim())) {
    if (!/^\w+$/.test(raw)) return { errorCode: 'MALFORMED_QUERY', message: `unexpected token: '${raw}'` }
    const field = canonical(raw)
    if (!field) return noSuch(raw)
    fields.push(field)
  }
  let where: Query['where'] = null
  if (whereField) {
    const field = canonical(whereField)
    if (!field) return noSuch(whereField)
    if (['SystemModstamp', 'CreatedDate'].includes(field) && !DATE_TIME.test(value!))
      return {
        errorCode: 'MALFORMED_QUERY',
        message: `value of filter criterion for field '${field}' must be of type dateTime and should not be enclosed in quotes`,
      }
    where = { field, operator: operator!, value: value! }
  }
  const order: Query['order'] = []
  for (const part of orderBy ? orderBy.split(',') : []) {
    const [name, direction] = part.trim().split(/\s+/)
    const field = canonical(name ?? '')
    if (!field) return noSuch(name ?? '')
    order.push({ field, descending: direction?.toUpperCase() === 'DESC' })
  }
  return { object, fields, where, order, limit: limit ? Number(limit) : null }
}

function compare(a: string | null | undefined, b: string | null | undefined, field: string): number {
  if (field === 'SystemModstamp' || field === 'CreatedDate') return msOf(a ?? '') - msOf(b ?? '')
  return (a ?? '').localeCompare(b ?? '')
}

export async function startSalesforce(options: { now: () => Date }): Promise<SalesforceEmulator> {
  const keys = new Set<string>()
  const records: Record<SObject, SalesforceRecord[]> = { Contact: [], Lead: [] }
  const daily = { remaining: Number.POSITIVE_INFINITY }
  const locators = new Map<string, { object: SObject; rows: Record<string, unknown>[]; batch: number }>()
  let ids = 0
  let locatorIds = 0

  /** One page from `offset` of a locator's rows, and the next page's URL while rows remain. */
  const page = (c: Context, version: string, locator: string, offset: number) => {
    const held = locators.get(locator)!
    const rows = held.rows.slice(offset, offset + held.batch)
    const done = offset + rows.length >= held.rows.length
    return c.json({
      totalSize: held.rows.length,
      done,
      ...(done
        ? {}
        : { nextRecordsUrl: `/services/data/${version}/query/${locator}-${offset + rows.length}` }),
      records: rows,
    })
  }

  const emulator = await startEmulator((app) => {
    // Every request: a session (OAuth access token) the org issued, within its daily allowance,
    // on a version the org serves. Errors are lists of { message, errorCode }.
    // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm
    // https://developer.salesforce.com/docs/atlas.en-us.salesforce_app_limits_cheatsheet.meta/salesforce_app_limits_cheatsheet/salesforce_app_limits_platform_api.htm
    app.use('/services/data/*', async (c, next) => {
      const token = bearerOf(c.req.header('authorization'))
      if (!token || !keys.has(token))
        return c.json(errors('INVALID_SESSION_ID', 'Session expired or invalid'), 401)
      const version = c.req.path.split('/')[3] ?? ''
      const number = Number(VERSION.exec(version)?.[1])
      if (!(number >= 31 && number <= 66))
        return c.json(errors('NOT_FOUND', 'The requested resource does not exist'), 404)
      if (daily.remaining <= 0)
        return c.json(errors('REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.'), 403)
      daily.remaining--
      await next()
    })

    // Query: the first page and a locator for the rest; `Sforce-Query-Options: batchSize=n`
    // (200–2,000, default 2,000) sets the page size.
    // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_query.htm
    // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/headers_queryoptions.htm
    app.get('/services/data/:version/query', (c) => {
      const version = c.req.param('version')
      const soql = c.req.query('q') ?? ''
      const query = parse(soql)
      if ('errorCode' in query) return c.json(errors(query.errorCode, query.message), 400)
      const option = /batchSize=(\d+)/.exec(c.req.header('sforce-query-options') ?? '')
      const batch = option ? Math.min(2000, Math.max(200, Number(option[1]))) : 2000
      let found = [...records[query.object]]
      const where = query.where
      if (where) {
        const wanted = ['SystemModstamp', 'CreatedDate'].includes(where.field)
          ? stampOf(new Date(Date.parse(where.value)))
          : where.value.replace(/^'|'$/g, '')
        found = found.filter((record) => {
          const order = compare(record[where.field], wanted, where.field)
          return { '>=': order >= 0, '>': order > 0, '<=': order <= 0, '<': order < 0, '=': order === 0 }[
            where.operator
          ]
        })
      }
      found.sort((a, b) => {
        for (const { field, descending } of query.order) {
          const order = compare(a[field], b[field], field)
          if (order) return descending ? -order : order
        }
        return 0
      })
      if (query.limit !== null) found = found.slice(0, query.limit)
      const locator = `01gRO00000${String(++locatorIds).padStart(5, '0')}IAW`
      locators.set(locator, {
        object: query.object,
        batch,
        rows: found.map((record) => ({
          attributes: {
            type: query.object,
            url: `/services/data/${version}/sobjects/${query.object}/${record.Id}`,
          },
          ...Object.fromEntries(query.fields.map((field) => [field, record[field] ?? null])),
        })),
      })
      return page(c, version, locator, 0)
    })

    // Query more results: `nextRecordsUrl` as given, no parameters.
    // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_query_more_results.htm
    app.get('/services/data/:version/query/:next', (c) => {
      const match = /^(.+)-(\d+)$/.exec(c.req.param('next'))
      if (!match || !locators.has(match[1]!))
        return c.json(errors('INVALID_QUERY_LOCATOR', 'invalid query locator'), 400)
      return page(c, c.req.param('version'), match[1]!, Number(match[2]))
    })

    // The org's limits, of which the daily API requests.
    // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_limits.htm
    app.get('/services/data/:version/limits', (c) =>
      c.json({
        DailyApiRequests: {
          Max: 15000,
          Remaining: Number.isFinite(daily.remaining) ? daily.remaining : 14998,
        },
        ConcurrentAsyncGetReportInstances: { Max: 200, Remaining: 200 },
      }),
    )
  })

  const create = (object: SObject, values: Record<string, string>, at: Date): SalesforceRecord => {
    const n = ++ids
    const record: SalesforceRecord = {
      ...Object.fromEntries(FIELDS[object].map((field) => [field, null])),
      ...values,
      Id: `${PREFIX[object]}RO${String(n).padStart(10, '0')}AAA`,
      CreatedDate: stampOf(at),
      SystemModstamp: stampOf(at),
    }
    records[object].push(record)
    return record
  }

  return Object.assign(emulator, {
    keys,
    records,
    daily,
    seed(object: SObject, count: number, at = options.now()) {
      return Array.from({ length: count }, () => {
        const n = ids + 1
        const common = {
          Email: `${object.toLowerCase()}${n}@org.example`,
          FirstName: `First${n}`,
          LastName: `Last${n}`,
        }
        return create(
          object,
          object === 'Lead'
            ? { ...common, Company: `Company ${n}`, Status: 'Open - Not Contacted' }
            : { ...common, Title: 'Buyer' },
          at,
        )
      })
    },
    change(object: SObject, id: string, values: Record<string, string>, at = options.now()) {
      const record = records[object].find((candidate) => candidate.Id === id)
      if (!record) throw new Error(`no ${object} ${id}`)
      Object.assign(record, values, { SystemModstamp: stampOf(at) })
      return record
    },
    expireLocators: () => locators.clear(),
  })
}
