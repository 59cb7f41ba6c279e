import { ConfirmDialog } from '../components/ConfirmDialog.tsx'
import { toast } from '../components/toast-store.ts'
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
    <ConfirmDialog
      title="Delete pipeline?"
      confirmLabel="Delete pipeline"
      pending={remove.isPending}
      error={remove.error}
      onConfirm={confirm}
      onClose={onClose}
    >
      <strong>{pipeline.name}</strong> will be deleted.
      {pipeline.deployedVersion !== null &&
        ' Its deployed jobs stop and are marked removed; their logs are kept until they are purged.'}{' '}
      This cannot be undone.
    </ConfirmDialog>
  )
}
