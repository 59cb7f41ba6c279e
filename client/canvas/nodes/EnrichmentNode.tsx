import type { NodeProps } from '@xyflow/react'
import { memo } from 'react'
import type { EnrichmentFlowNode } from '../types.ts'
import { JobNodeCard } from './JobNodeCard.tsx'

export const EnrichmentNode = memo(function EnrichmentNode({
  data,
  selected,
}: NodeProps<EnrichmentFlowNode>) {
  return <JobNodeCard doc={data.doc} selected={selected} />
})
