import { useQuery } from '@tanstack/react-query'
import { useState } from 'react'
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts'
import { LoadError, Loading } from '../../components/QueryStates.tsx'
import { formatNumber } from '../../format.ts'
import { api } from '../../lib/api.ts'
import { useNodeStatus } from '../../queries/pipelines.ts'

interface MetricBucket {
  t: string
  added: number
  removed: number
  omitted: number
}

const FRAMES = {
  '24h': { label: 'Last 24 hours', ms: 86_400_000, bucket: 'hour' },
  '7d': { label: 'Last 7 days', ms: 7 * 86_400_000, bucket: 'day' },
  '30d': { label: 'Last 30 days', ms: 30 * 86_400_000, bucket: 'day' },
} as const
type Frame = keyof typeof FRAMES

const hour = new Intl.DateTimeFormat(undefined, { hour: 'numeric' })
const day = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' })

/** The Activity tab: a deployed job's profiles added, removed and omitted over a chosen time frame. */
export function ActivityTab({ nodeId, pipelineId }: { nodeId: string; pipelineId: string | null }) {
  const status = useNodeStatus(pipelineId, nodeId)
  const [frame, setFrame] = useState<Frame>('24h')
  const { ms, bucket } = FRAMES[frame]
  const metrics = useQuery({
    queryKey: ['jobs', status?.jobId, 'metrics', frame],
    enabled: Boolean(status?.jobId),
    queryFn: ({ signal }) =>
      api.get<MetricBucket[]>(
        `/api/jobs/${encodeURIComponent(status!.jobId)}/metrics`,
        { from: new Date(Date.now() - ms).toISOString(), bucket },
        signal,
      ),
    refetchInterval: 30_000,
  })
  if (!status)
    return <p className="field-hint">This node has no job yet: deploy the pipeline to see its activity.</p>
  const format = bucket === 'hour' ? hour : day
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
      {metrics.isPending && <Loading label="Loading activity…" />}
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
