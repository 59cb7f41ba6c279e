import { Hono } from 'hono'
import { z } from 'zod'
import { collectQuery } from '../data/collect-options.ts'
import { findUpload, listUploads, toUploadJson } from '../db/uploads.repo.ts'
import { notFound } from '../errors.ts'
import type { AppEnv } from '../http/context.ts'
import { answer, failure, route } from '../http/route.ts'
import { idParam, params, query } from '../http/validate.ts'
import { answerBulk, collectAnswer } from './collect.routes.ts'

const tags = ['Uploads']
const uploadJson = z.object({
  id: z.string(),
  stream: z.string(),
  status: z.enum(['receiving', 'published', 'unified', 'rejected', 'failed']),
  format: z.enum(['csv', 'json', 'ndjson']),
  filename: z.string().nullable(),
  timestampField: z.string().nullable(),
  droperrors: z.boolean(),
  bytesRead: z.number(),
  rowsRead: z.number(),
  stored: z.number(),
  duplicates: z.number(),
  rejected: z.number(),
  unified: z.number(),
  errors: z.array(z.object({ row: z.number(), reason: z.string() })),
  error: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  publishedAt: z.string().nullable(),
})
const listQuery = z.strictObject({
  stream: z.string().max(100).optional(),
  status: z.enum(['receiving', 'published', 'unified', 'rejected', 'failed']).optional(),
  q: z.string().min(1).max(200).optional(),
  sort: z.string().max(40).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  cursor: z.string().max(500).optional(),
})

export const uploadRoutes = new Hono<AppEnv>()
  .post(
    '/api/streams/:stream/uploads',
    route('editor', {
      summary: 'Upload a file into a stream from the UI: the same as /collect/bulk/:stream, signed in',
      description:
        "CSV, JSON or NDJSON, optionally gzipped, streamed into staging; the answer is the collect API's. GET /api/uploads/:id shows unification progress.",
      tags,
      responses: {
        200: answer(collectAnswer, 'Stored and published (or counted, with dryrun)'),
        400: failure('Rejected rows without droperrors, or a broken file: nothing was published'),
        415: failure('Not CSV, JSON or NDJSON'),
      },
    }),
    query(collectQuery),
    (c) => answerBulk(c, c.req.valid('query')),
  )
  .get(
    '/api/uploads',
    route('viewer', {
      summary: 'Bulk uploads, newest first; filter by stream or status, q matches the filename',
      tags,
      responses: { 200: answer(z.array(uploadJson), 'Uploads') },
    }),
    query(listQuery),
    async (c) => {
      const { items, nextCursor } = await listUploads(c.get('deps').db, c.req.valid('query'))
      if (nextCursor) c.header('X-Next-Cursor', nextCursor)
      return c.json(items.map(toUploadJson) satisfies z.infer<typeof uploadJson>[], 200)
    },
  )
  .get(
    '/api/uploads/:id',
    route('viewer', {
      summary: "One upload's progress: rows read, stored, rejected and unified",
      tags,
      responses: { 200: answer(uploadJson, 'The upload'), 404: failure('No such upload') },
    }),
    params(idParam),
    async (c) => {
      const { id } = c.req.valid('param')
      const upload = await findUpload(c.get('deps').db, id)
      if (!upload) throw notFound('upload', id)
      return c.json(toUploadJson(upload) satisfies z.infer<typeof uploadJson>, 200)
    },
  )
