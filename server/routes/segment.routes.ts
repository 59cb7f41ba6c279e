import { promisify } from 'node:util'
import zlib from 'node:zlib'
import { type Context, Hono } from 'hono'
import { resolver } from 'hono-openapi'
import { z } from 'zod'
import { MAX_LISTED_ERRORS } from '../data/collect-json.ts'
import { ingestRealtime } from '../data/ingest.ts'
import { type SegmentType, segmentMessage, toSegmentRawMessage } from '../data/segment.ts'
import type { NewRawMessage } from '../db/schema.ts'
import { ApiError } from '../errors.ts'
import type { AppEnv } from '../http/context.ts'
import { answer, failure, route } from '../http/route.ts'

const tags = ['Collect']
/** Where a data key without its own stream sends Segment calls. */
export const SEGMENT_STREAM = 'segment'
/** app.ts's MAX_BODY_BYTES, applied again after decompression so a small gzip cannot unpack to gigabytes. */
const MAX_DECODED_BYTES = 1024 * 1024

const gunzip = promisify(zlib.gunzip)
const inflate = promisify(zlib.inflate)

/**
 * Segment's tracking API answers `{ success: true }`; the counts are Sluice's. A batch stores its
 * valid messages and lists the rest (the first 100) by 0-based index.
 */
export const segmentAnswer = z.object({
  success: z.literal(true),
  stored: z.number().int(),
  duplicates: z.number().int().meta({ description: 'Messages whose messageId this stream already had' }),
  rejectedCount: z.number().int(),
  rejected: z.array(
    z.object({
      index: z.number().int().meta({ description: '0-based position in batch' }),
      reason: z.string(),
    }),
  ),
})
type SegmentAnswer = z.infer<typeof segmentAnswer>

const batchBody = z.looseObject({
  batch: z.array(segmentMessage),
  context: z.record(z.string(), z.unknown()).optional(),
  integrations: z.record(z.string(), z.unknown()).optional(),
  sentAt: z.string().optional(),
})

const plain = (value: unknown): value is Record<string, unknown> =>
  !!value && typeof value === 'object' && !Array.isArray(value)

/** The body as JSON, gunzipped or inflated by its Content-Encoding, within the size limit. */
export async function readJson(c: Context<AppEnv>): Promise<unknown> {
  const encoding = (c.req.header('content-encoding') ?? '').trim().toLowerCase()
  let bytes: Uint8Array = new Uint8Array(await c.req.arrayBuffer())
  if (encoding === 'gzip' || encoding === 'x-gzip' || encoding === 'deflate') {
    try {
      const decode = encoding === 'deflate' ? inflate : gunzip
      bytes = await decode(bytes, { maxOutputLength: MAX_DECODED_BYTES })
    } catch (error) {
      if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new ApiError(413, 'PayloadTooLarge', 'the body unpacks to over 1 MB; send smaller batches')
      }
      throw new ApiError(400, 'MalformedBody', `the body is not valid ${encoding} data`, { cause: error })
    }
  } else if (encoding && encoding !== 'identity') {
    throw new ApiError(
      415,
      'UnsupportedEncoding',
      `Content-Encoding "${encoding}" is not supported; send gzip, deflate or none`,
    )
  }
  try {
    return JSON.parse(new TextDecoder().decode(bytes))
  } catch {
    throw new ApiError(400, 'MalformedJson', 'the body is not valid JSON; send a Segment message object')
  }
}

/** Stores the valid messages; the others are listed with their reason. */
async function store(c: Context<AppEnv>, candidates: unknown[], sentAt?: unknown) {
  const deps = c.get('deps')
  const stream = c.get('dataKey')?.stream ?? SEGMENT_STREAM
  const receivedAt = deps.clock.now().toISOString()
  const messages: NewRawMessage[] = []
  const rejected: SegmentAnswer['rejected'] = []
  let rejectedCount = 0
  candidates.forEach((candidate, index) => {
    const result = toSegmentRawMessage(candidate, { stream, receivedAt, sentAt })
    if ('message' in result) messages.push(result.message)
    else {
      rejectedCount += 1
      if (rejected.length < MAX_LISTED_ERRORS) rejected.push({ index, reason: result.reason })
    }
  })
  const { stored, duplicates } = messages.length
    ? await ingestRealtime(deps, messages)
    : { stored: 0, duplicates: 0 }
  return { success: true as const, stored, duplicates, rejectedCount, rejected }
}

/** One `/v1/<type>` call: the path names the type, whatever the body says. */
function single(type: SegmentType) {
  return async (c: Context<AppEnv>) => {
    const body = await readJson(c)
    if (!plain(body)) {
      throw new ApiError(400, 'InvalidMessage', `send one Segment ${type} message as a JSON object`)
    }
    const result = await store(c, [{ ...body, type }])
    const reason = result.rejected[0]?.reason
    if (reason) throw new ApiError(400, 'InvalidMessage', `the ${type} message is invalid: ${reason}`)
    return c.json(result satisfies SegmentAnswer, 200)
  }
}

function spec(type: SegmentType) {
  return route('datakey', {
    summary: `Collect one Segment ${type} call (Segment-spec compatible)`,
    description:
      'The data key is the basic-auth user, as the Segment and RudderStack SDKs send it; gzip accepted. ' +
      `The path sets the type (a body's own "type" is replaced by "${type}").`,
    tags,
    requestBody: { content: { 'application/json': { schema: resolver(segmentMessage) } } },
    responses: {
      200: answer(segmentAnswer, 'Stored (a messageId seen before counts as a duplicate)'),
      400: failure('Not JSON, or not a valid Segment message: the reason names the field'),
      413: failure('Body over 1 MB, before or after decompression'),
      415: failure('Content-Encoding other than gzip or deflate'),
    },
  })
}

/** Batch-level `context` and `integrations` under each message's own, as Segment merges them. */
function withBatchFields(message: unknown, body: Record<string, unknown>): unknown {
  if (!plain(message)) return message
  const merged: Record<string, unknown> = { ...message }
  for (const field of ['context', 'integrations']) {
    const outer = body[field]
    const inner = message[field]
    if (plain(outer) && (inner === undefined || plain(inner))) merged[field] = { ...outer, ...inner }
  }
  return merged
}

export const segmentRoutes = new Hono<AppEnv>()
  .post(
    '/v1/batch',
    route('datakey', {
      summary: 'Collect a batch of Segment calls (Segment-spec compatible)',
      description:
        'What the Segment and RudderStack SDKs send, the data key as the basic-auth user; gzip accepted. ' +
        'Valid messages are stored and invalid ones listed; when every message is invalid, 400.',
      tags,
      requestBody: { content: { 'application/json': { schema: resolver(batchBody) } } },
      responses: {
        200: answer(segmentAnswer, 'The valid messages stored, the invalid ones listed'),
        400: failure('Not JSON, no "batch" array, or no valid message in it'),
        413: failure('Body over 1 MB, before or after decompression'),
        415: failure('Content-Encoding other than gzip or deflate'),
      },
    }),
    async (c) => {
      const body = await readJson(c)
      if (!plain(body) || !Array.isArray(body.batch)) {
        throw new ApiError(
          400,
          'InvalidBatch',
          'send { "batch": [ ...Segment messages ] }; single calls go to /v1/track, /v1/identify, ...',
        )
      }
      for (const field of ['context', 'integrations']) {
        if (body[field] !== undefined && !plain(body[field])) {
          throw new ApiError(400, 'InvalidBatch', `the batch's ${field} must be an object`)
        }
      }
      const messages = body.batch.map((message) => withBatchFields(message, body))
      const result = await store(c, messages, body.sentAt)
      // Some good messages are worth keeping; a batch with none is a broken sender, told so plainly.
      if (messages.length > 0 && result.rejectedCount === messages.length) {
        throw new ApiError(
          400,
          'InvalidMessages',
          `none of the ${messages.length} messages is valid; first: ${result.rejected[0]?.reason}`,
          { details: { rejectedCount: result.rejectedCount, rejected: result.rejected } },
        )
      }
      return c.json(result satisfies SegmentAnswer, 200)
    },
  )
  .post('/v1/track', spec('track'), single('track'))
  .post('/v1/identify', spec('identify'), single('identify'))
  .post('/v1/page', spec('page'), single('page'))
  .post('/v1/screen', spec('screen'), single('screen'))
  .post('/v1/group', spec('group'), single('group'))
  .post('/v1/alias', spec('alias'), single('alias'))
  // The browser library's short paths (analytics.js posts text/plain with the key in the body).
  .post('/v1/t', spec('track'), single('track'))
  .post('/v1/i', spec('identify'), single('identify'))
  .post('/v1/p', spec('page'), single('page'))
  .post('/v1/s', spec('screen'), single('screen'))
  .post('/v1/g', spec('group'), single('group'))
  .post('/v1/a', spec('alias'), single('alias'))
