import { type ReactNode, useState } from 'react'
import type { PipelineDocument } from '../../nodes/pipeline.ts'
import { Dialog } from '../components/Dialog.tsx'
import type { DeployPlan } from '../types.ts'

/** Field names out of a plan's `changes`, whichever shape the server sends (names, entries or a map). */
export function changedFields(changes: unknown): string[] {
  if (Array.isArray(changes)) {
    return changes.map((change) => {
      if (typeof change === 'string') return change
      const entry = (change ?? {}) as { field?: unknown; path?: unknown; name?: unknown }
      const name = entry.field ?? entry.path ?? entry.name
      return Array.isArray(name) ? name.join('.') : String(name ?? JSON.stringify(change))
    })
  }
  if (changes && typeof changes === 'object') return Object.keys(changes)
  return []
}

interface DeployDialogProps {
  plan: DeployPlan
  document: PipelineDocument
  deploying: boolean
  /** `startPaused`: new jobs are created paused, to be resumed from the canvas when ready. */
  onConfirm: (options: { startPaused: boolean }) => void
  onClose: () => void
}

function PlanSection({ title, count, children }: { title: string; count: number; children: ReactNode }) {
  if (count === 0) return null
  return (
    <section className="plan-section" aria-label={title}>
      <h3>
        {title} <span className="count">{count}</span>
      </h3>
      <ul className="plan-list">{children}</ul>
    </section>
  )
}

/** What a deploy will do, job by job, before the person commits to it. */
export function DeployDialog({ plan, document, deploying, onConfirm, onClose }: DeployDialogProps) {
  const nameOf = (nodeId: string | null | undefined, fallback?: string) =>
    document.nodes.find((node) => node.id === nodeId)?.name ?? fallback ?? nodeId ?? 'Unknown node'
  const total = plan.create.length + plan.update.length + plan.remove.length
  const [startPaused, setStartPaused] = useState(false)

  return (
    <Dialog title="Deploy pipeline" onClose={onClose} size="large">
      {total === 0 ? (
        <p className="dialog-text">
          The deployed jobs already match this pipeline: deploying changes nothing.
        </p>
      ) : (
        <div className="plan">
          <PlanSection title="Jobs to create" count={plan.create.length}>
            {plan.create.map((item) => (
              <li key={item.nodeId} className="plan-item">
                <span className="plan-tag plan-create">New</span>
                {nameOf(item.nodeId, item.name)}
              </li>
            ))}
          </PlanSection>
          <PlanSection title="Jobs to update" count={plan.update.length}>
            {plan.update.map((item) => {
              const fields = changedFields(item.changes)
              return (
                <li key={item.jobId} className="plan-item">
                  <span className="plan-tag plan-update">Update</span>
                  {nameOf(item.nodeId, item.name)}
                  {fields.length > 0 && <span className="muted"> — {fields.join(', ')}</span>}
                  {item.resetsCheckpoint && (
                    <p className="plan-warning">This change makes the job start again from the beginning.</p>
                  )}
                </li>
              )
            })}
          </PlanSection>
          <PlanSection title="Jobs to remove" count={plan.remove.length}>
            {plan.remove.map((item) => (
              <li key={item.jobId} className="plan-item">
                <span className="plan-tag plan-remove">Remove</span>
                {nameOf(item.nodeId, item.name)}
              </li>
            ))}
          </PlanSection>
        </div>
      )}
      {plan.create.length > 0 && (
        <label className="checkbox-row">
          <input
            type="checkbox"
            checked={startPaused}
            onChange={(event) => setStartPaused(event.target.checked)}
          />
          Create the new jobs paused
        </label>
      )}
      <div className="dialog-actions">
        <button type="button" className="button" onClick={onClose}>
          Cancel
        </button>
        <button
          type="button"
          className="button button-primary"
          onClick={() => onConfirm({ startPaused })}
          disabled={deploying}
        >
          Deploy now
        </button>
      </div>
    </Dialog>
  )
}
