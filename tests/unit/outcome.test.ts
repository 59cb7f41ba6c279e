import { describe, expect, it } from 'vitest'
import { afterFailure, afterSuccess, backoffMs } from '../../server/executor/outcome.ts'

const policy = { retryBaseMs: 30_000, retryMaxMs: 30 * 60_000, failAfterMs: 10 * 3_600_000 }
const now = new Date('2026-06-01T12:00:00.000Z')
const ago = (ms: number) => new Date(now.getTime() - ms).toISOString()
const HOUR = 3_600_000
const clean = { consecutive_errors: 0, first_error_at: null, last_error: null }

describe('back-off', () => {
  it('doubles from the base up to the maximum, less up to a fifth of jitter', () => {
    expect([1, 2, 3, 4, 7, 20].map((n) => backoffMs(n, policy, () => 0))).toEqual([
      30_000, 60_000, 120_000, 240_000, 1_800_000, 1_800_000,
    ])
    expect(backoffMs(3, policy, () => 1)).toBe(96_000)
  })
})

describe('after a failing unit', () => {
  const transient = { kind: 'transient' as const, message: 'connection reset' }

  it('starts a streak and retries with back-off', () => {
    const outcome = afterFailure(clean, transient, now, policy, () => 0)
    expect(outcome.event).toBe('Error')
    expect(outcome.changes).toEqual({
      status: 'sleeping',
      sleep_reason: 'retry',
      next_run_at: new Date(now.getTime() + 30_000).toISOString(),
      consecutive_errors: 1,
      first_error_at: now.toISOString(),
      last_error: 'connection reset',
    })
    expect(outcome.message).toBe(`connection reset. Retrying at ${outcome.changes.next_run_at}`)
  })

  it('fails at the first failing unit at or after 10 hours of errors, not before', () => {
    const before = afterFailure(
      { consecutive_errors: 40, first_error_at: ago(10 * HOUR - 60_000), last_error: 'x' },
      transient,
      now,
      policy,
    )
    expect(before.changes.status).toBe('sleeping')
    expect(before.changes.consecutive_errors).toBe(41)
    const at = afterFailure(
      { consecutive_errors: 41, first_error_at: ago(10 * HOUR), last_error: 'x' },
      transient,
      now,
      policy,
    )
    expect(at.event).toBe('Failed')
    expect(at.changes).toMatchObject({
      status: 'failed',
      next_run_at: null,
      sleep_reason: null,
      consecutive_errors: 42,
    })
  })

  it('asks the user to check an authorization or a configuration', () => {
    expect(afterFailure(clean, { kind: 'auth', message: 'HTTP 401' }, now, policy).message).toMatch(
      /^HTTP 401\. Check the authorization\. Retrying at /,
    )
    expect(afterFailure(clean, { kind: 'config', message: 'no such list.' }, now, policy).message).toMatch(
      /^no such list\. Check the configuration\. Retrying at /,
    )
  })

  it('sleeps until the provider’s Retry-After on a rate limit, without counting an error', () => {
    const retryAt = new Date(now.getTime() + 90_000)
    const limited = afterFailure(
      { consecutive_errors: 2, first_error_at: ago(HOUR), last_error: 'x' },
      { kind: 'rate_limited', message: '429', retryAt },
      now,
      policy,
    )
    expect(limited.event).toBe('Sleeping')
    expect(limited.changes).toEqual({
      status: 'sleeping',
      sleep_reason: 'rate_limit',
      next_run_at: retryAt.toISOString(),
      consecutive_errors: 2,
      first_error_at: ago(HOUR),
      last_error: 'x',
    })
    const noHint = afterFailure(clean, { kind: 'rate_limited', message: '429' }, now, policy, () => 0)
    expect(noHint.changes.next_run_at).toBe(new Date(now.getTime() + 30_000).toISOString())
  })
})

describe('after a successful unit', () => {
  it('ends the streak and sleeps until the next slot of its schedule', () => {
    const outcome = afterSuccess({ every: '15m' }, new Date('2026-06-01T11:59:00Z'), now, false)
    expect(outcome.event).toBe('Synced')
    expect(outcome.changes).toEqual({
      status: 'sleeping',
      sleep_reason: 'schedule',
      next_run_at: '2026-06-01T12:14:00.000Z',
      ...clean,
    })
  })

  it('completes a one-time job, or a source that says it is done', () => {
    expect(afterSuccess('once', now, now, false).changes.status).toBe('completed')
    expect(afterSuccess({ every: '1h' }, now, now, true)).toMatchObject({
      event: 'Completed',
      changes: { status: 'completed' },
    })
  })
})
