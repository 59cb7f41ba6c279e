import type { Lane, NewRawMessage } from '../db/schema.ts'
import { toUtc } from './event-time.ts'

/** Lytics lists the first rejects; the count covers all of them. */
export const MAX_LISTED_ERRORS = 100

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
  return {
    message: {
      stream: context.stream,
      event_time: eventTime,
      received_at: context.receivedAt,
      lane: context.lane,
      job_id: context.jobId ?? null,
      upload_id: context.uploadId ?? null,
      record_key: null,
      message_id: typeof messageId === 'string' && messageId ? messageId.slice(0, 200) : null,
      payload: JSON.stringify(data),
      unified_at: null,
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
