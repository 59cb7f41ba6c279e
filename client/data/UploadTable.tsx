import { Fragment } from 'react'
import { Link } from 'react-router'
import { DataTable } from '../components/DataTable.tsx'
import { ProgressBar } from '../components/ProgressBar.tsx'
import { RelativeTime } from '../components/RelativeTime.tsx'
import { formatNumber } from '../format.ts'
import { streamPath } from './StreamTable.tsx'
import type { Upload } from './types.ts'
import { UploadStatusBadge } from './UploadStatusBadge.tsx'

const SHOWN_ERRORS = 3

function UploadErrors({ upload }: { upload: Upload }) {
  const more = upload.errors.length - SHOWN_ERRORS
  return (
    <div className="upload-errors">
      {upload.error && <p className="upload-error">{upload.error}</p>}
      {upload.errors.length > 0 && (
        <ul className="problem-list compact">
          {upload.errors.slice(0, SHOWN_ERRORS).map((error) => (
            <li key={`${error.row}:${error.reason}`}>
              Row {formatNumber(error.row)}: {error.reason}
            </li>
          ))}
          {more > 0 && <li className="muted">…and {formatNumber(more)} more</li>}
        </ul>
      )}
    </div>
  )
}

const COLUMNS = 8

export function UploadTable({ uploads }: { uploads: Upload[] }) {
  return (
    <DataTable
      columns={[
        'Upload',
        'Status',
        { label: 'Read', numeric: true },
        { label: 'Stored', numeric: true },
        { label: 'Rejected', numeric: true },
        { label: 'Unified', numeric: true },
        'Progress',
        'Received',
      ]}
      className="upload-table"
    >
      {uploads.map((upload) => {
        const problems = upload.error !== null || upload.errors.length > 0
        return (
          <Fragment key={upload.id}>
            <tr className={problems ? 'has-detail' : undefined}>
              <td>
                <div className="row-title">{upload.filename ?? `${upload.format.toUpperCase()} upload`}</div>
                <div className="row-subtitle">
                  to <Link to={streamPath(upload.stream)}>{upload.stream}</Link> · <code>{upload.id}</code>
                </div>
              </td>
              <td>
                <UploadStatusBadge status={upload.status} />
              </td>
              <td className="numeric">{formatNumber(upload.rowsRead)}</td>
              <td className="numeric">{formatNumber(upload.stored)}</td>
              <td className={`numeric${upload.rejected > 0 ? ' is-bad' : ''}`}>
                {formatNumber(upload.rejected)}
              </td>
              <td className="numeric">{formatNumber(upload.unified)}</td>
              <td>
                <ProgressBar
                  done={upload.unified}
                  total={upload.stored}
                  label={`${upload.unified} of ${upload.stored} stored rows unified`}
                />
              </td>
              <td className="muted">
                <RelativeTime iso={upload.createdAt} />
              </td>
            </tr>
            {problems && (
              <tr className="detail-row">
                <td colSpan={COLUMNS}>
                  <UploadErrors upload={upload} />
                </td>
              </tr>
            )}
          </Fragment>
        )
      })}
    </DataTable>
  )
}
