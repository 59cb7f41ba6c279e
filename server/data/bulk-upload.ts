import { newId } from '../db/ids.ts'
import { countInStreams } from '../db/raw-messages.repo.ts'
import type { NewRawMessage } from '../db/schema.ts'
import {
  discardStaging,
  insertUpload,
  lastSeq,
  stageRows,
  staleUploads,
  updateUpload,
} from '../db/uploads.repo.ts'
import { ApiError } from '../errors.ts'
import type { Deps } from '../http/context.ts'
import { type BulkOptions, parseBulk, parseDelimiter, parseHeaderList } from './bulk-parse.ts'
import { MAX_LISTED_ERRORS, type Reject, toRawMessage } from './collect-json.ts'
import type { CollectOptions } from './collect-options.ts'

/** Rows per staging transaction while realtime traffic is about: a couple of milliseconds. */
const STAGE_ROWS = 100

export interface UploadInput {
  stream: string
  body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>
  format: BulkOptions['format']
  gzip: boolean
  options: CollectOptions
  dataKeyId: string | null
}

export interface UploadOutcome {
  uploadId: string | null
  accepted: number
  stored: number
  duplicates: number
  rejected: number
  errors: Reject[]
}

/**
 * The bulk lane's intake (DESIGN.md §5): the body streams through the parser into staging under an
 * upload id, batch by batch, with progress on the upload row; when parsing ends one flip of the
 * upload's status publishes every row at once and wakes the unifier. A bad row without
 * `droperrors`, a broken file or a lost connection discards the staging: nothing is published.
 * With `dryrun` nothing is written at all, and the counts are still true.
 */
export async function receiveUpload(
  deps: Pick<Deps, 'db' | 'clock' | 'unifier' | 'lanes'>,
  input: UploadInput,
): Promise<UploadOutcome> {
  const { db, clock } = deps
  const { options } = input
  const parse: BulkOptions = {
    format: input.format,
    gzip: input.gzip,
    delimiter: parseDelimiter(options.delimiter),
    ...(options.headers ? { headers: parseHeaderList(options.headers) } : {}),
    ...(options.append ? { append: options.append } : {}),
  }
  const outcome: UploadOutcome = {
    uploadId: null,
    accepted: 0,
    stored: 0,
    duplicates: 0,
    rejected: 0,
    errors: [],
  }
  const reject = (row: number, reason: string) => {
    outcome.rejected += 1
    if (outcome.errors.length < MAX_LISTED_ERRORS) outcome.errors.push({ row, reason })
  }
  const uploadId = options.dryrun ? null : newId()
  const receivedAt = clock.now().toISOString()
  if (uploadId) {
    outcome.uploadId = uploadId
    await insertUpload(db, {
      id: uploadId,
      stream: input.stream,
      format: input.format,
      filename: options.filename ?? null,
      timestamp_field: options.timestamp_field ?? null,
      droperrors: options.droperrors ? 1 : 0,
      data_key_id: input.dataKeyId,
      created_at: receivedAt,
      after_seq: await lastSeq(db),
    })
  }
  let rowsRead = 0
  let latest: string | null = null
  try {
    for await (const batch of parseBulk(input.body, parse)) {
      for (const entry of batch.rejects) reject(entry.row, entry.reason)
      const messages: NewRawMessage[] = []
      for (const { row, data } of batch.rows) {
        const result = toRawMessage(data, {
          stream: input.stream,
          lane: 'bulk',
          receivedAt,
          timestampField: options.timestamp_field,
          uploadId,
        })
        if ('reason' in result) reject(row, result.reason)
        else messages.push(result.message)
      }
      rowsRead += batch.rows.length + batch.rejects.length
      outcome.accepted += messages.length
      // Without droperrors one bad row means nothing will be published: stop writing, keep counting.
      const storing = uploadId !== null && (options.droperrors || outcome.rejected === 0)
      if (storing && messages.length) {
        for (const message of messages)
          if (latest === null || message.event_time > latest) latest = message.event_time
        // Short transactions with the realtime lane's turn between them (see lanes.ts).
        const size = deps.lanes.bulkBudgetMs() > 5 ? messages.length : STAGE_ROWS
        for (let at = 0; at < messages.length; at += size) {
          const part = messages.slice(at, at + size)
          const last = at + size >= messages.length
          await deps.lanes.bulkTurn()
          const stored = await db.transaction().execute(async (trx) => {
            const count = await stageRows(trx, part)
            if (last) {
              const counters = progress(batch.bytesRead, rowsRead, outcome, count, part.length, clock)
              await updateUpload(trx, uploadId, counters)
            }
            return count
          })
          outcome.stored += stored
          outcome.duplicates += part.length - stored
        }
      } else if (uploadId) {
        await updateUpload(db, uploadId, progress(batch.bytesRead, rowsRead, outcome, 0, 0, clock))
      }
    }
  } catch (error) {
    if (uploadId)
      await abandon(deps, uploadId, 'failed', error instanceof Error ? error.message : String(error), outcome)
    throw error
  }
  if (outcome.rejected > 0 && !options.droperrors) {
    if (uploadId) await abandon(deps, uploadId, 'rejected', null, outcome)
    throw new ApiError(
      400,
      'RowsRejected',
      `${outcome.rejected} of ${rowsRead} rows were rejected, so nothing was stored; fix them or send droperrors=true to store the rest`,
      { details: { upload_id: uploadId, rejected_count: outcome.rejected, errors: outcome.errors } },
    )
  }
  if (uploadId) {
    const now = clock.now().toISOString()
    await db.transaction().execute(async (trx) => {
      // The flip: one row changes, and every staged row becomes visible to readers and the unifier.
      await updateUpload(trx, uploadId, {
        status: outcome.stored > 0 ? 'published' : 'unified',
        published_at: now,
        updated_at: now,
        errors: JSON.stringify(outcome.errors),
      })
      if (latest)
        await countInStreams(trx, new Map([[input.stream, { count: outcome.stored, last: latest }]]), now)
    })
    deps.unifier.wake()
  }
  return outcome
}

// The deltas of one batch: counters only grow, so a reader sees progress while the file streams in.
function progress(
  bytesRead: number,
  rowsRead: number,
  outcome: UploadOutcome,
  stored: number,
  staged: number,
  clock: Deps['clock'],
) {
  return {
    bytes_read: bytesRead,
    rows_read: rowsRead,
    stored: outcome.stored + stored,
    duplicates: outcome.duplicates + (staged - stored),
    rejected: outcome.rejected,
    updated_at: clock.now().toISOString(),
  }
}

async function abandon(
  deps: Pick<Deps, 'db' | 'clock'>,
  uploadId: string,
  status: 'failed' | 'rejected',
  error: string | null,
  outcome: UploadOutcome,
) {
  await discardStaging(deps.db, uploadId)
  await updateUpload(deps.db, uploadId, {
    status,
    error,
    stored: 0,
    errors: JSON.stringify(outcome.errors),
    rejected: outcome.rejected,
    updated_at: deps.clock.now().toISOString(),
  })
}

/**
 * Uploads a dead process left `receiving` can never be finished: their staging is discarded and
 * they are marked failed, so the sender knows to send the file again.
 */
export async function recoverUploads(deps: Pick<Deps, 'db' | 'clock'>, before: string): Promise<number> {
  const stale = await staleUploads(deps.db, before)
  for (const { id } of stale) {
    await discardStaging(deps.db, id)
    await updateUpload(deps.db, id, {
      status: 'failed',
      error: 'Sluice stopped while this upload was being received; send the file again',
      stored: 0,
      updated_at: deps.clock.now().toISOString(),
    })
  }
  return stale.length
}
