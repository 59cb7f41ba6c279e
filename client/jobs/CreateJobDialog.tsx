import { type FormEvent, useId, useState } from 'react'
import { useNavigate } from 'react-router'
import { Dialog } from '../components/Dialog.tsx'
import { DialogActions } from '../components/DialogActions.tsx'
import { Field } from '../components/Field.tsx'
import { FormError } from '../components/FormError.tsx'
import { useCreatePipeline, usePipelines } from '../queries/pipelines.ts'

/**
 * "+ Create New" on a job list: jobs live in pipelines, so this picks one — a new pipeline or an
 * existing one — and opens its canvas with the create wizard showing only this kind of job.
 */
export function CreateJobDialog({
  direction,
  noun,
  onClose,
}: {
  direction: 'import' | 'export' | 'enrichment'
  /** Singular, lower case: "source". */
  noun: string
  onClose: () => void
}) {
  const pipelines = usePipelines('', { fresh: true })
  const create = useCreatePipeline()
  const navigate = useNavigate()
  const [target, setTarget] = useState('new')
  const [name, setName] = useState(`New ${noun} pipeline`)
  const [missing, setMissing] = useState(false)
  const selectId = useId()
  const open = (id: string) => navigate(`/pipelines/${encodeURIComponent(id)}?wizard=${direction}`)

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    if (target !== 'new') return open(target)
    if (!name.trim()) return setMissing(true)
    create.mutate(
      { name: name.trim(), document: { version: 1, nodes: [], edges: [] } },
      { onSuccess: (pipeline) => open(pipeline.id) },
    )
  }

  return (
    <Dialog title={`Create a new ${noun}`} onClose={onClose}>
      <form className="form" onSubmit={submit} noValidate>
        <div className="field">
          <label htmlFor={selectId} className="field-label">
            Pipeline
          </label>
          <select
            id={selectId}
            className="input"
            value={target}
            onChange={(change) => setTarget(change.target.value)}
          >
            <option value="new">A new pipeline</option>
            {pipelines.items.map((pipeline) => (
              <option key={pipeline.id} value={pipeline.id}>
                {pipeline.name}
              </option>
            ))}
          </select>
          <p className="field-hint">
            The {noun} is added on the pipeline's canvas, where you wire and deploy it.
          </p>
        </div>
        {target === 'new' && (
          <Field
            label="New pipeline's name"
            value={name}
            maxLength={200}
            onChange={(change) => {
              setName(change.target.value)
              setMissing(false)
            }}
            error={missing ? 'Give the pipeline a name.' : undefined}
            required
          />
        )}
        <FormError error={create.error} />
        <DialogActions label="Continue" onCancel={onClose} busy={create.isPending} />
      </form>
    </Dialog>
  )
}
