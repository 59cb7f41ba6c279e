import type { NodeProps } from '@xyflow/react'
import { memo } from 'react'
import { useNodeFacts } from '../node-facts.ts'
import type { AuthorizationFlowNode } from '../types.ts'
import { NodeCard } from './NodeCard.tsx'

export const AuthorizationNode = memo(function AuthorizationNode({
  data,
  selected,
}: NodeProps<AuthorizationFlowNode>) {
  const { doc } = data
  const provider = useNodeFacts((state) => state.providers.get(doc.provider))
  return (
    <NodeCard
      id={doc.id}
      kind="authorization"
      name={doc.name}
      icon={provider?.icon}
      detail={
        <>
          {provider?.title ?? doc.provider}
          <span className="flow-node-provider">
            {' · '}
            {doc.data.authorizationId ? 'from the Vault' : 'none chosen'}
          </span>
        </>
      }
      selected={selected}
      hasJob={false}
    />
  )
})
