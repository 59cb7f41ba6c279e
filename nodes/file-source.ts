import { createHash } from 'node:crypto'
import picomatch from 'picomatch'
import { z } from 'zod'
import { type BulkOptions, parseBulk } from '../server/data/bulk-parse.ts'
import { ApiError } from '../server/errors.ts'
import { ConnectorError, type ReadBatch, type ReadOptions, type SourceRecord } from './define.ts'
import { parseDuration } from './duration.ts'
import type { fileReadFields } from './file-fields.ts'

/**
 * Incremental reading of files from a store (an S3 bucket, an SFTP folder), shared by the file
 * sources. Server-only: it streams through the collect API's parsers (server/data/bulk-parse.ts),
 * so a file of any size is read holding one piece of it and one batch of rows.
 *
 * Files are read in order of (last modified, path). A finished file moves the high mark to its
 * time; each run lists again and reads the files modified since the mark less the look-back
 * window — an upload is often dated when it began, so a long one lands behind files that finished
 * before it — skipping the ones it already read there (`recent`, by version: a rewritten file is
 * read again). A file in progress is resumed after its last committed row (`at`), so a crash or a
 * lost lease loses and repeats nothing. Records are keyed by the id field (or file and row) plus a
 * digest of the row: a replayed row is dropped, a changed one stored.
 */

/** A file as listed: its path in the store, a version that changes with its content (ETag, mtime+size). */
export interface ListedFile {
  path: string
  version: string
  modifiedMs: number
  size: number
}

export interface FileStore {
  /** How a user names a file, in messages: `s3://bucket/key`, `sftp://host/path`. */
  nameOf(path: string): string
  /** The file's bytes as they come; the reader stops early by returning from the iteration. */
  open(file: ListedFile): Promise<AsyncIterable<Uint8Array>>
}

type ReadFields = z.infer<z.ZodObject<typeof fileReadFields>>

export const fileCheckpointSchema = z.strictObject({
  high: z.number().nullable(),
  /** Files finished within the look-back window of `high`: [path, version, modifiedMs]. */
  recent: z.array(z.tuple([z.string(), z.string(), z.number()])),
  at: z.strictObject({ path: z.string(), version: z.string(), row: z.number() }).nullable(),
})
export type FileCheckpoint = z.infer<typeof fileCheckpointSchema>
const START: FileCheckpoint = { high: null, recent: [], at: null }

/** True for the paths (relative to the folder or prefix) that the glob selects; hidden files only when named. */
export function globMatcher(glob: string): (relative: string) => boolean {
  return picomatch(glob, { dot: false })
}

/** The files to read this run, in order: the one in progress first, then by (modified, path). */
export function filesToRead(files: ListedFile[], checkpoint: FileCheckpoint, lookBack: string): ListedFile[] {
  const window = parseDuration(lookBack) ?? 0
  const lower = checkpoint.high === null ? Number.NEGATIVE_INFINITY : checkpoint.high - window
  const read = new Set(checkpoint.recent.map(([path, version]) => `${version}\u0000${path}`))
  const due = files
    .filter((file) => file.modifiedMs >= lower && !read.has(`${file.version}\u0000${file.path}`))
    .sort((a, b) => a.modifiedMs - b.modifiedMs || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  const at = checkpoint.at
  const current = at ? due.findIndex((file) => file.path === at.path && file.version === at.version) : -1
  if (current > 0) due.unshift(...due.splice(current, 1))
  return due
}

/** The parser options for a file, by the configured format or by its name. */
export function parserFor(
  path: string,
  fields: Pick<ReadFields, 'format' | 'delimiter'>,
  nameOf: string,
): BulkOptions {
  const gzip = /\.gz$/i.test(path)
  const name = path.replace(/\.gz$/i, '').toLowerCase()
  if (fields.format !== 'auto') return { format: fields.format, gzip, delimiter: fields.delimiter }
  if (name.endsWith('.tsv')) return { format: 'csv', gzip, delimiter: '\t' }
  if (name.endsWith('.csv') || name.endsWith('.txt'))
    return { format: 'csv', gzip, delimiter: fields.delimiter }
  if (name.endsWith('.ndjson') || name.endsWith('.jsonl')) return { format: 'ndjson', gzip }
  if (name.endsWith('.json')) return { format: 'json', gzip }
  throw new ConnectorError(
    'config',
    `cannot tell the format of ${nameOf} from its name: choose a format in the source, or narrow its file pattern (e.g. **/*.csv)`,
    { code: 'UnknownFormat' },
  )
}

function recordOf(
  fields: ReadFields,
  path: string,
  row: number,
  data: Record<string, unknown>,
): SourceRecord {
  const digest = createHash('sha256').update(JSON.stringify(data)).digest('base64url').slice(0, 16)
  const id = fields.idField ? data[fields.idField] : undefined
  const identity = id === undefined || id === null || id === '' ? `${path}#${row}` : `id:${String(id)}`
  const time = fields.eventTimeField ? data[fields.eventTimeField] : undefined
  const eventTime = typeof time === 'string' || typeof time === 'number' ? String(time) : undefined
  return { key: `${identity}:${digest}`, data, ...(eventTime ? { eventTime } : {}) }
}

/** Marks a file read: the high mark moves to it, and it joins the window's recent files. */
function finished(checkpoint: FileCheckpoint, file: ListedFile, lookBack: string): FileCheckpoint {
  const high = Math.max(checkpoint.high ?? file.modifiedMs, file.modifiedMs)
  const floor = high - (parseDuration(lookBack) ?? 0)
  const recent = checkpoint.recent.filter(([path, , modified]) => modified >= floor && path !== file.path)
  recent.push([file.path, file.version, file.modifiedMs])
  return { high, recent, at: null }
}

/**
 * Reads `files` (already selected by the glob) from the checkpoint on, in batches of
 * `batchSize` records each carrying the checkpoint of its last row; the last batch of a file
 * marks it finished. A preview reads the first records of the first files and commits nothing.
 */
export async function* readFiles(
  fields: ReadFields,
  files: ListedFile[],
  store: FileStore,
  options: ReadOptions<unknown> & { signal: AbortSignal },
): AsyncGenerator<ReadBatch<FileCheckpoint>> {
  const stored = fileCheckpointSchema.safeParse(options.checkpoint)
  let checkpoint: FileCheckpoint = options.preview ? START : stored.success ? stored.data : START
  const preview: SourceRecord[] = []
  for (const file of filesToRead(files, checkpoint, fields.lookBack)) {
    if (options.signal.aborted) return
    const name = store.nameOf(file.path)
    const parser = parserFor(file.path, fields, name)
    const skip =
      checkpoint.at?.path === file.path && checkpoint.at.version === file.version ? checkpoint.at.row : 0
    let records: SourceRecord[] = []
    let omitted = 0
    let last = skip
    try {
      for await (const batch of parseBulk(await store.open(file), parser)) {
        if (options.signal.aborted) return
        const reject = batch.rejects.find((bad) => bad.row > skip)
        if (reject && fields.badRows === 'fail')
          throw new ConnectorError(
            'config',
            `row ${reject.row} of ${name} cannot be read (${reject.reason}): fix the file, or set the source's bad rows to skip`,
            { code: 'MalformedFile' },
          )
        omitted += batch.rejects.filter((bad) => bad.row > skip).length
        for (const row of batch.rows) {
          if (row.row <= skip) continue
          records.push(recordOf(fields, file.path, row.row, row.data))
          last = row.row
        }
        if (options.preview) {
          preview.push(...records.splice(0))
          if (preview.length >= options.preview.limit) break
          continue
        }
        if (records.length >= fields.batchSize) {
          yield {
            records,
            omitted,
            checkpoint: { ...checkpoint, at: { path: file.path, version: file.version, row: last } },
          }
          records = []
          omitted = 0
        }
      }
    } catch (error) {
      if (error instanceof ApiError)
        throw new ConnectorError(
          'config',
          `${name} is malformed: ${error.message}; fix or remove the file (or narrow the file pattern)`,
          { code: 'MalformedFile', cause: error },
        )
      throw error
    }
    if (options.preview) {
      if (preview.length >= options.preview.limit) break
      continue
    }
    checkpoint = finished(checkpoint, file, fields.lookBack)
    yield { records, omitted, checkpoint }
  }
  if (options.preview) yield { records: preview.slice(0, options.preview.limit), checkpoint }
}
