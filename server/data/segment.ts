import { z } from 'zod'
import { toUtc } from '../../nodes/event-time.ts'
import type { NewRawMessage } from '../db/schema.ts'
import { storageProblem, toRawMessage } from './collect-json.ts'

/** The Segment spec's call types, each with its own `/v1/<type>` endpoint. */
export const SEGMENT_TYPES = ['track', 'identify', 'page', 'screen', 'group', 'alias'] as const
export type SegmentType = (typeof SEGMENT_TYPES)[number]

/** A raw message stores at most this much of a messageId (toRawMessage); longer ones could collide. */
const MAX_MESSAGE_ID = 200

/** A message per problem: "is required" for a missing field, else what the field must be. */
const says = (expected: string, missing = 'is required') => ({
  error: (issue: { input?: unknown }) => (issue.input === undefined ? missing : `must be ${expected}`),
})
// Segment's libraries send ids as strings, older ones numbers; analytics.js sends `userId: null`.
const id = z.union([z.string().min(1, 'must not be empty'), z.number().finite()], says('a string'))
const optionalId = z.union([z.string(), z.number().finite()], says('a string')).nullish()
const time = z
  .union([z.string(), z.number()], says('an ISO-8601 date-time string'))
  .refine((value) => toUtc(value) !== null, 'is not a date; send ISO-8601, e.g. 2026-01-15T10:00:00Z')
// `null` is read as absent: some senders serialise unset objects that way.
const object = z.record(z.string(), z.unknown(), says('an object')).nullish()
const text = z.string(says('a string')).nullish()

const common = {
  userId: optionalId,
  anonymousId: optionalId,
  messageId: z
    .string(says('a string'))
    .min(1, 'must not be empty')
    .max(MAX_MESSAGE_ID, `must be at most ${MAX_MESSAGE_ID} characters`)
    .optional(),
  timestamp: time.optional(),
  originalTimestamp: time.optional(),
  sentAt: time.optional(),
  receivedAt: time.optional(),
  context: object,
  integrations: object,
  traits: object,
  properties: object,
}

const given = (value: unknown) => value !== undefined && value !== null && value !== ''
const person = (value: { userId?: unknown; anonymousId?: unknown }) =>
  given(value.userId) || given(value.anonymousId)
const needsPerson = { message: 'userId or anonymousId is required' }

/**
 * A Segment-spec message (https://segment.com/docs/connections/spec/common/). Unknown fields pass
 * through: the payload is stored as sent.
 * @example segmentMessage.parse({ type: 'track', userId: 'u1', event: 'Signed Up' })
 */
export const segmentMessage = z.discriminatedUnion(
  'type',
  [
    z
      .looseObject({
        type: z.literal('track'),
        event: z
          .string(says('a string', 'a track call needs an event name'))
          .min(1, 'a track call needs an event name'),
        ...common,
      })
      .refine(person, needsPerson),
    z.looseObject({ type: z.literal('identify'), ...common }).refine(person, needsPerson),
    z
      .looseObject({
        type: z.literal('page'),
        name: text,
        category: text,
        ...common,
      })
      .refine(person, needsPerson),
    z.looseObject({ type: z.literal('screen'), name: text, ...common }).refine(person, needsPerson),
    z.looseObject({ type: z.literal('group'), groupId: id, ...common }).refine(person, needsPerson),
    z.looseObject({ type: z.literal('alias'), previousId: id, ...common, userId: id }),
  ],
  { error: () => `must be one of ${SEGMENT_TYPES.join(', ')}` },
)
export type SegmentMessage = z.infer<typeof segmentMessage>

/** What a stored Segment message needs besides itself. */
export interface SegmentContext {
  stream: string
  /** When the request arrived (ISO-8601 UTC): Segment's `receivedAt`. */
  receivedAt: string
  /** The batch's `sentAt`, for messages that carry none. */
  sentAt?: unknown
}

/** One sentence per problem, naming the field: `event: a track call needs an event name`. */
function reasonOf(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 5)
    .map((issue) =>
      issue.path.length ? `${issue.path.map(String).join('.')}: ${issue.message}` : issue.message,
    )
    .join('; ')
}

/**
 * The event time Segment gives a message: `timestamp` when sent, else `originalTimestamp` corrected
 * for the device's clock skew (`receivedAt - sentAt + originalTimestamp`), else the receive time.
 */
export function segmentEventTime(message: SegmentMessage, receivedAt: string, batchSentAt?: unknown) {
  if (message.timestamp !== undefined) return toUtc(message.timestamp) ?? receivedAt
  const original = message.originalTimestamp === undefined ? null : toUtc(message.originalTimestamp)
  if (original === null) return receivedAt
  const sent = toUtc(message.sentAt ?? batchSentAt)
  if (sent === null) return original
  const corrected = Date.parse(receivedAt) - Date.parse(sent) + Date.parse(original)
  return toUtc(corrected) ?? original
}

/** Segment lets a body carry its `writeKey`; it is our data key, a secret, so it is never stored. */
function withoutWriteKey(data: Record<string, unknown>): Record<string, unknown> {
  if (!Object.hasOwn(data, 'writeKey')) return data
  const copy: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(data)) if (key !== 'writeKey') put(copy, key, value)
  return copy
}

/**
 * Validates one Segment message and turns it into a raw message: the payload as sent (less a
 * `writeKey`), the event time as Segment computes it, the messageId kept for dedup (none is made
 * up: without one, a retry is stored twice, as Segment would).
 * @example toSegmentRawMessage({ type: 'track', userId: 'u1', event: 'Paid' }, { stream: 'segment', receivedAt })
 */
export function toSegmentRawMessage(
  data: unknown,
  context: SegmentContext,
): { message: NewRawMessage } | { reason: string } {
  if (!data || typeof data !== 'object' || Array.isArray(data)) {
    return {
      reason: `expected a JSON object, got ${data === null ? 'null' : Array.isArray(data) ? 'array' : typeof data}`,
    }
  }
  const parsed = segmentMessage.safeParse(data)
  if (!parsed.success) return { reason: reasonOf(parsed.error.issues) }
  const problem = storageProblem(data)
  if (problem) return { reason: problem }
  const result = toRawMessage(withoutWriteKey(data as Record<string, unknown>), {
    stream: context.stream,
    lane: 'realtime',
    receivedAt: context.receivedAt,
  })
  if ('reason' in result) return result
  const eventTime = segmentEventTime(parsed.data, context.receivedAt, context.sentAt)
  return { message: { ...result.message, event_time: eventTime } }
}

const plain = (value: unknown): value is Record<string, unknown> =>
  !!value && typeof value === 'object' && !Array.isArray(value)

/** Sets a field as an own property, so a `__proto__` trait stays an ordinary field. */
function put(record: Record<string, unknown>, key: string, value: unknown) {
  if (value === undefined) return
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true })
}

/**
 * The flat record a stored Segment message presents to profile unification, or null when the
 * payload is not a Segment message. Identities: `user_id`, `anonymous_id`, `email` (from traits,
 * context.traits or properties); an alias also gives `previous_id`.
 *
 * - traits (identify's, and context.traits on any call) become attributes; the call's own win.
 * - group: traits describe the group, not the person (a company's `name` must not overwrite the
 *   person's), so they are kept as `group_<trait>` beside `group_id`.
 * - track: `last_event` and `last_event_properties` (as one object). Event properties describe the
 *   event — a price, a plan, a product — so flattening them would make each event overwrite
 *   unrelated person attributes.
 * - page / screen: `last_page` (name) and `last_page_url`, or `last_screen`.
 * @example segmentRecord({ type: 'identify', userId: 'u1', traits: { plan: 'pro' } }) // { plan: 'pro', user_id: 'u1' }
 */
export function segmentRecord(payload: Record<string, unknown>): Record<string, unknown> | null {
  // Most rows are not Segment messages: a glance at `type` spares them a schema validation.
  if (typeof payload.type !== 'string' || !(SEGMENT_TYPES as readonly string[]).includes(payload.type))
    return null
  const parsed = segmentMessage.safeParse(payload)
  if (!parsed.success) return null
  const message = parsed.data
  const record: Record<string, unknown> = {}
  const contextTraits = plain(message.context?.traits) ? message.context.traits : {}
  for (const [key, value] of Object.entries(contextTraits)) put(record, key, value)
  // A group's traits are the group's; any other call's are the person's.
  const traits = message.type === 'group' ? {} : (message.traits ?? {})
  for (const [key, value] of Object.entries(traits)) put(record, key, value)
  if (message.type === 'group') {
    put(record, 'group_id', String(message.groupId))
    for (const [key, value] of Object.entries(message.traits ?? {})) put(record, `group_${key}`, value)
  }
  if (message.type === 'track') {
    put(record, 'last_event', message.event)
    if (message.properties) put(record, 'last_event_properties', message.properties)
  } else if (message.type === 'page') {
    put(record, 'last_page', message.name ?? undefined)
    const page = plain(message.context?.page) ? message.context.page : {}
    put(record, 'last_page_url', message.properties?.url ?? page.url)
  } else if (message.type === 'screen') {
    put(record, 'last_screen', message.name ?? undefined)
  } else if (message.type === 'alias') {
    put(record, 'previous_id', String(message.previousId))
    // alias(previousId -> userId) says the two are one person; the previous id is almost always
    // the anonymous id, so reading it as one lets the default identity rules merge them.
    if (!Object.hasOwn(record, 'anonymous_id')) put(record, 'anonymous_id', String(message.previousId))
  }
  const email = [traits.email, contextTraits.email, message.properties?.email].find(
    (value) => typeof value === 'string' && value.trim(),
  )
  put(record, 'email', email)
  // Identities last: a trait named `user_id` must not replace the call's own userId.
  if (given(message.userId)) put(record, 'user_id', String(message.userId))
  if (given(message.anonymousId)) put(record, 'anonymous_id', String(message.anonymousId))
  return record
}
