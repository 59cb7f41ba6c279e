import { Link } from 'react-router'
import { Dialog } from '../components/Dialog.tsx'
import { toast } from '../components/toast-store.ts'
import { errorMessage, isApiError } from '../lib/api.ts'
import {
  type AuthorizationSummary,
  type JobUsingAuthorization,
  useDeleteAuthorization,
} from '../queries/authorizations.ts'

/** Deletes an authorization after asking; a refusal (jobs still use it) lists those jobs. */
export function DeleteAuthorizationDialog({
  authorization,
  onClose,
}: {
  authorization: AuthorizationSummary
  onClose: () => void
}) {
  const remove = useDeleteAuthorization(authorization.id)
  const inUse = isApiError(remove.error, 409)
    ? ((remove.error.details as { jobs?: JobUsingAuthorization[] } | undefined)?.jobs ?? [])
    : null
  return (
    <Dialog title={`Delete ${authorization.name}?`} onClose={onClose}>
      <p className="dialog-text">
        Its credentials are erased. Jobs wired to an authorization keep it from being deleted.
      </p>
      {remove.error ? (
        <div className="form-error" role="alert">
          <p>{errorMessage(remove.error)}</p>
          {inUse && inUse.length > 0 && (
            <ul className="job-links">
              {inUse.map((job) => (
                <li key={job.id}>
                  <Link to={`/jobs/${encodeURIComponent(job.id)}`}>{job.name}</Link>
                </li>
              ))}
            </ul>
          )}
        </div>
      ) : null}
      <div className="dialog-actions">
        <button type="button" className="button" onClick={onClose}>
          Cancel
        </button>
        <button
          type="button"
          className="button button-danger"
          disabled={remove.isPending || Boolean(inUse)}
          onClick={() =>
            remove.mutate(undefined, {
              onSuccess: () => {
                toast.success(`${authorization.name} deleted.`)
                onClose()
              },
            })
          }
        >
          Delete
        </button>
      </div>
    </Dialog>
  )
}
