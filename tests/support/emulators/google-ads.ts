import type { Context } from 'hono'
import { bearerOf, type Emulator, type Fault, startEmulator } from './harness.ts'

/**
 * The Google Ads API (REST) as far as Customer Match goes, from its documentation:
 * - https://developers.google.com/google-ads/api/rest/reference/rest/v26/customers.offlineUserDataJobs
 *   (`customers/{id}/offlineUserDataJobs:create` answering { resourceName }, `{job}:addOperations`
 *   with `operations` of `create` / `remove` { userIdentifiers } and `enablePartialFailure`,
 *   answering { partialFailureError }, `{job}:run` answering a long-running Operation)
 * - https://developers.google.com/google-ads/api/rest/reference/rest/v26/customers.operations/get
 *   (GET `customers/{id}/operations/{op}`: { name, metadata, done, error | response })
 * - https://developers.google.com/google-ads/api/docs/remarketing/audience-segments/customer-match/get-started
 *   (hashed identifiers: SHA-256 hex; at most 100,000 identifiers a request and 20 an operation;
 *   `OfflineUserDataJobError`: INVALID_USER_LIST_ID, CONFLICTING_OPERATION, INVALID_SHA256_FORMAT,
 *   TOO_MANY_USER_IDENTIFIERS)
 * - https://developers.google.com/google-ads/api/docs/best-practices/understand-api-errors
 *   (the { error: { code, message, status, details: [GoogleAdsFailure { errors: [{ errorCode,
 *   message, location, details.quotaErrorDetails.retryDelay }], requestId }] } } body)
 * - https://developers.google.com/google-ads/api/docs/concepts/call-structure (Authorization:
 *   Bearer, developer-token, login-customer-id headers; customers:listAccessibleCustomers and
 *   googleAds:search)
 * - https://developers.google.com/google-ads/api/docs/api-policy/developer-token: developer tokens
 *   were sunset on 9 September 2026 and are ignored since; started with `developerToken`, this
 *   emulator checks them as the API did before (DEVELOPER_TOKEN_INVALID).
 */

export interface AdsMember {
  hashedEmail?: string
  hashedPhoneNumber?: string
}

export interface AdsJob {
  resourceName: string
  userList: string
  consent: unknown
  action: 'create' | 'remove' | null
  operations: { userIdentifiers: AdsMember[] }[]
  /** addOperations requests and how many operations each carried. */
  requests: number[]
  status: 'PENDING' | 'RUNNING' | 'SUCCESS' | 'FAILED'
  polls: number
  operation: string | null
}

export interface GoogleAdsEmulator extends Emulator {
  jobs: AdsJob[]
  /** The members of a list (`customers/{cid}/userLists/{id}`), as hashed identifiers. */
  members(userList: string): AdsMember[]
  hashes(userList: string, key: keyof AdsMember): string[]
  /** Polls of an operation before its job is done (0: done when it runs). */
  pollsBeforeDone: number
  /** The error the next finishing job ends with, instead of success. */
  failNextJob: { code: number; message: string } | null
}

const FAILURE = 'type.googleapis.com/google.ads.googleads.v26.errors.GoogleAdsFailure'
const STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
}

/** One GoogleAdsError: its code (`{ authorizationError: 'USER_PERMISSION_DENIED' }`), message and more. */
export interface AdsErrorBody {
  errorCode: Record<string, string>
  message: string
  [more: string]: unknown
}

/** An error answer with its GoogleAdsFailure, as "Understand API errors" shows it. */
export function adsFailure(
  status: number,
  errors: AdsErrorBody[],
  message = 'Request contains an invalid argument.',
) {
  return {
    error: {
      code: status,
      message,
      status: STATUS[status] ?? 'UNKNOWN',
      details: [{ '@type': FAILURE, errors, requestId: 'kS3zKQ1XEbNfjL5N2m8YAQ' }],
    },
  }
}

/** A quota error (429 RESOURCE_EXHAUSTED) with the retry delay Google gives in its details. */
export function quotaExhausted(seconds: number): Fault {
  return {
    status: 429,
    body: adsFailure(
      429,
      [
        {
          errorCode: { quotaError: 'RESOURCE_TEMPORARILY_EXHAUSTED' },
          message: 'Too many requests. Retry in 30 seconds.',
          details: {
            quotaErrorDetails: {
              rateScope: 'ACCOUNT',
              rateName: 'Requests per account',
              retryDelay: `${seconds}s`,
            },
          },
        },
      ],
      'Resource has been exhausted (e.g. check quota).',
    ),
  }
}

/** The service is down for a moment (503 UNAVAILABLE). */
export const unavailable: Fault = {
  status: 503,
  body: { error: { code: 503, message: 'The service is currently unavailable.', status: 'UNAVAILABLE' } },
}

const HASH = /^[0-9a-f]{64}$/

interface Operation {
  create?: { userIdentifiers?: AdsMember[] }
  remove?: { userIdentifiers?: AdsMember[] }
}
/** The request bodies the routes read. */
interface RequestBody {
  query?: string
  job?: { type?: string; customerMatchUserListMetadata?: { userList?: string; consent?: unknown } }
  operations?: Operation[]
  enablePartialFailure?: boolean
}
const identifiersOf = (op: Operation): AdsMember[] => (op.create ?? op.remove)?.userIdentifiers ?? []

export async function startGoogleAds(options: {
  /** Access tokens the API takes, e.g. the OAuth provider's keys. */
  tokens: () => Set<string>
  /** customer id → list id → list */
  lists: Record<string, Record<string, { name: string; type?: string }>>
  /** customer id → the manager account that must be in login-customer-id */
  managers?: Record<string, string>
  developerToken?: string
}): Promise<GoogleAdsEmulator> {
  const lists = new Map<string, { name: string; type: string; id: string; members: AdsMember[] }>()
  for (const [customer, owned] of Object.entries(options.lists))
    for (const [id, list] of Object.entries(owned))
      lists.set(`customers/${customer}/userLists/${id}`, {
        id,
        name: list.name,
        type: list.type ?? 'CRM_BASED',
        members: [],
      })
  const jobs: AdsJob[] = []
  // Returned as the emulator itself, so a test's changes reach the routes.
  const state = { pollsBeforeDone: 0, failNextJob: null as GoogleAdsEmulator['failNextJob'] }

  const fail = (c: Context, status: number, body: unknown) =>
    c.newResponse(JSON.stringify(body), status as 400, { 'content-type': 'application/json' })
  const invalid = (c: Context, code: Record<string, string>, message: string) =>
    fail(c, 400, adsFailure(400, [{ errorCode: code, message }]))

  const same = (a: AdsMember, b: AdsMember) =>
    (a.hashedEmail !== undefined && a.hashedEmail === b.hashedEmail) ||
    (a.hashedPhoneNumber !== undefined && a.hashedPhoneNumber === b.hashedPhoneNumber)

  /** A job's operations reach its list when it finishes. */
  function finish(job: AdsJob) {
    job.status = 'SUCCESS'
    const list = lists.get(job.userList)!
    for (const { userIdentifiers } of job.operations) {
      const member: AdsMember = Object.assign({}, ...userIdentifiers)
      if (job.action === 'create') {
        const known = list.members.find((other) => same(other, member))
        if (known) Object.assign(known, member)
        else list.members.push(member)
      } else list.members = list.members.filter((other) => !same(other, member))
    }
  }

  function operationOf(job: AdsJob) {
    const done = job.status === 'SUCCESS' || job.status === 'FAILED'
    return {
      name: job.operation,
      metadata: {
        '@type': 'type.googleapis.com/google.ads.googleads.v26.resources.OfflineUserDataJobMetadata',
      },
      done,
      ...(job.status === 'FAILED' ? { error: { code: 3, message: 'The job failed.' } } : {}),
      ...(job.status === 'SUCCESS'
        ? { response: { '@type': 'type.googleapis.com/google.protobuf.Empty' } }
        : {}),
    }
  }

  function complete(job: AdsJob) {
    if (state.failNextJob) {
      job.status = 'FAILED'
      const error = state.failNextJob
      state.failNextJob = null
      return { ...operationOf(job), error }
    }
    finish(job)
    return operationOf(job)
  }

  async function handle(c: Context) {
    const token = bearerOf(c.req.header('authorization'))
    if (!token || !options.tokens().has(token))
      return fail(
        c,
        401,
        adsFailure(
          401,
          [
            {
              errorCode: { authenticationError: 'OAUTH_TOKEN_INVALID' },
              message: 'Oauth token in the header is not valid.',
            },
          ],
          'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
        ),
      )
    if (options.developerToken !== undefined && c.req.header('developer-token') !== options.developerToken)
      return fail(
        c,
        401,
        adsFailure(
          401,
          [
            {
              errorCode: { authenticationError: 'DEVELOPER_TOKEN_INVALID' },
              message: 'The developer token is not valid.',
            },
          ],
          'Request is missing required authentication credential.',
        ),
      )
    const version = c.req.param('version')
    const rest = new URL(c.req.url).pathname.slice(`/${version}/`.length)
    if (c.req.method === 'GET' && rest === 'customers:listAccessibleCustomers')
      return c.json({ resourceNames: Object.keys(options.lists).map((customer) => `customers/${customer}`) })
    const customer = /^customers\/(\d+)\//.exec(rest)?.[1]
    if (!customer || !(customer in options.lists))
      return fail(
        c,
        403,
        adsFailure(
          403,
          [
            {
              errorCode: { authorizationError: 'USER_PERMISSION_DENIED' },
              message: "User doesn't have permission to access customer.",
            },
          ],
          'The caller does not have permission',
        ),
      )
    const manager = options.managers?.[customer]
    if (manager && c.req.header('login-customer-id') !== manager)
      return fail(
        c,
        403,
        adsFailure(
          403,
          [
            {
              errorCode: { authorizationError: 'USER_PERMISSION_DENIED' },
              message:
                "User doesn't have permission to access customer. Note: If you're accessing a client customer, the manager's customer ID must be set in the 'login-customer-id' header.",
            },
          ],
          'The caller does not have permission',
        ),
      )
    const body: RequestBody = c.req.method === 'POST' ? await c.req.json().catch(() => ({})) : {}

    if (rest === `customers/${customer}/googleAds:search`) {
      const id = /user_list\.id = (\d+)/.exec(String(body.query ?? ''))?.[1]
      const list = id ? lists.get(`customers/${customer}/userLists/${id}`) : undefined
      return c.json({
        results: list
          ? [
              {
                userList: {
                  resourceName: `customers/${customer}/userLists/${id}`,
                  id,
                  name: list.name,
                  type: list.type,
                },
              },
            ]
          : [],
        fieldMask: 'userList.id,userList.name,userList.type',
        requestId: 'kS3zKQ1XEbNfjL5N2m8YAQ',
      })
    }
    if (rest === `customers/${customer}/offlineUserDataJobs:create`) {
      const job = body.job ?? {}
      const userList = job.customerMatchUserListMetadata?.userList ?? ''
      if (job.type !== 'CUSTOMER_MATCH_USER_LIST' || !lists.has(userList))
        return invalid(
          c,
          { offlineUserDataJobError: 'INVALID_USER_LIST_ID' },
          'The user list ID provided for the job is invalid.',
        )
      const resourceName = `customers/${customer}/offlineUserDataJobs/${9000 + jobs.length}`
      jobs.push({
        resourceName,
        userList,
        consent: job.customerMatchUserListMetadata?.consent,
        action: null,
        operations: [],
        requests: [],
        status: 'PENDING',
        polls: 0,
        operation: null,
      })
      return c.json({ resourceName })
    }
    const verb = /^(customers\/\d+\/offlineUserDataJobs\/\d+):(addOperations|run)$/.exec(rest)
    if (verb && c.req.method === 'POST') {
      const job = jobs.find((candidate) => candidate.resourceName === verb[1])
      if (!job)
        return fail(c, 404, {
          error: { code: 404, message: 'Requested entity was not found.', status: 'NOT_FOUND' },
        })
      if (verb[2] === 'run') {
        // A second run of the same job answers the operation it already started.
        if (job.status !== 'PENDING') return c.json(operationOf(job))
        job.status = 'RUNNING'
        job.operation = `customers/${customer}/operations/op-${job.resourceName.split('/').at(-1)}`
        return c.json(state.pollsBeforeDone === 0 ? complete(job) : operationOf(job))
      }
      const operations = Array.isArray(body.operations) ? body.operations : []
      const identifiers = operations.reduce((sum, op) => sum + identifiersOf(op).length, 0)
      if (identifiers > 100_000 || operations.some((op) => identifiersOf(op).length > 20))
        return invalid(
          c,
          { offlineUserDataJobError: 'TOO_MANY_USER_IDENTIFIERS' },
          'Maximum number of user identifiers allowed per request is 100,000 and per operation is 20.',
        )
      const actions = new Set(
        operations.map((op): 'create' | 'remove' => ('create' in op ? 'create' : 'remove')),
      )
      if (job.action) actions.add(job.action)
      if (actions.size > 1)
        return invalid(
          c,
          { offlineUserDataJobError: 'CONFLICTING_OPERATION' },
          'Mixing creation and removal of offline data in the same job is not allowed.',
        )
      job.action = actions.values().next().value ?? null
      const errors: AdsErrorBody[] = []
      operations.forEach((op, index) => {
        const ids = identifiersOf(op)
        const valid =
          ids.length > 0 &&
          ids.every(
            (id) =>
              Object.values(id).length === 1 && Object.values(id).every((value) => HASH.test(String(value))),
          )
        if (valid) job.operations.push({ userIdentifiers: ids })
        else
          errors.push({
            errorCode: { offlineUserDataJobError: 'INVALID_SHA256_FORMAT' },
            message: 'The SHA256 encoded value is malformed.',
            location: {
              fieldPathElements: [{ fieldName: 'operations', index }, { fieldName: job.action ?? 'create' }],
            },
          })
      })
      job.requests.push(operations.length)
      if (errors.length && !body.enablePartialFailure) return fail(c, 400, adsFailure(400, errors))
      return c.json(
        errors.length
          ? {
              partialFailureError: {
                code: 3,
                message: 'Multiple errors in ‘details’. First error: The SHA256 encoded value is malformed.',
                details: [{ '@type': FAILURE, errors, requestId: 'kS3zKQ1XEbNfjL5N2m8YAQ' }],
              },
            }
          : {},
      )
    }
    if (c.req.method === 'GET' && /^customers\/\d+\/operations\/.+$/.test(rest)) {
      const job = jobs.find((candidate) => candidate.operation === rest)
      if (!job)
        return fail(c, 404, { error: { code: 404, message: 'Operation not found.', status: 'NOT_FOUND' } })
      job.polls++
      if (job.status === 'RUNNING' && job.polls >= state.pollsBeforeDone) return c.json(complete(job))
      return c.json(operationOf(job))
    }
    return fail(c, 404, { error: { code: 404, message: 'Method not found.', status: 'NOT_FOUND' } })
  }

  const emulator = await startEmulator((app) => {
    app.on(['GET', 'POST'], '/:version/*', handle)
  })
  const members = (userList: string) => lists.get(userList)?.members ?? []
  return Object.assign(state, emulator, {
    jobs,
    members,
    hashes: (userList: string, key: keyof AdsMember) =>
      members(userList)
        .flatMap((member) => (member[key] === undefined ? [] : [member[key]!]))
        .sort(),
  })
}
