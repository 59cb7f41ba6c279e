import type { Context, MiddlewareHandler } from 'hono'
import { getCookie } from 'hono/cookie'
import { sha256 } from '../auth/tokens.ts'
import { findSessionPrincipal, touchSession } from '../db/sessions.repo.ts'
import { findTokenPrincipal, touchToken } from '../db/tokens.repo.ts'
import { ApiError } from '../errors.ts'
import type { AppEnv } from './context.ts'
import { addressOf } from './rate-limits.ts'

export const SESSION_COOKIE = 'sluice_session'
export const SESSION_TTL_MS = 14 * 24 * 3_600_000
/** Sliding expiry and token use are written at most this often, so reads do not turn into writes. */
const TOUCH_EVERY_MS = 60_000

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/**
 * Resolves who is calling — a bearer API token or the session cookie — into `principal`.
 * Cookie requests that change something must come from our own origin (SameSite=Lax is not
 * enough on its own: it lets top-level POSTs from sibling subdomains through).
 */
export const authenticate: MiddlewareHandler<AppEnv> = async (c, next) => {
  const { db, clock } = c.get('deps')
  const now = clock.now()
  const header = c.req.header('authorization')
  if (header) {
    const match = /^Bearer\s+(\S+)$/i.exec(header)
    if (!match)
      throw new ApiError(401, 'Unauthenticated', 'the Authorization header must be "Bearer <token>"')
    const { rateLimits } = c.get('deps')
    await rateLimits.assertNotBlocked(addressOf(c))
    const found = await findTokenPrincipal(db, sha256(match[1]!))
    if (!found) {
      await rateLimits.wrongCredential(addressOf(c))
      throw new ApiError(401, 'InvalidToken', 'the API token is unknown or was revoked')
    }
    if (!found.lastUsedAt || now.getTime() - Date.parse(found.lastUsedAt) > TOUCH_EVERY_MS) {
      await touchToken(db, found.principal.credentialId, now.toISOString())
    }
    c.set('principal', found.principal)
    return next()
  }
  const cookie = getCookie(c, SESSION_COOKIE)
  if (cookie) {
    if (UNSAFE.has(c.req.method)) assertSameOrigin(c)
    const id = sha256(cookie)
    const found = await findSessionPrincipal(db, id, now.toISOString())
    if (found) {
      c.set('principal', found.principal)
      if (now.getTime() - Date.parse(found.lastSeenAt) > TOUCH_EVERY_MS) {
        await touchSession(db, id, now.toISOString(), new Date(now.getTime() + SESSION_TTL_MS).toISOString())
      }
    }
  }
  return next()
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]'])

/**
 * Refuses a state-changing browser request whose Origin (or Referer) is not this server as users
 * reach it: `SLUICE_PUBLIC_URL`, or a loopback address naming this very host and port (local use,
 * the dev proxy). A matching Host alone is not enough — under DNS rebinding an attacker's page
 * sends one — and another local port is another site (cookies ignore ports).
 */
export function assertSameOrigin(c: Context<AppEnv>): void {
  const source = c.req.header('origin') ?? refererOrigin(c.req.header('referer'))
  if (!source)
    throw new ApiError(403, 'OriginRequired', 'requests that change data must carry an Origin header')
  let url: URL
  try {
    url = new URL(source)
  } catch {
    throw new ApiError(403, 'OriginMismatch', `origin "${source}" is not valid`)
  }
  const publicUrl = c.get('deps').config.publicUrl
  const sameLoopback = LOOPBACK.has(url.hostname) && url.host === c.req.header('host')
  if (url.origin !== new URL(publicUrl).origin && !sameLoopback) {
    throw new ApiError(
      403,
      'OriginMismatch',
      `requests from "${url.origin}" may not change data here; if users reach Sluice there, set SLUICE_PUBLIC_URL to it (now ${publicUrl})`,
    )
  }
}

function refererOrigin(referer: string | undefined): string | undefined {
  if (!referer) return undefined
  try {
    return new URL(referer).origin
  } catch {
    return undefined
  }
}
