/** The one error the API raises for anything a caller can fix; `onError` renders it. */
export class ApiError extends Error {
  readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 503
  readonly code: string
  readonly details: unknown
  constructor(
    status: ApiError['status'],
    code: string,
    message: string,
    options: { details?: unknown; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause })
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.details = options.details
  }
}

export const notFound = (what: string, id: string) =>
  new ApiError(404, 'NotFound', `${what} "${id}" does not exist`)

/** Turns any thrown value into an Error, keeping the original as `cause`. */
export function coerceError(value: unknown): Error {
  if (value instanceof Error) return value
  return new Error(typeof value === 'string' ? value : JSON.stringify(value), { cause: value })
}
