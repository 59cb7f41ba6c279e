import { z } from 'zod'
import { streamNameSchema } from '../../nodes/collect/collect.node.ts'

/** Stream names are declared with the Collect API node, which the canvas shares. */
export const streamName = streamNameSchema

const flag = z
  .enum(['true', 'false', '1', '0', ''])
  .optional()
  .transform((value) => value === 'true' || value === '1' || value === '')
  .meta({ description: 'true or false' })

/** `append`: a JSON object whose fields are merged into every row (they win over the row's own). */
const appendParam = z
  .string()
  .max(10_000)
  .optional()
  .transform((text, ctx) => {
    if (text === undefined) return undefined
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      ctx.addIssue({ code: 'custom', message: 'append must be a JSON object, e.g. {"source":"crm"}' })
      return z.NEVER
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      ctx.addIssue({ code: 'custom', message: 'append must be a JSON object, not an array or a value' })
      return z.NEVER
    }
    return parsed as Record<string, unknown>
  })

/** The Lytics collect API's query parameters (both endpoints). `access_token` is the data key. */
export const collectQuery = z.strictObject({
  timestamp_field: z.string().min(1).max(200).optional(),
  dryrun: flag,
  droperrors: flag,
  headers: z
    .string()
    .max(100_000)
    .optional()
    .meta({ description: 'Column names for a CSV without a header row' }),
  delimiter: z.string().max(2).optional().meta({ description: '"," (default), "t" for tab, or "|"' }),
  append: appendParam,
  filename: z.string().max(500).optional(),
  access_token: z.string().max(200).optional(),
})

export type CollectOptions = z.infer<typeof collectQuery>
