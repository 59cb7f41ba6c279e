import { toUtc } from '../../nodes/event-time.ts'
import type { Lane, NewRawMessage } from '../db/schema.ts'

/** The longest messageId kept; a longer one is refused rather than cut (two cut ids could collide). */
export const MAX_MESSAGE_ID = 200

/** Lytics lists the first rejects; the count covers all of them. */
export const MAX_LISTED_ERRORS = 100

/** Nesting a stored payload may have: deeper JSON would overflow the stack of whoever reads it. */
export const MAX_DEPTH = 64

/** First problem a stored payload would hit: a NUL (PostgreSQL text refuses it) or too deep nesting. */
export function storageProblem(value: unknown): string | null {
  // Most rows are flat: check their values in place and walk (building paths) only when needed.
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    let flat = true
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue
      const inner = (value as Record<string, unknown>)[key]
      if (key.includes('\u0000') || (typeof inner === 'string' && inner.includes('\u0000'))) {
        flat = false
        break
      }
      if (inner !== null && typeof inner === 'object') {
        flat = false
        break
      }
    }
    if (flat) return null
  }
  const stack: [unknown, string, number][] = [[value, '', 0]]
  while (stack.length) {
    const [item, path, depth] = stack.pop()!
    if (typeof item === 'string') {
      if (item.includes('\u0000')) return `${path || 'the message'} must not contain the NUL character`
    } else if (item && typeof item === 'object') {
      if (depth >= MAX_DEPTH) return `${path} nests deeper than ${MAX_DEPTH} levels`
      for (const [key, inner] of Object.entries(item)) {
        const at = path ? `${path}.${key}` : key
        if (key.includes('\u0000')) return `${at} must not contain the NUL character`
        stack.push([inner, at, depth + 1])
      }
    }
  }
  return null
}

export interface RowContext {
  stream: string
  lane: Lane
  receivedAt: string
  timestampField?: string | undefined
  uploadId?: string | null
  jobId?: string | null
}

export interface Reject {
  row: number
  reason: string
}

/**
 * One row as a raw message, or the reason it cannot be one. The event time is the row's
 * `timestamp_field` in UTC, else the receive time; a `messageId` (Segment's dedup key) is kept.
 */
export function toRawMessage(
  data: Record<string, unknown>,
  context: RowContext,
): { message: NewRawMessage } | { reason: string } {
  const problem = storageProblem(data)
  if (problem) return { reason: problem }
  let eventTime = context.receivedAt
  const field = context.timestampField
  if (field !== undefined && Object.hasOwn(data, field)) {
    const raw = data[field]
    if (raw !== null && raw !== '') {
      const utc = toUtc(raw)
      if (utc === null) return { reason: `${field} is ${JSON.stringify(raw)}, which is not a date` }
      eventTime = utc
    }
  }
  const messageId = data.messageId
  if (typeof messageId === 'string' && messageId.length > MAX_MESSAGE_ID) {
    return {
      reason: `messageId is ${messageId.length} characters long; at most ${MAX_MESSAGE_ID} are allowed`,
    }
  }
  return {
    message: {
      stream: context.stream,
      event_time: eventTime,
      received_at: context.receivedAt,
      lane: context.lane,
      job_id: context.jobId ?? null,
      upload_id: context.uploadId ?? null,
      record_key: null,
      message_id: typeof messageId === 'string' && messageId ? messageId : null,
      payload: JSON.stringify(data),
      unified_at: null,
      profile_id: null,
    },
  }
}

const kindOf = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value)

/** Copies the row with append's fields on top, keeping `__proto__` an ordinary field. */
export function withAppend(row: Record<string, unknown>, append: Record<string, unknown> | undefined) {
  if (!append) return row
  const merged: Record<string, unknown> = {}
  for (const source of [row, append]) {
    for (const [key, value] of Object.entries(source)) {
      Object.defineProperty(merged, key, { value, enumerable: true, writable: true, configurable: true })
    }
  }
  return merged
}

/** Rows of a realtime JSON body (1-based row numbers) as raw messages and counted rejects. */
export function prepareRows(
  rows: unknown[],
  options: RowContext & { append?: Record<string, unknown> | undefined },
): { messages: NewRawMessage[]; rejected: number; errors: Reject[] } {
  const messages: NewRawMessage[] = []
  const errors: Reject[] = []
  let rejected = 0
  rows.forEach((row, index) => {
    const reject = (reason: string) => {
      rejected += 1
      if (errors.length < MAX_LISTED_ERRORS) errors.push({ row: index + 1, reason })
    }
    if (!row || typeof row !== 'object' || Array.isArray(row)) {
      reject(`expected a JSON object, got ${kindOf(row)}`)
      return
    }
    const result = toRawMessage(withAppend(row as Record<string, unknown>, options.append), options)
    if ('reason' in result) reject(result.reason)
    else messages.push(result.message)
  })
  return { messages, rejected, errors }
}
