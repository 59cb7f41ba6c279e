/**
 * How one exported row is written: a JSON object whose first keys are `_op` and `id`, then the
 * profile's fields; CSV renders the same rows under a header that is the union of all field names.
 */

export type RowOp = 'upsert' | 'remove'

/** The columns every row starts with; a field of the same name is written as `field:<name>`. */
export const LEAD_COLUMNS = ['_op', 'id'] as const

export interface SerializedRow {
  /** One JSON object, keys in order, no trailing newline. */
  line: string
  /** Field column names the row carries, in order. */
  fields: string[]
}

/**
 * Serializes a row as one line of JSON. Built by hand, not `JSON.stringify(object)`, because
 * objects move integer-like keys first and `_op`, `id` must lead.
 */
export function serializeRow(
  op: RowOp,
  id: string,
  fields: Readonly<Record<string, unknown>>,
): SerializedRow {
  const parts = [`"_op":${JSON.stringify(op)}`, `"id":${JSON.stringify(id)}`]
  const names: string[] = []
  for (const [field, value] of Object.entries(fields)) {
    const json = toJson(value)
    if (json === undefined) continue // undefined, functions and symbols have no JSON form
    const name = (LEAD_COLUMNS as readonly string[]).includes(field) ? `field:${field}` : field
    parts.push(`${JSON.stringify(name)}:${json}`)
    names.push(name)
  }
  return { line: `{${parts.join(',')}}`, fields: names }
}

function jsonSafe(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value
}

/** JSON of a value; a replacer slows JSON.stringify down several times, so it runs only for a bigint. */
function toJson(value: unknown): string | undefined {
  try {
    return JSON.stringify(value)
  } catch (error) {
    if (error instanceof TypeError) return JSON.stringify(value, jsonSafe)
    throw error
  }
}

/** Text of a JSON value in a CSV cell: nested values as JSON, null as an empty cell. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'string') return value
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}

/**
 * One RFC 4180 field: quoted when it holds a comma, quote, CR or LF (quotes doubled); also when it
 * starts or ends with whitespace, which lenient readers would otherwise trim.
 */
export function csvField(text: string): string {
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

/** One CSV record with its CRLF terminator (RFC 4180 §2). */
export function csvLine(cells: readonly string[]): string {
  return `${cells.map(csvField).join(',')}\r\n`
}

/** Filesystem-safe form of an ISO time that still sorts chronologically: 2024-05-01T12-34-56-789Z. */
export function fileStamp(date: Date): string {
  return date.toISOString().replace(/[:.]/g, '-')
}
