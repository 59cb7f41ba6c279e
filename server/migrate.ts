import { loadConfig } from './config.ts'
import { migrateToLatest, openDatabase } from './db/database.ts'

/** `npm run migrate`: apply pending migrations to the database SLUICE_DB names. */
const config = loadConfig()
const database = openDatabase(config.db)
try {
  const applied = await migrateToLatest(database.db)
  console.log(applied.length ? `applied ${applied.join(', ')}` : 'the database is up to date')
} catch (error) {
  console.error(error instanceof Error ? error.message : error)
  process.exitCode = 1
} finally {
  await database.close()
}
