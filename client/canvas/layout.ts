import dagre from '@dagrejs/dagre'
import type { PipelineDocument } from '../../nodes/pipeline.ts'

/** Node sizes when React Flow has not measured a node yet (the CSS widths of the cards). */
const FALLBACK = { width: 240, height: 110 }

/**
 * Lays the graph out left to right with dagre: authorizations and sources first, destinations
 * last, so data reads the way it flows. Notes, which connect to nothing, keep their place.
 */
export function autoLayout(
  doc: PipelineDocument,
  sizes: ReadonlyMap<string, { width: number; height: number }> = new Map(),
): Map<string, { x: number; y: number }> {
  const graph = new dagre.graphlib.Graph()
  graph.setGraph({ rankdir: 'LR', nodesep: 40, ranksep: 90, marginx: 20, marginy: 20 })
  graph.setDefaultEdgeLabel(() => ({}))
  const placed = doc.nodes.filter((node) => node.kind !== 'note')
  for (const node of placed) graph.setNode(node.id, { ...(sizes.get(node.id) ?? FALLBACK) })
  for (const edge of doc.edges)
    if (graph.hasNode(edge.source) && graph.hasNode(edge.target)) graph.setEdge(edge.source, edge.target)
  dagre.layout(graph)
  const positions = new Map<string, { x: number; y: number }>()
  for (const node of placed) {
    const laid = graph.node(node.id)
    // dagre gives centres; React Flow positions are top-left corners.
    positions.set(node.id, { x: laid.x - laid.width / 2, y: laid.y - laid.height / 2 })
  }
  return positions
}
