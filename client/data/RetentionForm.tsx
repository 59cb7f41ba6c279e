import { type FormEvent, useId, useState } from 'react'
import { toast } from '../components/toast-store.ts'
import { errorMessage } from '../lib/api.ts'
import { useSetRetention } from '../queries/streams.ts'
import { retentionText } from './StreamTable.tsx'
import type { Stream } from './types.ts'

/** Sets how many days a stream keeps raw messages; empty keeps them all. For editors and admins. */
export function RetentionForm({ stream }: { stream: Stream }) {
  const [days, setDays] = useState(stream.retentionDays === null ? '' : String(stream.retentionDays))
  const [invalid, setInvalid] = useState(false)
  const save = useSetRetention(stream.name)
  const id = useId()

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    // The server checks the range and says what is wrong; only a non-number is caught here.
    const value = days.trim() === '' ? null : Number(days)
    setInvalid(Number.isNaN(value))
    if (Number.isNaN(value)) return
    save.mutate(value, {
      onSuccess: (saved) =>
        toast.success(`Retention of ${saved.name}: ${retentionText(saved.retentionDays)}.`),
    })
  }

  return (
    <form className="retention-form" onSubmit={submit} noValidate>
      <label htmlFor={id}>Keep raw messages for</label>
      <div className="inline-fields">
        <input
          id={id}
          className="input input-narrow"
          type="number"
          min={1}
          max={36_500}
          placeholder="All"
          value={days}
          onChange={(event) => {
            setDays(event.target.value)
            setInvalid(false)
          }}
          aria-describedby={`${id}-hint`}
        />
        <span className="muted">days</span>
        <button type="submit" className="button button-small" disabled={save.isPending}>
          Save
        </button>
      </div>
      <p id={`${id}-hint`} className="field-hint">
        Older messages are deleted; leave empty to keep all. Profiles keep what they learned.
      </p>
      {(invalid || save.error) && (
        <p className="form-error" role="alert">
          {invalid ? 'Enter a number of days, or leave it empty.' : errorMessage(save.error)}
        </p>
      )}
    </form>
  )
}
