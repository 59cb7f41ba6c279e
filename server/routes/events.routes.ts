import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response'
import { Hono } from 'hono'
import { z } from 'zod'
import { OUTBOX_START, parsePosition } from '../db/outbox.repo.ts'
import { ApiError } from '../errors.ts'
import type { EventFilter, EventSink } from '../events/hub.ts'
import type { AppEnv } from '../http/context.ts'
import { route } from '../http/route.ts'
import { query } from '../http/validate.ts'

export const TOPICS = ['job.status', 'job.log', 'job.progress', 'job.metrics', 'pipeline.deployed'] as const

/** A client this far behind is dropped; its EventSource reconnects and catches up from the outbox. */
const MAX_BUFFERED = 1024 * 1024
const HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
  // Proxies such as nginx would otherwise buffer the stream.
  'x-accel-buffering': 'no',
}

const list = (max: number) =>
  z
    .string()
    .max(max * 40)
    .transform((text) =>
      text
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().min(1).max(100)).max(max))

const eventsQuery = z.strictObject({
  jobs: list(200).optional().meta({ description: 'Comma-separated job ids: only their events' }),
  pipeline: z.string().min(1).max(100).optional().meta({ description: "Only this pipeline's events" }),
  topics: list(TOPICS.length)
    .pipe(z.array(z.enum(TOPICS)))
    .optional()
    .meta({ description: `Comma-separated: ${TOPICS.join(', ')}` }),
  lastEventId: z
    .string()
    .max(40)
    .refine((text) => parsePosition(text) !== null, 'an event id as sent in the stream')
    .optional()
    .meta({ description: 'Resume after this event (as the Last-Event-ID header does)' }),
})

/**
 * `GET /api/events` (DESIGN.md §7): Server-Sent Events from the outbox, each with its outbox id,
 * so `Last-Event-ID` resumes on any process. Written to the raw Node response — a plain writer is
 * 3–4× cheaper per event than a generic stream helper (TOOLCHAIN.md) — or, where there is none
 * (`app.request`), to a web stream.
 */
export const eventRoutes = new Hono<AppEnv>().get(
  '/api/events',
  route('viewer', {
    summary: 'Live job status, logs, progress, metrics and deploys (Server-Sent Events)',
    description:
      'Event ids are outbox ids: reconnect with Last-Event-ID (or ?lastEventId=) to resume without gaps ' +
      'or repeats. A `reset` event means the events after that id are no longer kept: reload, then listen. ' +
      'A comment line every 15 s keeps idle connections open.',
    tags: ['Jobs'],
    responses: { 200: { description: 'text/event-stream' } },
  }),
  query(eventsQuery),
  async (c) => {
    const { hub } = c.get('deps')
    const asked = c.req.valid('query')
    const header = c.req.header('last-event-id')?.trim()
    if (header && parsePosition(header) === null)
      throw new ApiError(400, 'ValidationFailed', 'header.Last-Event-ID: an event id as sent in the stream')
    const resumeFrom = header || asked.lastEventId
    const filter: EventFilter = {
      ...(asked.jobs ? { jobs: new Set(asked.jobs) } : {}),
      ...(asked.pipeline ? { pipeline: asked.pipeline } : {}),
      ...(asked.topics ? { topics: new Set(asked.topics) } : {}),
    }
    const after = resumeFrom ? (parsePosition(resumeFrom) ?? undefined) : undefined
    const outgoing = c.env?.outgoing
    const incoming = c.env?.incoming
    // Headers go out only once the client is subscribed: whatever commits after it sees the
    // stream open reaches it.
    if (outgoing && incoming) {
      outgoing.writeHead(200, HEADERS)
      const sink: EventSink = {
        filter,
        position: OUTBOX_START,
        write: (frame) => {
          if (outgoing.destroyed) return false
          outgoing.write(frame)
          return outgoing.writableLength < MAX_BUFFERED
        },
        close: () => outgoing.end(),
      }
      const unsubscribe = await hub.subscribe(sink, after)
      outgoing.write('retry: 3000\n\n')
      if (incoming.destroyed || outgoing.destroyed) unsubscribe()
      else outgoing.once('close', unsubscribe)
      return RESPONSE_ALREADY_SENT
    }
    const encoder = new TextEncoder()
    let controller!: ReadableStreamDefaultController<Uint8Array>
    let open = true
    let unsubscribe: (() => void) | null = null
    const stream = new ReadableStream<Uint8Array>({
      start: (opened) => {
        controller = opened
      },
      cancel: () => {
        open = false
        unsubscribe?.()
      },
    })
    unsubscribe = await hub.subscribe(
      {
        filter,
        position: OUTBOX_START,
        write: (frame) => {
          if (!open) return false
          controller.enqueue(encoder.encode(frame))
          return (controller.desiredSize ?? 0) > -MAX_BUFFERED
        },
        close: () => {
          if (open) controller.close()
          open = false
        },
      },
      after,
    )
    controller.enqueue(encoder.encode('retry: 3000\n\n'))
    return new Response(stream, { status: 200, headers: HEADERS })
  },
)
