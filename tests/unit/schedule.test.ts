import { describe, expect, it } from 'vitest'
import type { Cadence } from '../../nodes/cadence.ts'
import { nextRunAfter } from '../../server/executor/schedule.ts'

const localDate = (at: Date, timeZone: string) =>
  new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at)
const localTime = (at: Date, timeZone: string) =>
  new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hour12: false }).format(at)

describe('nextRunAfter', () => {
  it.each([
    ['America/New_York', '30 2 * * *', '02:30'],
    ['America/New_York', '30 1 * * *', '01:30'],
    ['Europe/Berlin', '30 2 * * *', '02:30'],
    ['Europe/Berlin', '30 1 * * *', '01:30'],
  ])(
    'runs a daily cron in %s (%s) exactly once per local day for a year, across DST',
    (timezone, cron, at) => {
      const cadence: Cadence = { cron, timezone }
      const runs: Date[] = []
      // Each run happens when due and takes a few minutes; the next is computed from its slot.
      let slot = nextRunAfter(cadence, new Date('2026-01-01T00:00:00Z'), new Date('2026-01-01T00:00:00Z'))!
      while (slot.getTime() < Date.parse('2027-01-01T00:00:00Z')) {
        runs.push(slot)
        slot = nextRunAfter(cadence, slot, new Date(slot.getTime() + 5 * 60_000))!
      }
      const days = runs.map((run) => localDate(run, timezone))
      expect(new Set(days).size).toBe(days.length)
      expect(days.length).toBe(365)
      // The spring-forward day's 02:30 does not exist: that run is at 03:00, the first instant after.
      const odd = runs.filter((run) => localTime(run, timezone) !== at)
      for (const run of odd) expect(localTime(run, timezone)).toBe('03:00')
      expect(odd.length).toBeLessThanOrEqual(1)
    },
  )

  it('runs a slot that repeats at fall-back once, at its first occurrence', () => {
    const cadence: Cadence = { cron: '30 1 * * *', timezone: 'America/New_York' }
    const first = nextRunAfter(cadence, new Date('2026-10-31T12:00:00Z'), new Date('2026-10-31T12:00:00Z'))!
    expect(first.toISOString()).toBe('2026-11-01T05:30:00.000Z') // 01:30 EDT, the first of the two
    expect(nextRunAfter(cadence, first, first)!.toISOString()).toBe('2026-11-02T06:30:00.000Z')
  })

  it('never repeats a slot when the clock steps back an hour', () => {
    const cadence: Cadence = { cron: '30 2 * * *', timezone: 'Europe/Berlin' }
    const slot = new Date('2026-06-10T00:30:00Z')
    const stepped = new Date(slot.getTime() + 10 * 60_000 - 3_600_000)
    const next = nextRunAfter(cadence, slot, stepped)!
    expect(next.toISOString()).toBe('2026-06-11T00:30:00.000Z')
    expect(next.getTime()).toBeGreaterThan(stepped.getTime())
  })

  it('collapses slots missed while down into one run now, then keeps to the schedule', () => {
    const hourly: Cadence = { cron: '0 * * * *' }
    const down = new Date('2026-06-10T10:00:00Z')
    const back = new Date('2026-06-10T15:20:00Z')
    const now = nextRunAfter(hourly, down, back)!
    expect(now.toISOString()).toBe(back.toISOString())
    expect(nextRunAfter(hourly, now, new Date(back.getTime() + 60_000))!.toISOString()).toBe(
      '2026-06-10T16:00:00.000Z',
    )
    const every: Cadence = { every: '15m' }
    expect(nextRunAfter(every, down, new Date(down.getTime() + 60_000))!.toISOString()).toBe(
      '2026-06-10T10:15:00.000Z',
    )
    expect(nextRunAfter(every, down, back)!.toISOString()).toBe(back.toISOString())
  })

  it('schedules nothing more for once, realtime and after-upstream cadences', () => {
    const now = new Date('2026-06-10T10:00:00Z')
    expect(nextRunAfter('once', now, now)).toBeNull()
    expect(nextRunAfter('realtime', now, now)).toBeNull()
    expect(nextRunAfter({ after: 'upstream' }, now, now)).toBeNull()
  })
})
