import type { JobStatus } from '../types.ts'

const LABELS: Record<JobStatus, string> = {
  running: 'Running',
  sleeping: 'Sleeping',
  failed: 'Failed',
  paused: 'Paused',
  completed: 'Completed',
  removed: 'Removed',
}

/** A job's status as colour and word; no status means the node has no job yet. */
export function StatusBadge({ status }: { status: JobStatus | undefined }) {
  if (!status) return <span className="badge badge-none">Not deployed</span>
  return (
    <span className={`badge status-${status}`}>
      <span className="badge-dot" aria-hidden="true" />
      {LABELS[status] ?? status}
    </span>
  )
}
