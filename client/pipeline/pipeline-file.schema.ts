import { z } from 'zod'
import { pipelineDocumentSchema } from '../../nodes/pipeline.ts'
import type { PipelineFile } from './pipeline-file.ts'

/** What an imported pipeline file must hold (see PipelineFile). */
export const pipelineFileSchema: z.ZodType<PipelineFile> = z.object({
  sluice: z.literal('pipeline'),
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2000).nullish(),
  document: pipelineDocumentSchema,
})
