import type SQLite from 'better-sqlite3'
import type { Kysely } from 'kysely'
import type { Database, Executor } from './schema.ts'

/**
 * The better-sqlite3 connection behind a Kysely SQLite database, for the bulk lane's hot loops:
 * a cached prepared statement run per row is several times faster than a compiled multi-row
 * statement. Keyed by the adapter, which a transaction shares with its database.
 */
const handles = new WeakMap<object, SQLite.Database>()
const statements = new WeakMap<SQLite.Database, Map<string, SQLite.Statement>>()

export function registerSqlite(db: Kysely<Database>, sqlite: SQLite.Database): void {
  handles.set(db.getExecutor().adapter, sqlite)
}

/**
 * The connection of a SQLite transaction, or undefined on PostgreSQL. Use it only inside that
 * transaction: it holds the one connection, so no other query can interleave with these.
 */
export function sqliteOf(trx: Executor): SQLite.Database | undefined {
  return handles.get(trx.getExecutor().adapter)
}

/** A prepared statement, prepared once per connection. */
export function prepared(sqlite: SQLite.Database, text: string): SQLite.Statement {
  let cache = statements.get(sqlite)
  if (!cache) {
    cache = new Map()
    statements.set(sqlite, cache)
  }
  let statement = cache.get(text)
  if (!statement) {
    statement = sqlite.prepare(text)
    cache.set(text, statement)
  }
  return statement
}
