import { RateLimiterMemory, type RateLimiterRes } from 'rate-limiter-flexible'
import { ApiError } from '../errors.ts'

/**
 * Failed-login throttle: 10 failures per account and address in 15 minutes, 100 per address.
 * In memory, per process: with several API processes the budget multiplies by their number,
 * which still stops online guessing.
 */
export function createLoginLimiter() {
  const perAccount = new RateLimiterMemory({ keyPrefix: 'login-account', points: 10, duration: 15 * 60 })
  const perAddress = new RateLimiterMemory({ keyPrefix: 'login-address', points: 100, duration: 15 * 60 })

  const refuse = (result: RateLimiterRes) => {
    const seconds = Math.max(1, Math.ceil(result.msBeforeNext / 1000))
    return new ApiError(429, 'TooManyAttempts', `too many failed sign-ins; try again in ${seconds} seconds`, {
      details: { retryAfterSeconds: seconds },
    })
  }

  return {
    /** Throws 429 when either budget is spent. */
    async assertAllowed(address: string, email: string): Promise<void> {
      for (const [limiter, key] of [
        [perAccount, `${address}|${email}`],
        [perAddress, address],
      ] as const) {
        const state = await limiter.get(key)
        if (state && state.remainingPoints <= 0) throw refuse(state)
      }
    },
    async recordFailure(address: string, email: string): Promise<void> {
      await Promise.all([perAccount.penalty(`${address}|${email}`, 1), perAddress.penalty(address, 1)])
    },
    async recordSuccess(address: string, email: string): Promise<void> {
      await perAccount.delete(`${address}|${email}`)
    },
  }
}

export type LoginLimiter = ReturnType<typeof createLoginLimiter>
