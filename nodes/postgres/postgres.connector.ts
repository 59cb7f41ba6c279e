import { defineConnector } from '../define.ts'
import { classify, connect, credentialsOf } from './postgres.client.ts'
import { destinationProblem, parseDestinationConfig, writeTable } from './postgres.destination.ts'
import { postgres } from './postgres.node.ts'
import { parseSourceConfig, readRows, selectFor } from './postgres.source.ts'

/** Config keys only a source has: a check with one of them tests the source's SELECT. */
const SOURCE_KEYS = ['query', 'primaryKey', 'sync', 'cursorColumn', 'lookBack', 'eventTimeColumn']

export default defineConnector(postgres, {
  /** Connects and, given a job's config, tries its SELECT (source) or its privileges (destination). */
  async check(ctx) {
    try {
      const { client, where } = await connect(ctx)
      try {
        const version = (await client.query<{ v: string }>("SELECT current_setting('server_version') AS v"))
          .rows[0]
        const server = `PostgreSQL ${version?.v ?? ''} at ${where.host}:${where.port}/${where.database}`
        const config = ctx.config
        if (!config) return { ok: true, message: `Connected to ${server} as ${where.username}` }
        if (SOURCE_KEYS.some((key) => key in config)) {
          const source = parseSourceConfig(config)
          const select = selectFor(source, { high: null, kind: null, at: null })
          await client.query('BEGIN READ ONLY')
          try {
            await client.query(`${select.text} LIMIT 1`, select.values)
          } catch (error) {
            throw classify(error, where, source.table ? `table ${source.table}` : 'the query')
          } finally {
            await client.query('ROLLBACK').catch(() => {})
          }
          return { ok: true, message: `Connected to ${server}; the source's rows can be read` }
        }
        const destination = parseDestinationConfig(config)
        const problem = await destinationProblem(client, destination).catch((error: unknown) => {
          throw classify(error, where, `table ${destination.table}`)
        })
        if (problem) return { ok: false, message: `Connected to ${server}, but ${problem}` }
        return { ok: true, message: `Connected to ${server}; Sluice can write table ${destination.table}` }
      } finally {
        await client.end()
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      try {
        return { ok: false, message: classify(error, credentialsOf(ctx.credentials)).message }
      } catch {
        return { ok: false, message }
      }
    }
  },
  jobs: {
    rows: { direction: 'import', read: readRows },
    table: { direction: 'export', write: writeTable },
  },
})
