import { type KeyboardEvent, useState } from 'react'

/**
 * A value shown as text with an Edit button; editing shows a field with Save and Cancel (Enter
 * saves a one-line value, Escape cancels). `save` resolves once stored; a rejection keeps the
 * field open with what was typed.
 */
export function InlineEdit({
  label,
  value,
  placeholder,
  multiline = false,
  maxLength,
  canEdit,
  save,
  render,
}: {
  label: string
  value: string
  placeholder: string
  multiline?: boolean
  maxLength: number
  canEdit: boolean
  save: (next: string) => Promise<unknown>
  render: (value: string) => React.ReactNode
}) {
  const [draft, setDraft] = useState<string | null>(null)
  const [saving, setSaving] = useState(false)
  const [error, setError] = useState<string | null>(null)
  if (draft === null)
    return (
      <div className="inline-edit">
        {value ? render(value) : <span className="muted">{placeholder}</span>}
        {canEdit && (
          <button
            type="button"
            className="button button-small"
            aria-label={`Edit ${label.toLowerCase()}`}
            onClick={() => setDraft(value)}
          >
            Edit
          </button>
        )}
      </div>
    )

  const commit = async () => {
    if (!multiline && !draft.trim()) return setError(`${label} cannot be empty.`)
    setSaving(true)
    try {
      await save(multiline ? draft : draft.trim())
      setDraft(null)
      setError(null)
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure))
    } finally {
      setSaving(false)
    }
  }
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Escape') setDraft(null)
    if (event.key === 'Enter' && !multiline) void commit()
  }
  const field = {
    'aria-label': label,
    className: 'input',
    value: draft,
    maxLength,
    autoFocus: true,
    onKeyDown,
    'aria-invalid': error ? true : undefined,
  } as const
  return (
    <div className="inline-edit is-editing">
      {multiline ? (
        <textarea {...field} rows={3} onChange={(event) => setDraft(event.target.value)} />
      ) : (
        <input {...field} onChange={(event) => setDraft(event.target.value)} />
      )}
      <div className="button-row">
        <button
          type="button"
          className="button button-small button-primary"
          disabled={saving}
          onClick={() => void commit()}
        >
          Save
        </button>
        <button type="button" className="button button-small" onClick={() => setDraft(null)}>
          Cancel
        </button>
      </div>
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
    </div>
  )
}
