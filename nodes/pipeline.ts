import { z } from 'zod'
import { cadenceSchema } from './cadence.ts'
import type { JobKind } from './edge-rules.ts'

/** The pipeline document (API.md), with the edge rules of edge-rules.ts re-exported. Isomorphic. */

export * from './edge-rules.ts'

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

export const mappingTransforms = [
  'lowercase',
  'uppercase',
  'trim',
  'number',
  'boolean',
  'date',
  'string',
] as const

/**
 * A mapping entry: source field(s) to a profile attribute (or a profile attribute to a destination
 * field). `from` may be a dotted path (`traits.email`); several fields are concatenated with
 * `separator`. Transforms apply in order. `drop` removes a field that would otherwise pass through.
 */
export const mappingFieldSchema = z
  .strictObject({
    from: z.union([z.string().min(1).max(200), z.array(z.string().min(1).max(200)).min(1).max(10)]),
    to: z.string().min(1).max(200).optional(),
    transform: z.union([z.enum(mappingTransforms), z.array(z.enum(mappingTransforms)).max(5)]).optional(),
    separator: z.string().max(10).optional(),
    identity: z.boolean().optional(),
    drop: z.boolean().optional(),
  })
  .refine((field) => field.drop || field.to, 'needs "to" (the attribute to write) unless it drops the field')
export const mappingSchema = z.strictObject({
  fields: z.array(mappingFieldSchema).max(500),
  /** Whether fields the mapping does not name pass through under their own names (default true). */
  keepUnmapped: z.boolean().optional(),
})
export type Mapping = z.infer<typeof mappingSchema>
export type MappingField = z.infer<typeof mappingFieldSchema>

const common = {
  id: nodeId,
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2000).optional(),
  position,
}

const MAX_DEPTH = 16

/** How deeply a JSON value nests, counted without recursion (a hostile document cannot overflow the stack). */
export function jsonDepth(value: unknown): number {
  let deepest = 0
  const stack: [unknown, number][] = [[value, 0]]
  while (stack.length) {
    const [item, depth] = stack.pop()!
    deepest = Math.max(deepest, depth)
    if (deepest > MAX_DEPTH) return deepest
    if (item && typeof item === 'object')
      for (const inner of Object.values(item)) stack.push([inner, depth + 1])
  }
  return deepest
}

const jobData = z.strictObject({
  config: z
    .record(z.string(), z.unknown())
    .default({})
    .refine((config) => jsonDepth(config) <= MAX_DEPTH, `must not nest deeper than ${MAX_DEPTH} levels`),
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
  nodes: z.array(pipelineNodeSchema).max(1000),
  edges: z.array(pipelineEdgeSchema).max(2000),
})

export type PipelineNode = z.infer<typeof pipelineNodeSchema>
export type PipelineEdge = z.infer<typeof pipelineEdgeSchema>
export type PipelineDocument = z.infer<typeof pipelineDocumentSchema>
export type JobNode = Extract<PipelineNode, { kind: JobKind }>

export const EMPTY_DOCUMENT: PipelineDocument = { version: 1, nodes: [], edges: [] }
