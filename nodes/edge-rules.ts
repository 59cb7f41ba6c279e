/**
 * The node kinds and the one edge-rules function (DESIGN.md §2), free of zod: the canvas checks
 * every connection with it, and loading zod's schemas first would delay drawing the canvas.
 * The document schema is in pipeline.ts, which re-exports all of this. Isomorphic.
 */

export const NODE_KINDS = [
  'authorization',
  'source',
  'destination',
  'enrichment',
  'audience',
  'note',
] as const
export type NodeKind = (typeof NODE_KINDS)[number]
export const JOB_KINDS = ['source', 'destination', 'enrichment'] as const
export type JobKind = (typeof JOB_KINDS)[number]

export function isJobKind(kind: NodeKind): kind is JobKind {
  return (JOB_KINDS as readonly string[]).includes(kind)
}

/** Which kinds may feed which (DESIGN.md §2). */
const ALLOWED_TARGETS: Record<NodeKind, readonly NodeKind[]> = {
  authorization: ['source', 'destination', 'enrichment'],
  source: ['destination', 'audience', 'enrichment'],
  enrichment: ['audience', 'destination'],
  audience: ['destination'],
  destination: [],
  note: [],
}

export type EdgeVerdict = { ok: true } | { ok: false; code: EdgeProblemCode; message: string }
export type EdgeProblemCode =
  | 'UnknownNode'
  | 'SelfEdge'
  | 'DuplicateEdge'
  | 'EdgeNotAllowed'
  | 'ProviderMismatch'
  | 'TooManyAuthorizations'
  | 'Cycle'

type NodeLike = { id: string; kind: NodeKind; provider?: string; name?: string }
type EdgeLike = { source: string; target: string }

const label = (node: NodeLike) => `${node.kind} "${node.name ?? node.id}"`

/**
 * A graph that grows edge by edge: lookups by id and adjacency sets, so checking one more edge
 * costs one walk of the graph, not one scan of every edge per step.
 */
class EdgeGraph {
  private readonly byId: Map<string, NodeLike>
  private readonly out = new Map<string, Set<string>>()
  /** Job nodes that already have an authorization wired in. */
  private readonly authorized = new Set<string>()

  constructor(nodes: readonly NodeLike[], edges: readonly EdgeLike[] = []) {
    this.byId = new Map(nodes.map((node) => [node.id, node]))
    for (const edge of edges) this.add(edge)
  }

  add(edge: EdgeLike): void {
    const targets = this.out.get(edge.source) ?? new Set<string>()
    targets.add(edge.target)
    this.out.set(edge.source, targets)
    if (this.byId.get(edge.source)?.kind === 'authorization') this.authorized.add(edge.target)
  }

  /** True when a path of edges leads from `start` to `goal`. */
  private reaches(start: string, goal: string): boolean {
    const seen = new Set<string>()
    const stack = [start]
    while (stack.length) {
      const id = stack.pop()!
      if (id === goal) return true
      if (seen.has(id)) continue
      seen.add(id)
      for (const next of this.out.get(id) ?? []) stack.push(next)
    }
    return false
  }

  verdict(candidate: EdgeLike): EdgeVerdict {
    const from = this.byId.get(candidate.source)
    const to = this.byId.get(candidate.target)
    const refuse = (code: EdgeProblemCode, message: string): EdgeVerdict => ({ ok: false, code, message })
    if (!from || !to) {
      const missing = from ? candidate.target : candidate.source
      return refuse('UnknownNode', `the edge refers to node "${missing}", which does not exist`)
    }
    if (from.id === to.id) return refuse('SelfEdge', 'a node cannot connect to itself')
    if (this.out.get(from.id)?.has(to.id)) {
      return refuse('DuplicateEdge', `${label(from)} is already connected to ${label(to)}`)
    }
    // Checked before the kind rules: "would make a cycle" explains a backwards drag better.
    if (this.reaches(to.id, from.id)) {
      return refuse('Cycle', `connecting ${label(from)} to ${label(to)} would make a cycle`)
    }
    const allowed = ALLOWED_TARGETS[from.kind]
    if (!allowed.includes(to.kind)) {
      const hint = allowed.length
        ? `; a ${from.kind} connects to ${allowed.join(', ')}`
        : `; a ${from.kind} has no outputs`
      return refuse('EdgeNotAllowed', `${label(from)} cannot connect to ${label(to)}${hint}`)
    }
    if (from.kind === 'authorization') {
      if (from.provider !== to.provider) {
        return refuse(
          'ProviderMismatch',
          `${label(from)} is for provider "${from.provider}" but ${label(to)} uses "${to.provider}"`,
        )
      }
      if (this.authorized.has(to.id))
        return refuse('TooManyAuthorizations', `${label(to)} already has an authorization`)
    }
    return { ok: true }
  }
}

/**
 * Decides whether `candidate` may be added to a graph that already holds `edges`.
 * The canvas calls it from `isValidConnection`; the compiler replays a document's edges through it.
 * @example canConnect(doc.nodes, doc.edges, { source: 'auth1', target: 'src1' })
 */
export function canConnect(
  nodes: readonly NodeLike[],
  edges: readonly EdgeLike[],
  candidate: EdgeLike,
): EdgeVerdict {
  return new EdgeGraph(nodes, edges).verdict(candidate)
}

/** Every edge problem in a document, each naming the first edge that breaks a rule. */
export function edgeProblems(doc: {
  nodes: readonly NodeLike[]
  edges: readonly (EdgeLike & { id: string })[]
}) {
  const graph = new EdgeGraph(doc.nodes)
  const problems: { edgeId: string; code: EdgeProblemCode; message: string }[] = []
  for (const edge of doc.edges) {
    const verdict = graph.verdict(edge)
    if (verdict.ok) graph.add(edge)
    else problems.push({ edgeId: edge.id, code: verdict.code, message: verdict.message })
  }
  return problems
}

/** Ids of the nodes with an edge into `nodeId`. */
export function upstreamOf(doc: { edges: readonly EdgeLike[] }, nodeId: string): string[] {
  return doc.edges.filter((edge) => edge.target === nodeId).map((edge) => edge.source)
}

/**
 * Nodes data flows to from `nodeId`, directly or through audiences and enrichments; authorizations
 * carry no data and stop the walk.
 * @example downstreamOf(doc, 'src') // Set { 'aud', 'dst' }
 */
export function downstreamOf(
  doc: { nodes: readonly { id: string; kind: NodeKind }[]; edges: readonly EdgeLike[] },
  nodeId: string,
): Set<string> {
  const kinds = new Map(doc.nodes.map((node) => [node.id, node.kind]))
  const out = new Map<string, string[]>()
  for (const edge of doc.edges) out.set(edge.source, [...(out.get(edge.source) ?? []), edge.target])
  const reached = new Set<string>()
  const stack = [nodeId]
  while (stack.length) {
    for (const next of out.get(stack.pop()!) ?? []) {
      if (reached.has(next) || next === nodeId || kinds.get(next) === 'authorization') continue
      reached.add(next)
      stack.push(next)
    }
  }
  return reached
}
