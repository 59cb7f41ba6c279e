import { EventSource } from 'eventsource'

export interface ReceivedEvent {
  /** The SSE event id (an outbox position). */
  id: string
  topic: string
  data: Record<string, unknown>
}

const TOPICS = ['job.status', 'job.log', 'job.progress', 'job.metrics', 'pipeline.deployed', 'reset']

/**
 * A browser-like SSE client (the `eventsource` package, which follows the WHATWG EventSource
 * spec, reconnecting with Last-Event-ID) that remembers every event it got.
 * @example const sse = await openEvents(`${base}/api/events?jobs=${id}`, { cookie }); await sse.until((e) => e.topic === 'job.status')
 */
export async function openEvents(url: string, options: { cookie?: string; lastEventId?: string } = {}) {
  const received: ReceivedEvent[] = []
  const waiters = new Set<() => void>()
  const source = new EventSource(url, {
    fetch: (input, init) =>
      fetch(input, {
        ...init,
        headers: {
          ...(init?.headers as Record<string, string>),
          ...(options.cookie ? { cookie: options.cookie } : {}),
          // The first connection resumes where the caller says; reconnections send their own.
          ...(options.lastEventId !== undefined && received.length === 0
            ? { 'last-event-id': options.lastEventId }
            : {}),
        },
      }),
  })
  for (const topic of TOPICS) {
    source.addEventListener(topic, (event) => {
      received.push({ id: event.lastEventId, topic, data: JSON.parse(event.data) })
      for (const wake of waiters) wake()
    })
  }
  await new Promise<void>((resolve, reject) => {
    source.onopen = () => resolve()
    source.onerror = (error) => reject(new Error(`SSE connection failed: ${error.message ?? error.code}`))
  })
  source.onerror = () => undefined
  return {
    received,
    source,
    /** Resolves with the first event (received or yet to come) after `from` that `match`es. */
    until(match: (event: ReceivedEvent) => boolean, timeoutMs = 10_000, from = 0): Promise<ReceivedEvent> {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = received.slice(from).find(match)
          if (!found) return false
          waiters.delete(check)
          clearTimeout(timer)
          resolve(found)
          return true
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(
            new Error(`no matching event within ${timeoutMs} ms; got ${JSON.stringify(received.slice(-5))}`),
          )
        }, timeoutMs)
        if (!check()) waiters.add(check)
      })
    },
    close: () => source.close(),
  }
}
