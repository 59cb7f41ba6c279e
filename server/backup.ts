import fs from 'node:fs'
import path from 'node:path'
import SQLite from 'better-sqlite3'
import { loadConfig } from './config.ts'

/**
 * `npm run backup [-- file]`: a consistent copy of the SQLite database while Sluice runs. `VACUUM
 * INTO` reads inside one transaction — in WAL mode writers carry on meanwhile — and writes a
 * compacted file, which is then checked. PostgreSQL has pg_dump for this.
 */
function main(): void {
  const config = loadConfig()
  if (config.dialect !== 'sqlite')
    throw new Error("SLUICE_DB is PostgreSQL: back it up with pg_dump (or your provider's snapshots)")
  if (!fs.existsSync(config.db))
    throw new Error(`there is no database at ${config.db} (check SLUICE_DATA_DIR or SLUICE_DB)`)
  const stamp = new Date().toISOString().replace(/[:.]/g, '-')
  const target = path.resolve(
    process.argv.slice(2).find((arg) => !arg.startsWith('-')) ??
      path.join(config.dataDir, 'backups', `sluice-${stamp}.db`),
  )
  if (fs.existsSync(target)) throw new Error(`${target} exists already: give a new file name`)
  fs.mkdirSync(path.dirname(target), { recursive: true })
  const started = Date.now()
  const db = new SQLite(config.db, { fileMustExist: true })
  try {
    // Wait for a writer's transaction rather than fail at once.
    db.pragma('busy_timeout = 10000')
    db.prepare('vacuum into ?').run(target)
  } finally {
    db.close()
  }
  const copy = new SQLite(target, { readonly: true })
  try {
    const check = copy.pragma('integrity_check', { simple: true })
    if (check !== 'ok')
      throw new Error(`the backup at ${target} failed its integrity check: ${String(check)}`)
  } finally {
    copy.close()
  }
  const size = fs.statSync(target).size
  console.log(
    `backup written to ${target} (${(size / 1024 / 1024).toFixed(1)} MB, ${Date.now() - started} ms, integrity ok)`,
  )
}

try {
  main()
} catch (error) {
  console.error(`backup failed: ${(error as Error).message}`)
  process.exit(1)
}
