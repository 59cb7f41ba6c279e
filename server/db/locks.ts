import { PostgresAdapter, sql } from 'kysely'
import type { Executor } from './schema.ts'

export function isPostgres(db: Executor): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter
}

/**
 * Serializes transactions that decide on a read, such as "is this the last admin?" or "apply this
 * deploy plan". PostgreSQL's read-committed snapshots would let two of them decide on the same
 * state, so each takes a transaction-scoped advisory lock on `key`. SQLite needs nothing: its one
 * connection already runs one transaction at a time. Call it first inside the transaction.
 */
export async function serialize(trx: Executor, key: string): Promise<void> {
  if (isPostgres(trx)) await sql`select pg_advisory_xact_lock(hashtextextended(${key}, 0))`.execute(trx)
}

/** True for a unique-constraint violation on either dialect (a concurrent insert won). */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
}
