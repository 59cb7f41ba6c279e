import type { NodeProps } from '@xyflow/react'
import { memo } from 'react'
import type { DestinationFlowNode } from '../types.ts'
import { JobNodeCard } from './JobNodeCard.tsx'

export const DestinationNode = memo(function DestinationNode({
  data,
  selected,
}: NodeProps<DestinationFlowNode>) {
  return <JobNodeCard doc={data.doc} selected={selected} />
})
