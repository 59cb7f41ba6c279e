import { BATCH_ROWS, Body, type Sink } from './bulk-parse.common.ts'
import { CsvParser } from './bulk-parse.csv.ts'
import { JsonParser, NdjsonParser } from './bulk-parse.json.ts'

export { BATCH_ROWS, BulkFormatError, isGzip, MAX_ROW_BYTES } from './bulk-parse.common.ts'
export { parseDelimiter, parseHeaderList } from './bulk-parse.csv.ts'

export interface BulkOptions {
  format: 'csv' | 'json' | 'ndjson'
  /** The body is gzip; a body starting with gzip's magic number is gunzipped either way. */
  gzip: boolean
  /** CSV only: ',' (the default), '\t' or '|'. */
  delimiter?: string
  /** CSV only: column names for a file without a header row. */
  headers?: string[]
  /** Fields added to every row, winning over the row's own. */
  append?: Record<string, unknown>
}

/** A row read, numbered by its line (CSV, NDJSON) or its element (JSON). */
export interface BulkRow {
  row: number
  data: Record<string, unknown>
}

export interface BulkReject {
  row: number
  reason: string
}

export interface BulkBatch {
  rows: BulkRow[]
  rejects: BulkReject[]
  /** Body bytes received so far, as sent (compressed when gzip). */
  bytesRead: number
}

/** Pieces fed to a parser at once, so one huge source chunk cannot make a huge batch backlog. */
const PIECE = 1 << 16

/**
 * Streams a bulk upload as batches of at most BATCH_ROWS rows (rejects count too), holding little
 * more than one piece of the body and one row. Always yields at least one batch; the last one's
 * bytesRead is the whole body. A body the caller must fix throws BulkFormatError; errors from the
 * source pass through; stopping early closes the source.
 * @example
 * for await (const batch of parseBulk(request.body, { format: 'csv', gzip: false })) save(batch.rows)
 */
export async function* parseBulk(
  source: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>,
  options: BulkOptions,
): AsyncGenerator<BulkBatch> {
  const batches = new Batches()
  const parser =
    options.format === 'csv'
      ? new CsvParser(options, batches)
      : options.format === 'ndjson'
        ? new NdjsonParser(options, batches)
        : new JsonParser(options, batches)
  const body = new Body(source, options.gzip)
  let yielded = 0
  let lastBytes = -1
  for await (const chunk of body.chunks()) {
    for (let at = 0; at < chunk.length; at += PIECE) {
      parser.write(chunk.subarray(at, at + PIECE))
      for (const batch of batches.ready.splice(0)) {
        yielded++
        lastBytes = body.bytesRead
        yield { ...batch, bytesRead: body.bytesRead }
      }
    }
  }
  parser.end()
  batches.cut()
  for (const batch of batches.ready) {
    const empty = !batch.rows.length && !batch.rejects.length
    // The last batch carries the final bytesRead, even when it has nothing else to say.
    if (empty && yielded && lastBytes === body.bytesRead) break
    yielded++
    lastBytes = body.bytesRead
    yield { ...batch, bytesRead: body.bytesRead }
  }
}

/** Cuts rows and rejects into batches as they come. */
class Batches implements Sink {
  readonly ready: Omit<BulkBatch, 'bytesRead'>[] = []
  private rows: BulkRow[] = []
  private rejects: BulkReject[] = []

  row(row: number, data: Record<string, unknown>): void {
    if (this.rows.push({ row, data }) + this.rejects.length >= BATCH_ROWS) this.cut()
  }

  reject(row: number, reason: string): void {
    if (this.rejects.push({ row, reason }) + this.rows.length >= BATCH_ROWS) this.cut()
  }

  /** Closes the current batch (an empty one too: see parseBulk). */
  cut(): void {
    this.ready.push({ rows: this.rows, rejects: this.rejects })
    this.rows = []
    this.rejects = []
  }
}
