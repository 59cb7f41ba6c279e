import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { describe, inject } from 'vitest'
import { type Dialect, migrateToLatest, type OpenDb, openDatabase } from '../../server/db/database.ts'

export const DIALECTS: readonly Dialect[] = ['sqlite', 'postgres']

let counter = 0

/** A fresh, migrated database of one dialect: a SQLite file in a temp folder, or a new PG database. */
export async function openTestDatabase(
  dialect: Dialect,
  options: { migrate?: boolean } = {},
): Promise<OpenDb & { url: string; dataDir: string }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-test-'))
  let url = path.join(dataDir, 'sluice.db')
  let dropDatabase = async () => {}
  if (dialect === 'postgres') {
    const admin = inject('pgUrl')
    if (!admin) throw new Error('PostgreSQL suites need the server from global-setup')
    const name = `t_${process.pid}_${Date.now().toString(36)}_${counter++}`
    const client = new pg.Client({ connectionString: admin })
    await client.connect()
    await client.query(`create database ${name}`)
    await client.end()
    url = admin.replace(/\/postgres$/, `/${name}`)
    dropDatabase = async () => {
      const again = new pg.Client({ connectionString: admin })
      await again.connect()
      await again.query(`drop database if exists ${name} with (force)`)
      await again.end()
    }
  }
  const database = openDatabase(url)
  if (options.migrate !== false) await migrateToLatest(database.db)
  return {
    ...database,
    url,
    dataDir,
    async close() {
      await database.close()
      await dropDatabase()
      fs.rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/**
 * Runs a suite once per dialect (CONVENTIONS.md). Without PostgreSQL installed, its half is
 * skipped — global-setup has already said so in one line, and refuses outright under CI.
 */
export function describeEachDialect(name: string, suite: (dialect: Dialect) => void): void {
  for (const dialect of DIALECTS) {
    const missing = dialect === 'postgres' && !inject('pgUrl')
    describe.skipIf(missing)(`${name} [${dialect}]`, () => suite(dialect))
  }
}
