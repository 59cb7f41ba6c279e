import type { StandardSchemaV1 } from '@standard-schema/spec'
import type { ValidationTargets } from 'hono'
import { validator } from 'hono-openapi'
import type { z } from 'zod'
import { ApiError } from '../errors.ts'

const WHERE: Record<string, string> = { json: 'body', query: 'query', param: 'path', header: 'header' }

/** One readable sentence per issue, each naming the field: `body.name: Too small: expected ...`. */
export function describeIssues(issues: readonly StandardSchemaV1.Issue[], prefix: string): string {
  return issues
    .slice(0, 10)
    .map((issue) => {
      const path = (issue.path ?? []).map((part) => (typeof part === 'object' ? part.key : part)).join('.')
      return `${path ? `${prefix}.${path}` : prefix}: ${issue.message}`
    })
    .join('; ')
}

function check<T extends keyof ValidationTargets, S extends z.ZodType>(target: T, schema: S) {
  return validator(target, schema, (result) => {
    if (!result.success) {
      const where = WHERE[target] ?? target
      throw new ApiError(400, 'ValidationFailed', describeIssues(result.error, where), {
        details: { issues: result.error.map((issue) => ({ path: issue.path, message: issue.message })) },
      })
    }
  })
}

/** Validates the JSON body (unknown fields are refused by `z.strictObject` schemas). */
export const body = <S extends z.ZodType>(schema: S) => check('json', schema)
export const query = <S extends z.ZodType>(schema: S) => check('query', schema)
export const params = <S extends z.ZodType>(schema: S) => check('param', schema)
