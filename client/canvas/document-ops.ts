import { canConnect, type EdgeVerdict } from '../../nodes/edge-rules.ts'
import type { PipelineDocument, PipelineEdge, PipelineNode } from '../../nodes/pipeline.ts'

/**
 * The editor's changes to a pipeline document, as pure functions: each returns a new document and
 * leaves the one it was given alone, so undo is keeping the old one.
 */

/** An id no node or edge of `doc` has yet: `base`, else `base-2`, `base-3`, … */
export function uniqueId(
  doc: PipelineDocument,
  base: string,
  taken: ReadonlySet<string> = new Set(),
): string {
  const used = new Set([...doc.nodes.map((node) => node.id), ...doc.edges.map((edge) => edge.id), ...taken])
  const stem = base.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '') || 'node'
  if (!used.has(stem)) return stem
  for (let n = 2; ; n++) if (!used.has(`${stem}-${n}`)) return `${stem}-${n}`
}

export function addNode(doc: PipelineDocument, node: PipelineNode): PipelineDocument {
  return { ...doc, nodes: [...doc.nodes, node] }
}

/** Wires `source` to `target` when the edge rules allow it; otherwise the verdict says why not. */
export function connect(
  doc: PipelineDocument,
  source: string,
  target: string,
): { ok: true; doc: PipelineDocument; edge: PipelineEdge } | Extract<EdgeVerdict, { ok: false }> {
  const verdict = canConnect(doc.nodes, doc.edges, { source, target })
  if (!verdict.ok) return verdict
  const edge = { id: uniqueId(doc, `${source}-${target}`), source, target }
  return { ok: true, doc: { ...doc, edges: [...doc.edges, edge] }, edge }
}

/** Removes nodes with every edge that touches them, and edges by id. */
export function removeElements(
  doc: PipelineDocument,
  nodeIds: Iterable<string>,
  edgeIds: Iterable<string> = [],
): PipelineDocument {
  const nodes = new Set(nodeIds)
  const edges = new Set(edgeIds)
  if (nodes.size === 0 && edges.size === 0) return doc
  return {
    ...doc,
    nodes: doc.nodes.filter((node) => !nodes.has(node.id)),
    edges: doc.edges.filter(
      (edge) => !edges.has(edge.id) && !nodes.has(edge.source) && !nodes.has(edge.target),
    ),
  }
}

/** Replaces one node by what `change` makes of it; the same document when nothing changed. */
export function updateNode(
  doc: PipelineDocument,
  id: string,
  change: (node: PipelineNode) => PipelineNode,
): PipelineDocument {
  let changed = false
  const nodes = doc.nodes.map((node) => {
    if (node.id !== id) return node
    const next = change(node)
    changed = next !== node
    return next
  })
  return changed ? { ...doc, nodes } : doc
}

/** Moves nodes to new positions (rounded to whole pixels, as stored). */
export function moveNodes(
  doc: PipelineDocument,
  positions: ReadonlyMap<string, { x: number; y: number }>,
): PipelineDocument {
  let changed = false
  const nodes = doc.nodes.map((node) => {
    const to = positions.get(node.id)
    if (!to) return node
    const position = { x: Math.round(to.x), y: Math.round(to.y) }
    if (position.x === node.position.x && position.y === node.position.y) return node
    changed = true
    return { ...node, position }
  })
  return changed ? { ...doc, nodes } : doc
}

/** What copying puts on the clipboard: the chosen nodes and the edges among them. */
export interface Fragment {
  sluice: 'pipeline-fragment'
  nodes: PipelineNode[]
  edges: PipelineEdge[]
}

export function fragmentOf(doc: PipelineDocument, nodeIds: Iterable<string>): Fragment {
  const chosen = new Set(nodeIds)
  return {
    sluice: 'pipeline-fragment',
    nodes: doc.nodes.filter((node) => chosen.has(node.id)),
    edges: doc.edges.filter((edge) => chosen.has(edge.source) && chosen.has(edge.target)),
  }
}

/**
 * Adds a copied fragment with fresh ids, shifted by `offset`; its internal edges follow the new
 * ids. Returns the new node ids so the editor can select what was pasted.
 */
export function pasteFragment(
  doc: PipelineDocument,
  fragment: Fragment,
  offset: { x: number; y: number },
): { doc: PipelineDocument; nodeIds: string[] } {
  const taken = new Set<string>()
  const renamed = new Map<string, string>()
  for (const node of fragment.nodes) {
    const id = uniqueId(doc, node.id.replace(/-\d+$/, ''), taken)
    taken.add(id)
    renamed.set(node.id, id)
  }
  const nodes = fragment.nodes.map(
    (node) =>
      ({
        ...structuredClone(node),
        id: renamed.get(node.id)!,
        position: { x: node.position.x + offset.x, y: node.position.y + offset.y },
      }) as PipelineNode,
  )
  const edges = fragment.edges.flatMap((edge) => {
    const source = renamed.get(edge.source)
    const target = renamed.get(edge.target)
    if (!source || !target) return []
    const id = uniqueId(doc, `${source}-${target}`, taken)
    taken.add(id)
    return [{ id, source, target }]
  })
  return {
    doc: { ...doc, nodes: [...doc.nodes, ...nodes], edges: [...doc.edges, ...edges] },
    nodeIds: nodes.map((node) => node.id),
  }
}

/** Clipboard text in the shape of a copied fragment, not yet checked; null when it is not one. */
export function fragmentShaped(text: string): Partial<Fragment> | null {
  let value: Partial<Fragment>
  try {
    value = JSON.parse(text) as Partial<Fragment>
  } catch {
    return null
  }
  if (value?.sluice !== 'pipeline-fragment' || !Array.isArray(value.nodes) || !Array.isArray(value.edges))
    return null
  return value
}

/**
 * Reads a fragment back from clipboard text, checked like a document; null when it is not one.
 * The document schema (zod) loads on the first paste, not before the canvas draws.
 */
export async function parseFragment(text: string): Promise<Fragment | null> {
  const value = fragmentShaped(text)
  if (!value?.nodes || !value.edges) return null
  const { pipelineNodeSchema, pipelineEdgeSchema } = await import('../../nodes/pipeline.ts')
  const nodes = value.nodes.map((node) => pipelineNodeSchema.safeParse(node))
  const edges = value.edges.map((edge) => pipelineEdgeSchema.safeParse(edge))
  if (![...nodes, ...edges].every((parsed) => parsed.success)) return null
  return {
    sluice: 'pipeline-fragment',
    nodes: nodes.map((parsed) => parsed.data!),
    edges: edges.map((parsed) => parsed.data!),
  }
}

/** The authorization node wired into job node `nodeId`, if any. */
export function authorizationNodeOf(doc: PipelineDocument, nodeId: string) {
  const sources = new Set(doc.edges.filter((edge) => edge.target === nodeId).map((edge) => edge.source))
  return doc.nodes.find(
    (node): node is Extract<PipelineNode, { kind: 'authorization' }> =>
      node.kind === 'authorization' && sources.has(node.id),
  )
}

/**
 * Points job node `nodeId` at a Vault authorization: the authorization node already wired into it
 * takes the new reference; otherwise one on the canvas holding it is wired in, or a new one is
 * placed to the node's left and wired.
 */
export function wireAuthorization(
  doc: PipelineDocument,
  nodeId: string,
  authorization: { id: string; name: string; provider: string },
): PipelineDocument {
  const job = doc.nodes.find((node) => node.id === nodeId)
  if (!job) return doc
  const wired = authorizationNodeOf(doc, nodeId)
  if (wired)
    return updateNode(
      doc,
      wired.id,
      (node) =>
        ({
          ...node,
          name: authorization.name,
          data: { authorizationId: authorization.id },
        }) as PipelineNode,
    )
  const existing = doc.nodes.find(
    (node) =>
      node.kind === 'authorization' &&
      node.provider === authorization.provider &&
      node.data.authorizationId === authorization.id,
  )
  let next = doc
  let authNodeId = existing?.id
  if (!authNodeId) {
    authNodeId = uniqueId(doc, `${authorization.provider}-auth`)
    next = addNode(doc, {
      id: authNodeId,
      kind: 'authorization',
      provider: authorization.provider,
      name: authorization.name,
      position: { x: job.position.x - 320, y: job.position.y },
      data: { authorizationId: authorization.id },
    })
  }
  const wiredIn = connect(next, authNodeId, nodeId)
  return wiredIn.ok ? wiredIn.doc : next
}
