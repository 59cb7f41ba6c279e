import { setTimeout as setTimeoutPromise } from 'node:timers/promises'

/** All time logic takes a clock so tests never wait for real time. */
export interface Clock {
  now(): Date
  /** Waits `ms` of this clock's time (a connector polling a provider); rejects when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms, signal) => setTimeoutPromise(ms, undefined, signal ? { signal } : {}),
}

/** A clock tests move by hand. */
export function manualClock(start: Date | string = '2026-01-01T00:00:00.000Z'): Clock & {
  set(at: Date | string): void
  advance(ms: number): void
} {
  let current = new Date(start).getTime()
  return {
    now: () => new Date(current),
    set: (at) => {
      current = new Date(at).getTime()
    },
    advance: (ms) => {
      current += ms
    },
    // Time a test controls passes at once: the wait moves the clock instead of blocking.
    sleep: async (ms, signal) => {
      signal?.throwIfAborted()
      current += ms
    },
  }
}
