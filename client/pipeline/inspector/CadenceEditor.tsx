import { Cron } from 'croner'
import { useId } from 'react'
import { type Cadence, cadenceSchema, cronProblem } from '../../../nodes/cadence.ts'
import { formatDuration, parseDuration } from '../../../nodes/duration.ts'

type Mode = 'every' | 'cron' | 'once' | 'after' | 'realtime'

const modeOf = (cadence: Cadence | undefined): Mode =>
  cadence === undefined
    ? 'every'
    : typeof cadence === 'string'
      ? cadence
      : 'every' in cadence
        ? 'every'
        : 'after' in cadence
          ? 'after'
          : 'cron'

const START: Record<Mode, Cadence> = {
  every: { every: '1h' },
  cron: { cron: '0 * * * *' },
  once: 'once',
  after: { after: 'upstream' },
  realtime: 'realtime',
}

/** The cadence in words, with the next runs of a cron pattern; or what is wrong with it. */
export function cadenceInWords(cadence: Cadence, now = new Date()): { text: string; error?: string } {
  const parsed = cadenceSchema.safeParse(cadence)
  if (!parsed.success) return { text: '', error: parsed.error.issues[0]?.message ?? 'invalid cadence' }
  if (cadence === 'once') return { text: 'Runs once, then completes.' }
  if (cadence === 'realtime') return { text: 'Receives data as it is sent.' }
  if ('after' in cadence) return { text: 'Runs after each successful run of the nodes feeding it.' }
  if ('every' in cadence) return { text: `Runs every ${formatDuration(parseDuration(cadence.every)!)}.` }
  const problem = cronProblem(cadence.cron, cadence.timezone)
  if (problem) return { text: '', error: problem }
  const runs = new Cron(cadence.cron, {
    paused: true,
    ...(cadence.timezone ? { timezone: cadence.timezone } : {}),
  })
  const next = runs.nextRuns(3, now)
  runs.stop()
  const zone = cadence.timezone ?? 'UTC'
  const format = new Intl.DateTimeFormat(undefined, {
    dateStyle: 'medium',
    timeStyle: 'short',
    timeZone: zone,
  })
  return { text: `Next runs (${zone}): ${next.map((at) => format.format(at)).join('; ')}.` }
}

/** Interval, cron with time zone, once, after upstream or realtime; the next runs shown in words. */
export function CadenceEditor({
  cadence,
  onChange,
  allowRealtime,
}: {
  cadence: Cadence | undefined
  onChange: (cadence: Cadence) => void
  allowRealtime: boolean
}) {
  const id = useId()
  const mode = modeOf(cadence)
  const current = cadence ?? START.every
  const words = cadenceInWords(current)
  const modes: [Mode, string][] = [
    ['every', 'Every…'],
    ['cron', 'Cron schedule'],
    ['once', 'Once'],
    ['after', 'After upstream'],
    ...(allowRealtime ? ([['realtime', 'Realtime']] as [Mode, string][]) : []),
  ]
  return (
    <fieldset className="cadence-editor">
      <legend>Schedule</legend>
      <label htmlFor={`${id}-mode`} className="field-label">
        Runs
      </label>
      <select
        id={`${id}-mode`}
        className="input"
        value={mode}
        onChange={(event) => onChange(START[event.target.value as Mode])}
      >
        {modes.map(([value, label]) => (
          <option key={value} value={value}>
            {label}
          </option>
        ))}
      </select>
      {typeof current === 'object' && 'every' in current && (
        <>
          <label htmlFor={`${id}-every`} className="field-label">
            Interval
          </label>
          <input
            id={`${id}-every`}
            className="input"
            value={current.every}
            placeholder="15m"
            onChange={(event) => onChange({ every: event.target.value })}
          />
        </>
      )}
      {typeof current === 'object' && 'cron' in current && (
        <>
          <label htmlFor={`${id}-cron`} className="field-label">
            Cron pattern
          </label>
          <input
            id={`${id}-cron`}
            className="input"
            value={current.cron}
            placeholder="0 * * * *"
            onChange={(event) => onChange({ ...current, cron: event.target.value })}
          />
          <label htmlFor={`${id}-zone`} className="field-label">
            Time zone
          </label>
          <input
            id={`${id}-zone`}
            className="input"
            value={current.timezone ?? ''}
            placeholder="UTC"
            onChange={(event) => {
              const { timezone: _old, ...rest } = current
              onChange(event.target.value ? { ...rest, timezone: event.target.value } : rest)
            }}
          />
        </>
      )}
      {words.error ? (
        <p className="field-error" role="alert">
          {words.error}
        </p>
      ) : (
        <p className="field-hint">{words.text}</p>
      )}
    </fieldset>
  )
}
