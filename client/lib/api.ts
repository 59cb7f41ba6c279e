/** The one way the client talks to the server: JSON in and out, the session cookie, typed errors. */

/** An error answer from the API, from its `{ error: { code, message, details? } }` body. */
export class ApiRequestError extends Error {
  readonly status: number
  readonly code: string
  readonly details: unknown
  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message)
    this.name = 'ApiRequestError'
    this.status = status
    this.code = code
    this.details = details
  }
}

export type Query = Record<string, string | number | undefined | null>

export interface Page<T> {
  items: T[]
  /** The `X-Next-Cursor` header: pass it back as `?cursor=` for the next page. */
  nextCursor: string | null
}

type Listener = () => void
const unauthorizedListeners = new Set<Listener>()

/**
 * Calls `listener` when a request answers 401 outside /api/auth/, i.e. the session ended.
 * Returns the unsubscribe function.
 */
export function onUnauthorized(listener: Listener): () => void {
  unauthorizedListeners.add(listener)
  return () => unauthorizedListeners.delete(listener)
}

function withQuery(path: string, query?: Query): string {
  if (!query) return path
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value))
  }
  const text = params.toString()
  return text ? `${path}?${text}` : path
}

async function errorFrom(response: Response): Promise<ApiRequestError> {
  const body: unknown = await response.json().catch(() => null)
  const error = typeof body === 'object' && body !== null ? (body as { error?: unknown }).error : undefined
  if (typeof error === 'object' && error !== null) {
    const { code, message, details } = error as { code?: unknown; message?: unknown; details?: unknown }
    return new ApiRequestError(
      response.status,
      typeof code === 'string' ? code : 'HttpError',
      typeof message === 'string' ? message : response.statusText,
      details,
    )
  }
  // A proxy or gateway answered, not Sluice (e.g. the server is restarting behind Vite's proxy).
  const message =
    response.status >= 500
      ? `The server could not answer (HTTP ${response.status}). Try again in a moment.`
      : `Request failed: HTTP ${response.status} ${response.statusText}`
  return new ApiRequestError(response.status, 'HttpError', message)
}

async function send(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Response> {
  let response: Response
  try {
    response = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers:
        body === undefined
          ? { Accept: 'application/json' }
          : { Accept: 'application/json', 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    })
  } catch (cause) {
    if (signal?.aborted) throw cause
    throw new ApiRequestError(0, 'NetworkError', 'Cannot reach the Sluice server. Check that it is running.')
  }
  if (!response.ok) {
    if (response.status === 401 && !path.startsWith('/api/auth/'))
      for (const listener of unauthorizedListeners) listener()
    throw await errorFrom(response)
  }
  return response
}

async function json<T>(response: Response): Promise<T> {
  if (response.status === 204) return undefined as T
  const text = await response.text()
  return (text ? JSON.parse(text) : undefined) as T
}

export const api = {
  get: async <T>(path: string, query?: Query, signal?: AbortSignal): Promise<T> =>
    json<T>(await send('GET', withQuery(path, query), undefined, signal)),

  /** One page of a list endpoint, with the cursor for the next. */
  list: async <T>(path: string, query?: Query, signal?: AbortSignal): Promise<Page<T>> => {
    const response = await send('GET', withQuery(path, query), undefined, signal)
    return { items: await json<T[]>(response), nextCursor: response.headers.get('X-Next-Cursor') }
  },

  post: async <T>(path: string, body: unknown = {}): Promise<T> => json<T>(await send('POST', path, body)),
  put: async <T>(path: string, body: unknown): Promise<T> => json<T>(await send('PUT', path, body)),
  patch: async <T>(path: string, body: unknown): Promise<T> => json<T>(await send('PATCH', path, body)),
  delete: async <T = void>(path: string): Promise<T> => json<T>(await send('DELETE', path)),
}

/** The message to show a person for any thrown value. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message
  return String(error)
}

export const isApiError = (error: unknown, status?: number, code?: string): error is ApiRequestError =>
  error instanceof ApiRequestError &&
  (status === undefined || error.status === status) &&
  (code === undefined || error.code === code)
