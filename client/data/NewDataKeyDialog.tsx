import { type FormEvent, useState } from 'react'
import { Dialog } from '../components/Dialog.tsx'
import { Field } from '../components/Field.tsx'
import { errorMessage } from '../lib/api.ts'
import { useCreateDataKey } from '../queries/data-keys.ts'
import { CreatedKey } from './CreatedKey.tsx'

/** Names a new data key, then shows its value once. */
export function NewDataKeyDialog({ onClose }: { onClose: () => void }) {
  const [name, setName] = useState('')
  const [stream, setStream] = useState('')
  const [missing, setMissing] = useState(false)
  const create = useCreateDataKey()

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    if (!name.trim()) {
      setMissing(true)
      return
    }
    create.mutate({ name: name.trim(), ...(stream.trim() ? { stream: stream.trim() } : {}) })
  }

  if (create.data) {
    return (
      <Dialog title="Your new data key" onClose={onClose} size="large">
        <CreatedKey created={create.data} />
        <div className="dialog-actions">
          <button type="button" className="button button-primary" onClick={onClose}>
            I have copied it
          </button>
        </div>
      </Dialog>
    )
  }

  return (
    <Dialog title="New data key" onClose={onClose}>
      <form className="form" onSubmit={submit} noValidate>
        <Field
          label="Name"
          value={name}
          maxLength={200}
          placeholder="e.g. Website"
          onChange={(event) => {
            setName(event.target.value)
            setMissing(false)
          }}
          error={missing ? 'Give the key a name, e.g. where it will be used.' : undefined}
          required
        />
        <Field
          label="Stream"
          value={stream}
          maxLength={100}
          placeholder="Any stream"
          hint="Optional. Limits the key to this stream; Segment-style /v1 events go there too."
          onChange={(event) => setStream(event.target.value)}
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
            Create key
          </button>
        </div>
      </form>
    </Dialog>
  )
}
