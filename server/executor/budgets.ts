import { RateLimiterMemory, RateLimiterQueue } from 'rate-limiter-flexible'
import { findProvider, listProviders } from '../../nodes/index.ts'

/**
 * Rate budgets per authorization (DESIGN.md §4): jobs sharing an authorization share its
 * provider's limits. Concurrency is enforced where jobs are claimed (see claimDue), so it holds
 * across processes; request rates are queued here, per process and authorization.
 */

/** Providers that cap units running at once per authorization: provider id → cap. */
export function concurrencyCaps(): ReadonlyMap<string, number> {
  const caps = new Map<string, number>()
  for (const provider of listProviders()) {
    const cap = provider.budget?.concurrency
    if (cap !== undefined && cap > 0) caps.set(provider.id, cap)
  }
  return caps
}

/** One FIFO queue per provider budget, keyed inside by authorization. */
const queues = new Map<string, RateLimiterQueue>()

/**
 * The `ctx.throttle` of a job or preview: waits for a request slot of the authorization's budget,
 * in arrival order. Undefined when there is nothing to wait for.
 */
export function throttleFor(
  providerId: string,
  authorizationId: string | null,
): (() => Promise<void>) | undefined {
  const requests = findProvider(providerId)?.budget?.requests
  if (!requests || !authorizationId) return undefined
  let queue = queues.get(providerId)
  if (!queue) {
    const limiter = new RateLimiterMemory({ points: requests.count, duration: requests.perMs / 1000 })
    queue = new RateLimiterQueue(limiter)
    queues.set(providerId, queue)
  }
  const ready = queue
  return async () => {
    await ready.removeTokens(1, authorizationId)
  }
}
