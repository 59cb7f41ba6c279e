import { type ConnectorContext, ConnectorError } from '../define.ts'
import { retryAtOf, retryableAnswer, unreachable } from '../http-answers.ts'
import { HUBSPOT_API } from './hubspot.node.ts'

/**
 * Requests to HubSpot's CRM API v3, classified the way the executor acts on them. Server-only.
 * https://developers.hubspot.com/docs/guides/apps/api-usage/usage-details (limits, 429 bodies)
 * https://developers.hubspot.com/docs/api/error-handling (error body: status, message, category)
 */

const TIMEOUT_MS = 30_000
const MESSAGE_IN_ERRORS = 300
/** A daily limit resets at midnight in the account's time zone, which Sluice does not know: look again in an hour. */
const DAILY_RETRY_MS = 60 * 60_000
/** HubSpot's burst window, when its 429 names none. */
const BURST_RETRY_MS = 10_000

/** HubSpot's error body (every status): what the tests' emulator answers and what the connector reads. */
export interface HubSpotError {
  status?: string
  message?: string
  category?: string
  errorType?: string
  policyName?: string
  correlationId?: string
  context?: Record<string, unknown>
  /** Details: a validation's per-field problems, or a batch's (207) failed inputs with `context.ids`. */
  errors?: (HubSpotError & { code?: string })[]
}

export interface Answer {
  status: number
  body: unknown
}

const errorOf = (body: unknown): HubSpotError =>
  body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as HubSpotError) : {}

/** HubSpot's message, shortened; it never echoes the token. */
export const said = (body: unknown) => {
  const error = errorOf(body)
  const message = (error.message ?? '').slice(0, MESSAGE_IN_ERRORS)
  return [error.category ?? error.errorType, message].filter(Boolean).join(': ')
}

/**
 * A 429: HubSpot names the limit it hit in `policyName`. `Retry-After`, when sent, says when;
 * otherwise a burst limit lifts after its window (`X-HubSpot-RateLimit-Interval-Milliseconds`)
 * and a daily one is tried again in an hour.
 */
export function rateLimited(headers: Headers, body: unknown, now: Date): ConnectorError {
  const error = errorOf(body)
  const policy = error.policyName ?? 'unknown'
  const interval = Number(headers.get('x-hubspot-ratelimit-interval-milliseconds'))
  const retryAt = headers.get('retry-after')
    ? retryAtOf(headers.get('retry-after'), now)
    : new Date(
        now.getTime() +
          (policy === 'DAILY'
            ? DAILY_RETRY_MS
            : Number.isFinite(interval) && interval > 0
              ? interval
              : BURST_RETRY_MS),
      )
  return new ConnectorError('rate_limited', `HubSpot's ${policy} rate limit was reached: ${said(body)}`, {
    retryAt,
    code: '429',
  })
}

/**
 * A connection to HubSpot for one run: the base URL (an authorization's or OAuth app's API URL,
 * else HubSpot's) and the token, renewed once through `ctx.reauthorize` when HubSpot answers 401
 * to an OAuth2 token; later requests of the run use the renewed one.
 */
export function hubspotClient(
  ctx: Pick<
    ConnectorContext<unknown>,
    'credentials' | 'fetch' | 'signal' | 'now' | 'throttle' | 'reauthorize'
  >,
) {
  let credentials = ctx.credentials
  const base = () =>
    (typeof credentials.apiUrl === 'string' && credentials.apiUrl ? credentials.apiUrl : HUBSPOT_API).replace(
      /\/+$/,
      '',
    )
  const token = () => {
    const value = credentials.accessToken
    if (typeof value !== 'string' || !value)
      throw new ConnectorError(
        'auth',
        'the authorization has no HubSpot access token: enter one or reconnect',
      )
    return value
  }

  /**
   * One request. 2xx and 207 (a batch's partial success) are answers; so is 400 when the caller
   * reads validation errors itself (`accept400`). Everything else throws a classified error.
   */
  async function call(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    options: { accept400?: boolean } = {},
    renewed = false,
  ): Promise<Answer> {
    await ctx.throttle?.()
    let response: Response
    try {
      response = await ctx.fetch(`${base()}${path}`, {
        method,
        headers: {
          accept: 'application/json',
          authorization: `Bearer ${token()}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        redirect: 'error',
        signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(TIMEOUT_MS)]),
      })
    } catch (error) {
      throw unreachable(error, 'HubSpot')
    }
    const text = await response.text().catch(() => '')
    let parsed: unknown = null
    try {
      parsed = text ? JSON.parse(text) : null
    } catch {
      parsed = { message: text.slice(0, MESSAGE_IN_ERRORS) }
    }
    const status = response.status
    if (status === 401 && ctx.reauthorize && !renewed) {
      credentials = await ctx.reauthorize()
      return call(method, path, body, options, true)
    }
    if (status === 401)
      throw new ConnectorError(
        'auth',
        `HubSpot refused the access token (HTTP 401 ${said(parsed)}): ${ctx.reauthorize ? 'reconnect the HubSpot account' : 'paste a current private app access token in the authorization'}`,
        { code: '401' },
      )
    if (status === 403)
      throw new ConnectorError(
        'auth',
        `HubSpot refused the request (HTTP 403 ${said(parsed)}): give the app the crm.objects.contacts.read and crm.objects.contacts.write scopes`,
        { code: '403' },
      )
    if (status === 429) throw rateLimited(response.headers, parsed, ctx.now())
    const retryable = retryableAnswer(
      status,
      response.headers,
      `HubSpot answered HTTP ${status}: ${said(parsed)}`,
      ctx.now(),
    )
    if (retryable) throw retryable
    if ((status >= 200 && status < 300) || (status === 400 && options.accept400))
      return { status, body: parsed }
    throw new ConnectorError(
      'config',
      `HubSpot answered HTTP ${status} to ${method} ${path.split('?')[0]}: ${said(parsed)}${status === 404 ? ' (check the API URL)' : ''}`,
      { code: String(status) },
    )
  }

  return { call }
}
export type HubSpotClient = ReturnType<typeof hubspotClient>
