/** `done` of `total` as a bar with the numbers beside it; an empty total reads as nothing to do. */
export function ProgressBar({ done, total, label }: { done: number; total: number; label: string }) {
  if (total <= 0) return <span className="muted">—</span>
  const percent = Math.min(100, Math.round((done / total) * 100))
  return (
    <div className="progress">
      <div
        className="progress-track"
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={total}
        aria-valuenow={done}
      >
        <div
          className={`progress-fill${percent === 100 ? ' is-done' : ''}`}
          style={{ width: `${percent}%` }}
        />
      </div>
      <span className="progress-text">{percent}%</span>
    </div>
  )
}
