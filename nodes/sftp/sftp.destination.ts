import { mkdir } from 'node:fs/promises'
import { join, posix } from 'node:path'
import { type ConnectorContext, type ExportBatch, parseConfig, type WriteAck } from '../define.ts'
import { runFileName, spooledWrite } from '../file-export/file-export.spool.ts'
import { classify, connect, type SftpSession } from './sftp.client.ts'
import { type SftpDestinationConfig, sftpDestinationConfig } from './sftp.node.ts'

export const parseDestinationConfig = (config: unknown): SftpDestinationConfig =>
  parseConfig(sftpDestinationConfig, config, 'SFTP destination')

/**
 * Uploads a finished file under a hidden name, then renames it: readers polling the folder see
 * whole files only. An earlier attempt's partial upload is overwritten.
 */
export async function uploadFile(
  session: SftpSession,
  folder: string,
  file: string,
  name: string,
): Promise<void> {
  const partial = posix.join(folder, `.${name}.part`)
  const final = posix.join(folder, name)
  try {
    await session.client.fastPut(file, partial)
  } catch (error) {
    throw classify(error, session, 'write', folder)
  }
  try {
    await session.client.rename(partial, final)
  } catch (error) {
    throw classify(error, session, 'write', final)
  }
}

/**
 * One run writes one file into the folder, `<prefix>-<time>-<random>.<format>`, once complete:
 * acknowledged batches are spooled (and fsynced) in the data folder; the server is reached only to
 * deliver, so a long run keeps no idle session open. A crash leaves the spool for the next run.
 */
export async function* writeFolder(
  ctx: ConnectorContext<SftpDestinationConfig>,
  batches: AsyncIterable<ExportBatch>,
): AsyncGenerator<WriteAck> {
  const config = parseDestinationConfig(ctx.config)
  if (ctx.signal.aborted) return
  const spoolDir = join(ctx.dataDir, 'spool', 'sftp')
  await mkdir(spoolDir, { recursive: true })
  let session: SftpSession | null = null
  const open = async () => {
    session ??= await connect(ctx)
    return session
  }
  try {
    yield* spooledWrite(ctx, batches, {
      spoolDir,
      finalName: runFileName(config.filePrefix, config.format, ctx.now()),
      format: config.format,
      deliver: async (file, name) => uploadFile(await open(), config.folder, file, name),
      delivered: async (name) => {
        const live = await open()
        try {
          return (await live.client.exists(posix.join(config.folder, name))) !== false
        } catch (error) {
          throw classify(error, live, 'read', config.folder)
        }
      },
    })
  } finally {
    await (session as SftpSession | null)?.client.end().catch(() => {})
  }
}
