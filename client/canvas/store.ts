import { applyNodeChanges, type Edge, MarkerType, type NodeChange } from '@xyflow/react'
import { create } from 'zustand'
import type { PipelineDocument, PipelineNode } from '../../nodes/pipeline.ts'
import type { ValidationProblem, ValidationResult } from '../types.ts'
import { KIND_LABELS, type SluiceNode } from './types.ts'

/**
 * The canvas' own state: the loaded document, React Flow's nodes and edges, the selection and the
 * last validation. Server state (status, catalogue) stays in TanStack Query.
 */
interface CanvasState {
  pipelineId: string | null
  /** The document as loaded from the server, i.e. as stored. */
  document: PipelineDocument
  nodes: SluiceNode[]
  edges: Edge[]
  /** Nodes were moved since the document was loaded. */
  dirty: boolean
  selectedId: string | null
  validation: ValidationResult | null
  problemsByNode: Record<string, ValidationProblem[]>
  load: (pipelineId: string, document: PipelineDocument) => void
  /** Forgets the pipeline, so the next one opened never shows this one's nodes first. */
  reset: () => void
  onNodesChange: (changes: NodeChange<SluiceNode>[]) => void
  select: (nodeId: string | null) => void
  setValidation: (result: ValidationResult | null) => void
}

function toFlowNode(node: PipelineNode): SluiceNode {
  // TypeScript cannot pair `type` with the matching `data` through a map; the kinds are the same.
  return {
    id: node.id,
    type: node.kind,
    position: { ...node.position },
    ariaLabel: `${KIND_LABELS[node.kind]}: ${node.name}`,
    data: { doc: node },
  } as SluiceNode
}

function toEdges(document: PipelineDocument, validation: ValidationResult | null): Edge[] {
  const broken = new Set(validation?.errors.flatMap((error) => (error.edgeId ? [error.edgeId] : [])))
  return document.edges.map((edge) => ({
    id: edge.id,
    source: edge.source,
    target: edge.target,
    markerEnd: { type: MarkerType.ArrowClosed, width: 18, height: 18 },
    ...(broken.has(edge.id) ? { className: 'edge-invalid' } : {}),
  }))
}

function byNode(validation: ValidationResult | null): Record<string, ValidationProblem[]> {
  const grouped: Record<string, ValidationProblem[]> = {}
  for (const error of validation?.errors ?? []) {
    if (!error.nodeId) continue
    grouped[error.nodeId] = [...(grouped[error.nodeId] ?? []), error]
  }
  return grouped
}

const EMPTY = {
  pipelineId: null,
  document: { version: 1, nodes: [], edges: [] },
  nodes: [],
  edges: [],
  dirty: false,
  selectedId: null,
  validation: null,
  problemsByNode: {},
} satisfies Partial<CanvasState>

export const useCanvasStore = create<CanvasState>()((set) => ({
  ...EMPTY,
  reset: () => set(EMPTY),

  load: (pipelineId, document) =>
    set((state) => {
      const samePipeline = state.pipelineId === pipelineId
      const selectedId =
        samePipeline && document.nodes.some((node) => node.id === state.selectedId) ? state.selectedId : null
      return {
        pipelineId,
        document,
        nodes: document.nodes.map((node) => ({ ...toFlowNode(node), selected: node.id === selectedId })),
        edges: toEdges(document, null),
        dirty: false,
        selectedId,
        validation: null,
        problemsByNode: {},
      }
    }),

  onNodesChange: (changes) =>
    set((state) => {
      const nodes = applyNodeChanges(changes, state.nodes)
      const moved = changes.some((change) => change.type === 'position' && change.position)
      const selection = changes.some((change) => change.type === 'select')
      const chosen = nodes.filter((node) => node.selected)
      return {
        nodes,
        dirty: state.dirty || moved,
        // The details panel follows React Flow's selection, so clicks and the keyboard both open it.
        selectedId: selection ? (chosen.length === 1 ? chosen[0]!.id : null) : state.selectedId,
      }
    }),

  select: (nodeId) =>
    set((state) => ({
      selectedId: nodeId,
      nodes: state.nodes.map((node) =>
        node.selected === (node.id === nodeId) ? node : { ...node, selected: node.id === nodeId },
      ),
    })),

  setValidation: (validation) =>
    set((state) => ({
      validation,
      problemsByNode: byNode(validation),
      edges: toEdges(state.document, validation),
    })),
}))

/** The loaded document with the nodes where they now sit on the canvas. */
export function documentWithLayout(state: Pick<CanvasState, 'document' | 'nodes'>): PipelineDocument {
  const positions = new Map(state.nodes.map((node) => [node.id, node.position]))
  return {
    ...state.document,
    nodes: state.document.nodes.map((node) => {
      const position = positions.get(node.id)
      return position ? { ...node, position: { x: Math.round(position.x), y: Math.round(position.y) } } : node
    }),
  }
}
