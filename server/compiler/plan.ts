import type { Cadence } from '../../nodes/cadence.ts'
import { findJobType } from '../../nodes/index.ts'
import { isJobKind, type JobNode, type PipelineDocument } from '../../nodes/pipeline.ts'
import type { Job, JobType } from '../db/schema.ts'

/** What one job node compiles to. */
export interface JobSpec {
  nodeId: string
  name: string
  description: string
  provider: string
  jobType: string
  type: Exclude<JobType, 'system'>
  authorizationId: string | null
  /** Parsed by the job type's schema, defaults applied, so later default changes do not move it. */
  config: Record<string, unknown>
  cadence: Cadence
  mapping: unknown
}

const TYPE_OF = { source: 'import', destination: 'export', enrichment: 'enrichment' } as const

/** Compiles a valid document into one spec per source, destination and enrichment node. */
export function jobSpecs(doc: PipelineDocument): JobSpec[] {
  // The authorization wired into each job node (validation allows at most one).
  const authorizationOf = new Map<string, string | null>()
  const byId = new Map(doc.nodes.map((node) => [node.id, node]))
  for (const edge of doc.edges) {
    const source = byId.get(edge.source)
    if (source?.kind === 'authorization') authorizationOf.set(edge.target, source.data.authorizationId)
  }
  return doc.nodes
    .filter((node): node is JobNode => isJobKind(node.kind))
    .map((node) => {
      const jobType = findJobType(node.provider, node.jobType)
      if (!jobType)
        throw new Error(`jobSpecs called on an invalid document: ${node.provider}.${node.jobType}`)
      return {
        nodeId: node.id,
        name: node.name,
        description: node.description ?? '',
        provider: node.provider,
        jobType: node.jobType,
        type: TYPE_OF[node.kind],
        authorizationId: authorizationOf.get(node.id) ?? null,
        config: jobType.config.parse(node.data.config) as Record<string, unknown>,
        cadence: node.data.cadence ?? jobType.defaultCadence,
        mapping: node.data.mapping ?? null,
      }
    })
}

export interface Change {
  field: string
  before: unknown
  after: unknown
}

export interface Plan {
  create: { nodeId: string; name: string; provider: string; jobType: string; type: string }[]
  update: {
    jobId: string
    nodeId: string
    name: string
    changes: Change[]
    resetsCheckpoint: boolean
    revive: boolean
  }[]
  remove: { jobId: string; nodeId: string; name: string }[]
  unchanged: { jobId: string; nodeId: string }[]
}

/** Key order does not matter for equality of stored JSON. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  )
}

const parse = (text: string | null): unknown => (text === null ? null : JSON.parse(text))

/** The fields of a job that differ from its spec. */
function diff(job: Job, spec: JobSpec): Change[] {
  const changes: Change[] = []
  const compare = (field: string, before: unknown, after: unknown) => {
    if (canonical(before) !== canonical(after)) changes.push({ field, before, after })
  }
  compare('name', job.name, spec.name)
  compare('description', job.description, spec.description)
  compare('provider', job.provider, spec.provider)
  compare('jobType', job.job_type, spec.jobType)
  compare('authorizationId', job.authorization_id, spec.authorizationId)
  compare('cadence', parse(job.cadence), spec.cadence)
  compare('mapping', parse(job.mapping), spec.mapping)
  const before = (parse(job.config) ?? {}) as Record<string, unknown>
  for (const key of new Set([...Object.keys(before), ...Object.keys(spec.config)])) {
    compare(`config.${key}`, before[key], spec.config[key])
  }
  return changes
}

/**
 * What a deploy will do, keyed by `(pipeline, node)`: jobs to create, update (flagging checkpoint
 * resets) and remove. A removed job whose node comes back is revived with its id and history.
 */
export function planDeploy(specs: JobSpec[], existing: Job[]): Plan {
  const byNode = new Map(existing.map((job) => [job.node_id, job]))
  const plan: Plan = { create: [], update: [], remove: [], unchanged: [] }
  const wanted = new Set(specs.map((spec) => spec.nodeId))
  for (const spec of specs) {
    const job = byNode.get(spec.nodeId)
    if (!job) {
      plan.create.push({
        nodeId: spec.nodeId,
        name: spec.name,
        provider: spec.provider,
        jobType: spec.jobType,
        type: spec.type,
      })
      continue
    }
    const changes = diff(job, spec)
    const revive = job.status === 'removed'
    if (!changes.length && !revive) {
      plan.unchanged.push({ jobId: job.id, nodeId: spec.nodeId })
      continue
    }
    const resets = new Set<string>(findJobType(spec.provider, spec.jobType)?.resetsCheckpoint ?? [])
    const resetsCheckpoint = changes.some(
      (change) =>
        change.field === 'provider' ||
        change.field === 'jobType' ||
        (change.field.startsWith('config.') && resets.has(change.field.slice('config.'.length))),
    )
    plan.update.push({
      jobId: job.id,
      nodeId: spec.nodeId,
      name: spec.name,
      changes,
      resetsCheckpoint,
      revive,
    })
  }
  for (const job of existing) {
    if (job.status !== 'removed' && job.node_id && !wanted.has(job.node_id)) {
      plan.remove.push({ jobId: job.id, nodeId: job.node_id, name: job.name })
    }
  }
  return plan
}

export const isEmptyPlan = (plan: Plan) => !plan.create.length && !plan.update.length && !plan.remove.length
