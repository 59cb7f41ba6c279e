import { createHash } from 'node:crypto'
import SftpClient from 'ssh2-sftp-client'
import { z } from 'zod'
import { type ConnectorContext, ConnectorError } from '../define.ts'
import { type SftpCredentials, sftpCredentials } from './sftp.node.ts'

export function credentialsOf(credentials: Record<string, unknown>): SftpCredentials {
  const parsed = sftpCredentials.safeParse(credentials)
  if (parsed.success) return parsed.data
  throw new ConnectorError('config', `the SFTP authorization is incomplete: ${z.prettifyError(parsed.error)}`)
}

/** A host key's fingerprint as OpenSSH prints it. */
export function fingerprintOf(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`
}

export interface SftpSession {
  client: SftpClient
  credentials: SftpCredentials
  /** `sftp://user@host:port`, for messages. */
  where: string
  /** The host key the server showed. */
  fingerprint: string | null
}

/**
 * Connects through the outbound guard (to the checked address), pinning the host key when the
 * authorization names one. Errors come back classified.
 */
export async function connect(
  ctx: Pick<ConnectorContext, 'credentials' | 'resolveHost'>,
): Promise<SftpSession> {
  const credentials = credentialsOf(ctx.credentials)
  const where = `sftp://${credentials.username}@${credentials.host}:${credentials.port}`
  const session: SftpSession = { client: new SftpClient(), credentials, where, fingerprint: null }
  try {
    const address = await ctx.resolveHost(credentials.host)
    await session.client.connect({
      host: address,
      port: credentials.port,
      username: credentials.username,
      ...(credentials.password ? { password: credentials.password } : {}),
      ...(credentials.privateKey ? { privateKey: credentials.privateKey } : {}),
      ...(credentials.passphrase ? { passphrase: credentials.passphrase } : {}),
      readyTimeout: 15_000,
      retries: 0,
      hostVerifier: (key: Buffer) => {
        session.fingerprint = fingerprintOf(key)
        return !credentials.hostKey || credentials.hostKey === session.fingerprint
      },
    })
  } catch (error) {
    await session.client.end().catch(() => {})
    throw classify(error, session, 'connect')
  }
  return session
}

const NETWORK =
  /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ETIMEDOUT|ECONNRESET|Timed out while waiting for handshake/

/**
 * What went wrong, and what to fix (DESIGN.md §4): a refused login or path is an auth error naming
 * the user; a missing folder or a changed host key a config error; the network is retried.
 */
export function classify(
  error: unknown,
  session: Pick<SftpSession, 'credentials' | 'where' | 'fingerprint'>,
  doing: 'connect' | 'read' | 'write',
  path = '',
): ConnectorError {
  if (error instanceof ConnectorError) return error
  const message = error instanceof Error ? error.message : String(error)
  const code = (error as { code?: unknown } | null)?.code
  const user = session.credentials.username
  const cause = { cause: error }
  if (message.includes('All configured authentication methods failed'))
    return new ConnectorError(
      'auth',
      `${session.where} refused the login of "${user}": check the password or private key in the Vault`,
      { ...cause, code: 'LoginRefused' },
    )
  if (message.includes('Host denied'))
    return new ConnectorError(
      'config',
      `${session.where} showed host key ${session.fingerprint ?? 'another key'}, not the pinned ${session.credentials.hostKey}: if the server's key changed on purpose, update the authorization's host key; otherwise someone may be impersonating it`,
      { ...cause, code: 'HostKeyMismatch' },
    )
  if (code === 2 || code === 'ENOENT')
    return new ConnectorError(
      'config',
      `${path || 'the folder'} does not exist on ${session.where}: check the folder`,
      {
        ...cause,
        code: 'NoSuchFile',
      },
    )
  if (code === 3 || code === 'EACCES')
    return new ConnectorError(
      'auth',
      `permission denied on ${path || 'the folder'} at ${session.where}: give user "${user}" ${doing === 'write' ? 'write' : 'read'} access to it`,
      { ...cause, code: 'PermissionDenied' },
    )
  if (NETWORK.test(message) || (typeof code === 'string' && NETWORK.test(code)))
    return new ConnectorError(
      'transient',
      `cannot reach ${session.where} (${typeof code === 'string' ? code : 'no answer'}): check the host and port, and that the server is up`,
      { ...cause, code: 'Unreachable' },
    )
  return new ConnectorError('transient', `${session.where}: ${message}`, cause)
}
