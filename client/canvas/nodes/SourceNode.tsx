import type { NodeProps } from '@xyflow/react'
import { memo } from 'react'
import type { SourceFlowNode } from '../types.ts'
import { JobNodeCard } from './JobNodeCard.tsx'

export const SourceNode = memo(function SourceNode({ data, selected }: NodeProps<SourceFlowNode>) {
  return <JobNodeCard doc={data.doc} selected={selected} />
})
