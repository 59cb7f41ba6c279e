import { isIP } from 'node:net'
import pg from 'pg'
import { z } from 'zod'
import { type ConnectorContext, ConnectorError } from '../define.ts'
import { type PostgresCredentials, postgresCredentials } from './postgres.node.ts'

/**
 * Connections to a user's PostgreSQL: through the outbound guard, with type parsers of their own
 * (Sluice's store uses pg too, so the global parsers are never touched), and errors classified.
 */

const CONNECT_TIMEOUT_MS = 15_000

/** Quotes an identifier: `crm.contacts` → `"crm"."contacts"`. */
export function quoteName(name: string): string {
  return name
    .split('.')
    .map((part) => `"${part.replaceAll('"', '""')}"`)
    .join('.')
}

/** `2026-01-01 00:00:00.123456+00` (session time zone UTC) → `2026-01-01T00:00:00.123456Z`. */
function isoTimestamp(text: string): string {
  const iso = text.replace(' ', 'T')
  return iso.endsWith('+00') ? `${iso.slice(0, -3)}Z` : iso
}

/** A bigint or numeric as a number when that loses nothing, else as its exact text. */
function exactNumber(text: string): number | string {
  const number = Number(text)
  if (!Number.isFinite(number)) return text
  if (/^-?\d+$/.test(text)) return Number.isSafeInteger(number) ? number : text
  return /^-?\d+(\.\d+)?$/.test(text) && text.replace(/[-.]/g, '').replace(/^0+/, '').length <= 15
    ? number
    : text
}

const float = (text: string) => {
  const number = Number(text)
  return Number.isFinite(number) ? number : text // NaN and Infinity have no JSON form
}

/** Record values are JSON: exact numbers, ISO times with every digit, bytes as base64. */
const PARSERS: Record<number, (text: string) => unknown> = {
  20: exactNumber, // int8
  1700: exactNumber, // numeric
  700: float,
  701: float,
  1114: isoTimestamp, // timestamp: written as stored, no zone
  1184: isoTimestamp, // timestamptz
  1082: (text) => text, // date
  1083: (text) => text, // time
  1266: (text) => text, // timetz
  1186: (text) => text, // interval
  17: (text) => Buffer.from(text.slice(2), 'hex').toString('base64'), // bytea, hex output
  790: (text) => text, // money
}

const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    PARSERS[oid] ?? pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
}

export function credentialsOf(credentials: Record<string, unknown>): PostgresCredentials {
  const parsed = postgresCredentials.safeParse(credentials)
  if (parsed.success) return parsed.data
  throw new ConnectorError('auth', `the authorization is incomplete: ${z.prettifyError(parsed.error)}`)
}

/** What pg and the network say, turned into what the user should do. */
export function classify(error: unknown, where: PostgresCredentials, subject = ''): ConnectorError {
  if (error instanceof ConnectorError) return error
  const { code, message } = error as { code?: string; message?: string }
  const server = `${where.host}:${where.port}`
  const text = message ?? String(error)
  const about = subject ? ` (${subject})` : ''
  switch (code) {
    case '28P01':
    case '28000':
      return new ConnectorError(
        'auth',
        `PostgreSQL at ${server} refused user "${where.username}": ${text}; check the user and password in the authorization`,
        { code, cause: error },
      )
    case '3D000':
      return new ConnectorError('config', `${text}; check the database name in the authorization`, {
        code,
        cause: error,
      })
    case '42501':
      return new ConnectorError(
        'auth',
        `${text}${about}; grant user "${where.username}" the privilege, or use a user that has it`,
        { code, cause: error },
      )
    case '42P01':
      return new ConnectorError('config', `${text}${about}; check the table name (and its schema)`, {
        code,
        cause: error,
      })
    case '42703':
      return new ConnectorError('config', `${text}${about}; check the column names in the configuration`, {
        code,
        cause: error,
      })
    case '42601':
    case '42803':
    case '42883':
    case '42804':
      return new ConnectorError('config', `${text}${about}; check the query`, { code, cause: error })
    case '25006':
      return new ConnectorError('config', `${text}: a source query may only read (SELECT)`, {
        code,
        cause: error,
      })
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ECONNRESET':
      return new ConnectorError(
        'transient',
        `cannot reach PostgreSQL at ${server} (${code}); check the host and port, and that the server accepts connections from Sluice`,
        { code, cause: error },
      )
  }
  if (/self[- ]signed|certificate|does not support SSL|SSL/i.test(text))
    return new ConnectorError(
      'config',
      `TLS to ${server} failed: ${text}; fix the server's certificate or change the TLS setting`,
      { cause: error },
    )
  if (/timeout/i.test(text))
    return new ConnectorError('transient', `PostgreSQL at ${server} did not answer in time: ${text}`, {
      cause: error,
    })
  // Class 08 (connection), 53 (resources), 57 (shutdown), 40 (serialization) pass with time.
  if (code && /^(08|53|57|40)/.test(code))
    return new ConnectorError('transient', `PostgreSQL at ${server}: ${text}`, { code, cause: error })
  if (code && /^(22|23|42)/.test(code))
    return new ConnectorError('config', `${text}${about}`, { code, cause: error })
  return new ConnectorError('transient', `PostgreSQL at ${server}: ${text}`, { cause: error })
}

/** An open connection in UTC; `end()` closes it. Aborting the signal closes it too. */
export async function connect(
  ctx: Pick<ConnectorContext, 'resolveHost' | 'signal' | 'credentials'>,
): Promise<{ client: pg.Client; where: PostgresCredentials }> {
  const where = credentialsOf(ctx.credentials)
  const address = await ctx.resolveHost(where.host)
  const client = new pg.Client({
    host: address,
    port: where.port,
    database: where.database,
    user: where.username,
    password: where.password,
    ssl:
      where.ssl === 'disable'
        ? false
        : {
            // The socket goes to the checked address; the certificate is checked against the name.
            ...(isIP(where.host) ? {} : { servername: where.host }),
            rejectUnauthorized: where.ssl === 'verify-full',
          },
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    application_name: 'sluice',
    types,
  })
  // A dropped connection must not crash the process; the pending query rejects instead.
  client.on('error', () => {})
  try {
    await client.connect()
    await client.query(`SET TIME ZONE 'UTC'`)
  } catch (error) {
    await client.end().catch(() => {})
    throw classify(error, where)
  }
  const onAbort = () => void client.end().catch(() => {})
  ctx.signal.addEventListener('abort', onAbort, { once: true })
  const end = client.end.bind(client)
  client.end = (async () => {
    ctx.signal.removeEventListener('abort', onAbort)
    await end().catch(() => {})
  }) as typeof client.end
  return { client, where }
}
