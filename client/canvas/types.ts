import type { Node } from '@xyflow/react'
import type { NodeKind, PipelineNode } from '../../nodes/pipeline.ts'

/** A React Flow node carrying the pipeline node it shows, typed by kind (CONVENTIONS, React Flow). */
export type FlowNodeOf<K extends NodeKind> = Node<{ doc: Extract<PipelineNode, { kind: K }> }, K>

export type AuthorizationFlowNode = FlowNodeOf<'authorization'>
export type SourceFlowNode = FlowNodeOf<'source'>
export type DestinationFlowNode = FlowNodeOf<'destination'>
export type EnrichmentFlowNode = FlowNodeOf<'enrichment'>
export type AudienceFlowNode = FlowNodeOf<'audience'>
export type NoteFlowNode = FlowNodeOf<'note'>

export type SluiceNode =
  | AuthorizationFlowNode
  | SourceFlowNode
  | DestinationFlowNode
  | EnrichmentFlowNode
  | AudienceFlowNode
  | NoteFlowNode

export const KIND_LABELS: Record<NodeKind, string> = {
  authorization: 'Authorization',
  source: 'Source',
  destination: 'Destination',
  enrichment: 'Enrichment',
  audience: 'Audience',
  note: 'Note',
}
