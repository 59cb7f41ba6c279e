import type { NodeProps } from '@xyflow/react'
import { memo } from 'react'
import type { AudienceFlowNode } from '../types.ts'
import { NodeCard } from './NodeCard.tsx'

export const AudienceNode = memo(function AudienceNode({ data, selected }: NodeProps<AudienceFlowNode>) {
  const { doc } = data
  return (
    <NodeCard
      id={doc.id}
      kind="audience"
      name={doc.name}
      detail={doc.data.audienceId ? `Audience ${doc.data.audienceId}` : 'No audience chosen'}
      selected={selected}
      hasJob={false}
    />
  )
})
