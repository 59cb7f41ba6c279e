/** Seconds before this are read as epoch seconds, after it as milliseconds (year 5138 vs 1973). */
const SECONDS_UNTIL = 1e11
const NUMERIC = /^-?\d+(\.\d+)?$/
/** An ISO-like date-time with no offset: read as UTC, not as the server's local time. */
const NO_OFFSET = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/

/**
 * Normalises an event time as senders write it — ISO-8601 with or without offset, a date, epoch
 * seconds or milliseconds (as a number or a numeric string) — to an ISO-8601 UTC string.
 * Returns null when the value is not a date.
 */
export function toUtc(value: unknown): string | null {
  // Exports repeat the same few timestamps row after row; a small memo skips re-parsing them.
  if (typeof value === 'string') {
    const known = memo.get(value)
    if (known !== undefined) return known
    const parsed = parseUtc(value)
    if (memo.size >= MEMO_SIZE) memo.clear()
    memo.set(value, parsed)
    return parsed
  }
  return parseUtc(value)
}

const MEMO_SIZE = 4096
const memo = new Map<string, string | null>()

function parseUtc(value: unknown): string | null {
  let ms: number
  if (typeof value === 'number' || (typeof value === 'string' && NUMERIC.test(value.trim()))) {
    const n = Number(value)
    ms = Math.abs(n) < SECONDS_UNTIL ? n * 1000 : n
  } else if (typeof value === 'string') {
    const text = value.trim()
    ms = Date.parse(NO_OFFSET.test(text) ? `${text.replace(' ', 'T')}Z` : text)
  } else {
    return null
  }
  if (!Number.isFinite(ms)) return null
  const date = new Date(ms)
  // Date accepts years 0–275760; anything outside 1970–9999 in an event is a typo, not a time.
  const year = date.getUTCFullYear()
  if (Number.isNaN(date.getTime()) || year < 1970 || year > 9999) return null
  return date.toISOString()
}
