import { createHash, randomBytes } from 'node:crypto'
import { type FileHandle, open, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { ConnectorContext, ExportBatch, WriteAck } from '../define.ts'
import {
  type Deliver,
  type ExportFormat,
  publish,
  recoverOrphans,
  SPOOL_SUFFIX,
  writeAll,
} from './file-export.files.ts'
import { fileStamp, serializeRow } from './file-export.format.ts'

/** Names a job's spools so its next run can find the ones a crash left behind. */
export function spoolTag(jobId: string | null): string {
  if (jobId === null) return `r${randomBytes(6).toString('hex')}`
  return `j${createHash('sha256').update(jobId).digest('hex').slice(0, 12)}`
}

/** A run's file name: `<prefix>-<time>-<random>.<format>`, sorting by time. */
export function runFileName(prefix: string, format: ExportFormat, now: Date): string {
  return `${prefix}-${fileStamp(now)}-${randomBytes(3).toString('hex')}.${format}`
}

export interface SpoolTarget {
  /** A local folder for the run's spool (the export folder itself, for local files). */
  spoolDir: string
  finalName: string
  format: ExportFormat
  deliver: Deliver
  /** True when a crashed run's file was delivered already (its spool is then just deleted). */
  delivered?: (finalName: string) => Promise<boolean>
}

/**
 * One export run that produces one file, wherever the file goes (the data folder, a bucket, an
 * SFTP server); it appears there only when complete.
 *
 * Batches are appended as JSON lines to a hidden spool and fsynced before their ack is yielded, so
 * an ack always means "on disk". The delivered file is rendered from the spool at the end — for
 * CSV this is what lets the header be the union of every field seen, in first-seen order, instead
 * of guessing it from the first batch. If the run stops early (abort, the executor stops reading,
 * an error), the acknowledged batches are still delivered and anything unacknowledged is cut off;
 * a crash leaves the spool, which the job's next run delivers. No rows, no file.
 */
export async function* spooledWrite(
  ctx: Pick<ConnectorContext, 'signal' | 'jobId'>,
  batches: AsyncIterable<ExportBatch>,
  target: SpoolTarget,
): AsyncGenerator<WriteAck> {
  if (ctx.signal.aborted) return
  const tag = spoolTag(ctx.jobId)
  if (ctx.jobId !== null) await recoverOrphans(target.spoolDir, tag, target.deliver, target.delivered)

  const spoolPath = join(target.spoolDir, `.${target.finalName}.${tag}${SPOOL_SUFFIX}`)
  // Field names in first-seen order; the acknowledged rows use exactly the first `ackedColumns`.
  const columns = new Set<string>()
  let ackedColumns = 0
  let spool: FileHandle | undefined
  let written = 0
  let acknowledged = 0
  /** Cuts off what was never acknowledged, then publishes the rest, or removes an empty spool. */
  const settle = async () => {
    if (!spool) return
    if (acknowledged < written) await spool.truncate(acknowledged)
    await spool.close()
    if (acknowledged === 0) return rm(spoolPath, { force: true })
    const known = [...columns].slice(0, ackedColumns)
    await publish(spoolPath, target.finalName, target.format, target.deliver, known)
  }
  let finished = false
  try {
    for await (const batch of batches) {
      if (ctx.signal.aborted) break
      const lines: string[] = []
      for (const { id, fields } of batch.upserts) {
        const row = serializeRow('upsert', id, fields)
        for (const name of row.fields) columns.add(name)
        lines.push(row.line)
      }
      for (const { id } of batch.removes) lines.push(serializeRow('remove', id, {}).line)
      if (lines.length > 0) {
        spool ??= await open(spoolPath, 'wx')
        const data = Buffer.from(`${lines.join('\n')}\n`)
        await writeAll(spool, data, written)
        written += data.length
        await spool.sync()
      }
      if (ctx.signal.aborted) break // written but never acknowledged: settle() cuts it off
      acknowledged = written
      ackedColumns = columns.size
      yield {
        delivered: batch.upserts.map((row) => row.id),
        removed: batch.removes.map((row) => row.id),
        rejected: [],
      }
    }
    finished = true
  } finally {
    // Stopped by an error or by the executor no longer reading: the first error is the one to
    // report; should publishing fail too, the spool stays for the job's next run (recoverOrphans).
    if (!finished) await settle().catch(() => {})
  }
  await settle()
}
