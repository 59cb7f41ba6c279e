import { type ConnectorContext, ConnectorError } from '../define.ts'
import { retryableAnswer, unreachable } from '../http-answers.ts'
import { API_VERSION } from './salesforce.node.ts'

/**
 * Requests to an org's REST API, classified the way the executor acts on them. Server-only.
 * Errors are a list of `{ message, errorCode, fields? }`.
 * https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm
 */

const TIMEOUT_MS = 60_000
const MESSAGE_IN_ERRORS = 300
/**
 * REQUEST_LIMIT_EXCEEDED: the org spent its API requests of the last 24 hours (a rolling window,
 * so no reset time to wait for): look again in an hour.
 */
const DAILY_RETRY_MS = 60 * 60_000

export interface SalesforceError {
  message?: string
  errorCode?: string
  fields?: string[]
}

/** An answer's first error, when it is Salesforce's error list. */
export function errorOf(body: unknown): SalesforceError {
  const first = Array.isArray(body) ? body[0] : body
  return first !== null && typeof first === 'object' ? (first as SalesforceError) : {}
}

/** Salesforce's code and message, on one line and shortened. */
export const said = (body: unknown) => {
  const error = errorOf(body)
  const message = (error.message ?? '').replace(/\s+/g, ' ').trim().slice(0, MESSAGE_IN_ERRORS)
  return [error.errorCode, message].filter(Boolean).join(': ')
}

/**
 * A connection to the org for one run: its API host (the admin's API URL override, else the
 * instance the token answer named), and the access token, renewed once through
 * `ctx.reauthorize` after a 401 INVALID_SESSION_ID; later requests use the renewed one.
 */
export function salesforceClient(
  ctx: Pick<
    ConnectorContext<unknown>,
    'credentials' | 'fetch' | 'signal' | 'now' | 'throttle' | 'reauthorize'
  >,
) {
  let credentials = ctx.credentials
  const base = () => {
    const url = [credentials.apiUrl, credentials.instanceUrl].find(
      (value): value is string => typeof value === 'string' && value.length > 0,
    )
    if (!url)
      throw new ConnectorError(
        'auth',
        'the authorization does not say which Salesforce instance the org is on: reconnect it',
      )
    return url.replace(/\/+$/, '')
  }

  /**
   * GETs a path under the instance (`/services/data/...`). 2xx answers; a 400 is thrown as a
   * config error carrying Salesforce's error as `cause`, for the caller to name the field.
   */
  async function get(path: string, headers: Record<string, string> = {}, renewed = false): Promise<unknown> {
    await ctx.throttle?.()
    const token = credentials.accessToken
    if (typeof token !== 'string' || !token)
      throw new ConnectorError('auth', 'the authorization has no Salesforce access token: reconnect it')
    let response: Response
    try {
      response = await ctx.fetch(`${base()}${path}`, {
        headers: { accept: 'application/json', authorization: `Bearer ${token}`, ...headers },
        redirect: 'error',
        signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(TIMEOUT_MS)]),
      })
    } catch (error) {
      throw unreachable(error, 'Salesforce')
    }
    const text = await response.text().catch(() => '')
    let body: unknown = null
    try {
      body = text ? JSON.parse(text) : null
    } catch {
      body = [{ message: text.slice(0, MESSAGE_IN_ERRORS) }]
    }
    const status = response.status
    if (status >= 200 && status < 300) return body
    const code = errorOf(body).errorCode
    if (status === 401 && ctx.reauthorize && !renewed) {
      credentials = await ctx.reauthorize()
      return get(path, headers, true)
    }
    if (status === 401)
      throw new ConnectorError(
        'auth',
        `Salesforce refused the session (HTTP 401 ${said(body)}): reconnect the org`,
        {
          code: code ?? '401',
        },
      )
    if (status === 403 && code === 'REQUEST_LIMIT_EXCEEDED')
      throw new ConnectorError('rate_limited', `the org used up its daily API requests (${said(body)})`, {
        retryAt: new Date(ctx.now().getTime() + DAILY_RETRY_MS),
        code,
      })
    if (status === 403)
      throw new ConnectorError(
        'auth',
        `Salesforce refused the request (HTTP 403 ${said(body)}): the connected user needs the API Enabled permission and access to the object`,
        { code: code ?? '403' },
      )
    const retryable = retryableAnswer(
      status,
      response.headers,
      `Salesforce answered HTTP ${status}: ${said(body)}`,
      ctx.now(),
    )
    if (retryable) throw retryable
    throw new ConnectorError(
      'config',
      `Salesforce answered HTTP ${status}: ${said(body)}${status === 404 ? ` (check the instance URL; the API version is ${API_VERSION})` : ''}`,
      { code: code ?? String(status), cause: body },
    )
  }

  return { get }
}
export type SalesforceClient = ReturnType<typeof salesforceClient>
