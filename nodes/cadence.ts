import { Cron } from 'croner'
import { z } from 'zod'
import { parseDuration } from './duration.ts'

/** True when the runtime knows the IANA time zone. */
export function isValidTimezone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone })
    return true
  } catch {
    return false
  }
}

/** Returns why a cron pattern is invalid, or null when croner accepts it. */
export function cronProblem(pattern: string, timezone?: string): string | null {
  try {
    // A paused Cron schedules nothing; it is dropped at once (see DESIGN.md §4 on croner's memory).
    new Cron(pattern, { paused: true, ...(timezone ? { timezone } : {}) }).stop()
    return null
  } catch (error) {
    return error instanceof Error ? error.message : String(error)
  }
}

const cronCadence = z
  .strictObject({
    cron: z.string().min(1).max(120).meta({ title: 'Cron pattern', placeholder: '0 * * * *' }),
    timezone: z.string().max(64).optional().meta({ title: 'Time zone', placeholder: 'Europe/Berlin' }),
  })
  .superRefine((value, ctx) => {
    if (value.timezone !== undefined && !isValidTimezone(value.timezone)) {
      ctx.addIssue({ code: 'custom', path: ['timezone'], message: `unknown time zone "${value.timezone}"` })
      return
    }
    const problem = cronProblem(value.cron, value.timezone)
    if (problem)
      ctx.addIssue({ code: 'custom', path: ['cron'], message: `invalid cron "${value.cron}": ${problem}` })
  })

const everyCadence = z.strictObject({
  every: z
    .string()
    .refine((text) => (parseDuration(text) ?? 0) >= 1000, 'must be a duration of at least 1s such as "15m"'),
})

/** When a job runs (API.md): cron with time zone, an interval, once, realtime, or after its upstream. */
export const cadenceSchema = z.union([
  cronCadence,
  everyCadence,
  z.literal('once'),
  z.literal('realtime'),
  z.strictObject({ after: z.literal('upstream') }),
])

export type Cadence = z.infer<typeof cadenceSchema>

/** A short human label for a cadence, e.g. `every 15m` or `cron 0 * * * * (Europe/Berlin)`. */
export function describeCadence(cadence: Cadence): string {
  if (cadence === 'once') return 'once'
  if (cadence === 'realtime') return 'realtime'
  if ('every' in cadence) return `every ${cadence.every}`
  if ('after' in cadence) return 'after upstream'
  return `cron ${cadence.cron}${cadence.timezone ? ` (${cadence.timezone})` : ''}`
}
