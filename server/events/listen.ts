import pg from 'pg'
import type { Logger } from '../log.ts'

/** The channel the outbox trigger NOTIFYs (migration 0009); the payload is only the outbox id. */
export const OUTBOX_CHANNEL = 'sluice_outbox'
/** Deploy, resume and run-now NOTIFY this: workers claim at once instead of at their next poll. */
export const WAKE_CHANNEL = 'sluice_wake'

/**
 * LISTENs on its own connection (a pooled one would be handed to queries) and calls `wake` for
 * every notification. A dropped connection is reopened after a second; the hub's poll covers what
 * was missed meanwhile. Resolves to a function that closes it.
 */
export async function listenFor(
  url: string,
  channel: string,
  logger: Logger,
  wake: () => void,
): Promise<() => Promise<void>> {
  let client: pg.Client | null = null
  let closed = false
  let retry: NodeJS.Timeout | null = null

  const open = async () => {
    const next = new pg.Client({ connectionString: url })
    next.on('notification', () => wake())
    next.on('error', (error) => {
      logger.warn({ err: error, channel }, 'a LISTEN connection failed; reconnecting')
      next.end().catch(() => undefined)
      if (client === next) client = null
      schedule()
    })
    await next.connect()
    await next.query(`listen ${channel}`)
    if (closed) {
      await next.end()
      return
    }
    client = next
    // Whatever was notified while it was down is missed: look now.
    wake()
  }
  const schedule = () => {
    if (closed || retry) return
    retry = setTimeout(() => {
      retry = null
      open().catch((error: unknown) => {
        logger.warn({ err: error, channel }, 'a LISTEN connection could not reopen; retrying')
        schedule()
      })
    }, 1000)
    retry.unref()
  }

  await open()
  return async () => {
    closed = true
    if (retry) clearTimeout(retry)
    await client?.end().catch(() => undefined)
  }
}
