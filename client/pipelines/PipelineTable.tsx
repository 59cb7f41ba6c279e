import { Link } from 'react-router'
import { formatDateTime, formatRelative } from '../format.ts'
import type { PipelineSummary } from '../types.ts'

interface PipelineTableProps {
  pipelines: PipelineSummary[]
  onRename: (pipeline: PipelineSummary) => void
  onDelete: (pipeline: PipelineSummary) => void
}

export function PipelineTable({ pipelines, onRename, onDelete }: PipelineTableProps) {
  return (
    <div className="table-wrap">
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Deployment</th>
            <th scope="col">Version</th>
            <th scope="col">Updated</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
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
              <td className="muted">v{pipeline.version}</td>
              <td className="muted">
                <time dateTime={pipeline.updatedAt} title={formatDateTime(pipeline.updatedAt)}>
                  {formatRelative(pipeline.updatedAt)}
                </time>
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
                  className="button button-small button-ghost button-ghost-danger"
                  onClick={() => onDelete(pipeline)}
                >
                  Delete
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
