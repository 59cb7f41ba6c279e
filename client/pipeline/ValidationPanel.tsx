import { useCanvasStore } from '../canvas/store.ts'

/** The last validation's result: every problem, each one selecting its node when it names one. */
export function ValidationPanel() {
  const validation = useCanvasStore((state) => state.validation)
  const document = useCanvasStore((state) => state.document)
  const select = useCanvasStore((state) => state.select)
  const clear = useCanvasStore((state) => state.setValidation)
  if (!validation) return null

  const nameOf = (nodeId: string) => document.nodes.find((node) => node.id === nodeId)?.name ?? nodeId
  const count = validation.errors.length
  return (
    <section
      className={`validation-panel ${validation.ok && count === 0 ? 'is-ok' : 'is-failed'}`}
      aria-label="Validation results"
    >
      <div className="validation-head">
        <h2 className="validation-title">
          {count === 0 ? 'No problems found' : count === 1 ? '1 problem found' : `${count} problems found`}
        </h2>
        <button type="button" className="button button-small button-ghost" onClick={() => clear(null)}>
          Dismiss
        </button>
      </div>
      {count === 0 ? (
        <p>The pipeline is ready to deploy.</p>
      ) : (
        <ul className="problem-list">
          {validation.errors.map((error, index) => (
            // Problems have no id of their own and the list is never reordered.
            // biome-ignore lint/suspicious/noArrayIndexKey: see above
            <li key={index}>
              {error.nodeId ? (
                <button type="button" className="link-button" onClick={() => select(error.nodeId ?? null)}>
                  {nameOf(error.nodeId)}
                </button>
              ) : error.edgeId ? (
                <span className="problem-where">Connection {error.edgeId}</span>
              ) : (
                <span className="problem-where">Pipeline</span>
              )}
              <span className="problem-message">{error.message}</span>
              <code className="problem-code">{error.code}</code>
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}
