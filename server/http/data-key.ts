import type { Context, MiddlewareHandler } from 'hono'
import { sha256 } from '../auth/tokens.ts'
import { findDataKeyByHash, touchDataKey } from '../db/data-keys.repo.ts'
import { ApiError } from '../errors.ts'
import type { AppEnv } from './context.ts'
import { addressOf } from './rate-limits.ts'

const TOUCH_EVERY_MS = 60_000

/**
 * The data key a collect request carries, in any of the forms senders use: `Authorization: <key>`,
 * `Authorization: Bearer <key>`, basic auth with the key as user (Segment/RudderStack SDKs), or
 * `?access_token=<key>` (never logged: see safeUrl).
 */
export function presentedKey(
  authorization: string | undefined,
  accessToken: string | undefined,
): string | undefined {
  if (authorization) {
    const [scheme, rest] = authorization.split(/\s+/, 2)
    if (/^bearer$/i.test(scheme ?? '') && rest) return rest
    if (/^basic$/i.test(scheme ?? '') && rest) {
      const decoded = Buffer.from(rest, 'base64').toString('utf8')
      const user = decoded.split(':')[0]
      return user || undefined
    }
    return authorization.trim() || undefined
  }
  return accessToken || undefined
}

/** Looks a key up and sets `dataKey`; an unknown key is refused at once. */
export async function adoptDataKey(c: Context<AppEnv>, key: string): Promise<void> {
  const { db, clock, rateLimits } = c.get('deps')
  await rateLimits.assertNotBlocked(addressOf(c))
  const found = await findDataKeyByHash(db, sha256(key))
  if (!found) {
    await rateLimits.wrongCredential(addressOf(c))
    throw new ApiError(401, 'InvalidDataKey', 'the data key is unknown or was deleted')
  }
  await rateLimits.collect(found.id)
  const now = clock.now()
  if (!found.last_used_at || now.getTime() - Date.parse(found.last_used_at) > TOUCH_EVERY_MS) {
    await touchDataKey(db, found.id, now.toISOString())
  }
  c.set('dataKey', { id: found.id, name: found.name, stream: found.stream })
}

/** Resolves the data key into `dataKey`; an unknown key is refused at once, a missing one by the route. */
export const authenticateDataKey: MiddlewareHandler<AppEnv> = async (c, next) => {
  const key = presentedKey(c.req.header('authorization'), c.req.query('access_token'))
  if (key) await adoptDataKey(c, key)
  await next()
}
