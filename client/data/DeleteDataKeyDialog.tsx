import { Dialog } from '../components/Dialog.tsx'
import { toast } from '../components/toast-store.ts'
import { errorMessage } from '../lib/api.ts'
import { useDeleteDataKey } from '../queries/data-keys.ts'
import type { DataKey } from './types.ts'

export function DeleteDataKeyDialog({ dataKey, onClose }: { dataKey: DataKey; onClose: () => void }) {
  const remove = useDeleteDataKey()
  const confirm = () =>
    remove.mutate(dataKey.id, {
      onSuccess: () => {
        toast.success(`Deleted the data key “${dataKey.name}”.`)
        onClose()
      },
    })

  return (
    <Dialog title="Delete data key?" onClose={onClose}>
      <p className="dialog-text">
        Senders that use <strong>{dataKey.name}</strong> (<code>{dataKey.prefix}…</code>) are refused from
        then on. Data already collected stays. This cannot be undone.
      </p>
      {remove.error && (
        <p className="form-error" role="alert">
          {errorMessage(remove.error)}
        </p>
      )}
      <div className="dialog-actions">
        <button type="button" className="button" onClick={onClose}>
          Cancel
        </button>
        <button type="button" className="button button-danger" onClick={confirm} disabled={remove.isPending}>
          Delete key
        </button>
      </div>
    </Dialog>
  )
}
