import { sql } from 'kysely'
import { loadConfig } from './config.ts'
import { copyDatabase } from './db/copy.ts'
import { migrateToLatest, openDatabase } from './db/database.ts'

/**
 * `npm run migrate-to -- postgres://user:pass@host/db`: copies this SQLite deployment (SLUICE_DB,
 * or the data folder's sluice.db) into an empty PostgreSQL database — users and sessions, pipelines
 * and their versions, jobs with their state and history, raw messages, profiles, audiences, export
 * state, alerts — in one transaction, then checks every table's row count. Stop Sluice first:
 * what it writes after the copy began is not copied.
 */
async function main(): Promise<void> {
  const target = process.argv.slice(2).find((arg) => !arg.startsWith('-'))
  if (!target || !/^postgres(ql)?:\/\//.test(target)) {
    throw new Error(
      'give the PostgreSQL database to copy into: npm run migrate-to -- postgres://user:pass@host:5432/sluice',
    )
  }
  const config = loadConfig()
  if (config.dialect !== 'sqlite')
    throw new Error(
      `SLUICE_DB is already PostgreSQL (${redact(config.db)}): migrate-to copies a SQLite deployment`,
    )
  const source = openDatabase(config.db)
  const destination = openDatabase(target, { poolSize: 2 })
  try {
    await migrateToLatest(source.db)
    await destination.db
      .selectNoFrom(sql<number>`1`.as('ok'))
      .execute()
      .catch((error: unknown) => {
        throw new Error(`cannot reach ${redact(target)}: ${(error as Error).message}`)
      })
    await migrateToLatest(destination.db)
    console.log(`copying ${config.db} into ${redact(target)}`)
    const counts = await copyDatabase(source.db, destination.db, (table, rows) =>
      console.log(`  ${table}: ${rows.toLocaleString('en')} rows`),
    )
    const total = [...counts.values()].reduce((sum, n) => sum + n, 0)
    console.log(
      `done: ${counts.size} tables, ${total.toLocaleString('en')} rows, every count checked. ` +
        `Start Sluice on it with SLUICE_DB=${redact(target)} npm run start:api (and start:worker).`,
    )
  } finally {
    await source.close()
    await destination.close()
  }
}

/** The URL without its password, for messages. */
function redact(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return '(the given URL)'
  }
}

main().catch((error: unknown) => {
  console.error(`migrate-to failed: ${(error as Error).message}`)
  process.exit(1)
})
