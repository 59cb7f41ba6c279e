import { z } from 'zod'
import type { Pipeline } from '../db/schema.ts'

/** Versions are PostgreSQL `integer`s: anything larger is refused, not a 500. */
const int32 = z.number().int().positive().max(2_147_483_647)

const name = z.string().trim().min(1, 'must not be empty').max(200)
const description = z.string().max(2000)
/** The document's own shape is checked by `validatePipeline`, which names nodes and edges. */
const document = z
  .looseObject({ version: z.literal(1) })
  .meta({ description: 'A pipeline document (API.md)' })

export const createPipelineBody = z.strictObject({ name, description: description.optional(), document })
export const updatePipelineBody = z.strictObject({
  name: name.optional(),
  description: description.optional(),
  document: document.optional(),
  version: int32,
})
export const deployBody = z.strictObject({ startPaused: z.boolean().optional() })
export const rollbackBody = z.strictObject({ version: int32 })
export const listPipelinesQuery = z.strictObject({
  q: z.string().max(200).optional(),
  sort: z.string().max(40).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  cursor: z.string().max(500).optional(),
})

export const pipelineJson = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  document: z.unknown().meta({ description: 'The draft pipeline document (API.md)' }),
  version: z.number().int(),
  deployedVersion: z.number().int().nullable(),
  createdBy: z.string(),
  updatedBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
})

/** A listed pipeline: its jobs counted by status, for the list's summary. */
export const pipelineListItemJson = pipelineJson.extend({
  jobStatuses: z
    .record(z.string(), z.number().int())
    .meta({ description: 'How many of its jobs are in each status (removed jobs not counted)' }),
})

const problemJson = z.object({
  nodeId: z.string().optional(),
  edgeId: z.string().optional(),
  code: z.string(),
  message: z.string(),
})
export const validateJson = z.object({ ok: z.boolean(), errors: z.array(problemJson) })

const changeJson = z.object({ field: z.string(), before: z.unknown(), after: z.unknown() })
export const planJson = z.object({
  create: z.array(
    z.object({
      nodeId: z.string(),
      name: z.string(),
      provider: z.string(),
      jobType: z.string(),
      type: z.string(),
    }),
  ),
  update: z.array(
    z.object({
      jobId: z.string(),
      nodeId: z.string(),
      name: z.string(),
      changes: z.array(changeJson),
      resetsCheckpoint: z.boolean(),
      revive: z.boolean(),
    }),
  ),
  remove: z.array(z.object({ jobId: z.string(), nodeId: z.string(), name: z.string() })),
  unchanged: z.array(z.object({ jobId: z.string(), nodeId: z.string() })),
})
export const deployJson = z.object({
  version: z.number().int().nullable(),
  changed: z.boolean(),
  jobs: z.array(
    z.object({
      nodeId: z.string(),
      jobId: z.string(),
      action: z.enum(['created', 'updated', 'removed', 'unchanged']),
    }),
  ),
  plan: planJson,
})
export const versionJson = z.object({
  version: z.number().int(),
  deployedBy: z.string(),
  /** The deployer's name while their user exists. */
  deployedByName: z.string().nullable(),
  deployedAt: z.string(),
  document: z.unknown(),
})
export const statusJson = z.object({
  nodes: z.record(
    z.string(),
    z.object({
      jobId: z.string(),
      status: z.string(),
      sleepReason: z.string().nullable(),
      lastEvent: z.object({ event: z.string(), at: z.string(), message: z.string() }).nullable(),
      nextRunAt: z.string().nullable(),
      lastRun: z
        .object({
          outcome: z.string(),
          added: z.number(),
          removed: z.number(),
          omitted: z.number(),
          endedAt: z.string(),
        })
        .nullable(),
      failsAt: z.string().nullable(),
      purgesAt: z.string().nullable(),
    }),
  ),
})

export function toPipelineJson(row: Pipeline): z.infer<typeof pipelineJson> {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    document: JSON.parse(row.document) as unknown,
    version: row.version,
    deployedVersion: row.deployed_version,
    createdBy: row.created_by,
    updatedBy: row.updated_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}
