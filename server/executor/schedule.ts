import { Cron } from 'croner'
import type { Cadence } from '../../nodes/cadence.ts'
import { parseDuration } from '../../nodes/duration.ts'

/**
 * croner keeps ~83 KB per live Cron (TOOLCHAIN.md), so one paused instance is cached per distinct
 * pattern and time zone, never one per job. `nextRun(from)` does not depend on instance state.
 */
const crons = new Map<string, Cron>()
const MAX_CACHED = 2000

function cronFor(pattern: string, timezone: string | undefined): Cron {
  const key = `${pattern}\u0000${timezone ?? ''}`
  let cron = crons.get(key)
  if (!cron) {
    if (crons.size >= MAX_CACHED) crons.clear()
    cron = new Cron(pattern, { paused: true, ...(timezone ? { timezone } : {}) })
    crons.set(key, cron)
  }
  return cron
}

/** The first cron slot strictly after `from`. */
export function nextCronRun(pattern: string, timezone: string | undefined, from: Date): Date | null {
  return cronFor(pattern, timezone).nextRun(from)
}

/**
 * When a newly deployed (or resumed) job should first run: interval and one-time jobs at once, so
 * a user sees data straight away; cron jobs at their next slot; realtime and after-upstream jobs
 * are woken by events, not the clock.
 */
export function firstRunAt(cadence: Cadence, now: Date): Date | null {
  if (cadence === 'once') return now
  if (cadence === 'realtime') return null
  if ('after' in cadence) return null
  if ('every' in cadence) return parseDuration(cadence.every) === null ? null : now
  return nextCronRun(cadence.cron, cadence.timezone, now)
}

/**
 * When a job runs next after the run scheduled at `scheduled` (DESIGN.md §4): computed from that
 * instant, not from when the run ended, so a slow run never shifts the schedule. Slots missed
 * while Sluice was down collapse into one run, now; a clock stepping back never repeats a slot,
 * since nothing is computed from the clock but "is it due yet". Null: nothing more to schedule
 * (`once`, `realtime`, `after: upstream`).
 */
export function nextRunAfter(cadence: Cadence, scheduled: Date, now: Date): Date | null {
  if (cadence === 'once' || cadence === 'realtime' || 'after' in cadence) return null
  let next: Date | null
  if ('every' in cadence) {
    const every = parseDuration(cadence.every)
    next = every === null ? null : new Date(scheduled.getTime() + every)
  } else {
    next = nextCronRun(cadence.cron, cadence.timezone, scheduled)
  }
  if (next === null) return null
  return next.getTime() <= now.getTime() ? now : next
}
