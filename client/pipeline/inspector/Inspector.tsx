import { useId, useState } from 'react'
import { isJobKind } from '../../../nodes/edge-rules.ts'
import { useNodeFacts } from '../../canvas/node-facts.ts'
import { useCanvasStore } from '../../canvas/store.ts'
import { KIND_LABELS } from '../../canvas/types.ts'
import { ActivityTab } from './ActivityTab.tsx'
import { ConfigureTab } from './ConfigureTab.tsx'
import { DataTab } from './DataTab.tsx'
import { JsonTab } from './JsonTab.tsx'
import { MappingTab } from './MappingTab.tsx'
import { StatusTab } from './StatusTab.tsx'

const TABS = [
  ['configure', 'Configure'],
  ['mapping', 'Mapping'],
  ['data', 'Data'],
  ['json', 'JSON'],
  ['status', 'Status & logs'],
  ['activity', 'Activity'],
] as const
type Tab = (typeof TABS)[number][0]

/** The selected node's inspector: its problems, then Configure, JSON and Status & logs tabs. */
export function Inspector({ readOnly }: { readOnly: boolean }) {
  const selectedId = useCanvasStore((state) => state.selectedId)
  const pipelineId = useCanvasStore((state) => state.pipelineId)
  const node = useCanvasStore((state) =>
    state.document.nodes.find((candidate) => candidate.id === selectedId),
  )
  const problems = useNodeFacts((state) => (selectedId ? state.problemsByNode[selectedId] : undefined))
  const select = useCanvasStore((state) => state.select)
  const revision = useCanvasStore((state) => state.revision)
  const [tab, setTab] = useState<Tab>('configure')
  const id = useId()
  if (!node) return null
  const tabs = TABS.filter(
    ([key]) =>
      ((key !== 'status' && key !== 'activity') || isJobKind(node.kind)) &&
      (key !== 'data' || node.kind === 'source') &&
      (key !== 'mapping' || node.kind === 'source' || node.kind === 'destination'),
  )
  const current = tabs.some(([key]) => key === tab) ? tab : 'configure'

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

      <div className="tabs" role="tablist" aria-label="Node views">
        {tabs.map(([key, label]) => (
          <button
            key={key}
            type="button"
            role="tab"
            id={`${id}-${key}`}
            aria-selected={current === key}
            aria-controls={`${id}-panel`}
            className={current === key ? 'tab active' : 'tab'}
            onClick={() => setTab(key)}
          >
            {label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`${id}-panel`} aria-labelledby={`${id}-${current}`} className="tab-panel">
        {current === 'configure' && (
          <ConfigureTab key={`${node.id}:${revision}`} node={node} readOnly={readOnly} />
        )}
        {current === 'mapping' && (node.kind === 'source' || node.kind === 'destination') && (
          <MappingTab key={`${node.id}:${revision}`} node={node} readOnly={readOnly} />
        )}
        {current === 'data' && node.kind === 'source' && <DataTab key={node.id} node={node} />}
        {current === 'json' && <JsonTab node={node} pipelineId={pipelineId} />}
        {current === 'activity' && <ActivityTab nodeId={node.id} pipelineId={pipelineId} />}
        {current === 'status' && <StatusTab nodeId={node.id} pipelineId={pipelineId} readOnly={readOnly} />}
      </div>
    </aside>
  )
}
