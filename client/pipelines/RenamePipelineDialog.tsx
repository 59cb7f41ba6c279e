import { type FormEvent, useState } from 'react'
import { Dialog } from '../components/Dialog.tsx'
import { Field } from '../components/Field.tsx'
import { toast } from '../components/toast-store.ts'
import { updateErrorMessage, useUpdatePipeline } from '../queries/pipelines.ts'
import type { PipelineSummary } from '../types.ts'

/**
 * Renames a pipeline. `pipeline` is the latest list row, so after a version conflict the list's
 * refetch hands the dialog the new version and the next attempt can succeed.
 */
export function RenamePipelineDialog({
  pipeline,
  onClose,
}: {
  pipeline: PipelineSummary
  onClose: () => void
}) {
  const [name, setName] = useState(pipeline.name)
  const [missing, setMissing] = useState(false)
  const update = useUpdatePipeline()

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const trimmed = name.trim()
    if (!trimmed) {
      setMissing(true)
      return
    }
    if (trimmed === pipeline.name) {
      onClose()
      return
    }
    update.mutate(
      { id: pipeline.id, name: trimmed, version: pipeline.version },
      {
        onSuccess: () => {
          toast.success(`Renamed to “${trimmed}”.`)
          onClose()
        },
      },
    )
  }

  return (
    <Dialog title="Rename pipeline" onClose={onClose}>
      <form className="form" onSubmit={submit} noValidate>
        <Field
          label="Name"
          value={name}
          maxLength={200}
          onChange={(event) => {
            setName(event.target.value)
            setMissing(false)
          }}
          error={missing ? 'Give the pipeline a name.' : undefined}
          required
        />
        {update.error && (
          <p className="form-error" role="alert">
            {updateErrorMessage(update.error)}
          </p>
        )}
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={update.isPending}>
            Rename
          </button>
        </div>
      </form>
    </Dialog>
  )
}
