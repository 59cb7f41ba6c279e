import { posix } from 'node:path'
import type { Readable } from 'node:stream'
import {
  type ConnectorContext,
  ConnectorError,
  parseConfig,
  type ReadBatch,
  type ReadOptions,
} from '../define.ts'
import {
  type FileCheckpoint,
  type FileStore,
  globMatcher,
  type ListedFile,
  readFiles,
} from '../file-source.ts'
import { classify, connect, type SftpSession } from './sftp.client.ts'
import { type SftpSourceConfig, sftpSourceConfig } from './sftp.node.ts'

/** How deep a listing walks, and how many files it keeps: a drop folder, not a file system. */
const MAX_DEPTH = 16
const MAX_FILES = 200_000

export const parseSourceConfig = (config: unknown): SftpSourceConfig =>
  parseConfig(sftpSourceConfig, config, 'SFTP source')

/**
 * Every regular file below the folder that the glob selects (paths relative to the folder), walking
 * sub-folders; links are not followed. A file's version is its modification time and size.
 */
export async function listFiles(
  session: SftpSession,
  config: Pick<SftpSourceConfig, 'folder' | 'glob'>,
  signal: AbortSignal,
): Promise<ListedFile[]> {
  const matches = globMatcher(config.glob)
  const files: ListedFile[] = []
  const walk = async (relative: string, depth: number): Promise<void> => {
    const folder = relative ? posix.join(config.folder, relative) : config.folder
    let entries: Awaited<ReturnType<SftpSession['client']['list']>>
    try {
      entries = await session.client.list(folder)
    } catch (error) {
      throw classify(error, session, 'read', folder)
    }
    for (const entry of entries) {
      if (signal.aborted || files.length >= MAX_FILES) return
      const path = relative ? `${relative}/${entry.name}` : entry.name
      if (entry.type === 'd' && depth < MAX_DEPTH && !entry.name.startsWith('.')) await walk(path, depth + 1)
      else if (entry.type === '-' && matches(path))
        files.push({
          path: posix.join(config.folder, path),
          version: `${entry.modifyTime}:${entry.size}`,
          modifiedMs: entry.modifyTime,
          size: entry.size,
        })
    }
  }
  await walk('', 0)
  return files
}

/**
 * The folder as a file store. Each file streams over the session; a stream's handle is closed
 * after its last byte, so the session ends only once every stream has closed (ending it first
 * fails the pending close, which a stream would raise with nobody listening).
 */
function folderStore(session: SftpSession, streams: Readable[]): FileStore {
  return {
    nameOf: (path) => `${session.where}${path.startsWith('/') ? '' : '/'}${path}`,
    async open(file) {
      try {
        const stream = session.client.createReadStream(file.path) as unknown as Readable
        streams.push(stream)
        // Errors while reading reach the reader through its iteration; later ones have no reader.
        stream.on('error', () => {})
        return stream
      } catch (error) {
        throw classify(error, session, 'read', file.path)
      }
    },
  }
}

/** Lists the folder, then reads new and changed files in the order they changed (file-source.ts). */
export async function* readFolder(
  ctx: ConnectorContext<SftpSourceConfig>,
  options: ReadOptions<FileCheckpoint>,
): AsyncGenerator<ReadBatch<FileCheckpoint>> {
  const config = parseSourceConfig(ctx.config)
  const session = await connect(ctx)
  const streams: Readable[] = []
  try {
    const files = await listFiles(session, config, ctx.signal)
    try {
      yield* readFiles(config, files, folderStore(session, streams), { ...options, signal: ctx.signal })
    } catch (error) {
      if (ctx.signal.aborted) throw new ConnectorError('transient', 'stopped', { cause: error })
      throw classify(error, session, 'read', config.folder)
    }
  } finally {
    await Promise.all(streams.map(closed))
    await session.client.end().catch(() => {})
  }
}

/** Resolves once a stream has closed (at most a few seconds: a dead session never answers). */
function closed(stream: Readable): Promise<void> {
  if (stream.closed) return Promise.resolve()
  stream.destroy()
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 5000)
    stream.once('close', () => {
      clearTimeout(timer)
      resolve()
    })
  })
}
