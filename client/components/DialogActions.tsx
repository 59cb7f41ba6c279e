/** A dialog's Cancel and its main (submit) button, disabled while `busy`. */
export function DialogActions({
  label,
  onCancel,
  busy = false,
  danger = false,
}: {
  label: string
  onCancel: () => void
  busy?: boolean
  danger?: boolean
}) {
  return (
    <div className="dialog-actions">
      <button type="button" className="button" onClick={onCancel}>
        Cancel
      </button>
      <button
        type="submit"
        className={`button ${danger ? 'button-danger' : 'button-primary'}`}
        disabled={busy}
      >
        {label}
      </button>
    </div>
  )
}
