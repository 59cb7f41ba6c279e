import { ConfirmDialog } from '../components/ConfirmDialog.tsx'
import { toast } from '../components/toast-store.ts'
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
    <ConfirmDialog
      title="Delete data key?"
      confirmLabel="Delete key"
      pending={remove.isPending}
      error={remove.error}
      onConfirm={confirm}
      onClose={onClose}
    >
      Senders that use <strong>{dataKey.name}</strong> (<code>{dataKey.prefix}…</code>) are refused from then
      on. Data already collected stays. This cannot be undone.
    </ConfirmDialog>
  )
}
