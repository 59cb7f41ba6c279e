/**
 * The graph both canvas benchmark pages draw: `n` nodes on a grid, in the shape of a real
 * pipeline (authorizations feeding sources, sources feeding destinations), with edges between
 * neighbours. Positions and edges are the same on both pages; only what draws them differs.
 */
export interface BenchNode {
  id: string
  kind: 'authorization' | 'source' | 'destination'
  x: number
  y: number
}

export function benchGraph(n: number): {
  nodes: BenchNode[]
  edges: { id: string; source: string; target: string }[]
} {
  const columns = Math.ceil(Math.sqrt(n * 2))
  const kinds = ['authorization', 'source', 'destination'] as const
  const nodes: BenchNode[] = []
  for (let index = 0; index < n; index++) {
    const column = index % columns
    nodes.push({
      id: `n${index}`,
      kind: kinds[column % 3]!,
      x: column * 320,
      y: Math.floor(index / columns) * 180,
    })
  }
  const edges = []
  for (const node of nodes) {
    const next = nodes[Number(node.id.slice(1)) + 1]
    // authorization → source → destination within a row, as the edge rules allow.
    if (next && next.y === node.y && node.kind !== 'destination')
      edges.push({ id: `e${node.id}`, source: node.id, target: next.id })
  }
  return { nodes, edges }
}
