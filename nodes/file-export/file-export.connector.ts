import { randomBytes } from 'node:crypto'
import { open, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import {
  type ConnectorContext,
  ConnectorError,
  defineConnector,
  type ExportBatch,
  type WriteAck,
} from '../define.ts'
import { deliverInto, exists, resolveExportDirectory, SPOOL_SUFFIX, writeAll } from './file-export.files.ts'
import { type FileExportConfig, fileExport, fileExportConfig } from './file-export.node.ts'
import { runFileName, spooledWrite } from './file-export.spool.ts'

function parseConfig(config: unknown): FileExportConfig {
  const parsed = fileExportConfig.safeParse(config ?? {})
  if (parsed.success) return parsed.data
  throw new ConnectorError('config', `invalid file export config: ${z.prettifyError(parsed.error)}`)
}

/** One run writes one file into the folder, `<prefix>-<time>-<random>.<format>`, once complete. */
async function* write(
  ctx: ConnectorContext<FileExportConfig>,
  batches: AsyncIterable<ExportBatch>,
): AsyncGenerator<WriteAck> {
  const config = parseConfig(ctx.config)
  if (ctx.signal.aborted) return
  const directory = await resolveExportDirectory(ctx.dataDir, config.directory)
  yield* spooledWrite(ctx, batches, {
    spoolDir: directory,
    finalName: runFileName(config.filePrefix, config.format, ctx.now()),
    format: config.format,
    deliver: deliverInto(directory),
    // Published already when the crash came between the rename and deleting the spool.
    delivered: (finalName) => exists(join(directory, finalName)),
  })
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
