import type { z } from 'zod'
import type { Provider } from '../../nodes/define.ts'
import { listProviders } from '../../nodes/index.ts'
import {
  edgeProblems,
  isJobKind,
  type JobKind,
  type PipelineDocument,
  pipelineDocumentSchema,
} from '../../nodes/pipeline.ts'
import type { Problem } from './problems.ts'

const DIRECTION_OF: Record<JobKind, string> = {
  source: 'import',
  destination: 'export',
  enrichment: 'enrichment',
}

/** Optional lookups that need the database; later layers (Vault, audiences) supply them. */
export interface ValidateLookups {
  /** The providers to check against; the shipped catalogue unless a test brings its own. */
  catalogue?: readonly Provider[]
  authorizationProvider?: (id: string) => string | null | undefined
  audienceExists?: (id: string) => boolean
}

/** Maps zod issues on the document to problems naming the node or edge they concern. */
function shapeProblems(input: unknown, error: z.ZodError): Problem[] {
  const doc = (typeof input === 'object' && input !== null ? input : {}) as {
    nodes?: unknown
    edges?: unknown
  }
  return error.issues.map((issue) => {
    const [list, index, ...rest] = issue.path
    const at = (items: unknown, i: unknown) =>
      Array.isArray(items) && typeof i === 'number'
        ? (items[i] as { id?: unknown } | undefined)?.id
        : undefined
    const id = at(list === 'nodes' ? doc.nodes : list === 'edges' ? doc.edges : undefined, index)
    const where = rest.length ? rest.join('.') : issue.path.join('.') || 'document'
    const problem: Problem = { code: 'InvalidDocument', message: `${where}: ${issue.message}` }
    if (typeof id === 'string' && list === 'nodes') problem.nodeId = id
    if (typeof id === 'string' && list === 'edges') problem.edgeId = id
    return problem
  })
}

/**
 * Every problem of a pipeline document at once (DESIGN.md §3). The document is valid when the
 * list is empty; then `doc` is the parsed document.
 * @example const { doc, problems } = validatePipeline(body.document)
 */
export function validatePipeline(
  input: unknown,
  lookups: ValidateLookups = {},
): { doc: PipelineDocument | null; problems: Problem[] } {
  const parsed = pipelineDocumentSchema.safeParse(input)
  if (!parsed.success) return { doc: null, problems: shapeProblems(input, parsed.error) }
  const doc = parsed.data
  const problems: Problem[] = []
  const catalogue = lookups.catalogue ?? listProviders()
  const findProvider = (id: string) => catalogue.find((provider) => provider.id === id)
  const findJobType = (providerId: string, jobTypeId: string) =>
    findProvider(providerId)?.jobTypes.find((jobType) => jobType.id === jobTypeId)
  const byId = new Map(doc.nodes.map((node) => [node.id, node]))
  const incoming = new Map<string, string[]>()
  for (const edge of doc.edges) {
    const sources = incoming.get(edge.target) ?? []
    sources.push(edge.source)
    incoming.set(edge.target, sources)
  }
  const fed = fedBySources(doc, byId)

  const seenNodes = new Set<string>()
  for (const node of doc.nodes) {
    if (seenNodes.has(node.id))
      problems.push({ nodeId: node.id, code: 'DuplicateId', message: `two nodes have id "${node.id}"` })
    seenNodes.add(node.id)
  }
  const seenEdges = new Set<string>()
  for (const edge of doc.edges) {
    if (seenEdges.has(edge.id))
      problems.push({ edgeId: edge.id, code: 'DuplicateId', message: `two edges have id "${edge.id}"` })
    seenEdges.add(edge.id)
  }

  for (const node of doc.nodes) {
    if (node.kind === 'authorization') {
      if (!findProvider(node.provider)) {
        problems.push({
          nodeId: node.id,
          code: 'UnknownProvider',
          message: `authorization "${node.name}": unknown provider "${node.provider}"`,
        })
      }
      continue
    }
    if (node.kind === 'audience' && lookups.audienceExists && !lookups.audienceExists(node.data.audienceId)) {
      problems.push({
        nodeId: node.id,
        code: 'UnknownAudience',
        message: `audience "${node.name}" refers to an audience that does not exist`,
      })
    }
    if (!isJobKind(node.kind)) continue
    const jobNode = node as Extract<PipelineDocument['nodes'][number], { kind: JobKind }>
    const provider = findProvider(jobNode.provider)
    if (!provider) {
      problems.push({
        nodeId: node.id,
        code: 'UnknownProvider',
        message: `${node.kind} "${node.name}": unknown provider "${jobNode.provider}"`,
      })
      continue
    }
    const jobType = findJobType(jobNode.provider, jobNode.jobType)
    if (!jobType) {
      const known = provider.jobTypes.map((type) => type.id).join(', ')
      problems.push({
        nodeId: node.id,
        code: 'UnknownJobType',
        message: `${node.kind} "${node.name}": ${provider.title} has no job type "${jobNode.jobType}" (it has ${known})`,
      })
      continue
    }
    if (jobType.direction !== DIRECTION_OF[jobNode.kind]) {
      problems.push({
        nodeId: node.id,
        code: 'KindMismatch',
        message: `"${node.name}": job type ${jobType.id} is an ${jobType.direction} job, not a ${jobNode.kind}`,
      })
    }
    const config = jobType.config.safeParse(jobNode.data.config)
    if (!config.success) {
      for (const issue of config.error.issues) {
        const field = issue.path.length ? `config.${issue.path.join('.')}` : 'config'
        problems.push({
          nodeId: node.id,
          code: 'InvalidConfig',
          message: `"${node.name}" ${field}: ${issue.message}`,
        })
      }
    }
    const cadence = jobNode.data.cadence
    if (jobNode.kind === 'source' && cadence && typeof cadence === 'object' && 'after' in cadence) {
      problems.push({
        nodeId: node.id,
        code: 'InvalidCadence',
        message: `"${node.name}": a source has no upstream; choose a schedule, an interval, once or realtime`,
      })
    }

    const upstream = (incoming.get(node.id) ?? []).map((id) => byId.get(id))
    const authorizations = upstream.filter((other) => other?.kind === 'authorization')
    if (jobType.requiresAuthorization && authorizations.length === 0) {
      problems.push({
        nodeId: node.id,
        code: 'AuthorizationRequired',
        message: `"${node.name}" needs a ${provider.title} authorization wired to it`,
      })
    }
    for (const auth of authorizations) {
      if (auth?.kind !== 'authorization') continue
      if (auth.data.authorizationId === null) {
        problems.push({
          nodeId: auth.id,
          code: 'AuthorizationNotSelected',
          message: `authorization "${auth.name}" does not point at a Vault authorization yet`,
        })
      } else if (lookups.authorizationProvider) {
        const owner = lookups.authorizationProvider(auth.data.authorizationId)
        if (!owner)
          problems.push({
            nodeId: auth.id,
            code: 'UnknownAuthorization',
            message: `authorization "${auth.name}" refers to one that does not exist in the Vault`,
          })
        else if (owner !== jobNode.provider)
          problems.push({
            nodeId: auth.id,
            code: 'ProviderMismatch',
            message: `authorization "${auth.name}" belongs to ${owner}, not ${jobNode.provider}`,
          })
      }
    }
    if (jobNode.kind !== 'source' && !fed.has(node.id)) {
      problems.push({
        nodeId: node.id,
        code: 'NoUpstreamSource',
        message: `"${node.name}" has no source upstream; connect a source (directly or through an audience or enrichment)`,
      })
    }
  }

  problems.push(...edgeProblems(doc))
  return { doc: problems.length ? null : doc, problems }
}

/** Nodes some source reaches through data edges (authorizations carry no data), in one walk. */
function fedBySources(
  doc: PipelineDocument,
  byId: Map<string, PipelineDocument['nodes'][number]>,
): Set<string> {
  const out = new Map<string, string[]>()
  for (const edge of doc.edges) {
    const targets = out.get(edge.source) ?? []
    targets.push(edge.target)
    out.set(edge.source, targets)
  }
  const fed = new Set<string>()
  const stack = doc.nodes.filter((node) => node.kind === 'source').map((node) => node.id)
  while (stack.length) {
    const id = stack.pop()!
    for (const next of out.get(id) ?? []) {
      if (fed.has(next) || byId.get(next)?.kind === 'authorization') continue
      fed.add(next)
      stack.push(next)
    }
  }
  return fed
}
