import { type FormEvent, useState } from 'react'
import { useNavigate } from 'react-router'
import { Dialog } from '../components/Dialog.tsx'
import { Field } from '../components/Field.tsx'
import { errorMessage } from '../lib/api.ts'
import { useCreatePipeline } from '../queries/pipelines.ts'

/** Names a new, empty pipeline and opens it. */
export function NewPipelineDialog({ onClose }: { onClose: () => void }) {
  const [name, setName] = useState('')
  const [description, setDescription] = useState('')
  const [missing, setMissing] = useState(false)
  const create = useCreatePipeline()
  const navigate = useNavigate()

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    if (!name.trim()) {
      setMissing(true)
      return
    }
    create.mutate(
      {
        name: name.trim(),
        ...(description.trim() ? { description: description.trim() } : {}),
        document: { version: 1, nodes: [], edges: [] },
      },
      { onSuccess: (pipeline) => navigate(`/pipelines/${encodeURIComponent(pipeline.id)}`) },
    )
  }

  return (
    <Dialog title="New pipeline" onClose={onClose}>
      <form className="form" onSubmit={submit} noValidate>
        <Field
          label="Name"
          value={name}
          maxLength={200}
          placeholder="e.g. Newsletter signups to Mailchimp"
          onChange={(event) => {
            setName(event.target.value)
            setMissing(false)
          }}
          error={missing ? 'Give the pipeline a name.' : undefined}
          required
        />
        <Field
          label="Description"
          value={description}
          maxLength={2000}
          hint="Optional. What the pipeline is for."
          onChange={(event) => setDescription(event.target.value)}
        />
        {create.error && (
          <p className="form-error" role="alert">
            {errorMessage(create.error)}
          </p>
        )}
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={create.isPending}>
            Create pipeline
          </button>
        </div>
      </form>
    </Dialog>
  )
}
