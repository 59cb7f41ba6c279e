import { useNavigate } from 'react-router'
import { Dialog } from '../components/Dialog.tsx'
import { toast } from '../components/toast-store.ts'
import { errorMessage } from '../lib/api.ts'
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
    <Dialog title="Delete this person's data?" onClose={onClose}>
      <p className="dialog-text">
        A privacy deletion removes the profile of <strong>{label}</strong> and every raw message that built
        it, in all streams. Its identities are suppressed: data that arrives later with them is dropped, not
        stored. This cannot be undone.
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
          Delete profile and messages
        </button>
      </div>
    </Dialog>
  )
}
