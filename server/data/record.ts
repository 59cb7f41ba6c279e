import { segmentRecord } from './segment.ts'

/**
 * The record a raw payload presents to mapping. Payloads are stored as sent; a Segment-spec
 * message (from /v1/*) is flattened so its userId, anonymousId and traits read like any row.
 * A Lytics row that happens to be a valid Segment message reads the same way, which is what a
 * sender of such a row means.
 */
export function recordOf(payload: Record<string, unknown>): Record<string, unknown> {
  return segmentRecord(payload) ?? payload
}
