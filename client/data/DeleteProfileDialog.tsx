import { useNavigate } from 'react-router'
import { ConfirmDialog } from '../components/ConfirmDialog.tsx'
import { toast } from '../components/toast-store.ts'
import { useDeleteProfile } from '../queries/profiles.ts'
import type { Profile } from './types.ts'

/** Confirms a privacy deletion, then leaves the page of the profile that no longer exists. */
export function DeleteProfileDialog({
  profile,
  label,
  onClose,
}: {
  profile: Profile
  label: string
  onClose: () => void
}) {
  const remove = useDeleteProfile()
  const navigate = useNavigate()
  const confirm = () =>
    remove.mutate(profile.id, {
      onSuccess: () => {
        toast.success(`Deleted the profile of ${label}; its identities are suppressed.`)
        navigate('/data/profiles', { replace: true })
      },
    })

  return (
    <ConfirmDialog
      title="Delete this person's data?"
      confirmLabel="Delete profile and messages"
      pending={remove.isPending}
      error={remove.error}
      onConfirm={confirm}
      onClose={onClose}
    >
      A privacy deletion removes the profile of <strong>{label}</strong> and every raw message that built it,
      in all streams. Its identities are suppressed: data that arrives later with them is dropped, not stored.
      This cannot be undone.
    </ConfirmDialog>
  )
}
