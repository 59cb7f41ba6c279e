import { Hono } from 'hono'
import type { Selectable } from 'kysely'
import { z } from 'zod'
import { streamName } from '../data/collect-options.ts'
import { findStream, listMessages, listStreams, toMessageJson } from '../db/raw-messages.repo.ts'
import type { StreamTable } from '../db/schema.ts'
import { ApiError, notFound } from '../errors.ts'
import type { AppEnv } from '../http/context.ts'
import { answer, failure, route } from '../http/route.ts'
import { body, params, query } from '../http/validate.ts'
import { messageJson } from './messages.schemas.ts'

const tags = ['Streams']

function toStreamJson(row: Selectable<StreamTable>) {
  return {
    name: row.name,
    messageCount: Number(row.message_count),
    lastMessageAt: row.last_message_at,
    retentionDays: row.retention_days,
    expiredSinceRebuild: Number(row.expired_since_rebuild),
    createdAt: row.created_at,
  }
}
const streamJson = z.object({
  name: z.string(),
  messageCount: z.number().int(),
  lastMessageAt: z.string().nullable(),
  retentionDays: z.number().int().nullable(),
  expiredSinceRebuild: z.number().int().meta({
    description: 'Messages retention deleted since profiles were last rebuilt (a rebuild cannot replay them)',
  }),
  createdAt: z.string(),
})
const listQuery = z.strictObject({
  q: z.string().max(200).optional(),
  sort: z.string().max(40).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  cursor: z.string().max(500).optional(),
})
const messagesQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(40).optional(),
})

export const streamRoutes = new Hono<AppEnv>()
  .get(
    '/api/streams',
    route('viewer', {
      summary: 'Raw streams with their message counts',
      tags,
      responses: { 200: answer(z.array(streamJson), 'Streams') },
    }),
    query(listQuery),
    async (c) => {
      const { items, nextCursor } = await listStreams(c.get('deps').db, c.req.valid('query'))
      if (nextCursor) c.header('X-Next-Cursor', nextCursor)
      const json = items.map(toStreamJson)
      return c.json(json satisfies z.infer<typeof streamJson>[], 200)
    },
  )
  .get(
    '/api/streams/:name',
    route('viewer', {
      summary: 'One stream with its message count and retention',
      tags,
      responses: { 200: answer(streamJson, 'The stream'), 404: failure('No such stream') },
    }),
    params(z.strictObject({ name: streamName })),
    async (c) => {
      const { name } = c.req.valid('param')
      const stream = await findStream(c.get('deps').db, name)
      if (!stream) throw notFound('stream', name)
      return c.json(toStreamJson(stream) satisfies z.infer<typeof streamJson>, 200)
    },
  )
  .get(
    '/api/streams/:name/messages',
    route('viewer', {
      summary: "A stream's raw messages, newest first",
      tags,
      responses: {
        200: answer(z.array(messageJson), 'Messages; X-Next-Cursor when more remain'),
        404: failure('No such stream'),
      },
    }),
    params(z.strictObject({ name: streamName })),
    query(messagesQuery),
    async (c) => {
      const { db } = c.get('deps')
      const { name } = c.req.valid('param')
      const { limit, cursor } = c.req.valid('query')
      if (!(await findStream(db, name))) throw notFound('stream', name)
      const before = cursor === undefined ? undefined : Number(cursor)
      if (before !== undefined && !Number.isSafeInteger(before)) {
        throw new ApiError(
          400,
          'InvalidCursor',
          'the cursor is not valid for this list; start again without it',
        )
      }
      const { items, next } = await listMessages(db, name, { limit, before })
      if (next !== null) c.header('X-Next-Cursor', String(next))
      return c.json(items.map(toMessageJson) satisfies z.infer<typeof messageJson>[], 200)
    },
  )
  .patch(
    '/api/streams/:name',
    route('editor', {
      summary:
        "Set a stream's retention: raw messages older than this many days are deleted (null keeps all)",
      tags,
      responses: { 200: answer(streamJson, 'The stream'), 404: failure('No such stream') },
    }),
    params(z.strictObject({ name: streamName })),
    body(z.strictObject({ retentionDays: z.int().min(1).max(36_500).nullable() })),
    async (c) => {
      const { db } = c.get('deps')
      const { name } = c.req.valid('param')
      if (!(await findStream(db, name))) throw notFound('stream', name)
      await db
        .updateTable('streams')
        .set({ retention_days: c.req.valid('json').retentionDays })
        .where('name', '=', name)
        .execute()
      return c.json(toStreamJson((await findStream(db, name))!) satisfies z.infer<typeof streamJson>, 200)
    },
  )
