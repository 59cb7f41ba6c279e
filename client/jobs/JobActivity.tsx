import { useQuery } from '@tanstack/react-query'
import { useId, useState } from 'react'
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts'
import { LoadError, Loading } from '../components/QueryStates.tsx'
import { formatNumber } from '../format.ts'
import { api } from '../lib/api.ts'

interface MetricBucket {
  t: string
  added: number
  removed: number
  omitted: number
}

const DAY = 86_400_000
const FRAMES = {
  '24h': { label: 'Last 24 hours', ms: DAY },
  '7d': { label: 'Last 7 days', ms: 7 * DAY },
  '30d': { label: 'Last 30 days', ms: 30 * DAY },
  custom: { label: 'Custom range', ms: 0 },
} as const
type Frame = keyof typeof FRAMES

const hour = new Intl.DateTimeFormat(undefined, { hour: 'numeric' })
const day = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' })
/** `yyyy-mm-dd` of a local date, as a date input holds it. */
const dateInput = (time: number) =>
  new Date(time - new Date(time).getTimezoneOffset() * 60_000).toISOString().slice(0, 10)

/** The window to ask for: a preset ending now, or whole local days from `from` to `to`. */
function rangeOf(frame: Frame, custom: { from: string; to: string }) {
  if (frame !== 'custom') {
    const ms = FRAMES[frame].ms
    return { from: new Date(Date.now() - ms).toISOString(), to: undefined, bucket: ms > DAY ? 'day' : 'hour' }
  }
  const from = new Date(`${custom.from}T00:00`)
  const to = new Date(new Date(`${custom.to}T00:00`).getTime() + DAY)
  return {
    from: from.toISOString(),
    to: to.toISOString(),
    bucket: to.getTime() - from.getTime() > 2 * DAY ? 'day' : 'hour',
  }
}

/** A job's profiles added, removed and omitted over a chosen time frame, as stacked bars. */
export function JobActivity({ jobId }: { jobId: string }) {
  const [frame, setFrame] = useState<Frame>('24h')
  const [custom, setCustom] = useState(() => ({
    from: dateInput(Date.now() - 7 * DAY),
    to: dateInput(Date.now()),
  }))
  const fromId = useId()
  const toId = useId()
  const invalid = frame === 'custom' && (!custom.from || !custom.to || custom.from > custom.to)
  const range = invalid ? null : rangeOf(frame, custom)
  const metrics = useQuery({
    queryKey: ['jobs', jobId, 'metrics', frame, frame === 'custom' ? custom : null],
    enabled: range !== null,
    queryFn: ({ signal }) =>
      api.get<MetricBucket[]>(`/api/jobs/${encodeURIComponent(jobId)}/metrics`, range!, signal),
    refetchInterval: 30_000,
  })
  const format = range?.bucket === 'hour' ? hour : day
  const data = (metrics.data ?? []).map((entry) => ({ ...entry, label: format.format(new Date(entry.t)) }))
  const totals = data.reduce(
    (sum, entry) => ({
      added: sum.added + entry.added,
      removed: sum.removed + entry.removed,
      omitted: sum.omitted + entry.omitted,
    }),
    { added: 0, removed: 0, omitted: 0 },
  )
  return (
    <div className="activity-tab">
      <div className="toolbar toolbar-compact">
        <select
          aria-label="Time frame"
          className="input input-small"
          value={frame}
          onChange={(event) => setFrame(event.target.value as Frame)}
        >
          {Object.entries(FRAMES).map(([key, entry]) => (
            <option key={key} value={key}>
              {entry.label}
            </option>
          ))}
        </select>
        {frame === 'custom' && (
          <>
            <label htmlFor={fromId}>From</label>
            <input
              id={fromId}
              type="date"
              className="input input-small"
              value={custom.from}
              onChange={(event) => setCustom({ ...custom, from: event.target.value })}
            />
            <label htmlFor={toId}>To</label>
            <input
              id={toId}
              type="date"
              className="input input-small"
              value={custom.to}
              onChange={(event) => setCustom({ ...custom, to: event.target.value })}
            />
          </>
        )}
      </div>
      {invalid && <p className="field-error">Choose a start date on or before the end date.</p>}
      {range && metrics.isPending && <Loading label="Loading activity…" />}
      {metrics.isError && <LoadError error={metrics.error} onRetry={() => void metrics.refetch()} />}
      {metrics.data && (
        <>
          <p className="activity-totals" data-testid="activity-totals">
            {formatNumber(totals.added)} added · {formatNumber(totals.removed)} removed ·{' '}
            {formatNumber(totals.omitted)} omitted
          </p>
          <figure className="activity-chart" aria-label="Profiles added, removed and omitted over time">
            <ResponsiveContainer width="100%" height={220}>
              <BarChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
                <CartesianGrid strokeDasharray="3 3" stroke="#e3e7ee" />
                <XAxis dataKey="label" fontSize={11} />
                <YAxis allowDecimals={false} fontSize={11} />
                <Tooltip />
                <Legend />
                <Bar dataKey="added" stackId="a" fill="#0f7a4a" name="Added" isAnimationActive={false} />
                <Bar dataKey="removed" stackId="a" fill="#c62828" name="Removed" isAnimationActive={false} />
                <Bar dataKey="omitted" stackId="a" fill="#a15c00" name="Omitted" isAnimationActive={false} />
              </BarChart>
            </ResponsiveContainer>
          </figure>
        </>
      )}
    </div>
  )
}
