import {
  applyEdgeChanges,
  applyNodeChanges,
  type Edge,
  type EdgeChange,
  MarkerType,
  type NodeChange,
} from '@xyflow/react'
import { create } from 'zustand'
import type { PipelineDocument, PipelineNode } from '../../nodes/pipeline.ts'
import type { ValidationResult } from '../types.ts'
import { moveNodes, removeElements } from './document-ops.ts'
import { useNodeFacts } from './node-facts.ts'
import { KIND_LABELS, type SluiceNode } from './types.ts'

/** How many steps back undo reaches. */
const HISTORY_LIMIT = 200
/** Edits of one field closer together than this are one undo step. */
const COALESCE_MS = 1500

/** The last commit that may absorb the next: its key and when it happened. */
let lastCoalesce: { key: string; at: number } | null = null

/**
 * The editor's state: the document being edited (the truth), React Flow's nodes and edges drawn
 * from it, undo/redo history, what was last saved, the selection and the last validation. Server
 * state (status, catalogue) stays in TanStack Query.
 */
interface CanvasState {
  pipelineId: string | null
  /** The document as edited. Every change goes through `commit`, so undo can restore it. */
  document: PipelineDocument
  /** The document the server holds at `version`; autosave sends `document` when they differ. */
  saved: PipelineDocument
  version: number
  nodes: SluiceNode[]
  edges: Edge[]
  /** The document differs from what the server holds. */
  dirty: boolean
  past: PipelineDocument[]
  future: PipelineDocument[]
  /**
   * Bumped when the document is replaced from outside the forms (undo, redo, load): forms keyed by
   * it start over from the document instead of re-emitting what they held.
   */
  revision: number
  selectedId: string | null
  /** The last validation; its problems by node are in useNodeFacts, where the cards read them. */
  validation: ValidationResult | null
  /** A node is being dragged: the inspector waits, so a drag stays smooth (see PipelinePage). */
  dragging: boolean
  setDragging: (dragging: boolean) => void
  load: (pipelineId: string, document: PipelineDocument, version: number) => void
  /** Forgets the pipeline, so the next one opened never shows this one's nodes first. */
  reset: () => void
  /**
   * Makes `next` the document, one undo step; `select` names the nodes to select afterwards.
   * Commits with the same `coalesce` key in quick succession (typing in a form) make one step.
   */
  commit: (next: PipelineDocument, select?: readonly string[] | null, coalesce?: string) => void
  undo: () => void
  redo: () => void
  /** The server stored `document` as `version` (the edited document may have moved on since). */
  markSaved: (document: PipelineDocument, version: number) => void
  onNodesChange: (changes: NodeChange<SluiceNode>[]) => void
  onEdgesChange: (changes: EdgeChange[]) => void
  /** A drag ended: the nodes' new positions become one undo step. */
  commitMoves: (moved: readonly { id: string; position: { x: number; y: number } }[]) => void
  deleteElements: (nodeIds: readonly string[], edgeIds: readonly string[]) => void
  select: (nodeId: string | null) => void
  selectAll: () => void
  setValidation: (result: ValidationResult | null) => void
}

function toFlowNode(node: PipelineNode, selected: boolean, before: SluiceNode | undefined): SluiceNode {
  // TypeScript cannot pair `type` with the matching `data` through a map; the kinds are the same.
  return {
    id: node.id,
    type: node.kind,
    position: { ...node.position },
    ariaLabel: `${KIND_LABELS[node.kind]}: ${node.name}`,
    data: { doc: node },
    selected,
    // React Flow measured this node already; keeping it spares a re-measure of every node per change.
    ...(before?.measured ? { measured: before.measured } : {}),
  } as SluiceNode
}

/** React Flow nodes for `doc`, reusing the previous object of every node that did not change. */
function nodesFor(doc: PipelineDocument, previous: readonly SluiceNode[], selected: ReadonlySet<string>) {
  const before = new Map(previous.map((node) => [node.id, node]))
  return doc.nodes.map((node) => {
    const old = before.get(node.id)
    const isSelected = selected.has(node.id)
    if (old && old.data.doc === node && Boolean(old.selected) === isSelected) return old
    return toFlowNode(node, isSelected, old)
  })
}

function edgesFor(
  doc: PipelineDocument,
  validation: ValidationResult | null,
  previous: readonly Edge[],
): Edge[] {
  const broken = new Set(validation?.errors.flatMap((error) => (error.edgeId ? [error.edgeId] : [])))
  const selected = new Set(previous.filter((edge) => edge.selected).map((edge) => edge.id))
  return doc.edges.map((edge) => ({
    id: edge.id,
    source: edge.source,
    target: edge.target,
    markerEnd: { type: MarkerType.ArrowClosed, width: 18, height: 18 },
    selected: selected.has(edge.id),
    ariaLabel: `Connection from ${edge.source} to ${edge.target}`,
    ...(broken.has(edge.id) ? { className: 'edge-invalid' } : {}),
  }))
}

const EMPTY_DOC: PipelineDocument = { version: 1, nodes: [], edges: [] }

const EMPTY = {
  pipelineId: null,
  document: EMPTY_DOC,
  saved: EMPTY_DOC,
  version: 0,
  nodes: [],
  edges: [],
  dirty: false,
  past: [],
  future: [],
  revision: 0,
  selectedId: null,
  validation: null,
  dragging: false,
} satisfies Partial<CanvasState>

const selectedIds = (nodes: readonly SluiceNode[]) =>
  new Set(nodes.filter((node) => node.selected).map((node) => node.id))

/** The single selected node, which the inspector shows; none for no or several selected. */
function soleSelected(selected: ReadonlySet<string>): string | null {
  return selected.size === 1 ? [...selected][0]! : null
}

export const useCanvasStore = create<CanvasState>()((set, get) => {
  /** Shows `document` with `selected` nodes selected; history is the caller's business. */
  const show = (state: CanvasState, document: PipelineDocument, selected: ReadonlySet<string>) => {
    const present = new Set([...selected].filter((id) => document.nodes.some((node) => node.id === id)))
    return {
      document,
      nodes: nodesFor(document, state.nodes, present),
      edges: edgesFor(document, state.validation, state.edges),
      selectedId: soleSelected(present),
      dirty: document !== state.saved,
    }
  }

  return {
    ...EMPTY,
    reset: () => {
      useNodeFacts.getState().reset()
      set(EMPTY)
    },
    setDragging: (dragging) => set({ dragging }),

    load: (pipelineId, document, version) => {
      useNodeFacts.getState().setProblems(null)
      set((state) => {
        const keep = state.pipelineId === pipelineId ? selectedIds(state.nodes) : new Set<string>()
        const base = { ...state, nodes: [], edges: [], saved: document, validation: null }
        return {
          ...show(base, document, keep),
          pipelineId,
          saved: document,
          version,
          past: [],
          future: [],
          revision: state.revision + 1,
          validation: null,
        }
      })
    },

    commit: (next, select, coalesce) =>
      set((state) => {
        if (next === state.document) return {}
        const now = Date.now()
        const absorb =
          coalesce !== undefined &&
          lastCoalesce?.key === coalesce &&
          now - lastCoalesce.at < COALESCE_MS &&
          state.past.length > 0
        lastCoalesce = coalesce === undefined ? null : { key: coalesce, at: now }
        return {
          ...show(state, next, select ? new Set(select) : selectedIds(state.nodes)),
          past: absorb ? state.past : [...state.past, state.document].slice(-HISTORY_LIMIT),
          future: [],
        }
      }),

    undo: () =>
      set((state) => {
        lastCoalesce = null
        const previous = state.past.at(-1)
        if (!previous) return {}
        return {
          ...show(state, previous, selectedIds(state.nodes)),
          past: state.past.slice(0, -1),
          future: [state.document, ...state.future],
          revision: state.revision + 1,
        }
      }),

    redo: () =>
      set((state) => {
        lastCoalesce = null
        const [next, ...rest] = state.future
        if (!next) return {}
        return {
          ...show(state, next, selectedIds(state.nodes)),
          past: [...state.past, state.document],
          future: rest,
          revision: state.revision + 1,
        }
      }),

    markSaved: (document, version) =>
      set((state) => ({ saved: document, version, dirty: state.document !== document })),

    onNodesChange: (changes) =>
      set((state) => {
        // Removal goes through deleteElements (one undo step for nodes and their edges).
        const kept = changes.filter((change) => change.type !== 'remove')
        if (kept.length === 0) return {}
        const nodes = applyNodeChanges(kept, state.nodes)
        const selection = kept.some((change) => change.type === 'select')
        // The inspector follows React Flow's selection, so clicks and the keyboard both open it.
        return { nodes, selectedId: selection ? soleSelected(selectedIds(nodes)) : state.selectedId }
      }),

    onEdgesChange: (changes) =>
      set((state) => {
        const kept = changes.filter((change) => change.type !== 'remove')
        return kept.length ? { edges: applyEdgeChanges(kept, state.edges) } : {}
      }),

    commitMoves: (moved) => {
      const positions = new Map(moved.map((node) => [node.id, node.position]))
      get().commit(moveNodes(get().document, positions))
    },

    deleteElements: (nodeIds, edgeIds) => get().commit(removeElements(get().document, nodeIds, edgeIds)),

    select: (nodeId) =>
      set((state) => ({
        selectedId: nodeId,
        nodes: state.nodes.map((node) =>
          Boolean(node.selected) === (node.id === nodeId) ? node : { ...node, selected: node.id === nodeId },
        ),
        edges: state.edges.map((edge) => (edge.selected ? { ...edge, selected: false } : edge)),
      })),

    selectAll: () =>
      set((state) => ({
        nodes: state.nodes.map((node) => (node.selected ? node : { ...node, selected: true })),
        selectedId: state.nodes.length === 1 ? state.nodes[0]!.id : null,
      })),

    setValidation: (validation) => {
      useNodeFacts.getState().setProblems(validation)
      set((state) => ({ validation, edges: edgesFor(state.document, validation, state.edges) }))
    },
  }
})

/** The ids of the nodes selected on the canvas. */
export function selectedNodeIds(state: Pick<CanvasState, 'nodes'>): string[] {
  return [...selectedIds(state.nodes)]
}
