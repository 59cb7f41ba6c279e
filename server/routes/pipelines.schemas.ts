import { z } from 'zod'
import type { Pipeline } from '../db/schema.ts'

export const idParam = z.strictObject({ id: z.string().min(1).max(100) })
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
  version: z.number().int().positive(),
})
export const deployBody = z.strictObject({ startPaused: z.boolean().optional() })
export const rollbackBody = z.strictObject({ version: z.number().int().positive() })
export const listPipelinesQuery = z.strictObject({
  q: z.string().max(200).optional(),
  sort: z.string().max(40).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  cursor: z.string().max(500).optional(),
})

export function toPipelineJson(row: Pipeline) {
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
