import pg from 'pg'
import { findPostgresBin, type PostgresServer, startPostgres } from './postgres.ts'

/** The password of the warehouse's `postgres` superuser; TCP connections must give it. */
export const WAREHOUSE_PASSWORD = 'warehouse-pw-5d1c'

export interface Warehouse {
  server: PostgresServer
  port: number
  /** A connection to one of its databases, as the superuser; `end()` it. */
  client(database?: string): Promise<pg.Client>
  /** Credentials of a PostgreSQL authorization for `database`. */
  credentials(database: string, overrides?: Record<string, unknown>): Record<string, unknown>
  stop(): void
}

/**
 * A customer's PostgreSQL for connector tests: its own server, with password (SCRAM) logins so a
 * wrong password and a user without privileges fail the way they would in production.
 */
export async function startWarehouse(databases: string[]): Promise<Warehouse> {
  const bin = findPostgresBin()
  if (!bin) throw new Error('PostgreSQL is not installed: apt-get install -y postgresql')
  const server = await startPostgres(bin, '', { password: WAREHOUSE_PASSWORD })
  const port = Number(new URL(server.url).port)
  const client = async (database = 'postgres') => {
    const connection = new pg.Client({ connectionString: server.url.replace(/\/postgres$/, `/${database}`) })
    await connection.connect()
    return connection
  }
  const admin = await client()
  for (const database of databases) await admin.query(`CREATE DATABASE ${database}`)
  await admin.end()
  return {
    server,
    port,
    client,
    credentials: (database, overrides = {}) => ({
      host: '127.0.0.1',
      port,
      database,
      username: 'postgres',
      password: WAREHOUSE_PASSWORD,
      ssl: 'disable',
      ...overrides,
    }),
    stop: () => server.stop(),
  }
}
