import type { Kysely } from 'kysely'
import {
  comparePositions,
  OUTBOX_START,
  type OutboxPosition,
  type OutboxRow,
  outboxBounds,
  positionId,
  readOutbox,
} from '../db/outbox.repo.ts'
import type { Database } from '../db/schema.ts'
import type { Logger } from '../log.ts'

/** What a live client asked for; an empty filter means everything. */
export interface EventFilter {
  jobs?: ReadonlySet<string>
  pipeline?: string
  topics?: ReadonlySet<string>
}

/** One connected client, as the hub sees it: where it is, and how to write to it. */
export interface EventSink {
  filter: EventFilter
  /** The last outbox position this client has been sent (or skipped past). */
  position: OutboxPosition
  /** Writes a frame; false when the client cannot keep up and must go (it resumes by Last-Event-ID). */
  write(frame: string): boolean
  close(): void
}

export interface EventHub {
  /**
   * Adds a client. With `after` (its Last-Event-ID) it first gets every kept event after it
   * (from the outbox, however far back), then the live ones, with no gap and no repeat; a
   * position older than what the outbox keeps gets a `reset` event first (reload, then listen).
   * Returns an unsubscribe.
   */
  subscribe(sink: EventSink, after?: OutboxPosition): Promise<() => void>
  /** Reads what is new in the outbox now (NOTIFY, a poll, or a hint from this process). */
  wake(): void
  /** Clients connected to this process. */
  readonly size: number
  stop(): Promise<void>
}

const PAGE = 1000
const HEARTBEAT_MS = 15_000

/** The SSE frame of an outbox row, rendered once however many clients get it. */
export const frameOf = (row: OutboxRow) =>
  `id: ${positionId(row.position)}\nevent: ${row.topic}\ndata: ${row.data}\n\n`

const matches = (filter: EventFilter, row: OutboxRow) =>
  (!filter.topics || filter.topics.has(row.topic)) &&
  (!filter.jobs || (row.job_id !== null && filter.jobs.has(row.job_id))) &&
  (filter.pipeline === undefined || row.pipeline_id === filter.pipeline)

/**
 * Fans the outbox out to this process's SSE clients (DESIGN.md §7). One reader per process reads
 * each new row once and writes its pre-rendered frame to every client that wants it. It reads
 * when woken — by LISTEN/NOTIFY on PostgreSQL (`listen`; the notice carries no data) — and on a
 * short poll while anyone is connected (the only signal on SQLite, and on PostgreSQL the safety
 * net for a lost notice and for rows held back by a transaction still running). Nothing is read
 * while no one listens.
 */
export function createEventHub(options: {
  db: Kysely<Database>
  logger: Logger
  /** How often to look while clients are connected. */
  pollMs: number
  heartbeatMs?: number
  /** Subscribes to change notifications (PostgreSQL); resolves to an unsubscribe. */
  listen?: (wake: () => void) => Promise<() => Promise<void>>
  /**
   * Tells writers that this process has clients (PostgreSQL: the outbox NOTIFYs only then, see
   * migration 0012). `enter` is called before the first client reads and renewed while any is
   * connected; `leave` once none is.
   */
  presence?: { enter(): Promise<void>; leave(): Promise<void>; renewMs: number }
}): EventHub {
  const { db, logger } = options
  const live = new Set<EventSink>()
  /** The newest position read and dispatched to the live clients; null while nobody listens. */
  let head: OutboxPosition | null = null
  let pumping: Promise<void> | null = null
  let again = false
  let poll: NodeJS.Timeout | null = null
  let heartbeat: NodeJS.Timeout | null = null
  let unlisten: Promise<() => Promise<void>> | null = null
  let stopped = false
  let present: Promise<void> | null = null
  let renewal: NodeJS.Timeout | null = null
  /** Registrations run one after another: a leave must not land after the enter that follows it. */
  let registering: Promise<void> = Promise.resolve()
  const register = (step: 'enter' | 'leave', failed: string): Promise<void> => {
    const presence = options.presence
    if (!presence) return Promise.resolve()
    registering = registering
      .then(() => presence[step]())
      .catch((error: unknown) => logger.warn({ err: error }, failed))
    return registering
  }

  /** Registers this process with the writers before a client reads: what commits after is rung. */
  function announce(): Promise<void> {
    present ??= register('enter', 'could not register for event notices; polling only')
    return present
  }

  /** Where reading stands: the newest event a reader can have read now. */
  const newest = async () => (await outboxBounds(db)).last ?? OUTBOX_START

  async function start(): Promise<OutboxPosition> {
    head ??= await newest()
    return head
  }

  function drop(sink: EventSink) {
    live.delete(sink)
    sink.close()
    if (live.size === 0) idle()
  }

  function deliver(sink: EventSink, row: OutboxRow, frame: string): boolean {
    if (comparePositions(row.position, sink.position) <= 0) return true
    sink.position = row.position
    if (!matches(sink.filter, row)) return true
    return sink.write(frame)
  }

  async function pumpOnce(): Promise<void> {
    let after = await start()
    for (;;) {
      const rows = await readOutbox(db, after, PAGE)
      for (const row of rows) {
        const frame = frameOf(row)
        for (const sink of live) if (!deliver(sink, row, frame)) drop(sink)
        after = row.position
      }
      if (head === null || comparePositions(after, head) > 0) head = after
      if (rows.length < PAGE) return
    }
  }

  function wake(): void {
    if (stopped) return
    if (pumping) {
      again = true
      return
    }
    pumping = (async () => {
      do {
        again = false
        try {
          await pumpOnce()
        } catch (error) {
          logger.warn({ err: error }, 'reading the event outbox failed; the next poll retries')
        }
      } while (again && !stopped)
    })().finally(() => {
      pumping = null
    })
  }

  function active(): void {
    if (poll) return
    poll = setInterval(wake, options.pollMs)
    poll.unref()
    heartbeat = setInterval(() => {
      for (const sink of live) if (!sink.write(': keep-alive\n\n')) drop(sink)
    }, options.heartbeatMs ?? HEARTBEAT_MS)
    heartbeat.unref()
    const presence = options.presence
    if (presence && !renewal) {
      renewal = setInterval(() => register('enter', 'event notice registration lapsed'), presence.renewMs)
      renewal.unref()
    }
    if (options.listen && !unlisten)
      unlisten = options.listen(wake).catch((error: unknown) => {
        logger.warn({ err: error }, 'LISTEN for events failed; polling only')
        return async () => {}
      })
  }

  function idle(): void {
    if (poll) clearInterval(poll)
    if (heartbeat) clearInterval(heartbeat)
    if (renewal) clearInterval(renewal)
    poll = heartbeat = renewal = null
    if (present) {
      present = null
      register('leave', 'could not unregister from event notices')
    }
    // Nobody reads while nobody listens: the next client starts from the outbox as it is then.
    head = null
    // Keep the LISTEN connection: reconnecting on every first client would cost more than it saves.
  }

  return {
    get size() {
      return live.size
    },
    wake,
    async subscribe(sink, after) {
      await announce()
      await start()
      // A new client hears what commits from now on, not what the hub has yet to read.
      if (after === undefined) sink.position = await newest()
      else {
        const bounds = await outboxBounds(db)
        // Events after the client's position were trimmed (or it is not one of ours): it must reload.
        const trimmed = bounds.first !== null && comparePositions(after, bounds.first) < 0
        const unknown = comparePositions(after, bounds.last ?? OUTBOX_START) > 0
        if (trimmed || unknown) {
          sink.write(
            `event: reset\ndata: {"reason":"the events after ${positionId(after)} are no longer kept"}\n\n`,
          )
          sink.position = await newest()
        } else sink.position = after
        // Catch up from the outbox until the client is level with the hub; joining in the same
        // turn as the last check means the pump can neither skip it nor send it a row twice.
        while (head !== null && comparePositions(sink.position, head) < 0) {
          const rows = await readOutbox(db, sink.position, PAGE)
          if (rows.length === 0) break
          for (const row of rows) {
            if (!deliver(sink, row, frameOf(row))) {
              sink.close()
              return () => {}
            }
          }
        }
      }
      live.add(sink)
      active()
      return () => {
        if (live.delete(sink) && live.size === 0) idle()
      }
    },
    async stop() {
      stopped = true
      idle()
      for (const sink of [...live]) drop(sink)
      await registering
      await pumping
      if (unlisten) await (await unlisten)()
    },
  }
}
