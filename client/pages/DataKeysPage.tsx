import { useState } from 'react'
import { EmptyState } from '../components/EmptyState.tsx'
import { KeyIcon, PlusIcon } from '../components/icons.tsx'
import { PageHeader } from '../components/PageHeader.tsx'
import { LoadError, Loading } from '../components/QueryStates.tsx'
import { DataKeyTable } from '../data/DataKeyTable.tsx'
import { DeleteDataKeyDialog } from '../data/DeleteDataKeyDialog.tsx'
import { NewDataKeyDialog } from '../data/NewDataKeyDialog.tsx'
import { SendDataSnippet } from '../data/SendDataSnippet.tsx'
import { useHasRole } from '../queries/auth.ts'
import { useDataKeys } from '../queries/data-keys.ts'

type OpenDialog = { kind: 'new' } | { kind: 'delete'; id: string } | null

const SUBTITLE = 'Keys that let your website, apps and scripts send data to Sluice.'

/** Data keys for the collect API. Admins only: a key lets anyone holding it write data. */
export function DataKeysPage() {
  const admin = useHasRole('admin')
  const keys = useDataKeys(admin)
  const [dialog, setDialog] = useState<OpenDialog>(null)
  const close = () => setDialog(null)
  const target = dialog?.kind === 'delete' ? keys.data?.find((key) => key.id === dialog.id) : undefined

  if (!admin) {
    return (
      <>
        <PageHeader title="Data keys" subtitle={SUBTITLE} />
        <EmptyState icon={<KeyIcon size={28} />} title="Only admins manage data keys">
          <p>Ask an admin of this Sluice for a data key to send data with.</p>
        </EmptyState>
      </>
    )
  }

  return (
    <>
      <PageHeader
        title="Data keys"
        subtitle={SUBTITLE}
        actions={
          <button type="button" className="button button-primary" onClick={() => setDialog({ kind: 'new' })}>
            <PlusIcon />
            New data key
          </button>
        }
      />
      {keys.isPending ? (
        <Loading label="Loading data keys…" />
      ) : keys.isError ? (
        <LoadError error={keys.error} onRetry={() => void keys.refetch()} />
      ) : keys.data.length === 0 ? (
        <EmptyState
          icon={<KeyIcon size={28} />}
          title="No data keys yet"
          actions={
            <button
              type="button"
              className="button button-primary"
              onClick={() => setDialog({ kind: 'new' })}
            >
              Create a data key
            </button>
          }
        >
          <p>No data keys yet — create one, then send events or files with it. Its value is shown once.</p>
        </EmptyState>
      ) : (
        <DataKeyTable keys={keys.data} onDelete={(key) => setDialog({ kind: 'delete', id: key.id })} />
      )}
      <div className="card detail-card how-to">
        <SendDataSnippet />
      </div>

      {dialog?.kind === 'new' && <NewDataKeyDialog onClose={close} />}
      {dialog?.kind === 'delete' && target && <DeleteDataKeyDialog dataKey={target} onClose={close} />}
    </>
  )
}
