import { Dialog } from '../components/Dialog.tsx'
import { toast } from '../components/toast-store.ts'
import { errorMessage } from '../lib/api.ts'
import { useDeletePipeline } from '../queries/pipelines.ts'
import type { PipelineSummary } from '../types.ts'

export function DeletePipelineDialog({
  pipeline,
  onClose,
}: {
  pipeline: PipelineSummary
  onClose: () => void
}) {
  const remove = useDeletePipeline()
  const confirm = () =>
    remove.mutate(pipeline.id, {
      onSuccess: () => {
        toast.success(`Deleted “${pipeline.name}”.`)
        onClose()
      },
    })

  return (
    <Dialog title="Delete pipeline?" onClose={onClose}>
      <p className="dialog-text">
        <strong>{pipeline.name}</strong> will be deleted.
        {pipeline.deployedVersion !== null &&
          ' Its deployed jobs stop and are marked removed; their logs are kept until they are purged.'}{' '}
        This cannot be undone.
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
          Delete pipeline
        </button>
      </div>
    </Dialog>
  )
}
