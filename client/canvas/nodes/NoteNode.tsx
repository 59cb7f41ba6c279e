import type { NodeProps } from '@xyflow/react'
import { memo } from 'react'
import { useNodeFacts } from '../node-facts.ts'
import type { NoteFlowNode } from '../types.ts'

/** A sticky note on the canvas; it takes part in nothing, so it has no handles and no status. */
export const NoteNode = memo(function NoteNode({ data, selected }: NodeProps<NoteFlowNode>) {
  const { doc } = data
  const problems = useNodeFacts((state) => state.problemsByNode[doc.id])
  const classes = ['flow-note', selected && 'is-selected', problems && 'has-problems']
  return (
    <div data-testid={`node-${doc.id}`} className={classes.filter(Boolean).join(' ')}>
      <div className="flow-note-title">{doc.name}</div>
      <p className="flow-note-text">{doc.data.text}</p>
    </div>
  )
})
