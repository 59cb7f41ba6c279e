import { getConnInfo } from '@hono/node-server/conninfo'
import type { Context } from 'hono'
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible'
import { ApiError } from '../errors.ts'
import type { AppEnv } from './context.ts'

/**
 * Request budgets beyond sign-in (login-limiter.ts): wrong API tokens and data keys per address,
 * so neither can be guessed online; and collect requests per data key, so one runaway sender
 * cannot starve the rest. In memory, per process (like the login budget).
 */
export function createRateLimits(settings: { collectPerSecond: number }) {
  const wrongCredentials = new RateLimiterMemory({
    keyPrefix: 'wrong-credential',
    points: 50,
    duration: 15 * 60,
  })
  const collect = new RateLimiterMemory({
    keyPrefix: 'collect',
    points: settings.collectPerSecond,
    duration: 1,
  })

  const tooMany = (result: RateLimiterRes, what: string) => {
    const seconds = Math.max(1, Math.ceil(result.msBeforeNext / 1000))
    return new ApiError(429, 'TooManyRequests', `${what}; try again in ${seconds} seconds`, {
      details: { retryAfterSeconds: seconds },
    })
  }

  return {
    /** Refuses an address that sent too many wrong credentials lately, before looking this one up. */
    async assertNotBlocked(address: string): Promise<void> {
      const state = await wrongCredentials.get(address)
      if (state && state.remainingPoints <= 0)
        throw tooMany(state, 'too many unknown API tokens or data keys from your address')
    },
    /** Counts a wrong credential against its address. */
    async wrongCredential(address: string): Promise<void> {
      await wrongCredentials.consume(address).catch((result: unknown) => {
        if (!(result instanceof RateLimiterRes)) throw result
      })
    },
    /** One collect request of a data key; 429 with Retry-After past its budget. */
    async collect(dataKeyId: string): Promise<void> {
      try {
        await collect.consume(dataKeyId)
      } catch (result) {
        if (result instanceof RateLimiterRes)
          throw tooMany(
            result,
            `this data key sends more than ${settings.collectPerSecond} requests a second`,
          )
        throw result
      }
    },
  }
}

export type RateLimits = ReturnType<typeof createRateLimits>

/** The caller's address as the socket sees it (a proxy in front is one address for all). */
export function addressOf(c: Context<AppEnv>): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown'
  } catch {
    return 'unknown'
  }
}
