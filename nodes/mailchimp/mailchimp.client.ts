import { createHash } from 'node:crypto'
import { type ConnectorContext, ConnectorError } from '../define.ts'
import { retryableAnswer, unreachable } from '../http-answers.ts'
import { DATACENTER } from './mailchimp.node.ts'

/**
 * Mailchimp Marketing API 3.0 over `ctx.fetch`: where the account's API lives, HTTP basic auth
 * with the key, and every answer that is not a success classified from Mailchimp's problem body
 * (`type`, `title`, `status`, `detail`, `instance`) into what the user should do.
 * https://mailchimp.com/developer/marketing/docs/fundamentals/
 * https://mailchimp.com/developer/marketing/docs/errors/
 */

const TIMEOUT_MS = 60_000
const DETAIL_IN_ERRORS = 300

export interface Session {
  base: string
  authorization: string
  key: string
}

/**
 * The API root for the credentials: the `apiUrl` override when set (with or without `/3.0`), else
 * `https://<dc>.api.mailchimp.com/3.0` from the key's datacenter suffix.
 * @example apiBase({ apiKey: '0123…-us21' }) // 'https://us21.api.mailchimp.com/3.0'
 */
export function apiBase(credentials: Record<string, unknown>): string {
  const { apiUrl, apiKey } = credentials
  if (typeof apiUrl === 'string' && apiUrl) {
    const trimmed = apiUrl.replace(/\/+$/, '')
    return trimmed.endsWith('/3.0') ? trimmed : `${trimmed}/3.0`
  }
  const datacenter = typeof apiKey === 'string' ? DATACENTER.exec(apiKey.trim())?.[1] : undefined
  if (!datacenter)
    throw new ConnectorError(
      'config',
      'the Mailchimp API key has no datacenter ending such as -us21: copy the whole key into the Vault',
    )
  return `https://${datacenter}.api.mailchimp.com/3.0`
}

/** Where and how to call the API with these credentials; a key missing is an auth error. */
export function sessionOf(credentials: Record<string, unknown>): Session {
  const key = typeof credentials.apiKey === 'string' ? credentials.apiKey.trim() : ''
  if (!key)
    throw new ConnectorError('auth', 'the authorization has no Mailchimp API key: enter one in the Vault')
  // Basic auth: any user name, the key as the password.
  const authorization = `Basic ${Buffer.from(`sluice:${key}`).toString('base64')}`
  return { base: apiBase(credentials), authorization, key }
}

/** The id Mailchimp gives a member: the MD5 of the lower-cased email address. */
export function subscriberHash(email: string): string {
  return createHash('md5').update(email.trim().toLowerCase()).digest('hex')
}

/** Mailchimp's problem body; any field may be missing (a proxy's HTML page has none). */
interface Problem {
  title?: string
  detail?: string
  errors?: { field?: string; message?: string }[]
}

function problemOf(text: string): Problem {
  try {
    const body = JSON.parse(text) as unknown
    return body && typeof body === 'object' ? (body as Problem) : {}
  } catch {
    return {}
  }
}

/**
 * `Title: detail (field: message)`, short, with the key and the basic-auth credentials censored
 * should Mailchimp (or a proxy) echo them. Censored before it is shortened: a cut through the key
 * would leave a piece that no censor recognises.
 */
function describe(status: number, text: string, secrets: readonly string[]): string {
  const problem = problemOf(text)
  const parts = [problem.title, problem.detail].filter((part) => typeof part === 'string' && part)
  const fields = (Array.isArray(problem.errors) ? problem.errors : [])
    .map((error) => [error.field, error.message].filter(Boolean).join(': '))
    .filter(Boolean)
  let said = parts.length ? parts.join(': ') : text.trim() ? text.trim() : `HTTP ${status}`
  if (fields.length) said += ` (${fields.join('; ')})`
  for (const secret of secrets) if (secret) said = said.split(secret).join('[redacted]')
  return said.slice(0, DETAIL_IN_ERRORS)
}

export interface CallOptions {
  method?: 'GET' | 'POST' | 'DELETE'
  query?: Record<string, string | number | undefined>
  body?: unknown
  /** The message of a 404, e.g. naming the audience; null lets the caller handle it (answer null). */
  notFound?: string | null
}

/**
 * One request, after `ctx.throttle`. Answers the parsed JSON body (null for 204, or for a 404 when
 * `notFound` is null); throws a classified ConnectorError for anything else.
 */
export async function call<T>(
  ctx: Pick<ConnectorContext<unknown>, 'fetch' | 'signal' | 'now' | 'throttle'>,
  session: Session,
  path: string,
  options: CallOptions = {},
): Promise<T | null> {
  const url = new URL(`${session.base}${path}`)
  for (const [name, value] of Object.entries(options.query ?? {}))
    if (value !== undefined) url.searchParams.set(name, String(value))
  await ctx.throttle?.()
  let response: Response
  try {
    response = await ctx.fetch(url, {
      method: options.method ?? 'GET',
      headers: {
        accept: 'application/json',
        authorization: session.authorization,
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      redirect: 'error',
      signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(TIMEOUT_MS)]),
    })
  } catch (error) {
    throw unreachable(error, 'Mailchimp')
  }
  const text = await response.text().catch(() => '')
  if (response.ok) {
    if (response.status === 204 || !text) return null
    try {
      return JSON.parse(text) as T
    } catch {
      throw new ConnectorError('transient', `Mailchimp answered HTTP ${response.status} without JSON`)
    }
  }
  // The header's base64 of `sluice:<key>` is no form of the key the Vault knows to scrub.
  const said = describe(response.status, text, [session.key, session.authorization.slice('Basic '.length)])
  const code = String(response.status)
  if (response.status === 401)
    throw new ConnectorError('auth', `Mailchimp refused the API key (${said}); check the key in the Vault`, {
      code,
    })
  if (response.status === 403)
    throw new ConnectorError(
      'auth',
      `Mailchimp refused access (${said}); check in the Vault that the key belongs to the account that owns the audience`,
      { code },
    )
  if (response.status === 404) {
    if (options.notFound === null) return null
    throw new ConnectorError('config', `${options.notFound ?? 'Mailchimp has no such resource'} (${said})`, {
      code,
    })
  }
  // 429 without Retry-After (Mailchimp sends none) sleeps retryAtOf's default minute.
  const retryable = retryableAnswer(
    response.status,
    response.headers,
    `Mailchimp answered HTTP ${response.status}: ${said}`,
    ctx.now(),
  )
  if (retryable) throw retryable
  throw new ConnectorError('config', `Mailchimp refused the request: ${said}`, { code })
}
