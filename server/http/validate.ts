import type { StandardSchemaV1 } from '@standard-schema/spec'
import type { ValidationTargets } from 'hono'
import { validator } from 'hono-openapi'
import { z } from 'zod'
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

/**
 * Path of the first string holding U+0000, which PostgreSQL text cannot store. Iterative, so a
 * deeply nested body cannot overflow the stack.
 */
export function nulPath(value: unknown): string | null {
  const stack: [unknown, string][] = [[value, '']]
  while (stack.length) {
    const [item, path] = stack.pop()!
    if (typeof item === 'string') {
      if (item.includes('\u0000')) return path
    } else if (item && typeof item === 'object') {
      for (const [key, inner] of Object.entries(item)) {
        if (key.includes('\u0000')) return path
        stack.push([inner, path ? `${path}.${key}` : key])
      }
    }
  }
  return null
}

function check<T extends keyof ValidationTargets, S extends z.ZodType>(target: T, schema: S) {
  return validator(target, schema, (result) => {
    const where = WHERE[target] ?? target
    if (result.success) {
      const path = nulPath(result.data)
      if (path !== null) {
        throw new ApiError(
          400,
          'ValidationFailed',
          `${path ? `${where}.${path}` : where}: must not contain the NUL character`,
        )
      }
    } else {
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

/** The `:id` path parameter every resource route takes. */
export const idParam = z.strictObject({ id: z.string().min(1).max(100) })
