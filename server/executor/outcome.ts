import type { Cadence } from '../../nodes/cadence.ts'
import type { ErrorKind } from '../../nodes/define.ts'
import type { Config } from '../config.ts'
import type { Job, JobStatus, SleepReason } from '../db/schema.ts'
import { nextRunAfter } from './schedule.ts'

/** What a finished unit of work makes of its job (DESIGN.md §4, "Errors"), and the log line saying so. */
export interface Outcome {
  changes: {
    status: JobStatus
    sleep_reason: SleepReason | null
    next_run_at: string | null
    consecutive_errors: number
    first_error_at: string | null
    last_error: string | null
  }
  event: 'Synced' | 'Completed' | 'Error' | 'Sleeping' | 'Failed'
  message: string
}

type Policy = Pick<Config, 'retryBaseMs' | 'retryMaxMs' | 'failAfterMs'>

/** `min(base * 2^(n-1), max)`, less up to a fifth at random so failing jobs do not retry in step. */
export function backoffMs(attempt: number, policy: Policy, random: () => number = Math.random): number {
  const full = Math.min(policy.retryBaseMs * 2 ** Math.max(0, attempt - 1), policy.retryMaxMs)
  return Math.round(full * (1 - random() * 0.2))
}

/**
 * A unit that succeeded: the streak ends, and the job sleeps until its next slot (computed from
 * the slot it ran for) or, with nothing more to do, completes.
 */
export function afterSuccess(cadence: Cadence, scheduled: Date, now: Date, done: boolean): Outcome {
  const next = done ? null : nextRunAfter(cadence, scheduled, now)
  const reset = { consecutive_errors: 0, first_error_at: null, last_error: null }
  if (next === null && (done || cadence === 'once')) {
    return {
      changes: { status: 'completed', sleep_reason: null, next_run_at: null, ...reset },
      event: 'Completed',
      message: 'Completed: this one-time job has nothing more to read',
    }
  }
  return {
    changes: {
      status: 'sleeping',
      sleep_reason: 'schedule',
      next_run_at: next?.toISOString() ?? null,
      ...reset,
    },
    event: 'Synced',
    message: 'Synced',
  }
}

/**
 * A unit that failed with a connector's classified error. A rate limit sleeps until the provider
 * allows the next call and is no failure. Anything else continues the error streak: retried with
 * back-off, until the streak is SLUICE_FAIL_AFTER old at a failing unit, when the job fails.
 */
export function afterFailure(
  job: Pick<Job, 'consecutive_errors' | 'first_error_at' | 'last_error'>,
  error: { kind: ErrorKind; message: string; retryAt?: Date | undefined },
  now: Date,
  policy: Policy,
  random: () => number = Math.random,
): Outcome {
  const keep = {
    consecutive_errors: job.consecutive_errors,
    first_error_at: job.first_error_at,
    last_error: job.last_error,
  }
  if (error.kind === 'rate_limited') {
    const until =
      error.retryAt && error.retryAt > now
        ? error.retryAt
        : new Date(now.getTime() + backoffMs(1, policy, random))
    return {
      changes: { status: 'sleeping', sleep_reason: 'rate_limit', next_run_at: until.toISOString(), ...keep },
      event: 'Sleeping',
      message: `Rate-limited by the provider: sleeping until ${until.toISOString()}`,
    }
  }
  const streak = job.consecutive_errors + 1
  const firstErrorAt = job.first_error_at ?? now.toISOString()
  const failing = { consecutive_errors: streak, first_error_at: firstErrorAt, last_error: error.message }
  if (now.getTime() - Date.parse(firstErrorAt) >= policy.failAfterMs) {
    return {
      changes: { status: 'failed', sleep_reason: null, next_run_at: null, ...failing },
      event: 'Failed',
      message: `Failed: errors since ${firstErrorAt}; resume it once the cause is fixed (${error.message})`,
    }
  }
  const retryAt = new Date(now.getTime() + backoffMs(streak, policy, random))
  const advice =
    error.kind === 'auth'
      ? ' Check the authorization.'
      : error.kind === 'config'
        ? ' Check the configuration.'
        : ''
  return {
    changes: { status: 'sleeping', sleep_reason: 'retry', next_run_at: retryAt.toISOString(), ...failing },
    event: 'Error',
    message: `${error.message.replace(/\.$/, '')}.${advice} Retrying at ${retryAt.toISOString()}`,
  }
}
