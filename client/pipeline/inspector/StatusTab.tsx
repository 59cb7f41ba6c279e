import { useState } from 'react'
import { StatusBadge } from '../../components/StatusBadge.tsx'
import { formatDateTime } from '../../format.ts'
import { JobActions } from '../../jobs/JobActions.tsx'
import { JobRuns } from '../../jobs/JobRuns.tsx'
import { useJobLogs } from '../../queries/job-logs.ts'
import { useNodeStatus } from '../../queries/pipelines.ts'

const SLEEP_REASONS = {
  schedule: 'its next scheduled run',
  retry: 'a retry after an error',
  rate_limit: "the provider's rate limit to reset",
} as const

/**
 * The deployed job behind a node: its status, what it waits for, Pause / Resume / Run now, and
 * its log as it happens (lines arrive over the pipeline's event stream), filterable by event.
 */
export function StatusTab({
  nodeId,
  pipelineId,
  readOnly,
}: {
  nodeId: string
  pipelineId: string | null
  readOnly: boolean
}) {
  const status = useNodeStatus(pipelineId, nodeId)
  const logs = useJobLogs(status?.jobId)
  const [event, setEvent] = useState('')
  if (!status) return <p className="field-hint">This node has no job yet: deploy the pipeline to run it.</p>

  const events = [...new Set((logs.data ?? []).map((line) => line.event))].sort()
  const shown = (logs.data ?? []).filter((line) => !event || line.event === event)
  // The latest error line carries the connector's message and what to check (DESIGN.md §4).
  const lastError = ['Error', 'Failed'].includes(status.lastEvent?.event ?? '')
    ? [...(logs.data ?? [])].reverse().find((line) => line.event === 'Error' || line.event === 'Failed')
    : undefined

  return (
    <div className="status-tab">
      <dl className="facts">
        <dt>Status</dt>
        <dd>
          <StatusBadge status={status.status} />
        </dd>
        <dt>Job ID</dt>
        <dd>
          <code>{status.jobId}</code>
        </dd>
        {status.status === 'sleeping' && status.sleepReason && (
          <>
            <dt>Waiting for</dt>
            <dd>{SLEEP_REASONS[status.sleepReason]}</dd>
          </>
        )}
        {status.nextRunAt && (
          <>
            <dt>Next run</dt>
            <dd>{formatDateTime(status.nextRunAt)}</dd>
          </>
        )}
      </dl>
      {lastError && (
        <div className="job-error" role="alert">
          <strong>Last error</strong> ({formatDateTime(lastError.at)})<p>{lastError.message}</p>
        </div>
      )}
      {!readOnly && <JobActions jobId={status.jobId} status={status.status} pipelineId={pipelineId} />}
      <section aria-label="Runs">
        <h3>Runs</h3>
        <JobRuns jobId={status.jobId} empty="No runs yet." />
      </section>
      <section className="job-log" aria-label="Log">
        <div className="section-head">
          <h3>Log</h3>
          <select
            aria-label="Filter log by event"
            className="input input-small"
            value={event}
            onChange={(change) => setEvent(change.target.value)}
          >
            <option value="">All events</option>
            {events.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </div>
        <ol className="log-lines" aria-live="polite">
          {shown.map((line) => (
            <li key={line.id}>
              <time dateTime={line.at}>{formatDateTime(line.at)}</time>
              <span className="log-event">{line.event}</span>
              <span className="log-message">{line.message}</span>
            </li>
          ))}
          {logs.isSuccess && shown.length === 0 && <li className="log-empty">No log lines yet.</li>}
        </ol>
      </section>
    </div>
  )
}
