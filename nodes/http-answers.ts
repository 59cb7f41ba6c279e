import { ConnectorError } from './define.ts'

/**
 * What HTTP connectors share about answers they did not get or did not like. Server-only (the
 * connectors import it; the catalogue does not).
 */

/** When a 429's `Retry-After` (seconds or an HTTP date) allows the next request; a minute if it says nothing usable. */
export function retryAtOf(header: string | null, now: Date): Date {
  const seconds = header !== null && /^\d+$/.test(header.trim()) ? Number(header) : null
  if (seconds !== null) return new Date(now.getTime() + seconds * 1000)
  const date = header ? Date.parse(header) : Number.NaN
  return Number.isNaN(date) || date <= now.getTime() ? new Date(now.getTime() + 60_000) : new Date(date)
}

/**
 * A request that got no answer, as a retryable error naming what and why (ECONNREFUSED, a
 * timeout). A refusal of the outbound guard, already classified, passes through as it is.
 */
export function unreachable(error: unknown, what: string): ConnectorError {
  if (error instanceof ConnectorError) return error
  const reason = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message
  return new ConnectorError('transient', `${what} could not be reached (${reason})`)
}

/**
 * An answer that a later try may get past: 429 sleeps until `Retry-After`, 408 and 5xx are
 * retried with back-off. Null for any other status, which the connector classifies itself.
 */
export function retryableAnswer(
  status: number,
  headers: Headers,
  answered: string,
  now: Date,
): ConnectorError | null {
  if (status === 429)
    return new ConnectorError('rate_limited', answered, {
      retryAt: retryAtOf(headers.get('retry-after'), now),
      code: '429',
    })
  if (status >= 500 || status === 408)
    return new ConnectorError('transient', answered, { code: String(status) })
  return null
}
