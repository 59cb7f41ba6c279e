import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible'
import { ApiError } from '../errors.ts'

/**
 * Sign-in throttle: 10 attempts per account and address in 15 minutes, 100 per address; a
 * successful sign-in gives its attempt back.
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
    /**
     * Charges one attempt before the password is checked — so parallel guesses cannot all slip
     * past a check-then-count — and throws 429 when either budget is spent.
     */
    async charge(address: string, email: string): Promise<void> {
      const charges = [perAccount.consume(`${address}|${email}`), perAddress.consume(address)]
      const results = await Promise.allSettled(charges)
      for (const result of results) {
        if (result.status === 'rejected') {
          if (result.reason instanceof RateLimiterRes) throw refuse(result.reason)
          throw result.reason
        }
      }
    },
    /** A correct password clears the account's failures and refunds the address its attempt. */
    async succeeded(address: string, email: string): Promise<void> {
      await Promise.all([perAccount.delete(`${address}|${email}`), perAddress.reward(address, 1)])
    },
  }
}

export type LoginLimiter = ReturnType<typeof createLoginLimiter>
