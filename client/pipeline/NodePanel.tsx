import { useCanvasStore } from '../canvas/store.ts'
import { KIND_LABELS } from '../canvas/types.ts'
import { StatusBadge } from '../components/StatusBadge.tsx'
import { toast } from '../components/toast-store.ts'
import { formatDateTime } from '../format.ts'
import { useNodeStatus } from '../queries/pipelines.ts'

const SLEEP_REASONS = {
  schedule: 'its next scheduled run',
  retry: 'a retry after an error',
  rate_limit: "the provider's rate limit to reset",
} as const

/** The selected node as stored in the document, and its job when it has been deployed. */
export function NodePanel() {
  const selectedId = useCanvasStore((state) => state.selectedId)
  const pipelineId = useCanvasStore((state) => state.pipelineId)
  const node = useCanvasStore((state) =>
    state.document.nodes.find((candidate) => candidate.id === selectedId),
  )
  const problems = useCanvasStore((state) => (selectedId ? state.problemsByNode[selectedId] : undefined))
  const select = useCanvasStore((state) => state.select)
  const status = useNodeStatus(pipelineId, selectedId ?? '')
  if (!node) return null

  const json = JSON.stringify(node, null, 2)
  // navigator.clipboard is missing outside secure contexts; the promise chain turns that into a toast.
  const copy = () =>
    Promise.resolve()
      .then(() => navigator.clipboard.writeText(json))
      .then(() => toast.success('Node JSON copied to the clipboard.'))
      .catch(() => toast.error('Could not copy: select the JSON and copy it by hand.'))

  return (
    <aside className="node-panel" aria-label="Node details">
      <div className="node-panel-head">
        <div>
          <p className="eyebrow">{KIND_LABELS[node.kind]}</p>
          <h2>{node.name}</h2>
        </div>
        <button type="button" className="button button-small button-ghost" onClick={() => select(null)}>
          Close
        </button>
      </div>

      {status && (
        <section className="node-panel-section" aria-label="Job">
          <h3>Job</h3>
          <dl className="facts">
            <dt>Status</dt>
            <dd>
              <StatusBadge status={status.status} />
            </dd>
            <dt>Job ID</dt>
            <dd>
              <code>{status.jobId}</code>
            </dd>
            {status.status === 'sleeping' && status.sleepReason && (
              <>
                <dt>Waiting for</dt>
                <dd>{SLEEP_REASONS[status.sleepReason]}</dd>
              </>
            )}
            {status.nextRunAt && (
              <>
                <dt>Next run</dt>
                <dd>{formatDateTime(status.nextRunAt)}</dd>
              </>
            )}
          </dl>
        </section>
      )}

      {problems && (
        <section className="node-panel-section" aria-label="Problems">
          <h3>Problems</h3>
          <ul className="problem-list compact">
            {problems.map((problem) => (
              <li key={`${problem.code}:${problem.message}`}>{problem.message}</li>
            ))}
          </ul>
        </section>
      )}

      <section className="node-panel-section node-panel-json" aria-label="Configuration">
        <div className="section-head">
          <h3>JSON</h3>
          <button type="button" className="button button-small" onClick={() => void copy()}>
            Copy
          </button>
        </div>
        <pre className="code-block">
          <code>{json}</code>
        </pre>
      </section>
    </aside>
  )
}
