import { formatDateTime, formatNumber } from '../format.ts'
import { useJobRuns } from '../queries/job-logs.ts'

/** A job's latest runs, newest first; a failed run's error shows on hover and under the row. */
export function JobRuns({ jobId, empty }: { jobId: string; empty?: string }) {
  const runs = useJobRuns(jobId)
  if (!runs.data) return null
  if (runs.data.length === 0) return empty ? <p className="field-hint">{empty}</p> : null
  return (
    <table className="table table-compact">
      <thead>
        <tr>
          <th scope="col">Started</th>
          <th scope="col">Outcome</th>
          <th scope="col">Added</th>
          <th scope="col">Removed</th>
          <th scope="col">Omitted</th>
        </tr>
      </thead>
      <tbody>
        {runs.data.map((run) => (
          <tr key={run.id} title={run.error ?? undefined}>
            <td>{run.startedAt ? formatDateTime(run.startedAt) : 'waiting'}</td>
            <td>{run.outcome ?? 'running'}</td>
            <td>{formatNumber(run.added)}</td>
            <td>{formatNumber(run.removed)}</td>
            <td>{formatNumber(run.omitted)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}
