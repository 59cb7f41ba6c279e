import { useQuery } from '@tanstack/react-query'
import { Dialog } from '../components/Dialog.tsx'
import { LoadError, Loading } from '../components/QueryStates.tsx'
import { formatDateTime } from '../format.ts'
import { api } from '../lib/api.ts'

interface DeployedVersion {
  version: number
  deployedBy: string
  deployedByName: string | null
  deployedAt: string
  document: { nodes: unknown[]; edges: unknown[] }
}

/** The deployed versions, newest first; any can be restored as the draft (then deployed again). */
export function HistoryDialog({
  pipelineId,
  deployedVersion,
  restoring,
  onRestore,
  onClose,
}: {
  pipelineId: string
  deployedVersion: number | null
  restoring: boolean
  onRestore: (version: number) => void
  onClose: () => void
}) {
  const versions = useQuery({
    queryKey: ['pipelines', 'versions', pipelineId],
    queryFn: ({ signal }) =>
      api.get<DeployedVersion[]>(
        `/api/pipelines/${encodeURIComponent(pipelineId)}/versions`,
        undefined,
        signal,
      ),
  })
  return (
    <Dialog title="Version history" onClose={onClose} size="large">
      {versions.isPending && <Loading label="Loading versions…" />}
      {versions.isError && <LoadError error={versions.error} onRetry={() => void versions.refetch()} />}
      {versions.data &&
        (versions.data.length === 0 ? (
          <p className="dialog-text">Nothing deployed yet: each deploy adds a version here.</p>
        ) : (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Version</th>
                <th scope="col">Deployed</th>
                <th scope="col">Nodes</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {versions.data.map((entry) => (
                <tr key={entry.version}>
                  <td>
                    v{entry.version}
                    {entry.version === deployedVersion && <span className="badge badge-success">live</span>}
                  </td>
                  <td>
                    {formatDateTime(entry.deployedAt)} by {entry.deployedByName ?? entry.deployedBy}
                  </td>
                  <td>{entry.document.nodes.length}</td>
                  <td>
                    <button
                      type="button"
                      className="button button-small"
                      disabled={restoring}
                      onClick={() => onRestore(entry.version)}
                      aria-label={`Restore version ${entry.version} as the draft`}
                    >
                      Restore
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ))}
      <div className="dialog-actions">
        <button type="button" className="button" onClick={onClose}>
          Close
        </button>
      </div>
    </Dialog>
  )
}
