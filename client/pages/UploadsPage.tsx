import { useId, useState } from 'react'
import { Link, useSearchParams } from 'react-router'
import { EmptyState } from '../components/EmptyState.tsx'
import { SearchIcon, UploadIcon } from '../components/icons.tsx'
import { LoadMore } from '../components/LoadMore.tsx'
import { PageHeader } from '../components/PageHeader.tsx'
import { LoadError, Loading } from '../components/QueryStates.tsx'
import { SearchField } from '../components/SearchField.tsx'
import { SendDataSnippet } from '../data/SendDataSnippet.tsx'
import { UPLOAD_STATUSES, type UploadStatus } from '../data/types.ts'
import { uploadStatusLabel } from '../data/UploadStatusBadge.tsx'
import { UploadTable } from '../data/UploadTable.tsx'
import { useDebouncedValue } from '../hooks/useDebouncedValue.ts'
import { useHasRole } from '../queries/auth.ts'
import { useUploads } from '../queries/uploads.ts'

/** Bulk uploads and how far each got; the list polls while any is still moving. */
export function UploadsPage() {
  const [params, setParams] = useSearchParams()
  // The stream filter comes from a stream's page ("Uploads to this stream").
  const stream = params.get('stream') ?? ''
  const [search, setSearch] = useState('')
  const [status, setStatus] = useState<UploadStatus | ''>('')
  const q = useDebouncedValue(search.trim())
  const uploads = useUploads({ stream, status, q })
  const statusId = useId()
  const canEdit = useHasRole('editor')
  const filtered = q !== '' || status !== '' || stream !== ''

  return (
    <>
      <PageHeader
        title="Uploads"
        subtitle="Files sent to the bulk collect API: rows read, stored, rejected and unified into profiles."
        actions={
          canEdit && (
            <Link className="button button-primary" to="/data/uploads/new">
              Upload a file
            </Link>
          )
        }
      />
      <div className="toolbar">
        <SearchField label="Search by file name" value={search} onChange={setSearch} />
        <div className="select-field">
          <label htmlFor={statusId}>Status</label>
          <select
            id={statusId}
            className="input"
            value={status}
            onChange={(event) => setStatus(event.target.value as UploadStatus | '')}
          >
            <option value="">All statuses</option>
            {UPLOAD_STATUSES.map((value) => (
              <option key={value} value={value}>
                {uploadStatusLabel(value)}
              </option>
            ))}
          </select>
        </div>
        {stream && (
          <span className="filter-chip">
            Stream: <strong>{stream}</strong>
            <button
              type="button"
              className="filter-chip-clear"
              aria-label={`Show uploads to every stream, not only ${stream}`}
              onClick={() => setParams({}, { replace: true })}
            >
              ×
            </button>
          </span>
        )}
      </div>

      {uploads.isPending ? (
        <Loading label="Loading uploads…" />
      ) : uploads.isError ? (
        <LoadError error={uploads.error} onRetry={() => void uploads.refetch()} />
      ) : uploads.items.length === 0 ? (
        filtered ? (
          <EmptyState icon={<SearchIcon />} title="No uploads match">
            <p>Try another file name, status or stream.</p>
          </EmptyState>
        ) : (
          <EmptyState icon={<UploadIcon size={28} />} title="No uploads yet">
            <p>
              No uploads yet — send a CSV, JSON or NDJSON file to the bulk collect API with a data key. Each
              file shows here with its progress.
            </p>
            <SendDataSnippet kind="file" stream="crm" />
          </EmptyState>
        )
      ) : (
        <>
          <UploadTable uploads={uploads.items} />
          <LoadMore list={uploads} />
        </>
      )}
    </>
  )
}
