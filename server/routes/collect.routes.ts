import { Readable } from 'node:stream'
import { type Context, Hono } from 'hono'
import { z } from 'zod'
import { receiveUpload } from '../data/bulk-upload.ts'
import { MAX_LISTED_ERRORS, prepareRows } from '../data/collect-json.ts'
import { collectQuery, streamName } from '../data/collect-options.ts'
import { ingestRealtime } from '../data/ingest.ts'
import { ApiError } from '../errors.ts'
import type { AppEnv } from '../http/context.ts'
import { answer, failure, route } from '../http/route.ts'
import { query } from '../http/validate.ts'

const tags = ['Collect']

/** The answer of the Lytics collect API (API.md), plus `duplicate_count` for messageIds seen before. */
export const collectAnswer = z.object({
  status: z.number().int(),
  message: z.string(),
  data: z.object({
    message_count: z.number().int(),
    rejected_count: z.number().int(),
    duplicate_count: z.number().int(),
    dryrun: z.boolean(),
    droperrors: z.boolean(),
    timestamp_field: z.string().nullable(),
    filename: z.string().nullable(),
    upload_id: z.string().nullable(),
    errors: z.array(z.object({ row: z.number().int(), reason: z.string() })),
  }),
})

/** The stream in the URL, checked as an identifier and against the key's own stream. */
function streamOf(c: {
  req: { param(name: 'stream'): string }
  get(key: 'dataKey'): AppEnv['Variables']['dataKey']
}) {
  const parsed = streamName.safeParse(c.req.param('stream'))
  if (!parsed.success) {
    throw new ApiError(
      400,
      'InvalidStream',
      `stream "${c.req.param('stream')}" ${parsed.error.issues[0]?.message ?? 'is invalid'}`,
    )
  }
  const allowed = c.get('dataKey')?.stream
  if (allowed && allowed !== parsed.data) {
    throw new ApiError(403, 'StreamNotAllowed', `this data key may only write to stream "${allowed}"`)
  }
  return parsed.data
}

/** Content types the bulk endpoint reads (a gzip type takes its format from the filename). */
function bulkFormat(type: string | undefined, encoding: string | undefined, filename: string | undefined) {
  const mime = (type ?? 'text/csv').split(';')[0]!.trim().toLowerCase()
  let gzip = /^(x-)?gzip$/i.test(encoding?.trim() ?? '')
  let format: 'csv' | 'json' | 'ndjson' | undefined
  if (['text/csv', 'application/csv', 'text/plain', 'text/tab-separated-values'].includes(mime))
    format = 'csv'
  else if (mime === 'application/json') format = 'json'
  else if (/^application\/(x-)?(ndjson|jsonl|jsonlines|json-seq)$/.test(mime)) format = 'ndjson'
  else if (mime === 'application/gzip' || mime === 'application/x-gzip') {
    gzip = true
    const name = (filename ?? '').toLowerCase().replace(/\.gz$/, '')
    format = name.endsWith('.json') ? 'json' : /\.(ndjson|jsonl)$/.test(name) ? 'ndjson' : 'csv'
  }
  if (!format) {
    throw new ApiError(
      415,
      'UnsupportedMediaType',
      `send CSV (text/csv), JSON (application/json) or NDJSON (application/x-ndjson), optionally gzipped; got "${type}"`,
    )
  }
  return { format, gzip }
}

export const collectRoutes = new Hono<AppEnv>()
  .post(
    '/collect/json/:stream',
    route('datakey', {
      summary: 'Collect one event (an object) or many (an array), realtime lane (Lytics-compatible)',
      tags,
      responses: {
        200: answer(collectAnswer, 'Stored (or counted, with dryrun)'),
        400: failure('Rejected rows without droperrors: nothing was stored'),
        413: failure('Body over 1 MB: use /collect/bulk'),
      },
    }),
    query(collectQuery),
    async (c) => {
      const { clock } = c.get('deps')
      const stream = streamOf(c)
      const options = c.req.valid('query')
      let body: unknown
      try {
        body = await c.req.json()
      } catch {
        throw new ApiError(
          400,
          'MalformedJson',
          'the body is not valid JSON; send an object or an array of objects',
        )
      }
      const rows = Array.isArray(body) ? body : [body]
      const prepared = prepareRows(rows, {
        stream,
        lane: 'realtime',
        receivedAt: clock.now().toISOString(),
        timestampField: options.timestamp_field,
        append: options.append,
      })
      if (prepared.rejected > 0 && !options.droperrors) {
        throw new ApiError(
          400,
          'RowsRejected',
          `${prepared.rejected} of ${rows.length} rows were rejected, so nothing was stored; fix them or send droperrors=true to store the rest`,
          { details: { rejected_count: prepared.rejected, errors: prepared.errors } },
        )
      }
      const { duplicates } = options.dryrun
        ? { duplicates: 0 }
        : await ingestRealtime(c.get('deps'), prepared.messages)
      const accepted = prepared.messages.length
      return c.json(
        {
          status: 200,
          message: options.dryrun ? 'dryrun: nothing stored' : 'success',
          data: {
            message_count: accepted,
            rejected_count: prepared.rejected,
            duplicate_count: duplicates,
            dryrun: options.dryrun,
            droperrors: options.droperrors,
            timestamp_field: options.timestamp_field ?? null,
            filename: options.filename ?? null,
            upload_id: null,
            errors: prepared.errors.slice(0, MAX_LISTED_ERRORS),
          },
        } satisfies z.infer<typeof collectAnswer>,
        200,
      )
    },
  )
  .post(
    '/collect/bulk/:stream',
    route('datakey', {
      summary: 'Upload a CSV, JSON or NDJSON file (optionally gzipped) through staging (Lytics-compatible)',
      description:
        'The body streams into staging under an upload id; when parsing ends one flip publishes it and the bulk lane unifies it. GET /api/uploads/:id shows progress.',
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

async function* emptyBody(): AsyncGenerator<Uint8Array> {}

/** A sender that hangs up mid-file gets a 4xx (should it still listen), not a server error. */
function interrupted(error: unknown): never {
  const code = (error as { code?: unknown } | null)?.code
  const cutOff =
    error instanceof Error &&
    (error.message === 'aborted' || code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE')
  if (!cutOff) throw error
  throw new ApiError(
    400,
    'UploadInterrupted',
    'the upload was cut off before its end, so nothing was published; send the file again',
    { cause: error },
  )
}

/**
 * The upload's bytes with backpressure. Under @hono/node-server the Node request itself is read:
 * the web stream it is wrapped in (Readable.toWeb on Node 20) buffers ahead of a slow reader, so
 * a large file would pile up in memory while staging writes it out.
 */
function requestBody(c: {
  env: unknown
  req: { raw: Request }
}): AsyncIterable<Uint8Array> | ReadableStream<Uint8Array> {
  const incoming = (c.env as { incoming?: unknown } | undefined)?.incoming
  if (incoming instanceof Readable) return incoming
  return c.req.raw.body ?? emptyBody()
}

/**
 * Receives a bulk file from the request body into `stream`'s staging and answers as the collect
 * API does. Shared by `/collect/bulk/:stream` (data keys) and the UI's upload (signed-in editors).
 */
export async function answerBulk(
  c: Context<AppEnv>,
  options: z.infer<typeof collectQuery>,
): Promise<Response> {
  const stream = streamOf(c)
  const { format, gzip } = bulkFormat(
    c.req.header('content-type'),
    c.req.header('content-encoding'),
    options.filename,
  )
  const outcome = await receiveUpload(c.get('deps'), {
    stream,
    body: requestBody(c),
    format,
    gzip,
    options,
    dataKeyId: c.get('dataKey')?.id ?? null,
  }).catch(interrupted)
  return c.json(
    {
      status: 200,
      message: options.dryrun ? 'dryrun: nothing stored' : 'success',
      data: {
        message_count: outcome.accepted,
        rejected_count: outcome.rejected,
        duplicate_count: outcome.duplicates,
        dryrun: options.dryrun,
        droperrors: options.droperrors,
        timestamp_field: options.timestamp_field ?? null,
        filename: options.filename ?? null,
        upload_id: outcome.uploadId,
        errors: outcome.errors,
      },
    } satisfies z.infer<typeof collectAnswer>,
    200,
  )
}
