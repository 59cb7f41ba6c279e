import { Link } from 'react-router'
import { DataTable } from '../components/DataTable.tsx'
import { RelativeTime } from '../components/RelativeTime.tsx'
import type { JobStatus, PipelineSummary } from '../types.ts'

interface PipelineTableProps {
  pipelines: PipelineSummary[]
  onRename: (pipeline: PipelineSummary) => void
  onDuplicate: (pipeline: PipelineSummary) => void
  onDelete: (pipeline: PipelineSummary) => void
}

/** Worst first: what needs a look leads the summary. */
const ORDER: JobStatus[] = ['failed', 'running', 'paused', 'sleeping', 'completed']

/** `1 failed · 2 sleeping`: a pipeline's jobs by status. */
function JobSummary({ statuses }: { statuses: PipelineSummary['jobStatuses'] }) {
  const parts = ORDER.flatMap((status) => {
    const count = statuses?.[status] ?? 0
    return count ? [{ status, count }] : []
  })
  if (parts.length === 0) return <span className="muted">No jobs</span>
  return (
    <span className="job-summary">
      {parts.map(({ status, count }) => (
        <span key={status} className={`badge status-${status}`}>
          {count} {status}
        </span>
      ))}
    </span>
  )
}

export function PipelineTable({ pipelines, onRename, onDuplicate, onDelete }: PipelineTableProps) {
  return (
    <DataTable columns={['Name', 'Deployment', 'Jobs', 'Version', 'Updated', '']}>
      {pipelines.map((pipeline) => (
        <tr key={pipeline.id}>
          <td>
            <Link className="row-title" to={`/pipelines/${encodeURIComponent(pipeline.id)}`}>
              {pipeline.name}
            </Link>
            {pipeline.description && <div className="row-subtitle">{pipeline.description}</div>}
          </td>
          <td>
            {pipeline.deployedVersion === null ? (
              <span className="badge badge-none">Draft</span>
            ) : (
              <span className="badge badge-success">Deployed v{pipeline.deployedVersion}</span>
            )}
          </td>
          <td>
            <JobSummary statuses={pipeline.jobStatuses} />
          </td>
          <td className="muted">v{pipeline.version}</td>
          <td className="muted">
            <RelativeTime iso={pipeline.updatedAt} />
          </td>
          <td className="row-actions">
            <button
              type="button"
              className="button button-small button-ghost"
              onClick={() => onRename(pipeline)}
            >
              Rename
            </button>
            <button
              type="button"
              className="button button-small button-ghost"
              onClick={() => onDuplicate(pipeline)}
            >
              Duplicate
            </button>
            <button
              type="button"
              className="button button-small button-ghost button-ghost-danger"
              onClick={() => onDelete(pipeline)}
            >
              Delete
            </button>
          </td>
        </tr>
      ))}
    </DataTable>
  )
}
