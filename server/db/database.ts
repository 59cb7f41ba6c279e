import fs from 'node:fs'
import path from 'node:path'
import SQLite from 'better-sqlite3'
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely'
import pg from 'pg'
import { startCheckpointer } from './checkpointer.ts'
import { migrations } from './migrations/index.ts'
import { registerPgPool } from './pg-handle.ts'
import type { Database } from './schema.ts'
import { registerSqlite } from './sqlite-handle.ts'

export type Dialect = 'sqlite' | 'postgres'

export interface OpenDb {
  db: Kysely<Database>
  dialect: Dialect
  close(): Promise<void>
}

// int8 (counts, bigserial ids) arrives as a string by default; our values fit in a double.
pg.types.setTypeParser(20, (value) => Number(value))

/**
 * Opens the database `SLUICE_DB` names: a postgres:// URL, or a SQLite file (WAL, busy_timeout,
 * foreign keys on). Does not migrate; call `migrateToLatest`.
 */
export function openDatabase(
  url: string,
  options: {
    poolSize?: number
    onIdleError?: (error: Error) => void
    /**
     * PostgreSQL: end a session idle this long inside a transaction. A worker frozen mid-batch
     * (SIGSTOP, a long pause) would otherwise hold its job's row lock, and claims skip locked rows.
     */
    idleInTransactionMs?: number
    /** SQLite: checkpoint the WAL on a worker thread (see checkpointer.ts). */
    backgroundCheckpoints?: boolean
    onCheckpointError?: (message: string) => void
  } = {},
): OpenDb {
  if (/^postgres(ql)?:\/\//.test(url)) {
    const pool = new pg.Pool({
      connectionString: url,
      max: options.poolSize ?? 10,
      ...(options.idleInTransactionMs
        ? { idle_in_transaction_session_timeout: Math.max(1000, Math.round(options.idleInTransactionMs)) }
        : {}),
    })
    // An idle client can die (server restart, admin kill); the pool drops it and the next query
    // reconnects. Without a listener that would be an uncaught 'error' event and kill the process.
    pool.on('error', (error) => options.onIdleError?.(error))
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
    registerPgPool(db, pool)
    return { db, dialect: 'postgres', close: () => db.destroy() }
  }
  fs.mkdirSync(path.dirname(path.resolve(url)), { recursive: true })
  const sqlite = new SQLite(url)
  sqlite.pragma('journal_mode = WAL')
  sqlite.pragma('busy_timeout = 5000')
  sqlite.pragma('foreign_keys = ON')
  // NORMAL is durable across application crashes in WAL mode and ~9x faster per transaction (TOOLCHAIN.md).
  sqlite.pragma('synchronous = NORMAL')
  // Identity keys land all over their index; 12 MB of page cache keeps
  // hot pages near; the OS caches the rest, and the process must stay under 300 MB during a backfill.
  sqlite.pragma('cache_size = -12000')
  // SQLite's lower() folds ASCII only; PostgreSQL's folds all of Unicode. Search must match alike.
  sqlite.function('lower', { deterministic: true }, (value: unknown) =>
    typeof value === 'string' ? value.toLowerCase() : value,
  )
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) })
  registerSqlite(db, sqlite)
  // The WAL keeps its size once checkpointed (SQLite's default): cutting it back makes the next
  // writes grow the file again, and on ext4 a write that allocates waits behind the checkpoint's
  // fsync — measured, that put 100 ms stalls into realtime requests during a backfill.
  sqlite.pragma('journal_size_limit = -1')
  const checkpointer =
    options.backgroundCheckpoints && url !== ':memory:'
      ? startCheckpointer(sqlite, url, { onError: options.onCheckpointError })
      : null
  return {
    db,
    dialect: 'sqlite',
    close: async () => {
      await checkpointer?.stop()
      await db.destroy()
    },
  }
}

/** Applies pending migrations; throws with the failing migration's name and cause. */
export async function migrateToLatest(db: Kysely<Database>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } })
  const { error, results } = await migrator.migrateToLatest()
  const failed = results?.find((result) => result.status === 'Error')
  if (error) {
    throw new Error(
      `migration ${failed?.migrationName ?? ''} failed: ${String((error as Error).message ?? error)}`,
      {
        cause: error,
      },
    )
  }
  return (results ?? []).filter((result) => result.status === 'Success').map((result) => result.migrationName)
}
