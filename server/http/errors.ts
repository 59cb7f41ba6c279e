import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { isUniqueViolation } from '../db/locks.ts'
import { ApiError } from '../errors.ts'
import type { AppEnv } from './context.ts'

/** The one place errors become responses: `{ error: { code, message, details? } }`. */
export function renderError(error: Error, c: Context<AppEnv>): Response {
  if (error instanceof ApiError) {
    if (error.status === 429) {
      const details = error.details as { retryAfterSeconds?: number } | undefined
      if (details?.retryAfterSeconds) c.header('Retry-After', String(details.retryAfterSeconds))
    }
    const body = {
      error: {
        code: error.code,
        message: error.message,
        ...(error.details !== undefined ? { details: error.details } : {}),
      },
    }
    return c.json(body, error.status)
  }
  if (error instanceof HTTPException && error.status < 500) {
    const malformed = /malformed json/i.test(error.message)
    const code = malformed ? 'MalformedJson' : error.status === 413 ? 'PayloadTooLarge' : 'BadRequest'
    const message = malformed
      ? 'the request body is not valid JSON'
      : error.message || 'the request was refused'
    return c.json({ error: { code, message } }, error.status as ContentfulStatusCode)
  }
  if (isUniqueViolation(error)) {
    // A concurrent request made the same row first; retrying sees the new state.
    return c.json(
      { error: { code: 'Conflict', message: 'a concurrent change got there first; reload and try again' } },
      409,
    )
  }
  const log = c.get('log')
  log.error({ err: error, cause: error.cause }, 'unhandled error')
  return c.json(
    {
      error: {
        code: 'InternalError',
        message: 'something went wrong on our side; the request id is in the logs',
        requestId: c.get('requestId'),
      },
    },
    500,
  )
}
