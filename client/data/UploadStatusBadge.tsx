import type { UploadStatus } from './types.ts'

const LOOKS: Record<UploadStatus, { label: string; className: string }> = {
  receiving: { label: 'Receiving', className: 'status-running' },
  published: { label: 'Published', className: 'status-running' },
  unified: { label: 'Unified', className: 'status-completed' },
  rejected: { label: 'Rejected', className: 'status-failed' },
  failed: { label: 'Failed', className: 'status-failed' },
}

export const uploadStatusLabel = (status: UploadStatus) => LOOKS[status]?.label ?? status

export function UploadStatusBadge({ status }: { status: UploadStatus }) {
  const look = LOOKS[status] ?? { label: status, className: '' }
  return (
    <span className={`badge ${look.className}`}>
      <span className="badge-dot" aria-hidden="true" />
      {look.label}
    </span>
  )
}
