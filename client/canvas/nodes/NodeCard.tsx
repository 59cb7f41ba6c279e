import { Handle, Position } from '@xyflow/react'
import type { ReactNode } from 'react'
import type { NodeKind } from '../../../nodes/pipeline.ts'
import { ProviderIcon } from '../../components/ProviderIcon.tsx'
import { StatusBadge } from '../../components/StatusBadge.tsx'
import { HANDLES } from '../handles.ts'
import { useNodeFacts } from '../node-facts.ts'
import { KIND_LABELS } from '../types.ts'
import { useFar } from '../zoom-detail.ts'
import { JobFacts } from './JobFacts.tsx'

interface NodeCardProps {
  id: string
  kind: NodeKind
  name: string
  /** The line under the name: the job type's title, the audience, the authorization. */
  detail: ReactNode
  icon?: string | undefined
  selected: boolean
  /** Only job nodes (source, destination, enrichment) have a job and so a status. */
  hasJob: boolean
}

/** The body every node kind shares: handles, icon, name, detail, status and problem marker. */
export function NodeCard({ id, kind, name, detail, icon, selected, hasJob }: NodeCardProps) {
  const problems = useNodeFacts((state) => state.problemsByNode[id])
  const status = useNodeFacts((state) => state.statusByNode[id])
  // Zoomed out, a card draws only its name and status colour (semantic zoom, see zoom-detail.ts).
  const far = useFar()
  const handles = HANDLES[kind]
  const classes = ['flow-node', `kind-${kind}`, selected && 'is-selected', problems && 'has-problems']

  if (far)
    return (
      <div
        data-testid={`node-${id}`}
        className={[...classes, 'is-far', status && `status-${status.status}`].filter(Boolean).join(' ')}
      >
        {handles.input && <Handle type="target" position={Position.Left} />}
        <span className="flow-node-name">{name}</span>
        {handles.output && <Handle type="source" position={Position.Right} />}
      </div>
    )

  return (
    <div data-testid={`node-${id}`} className={classes.filter(Boolean).join(' ')}>
      {handles.input && <Handle type="target" position={Position.Left} />}
      <div className="flow-node-head">
        <span className="flow-node-icon">
          <ProviderIcon svg={icon} size={26} />
        </span>
        <div className="flow-node-titles">
          <span className="flow-node-kind">{KIND_LABELS[kind]}</span>
          <span className="flow-node-name">{name}</span>
        </div>
      </div>
      <div className="flow-node-detail">{detail}</div>
      {(hasJob || problems) && (
        <div className="flow-node-foot">
          {hasJob && <StatusBadge status={status?.status} />}
          {problems && (
            <span className="problem-marker" title={problems.map((problem) => problem.message).join('\n')}>
              {problems.length === 1 ? '1 problem' : `${problems.length} problems`}
            </span>
          )}
        </div>
      )}
      {status && <JobFacts status={status} />}
      {handles.output && <Handle type="source" position={Position.Right} />}
    </div>
  )
}
