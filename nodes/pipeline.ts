import { z } from 'zod'
import { cadenceSchema } from './cadence.ts'

/** The pipeline document (API.md) and the one edge-rules function (DESIGN.md §2). Isomorphic. */

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

// Ids come from the canvas (React Flow makes ids like `xy-edge__a-b`): any printable text.
const nodeId = z
  .string()
  .min(1)
  .max(120)
  .refine(
    (id) => ![...id].some((ch) => ch.charCodeAt(0) < 32 || ch.charCodeAt(0) === 127),
    'must not contain control characters',
  )

const position = z.strictObject({ x: z.number().finite(), y: z.number().finite() })

/** A mapping entry: a source field to a profile attribute (or profile attribute to destination field). */
export const mappingFieldSchema = z.strictObject({
  from: z.string().min(1).max(200),
  to: z.string().min(1).max(200),
  transform: z.enum(['lowercase', 'uppercase', 'trim', 'number', 'boolean', 'date', 'string']).optional(),
  identity: z.boolean().optional(),
})
export const mappingSchema = z.strictObject({ fields: z.array(mappingFieldSchema).max(500) })

const common = {
  id: nodeId,
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2000).optional(),
  position,
}

const jobData = z.strictObject({
  config: z.record(z.string(), z.unknown()).default({}),
  cadence: cadenceSchema.optional(),
  mapping: mappingSchema.optional(),
})

const jobNode = <K extends JobKind>(kind: K) =>
  z.strictObject({
    ...common,
    kind: z.literal(kind),
    provider: z.string().min(1).max(100),
    jobType: z.string().min(1).max(100),
    data: jobData,
  })

export const pipelineNodeSchema = z.discriminatedUnion('kind', [
  jobNode('source'),
  jobNode('destination'),
  jobNode('enrichment'),
  z.strictObject({
    ...common,
    kind: z.literal('authorization'),
    provider: z.string().min(1).max(100),
    data: z.strictObject({ authorizationId: z.string().max(100).nullable().default(null) }),
  }),
  z.strictObject({
    ...common,
    kind: z.literal('audience'),
    data: z.strictObject({ audienceId: z.string().max(100) }),
  }),
  z.strictObject({
    ...common,
    kind: z.literal('note'),
    data: z.strictObject({ text: z.string().max(10_000) }),
  }),
])

export const pipelineEdgeSchema = z.strictObject({ id: nodeId, source: nodeId, target: nodeId })

export const pipelineDocumentSchema = z.strictObject({
  version: z.literal(1),
  nodes: z.array(pipelineNodeSchema).max(500),
  edges: z.array(pipelineEdgeSchema).max(2000),
})

export type PipelineNode = z.infer<typeof pipelineNodeSchema>
export type PipelineEdge = z.infer<typeof pipelineEdgeSchema>
export type PipelineDocument = z.infer<typeof pipelineDocumentSchema>
export type JobNode = Extract<PipelineNode, { kind: JobKind }>

export const EMPTY_DOCUMENT: PipelineDocument = { version: 1, nodes: [], edges: [] }

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
 * Decides whether `candidate` may be added to a graph that already holds `edges`.
 * The canvas calls it from `isValidConnection`; the compiler replays a document's edges through it.
 * @example canConnect(doc.nodes, doc.edges, { source: 'auth1', target: 'src1' })
 */
export function canConnect(
  nodes: readonly NodeLike[],
  edges: readonly EdgeLike[],
  candidate: EdgeLike,
): EdgeVerdict {
  const byId = new Map(nodes.map((node) => [node.id, node]))
  const from = byId.get(candidate.source)
  const to = byId.get(candidate.target)
  if (!from || !to) {
    const missing = from ? candidate.target : candidate.source
    return {
      ok: false,
      code: 'UnknownNode',
      message: `the edge refers to node "${missing}", which does not exist`,
    }
  }
  if (from.id === to.id) return { ok: false, code: 'SelfEdge', message: 'a node cannot connect to itself' }
  // Checked before the kind rules: "would make a cycle" explains a backwards drag better.
  if (reaches(edges, to.id, from.id)) {
    return {
      ok: false,
      code: 'Cycle',
      message: `connecting ${label(from)} to ${label(to)} would make a cycle`,
    }
  }
  if (!ALLOWED_TARGETS[from.kind].includes(to.kind)) {
    const allowed = ALLOWED_TARGETS[from.kind]
    const hint = allowed.length
      ? `; a ${from.kind} connects to ${allowed.join(', ')}`
      : `; a ${from.kind} has no outputs`
    return {
      ok: false,
      code: 'EdgeNotAllowed',
      message: `${label(from)} cannot connect to ${label(to)}${hint}`,
    }
  }
  if (edges.some((edge) => edge.source === from.id && edge.target === to.id)) {
    return {
      ok: false,
      code: 'DuplicateEdge',
      message: `${label(from)} is already connected to ${label(to)}`,
    }
  }
  if (from.kind === 'authorization') {
    if (from.provider !== to.provider) {
      return {
        ok: false,
        code: 'ProviderMismatch',
        message: `${label(from)} is for provider "${from.provider}" but ${label(to)} uses "${to.provider}"`,
      }
    }
    const hasOne = edges.some(
      (edge) => edge.target === to.id && byId.get(edge.source)?.kind === 'authorization',
    )
    if (hasOne) {
      return {
        ok: false,
        code: 'TooManyAuthorizations',
        message: `${label(to)} already has an authorization`,
      }
    }
  }
  if (reaches(edges, to.id, from.id)) {
    return {
      ok: false,
      code: 'Cycle',
      message: `connecting ${label(from)} to ${label(to)} would make a cycle`,
    }
  }
  return { ok: true }
}

/** True when a path of edges leads from `start` to `goal`. */
function reaches(edges: readonly EdgeLike[], start: string, goal: string): boolean {
  const seen = new Set<string>()
  const stack = [start]
  while (stack.length) {
    const id = stack.pop()!
    if (id === goal) return true
    if (seen.has(id)) continue
    seen.add(id)
    for (const edge of edges) if (edge.source === id) stack.push(edge.target)
  }
  return false
}

/** Every edge problem in a document, each naming the first edge that breaks a rule. */
export function edgeProblems(doc: {
  nodes: readonly NodeLike[]
  edges: readonly (EdgeLike & { id: string })[]
}) {
  const accepted: EdgeLike[] = []
  const problems: { edgeId: string; code: EdgeProblemCode; message: string }[] = []
  for (const edge of doc.edges) {
    const verdict = canConnect(doc.nodes, accepted, edge)
    if (verdict.ok) accepted.push(edge)
    else problems.push({ edgeId: edge.id, code: verdict.code, message: verdict.message })
  }
  return problems
}

/** Ids of the nodes with an edge into `nodeId`. */
export function upstreamOf(doc: { edges: readonly EdgeLike[] }, nodeId: string): string[] {
  return doc.edges.filter((edge) => edge.target === nodeId).map((edge) => edge.source)
}
