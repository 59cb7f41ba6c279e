import type { NodeProps } from '@xyflow/react'
import { memo } from 'react'
import { plural } from '../../format.ts'
import { useAudience } from '../../queries/audiences.ts'
import type { AudienceFlowNode } from '../types.ts'
import { NodeCard } from './NodeCard.tsx'

/** An audience node: the saved audience it names, with its live count. */
export const AudienceNode = memo(function AudienceNode({ data, selected }: NodeProps<AudienceFlowNode>) {
  const { doc } = data
  const audience = useAudience(doc.data.audienceId || undefined)
  let detail = 'No audience chosen'
  if (doc.data.audienceId) {
    if (audience.data === null) detail = 'This audience no longer exists'
    else if (audience.data) detail = `${audience.data.name} · ${plural(audience.data.count, 'profile')}`
    else detail = 'Loading the audience…'
  }
  return (
    <NodeCard
      id={doc.id}
      kind="audience"
      name={doc.name}
      detail={detail}
      selected={selected}
      hasJob={false}
    />
  )
})
