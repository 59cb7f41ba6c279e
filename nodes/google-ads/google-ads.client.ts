import { z } from 'zod'
import { type ConnectorContext, ConnectorError } from '../define.ts'
import { retryAtOf, unreachable } from '../http-answers.ts'
import { ADS_URL, ADS_VERSION } from './google-ads.node.ts'

const TIMEOUT_MS = 60_000
const MESSAGE_IN_ERRORS = 400
/** Without a hint, a quota error waits this long: Google's limits are per minute and per day. */
const DEFAULT_BACK_OFF_MS = 5 * 60_000

/**
 * One `GoogleAdsError` of a `GoogleAdsFailure` ("Understand API errors"): `errorCode` holds one
 * entry such as `{ authorizationError: 'USER_PERMISSION_DENIED' }`.
 */
const adsError = z.looseObject({
  errorCode: z.record(z.string(), z.unknown()).optional(),
  message: z.string().optional(),
  location: z
    .looseObject({
      fieldPathElements: z
        .array(z.looseObject({ fieldName: z.string(), index: z.number().optional() }))
        .optional(),
    })
    .optional(),
  details: z
    .looseObject({ quotaErrorDetails: z.looseObject({ retryDelay: z.string().optional() }).optional() })
    .optional(),
})
export type AdsError = z.infer<typeof adsError>

/** A google.rpc.Status: the error of an answer, of a partial failure or of an operation. */
export const rpcStatus = z.looseObject({
  code: z.number().optional(),
  message: z.string().optional(),
  status: z.string().optional(),
  details: z.array(z.looseObject({ errors: z.array(adsError).optional() })).optional(),
})
export type RpcStatus = z.infer<typeof rpcStatus>

export const failuresOf = (status: RpcStatus): AdsError[] =>
  (status.details ?? []).flatMap((detail) => detail.errors ?? [])

/** `authorizationError.USER_PERMISSION_DENIED`: which error it is, as Google names it. */
export const codeOf = (error: AdsError): string =>
  Object.entries(error.errorCode ?? {})
    .map(([kind, value]) => `${kind}.${String(value)}`)
    .join(', ') || 'unknown'

const kinds = (errors: AdsError[]) => new Set(errors.flatMap((error) => Object.keys(error.errorCode ?? {})))
const has = (errors: AdsError[], pattern: RegExp) => errors.some((error) => pattern.test(codeOf(error)))

/** "30s" or "1.5s" (a protobuf Duration in JSON) in milliseconds. */
function durationMs(text: string | undefined): number | null {
  const match = /^(\d+(?:\.\d+)?)s$/.exec(text ?? '')
  return match ? Math.ceil(Number(match[1]) * 1000) : null
}

/** The token is never part of what Sluice shows, even when an answer repeats it. */
function redact(text: string, secrets: string[]): string {
  return secrets.filter(Boolean).reduce((clean, secret) => clean.split(secret).join('[secret]'), text)
}

/**
 * A Google Ads API failure, classified: quota errors (429, RESOURCE_EXHAUSTED) sleep for the
 * `retryDelay` Google gives (or `Retry-After`); authentication and authorization errors need the
 * admin or the account; 5xx, internal errors and concurrent modifications are retried; the rest
 * (a list that does not exist, an account not allowed Customer Match) are config errors with
 * Google's message.
 */
export function classify(
  status: number,
  headers: Headers,
  text: string,
  now: Date,
  secrets: string[],
): ConnectorError {
  let body: RpcStatus = {}
  try {
    body = rpcStatus.parse((JSON.parse(text) as { error?: unknown }).error ?? {})
  } catch {
    // Not an API error body (a proxy's page): the status decides.
  }
  const errors = failuresOf(body)
  const said = errors.length
    ? errors.map((error) => `${codeOf(error)}${error.message ? ` (${error.message})` : ''}`).join('; ')
    : (body.message ?? text)
  const answered = redact(
    `Google Ads answered HTTP ${status}${body.status ? ` ${body.status}` : ''}${said ? `: ${said}` : ''}`,
    secrets,
  ).slice(0, MESSAGE_IN_ERRORS)
  const code = errors[0] ? codeOf(errors[0]) : String(status)
  const found = kinds(errors)
  if (status === 429 || body.status === 'RESOURCE_EXHAUSTED' || found.has('quotaError')) {
    const delays = errors.map((error) => durationMs(error.details?.quotaErrorDetails?.retryDelay) ?? 0)
    const delay = Math.max(0, ...delays)
    const retryAt = delay
      ? new Date(now.getTime() + delay)
      : headers.get('retry-after')
        ? retryAtOf(headers.get('retry-after'), now)
        : new Date(now.getTime() + DEFAULT_BACK_OFF_MS)
    return new ConnectorError('rate_limited', answered, { code, retryAt })
  }
  if (has(errors, /DEVELOPER_TOKEN|CLOUD_PROJECT/))
    return new ConnectorError(
      'auth',
      `${answered}; an admin fixes the Google Ads app's developer token or Google Cloud project access in the OAuth app settings`,
      { code },
    )
  if (found.has('authenticationError') || found.has('authorizationError') || status === 401 || status === 403)
    return new ConnectorError(
      'auth',
      `${answered}; reconnect a Google account that can manage this customer (through a manager account, set its ID)`,
      { code },
    )
  if (
    status >= 500 ||
    status === 408 ||
    found.has('internalError') ||
    has(errors, /CONCURRENT_MODIFICATION/) ||
    ['UNAVAILABLE', 'INTERNAL', 'DEADLINE_EXCEEDED', 'ABORTED'].includes(body.status ?? '')
  )
    return new ConnectorError('transient', answered, { code })
  return new ConnectorError('config', `${answered}; check the customer ID and the customer list ID`, { code })
}

/** Whether a 401 is about the OAuth token (refreshing may help) rather than the developer token. */
function tokenRefused(text: string): boolean {
  try {
    const errors = failuresOf(rpcStatus.parse((JSON.parse(text) as { error?: unknown }).error ?? {}))
    return !has(errors, /DEVELOPER_TOKEN/)
  } catch {
    return true
  }
}

export interface AdsClient {
  /** A call to `/{version}/{path}`; `path` may be a resource name with its `:verb`. */
  call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown>
}

/**
 * The Google Ads REST API with the connected account's token, the admin's developer token (sent
 * when set) and the manager account as `login-customer-id`. A 401 about the OAuth token refreshes
 * it once (`ctx.reauthorize`) and the later calls use the new one.
 */
export function adsClient(
  ctx: Pick<ConnectorContext, 'fetch' | 'signal' | 'now' | 'throttle' | 'credentials' | 'reauthorize'>,
  loginCustomerId?: string,
): AdsClient {
  let credentials = ctx.credentials
  if (typeof credentials.accessToken !== 'string' || !credentials.accessToken)
    throw new ConnectorError(
      'auth',
      'the authorization holds no Google token: connect the Google Ads account again',
    )
  const base = (
    typeof credentials.apiUrl === 'string' && credentials.apiUrl ? credentials.apiUrl : ADS_URL
  ).replace(/\/+$/, '')
  const secrets = () => [String(credentials.accessToken ?? ''), String(credentials.developerToken ?? '')]

  async function call(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    retried = false,
  ): Promise<unknown> {
    const url = `${base}/${ADS_VERSION}/${path}`
    const developerToken = credentials.developerToken
    await ctx.throttle?.()
    let response: Response
    try {
      response = await ctx.fetch(url, {
        method,
        headers: {
          accept: 'application/json',
          authorization: `Bearer ${String(credentials.accessToken)}`,
          ...(typeof developerToken === 'string' && developerToken
            ? { 'developer-token': developerToken }
            : {}),
          ...(loginCustomerId ? { 'login-customer-id': loginCustomerId } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        redirect: 'error',
        signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(TIMEOUT_MS)]),
      })
    } catch (error) {
      throw unreachable(error, `the Google Ads API (${new URL(url).host})`)
    }
    const text = await response.text().catch(() => '')
    if (response.status === 401 && ctx.reauthorize && !retried && tokenRefused(text)) {
      credentials = await ctx.reauthorize()
      return call(method, path, body, true)
    }
    if (!response.ok) throw classify(response.status, response.headers, text, ctx.now(), secrets())
    try {
      return text ? (JSON.parse(text) as unknown) : {}
    } catch {
      throw new ConnectorError('transient', `Google Ads answered HTTP ${response.status} without JSON`)
    }
  }
  return { call: (method, path, body) => call(method, path, body) }
}
