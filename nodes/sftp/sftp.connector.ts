import { randomBytes } from 'node:crypto'
import { posix } from 'node:path'
import { defineConnector } from '../define.ts'
import { classify, connect } from './sftp.client.ts'
import { parseDestinationConfig, writeFolder } from './sftp.destination.ts'
import { sftp } from './sftp.node.ts'
import { listFiles, parseSourceConfig, readFolder } from './sftp.source.ts'

/** Config keys only a destination has: a check with one of them tests writing. */
const DESTINATION_KEYS = ['filePrefix']

export default defineConnector(sftp, {
  /**
   * Logs in (showing the host key to pin); with a source's config, lists the folder and reads the
   * first matching file's first bytes; with a destination's, writes and removes a probe file.
   */
  async check(ctx) {
    try {
      const session = await connect(ctx)
      const pin = session.credentials.hostKey
        ? 'pinned'
        : `not pinned: pin ${session.fingerprint} to refuse any other`
      try {
        const config = ctx.config
        if (!config) return { ok: true, message: `Logged in to ${session.where}; its host key is ${pin}` }
        if (DESTINATION_KEYS.some((key) => key in config)) {
          const destination = parseDestinationConfig(config)
          const probe = posix.join(destination.folder, `.sluice-check-${randomBytes(6).toString('hex')}`)
          try {
            await session.client.put(Buffer.from('ok\n'), probe)
          } catch (error) {
            throw classify(error, session, 'write', destination.folder)
          }
          await session.client.delete(probe).catch(() => {})
          return { ok: true, message: `Sluice can write files to ${destination.folder} on ${session.where}` }
        }
        const source = parseSourceConfig(config)
        const files = await listFiles(session, source, ctx.signal)
        const first = files[0]
        if (!first)
          return {
            ok: true,
            message: `Logged in to ${session.where}; no file in ${source.folder} matches ${source.glob} yet`,
          }
        try {
          for await (const _ of session.client.createReadStream(first.path, { start: 0, end: 0 })) break
        } catch (error) {
          throw classify(error, session, 'read', first.path)
        }
        return {
          ok: true,
          message: `Logged in to ${session.where}; ${files.length} matching files, and ${first.path} can be read`,
        }
      } finally {
        await session.client.end().catch(() => {})
      }
    } catch (error) {
      return { ok: false, message: error instanceof Error ? error.message : String(error) }
    }
  },
  jobs: {
    files: { direction: 'import', read: readFolder },
    file: { direction: 'export', write: writeFolder },
  },
})
