import Papa from 'papaparse'

export type FileFormat = 'csv' | 'json' | 'ndjson'

/** The format a file name says, and whether it is gzipped. */
export function formatOf(name: string): { format: FileFormat; gzip: boolean } {
  const lower = name.toLowerCase()
  const gzip = lower.endsWith('.gz')
  const base = gzip ? lower.slice(0, -3) : lower
  const format = base.endsWith('.json') ? 'json' : /\.(ndjson|jsonl)$/.test(base) ? 'ndjson' : 'csv'
  return { format, gzip }
}

/** The Content-Type the bulk endpoint reads for this file (gzip: the format comes from its name). */
export function contentTypeOf(name: string): string {
  const { format, gzip } = formatOf(name)
  if (gzip) return 'application/gzip'
  return format === 'csv' ? 'text/csv' : format === 'json' ? 'application/json' : 'application/x-ndjson'
}

const SNIFF_BYTES = 64 * 1024

/** The file's first bytes as text, gunzipped when the name says so. */
async function head(file: File): Promise<string> {
  if (!formatOf(file.name).gzip) return file.slice(0, SNIFF_BYTES).text()
  const reader = file.stream().pipeThrough(new DecompressionStream('gzip')).getReader()
  const decoder = new TextDecoder()
  let text = ''
  try {
    while (text.length < SNIFF_BYTES) {
      const { done, value } = await reader.read()
      if (done) break
      text += decoder.decode(value, { stream: true })
    }
  } finally {
    await reader.cancel().catch(() => undefined)
  }
  return text.slice(0, SNIFF_BYTES)
}

/**
 * The field names a file's rows carry, read from its first bytes: a CSV's header row (with this
 * delimiter), or the keys of the first JSON object. Empty when they cannot be told.
 */
export async function fieldsOf(file: File, delimiter: string): Promise<string[]> {
  const text = await head(file)
  const { format } = formatOf(file.name)
  if (format === 'csv') {
    const parsed = Papa.parse<string[]>(text, { preview: 1, delimiter: delimiter === 't' ? '\t' : delimiter })
    return (parsed.data[0] ?? []).map((name) => name.trim()).filter(Boolean)
  }
  const first =
    format === 'ndjson'
      ? text.split('\n').find((line) => line.trim())
      : // The first object of an array: up to the first closing brace at depth one, or nothing.
        (() => {
          const start = text.indexOf('{')
          let depth = 0
          for (let i = start; start >= 0 && i < text.length; i++) {
            if (text[i] === '{') depth++
            else if (text[i] === '}' && --depth === 0) return text.slice(start, i + 1)
          }
          return undefined
        })()
  try {
    const value = first ? (JSON.parse(first) as unknown) : null
    return value && typeof value === 'object' && !Array.isArray(value) ? Object.keys(value) : []
  } catch {
    return []
  }
}
