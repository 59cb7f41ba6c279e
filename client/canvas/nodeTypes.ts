import type { NodeTypes } from '@xyflow/react'
import { AudienceNode } from './nodes/AudienceNode.tsx'
import { AuthorizationNode } from './nodes/AuthorizationNode.tsx'
import { DestinationNode } from './nodes/DestinationNode.tsx'
import { EnrichmentNode } from './nodes/EnrichmentNode.tsx'
import { NoteNode } from './nodes/NoteNode.tsx'
import { SourceNode } from './nodes/SourceNode.tsx'

/** Defined once at module level: a new object per render makes React Flow remount every node. */
export const nodeTypes = {
  authorization: AuthorizationNode,
  source: SourceNode,
  destination: DestinationNode,
  enrichment: EnrichmentNode,
  audience: AudienceNode,
  note: NoteNode,
} satisfies NodeTypes
