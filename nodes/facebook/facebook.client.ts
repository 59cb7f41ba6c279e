import { z } from 'zod'
import { type ConnectorContext, ConnectorError } from '../define.ts'
import { retryAtOf, unreachable } from '../http-answers.ts'
import { type FacebookCredentials, facebookCredentials, GRAPH_URL, GRAPH_VERSION } from './facebook.node.ts'

const TIMEOUT_MS = 60_000
const MESSAGE_IN_ERRORS = 300

/**
 * Graph API error codes that mean "too many calls" ("Rate Limiting", "Error codes"): 4 app, 17
 * user, 32 page, 613 calls per hour; 80000–80014 the business use case limits (80003 is the
 * custom audience one).
 */
export function isRateLimitCode(code: number): boolean {
  return [4, 17, 32, 613].includes(code) || (code >= 80_000 && code <= 80_014)
}

/** Codes that say the token or its permissions are wrong: 102 and 190 the token, 10 and 200–299 permissions. */
function isAuthCode(code: number): boolean {
  return code === 102 || code === 190 || code === 10 || (code >= 200 && code <= 299)
}

/** Without any hint, a throttled caller waits this long: Meta counts calls over a rolling hour. */
const DEFAULT_BACK_OFF_MS = 5 * 60_000

const usageEntry = z.looseObject({ estimated_time_to_regain_access: z.number().optional() })
const usageHeader = z.record(z.string(), z.array(usageEntry))

/**
 * When a throttled caller may call again: the largest `estimated_time_to_regain_access` (minutes)
 * of the `X-Business-Use-Case-Usage` header, else `Retry-After`, else a few minutes.
 */
export function regainAccessAt(headers: Headers, now: Date): Date {
  const raw = headers.get('x-business-use-case-usage')
  let minutes = 0
  if (raw) {
    try {
      const usage = usageHeader.parse(JSON.parse(raw))
      for (const entries of Object.values(usage))
        for (const entry of entries) minutes = Math.max(minutes, entry.estimated_time_to_regain_access ?? 0)
    } catch {
      // An unreadable hint is no hint.
    }
  }
  if (minutes > 0) return new Date(now.getTime() + minutes * 60_000)
  if (headers.get('retry-after')) return retryAtOf(headers.get('retry-after'), now)
  return new Date(now.getTime() + DEFAULT_BACK_OFF_MS)
}

const graphError = z.looseObject({
  message: z.string().optional(),
  type: z.string().optional(),
  code: z.number().optional(),
  error_subcode: z.number().optional(),
  is_transient: z.boolean().optional(),
  error_user_title: z.string().optional(),
  error_user_msg: z.string().optional(),
})

/** The token is never part of what Sluice shows, even when a careless answer repeats it. */
function redact(text: string, secret: string): string {
  return secret ? text.split(secret).join('[token]') : text
}

/**
 * A Graph API failure, classified ("Error codes", "Rate Limiting"): rate-limit codes sleep until
 * access returns; 190 and permission codes are auth errors; `is_transient`, codes 1 and 2 and 5xx
 * are retried; anything else is a config error naming Meta's message.
 */
export function classify(
  status: number,
  headers: Headers,
  text: string,
  now: Date,
  token: string,
): ConnectorError {
  let parsed: z.infer<typeof graphError> = {}
  try {
    parsed = graphError.parse((JSON.parse(text) as { error?: unknown }).error ?? {})
  } catch {
    // Not a Graph error body (a proxy's page): the status decides.
  }
  const code = parsed.code
  const detail = [parsed.message, parsed.error_user_msg].filter(Boolean).join(' — ') || text
  const said = redact(detail, token).slice(0, MESSAGE_IN_ERRORS)
  const answered = `Meta answered HTTP ${status}${code === undefined ? '' : ` (code ${code}${parsed.error_subcode ? `/${parsed.error_subcode}` : ''})`}${said ? `: ${said}` : ''}`
  const options = { code: code === undefined ? String(status) : String(code) }
  if ((code !== undefined && isRateLimitCode(code)) || status === 429)
    return new ConnectorError('rate_limited', answered, { ...options, retryAt: regainAccessAt(headers, now) })
  if ((code !== undefined && isAuthCode(code)) || status === 401)
    return new ConnectorError(
      'auth',
      `${answered}; generate a new system user token with the ads_management permission and update the authorization`,
      options,
    )
  if (parsed.is_transient || code === 1 || code === 2 || status >= 500 || status === 408)
    return new ConnectorError('transient', answered, options)
  return new ConnectorError(
    'config',
    `${answered}; check the custom audience ID and that the token's system user can manage it`,
    options,
  )
}

export function credentialsOf(credentials: Record<string, unknown>): FacebookCredentials {
  const parsed = facebookCredentials.safeParse(credentials)
  if (parsed.success) return parsed.data
  throw new ConnectorError('auth', 'the authorization has no usable access token: enter one in the Vault')
}

/**
 * One Graph API call. The token goes in the form body of writes and in the query of reads (as
 * Meta documents `access_token`), never in what an error shows.
 */
export async function graph(
  ctx: Pick<ConnectorContext, 'fetch' | 'signal' | 'now' | 'throttle'>,
  credentials: FacebookCredentials,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  params: Record<string, string>,
): Promise<unknown> {
  const url = new URL(`${(credentials.apiUrl ?? GRAPH_URL).replace(/\/+$/, '')}/${GRAPH_VERSION}/${path}`)
  const form = new URLSearchParams({ ...params, access_token: credentials.accessToken })
  if (method === 'GET') url.search = form.toString()
  await ctx.throttle?.()
  let response: Response
  try {
    response = await ctx.fetch(url, {
      method,
      headers: {
        accept: 'application/json',
        ...(method === 'GET' ? {} : { 'content-type': 'application/x-www-form-urlencoded' }),
      },
      ...(method === 'GET' ? {} : { body: form.toString() }),
      redirect: 'error',
      signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(TIMEOUT_MS)]),
    })
  } catch (error) {
    throw unreachable(error, `Meta's Graph API (${url.host})`)
  }
  const text = await response.text().catch(() => '')
  if (!response.ok)
    throw classify(response.status, response.headers, text, ctx.now(), credentials.accessToken)
  try {
    return JSON.parse(text) as unknown
  } catch {
    throw new ConnectorError('transient', `Meta answered HTTP ${response.status} without JSON`)
  }
}
