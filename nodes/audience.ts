import { z } from 'zod'

/**
 * An audience filter (DESIGN.md §5): conditions on profile attributes and source streams combined
 * with `and`, `or` and `not`. Isomorphic: the canvas builds filters with it, the server compiles
 * them to SQL.
 * @example { and: [{ field: 'plan', op: 'eq', value: 'pro' }, { stream: 'shop.orders' }] }
 */
export type Scalar = string | number | boolean
export type AttributeCondition =
  | { field: string; op: 'eq' | 'neq' | 'gt' | 'gte' | 'lt' | 'lte' | 'contains'; value: Scalar }
  | { field: string; op: 'in'; value: Scalar[] }
  | { field: string; op: 'exists' }
/** The profile holds data from this stream. */
export type StreamCondition = { stream: string }
export type AudienceFilter =
  | { and: AudienceFilter[] }
  | { or: AudienceFilter[] }
  | { not: AudienceFilter }
  | AttributeCondition
  | StreamCondition

export const COMPARISONS = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'contains'] as const
export const OPERATORS = [...COMPARISONS, 'in', 'exists'] as const
/** Bounds that keep one filter's SQL small enough to plan and run quickly. */
export const MAX_CONDITIONS = 100
export const MAX_DEPTH = 10

// Attribute names go into JSON paths: quotes, backslashes and control characters are refused.
const fieldName = z
  .string()
  .min(1)
  .max(200)
  .regex(
    // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
    /^[^"\\\u0000-\u001f]+$/,
    'an attribute name may not contain quotes, backslashes or control characters',
  )
const scalar = z.union([z.string().max(1000), z.number().finite(), z.boolean()])

const comparison = z
  .strictObject({ field: fieldName, op: z.enum(COMPARISONS), value: scalar })
  .superRefine((condition, ctx) => {
    if (condition.op === 'contains' && typeof condition.value !== 'string')
      ctx.addIssue({ code: 'custom', path: ['value'], message: '"contains" compares text: give a string' })
    if (['gt', 'gte', 'lt', 'lte'].includes(condition.op) && typeof condition.value === 'boolean')
      ctx.addIssue({
        code: 'custom',
        path: ['value'],
        message: `"${condition.op}" orders numbers or text (dates as ISO text): give a number or a string`,
      })
  })
const membership = z.strictObject({
  field: fieldName,
  op: z.literal('in'),
  value: z.array(scalar).min(1).max(500),
})
const existence = z.strictObject({ field: fieldName, op: z.literal('exists') })
const stream = z.strictObject({ stream: z.string().min(1).max(200) })

/** What a filter part that fits no shape should have been: the union's own error says only "invalid". */
function shapeHint(input: unknown): string {
  const shapes =
    'a condition is { field, op, value }, { field, op: "exists" } or { stream }, and a group { and: [...] }, { or: [...] } or { not: ... }'
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return shapes
  const record = input as Record<string, unknown>
  if ('field' in record && !OPERATORS.includes(record.op as never))
    return `unknown operator ${JSON.stringify(record.op)}: use one of ${OPERATORS.join(', ')}`
  if ('field' in record && record.op !== 'exists' && !('value' in record))
    return `"${String(record.op)}" needs a value`
  const keys = Object.keys(record)
  return `${shapes} (this has ${keys.length ? keys.join(', ') : 'no keys'})`
}

const node: z.ZodType<AudienceFilter> = z.lazy(() =>
  z.union(
    [
      z.strictObject({
        and: z.array(node).min(1, 'a group needs at least one condition').max(MAX_CONDITIONS),
      }),
      z.strictObject({
        or: z.array(node).min(1, 'a group needs at least one condition').max(MAX_CONDITIONS),
      }),
      z.strictObject({ not: node }),
      membership,
      existence,
      comparison,
      stream,
    ],
    { error: (issue) => shapeHint(issue.input) },
  ),
)

/** Conditions in a filter, and how deep its groups nest. */
export function measureFilter(filter: AudienceFilter, depth = 1): { conditions: number; depth: number } {
  const children =
    'and' in filter ? filter.and : 'or' in filter ? filter.or : 'not' in filter ? [filter.not] : null
  if (!children) return { conditions: 1, depth }
  return children.reduce(
    (total, child) => {
      const inner = measureFilter(child, depth + 1)
      return { conditions: total.conditions + inner.conditions, depth: Math.max(total.depth, inner.depth) }
    },
    { conditions: 0, depth },
  )
}

export const audienceFilterSchema = node
  .superRefine((filter, ctx) => {
    const { conditions, depth } = measureFilter(filter)
    if (conditions > MAX_CONDITIONS)
      ctx.addIssue({
        code: 'custom',
        message: `a filter holds at most ${MAX_CONDITIONS} conditions (this has ${conditions})`,
      })
    if (depth > MAX_DEPTH)
      ctx.addIssue({ code: 'custom', message: `groups nest at most ${MAX_DEPTH} deep (this nests ${depth})` })
  })
  .meta({
    title: 'Audience filter',
    description:
      'Conditions on profile attributes ({ field, op, value }) and source streams ({ stream }), combined with and, or and not',
  })
