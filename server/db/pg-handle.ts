import type pg from 'pg'
import type { Executor } from './schema.ts'

/**
 * The node-postgres pool behind a Kysely PostgreSQL database, for the executor's hottest
 * statements: sent as named (server-side prepared) statements they are parsed and planned once
 * per connection instead of once per run. Keyed by the adapter, like sqlite-handle.ts.
 */
const pools = new WeakMap<object, pg.Pool>()

export function registerPgPool(db: Executor, pool: pg.Pool): void {
  pools.set(db.getExecutor().adapter, pool)
}

/** The pool of a PostgreSQL database (not of a transaction's connection: use it outside one). */
export function pgPoolOf(db: Executor): pg.Pool | undefined {
  return pools.get(db.getExecutor().adapter)
}
