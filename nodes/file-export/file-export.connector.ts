import { createHash, randomBytes } from 'node:crypto'
import { type FileHandle, open, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import {
  type ConnectorContext,
  ConnectorError,
  defineConnector,
  type ExportBatch,
  type WriteAck,
} from '../define.ts'
import {
  publish,
  recoverOrphans,
  resolveExportDirectory,
  SPOOL_SUFFIX,
  writeAll,
} from './file-export.files.ts'
import { fileStamp, serializeRow } from './file-export.format.ts'
import { type FileExportConfig, fileExport, fileExportConfig } from './file-export.node.ts'

function parseConfig(config: unknown): FileExportConfig {
  const parsed = fileExportConfig.safeParse(config ?? {})
  if (parsed.success) return parsed.data
  throw new ConnectorError('config', `invalid file export config: ${z.prettifyError(parsed.error)}`)
}

/** Names a job's spools so its next run can find the ones a crash left behind. */
function spoolTag(jobId: string | null): string {
  if (jobId === null) return `r${randomBytes(6).toString('hex')}`
  return `j${createHash('sha256').update(jobId).digest('hex').slice(0, 12)}`
}

/**
 * One run writes one file, `<prefix>-<time>-<random>.<format>`, which appears only when complete.
 *
 * Batches are appended as JSON lines to a hidden spool and fsynced before their ack is yielded, so
 * an ack always means "on disk". The published file is rendered from the spool at the end — for CSV
 * this is what lets the header be the union of every field seen, in first-seen order, instead of
 * guessing it from the first batch. If the run stops early (abort, the executor stops reading, an
 * error), the acknowledged batches are still published and anything unacknowledged is cut off; a
 * crash leaves the spool, which the job's next run publishes. No rows, no file.
 */
async function* write(
  ctx: ConnectorContext<FileExportConfig>,
  batches: AsyncIterable<ExportBatch>,
): AsyncGenerator<WriteAck> {
  const config = parseConfig(ctx.config)
  if (ctx.signal.aborted) return
  const directory = await resolveExportDirectory(ctx.dataDir, config.directory)
  const tag = spoolTag(ctx.jobId)
  if (ctx.jobId !== null) await recoverOrphans(directory, tag)

  const finalName = `${config.filePrefix}-${fileStamp(ctx.now())}-${randomBytes(3).toString('hex')}.${config.format}`
  const finalPath = join(directory, finalName)
  const spoolPath = join(directory, `.${finalName}.${tag}${SPOOL_SUFFIX}`)
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
    await publish(spoolPath, finalPath, config.format, [...columns].slice(0, ackedColumns))
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

async function check(ctx: { config: Record<string, unknown> | null; dataDir: string }) {
  let config: FileExportConfig
  try {
    config = parseConfig(ctx.config)
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) }
  }
  try {
    const directory = await resolveExportDirectory(ctx.dataDir, config.directory)
    const probe = join(directory, `.sluice-check-${randomBytes(6).toString('hex')}${SPOOL_SUFFIX}`)
    const handle = await open(probe, 'wx')
    try {
      await writeAll(handle, Buffer.from('ok\n'), 0)
      await handle.sync()
    } finally {
      await handle.close()
      await rm(probe, { force: true })
    }
    return { ok: true, message: `Sluice can write files to "${config.directory}" in the data folder.` }
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    return { ok: false, message: `Cannot write to "${config.directory}" in the data folder: ${reason}` }
  }
}

export default defineConnector(fileExport, { check, jobs: { file: { direction: 'export', write } } })
